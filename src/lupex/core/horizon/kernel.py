"""The horizon kernel's driver: azimuths in parallel, each covered by sheared lines; the public entry point."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from lupex.core.horizon.hull import line_work
from lupex.core.horizon.near import N_LANE_ROWS, MarchWork, march_cells, near_row, near_table
from lupex.core.horizon.sampling import FASTMATH, World
from lupex.core.horizon.sweep import EMPTY_MARK, Azimuth, Settings, Views, sweep_line

__all__ = [
    "DEFAULT_ADAPTIVE_MARGIN",
    "DEFAULT_ADAPTIVE_STEPS",
    "DEFAULT_ADAPTIVE_TOL",
    "DEFAULT_NEAR_SAMPLES",
    "DEFAULT_NEAR_SUBSTEPS",
    "DEFAULT_WINDOW_SCAN_LIMIT",
    "MAX_FAR_FIELDS",
    "FarField",
    "check_horizon_inputs",
    "horizon_map_cpu",
    "pack_far_fields",
]

#: Maximum number of far-field grids accepted by the kernel.
MAX_FAR_FIELDS = 3
#: Default number of near samples computed directly along each cell's exact ray.
DEFAULT_NEAR_SAMPLES = 6
#: Default number of near samples per major step (bilinear between grid rows).
DEFAULT_NEAR_SUBSTEPS = 2
#: Default reach [major steps] of the adaptive direct march where the bracketing lines disagree.
DEFAULT_ADAPTIVE_STEPS = 96
#: Default disagreement [tan elevation] of the two bracketing lines that triggers the direct march.
DEFAULT_ADAPTIVE_TOL = 0.002
#: Default relative margin of the adaptive march window around the two lines' tangent points.
DEFAULT_ADAPTIVE_MARGIN = 0.1

#: Exact window scans a line makes (where its all-sample hull's tangent point lies beyond the reach) before it
#: opens its sliding window (:mod:`lupex.core.horizon.hull`); a performance setting, the results do not depend on it.
DEFAULT_WINDOW_SCAN_LIMIT = 8

#: Cells marched at once (lanes) by the adaptive march.
MARCH_LANES = 32

FarField = tuple[NDArray[np.floating], float, float, float]


@numba.njit(cache=True, fastmath=FASTMATH)
def _azimuth_frame(az: float, x0: float, y0: float, res: float) -> tuple[bool, float, int, NDArray[np.float64]]:
    """Major axis, minor/major ratio ``t``, major step sign and the (major, minor) -> map affine of an azimuth."""
    sa = math.sin(az)
    ca = math.cos(az)
    geo = np.empty(6)
    geo[0] = x0 + 0.5 * res
    geo[3] = y0 - 0.5 * res
    rows_major = abs(ca) >= abs(sa)
    if rows_major:
        # major axis = rows (row index grows toward -y), minor = columns
        sm = 1 if ca < 0.0 else -1
        t = sa / abs(ca)
        geo[1], geo[2], geo[4], geo[5] = 0.0, res, -res, 0.0
    else:
        # major axis = columns (grow toward +x), minor = rows
        sm = 1 if sa > 0.0 else -1
        t = -ca / abs(sa)
        geo[1], geo[2], geo[4], geo[5] = res, 0.0, 0.0, -res
    if abs(t) < 1e-12:
        t = 0.0
    return rows_major, t, sm, geo


@numba.njit(cache=True, parallel=True, fastmath=FASTMATH)
def _horizon_kernel(
    world: Any,
    zt: NDArray[np.float64],
    azimuths: NDArray[np.float64],
    cfg: Any,
    cap: int,
    win: NDArray[np.int64],
    out: NDArray[np.float32],
    edge: NDArray[np.uint8],
    edge_t: NDArray[np.uint8],
    n_chunks: int,
) -> None:
    """Parallel (over azimuths) driver: fills ``out`` [rad] for the window ``win`` = (i0, i1, j0, j1) of the
    grid; ORs the edge flags into ``edge``/``edge_t`` (row-major / column-major azimuths, window-shaped).

    The azimuths are dealt to ``n_chunks`` chunks (one per thread; chunk ``c`` takes azimuths ``c, c + n_chunks,
    ...``), each with its own window-sized scratch reused from azimuth to azimuth (fresh arrays per azimuth were
    faulted in again each time; reusing them measured ~2 % faster)."""
    ny, nx = world.z.shape
    wy = win[1] - win[0]
    wx = win[3] - win[2]
    for c in numba.prange(n_chunks):
        f_scr = np.empty((2, wy * wx))
        i_scr = np.empty((2, wy * wx), dtype=np.int64)
        # the near-field tangents are kept in float32: the output is float32 and rounding commutes with max
        scratch = (
            f_scr[0], np.empty(wy * wx, dtype=np.float32), f_scr[1], i_scr[0], i_scr[1],
            np.empty(wy * wx, dtype=np.float32),
            np.empty((N_LANE_ROWS, max(ny, nx))), np.empty((N_LANE_ROWS, MARCH_LANES)),
            np.empty((4, MARCH_LANES), dtype=np.int64), np.empty(2 * max(cfg.nnear, cfg.ext_steps) + 4, dtype=np.int64),
        )  # fmt: skip
        w = line_work(cap, max(ny, nx))
        hints = np.zeros(4, dtype=np.int64)  # previous tangent indices: (back, front) per side
        for a in range(c, azimuths.shape[0], n_chunks):
            _one_azimuth(world, zt, azimuths[a], cfg, win, out[a], edge, edge_t, scratch, w, hints)


@numba.njit(cache=True, fastmath=FASTMATH)
def _one_azimuth(
    world: Any,
    zt: NDArray[np.float64],
    azimuth: float,
    cfg: Any,
    win: NDArray[np.int64],
    oa: NDArray[np.float32],
    edge: NDArray[np.uint8],
    edge_t: NDArray[np.uint8],
    scratch: Any,
    w: Any,
    hints: NDArray[np.int64],
) -> None:
    """One azimuth of :func:`_horizon_kernel` into ``oa`` [rad]: the near fields, the lines, the queued marches."""
    z = world.z
    ny, nx = z.shape
    i0, i1, j0, j1 = win[0], win[1], win[2], win[3]
    wy = i1 - i0
    wx = j1 - j0
    rows_major, t, sm, geo = _azimuth_frame(azimuth, world.x0, world.y0, world.res)
    n_major, n_minor = (ny, nx) if rows_major else (nx, ny)
    m0 = 0 if sm > 0 else n_major - 1
    ds_grid = world.res * math.sqrt(1.0 + t * t)
    tab = near_table(t, sm, ds_grid, cfg.nnear, cfg.ext_steps)
    az = Azimuth(t, sm, m0, ds_grid, geo, tab)
    oo = oa if rows_major else scratch[5].reshape((wx, wy))
    oo[:, :] = EMPTY_MARK  # "no bracketing line has served this cell yet"
    mlo, mhi, qlo, qhi = (i0, i1, j0, j1) if rows_major else (j0, j1, i0, i1)
    shape = (mhi - mlo, qhi - qlo)
    dd = scratch[0].reshape(shape)  # tangent-point distance [m] of the line that served a cell first
    dd[:, :] = np.inf
    zz = z if rows_major else zt
    nb = scratch[1].reshape(shape)  # near-field tangents of the window's cells
    mr = scratch[2].reshape(shape)  # reach [m] of the cells' adaptive march (0: none)
    mr[:, :] = 0.0
    for m in range(mlo, mhi):
        near_row(zz, m, qlo, qhi, cfg.obs_h, cfg.radius, cfg.max_dist, tab, geo, world, scratch[6], nb[m - mlo])
    v = Views(zz, oo, edge if rows_major else edge_t, dd, nb, mr, mlo, mhi, qlo, qhi)
    span = t * (n_major - 1)
    bmin = int(math.floor(min(0.0, -span))) - 2
    bmax = int(math.floor(n_minor - 1 + max(0.0, -span))) + 2
    for b in range(bmin, bmax + 1):
        sweep_line(v, b, az, cfg, world, w, hints)
    work = MarchWork(scratch[7], scratch[8], scratch[9], scratch[3], scratch[4].reshape(shape))
    march_cells(zz, mlo, qlo, mr, nb, oo, cfg.obs_h, cfg.radius, tab, geo, world, work)
    for i in range(wy):
        for j in range(wx):
            oa[i, j] = math.atan(oo[i, j] if rows_major else oo[j, i])


def pack_far_fields(
    far_fields: Sequence[FarField],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], int]:
    """Pack up to three far-field grids into the fixed-arity form the kernels take.

    Parameters
    ----------
    far_fields
        Sequence of ``(z_far [m], x0_far [m], y0_far [m], res_far [m])``, ordered fine to coarse.

    Returns
    -------
    f0, f1, f2, fgeo, nfar
        Three float64 C-contiguous height arrays [m] (1x1 NaN placeholders where unused), a
        (3, 3) array of ``x0, y0, res`` [m] per grid, and the number of grids used.
    """
    if len(far_fields) > MAX_FAR_FIELDS:
        raise ValueError(f"at most {MAX_FAR_FIELDS} far-field grids are supported, got {len(far_fields)}")
    arrays: list[NDArray[np.float64]] = []
    fgeo = np.zeros((MAX_FAR_FIELDS, 3), dtype=np.float64)
    for g, (zf, fx0, fy0, fres) in enumerate(far_fields):
        a = np.ascontiguousarray(zf, dtype=np.float64)
        if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
            raise ValueError("far-field grids must be non-empty 2-D arrays")
        if not fres > 0.0:
            raise ValueError("far-field resolution must be positive")
        arrays.append(a)
        fgeo[g] = (float(fx0), float(fy0), float(fres))
    nfar = len(arrays)
    while len(arrays) < MAX_FAR_FIELDS:
        arrays.append(np.full((1, 1), np.nan))
    return arrays[0], arrays[1], arrays[2], fgeo, nfar


def check_horizon_inputs(zz: NDArray[np.float64], res: float, body_radius_m: float, max_distance_m: float) -> None:
    """Refuse an empty grid or a non-positive pixel [m], body radius [m] or reach [m] (``ValueError``); shared by
    the CPU and CUDA horizon kernels."""
    if zz.ndim != 2 or zz.shape[0] < 1 or zz.shape[1] < 1:
        raise ValueError("z must be a non-empty 2-D array")
    if not res > 0.0:
        raise ValueError("res must be positive")
    if not body_radius_m > 0.0:
        raise ValueError("body_radius_m must be positive")
    if not max_distance_m > 0.0:
        raise ValueError("max_distance_m must be positive")


def horizon_map_cpu(
    z: NDArray[np.floating],
    x0: float,
    y0: float,
    res: float,
    azimuths_rad: NDArray[np.floating] | Sequence[float],
    observer_height_m: float,
    body_radius_m: float,
    max_distance_m: float,
    far_fields: Sequence[FarField] = (),
    near_samples: int = DEFAULT_NEAR_SAMPLES,
    near_substeps: int = DEFAULT_NEAR_SUBSTEPS,
    adaptive_steps: int = DEFAULT_ADAPTIVE_STEPS,
    adaptive_tol: float = DEFAULT_ADAPTIVE_TOL,
    adaptive_margin: float = DEFAULT_ADAPTIVE_MARGIN,
    window: tuple[int, int, int, int] | None = None,
    window_scan_limit: int = DEFAULT_WINDOW_SCAN_LIMIT,
    out: NDArray[np.float32] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Horizon elevation angles of every DEM cell for a set of azimuths (CPU, numba parallel).

    Parameters
    ----------
    z
        Heights [m] relative to the sphere, shape (ny, nx); row 0 northern-most, column 0
        western-most. NaN cells are treated as missing terrain (their own output is NaN).
    x0, y0
        Map coordinates of the upper-left grid corner [m] (south polar stereographic).
    res
        Square pixel size [m].
    azimuths_rad
        Azimuths [rad], clockwise from grid north (+y) toward +x.
    observer_height_m
        Observer height above the terrain at each cell centre [m].
    body_radius_m
        Radius of the spherical body [m] (Moon: 1737400).
    max_distance_m
        Maximum along-ground distance [m] of terrain considered along each ray.
    far_fields
        Up to three ``(z_far [m], x0_far [m], y0_far [m], res_far [m])`` grids in the same CRS,
        ordered fine to coarse; used where the ray leaves the main DEM.
    near_samples
        Number of major-axis steps along each cell's exact ray evaluated directly (exact for the
        bilinear surface, exact geometry) before the convex-hull sweep takes over (delayed insertion).
    near_substeps
        Ignored (kept for compatibility): the near field is exact for the bilinear surface.
    adaptive_steps
        Reach [major steps] of the direct march of the cell's own ray used where the two bracketing
        lines disagree.
    adaptive_tol
        Disagreement [tan of elevation] of the two bracketing lines above which the cell's own ray
        is marched directly (``math.inf`` disables the march: faster, less accurate on steep terrain).
    adaptive_margin
        Relative margin beyond the farther tangent point to which the direct march extends.
    window
        ``(i0, i1, j0, j1)``: compute only the cells of rows ``i0:i1`` and columns ``j0:j1`` (a tile; the rest of
        the grid is terrain they see). Only the lines that cross the window are swept, from their far end to the
        window, so a tile costs its own cells plus those lines; the result is bit-identical to that window of the
        whole map. Default: the whole grid.
    window_scan_limit
        Performance setting: exact scans of the reach a line makes (where the tangent point of the hull of all its
        samples lies beyond ``max_distance_m``) before it keeps a sliding window of the reach instead (0 or less: from
        the start). The result is the same whatever the value (up to ties between samples of equal elevation;
        tested in tests/core/test_horizon_reach.py).
    out
        Optional C-contiguous float32 array of the result's shape (n_az and the window's rows and columns) to
        write the horizon into (e.g. a slice of a larger map, saving a copy); returned as ``horizon_rad``.

    Returns
    -------
    horizon_rad
        float32 array (n_az, ny, nx) of horizon elevation angles [rad] above the local horizontal (the
        window's shape when ``window`` is given); -pi/2 where no terrain at all lies along the ray.
    edge_limited
        bool array (ny, nx) (or the window's shape): True where, for at least one azimuth, the available
        terrain ended before ``max_distance_m``.
    """
    zz = np.ascontiguousarray(z, dtype=np.float64)
    check_horizon_inputs(zz, res, body_radius_m, max_distance_m)
    if near_samples < 1 or near_substeps < 1:
        raise ValueError("near_samples and near_substeps must be >= 1")
    az = np.ascontiguousarray(np.atleast_1d(np.asarray(azimuths_rad, dtype=np.float64)))
    f0, f1, f2, fgeo, nfar = pack_far_fields(far_fields)
    world = World(zz, float(x0), float(y0), float(res), f0, f1, f2, fgeo, nfar)
    cfg = Settings(
        int(near_samples),
        float(observer_height_m),
        float(body_radius_m),
        float(max_distance_m),
        max(int(adaptive_steps), int(near_samples)),
        float(adaptive_tol),
        float(adaptive_margin),
        max(int(window_scan_limit), 0),
        *_cut_angle(float(max_distance_m), float(body_radius_m)),
    )
    win = _window(window, zz.shape)
    wy, wx = int(win[1] - win[0]), int(win[3] - win[2])
    out = _output_array(out, (az.shape[0], wy, wx))
    edge = np.zeros((wy, wx), dtype=np.uint8)
    edge_t = np.zeros((wx, wy), dtype=np.uint8)
    if az.shape[0] > 0:
        zt = np.ascontiguousarray(zz.T)
        cap = _line_capacity(world, float(body_radius_m), float(max_distance_m))
        n_chunks = min(numba.get_num_threads(), az.shape[0])
        _horizon_kernel(world, zt, az, cfg, cap, win, out, edge, edge_t, n_chunks)
    return out, (edge | edge_t.T).astype(bool)


