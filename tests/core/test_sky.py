"""core.sky against an independent numpy computation of the topocentric direction and analytic cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lupex.core.sky import (
    azimuth_bracket,
    cell_frame,
    horizon_between,
    topocentric_enu,
    topocentric_enu_first_order,
    topocentric_enu_of_position,
)

R = 1_737_400.0


def _reference_frame(x: float, y: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up, grid east, grid north of the south-polar stereographic grid, built from the sphere point itself."""
    rho = math.hypot(x, y)
    c = 2.0 * math.atan(rho / (2.0 * R))
    lon = math.atan2(x, y)
    up = np.array([math.sin(c) * math.cos(lon), math.sin(c) * math.sin(lon), -math.cos(c)])
    # grid north / east: derivatives of the sphere point along the map's +y / +x axes, made orthonormal to up
    eps = 1.0

    def point(px: float, py: float) -> np.ndarray:
        r = math.hypot(px, py)
        cc = 2.0 * math.atan(r / (2.0 * R))
        ll = math.atan2(px, py)
        return np.array([math.sin(cc) * math.cos(ll), math.sin(cc) * math.sin(ll), -math.cos(cc)])

    north = point(x, y + eps) - point(x, y - eps)
    east = point(x + eps, y) - point(x - eps, y)
    north -= up * (north @ up)
    east -= up * (east @ up)
    return up, east / np.linalg.norm(east), north / np.linalg.norm(north)


CELLS = [(0.0, 0.0), (12_345.0, -67_890.0), (-150_000.0, 40_000.0), (90_000.0, 170_000.0)]


@pytest.mark.parametrize(("x", "y"), CELLS)
def test_cell_frame_is_orthonormal_and_follows_the_map_axes(x: float, y: float) -> None:
    up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2 = cell_frame(x, y, R)
    up, ge, gn = np.array([up0, up1, up2]), np.array([ge0, ge1, ge2]), np.array([gn0, gn1, gn2])
    basis = np.stack([ge, gn, up])
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-12)
    assert np.cross(ge, gn) @ up == pytest.approx(1.0)  # right-handed: east x north = up
    ref_up, ref_east, ref_north = _reference_frame(x, y)
    np.testing.assert_allclose(up, ref_up, atol=1e-12)
    if x or y:  # at the pole itself the map's axes define the frame (lon = atan2(0, 0) = 0)
        np.testing.assert_allclose(ge, ref_east, atol=1e-6)
        np.testing.assert_allclose(gn, ref_north, atol=1e-6)


@pytest.mark.parametrize(("x", "y"), CELLS)
@pytest.mark.parametrize("distance_m", [3.84e8, 1.496e11])
def test_topocentric_direction_equals_position_difference(x: float, y: float, distance_m: float) -> None:
    """Unit vector from the cell (at radius r) to the body (Moon-centred position) in the cell's axes."""
    rng = np.random.default_rng(int(abs(x) + abs(y) + distance_m) % 2**32)
    frame = cell_frame(x, y, R)
    up = np.array(frame[0:3])
    east = np.array(frame[3:6])
    north = np.array(frame[6:9])
    r_cell = R + 1234.0
    for _ in range(20):
        d = rng.standard_normal(3)
        d /= np.linalg.norm(d)
        body = distance_m * d
        to_body = body - r_cell * up
        ref = to_body / np.linalg.norm(to_body)
        ref_enu = np.array([ref @ east, ref @ north, ref @ up])
        got = topocentric_enu(d[0], d[1], d[2], 1.0 / distance_m, r_cell, frame)
        np.testing.assert_allclose(got, ref_enu, atol=1e-12)
        got_p = topocentric_enu_of_position(body[0], body[1], body[2], r_cell, frame)
        np.testing.assert_allclose(got_p, ref_enu, atol=1e-12)
        first = np.array(topocentric_enu_first_order(d[0], d[1], d[2], 1.0 / distance_m, r_cell, frame))
        # first order: the unnormalised vector is the exact one scaled by |d - (r/D) up| = 1 - (r/D) sin e + ...
        np.testing.assert_allclose(first, ref_enu * np.linalg.norm(to_body) / distance_m, atol=1e-15)
        if distance_m > 1e10:  # the Sun: elevation sine within (r / D) |sin e| + (r / D)^2
            assert abs(first[2] - ref_enu[2]) <= (r_cell / distance_m) * abs(ref_enu[2]) + 1e-9


def test_topocentric_analytic_cases() -> None:
    frame = cell_frame(0.0, 0.0, R)  # the pole: up = -z, grid north = +x, grid east = +y
    np.testing.assert_allclose(frame, (0, 0, -1, 0, 1, 0, 1, 0, 0), atol=1e-15)
    # a body straight below the pole, seen from the surface: the zenith
    assert topocentric_enu(0.0, 0.0, -1.0, 1.0 / 3.84e8, R, frame) == pytest.approx((0.0, 0.0, 1.0))
    # a body at infinity on the +x axis: on the horizon, grid north
    assert topocentric_enu(1.0, 0.0, 0.0, 0.0, R, frame) == pytest.approx((0.0, 1.0, 0.0))
    # a body on the +y axis at distance D: azimuth east, depressed by its parallax atan(r / D)
    e, n, u = topocentric_enu_of_position(0.0, 3.84e8, 0.0, R, frame)
    assert n == pytest.approx(0.0, abs=1e-15)
    assert math.atan2(u, e) == pytest.approx(-math.atan(R / 3.84e8), rel=1e-12)


@pytest.mark.parametrize("n_az", [8, 72, 360])
def test_azimuth_bracket_and_interpolation(n_az: int) -> None:
    step = 2.0 * math.pi / n_az
    assert azimuth_bracket(0.0, n_az) == (0, 1, 0.0)
    k0, k1, w = azimuth_bracket(2.5 * step, n_az)
    assert (k0, k1) == (2, 3) and w == pytest.approx(0.5)
    k0, k1, w = azimuth_bracket(2.0 * math.pi - 0.25 * step, n_az)  # wraps to sample 0
    assert (k0, k1) == (n_az - 1, 0) and w == pytest.approx(0.75)
    assert azimuth_bracket(2.0 * math.pi, n_az) == (n_az - 1, 0, 0.0)  # clamped at the end
    assert horizon_between(0.1, 0.3, 0.25) == pytest.approx(0.15)
    profile = np.sin(np.arange(n_az) * step)
    for az in np.linspace(0.0, 2.0 * math.pi, 37, endpoint=False):
        k0, k1, w = azimuth_bracket(float(az), n_az)
        ref = np.interp(az, np.append(np.arange(n_az) * step, 2 * math.pi), np.append(profile, profile[0]))
        assert horizon_between(profile[k0], profile[k1], w) == pytest.approx(ref, abs=1e-12)
