"""The GPU march (segments between crossings, block skipping by maximum mipmaps), run on the CPU: the march is a
``register_jitable`` function, so a plain numba loop over rays runs the very code the CUDA kernel runs.

References: a brute-force march in numpy (bilinear heights and the exact elevation every 5 cm along the ray: the
segments' closed-form maxima must match it); the march without skipping (skipping only leaves out samples that cannot
be the maximum and resumes on one of the march's own crossings, so the result must be bit-identical); brute-force
block maxima; the exact elevation formula maximised over a dense grid of central angles for the bound.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lupex.core.horizon import pack_far_fields
from lupex.core.horizon_cuda import (
    SKIP_BLOCKS,
    _sine_bound,
    march_geometry,
    max_mipmaps,
    unit_components,
)
from lupex.terrain import builtin_dem
from tests.core.cuda_support import march_cells_cpu
from tests.core.test_horizon_kernel import _crater_field

R_MOON = 1_737_400.0


def _both(z, x0, y0, res, h, reach, far, ci, cj, az_deg):  # type: ignore[no-untyped-def]
    """The march with and without skipping: (best sines, edge flags, samples) of each."""
    zz = np.ascontiguousarray(z, dtype=np.float64)
    geo = march_geometry(zz, x0, y0, res, h, R_MOON, reach)
    packed = pack_far_fields(far)
    mips = max_mipmaps(zz)
    az = np.radians(np.asarray(az_deg, dtype=np.float64))
    ci, cj = np.asarray(ci, dtype=np.int64), np.asarray(cj, dtype=np.int64)
    return [march_cells_cpu(zz, geo, az, *packed, *mips, skip, ci, cj) for skip in (False, True)]


def _grid(name: str) -> tuple[np.ndarray, float, float, float]:
    d = builtin_dem(name)
    res = float(d.attrs["res_m"])
    return np.asarray(d.values, dtype=np.float64), float(d.x[0]) - res / 2, float(d.y[0]) + res / 2, res


@pytest.mark.parametrize(("reach_m", "h"), [(150_000.0, 2.0), (15_000.0, 0.0), (40_000.0, 10.0)])
def test_skipping_is_bit_identical_and_saves_samples_on_the_real_map(reach_m: float, h: float) -> None:
    z, x0, y0, res = _grid("south_pole_240m")
    z = z.copy()
    z[700:704, 760:790] = np.nan  # a hole on the way of some rays: an all-NaN block is skipped, as its samples were
    rng = np.random.default_rng(7)
    ci, cj = rng.integers(0, z.shape[0], 120), rng.integers(0, z.shape[1], 120)
    keep = ~np.isnan(z[ci, cj])
    (b0, e0, n0), (b1, e1, n1) = _both(
        z, x0, y0, res, h, reach_m, [_grid("far_field_1787m")], ci[keep], cj[keep], np.arange(0.0, 360.0, 15.0)
    )
    np.testing.assert_array_equal(b1, b0)
    np.testing.assert_array_equal(e1, e0)
    assert (n1 <= n0).all()
    if reach_m > 100_000.0:
        # measured 2026-12-01: 2442 -> 521 samples per ray (2000 cells x 36 azimuths, 150 km)
        assert n1.mean() < 0.35 * n0.mean()


def test_skipping_is_bit_identical_on_steep_craters_and_at_the_grid_edges() -> None:
    res = 240.0
    z = _crater_field(160, res, seed=5, n_craters=60)
    ci = np.r_[np.arange(0, 160, 9), np.zeros(6, int), np.full(6, 159), np.arange(3, 160, 31)]
    cj = np.r_[np.arange(159, -1, -9), np.arange(0, 160, 30)[:6], np.arange(5, 160, 30)[:6], np.full(6, 2)]
    (b0, e0, n0), (b1, e1, n1) = _both(z, 50_000.0, -20_000.0, res, 2.0, 30_000.0, [], ci, cj, np.arange(0, 360, 7.5))
    np.testing.assert_array_equal(b1, b0)
    np.testing.assert_array_equal(e1, e0)
    assert (n1 <= n0).all() and n1.sum() < n0.sum()


@pytest.mark.parametrize(("ny", "nx"), [(1, 1), (2, 2), (5, 3), (37, 70), (65, 64), (129, 7)])
def test_max_mipmaps_bound_every_node_of_their_blocks(ny: int, nx: int) -> None:
    rng = np.random.default_rng(ny * 1000 + nx)
    z = rng.normal(0.0, 100.0, (ny, nx))
    z[rng.random((ny, nx)) < 0.2] = np.nan
    z[:, 64:] = np.nan  # where wide enough, the last column block is all NaN
    for b, m in zip(SKIP_BLOCKS, max_mipmaps(z), strict=True):
        assert m.shape == (max(1, -(-(ny - 1) // b)), max(1, -(-(nx - 1) // b)))
        for bi in range(m.shape[0]):
            for bj in range(m.shape[1]):
                nodes = z[bi * b : min((bi + 1) * b, ny - 1) + 1, bj * b : min((bj + 1) * b, nx - 1) + 1]
                want = np.nanmax(nodes) if np.isfinite(nodes).any() else -np.inf
                assert m[bi, bj] == want


def test_sine_bound_is_the_maximum_over_the_interval() -> None:
    """Against the exact elevation ``tan e = (r cos th - r_p) / (r sin th)`` of the block's top, maximised over a dense
    grid of central angles: never below it by more than rounding (measured 2.3e-15; the march skips a block only where
    the bound is 1e-12 below its best), and within 1e-9 of it (the same maximum, found in closed form)."""
    rng = np.random.default_rng(5)
    for _ in range(300):
        r_p = R_MOON + rng.uniform(-4000.0, 4000.0)
        h_max = rng.uniform(-6000.0, 6000.0)
        d_lo = rng.uniform(200.0, 150_000.0)
        th_lo, th_hi = d_lo / R_MOON, (d_lo + rng.uniform(10.0, 60_000.0)) / R_MOON
        th = np.linspace(th_lo, th_hi, 20_001)
        r = R_MOON + h_max
        tan_e = (r * np.cos(th) - r_p) / (r * np.sin(th))
        dense = np.max(tan_e / np.sqrt(1.0 + tan_e**2))
        bound = _sine_bound(h_max, r_p, R_MOON, th_lo, th_hi)
        assert bound >= dense - 1e-13
        assert bound - dense < 1e-9 * max(1.0, abs(dense)) + 1e-12
    assert _sine_bound(-math.inf, R_MOON, R_MOON, 1e-3, 2e-3) == -2.0


def _brute_deg(z, x0, y0, res, i, j, az_deg, h, radius, reach_m, d_m):  # type: ignore[no-untyped-def]
    """Highest elevation [deg] over the ray's points at map distances ``d_m`` [m] and at every crossing of a line of
    cell centres (the kinks of the bilinear surface, where a peak may sit), within the grid and the reach: bilinear
    heights and the exact spherical elevation, in numpy."""
    px, py = x0 + (j + 0.5) * res, y0 - (i + 0.5) * res
    az = math.radians(az_deg)
    kinks = []
    for p, dp, lines in (
        (px, math.sin(az), x0 + (np.arange(z.shape[1]) + 0.5) * res),
        (py, math.cos(az), y0 - (np.arange(z.shape[0]) + 0.5) * res),
    ):
        if abs(dp) > 1e-12:
            kinks.append((lines - p) / dp)
    d_m = np.concatenate([d_m, *kinks])
    d_m = d_m[(d_m > 0) & (d_m <= reach_m * 1.01)]
    sx, sy = px + d_m * math.sin(az), py + d_m * math.cos(az)
    ri, cj = (y0 - sy) / res - 0.5, (sx - x0) / res - 0.5
    ok = (ri >= 0) & (ri <= z.shape[0] - 1) & (cj >= 0) & (cj <= z.shape[1] - 1)
    ri, cj, sx, sy = ri[ok], cj[ok], sx[ok], sy[ok]
    i0 = np.minimum(ri.astype(int), z.shape[0] - 2)
    j0 = np.minimum(cj.astype(int), z.shape[1] - 2)
    fi, fj = ri - i0, cj - j0
    zq = (1 - fi) * ((1 - fj) * z[i0, j0] + fj * z[i0, j0 + 1]) + fi * (
        (1 - fj) * z[i0 + 1, j0] + fj * z[i0 + 1, j0 + 1]
    )
    up = np.array(unit_components(px, py, radius))
    s2 = (sx**2 + sy**2) / (4 * radius**2)
    u = np.stack([sx / (radius * (1 + s2)), sy / (radius * (1 + s2)), -(1 - s2) / (1 + s2)])
    within = np.linalg.norm(u - up[:, None], axis=0) <= 2 * math.sin(reach_m / (2 * radius))
    v = (radius + zq) * u - (radius + z[i, j] + h) * up[:, None]
    sine = (v.T @ up) / np.linalg.norm(v, axis=0)
    return math.degrees(math.asin(sine[within].max())) if within.any() else -90.0


def test_segments_find_the_maxima_a_dense_brute_force_march_finds_on_steep_craters() -> None:
    """Crater walls: the segment maxima lie between crossings, where a quarter-pixel march (the dense reference's
    step) misses up to 0.09 deg on this field (measured on the accuracy test's cells); a march every 5 cm does not."""
    res, reach = 240.0, 25_000.0
    z = np.ascontiguousarray(_crater_field(128, res, seed=3, n_craters=40))
    x0, y0 = 50_000.0, -20_000.0
    rays = [(34, 58, 77.3), (90, 41, 201.0), (60, 60, 315.5), (20, 100, 12.0), (101, 77, 133.0), (45, 22, 260.0)]
    geo = march_geometry(z, x0, y0, res, 2.0, R_MOON, reach)
    packed, mips = pack_far_fields([]), max_mipmaps(z)
    for i, j, az_deg in rays:
        best, _e, _n = march_cells_cpu(z, geo, np.radians([az_deg]), *packed, *mips, True, np.array([i]), np.array([j]))
        got = math.degrees(math.asin(best[0, 0]))
        want = _brute_deg(z, x0, y0, res, i, j, az_deg, 2.0, R_MOON, reach, np.arange(0.05, reach, 0.05))
        assert abs(got - want) <= 1e-5, (i, j, az_deg, got, want)  # measured <= 1e-6 deg


def test_an_observer_on_the_surface_sees_at_least_the_slope() -> None:
    """h = 0: the supremum next to the observer is the terrain's slope along the ray, per metre of horizontal distance
    at the observer's radius. The brute force starts 1 cm out (closer, float64 cancellation in ``Q - P`` is noise),
    where the elevation has fallen by up to ~1.5e-4 deg on these cells (measured; the dense reference's first sample
    at res/32 = 7.5 m is up to 0.05 deg low); before the radius factor ``R / r_p`` one case was 5.4e-4 deg off."""
    z, x0, y0, res = _grid("south_pole_240m")
    z = np.ascontiguousarray(z[512:1024, 512:1024])
    x0, y0 = x0 + 512 * res, y0 - 512 * res
    radius, reach = 6_371_000.0, 15_000.0
    geo = march_geometry(z, x0, y0, res, 0.0, radius, reach)
    packed, mips = pack_far_fields([]), max_mipmaps(z)
    d = np.r_[np.arange(0.01, 10.0, 0.01), np.arange(10.0, reach, 0.05)]
    for i, j, az_deg in [(337, 400, 135.0), (337, 400, 140.0), (200, 150, 30.0), (420, 260, 250.0)]:
        best, _e, _n = march_cells_cpu(z, geo, np.radians([az_deg]), *packed, *mips, True, np.array([i]), np.array([j]))
        got = math.degrees(math.asin(best[0, 0]))
        want = _brute_deg(z, x0, y0, res, i, j, az_deg, 0.0, radius, reach, d)
        assert -1e-5 <= got - want <= 3e-4, (i, j, az_deg, got, want)
