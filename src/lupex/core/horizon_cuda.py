"""CUDA (numba.cuda) backend of the horizon map: one thread per (cell, azimuth), direct ray march.

Unlike the CPU sweep (:mod:`lupex.core.horizon`, convex hulls along sheared lines), every GPU thread marches
its own cell's exact ray (:func:`march_ray`):

* inside the main DEM the straight map-space ray from the cell centre goes from crossing to crossing of the grid's
  centre lines (the kinks of the bilinear surface); between two crossings the surface along the ray is a quadratic
  in the distance, whose highest elevation inside the segment is found in closed form (:func:`_segment_peak`, the
  CPU near field's method: exact for the bilinear surface); for an observer on the surface the slope at the observer
  is the supremum there;
* in the far fields it is sampled with the step ``max(res_g / 4, d * STEP_GROWTH)``, ``res_g`` the pixel of the grid
  that covers the sample (each from where the finer one ends), plus every crossing of its centre lines, as the dense
  reference (:mod:`lupex.core.horizon_reference`) does;
* heights are bilinear between the outermost cell centres of a grid (no edge extrapolation); inside the
  main DEM the main DEM alone decides (NaN = hole, sample skipped), elsewhere the first far field with a
  finite value, shifted to meet the finer grid at their seam (the shift fades over one of its pixels, a band
  stepped through at the finer grid's step and sampled where it ends, :func:`_seam_shift`); where no grid covers
  the sample the ray ends (``edge_limited`` when that is closer than ``max_distance_m``);
* each sample is lifted to 3-D with the inverse south polar stereographic projection and its elevation is
  ``asin(v.up / |v|)`` with ``v = Q - P`` (exact sphere, the reference's formula:
  :func:`unit_components` and :func:`sin_elevation`, plain ``register_jitable`` functions usable on the
  CPU too); samples beyond ``max_distance_m`` of great-circle distance end the ray, and the point exactly at
  that distance (found by bisection between the last sample within it and the first beyond) is sampled too.

The march passes over blocks of the main DEM (64, 16 or 4 cells, :data:`SKIP_BLOCKS`) whose highest node cannot be
seen above the best sample so far (:func:`_skip_to`, bounds from :func:`max_mipmaps` and :func:`_sine_bound`),
resuming on one of its own crossings: the result is bit-identical to the full march. On the 240 m map at a 150 km
reach the two together look up ~286 heights per ray where sampling every quarter pixel took ~2440
(docs/models/horizon.md).

The angular error of the growing step (far fields) is below ``slope * STEP_GROWTH / 2`` rad (1e-4 rad for a slope
of 1). Results are float32 radians, NaN for NaN cells and -pi/2 where no terrain lies along a ray, as
:func:`lupex.core.horizon.horizon_map_cpu` returns. Install ``lupex[gpu]``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numba.core.extending import register_jitable
from numpy.typing import NDArray

from lupex.core.horizon import (
    DEFAULT_ADAPTIVE_MARGIN,
    DEFAULT_ADAPTIVE_STEPS,
    DEFAULT_ADAPTIVE_TOL,
    DEFAULT_NEAR_SAMPLES,
    DEFAULT_NEAR_SUBSTEPS,
    FarField,
    check_horizon_inputs,
    pack_far_fields,
)

try:  # numba.cuda is a module global so that numba's CUDA simulator can substitute it
    from numba import cuda
except ImportError:  # pragma: no cover - numba without its CUDA target
    cuda = None  # type: ignore[assignment]

__all__ = [
    "SKIP_BLOCKS",
    "STEP_GROWTH",
    "horizon_map_cuda",
    "march_geometry",
    "march_ray",
    "max_mipmaps",
    "sin_elevation",
    "unit_components",
]

#: Relative growth of the march step with distance [-]: ``step = max(res_g / 4, d * STEP_GROWTH)``.
STEP_GROWTH = 2.0e-4
#: Block sizes [cells] of the maximum mipmaps the march skips by (:func:`_skip_to`), coarsest first.
SKIP_BLOCKS = (64, 16, 4)
_THREADS = (128, 1)
_EPS_IDX = 1e-9  # rounding of map coordinates [cell indices], as in the CPU kernel and the reference


@register_jitable
def unit_components(x: float, y: float, radius: float) -> tuple[float, float, float]:
    """Unit position vector of map point (x, y) [m] by inverse south polar stereographic projection.

    With ``s2 = rho^2 / 4R^2``: ``(x, y) / (R (1 + s2))`` and ``-(1 - s2) / (1 + s2)`` (the reference's
    ``_unit_components``). ``radius`` [m].
    """
    s2 = (x * x + y * y) / (4.0 * radius * radius)
    inv = 1.0 / (1.0 + s2)
    f = inv / radius
    return x * f, y * f, -(1.0 - s2) * inv


@register_jitable
def sin_elevation(ux: float, uy: float, uz: float, rq: float, upx: float, upy: float, upz: float, rp: float) -> float:
    """Sine of the elevation of point ``rq u`` seen from ``rp up`` above the plane normal to ``up`` [-].

    ``u``, ``up`` unit vectors, ``rq``, ``rp`` radii [m] (body radius plus height).
    """
    vx = rq * ux - rp * upx
    vy = rq * uy - rp * upy
    vz = rq * uz - rp * upz
    return (vx * upx + vy * upy + vz * upz) / math.sqrt(vx * vx + vy * vy + vz * vz)


@register_jitable
def _bilinear(g: Any, ri: float, cj: float) -> float:
    """Bilinear value of ``g`` at fractional (row, col) index inside the cell-centre rectangle; NaN-aware."""
    ny, nx = g.shape
    ri = min(max(ri, 0.0), ny - 1.0)
    cj = min(max(cj, 0.0), nx - 1.0)
    i0 = min(int(ri), max(ny - 2, 0))
    j0 = min(int(cj), max(nx - 2, 0))
    i1 = min(i0 + 1, ny - 1)
    j1 = min(j0 + 1, nx - 1)
    fi = ri - i0
    fj = cj - j0
    v = 0.0
    w = (1.0 - fi) * (1.0 - fj)
    if w > 0.0:
        v += w * g[i0, j0]
    w = (1.0 - fi) * fj
    if w > 0.0:
        v += w * g[i0, j1]
    w = fi * (1.0 - fj)
    if w > 0.0:
        v += w * g[i1, j0]
    w = fi * fj
    if w > 0.0:
        v += w * g[i1, j1]
    return v  # a NaN corner with non-zero weight makes v NaN


@register_jitable
def _covers(g: Any, gx0: float, gy0: float, gres: float, x: float, y: float) -> bool:
    """True when map point (x, y) [m] lies between the outermost cell centres of grid ``g``."""
    ny, nx = g.shape
    cj = (x - gx0) / gres - 0.5
    ri = (gy0 - y) / gres - 0.5
    return -_EPS_IDX <= cj <= nx - 1.0 + _EPS_IDX and -_EPS_IDX <= ri <= ny - 1.0 + _EPS_IDX


@register_jitable
def _grid(z: Any, x0: float, y0: float, res: float, f0: Any, f1: Any, f2: Any, fgeo: Any, k: int) -> Any:
    """Grid ``k`` (0: the main DEM, 1..3: the far fields) with its corner ``x0, y0`` and pixel [m]."""
    if k == 0:
        return z, x0, y0, res
    a = f0 if k == 1 else (f1 if k == 2 else f2)
    return a, fgeo[k - 1, 0], fgeo[k - 1, 1], fgeo[k - 1, 2]


@register_jitable
def _seam_shift(fine: Any, coarse: Any, x: float, y: float) -> tuple[float, bool]:
    """Shift [m] of the coarser grid's surface at (x, y) [m] just beyond the finer grid's rectangle, and whether the
    point lies in that seam band (``fine``, ``coarse``: (array, x0, y0, pixel) of each grid; the CPU kernel's
    ``sampling._seam_shift``): ``(1 - delta/res) (z_fine(c) - z_coarse(c))`` for ``delta < res``, ``c`` the nearest
    point of the rectangle, ``delta = max(|x - c_x|, |y - c_y|)``, ``res`` the coarser pixel."""
    fz, fx0, fy0, fres = fine
    cz, gx0, gy0, gres = coarse
    fny, fnx = fz.shape
    cx = min(max(x, fx0 + 0.5 * fres), fx0 + (fnx - 0.5) * fres)
    cy = min(max(y, fy0 - (fny - 0.5) * fres), fy0 - 0.5 * fres)
    delta = max(abs(x - cx), abs(y - cy))
    if delta >= gres:
        return 0.0, False
    if not _covers(cz, gx0, gy0, gres, cx, cy):
        return 0.0, True
    dz = _bilinear(fz, (fy0 - cy) / fres - 0.5, (cx - fx0) / fres - 0.5) - _bilinear(
        cz, (gy0 - cy) / gres - 0.5, (cx - gx0) / gres - 0.5
    )
    if math.isnan(dz):
        return 0.0, True
    return (1.0 - delta / gres) * dz, True


@register_jitable
def _sample(
    z: Any, x0: float, y0: float, res: float, f0: Any, f1: Any, f2: Any, fgeo: Any, nfar: int, x: float, y: float
) -> tuple[float, int, float]:
    """Height [m] at (x, y) [m] (NaN: hole), the grid that covers it (-1 main, ``g`` far field, -2 none) and the pixel
    [m] the march steps by there (the covering grid's, the finer grid's in a seam band). A far field's surface is
    shifted to meet the finer grid's at their seam, the shift fading over one of its pixels (:func:`_seam_shift`)."""
    if _covers(z, x0, y0, res, x, y):
        return _bilinear(z, (y0 - y) / res - 0.5, (x - x0) / res - 0.5), -1, res
    cover = -2
    cover_res = res
    for g in range(nfar):
        coarse = _grid(z, x0, y0, res, f0, f1, f2, fgeo, g + 1)
        a, gx0, gy0, gres = coarse
        if _covers(a, gx0, gy0, gres, x, y):
            if cover == -2:
                cover = g
                cover_res = gres
            v = _bilinear(a, (gy0 - y) / gres - 0.5, (x - gx0) / gres - 0.5)
            if not math.isnan(v):
                fine = _grid(z, x0, y0, res, f0, f1, f2, fgeo, g)
                shift, band = _seam_shift(fine, coarse, x, y)
                return v + shift, g, (fine[3] if band else gres)
    return math.nan, cover, cover_res