def _cut_angle(max_distance_m: float, body_radius_m: float) -> tuple[float, float]:
    """(cos, sin) of the reach's central angle ``max_distance_m / body_radius_m`` [rad], at most pi."""
    ang = min(max_distance_m / body_radius_m, math.pi)
    return math.cos(ang), math.sin(ang)


def _output_array(out: NDArray[np.float32] | None, shape: tuple[int, int, int]) -> NDArray[np.float32]:
    """``out`` checked to be a C-contiguous float32 array of ``shape``, or a new one when None."""
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if not isinstance(out, np.ndarray) or out.dtype != np.float32 or out.shape != shape:
        got = f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(f"out must be a float32 array of shape {shape} (azimuths, rows, columns), not {got}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable (e.g. a slice out[a0:a1] of a C-ordered map)")
    return out


def _window(window: tuple[int, int, int, int] | None, shape: tuple[int, ...]) -> NDArray[np.int64]:
    """The output window ``(i0, i1, j0, j1)`` as an int64 array, checked to be a non-empty part of ``shape``."""
    ny, nx = shape
    if window is None:
        return np.array([0, ny, 0, nx], dtype=np.int64)
    i0, i1, j0, j1 = (int(v) for v in window)
    if not (0 <= i0 < i1 <= ny and 0 <= j0 < j1 <= nx):
        raise ValueError(f"window {tuple(window)} must be (i0, i1, j0, j1), 0 <= i0 < i1 <= {ny}, 0 <= j0 < j1 <= {nx}")
    return np.array([i0, i1, j0, j1], dtype=np.int64)


