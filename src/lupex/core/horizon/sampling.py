"""Terrain sampling for the horizon kernel: the bilinear surface of the main DEM and its far fields.

A grid covers the rectangle between its outermost cell centres (no edge extrapolation). The terrain is
bundled in a :data:`World` (main grid and up to three far-field grids), lines are addressed in the
(major, minor) index frame of one azimuth, mapped to map coordinates by a 6-element affine ``geo``:
``x = geo[0] + geo[1] m + geo[2] q``, ``y = geo[3] + geo[4] m + geo[5] q``.

All quantities are SI: heights and distances [m].
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EMPTY_TAN",
    "HOLE",
    "OK",
    "OUTSIDE",
    "World",
    "band_end",
    "bilinear_clamped",
    "inv_scale",
    "line_height",
    "next_kink",
    "ray_exit_distance",
    "ray_height",
    "sample_world",
    "split",
]

# Status codes of the world sampler.
OK = 0
HOLE = 1
OUTSIDE = 2
# Tangent value used for "no terrain" (atan -> -pi/2).
EMPTY_TAN = -1.0e20
# Tolerance [cell indices] of the "between the outermost cell centres" test (rounding of map coordinates).
EPS_IDX = 1e-9

# fastmath without nnan/ninf: NaN tests must survive optimisation.
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

# Helpers run without NRT reference counting: passing arrays to a compiled helper otherwise costs
# an atomic incref/decref per array per call, which dominated the run time.
HELPER_OPTS: dict[str, Any] = {"cache": True, "fastmath": FASTMATH, "_nrt": False}
helper = numba.njit(**HELPER_OPTS)
#: Hot helpers that take bundles (namedtuples of arrays) are inlined at numba IR level: a bundle passed to a
#: compiled call is copied onto the stack by value (8 words per array), which tripled the kernel's time.
inline_helper = numba.njit(inline="always", **HELPER_OPTS)
#: Loops over lanes (cells as the inner loop) use numpy's error model: a division by zero gives inf / NaN (masked
#: by the lane's selects) instead of a ZeroDivisionError check, whose branch keeps LLVM from vectorising.
lane_helper = numba.njit(error_model="numpy", **HELPER_OPTS)
inline_lane_helper = numba.njit(inline="always", error_model="numpy", **HELPER_OPTS)

#: The terrain of one kernel call: the main grid ``z`` [m] with its upper-left corner ``x0, y0`` [m] and
#: pixel ``res`` [m], and up to three far-field grids ``f0, f1, f2`` (1x1 NaN where unused) with
#: ``fgeo[g] = (x0, y0, res)`` [m] and ``nfar`` in use, ordered fine to coarse.
World = namedtuple("World", ["z", "x0", "y0", "res", "f0", "f1", "f2", "fgeo", "nfar"])


@helper
def bilinear_clamped(g: NDArray[np.float64], ri: float, cj: float) -> float:
    """Bilinear value of ``g`` at fractional (row, col) index, clamped to the cell-centre range.

    Returns NaN when a corner with non-zero weight is NaN.
    """
    ny, nx = g.shape
    if ri < 0.0:
        ri = 0.0
    elif ri > ny - 1.0:
        ri = ny - 1.0
    if cj < 0.0:
        cj = 0.0
    elif cj > nx - 1.0:
        cj = nx - 1.0
    i0 = int(ri)
    j0 = int(cj)
    if i0 > ny - 2:
        i0 = max(ny - 2, 0)
    if j0 > nx - 2:
        j0 = max(nx - 2, 0)
    fi = ri - i0
    fj = cj - j0
    v = 0.0
    w = (1.0 - fi) * (1.0 - fj)
    if w > 0.0:
        a = g[i0, j0]
        if math.isnan(a):
            return math.nan
        v += w * a
    if fj > 0.0:
        w = (1.0 - fi) * fj
        if w > 0.0:
            a = g[i0, j0 + 1]
            if math.isnan(a):
                return math.nan
            v += w * a
    if fi > 0.0:
        w = fi * (1.0 - fj)
        if w > 0.0:
            a = g[i0 + 1, j0]
            if math.isnan(a):
                return math.nan
            v += w * a
        w = fi * fj
        if w > 0.0:
            a = g[i0 + 1, j0 + 1]
            if math.isnan(a):
                return math.nan
            v += w * a
    return v


@helper
def _covers(
    gx0: float, gy0: float, gres: float, shape: tuple[int, int], x: float, y: float
) -> tuple[bool, float, float]:
    """Whether grid (corner ``gx0, gy0``, pixel ``gres``) covers (x, y), and the fractional (row, col)."""
    gny, gnx = shape
    cj = (x - gx0) / gres - 0.5
    ri = (gy0 - y) / gres - 0.5
    inside = -EPS_IDX <= cj <= gnx - 1.0 + EPS_IDX and -EPS_IDX <= ri <= gny - 1.0 + EPS_IDX
    return inside, ri, cj


@inline_helper
def _level(world: Any, k: int) -> tuple[NDArray[np.float64], float, float, float]:
    """Grid ``k`` of ``world`` (0: the main DEM, 1..3: the far fields) with its corner ``x0, y0`` and pixel [m]."""
    if k == 0:
        return world.z, world.x0, world.y0, world.res
    fgeo = world.fgeo
    a = world.f0 if k == 1 else (world.f1 if k == 2 else world.f2)
    return a, fgeo[k - 1, 0], fgeo[k - 1, 1], fgeo[k - 1, 2]


@inline_helper
def _rectangle(world: Any, k: int) -> tuple[float, float, float, float]:
    """The rectangle between the outermost cell centres of grid ``k`` of ``world``: xmin, xmax, ymin, ymax [m]."""
    a, gx0, gy0, gres = _level(world, k)
    ny, nx = a.shape
    return gx0 + 0.5 * gres, gx0 + (nx - 0.5) * gres, gy0 - (ny - 0.5) * gres, gy0 - 0.5 * gres


@inline_helper
def _seam_shift(world: Any, k: int, x: float, y: float) -> tuple[float, bool]:
    """Shift [m] of grid ``k``'s surface (a far field) at map point (x, y) [m] just beyond grid ``k - 1``'s rectangle,
    and whether the point lies in that seam band: ``(1 - delta/res) (z_{k-1}(c) - z_k(c))`` for ``delta < res``, with
    ``c`` the nearest point of the rectangle, ``delta = max(|x - c_x|, |y - c_y|)`` [m] and ``res`` grid ``k``'s pixel
    [m], so that the terrain is continuous across the seam (0 where either height at ``c`` is NaN). The band ends
    where the rectangle grown by ``res`` does (:func:`band_end`)."""
    xmin, xmax, ymin, ymax = _rectangle(world, k - 1)
    cx = min(max(x, xmin), xmax)
    cy = min(max(y, ymin), ymax)
    coarse, gx0, gy0, gres = _level(world, k)
    delta = max(abs(x - cx), abs(y - cy))
    if delta >= gres:
        return 0.0, False
    inside, ri, cj = _covers(gx0, gy0, gres, coarse.shape, cx, cy)
    if not inside:
        return 0.0, True
    fine, fx0, fy0, fres = _level(world, k - 1)
    dz = bilinear_clamped(fine, (fy0 - cy) / fres - 0.5, (cx - fx0) / fres - 0.5) - bilinear_clamped(coarse, ri, cj)
    if math.isnan(dz):
        return 0.0, True
    return (1.0 - delta / gres) * dz, True


@inline_helper
def band_end(x: float, y: float, dx: float, dy: float, world: Any, k: int) -> float:
    """Parameter ``s > 0`` at which the line ``(x, y) + s (dx, dy)`` [m] leaves the seam band of far-field level
    ``k`` (grid ``k - 1``'s rectangle grown by grid ``k``'s pixel: the surface has a kink there); ``inf`` if not
    ahead."""
    xmin, xmax, ymin, ymax = _rectangle(world, k - 1)
    grow = _level(world, k)[3]
    s_end = math.inf
    for p, d, lo, hi in ((x, dx, xmin, xmax), (y, dy, ymin, ymax)):
        if d > 0.0:
            s_end = min(s_end, (hi + grow - p) / d)
        elif d < 0.0:
            s_end = min(s_end, (lo - grow - p) / d)
    return s_end if s_end > 0.0 else math.inf


@helper
def sample_world(x: float, y: float, world: Any) -> tuple[float, int, float, int]:
    """Terrain height [m] at map point (x, y) [m]: main DEM first, then far fields.

    A far field's surface is shifted to meet the finer grid's at their seam, the shift fading over one of its
    pixels (:func:`_seam_shift`). Returns ``(height, status, res_sample, level)``: status :data:`OK`, :data:`HOLE`
    (covered but NaN) or :data:`OUTSIDE` every grid; ``res_sample`` [m] is the pixel size of the first grid covering
    the point (0 when outside all), or the finer grid's within a seam band, the scale at which the surface varies
    there; ``level`` the grid whose height it is (0 the main DEM, ``k`` far field ``k - 1``; -1 where none).
    """
    inside, ri, cj = _covers(world.x0, world.y0, world.res, world.z.shape, x, y)
    if inside:
        v = bilinear_clamped(world.z, ri, cj)
        if math.isnan(v):
            return math.nan, HOLE, world.res, -1
        return v, OK, world.res, 0
    res_cover = 0.0
    for k in range(1, world.nfar + 1):
        a, gx0, gy0, gres = _level(world, k)
        inside, ri, cj = _covers(gx0, gy0, gres, a.shape, x, y)
        if inside:
            if res_cover == 0.0:
                res_cover = gres
            v = bilinear_clamped(a, ri, cj)
            if not math.isnan(v):
                shift, band = _seam_shift(world, k, x, y)
                return v + shift, OK, (_level(world, k - 1)[3] if band else gres), k
    if res_cover > 0.0:
        return math.nan, HOLE, res_cover, -1
    return math.nan, OUTSIDE, 0.0, -1


@helper
def ray_exit_distance(x: float, y: float, dx: float, dy: float, world: Any) -> float:
    """Map distance [m] along the ray ``(x, y) + s (dx, dy)`` ([m], unit direction, ``s >= 0``) beyond which no grid
    of ``world`` covers it: the largest distance at which it leaves one of the grids' rectangles (between their
    outermost cell centres); 0 when it meets none."""
    far = 0.0
    for k in range(world.nfar + 1):
        a, gx0, gy0, gres = _level(world, k)
        shape = a.shape
        s_in = 0.0
        s_out = math.inf
        for p, d, lo, hi in (
            (x, dx, gx0 + 0.5 * gres, gx0 + (shape[1] - 0.5) * gres),
            (y, dy, gy0 - (shape[0] - 0.5) * gres, gy0 - 0.5 * gres),
        ):
            if d == 0.0:
                if p < lo or p > hi:
                    s_out = -1.0  # parallel to this slab and outside it
            else:
                s1 = (lo - p) / d
                s2 = (hi - p) / d
                s_in = max(s_in, min(s1, s2))
                s_out = min(s_out, max(s1, s2))
        if s_out >= s_in:
            far = max(far, s_out)
    return far


@inline_helper
def next_kink(x: float, y: float, dx: float, dy: float, world: Any, k: int) -> float:
    """Parameter ``s > 0`` at which the line ``(x, y) + s (dx, dy)`` [m] next crosses a line through the cell centres
    of grid ``k`` of ``world`` (a kink of its bilinear surface); ``inf`` if it never does."""
    _a, gx0, gy0, gres = _level(world, k)
    s_next = math.inf
    for p, d, c0 in ((x, dx, gx0 + 0.5 * gres), (y, dy, gy0 - 0.5 * gres)):  # the lines are c0 + j gres
        if abs(d) > 1e-12 * gres:
            u = (p - c0) / gres
            j = math.floor(u + 1e-9) + 1.0 if d > 0.0 else math.ceil(u - 1e-9) - 1.0
            s_next = min(s_next, (c0 + j * gres - p) / d)
    return s_next


@helper
def ray_height(
    zz: NDArray[np.float64], mm: int, qq: int, mf: float, qf: float, geo: NDArray[np.float64], world: Any
) -> float:
    """Bilinear height [m] at (major, minor) index ``(mm + mf, qq + qf)`` of ``zz``; far fields outside."""
    n_major, n_minor = zz.shape
    mm1 = mm + 1
    qq1 = qq + 1
    if mf == 0.0:
        mm1 = mm
    if qf == 0.0:
        qq1 = qq
    if mm >= 0 and mm1 < n_major and qq >= 0 and qq1 < n_minor:
        a = zz[mm, qq]
        bq = zz[mm, qq1]
        c = zz[mm1, qq]
        d = zz[mm1, qq1]
        r0 = a + qf * (bq - a)
        r1 = c + qf * (d - c)
        return r0 + mf * (r1 - r0)
    mpos = mm + mf
    qpos = qq + qf
    xw = geo[0] + geo[1] * mpos + geo[2] * qpos
    yw = geo[3] + geo[4] * mpos + geo[5] * qpos
    return sample_world(xw, yw, world)[0]


@helper
def inv_scale(xw: float, yw: float, radius: float) -> float:
    """Inverse stereographic scale factor ``1 / (1 + rho^2 / 4R^2)`` at map point (x, y) [m] (sphere radius R [m])."""
    return 1.0 / (1.0 + (xw * xw + yw * yw) / (4.0 * radius * radius))


@helper
def split(v: float) -> tuple[int, float]:
    """Integer floor and fractional part of ``v`` with the fraction guaranteed in [0, 1)."""
    f = math.floor(v)
    fr = v - f
    if fr >= 1.0:
        return f + 1, 0.0
    return f, fr


@helper
def line_height(zz: NDArray[np.float64], m: int, q0: int, fr: float, n_minor: int) -> float:
    """Height on row ``m`` of ``zz`` at minor position ``q0 + fr`` (linear; NaN outside the outermost
    cell centres: there is no terrain there unless a far field covers it)."""
    if q0 >= 0 and q0 + 1 <= n_minor - 1:
        a = zz[m, q0]
        if fr == 0.0:
            return a
        return a + fr * (zz[m, q0 + 1] - a)
    if q0 == n_minor - 1 and fr == 0.0:
        return zz[m, q0]
    return math.nan
