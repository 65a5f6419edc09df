"""The vectorised near field and adaptive march (cells in lanes) against the per-cell exact segment march.

``near_row`` and ``march_cells`` run :func:`lupex.core.horizon.near.near_tan`'s formulas for many cells at once,
with the cells as the inner (vector) loop and selects instead of branches. Here they are compared cell by cell
with ``near_tan`` itself on rough random terrain: every octant of azimuths, a NaN node, cells near the edges
(whose rays leave the grid: the scalar path), an observer on the surface (the slope candidate), short reaches
(masked segments) and batches that do not fill the lanes. The accuracy of ``near_tan`` itself against the dense
reference is tested in ``test_horizon_kernel.py``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lupex.core.horizon.kernel import _azimuth_frame
from lupex.core.horizon.near import N_LANE_ROWS, MarchWork, march_cells, near_row, near_table, near_tan
from lupex.core.horizon.sampling import EMPTY_TAN, OUTSIDE, World, inv_scale, ray_exit_distance, sample_world

R_M = 1_737_400.0
RES_M = 240.0


def _terrain(seed: int, n_major: int, n_minor: int) -> np.ndarray:
    """Rough terrain [m]: a 150 m rms random surface on a 600 m bump, one NaN node."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n_major, 0:n_minor]
    zz = 600.0 * np.exp(-((x - n_minor / 2) ** 2 + (y - n_major / 2) ** 2) / (0.1 * n_major * n_minor))
    zz = zz + rng.normal(0.0, 150.0, zz.shape)
    zz[n_major // 3, n_minor // 2] = np.nan
    return np.ascontiguousarray(zz)


def _setup(az_deg: float, n_ext: int = 24) -> tuple:
    _rows_major, t, sm, geo = _azimuth_frame(math.radians(az_deg), -20_000.0, 20_000.0, RES_M)
    ds_grid = RES_M * math.sqrt(1.0 + t * t)
    tab = near_table(t, sm, ds_grid, 6, n_ext)
    return tab, geo


def _world(zz: np.ndarray) -> World:
    nan = np.full((1, 1), np.nan)
    return World(zz, -20_000.0, 20_000.0, RES_M, nan, nan, nan, np.zeros((3, 3)), 0)


def _cell(zz: np.ndarray, geo: np.ndarray, m: int, q: int, obs_h: float) -> tuple[float, float]:
    inv_k = inv_scale(geo[0] + geo[1] * m + geo[2] * q, geo[3] + geo[4] * m + geo[5] * q, R_M)
    return inv_k, zz[m, q] + obs_h


@pytest.mark.parametrize("az_deg", [0.0, 17.0, 45.0, 100.0, 180.0, 223.0, 270.0, 333.0])
@pytest.mark.parametrize(("obs_h", "reach_m"), [(2.0, 1e9), (0.0, 1e9), (2.0, 700.0)])
def test_near_row_equals_per_cell_near_tan(az_deg: float, obs_h: float, reach_m: float) -> None:
    zz = _terrain(1, 40, 37)
    tab, geo = _setup(az_deg)
    world = _world(zz)
    lanes = np.empty((N_LANE_ROWS, zz.shape[1]))
    for m in range(zz.shape[0]):
        out = np.empty(zz.shape[1] - 3)
        near_row(zz, m, 2, zz.shape[1] - 1, obs_h, R_M, reach_m, tab, geo, world, lanes, out)
        for q in range(2, zz.shape[1] - 1):
            if math.isnan(zz[m, q]):
                continue  # a NaN cell has no horizon (the kernel outputs NaN without using its near field)
            inv_k, zp = _cell(zz, geo, m, q, obs_h)
            ref = near_tan(zz, m, q, zp, inv_k, R_M, reach_m, tab, 0, tab.nn, geo, world)
            assert out[q - 2] == pytest.approx(ref, rel=1e-12, abs=1e-15), (m, q)


@pytest.mark.parametrize("az_deg", [3.0, 45.0, 136.0, 200.0, 301.0])
@pytest.mark.parametrize("n_lanes", [1, 8, 32])
def test_march_cells_equals_per_cell_near_tan(az_deg: float, n_lanes: int) -> None:
    zz = _terrain(2, 48, 45)
    tab, geo = _setup(az_deg, n_ext=30)
    world = _world(zz)
    rng = np.random.default_rng(3)
    mlo, qlo = 1, 2
    shape = (zz.shape[0] - 2, zz.shape[1] - 3)
    # about a third of the window queued, reaches from inside the near field to beyond the table
    reach = np.where(rng.random(shape) < 0.35, rng.uniform(100.0, 40 * RES_M, shape), 0.0)
    near = rng.normal(0.0, 0.05, shape)
    out = np.full(shape, 7.0)
    lv = np.empty((N_LANE_ROWS, n_lanes))
    cells = np.empty((4, n_lanes), dtype=np.int64)
    count = np.empty(tab.nn_ext + 2, dtype=np.int64)
    order = np.empty(reach.size, dtype=np.int64)
    n_seg = np.empty(shape, dtype=np.int64)
    work = MarchWork(lv, cells, count, order, n_seg)
    march_cells(zz, mlo, qlo, reach, near, out, 2.0, R_M, tab, geo, world, work)
    n_checked = 0
    for mw in range(shape[0]):
        for qw in range(shape[1]):
            m, q = mlo + mw, qlo + qw
            if not reach[mw, qw] > 0.0:
                assert out[mw, qw] == 7.0  # untouched
                continue
            inv_k, zp = _cell(zz, geo, m, q, 2.0)
            ext = near_tan(zz, m, q, zp, inv_k, R_M, reach[mw, qw], tab, tab.nn, tab.nn_ext, geo, world)
            ref = max(near[mw, qw], ext)
            assert out[mw, qw] == pytest.approx(ref, rel=1e-12, abs=1e-15), (m, q)
            n_checked += 1
    assert n_checked > 100


def test_lanes_report_empty_when_nothing_is_in_reach() -> None:
    zz = _terrain(4, 30, 30)
    tab, geo = _setup(30.0)
    lanes = np.empty((N_LANE_ROWS, zz.shape[1]))
    out = np.empty(zz.shape[1])
    near_row(zz, 15, 0, zz.shape[1], 2.0, R_M, 0.0, tab, geo, _world(zz), lanes, out)
    assert np.all(out == EMPTY_TAN)
    # a reach of 1 m is cut inside the first segment: the terrain there is seen, as near_tan sees it
    near_row(zz, 15, 0, zz.shape[1], 2.0, R_M, 1.0, tab, geo, _world(zz), lanes, out)
    for q in range(zz.shape[1]):
        if math.isfinite(zz[15, q]):
            inv_k, zp = _cell(zz, geo, 15, q, 2.0)
            ref = near_tan(zz, 15, q, zp, inv_k, R_M, 1.0, tab, 0, tab.nn, geo, _world(zz))
            assert out[q] == pytest.approx(ref, rel=1e-12, abs=1e-15), q
    inner = np.isfinite(zz[15, 2:-2])  # cells whose 1 m ray stays inside the grid
    assert np.all(out[2:-2][inner] > EMPTY_TAN)


_BOUNDS_SCRIPT = """
import math, numpy as np
from lupex.core.horizon.kernel import _azimuth_frame
from lupex.core.horizon.near import N_LANE_ROWS, MarchWork, march_cells, near_row, near_table
from lupex.core.horizon.sampling import World
res = 240.0
rows_major, t, sm, geo = _azimuth_frame(math.radians(60.0), 0.0, 0.0, res)
tab = near_table(t, sm, res * math.sqrt(1 + t * t), 6, 60)
zz = np.random.default_rng(0).normal(0.0, 100.0, (70, 70))
nan = np.full((1, 1), np.nan)
world = World(zz, 0.0, 0.0, res, nan, nan, nan, np.zeros((3, 3)), 0)
reach = np.zeros(zz.shape)
# two cells in one batch: one near the edge the ray runs to (a short march), one far from it (a long one)
near_end = 61 if sm > 0 else 8  # major index 9 steps before the edge the rays run to
reach[near_end, 35] = 8 * res
reach[near_end - sm, 30] = 9 * res
reach[near_end - 40 * sm, 35] = 50 * res
lv = np.empty((N_LANE_ROWS, 32))
out = np.zeros(zz.shape)
work = MarchWork(lv, np.empty((4, 32), dtype=np.int64), np.empty(tab.nn_ext + 2, dtype=np.int64),
                 np.empty(reach.size, dtype=np.int64), np.empty(zz.shape, dtype=np.int64))
march_cells(zz, 0, 0, reach, np.zeros(zz.shape), out, 2.0, 1737400.0, tab, geo, world, work)
lanes = np.empty((N_LANE_ROWS, 70))
for m in range(70):
    near_row(zz, m, 0, 70, 2.0, 1737400.0, 1e9, tab, geo, world, lanes, np.empty(70))
print("ok")
"""


def test_lanes_read_only_inside_the_grid(tmp_path: Path) -> None:
    """With numba's bounds checks on (a fresh cache), the lanes never index outside the grid, also when a batch
    mixes a short march near the edge its ray runs to with a long one (its gathers past its own reach)."""
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", _BOUNDS_SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


@pytest.mark.parametrize("az_deg", [0.0, 30.0, 90.0, 135.0, 200.0, 270.0, 310.0])
def test_ray_exit_distance_against_sampling_along_the_ray(az_deg: float) -> None:
    """Beyond ``ray_exit_distance`` no grid covers the ray (``sample_world`` says OUTSIDE at every point sampled every
    10 m); just before it, one does. Grids: the main one, a coarse far field around it and a far field off to the
    side that the ray may enter after leaving the others (or never)."""
    zz = np.zeros((40, 30))
    big = np.zeros((30, 30))
    side = np.zeros((10, 10))
    fgeo = np.array([[-40_000.0, 40_000.0, 2_000.0], [20_000.0, 40_000.0, 1_000.0], [0.0, 0.0, 1.0]])
    world = World(zz, -3_000.0, 4_000.0, RES_M, big, side, np.full((1, 1), np.nan), fgeo, 2)
    dx, dy = math.sin(math.radians(az_deg)), math.cos(math.radians(az_deg))
    for x, y in [(-1_000.0, 1_000.0), (3_000.0, -4_000.0), (0.0, 0.0)]:
        s_exit = ray_exit_distance(x, y, dx, dy, world)
        beyond = s_exit + 10.0 * np.arange(1, 12_000)
        assert all(sample_world(x + s * dx, y + s * dy, world)[1] == OUTSIDE for s in beyond)
        assert sample_world(x + (s_exit - 1.0) * dx, y + (s_exit - 1.0) * dy, world)[1] != OUTSIDE
