"""The finite reach (``max_distance_m``) of the horizon kernel, and its lazily opened sliding window.

A line of the sweep starts with one hull of all its samples and scans its window exactly where that hull's
tangent point lies beyond the reach; after ``window_scan_limit`` such scans it keeps a sliding window of the
reach instead (:mod:`lupex.core.horizon.hull`). The two paths must give the same horizon.

References: an analytic wall on a sphere (elevation of the wall's top edge seen over the curved ground, exact up
to the float32 output) and the flat-sphere dip ``-acos(R / (R + h))`` where the wall lies beyond the reach; and,
on rough terrain, the kernel with its window open from the start (``window_scan_limit=0``, the path tested against
the dense float64 reference in test_horizon_kernel.py and by GRASS's problem in the benchmarks).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lupex.core.horizon import horizon_map_cpu
from lupex.core.horizon_reference import horizon_reference
from lupex.terrain.synthetic import cratered_field

R_MOON = 1_737_400.0
RES_M = 240.0
WALL_M = 1_500.0
OBSERVER_M = 2.0
#: float32 output and exact geometry at cardinal azimuths (cf. TOL_EXACT in test_horizon_kernel.py) [deg]
TOL_EXACT_DEG = 0.001
#: flat-plane sampling of the dip, half a step from the tangent point (cf. TOL_FLAT) [deg]
TOL_FLAT_DEG = 0.005
#: window scan limits: from the start, after one scan, the default, never
SCAN_LIMITS = (0, 1, 8, 10**9)


def _ground_distance_m(y_obs_m: float, y_wall_m: float) -> float:
    """Along-ground distance between two points on one meridian north of the pole (polar stereographic, k0 = 1)."""
    colat = [2.0 * math.atan(abs(y) / (2.0 * R_MOON)) for y in (y_obs_m, y_wall_m)]
    return R_MOON * abs(colat[1] - colat[0])


def _wall_exact_deg(d_m: float, radius_m: float) -> float:
    th = d_m / radius_m
    rq, rp = radius_m + WALL_M, radius_m + OBSERVER_M
    return math.degrees(math.atan2(rq * math.cos(th) - rp, rq * math.sin(th)))


@pytest.mark.parametrize("scan_limit", SCAN_LIMITS)
@pytest.mark.parametrize("reach_cells", [20.5, 40.5, 90.5])
def test_wall_seen_within_reach_and_not_beyond(scan_limit: int, reach_cells: float) -> None:
    """A 1.5 km wall north of a flat plain: exact where its edge is within reach, the plain's dip where not."""
    n = 200
    x0, y0 = -n * RES_M / 2.0, n * RES_M / 2.0  # centred on the pole (scale factor 1 to 1e-4)
    z = np.zeros((n, n))
    z[:10, :] = WALL_M  # rows 0..9; the ground ramps up between the centres of rows 10 and 9
    reach_m = reach_cells * RES_M
    hor, _ = horizon_map_cpu(z, x0, y0, RES_M, [0.0], OBSERVER_M, R_MOON, reach_m, [], window_scan_limit=scan_limit)
    got = np.degrees(hor[0, :, 100].astype(np.float64))
    dip = -math.degrees(math.acos(R_MOON / (R_MOON + OBSERVER_M)))
    seen = [i for i in range(10, n - 12) if (i - 9) * RES_M <= reach_m]
    hidden = [i for i in range(10, n - 12) if (i - 10) * RES_M >= reach_m]  # the whole ramp beyond the reach
    assert seen and hidden
    for i in seen:
        d_m = _ground_distance_m(y0 - (i + 0.5) * RES_M, y0 - 9.5 * RES_M)
        assert abs(got[i] - _wall_exact_deg(d_m, R_MOON)) <= TOL_EXACT_DEG, i
    # beyond the reach the wall would stand 1-8 deg above the horizon; the plain's dip is -0.087 deg
    assert np.all(np.abs(got[hidden] - dip) <= TOL_FLAT_DEG)


#: curvature of the paraboloid [1/m]: far above the sphere's drop 1/2R, so the elevation seen from its bottom grows
#: with distance and the horizon is the terrain exactly at the reach
BOWL_A_PER_M = 1e-5
BOWL_N = 201
#: reaches [cells]: inside the first near-field segment, inside the near field, and three in the hull's part
CUT_REACH_CELLS = (0.3, 3.7, 20.3, 40.7, 90.2)
CUT_AZ_DEG = np.arange(8) * 45.0


def paraboloid(n: int = BOWL_N) -> tuple[np.ndarray, float, float]:
    """``z = a rho^2`` [m] on an ``n`` x ``n`` grid (n odd) whose centre cell is centred on the pole; its corner
    (x0, y0) [m]. Also used by the CUDA kernel's test (test_horizon_cuda.py)."""
    c = n // 2
    i, j = np.mgrid[0:n, 0:n]
    z = BOWL_A_PER_M * RES_M**2 * ((i - c) ** 2 + (j - c) ** 2).astype(float)
    return z, -n * RES_M / 2.0, n * RES_M / 2.0