@register_jitable
def _crossing(p: float, dp: float, c0: float, gres: float, k: float) -> float:
    """Map distance [m] at which ``p + s dp`` crosses the centre line ``c0 + (k + 1/2) gres`` (``dp`` != 0)."""
    return (c0 + (k + 0.5) * gres - p) / dp


@register_jitable
def _next_crossing(p: float, dp: float, c0: float, gres: float, d: float) -> float:
    """Smallest map distance > ``d`` [m] at which ``p + s dp`` crosses a centre line ``c0 + (k + 1/2) gres``."""
    if abs(dp) < 1e-12:
        return math.inf
    u = (p + d * dp - c0) / gres - 0.5
    k = math.floor(u + 1e-9) + 1.0 if dp > 0.0 else math.ceil(u - 1e-9) - 1.0
    return _crossing(p, dp, c0, gres, k)


@register_jitable
def _exit_distance(
    px: float, py: float, dx: float, dy: float, z: Any, x0: float, y0: float, res: float, grow: float
) -> float:
    """Map distance [m] along (dx, dy) from (px, py) [m] at which the ray leaves the cell-centre box of ``z`` grown
    by ``grow`` [m] on every side (0: the box itself; a coarser pixel: the end of the seam band beyond it)."""
    ny, nx = z.shape
    t = math.inf
    if dx > 1e-15:
        t = min(t, (x0 + (nx - 0.5) * res + grow - px) / dx)
    elif dx < -1e-15:
        t = min(t, (x0 + 0.5 * res - grow - px) / dx)
    if dy > 1e-15:
        t = min(t, (y0 - 0.5 * res + grow - py) / dy)
    elif dy < -1e-15:
        t = min(t, (y0 - (ny - 0.5) * res - grow - py) / dy)
    return max(t, 0.0)