def _line_capacity(world: Any, body_radius_m: float, max_distance_m: float) -> int:
    """Samples a line can hold: 3 per major step plus the far extension, which ends at the reach or where no grid
    covers the line any more (so a reach far beyond the grids, even ``inf``, allocates no more than the grids' span
    needs), plus the sample beyond the reach kept for the cut. The extension samples every half pixel (of the finest
    grid at most) and every crossing of the covering grid's centre lines (at most sqrt(2) per pixel), and the end of
    each seam band: at most 4 per finest pixel plus 2 per grid."""
    finest = min([world.res, *[float(world.fgeo[g, 2]) for g in range(world.nfar)]])
    # grid distance >= ground distance; k <= 1 + rho^2/(4R^2) with rho bounded by all grids' extents
    rho = 0.0
    xs: list[float] = []
    ys: list[float] = []
    grids = [(world.z.shape, world.x0, world.y0, world.res)]
    for g, a in enumerate((world.f0, world.f1, world.f2)[: world.nfar]):
        grids.append((a.shape, float(world.fgeo[g, 0]), float(world.fgeo[g, 1]), float(world.fgeo[g, 2])))
    for (gny, gnx), gx0, gy0, gres in grids:
        for xx in (gx0, gx0 + gnx * gres):
            for yy in (gy0, gy0 - gny * gres):
                rho = max(rho, math.hypot(xx, yy))
                xs.append(xx)
                ys.append(yy)
    k_max = 1.0 + rho**2 / (4.0 * body_radius_m**2)
    span_m = math.hypot(max(xs) - min(xs), max(ys) - min(ys))  # no line runs farther on the map within the grids
    ext_cap = int(math.ceil(4.0 * min(max_distance_m * k_max, span_m) / finest)) + 16
    return 3 * max(world.z.shape) + ext_cap + 5