def cut_exact_deg(reach_m: float, diagonal: bool) -> float:
    """Elevation [deg], seen from 2 m above the pole, of the paraboloid's bilinear surface exactly at ground distance
    ``reach_m`` along a row or column of cell centres (or a diagonal through them): there the bilinear interpolation
    of ``a rho^2`` is linear between the nodes, ``c^2 a res^2 (k^2 + f (2k + 1))`` at ``k + f`` node spacings
    ``c res`` (c = 1, or sqrt 2 on a diagonal). Rays from the pole are meridians: map distance ``2R tan(D / 2R)``."""
    rho = 2.0 * R_MOON * math.tan(reach_m / (2.0 * R_MOON))
    c = math.sqrt(2.0) if diagonal else 1.0
    k, f = divmod(rho / (c * RES_M), 1.0)
    z = c * c * BOWL_A_PER_M * RES_M**2 * (k * k + f * (2.0 * k + 1.0))
    th = reach_m / R_MOON
    rq, rp = R_MOON + z, R_MOON + OBSERVER_M
    return math.degrees(math.atan2(rq * math.cos(th) - rp, rq * math.sin(th)))


@pytest.mark.parametrize("scan_limit", [0, 8])
@pytest.mark.parametrize("reach_cells", CUT_REACH_CELLS)
def test_terrain_exactly_at_the_reach_is_seen(scan_limit: int, reach_cells: float) -> None:
    """The reach is a hard cut: on terrain that rises faster than the sphere falls away, the horizon is the terrain
    exactly at ``max_distance_m``, wherever that falls between the kernel's samples (near field, lines, far
    extension). Before 2026-12-01 the nearest sample short of it was taken (up to half a step: 0.14 deg here)."""
    z, x0, y0 = paraboloid()
    reach_m = reach_cells * RES_M
    hor, _ = horizon_map_cpu(
        z, x0, y0, RES_M, np.radians(CUT_AZ_DEG), OBSERVER_M, R_MOON, reach_m, [], window_scan_limit=scan_limit
    )
    got = np.degrees(hor[:, BOWL_N // 2, BOWL_N // 2].astype(np.float64))
    want = [cut_exact_deg(reach_m, diagonal=a % 90.0 != 0.0) for a in CUT_AZ_DEG]
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL_EXACT_DEG)


def test_reference_sees_the_terrain_exactly_at_the_reach() -> None:
    """The dense reference the kernel is validated against samples the cut point too (float64: 1e-6 deg)."""
    z, x0, y0 = paraboloid()
    for reach_cells in CUT_REACH_CELLS:
        reach_m = reach_cells * RES_M
        ref = horizon_reference(
            z, x0, y0, RES_M, np.radians(CUT_AZ_DEG), OBSERVER_M, R_MOON, reach_m, [], [(BOWL_N // 2, BOWL_N // 2)]
        )
        want = [cut_exact_deg(reach_m, diagonal=a % 90.0 != 0.0) for a in CUT_AZ_DEG]
        np.testing.assert_allclose(np.degrees(ref[:, 0]), want, rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def rough():
    dem = cratered_field(96, RES_M, n_craters=40, seed=11)
    z = np.ascontiguousarray(dem.values, dtype=np.float64)
    z[30, 40] = np.nan
    x0 = float(dem["x"].values[0]) - RES_M / 2
    y0 = float(dem["y"].values[0]) + RES_M / 2
    rng = np.random.default_rng(3)
    far = (rng.normal(0.0, 400.0, (120, 120)), x0 - 40e3, y0 + 40e3, 800.0)
    return z, x0, y0, [far]


@pytest.mark.parametrize(("reach_m", "radius_m"), [(3_000.0, R_MOON), (15_000.0, 6_371_000.0), (60_000.0, R_MOON)])
def test_window_scan_limit_does_not_change_the_map(rough, reach_m: float, radius_m: float) -> None:
    z, x0, y0, far = rough
    az = np.radians(np.arange(16) * 22.5 + 3.0)
    ref, ref_edge = horizon_map_cpu(z, x0, y0, RES_M, az, OBSERVER_M, radius_m, reach_m, far, window_scan_limit=0)
    assert np.isfinite(ref[:, 50, 50]).all()
    for limit in SCAN_LIMITS[1:]:
        got, edge = horizon_map_cpu(z, x0, y0, RES_M, az, OBSERVER_M, radius_m, reach_m, far, window_scan_limit=limit)
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(edge, ref_edge)


def test_a_reach_beyond_every_grid_costs_only_the_grids(rough) -> None:
    """A reach far beyond the grids (even ``inf``) is the same map as one just beyond them, and a line's workspace is
    sized by the grids' span, not by the reach (a 1e12 m reach once sized it at ~10^9 samples per thread; ``inf``
    raised OverflowError)."""
    z, x0, y0, far = rough
    az = np.radians([0.0, 75.0, 200.0, 301.0])
    want, want_edge = horizon_map_cpu(z, x0, y0, RES_M, az, OBSERVER_M, R_MOON, 1e7, far)
    for reach_m in (1e12, math.inf):
        got, edge = horizon_map_cpu(z, x0, y0, RES_M, az, OBSERVER_M, R_MOON, reach_m, far)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(edge, want_edge)