@register_jitable
def _cut_distance(
    px: float, py: float, dx: float, dy: float, d_lo: float, d_hi: float, up: tuple[float, float, float],
    radius: float, chord2_max: float,
) -> float:  # fmt: skip
    """Map distance [m] in ``[d_lo, d_hi]`` along (dx, dy) from (px, py) of the last point within the reach (squared
    chord ``chord2_max`` between unit vectors, ``up`` the observer's), by bisection to 2^-40 of the interval: the
    reach is a hard cut, and the terrain exactly there is a sample too (as in the reference)."""
    lo = d_lo
    hi = d_hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        ux, uy, uz = unit_components(px + mid * dx, py + mid * dy, radius)
        if (ux - up[0]) ** 2 + (uy - up[1]) ** 2 + (uz - up[2]) ** 2 <= chord2_max:
            lo = mid
        else:
            hi = mid
    return lo


def max_mipmaps(z: NDArray[np.floating]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Maximum height [m] of the DEM's nodes per block of :data:`SKIP_BLOCKS` cells, one array per block size.

    Block ``(bi, bj)`` of size ``B`` holds the maximum over node rows ``bi B .. min((bi + 1) B, ny - 1)`` and node
    columns likewise (the rectangle between those cell centres, both edges included), so the bilinear surface over
    the block lies below it; NaN nodes count as ``-inf`` (no terrain), an all-NaN block is ``-inf``.
    """
    zz = np.where(np.isnan(z), -np.inf, np.asarray(z, dtype=np.float64))
    ny, nx = zz.shape
    levels = []
    for b in SKIP_BLOCKS:
        nby, nbx = max(1, -(-(ny - 1) // b)), max(1, -(-(nx - 1) // b))
        # padded to whole blocks plus the closing node row and column; a block's nodes are its b rows (columns) and
        # the first of the next block
        pad = np.full((nby * b + 1, nbx * b + 1), -np.inf)
        pad[:ny, :nx] = zz
        rows = np.maximum(pad[: nby * b].reshape(nby, b, -1).max(axis=1), pad[b::b][:nby])
        m = np.maximum(rows[:, : nbx * b].reshape(nby, nbx, b).max(axis=2), rows[:, b::b][:, :nbx])
        levels.append(np.ascontiguousarray(m))
    return levels[0], levels[1], levels[2]


@register_jitable
def _sine_bound(h_max: float, r_p: float, radius: float, th_lo: float, th_hi: float) -> float:
    """Upper bound of the elevation sine [-] of any point no higher than ``h_max`` [m] whose central angle from the
    observer (radius ``r_p`` [m]) lies in ``[th_lo, th_hi]`` [rad], ``0 < th_lo <= th_hi < pi/2``.

    ``tan e = (r cos th - r_p) / (r sin th)`` grows with the point's radius ``r``; at ``r = R + h_max`` it is
    ``g(th) = (cos th - c) / sin th``, ``c = r_p / r``, with ``g' = (c cos th - 1) / sin^2 th``: decreasing where
    ``c <= 1`` (the block's top above the observer), else largest at ``cos th = 1/c``, clamped into the interval.
    """
    if not h_max > -math.inf:
        return -2.0  # no terrain in the block
    c = r_p / (radius + h_max)
    th = th_lo
    if c > 1.0:
        th = min(max(math.acos(1.0 / c), th_lo), th_hi)
    t = (math.cos(th) - c) / math.sin(th)
    return t / math.sqrt(1.0 + t * t)


@register_jitable
def _block_exit(p: float, dp: float, c0: float, res: float, k_lo: float, k_hi: float) -> float:
    """Map distance [m] at which the ray leaves the band of centre lines ``k_lo .. k_hi`` along one axis, by the same
    expression the march's crossings use (:func:`_crossing`), so that it is one of the march's own samples."""
    if dp > 1e-12:
        return _crossing(p, dp, c0, res, k_hi)
    if dp < -1e-12:
        return _crossing(p, dp, c0, res, k_lo)
    return math.inf


@register_jitable
def _skip_to(
    d: float, ray: Any, z: Any, x0: float, y0: float, res: float, mips: Any, best: float, d_exit: float,
    chord2_max: float,
) -> tuple[float, float]:  # fmt: skip
    """Where the march may go on from ``d`` [m] without missing its maximum, and up to where not to try again.

    ``ray`` = (px, py, dx, dy, upx, upy, upz, r_p, radius, k_max). From the coarsest block of :data:`SKIP_BLOCKS`
    to the finest, the block the ray is entering at ``d`` is bounded (:func:`_sine_bound`, its central angles from
    ``d / (k_max R)`` to ``d_b / R``: the stereographic scale factor lies in ``[1, k_max]`` on the grid); where the
    bound lies below ``best`` (an elevation sine) and the block's exit ``d_b`` (a centre-line crossing, or
    ``d_exit``) is within the reach, returns ``(d_b, d_b)``. Otherwise ``(d, exit of the finest block)``.
    """
    px, py, dx, dy, upx, upy, upz, r_p, radius, k_max = ray
    ny, nx = z.shape
    # the position just ahead of d picks the block being entered when d lies on a block's edge
    ah = d + 1e-6 * res
    ri = (y0 - (py + ah * dy)) / res - 0.5
    cj = (px + ah * dx - x0) / res - 0.5
    retry = d
    for level in range(3):
        m = mips[level]
        b = SKIP_BLOCKS[level]
        bi = min(max(int(math.floor(ri / b)), 0), m.shape[0] - 1)
        bj = min(max(int(math.floor(cj / b)), 0), m.shape[1] - 1)
        # rows: centre line i is y0 + (k + 1/2) res with k = -i - 1 (the march's convention for the y axis)
        d_row = _block_exit(py, dy, y0, res, -min((bi + 1) * b, ny - 1) - 1.0, -bi * b - 1.0)
        d_col = _block_exit(px, dx, x0, res, bj * b * 1.0, min((bj + 1) * b, nx - 1) * 1.0)
        d_b = min(d_row, d_col, d_exit)
        retry = d_b
        if not d_b > d:
            continue
        bound = _sine_bound(m[bi, bj], r_p, radius, d / (k_max * radius), d_b / radius)
        if bound >= best - 1e-12:
            continue
        ux, uy, uz = unit_components(px + d_b * dx, py + d_b * dy, radius)
        if (ux - upx) ** 2 + (uy - upy) ** 2 + (uz - upz) ** 2 <= chord2_max:
            return d_b, d_b
    return d, retry


@register_jitable
def _segment_peak(
    sa: float, za: float, sb: float, zb: float, s_end: float, ray: Any, z: Any, x0: float, y0: float, res: float,
    first: bool,
) -> float:  # fmt: skip
    """Highest elevation sine [-] strictly inside the main DEM's segment ``[sa, sb]`` [m] of the ray (within one cell,
    where the bilinear surface is a quadratic in the distance; ``za``, ``zb`` its heights at the ends [m]), up to
    ``s_end`` [m]; -2 where there is none (the ends are sampled by the march).

    With ``z(s) - z_p = alpha + beta s + c s^2`` (``c`` from the height at the middle), the small-angle elevation
    ``(z - z_p)/s - s/2R`` has an interior maximum at ``s* = sqrt(-alpha / (1/2R - c))`` where ``alpha < 0`` and
    ``c < 1/2R`` (the CPU near field's condition, :mod:`lupex.core.horizon.near`): its exact elevation is returned.
    On the first segment of an observer on the surface (``alpha = 0``) the supremum is the slope at the observer per
    metre of horizontal distance at its radius: ``g k R / r_p`` (``k`` the stereographic scale factor there, map
    metres per ground metre), the limit of the exact elevation as the distance goes to 0.
    """
    px, py, dx, dy, upx, upy, upz, r_p, radius, _k_max = ray
    length = sb - sa
    if not length > 0.0 or math.isnan(za) or math.isnan(zb):
        return -2.0
    sm = 0.5 * (sa + sb)
    zm = _bilinear(z, (y0 - (py + sm * dy)) / res - 0.5, (px + sm * dx - x0) / res - 0.5)
    if math.isnan(zm):
        return -2.0
    c = 4.0 * (0.5 * (za + zb) - zm) / (length * length)
    g = (zb - za) / length - c * length  # the slope at sa
    alpha = za - g * sa + c * sa * sa - (r_p - radius)
    inv2r = 0.5 / radius
    if first and alpha >= 0.0:
        # observer on the surface: the terrain's slope as s -> 0, per metre of horizontal distance at the observer's
        # radius r_p (map metres are k ground metres, ground metres are measured on the sphere R)
        slope = g * (1.0 + (px * px + py * py) / (4.0 * radius * radius)) * radius / r_p
        return slope / math.sqrt(1.0 + slope * slope)
    if not (alpha < 0.0 and c < inv2r):
        return -2.0
    s_star = math.sqrt(-alpha / (inv2r - c))
    if not (sa < s_star < min(sb, s_end)):
        return -2.0
    u = s_star - sa
    zq = za + g * u + c * u * u
    ux, uy, uz = unit_components(px + s_star * dx, py + s_star * dy, radius)
    return sin_elevation(ux, uy, uz, radius + zq, upx, upy, upz, r_p)


@register_jitable
def march_ray(
    i: int, j: int, azimuth: float, z: Any, geo: Any, f0: Any, f1: Any, f2: Any, fgeo: Any, nfar: int, mips: Any,
    skip: bool,
) -> tuple[float, bool, int]:  # fmt: skip
    """March cell (i, j)'s ray at ``azimuth`` [rad]: the highest elevation sine [-] (-1: no terrain), whether the
    terrain ends before the reach, and the number of terrain evaluations (heights looked up).

    ``geo``: x0, y0, res, observer height, radius, max distance [m], squared chord of the reach, ``k_max`` (the
    largest stereographic scale factor on the main grid). Inside the main DEM the ray goes from crossing to crossing
    of its centre lines (the kinks of the bilinear surface), each segment's interior maximum found in closed form
    (:func:`_segment_peak`); in the far fields it steps by a quarter of the covering grid's pixel, as the reference.
    With ``skip``, blocks of the main DEM whose maximum cannot beat the best so far are passed over
    (:func:`_skip_to`); the march resumes on one of its own crossings, so the result equals the full march's.
    """
    x0 = geo[0]
    y0 = geo[1]
    res = geo[2]
    radius = geo[4]
    zc = z[i, j]
    px = x0 + (j + 0.5) * res
    py = y0 - (i + 0.5) * res
    upx, upy, upz = unit_components(px, py, radius)
    rp = radius + zc + geo[3]
    dx = math.sin(azimuth)
    dy = math.cos(azimuth)
    ray = (px, py, dx, dy, upx, upy, upz, rp, radius, geo[7])
    best = -1.0
    n_samples = 0
    edge = False
    d_exit = _exit_distance(px, py, dx, dy, z, x0, y0, res, 0.0)
    step_res = res  # the pixel the march steps by in the far fields
    in_main = d_exit > 0.0
    d_in = 0.0  # the last sample within the reach
    z_in = zc  # its height [m]
    segment = in_main  # (d_in, d) lies in one cell of the main DEM: its interior is looked at too
    if in_main:
        d = min(_next_crossing(px, dx, x0, res, 0.0), _next_crossing(py, dy, y0, res, 0.0), d_exit)
    else:
        d = 0.25 * res
    retry = 0.0  # no skip is tried before this distance [m]
    while True:
        sx = px + d * dx
        sy = py + d * dy
        zq, g, step_res = _sample(z, x0, y0, res, f0, f1, f2, fgeo, nfar, sx, sy)
        ux, uy, uz = unit_components(sx, sy, radius)
        chord2 = (ux - upx) ** 2 + (uy - upy) ** 2 + (uz - upz) ** 2
        n_samples += 1
        if chord2 > geo[6]:
            # the terrain exactly at the reach, between the last sample within it and this one
            dc = _cut_distance(px, py, dx, dy, d_in, d, (upx, upy, upz), radius, geo[6])
            if segment:
                n_samples += 1
                best = max(best, _segment_peak(d_in, z_in, d, zq, dc, ray, z, x0, y0, res, d_in == 0.0))
            zq, g, _r = _sample(z, x0, y0, res, f0, f1, f2, fgeo, nfar, px + dc * dx, py + dc * dy)
            if g != -2 and not math.isnan(zq):
                ux, uy, uz = unit_components(px + dc * dx, py + dc * dy, radius)
                best = max(best, sin_elevation(ux, uy, uz, radius + zq, upx, upy, upz, rp))
                n_samples += 1
            break
        if g == -2:
            edge = True  # the terrain ends before max_distance
            break
        if segment:
            n_samples += 1
            best = max(best, _segment_peak(d_in, z_in, d, zq, d, ray, z, x0, y0, res, d_in == 0.0))
        d_in = d
        z_in = zq
        if not math.isnan(zq):
            s = sin_elevation(ux, uy, uz, radius + zq, upx, upy, upz, rp)
            if s > best:
                best = s
        # next position: the next crossing of a centre line of the covering grid (a kink of the bilinear surface),
        # in the far fields also the regular step, whichever comes first
        if in_main:
            if d >= d_exit:
                in_main = False
                segment = False
                d += max(0.25 * res, d * STEP_GROWTH)  # into the seam band: the main DEM's step
                continue
            segment = True
            if skip and d >= retry and best > -1.0:
                d_skip, retry = _skip_to(d, ray, z, x0, y0, res, mips, best, d_exit, geo[6])
                if d_skip > d:
                    d = d_skip
                    segment = False  # (d, d_skip) spans blocks that cannot hold the maximum
                    continue
            gx0, gy0, gres = x0, y0, res
            nxt = d_exit
        else:
            gx0, gy0, gres = fgeo[max(g, 0), 0], fgeo[max(g, 0), 1], fgeo[max(g, 0), 2]
            nxt = d + max(0.25 * step_res, d * STEP_GROWTH)
            if g >= 0:
                # the end of the seam band beyond the finer grid is a kink of the surface: sampled too
                fz, fx0, fy0, fres = _grid(z, x0, y0, res, f0, f1, f2, fgeo, g)
                band = _exit_distance(px, py, dx, dy, fz, fx0, fy0, fres, gres)
                if band > d:
                    nxt = min(nxt, band)
        cx = _next_crossing(px, dx, gx0, gres, d)
        cy = _next_crossing(py, dy, gy0, gres, d)
        d = min(nxt, cx, cy)
    return best, edge, n_samples


@functools.lru_cache(maxsize=1)
def _kernel() -> Any:
    @cuda.jit
    def horizon_kernel(  # type: ignore[no-untyped-def]
        z, geo, az, f0, f1, f2, fgeo, nfar, m0, m1, m2, skip, out, edge
    ):
        # geo: x0, y0, res, observer height, radius, max distance, chord^2 limit [m, m^2], k_max [-]
        cell, a = cuda.grid(2)  # type: ignore[call-arg, var-annotated]
        ny, nx = z.shape
        if cell >= ny * nx or a >= az.shape[0]:
            return
        i = cell // nx
        j = cell - i * nx
        if math.isnan(z[i, j]):
            out[a, i, j] = math.nan
            return
        best, ends, _n = march_ray(i, j, az[a], z, geo, f0, f1, f2, fgeo, nfar, (m0, m1, m2), skip)
        if ends:
            edge[i, j] = 1
        out[a, i, j] = math.asin(min(max(best, -1.0), 1.0))

    return horizon_kernel


def march_geometry(
    z: NDArray[np.floating], x0: float, y0: float, res: float, observer_height_m: float, body_radius_m: float,
    max_distance_m: float,
) -> NDArray[np.float64]:  # fmt: skip
    """The march's ``geo`` vector: x0, y0, res, observer height, radius, reach [m], the reach's squared chord between
    unit vectors [-] and ``k_max``, the largest stereographic scale factor ``1 + rho^2 / 4R^2`` on the grid [-]."""
    ny, nx = np.shape(z)
    half = min(max_distance_m / (2.0 * body_radius_m), math.pi / 2)
    xs = np.array([x0, x0 + nx * res])
    ys = np.array([y0, y0 - ny * res])
    rho2 = float(np.max(xs[:, None] ** 2 + ys[None, :] ** 2))
    k_max = 1.0 + rho2 / (4.0 * body_radius_m**2)
    return np.array(
        [x0, y0, res, observer_height_m, body_radius_m, max_distance_m, (2.0 * math.sin(half)) ** 2, k_max],
        dtype=np.float64,
    )


def horizon_map_cuda(
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
    skip: bool = True,
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Same arguments and results as :func:`lupex.core.horizon.horizon_map_cpu`, on the GPU.

    ``near_samples``, ``near_substeps`` and the ``adaptive_*`` tuning arguments of the CPU sweep are accepted
    and ignored (the GPU marches every ray directly). ``skip=False`` marches every sample (no block skipping; the
    same result, for checks). Returns ``horizon_rad`` float32 (n_az, ny, nx) [rad]
    (NaN for NaN cells, -pi/2 where no terrain lies along the ray) and ``edge_limited`` bool (ny, nx).
    """
    zz = np.ascontiguousarray(z, dtype=np.float64)
    check_horizon_inputs(zz, res, body_radius_m, max_distance_m)
    az = np.ascontiguousarray(np.atleast_1d(np.asarray(azimuths_rad, dtype=np.float64)))
    f0, f1, f2, fgeo, nfar = pack_far_fields(far_fields)
    geo = march_geometry(zz, x0, y0, res, observer_height_m, body_radius_m, max_distance_m)
    m0, m1, m2 = max_mipmaps(zz)
    ny, nx = zz.shape
    out = np.empty((az.size, ny, nx), dtype=np.float32)
    edge = np.zeros((ny, nx), dtype=np.uint8)
    if az.size == 0:
        return out, edge.astype(bool)
    d_out = cuda.device_array(out.shape, dtype=np.float32)
    d_edge = cuda.to_device(edge)
    grid = ((ny * nx + _THREADS[0] - 1) // _THREADS[0], az.size)
    _kernel()[grid, _THREADS](
        cuda.to_device(zz),
        cuda.to_device(geo),
        cuda.to_device(az),
        cuda.to_device(f0),
        cuda.to_device(f1),
        cuda.to_device(f2),
        cuda.to_device(fgeo),
        int(nfar),
        cuda.to_device(m0),
        cuda.to_device(m1),
        cuda.to_device(m2),
        bool(skip),
        d_out,
        d_edge,
    )
    cuda.synchronize()
    return d_out.copy_to_host(), d_edge.copy_to_host().astype(bool)
