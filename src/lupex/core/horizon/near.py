"""The exact near field of the horizon kernel: a cell's own ray over the bilinear surface, segment by segment.

The ray from any cell crosses the row lines at every major step and the column lines at ``k = n / |t|``: the
same offsets for every cell of an azimuth, so they are tabulated once per azimuth (:func:`near_table`).
Within a segment between two crossings the bilinear surface is a quadratic of the map distance, so its
maximum elevation is found exactly (:func:`near_tan`). Used for the first ``near_samples`` steps of every
cell and for the adaptive direct march. SI units: heights and distances [m], angles [rad].

Because the offsets are shared, many cells run the same segments at once: :func:`near_row` does a row's near
fields with the cells as the inner loop (contiguous loads, vectorised), :func:`march_cells` the queued marches of
a window in batches of lanes (gathered loads, then the same vectorised segment loop). All of them evaluate a
segment with :func:`_segment_best` (branch-free), the one copy of its candidates. Cells whose rays leave the grid
(far fields) go through :func:`near_tan` itself.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from lupex.core.horizon.sampling import (
    EMPTY_TAN,
    EPS_IDX,
    FASTMATH,
    band_end,
    helper,
    inline_helper,
    inline_lane_helper,
    inv_scale,
    lane_helper,
    next_kink,
    ray_exit_distance,
    ray_height,
    sample_world,
    split,
)

__all__ = ["EMPTY_TAN", "N_LANE_ROWS", "MarchWork", "NearTable", "march_cells", "near_row", "near_table", "near_tan"]

#: Segments of one azimuth's rays: segment ``j`` ends at index offset (``tab_i[j,0] + tab_f[j,0]``,
#: ``tab_i[j,1] + tab_f[j,1]``) at map distance ``tab_f[j,2]`` [m]; its bilinear cell has lower corner offset
#: (``tab_i[j,2]``, ``tab_i[j,3]``) and an ``s^2`` coefficient ``tab_f[j,3]`` [1/m^2] per unit twist. The first
#: ``nn`` segments are the near field, the first ``nn_ext`` the reach of the adaptive march. ``ext[j]`` holds the
#: extent of the grid nodes that segments ``0 .. j`` read: lowest and highest major offset, lowest and highest minor
#: offset (the crossings' two nodes and the bilinear cells' corners).
NearTable = namedtuple("NearTable", ["tab_i", "tab_f", "nn", "nn_ext", "ext"])


@numba.njit(cache=True, fastmath=FASTMATH)
def near_table(t: float, sm: int, ds_grid: float, nnear: int, n_ext: int) -> Any:
    """Crossings of the exact ray with the row and column lines for ``k <= n_ext`` major steps.

    ``t`` is the minor / major direction ratio (|t| <= 1), ``sm`` the major step sign, ``ds_grid`` [m] the map
    distance per major step.
    """
    nseg_max = 2 * max(nnear, n_ext) + 2  # at most one row and one column crossing per step
    tab_i = np.empty((nseg_max, 4), dtype=np.int64)
    tab_f = np.empty((nseg_max, 4))
    at = abs(t)
    nn = 0
    nn_ext = 0
    k_prev = 0.0
    n_row = 1
    n_col = 1
    while True:
        k_row = float(n_row)
        k_col = n_col / at if at > 0.0 else math.inf
        row_cross = k_row <= k_col
        kk = k_row if row_cross else k_col
        if kk > n_ext + EPS_IDX:
            break
        if kk <= nnear + EPS_IDX:
            nn = nn_ext + 1
        if row_cross:
            n_row += 1
            if abs(k_col - k_row) < EPS_IDX:
                n_col += 1  # the ray passes through a cell centre: one crossing
            mi = sm * int(kk)
            qi, qfr = split(t * kk)
            mfr = 0.0
        else:
            n_col += 1
            mi, mfr = split(sm * kk)
            nq = n_col - 1
            qi = nq if t > 0.0 else -nq
            qfr = 0.0
        tab_i[nn_ext, 0] = mi
        tab_i[nn_ext, 1] = qi
        tab_f[nn_ext, 0] = mfr
        tab_f[nn_ext, 1] = qfr
        tab_f[nn_ext, 2] = kk * ds_grid
        # lower corner of the bilinear cell holding the segment (its midpoint)
        k_mid = 0.5 * (k_prev + kk)
        tab_i[nn_ext, 2] = int(math.floor(sm * k_mid))
        tab_i[nn_ext, 3] = int(math.floor(t * k_mid))
        # s^2 coefficient per unit twist: d(frac_major)/ds * d(frac_minor)/ds
        tab_f[nn_ext, 3] = sm * t / (ds_grid * ds_grid)
        k_prev = kk
        nn_ext += 1
    ext = np.zeros((max(nn_ext, 1), 4), dtype=np.int64)
    for j in range(nn_ext):
        lo_m = min(tab_i[j, 0], tab_i[j, 2])
        hi_m = max(tab_i[j, 0], tab_i[j, 2]) + 1
        lo_q = min(tab_i[j, 1], tab_i[j, 3])
        hi_q = max(tab_i[j, 1], tab_i[j, 3]) + 1
        if j > 0:
            lo_m = min(lo_m, ext[j - 1, 0])
            hi_m = max(hi_m, ext[j - 1, 1])
            lo_q = min(lo_q, ext[j - 1, 2])
            hi_q = max(hi_q, ext[j - 1, 3])
        ext[j, 0] = lo_m
        ext[j, 1] = hi_m
        ext[j, 2] = lo_q
        ext[j, 3] = hi_q
    return NearTable(tab_i, tab_f, nn, nn_ext, ext)


@inline_helper
def _crossing_height(zz: NDArray[np.float64], mm: int, qq: int, mf: float, qf: float, geo: Any, world: Any) -> float:
    """Height [m] at a crossing (on a row line, ``mf = 0``, or a column line, ``qf = 0``) of the ray."""
    n_major, n_minor = zz.shape
    if mm >= 0 and mm + 1 < n_major and qq >= 0 and qq + 1 < n_minor:
        a = zz[mm, qq]
        if mf == 0.0:
            return a + qf * (zz[mm, qq + 1] - a)
        return a + mf * (zz[mm + 1, qq] - a)
    return ray_height(zz, mm, qq, mf, qf, geo, world)


@inline_lane_helper
def _segment_best(
    s_a: float, s_b: float, first: bool, c3: float, radius: float, inv_k: float, zp: float, s_r: float,
    z_a: float, z_b: float, twist: float, best: tuple[float, float],
) -> tuple[float, float]:  # fmt: skip
    """The best tangent so far, ``best`` = (numerator, denominator; 0: none yet), updated with one segment ``s_a ..
    s_b`` [m] of the ray: its end (the crossing, height ``z_b`` [m], or the point at the reach ``s_r`` [m of map
    distance] where the segment runs beyond it: the reach is a hard cut and the terrain exactly there is seen), the
    surface slope at the observer (``first`` segment, observer on the surface) and the interior maximum of the
    segment's quadratic (twist ``twist`` [m] times ``c3`` [1/m^2]) before its end. Branch-free (selects), so that
    loops over lanes vectorise; NaN heights (no terrain) and segments starting beyond the reach leave ``best``
    unchanged, and a NaN twist (a bilinear cell outside the grid) skips the interior maximum (the cut point is then
    linear along the segment)."""
    bnq, bdq = best
    live = s_a < s_r
    clip = s_b > s_r
    s_e = min(s_b, s_r)
    cc = twist * c3
    g = (z_b - z_a) / (s_b - s_a)
    cz = cc if cc == cc else 0.0
    z_cut = z_a + g * (s_e - s_a) + cz * (s_e - s_a) * (s_e - s_b)
    z_e = z_cut if clip else z_b
    th = s_e * inv_k / radius
    num = (z_e - zp) - 0.5 * radius * th * th
    den = (radius + z_e) * th
    take = live & (num * bdq > bnq * den)
    bnq = num if take else bnq
    bdq = den if take else bdq
    if first:
        # observer on the surface: the supremum as s -> 0 is the terrain slope along the ray
        slope = (z_b - z_a) / s_b - cc * s_b
        take = live & (zp <= z_a) & (slope * bdq > bnq)
        bnq = slope if take else bnq
        bdq = 1.0 if take else bdq
    # interior maximum of (z(s) - zp - curv s^2)/s on the segment's quadratic
    ce = cc - 0.5 * inv_k * inv_k / radius
    alpha = z_a - g * s_a + cc * s_a * s_b  # value of the quadratic at s = 0
    s_star = math.sqrt(max((zp - alpha) / (-ce), 0.0))
    zs = z_a + g * (s_star - s_a) + cc * (s_star - s_a) * (s_star - s_b)
    th = s_star * inv_k / radius
    num = (zs - zp) - 0.5 * radius * th * th
    den = (radius + zs) * th
    take = live & (ce < 0.0) & (alpha < zp) & (s_a < s_star) & (s_star < s_e) & (num * bdq > bnq * den)
    return (num if take else bnq), (den if take else bdq)


@lane_helper
def near_tan(
    zz: NDArray[np.float64],
    m: int,
    q: int,
    zp: float,
    inv_k: float,
    radius: float,
    max_dist: float,
    tab: Any,
    j0: int,
    nn: int,
    geo: NDArray[np.float64],
    world: Any,
) -> float:
    """Maximum elevation tangent over segments ``j0 <= j < nn`` of the exact ray from cell (m, q) of ``zz``.

    Within a segment the bilinear surface is a quadratic ``z(s) = z_A + g (s - s_A) + c (s - s_A)(s - s_B)``
    of the map distance ``s`` [m] with ``c = D * tab_f[j,3]``, ``D`` the cell's twist ``z00 - z01 - z10 +
    z11``. Every crossing (a kink) and, where the quadratic (with the curvature drop ``s^2 inv_k^2 / 2R``)
    has an interior maximum of ``(z(s) - zp)/s``, that point are evaluated, so the maximum over the bilinear
    surface is exact. ``zp`` [m] is the observer height, ``inv_k`` the inverse stereographic scale factor at
    the cell. Near the observer the exact elevation reduces to ``tan e = (z_q - z_p - R th^2/2) / ((R + z_q)
    th)`` with ``th`` the central angle (relative error < 1e-6 within a few km). The ray is cut exactly at
    ``max_dist`` [m] (the point there is a candidate, nothing beyond it is). Returns :data:`EMPTY_TAN` when no
    sample is valid.
    """
    n_major, n_minor = zz.shape
    tab_i = tab.tab_i
    tab_f = tab.tab_f
    s_r = max_dist / inv_k  # the reach in map distance
    best = (-1.0, 0.0)
    if j0 == 0:
        s_a = 0.0
        z_a = zz[m, q]
    else:
        s_a = tab_f[j0 - 1, 2]
        z_a = ray_height(zz, m + tab_i[j0 - 1, 0], q + tab_i[j0 - 1, 1], tab_f[j0 - 1, 0], tab_f[j0 - 1, 1], geo, world)
    s_kink = -1.0  # the next kink of the far-field surface along the ray [m] (-1: not looked for yet)
    ray = (geo[0] + geo[1] * m + geo[2] * q, geo[3] + geo[4] * m + geo[5] * q, *_ray_direction(tab, geo))
    for j in range(j0, nn):
        if s_a >= s_r:
            break  # the rest lies beyond the reach (the segment across it is cut at it)
        s_b = tab_f[j, 2]
        z_b = _crossing_height(zz, m + tab_i[j, 0], q + tab_i[j, 1], tab_f[j, 0], tab_f[j, 1], geo, world)
        cm = m + tab_i[j, 2]  # lower corner of the segment's bilinear cell
        cq = q + tab_i[j, 3]
        if cm >= 0 and cm + 1 < n_major and cq >= 0 and cq + 1 < n_minor:
            twist = zz[cm, cq] - zz[cm, cq + 1] - zz[cm + 1, cq] + zz[cm + 1, cq + 1]
            best = _segment_best(s_a, s_b, s_a == 0.0, tab_f[j, 3], radius, inv_k, zp, s_r, z_a, z_b, twist, best)
        else:
            best, s_kink = _far_segment(ray, s_a, s_b, z_a, z_b, zp, inv_k, radius, s_r, world, best, s_kink)
        s_a = s_b
        z_a = z_b
    return best[0] / best[1] if best[1] > 0.0 else EMPTY_TAN


@inline_lane_helper
def _far_segment(
    ray: tuple[float, float, float, float], s_a: float, s_b: float, z_a: float, z_b: float, zp: float, inv_k: float,
    radius: float, s_r: float, world: Any, best: tuple[float, float], s_kink: float,
) -> tuple[tuple[float, float], float]:  # fmt: skip
    """:func:`_segment_best` for a segment ``s_a .. s_b`` [m] of the ray ``(x, y) + s (dx, dy)`` (``ray``: map
    origin [m] and unit direction) beyond the main grid, split where the far-field surface has kinks (its grid's
    centre lines, the end of a seam band), linear between them. ``s_kink`` [m] is the next kink along the ray found
    so far (-1: none looked for; a far pixel holds several main segments, so it is looked for again only once
    passed); returns the updated best and ``s_kink``. Inlined: a bundle passed to a compiled call is copied."""
    x, y, dx, dy = ray
    tol = 1e-9 * (s_b - s_a)
    s0 = s_a
    z0 = z_a
    for _ in range(16):  # a segment is one main pixel: a few kinks at most
        if s_kink <= s0 + tol:
            s_kink = s_b  # none within this segment (looked for again in the next one)
            mid = 0.5 * (s0 + s_b)
            level = sample_world(x + mid * dx, y + mid * dy, world)[3]
            if level > 0:
                x0 = x + s0 * dx
                y0 = y + s0 * dy
                ahead = min(next_kink(x0, y0, dx, dy, world, level), band_end(x0, y0, dx, dy, world, level))
                s_kink = s0 + ahead if ahead < math.inf else s_b
        s1 = s_b
        z1 = z_b
        if s_kink < s_b - tol:
            s1 = s_kink
            z1 = sample_world(x + s1 * dx, y + s1 * dy, world)[0]
        best = _segment_best(s0, s1, s0 == 0.0, 0.0, radius, inv_k, zp, s_r, z0, z1, math.nan, best)
        if s1 >= s_b:
            break
        s0 = s1
        z0 = z1
    return best, s_kink


@helper
def _lane_range(tab: Any, j_end: int, m: int, n_major: int, n_minor: int) -> tuple[int, int]:
    """Cells ``q`` of row ``m`` (``lo <= q < hi``) whose segments ``j < j_end`` read only nodes inside the grid (the
    conditions of :func:`near_tan`'s in-grid path)."""
    if j_end <= 0:
        return 0, n_minor
    e = tab.ext[j_end - 1]
    if m + e[0] < 0 or m + e[1] >= n_major:
        return 0, 0
    return -e[2], n_minor - e[3]


#: Lanes of the vectorised segment loops: rows of a (N_LANE_ROWS, n) float64 workspace.
LANE_INV_K = 0  # the cell's inverse stereographic scale factor (input)
LANE_ZP = 1  # the observer's height [m] (input)
LANE_REACH = 2  # the lane's reach [m of map distance: the along-ground reach times the scale factor] (input)
LANE_NUM = 3  # numerator of the best tangent (output)
LANE_DEN = 4  # its denominator [m] (output; 0: no valid sample)
LANE_ZA = 5  # height [m] at the segment's start
LANE_ZB = 6  # height [m] at the segment's end
LANE_TWIST = 7  # twist of the segment's bilinear cell [m]
N_LANE_ROWS = 8


@inline_lane_helper
def _lane_segment(i: int, s_a: float, s_b: float, first: bool, c3: float, radius: float, lv: Any) -> None:
    """One segment of lane ``i`` (``lv``: the lane rows, see :data:`N_LANE_ROWS`): :func:`_segment_best`, the same
    candidates as :func:`near_tan`'s, on the lane's inputs."""
    z_b = lv[LANE_ZB, i]
    best = (lv[LANE_NUM, i], lv[LANE_DEN, i])
    bnq, bdq = _segment_best(
        s_a, s_b, first, c3, radius, lv[LANE_INV_K, i], lv[LANE_ZP, i], lv[LANE_REACH, i], lv[LANE_ZA, i], z_b,
        lv[LANE_TWIST, i], best,
    )  # fmt: skip
    lv[LANE_NUM, i] = bnq
    lv[LANE_DEN, i] = bdq
    lv[LANE_ZA, i] = z_b


@lane_helper
def _segment_lanes(n: int, s_a: float, s_b: float, c3: float, radius: float, lv: Any) -> None:
    """:func:`_lane_segment` for lanes ``0 .. n-1`` (the vectorised loop)."""
    first = s_a == 0.0
    for i in range(n):
        _lane_segment(i, s_a, s_b, first, c3, radius, lv)


@lane_helper
def _near_lanes(zz: NDArray[np.float64], m: int, va: int, vb: int, radius: float, tab: Any, lv: Any) -> None:
    """:func:`near_tan` over segments ``j < tab.nn`` for the cells ``va <= q < vb`` of row ``m`` at once (lane
    ``q - va``), the cells as the inner loop. The lanes' inverse scale factors, observer heights and reaches must be
    set; every cell's segments must lie inside ``zz`` (:func:`_lane_range`)."""
    tab_i = tab.tab_i
    tab_f = tab.tab_f
    n = vb - va
    za = lv[LANE_ZA]
    zb = lv[LANE_ZB]
    tw = lv[LANE_TWIST]
    zrow = zz[m, va:vb]
    for i in range(n):
        lv[LANE_NUM, i] = -1.0
        lv[LANE_DEN, i] = 0.0
        za[i] = zrow[i]
    s_a = 0.0
    for j in range(tab.nn):
        mi = m + tab_i[j, 0]
        qi = va + tab_i[j, 1]
        # views that start at the first lane: indices from 0 are provably non-negative (no wraparound selects)
        row0 = zz[mi, qi : qi + n + 1]
        mf = tab_f[j, 0]
        if mf == 0.0:
            qf = tab_f[j, 1]
            for i in range(n):
                a = row0[i]
                zb[i] = a + qf * (row0[i + 1] - a)
        else:
            row1 = zz[mi + 1, qi : qi + n]
            for i in range(n):
                a = row0[i]
                zb[i] = a + mf * (row1[i] - a)
        cm = m + tab_i[j, 2]
        cq = va + tab_i[j, 3]
        c0 = zz[cm, cq : cq + n + 1]
        c1 = zz[cm + 1, cq : cq + n + 1]
        for i in range(n):
            tw[i] = c0[i] - c0[i + 1] - c1[i] + c1[i + 1]
        s_b = tab_f[j, 2]
        _segment_lanes(n, s_a, s_b, tab_f[j, 3], radius, lv)
        s_a = s_b


@lane_helper
def _march_lanes(zz: NDArray[np.float64], cells: NDArray[np.int64], n: int, j_end: int, radius: float, tab: Any,
                 lv: Any) -> None:  # fmt: skip
    """:func:`near_tan` over segments ``tab.nn <= j < j_end`` (the adaptive march) for ``n`` cells at once (lane
    ``i``: cell (``cells[0, i]``, ``cells[1, i]``), flat index ``cells[2, i]`` of C-contiguous ``zz``), each to its
    own reach, i.e. its first ``cells[3, i]`` segments. The heights are gathered into the lanes
    first (that loop is scalar), then each segment's lanes run vectorised. The lanes' inverse scale factors,
    observer heights and reaches must be set and every cell's segments must lie inside ``zz``
    (:func:`_lane_range`)."""
    tab_i = tab.tab_i
    tab_f = tab.tab_f
    n_minor = zz.shape[1]
    zf = zz.reshape(zz.size)  # flat: one offset per segment node, the same for every lane
    flat = cells[2]
    last = cells[3]
    j0 = tab.nn
    za = lv[LANE_ZA]
    zb = lv[LANE_ZB]
    tw = lv[LANE_TWIST]
    mf = tab_f[j0 - 1, 0]
    qf = tab_f[j0 - 1, 1]
    o00 = tab_i[j0 - 1, 0] * n_minor + tab_i[j0 - 1, 1]
    o01 = o00 + (1 if qf != 0.0 else 0)
    o10 = o00 + (n_minor if mf != 0.0 else 0)
    o11 = o10 + (1 if qf != 0.0 else 0)
    for i in range(n):
        lv[LANE_NUM, i] = -1.0
        lv[LANE_DEN, i] = 0.0
        # ray_height's in-grid formula at the end of the near field's last segment
        a = zf[flat[i] + o00]
        r0 = a + qf * (zf[flat[i] + o01] - a)
        c = zf[flat[i] + o10]
        r1 = c + qf * (zf[flat[i] + o11] - c)
        za[i] = r0 + mf * (r1 - r0)
    s_a = tab_f[j0 - 1, 2]
    for j in range(j0, j_end):
        mf = tab_f[j, 0]
        # the crossing: on a row line (mf = 0) between two columns, else on a column line between two rows
        wgt = tab_f[j, 1] if mf == 0.0 else mf
        oc = tab_i[j, 0] * n_minor + tab_i[j, 1]
        on = 1 if mf == 0.0 else n_minor
        ot = tab_i[j, 2] * n_minor + tab_i[j, 3]
        for i in range(n):
            # a lane past its own last segment reads node 0 instead (its own nodes there may lie outside the grid)
            # and is masked by a NaN height (its reach may still lie inside that segment)
            inside = j < last[i]
            fc = flat[i] + oc if inside else 0
            ft = flat[i] + ot if inside else 0
            a = zf[fc]
            zb[i] = a + wgt * (zf[fc + on] - a) if inside else math.nan
            tw[i] = zf[ft] - zf[ft + 1] - zf[ft + n_minor] + zf[ft + n_minor + 1]
        s_b = tab_f[j, 2]
        _segment_lanes(lv.shape[1], s_a, s_b, tab_f[j, 3], radius, lv)
        s_a = s_b


@inline_helper
def _cell_inputs(
    zz: NDArray[np.float64], m: int, q: int, obs_h: float, radius: float, geo: NDArray[np.float64]
) -> tuple[float, float]:
    """Cell (m, q)'s inverse stereographic scale factor at its centre and its observer's height [m] (``obs_h`` [m]
    above the cell)."""
    inv_k = inv_scale(geo[0] + geo[1] * m + geo[2] * q, geo[3] + geo[4] * m + geo[5] * q, radius)
    return inv_k, zz[m, q] + obs_h


@inline_helper
def _set_lane(lv: Any, i: int, inputs: tuple[float, float], reach: float) -> None:
    """Inputs of lane ``i``: the cell's (inverse scale factor, observer height [m]) and the reach [m along the
    ground], stored as map distance."""
    lv[LANE_INV_K, i] = inputs[0]
    lv[LANE_ZP, i] = inputs[1]
    lv[LANE_REACH, i] = reach / inputs[0]  # in map distance


@inline_helper
def _lane_tan(lv: Any, i: int) -> float:
    """The best tangent [-] of lane ``i`` (:data:`EMPTY_TAN` where no sample was valid)."""
    bd = lv[LANE_DEN, i]
    return lv[LANE_NUM, i] / bd if bd > 0.0 else EMPTY_TAN


@helper
def near_row(
    zz: NDArray[np.float64],
    m: int,
    qa: int,
    qb: int,
    obs_h: float,
    radius: float,
    max_dist: float,
    tab: Any,
    geo: NDArray[np.float64],
    world: Any,
    lv: NDArray[np.float64],
    out: Any,
) -> None:
    """Near-field tangents [-] of the cells ``qa <= q < qb`` of row ``m`` into ``out[q - qa]``: :func:`near_tan`
    over the first ``tab.nn`` segments with each cell's own inverse scale factor at its centre and observer
    ``obs_h`` [m] above it. The cells whose segments lie inside the grid go through :func:`_near_lanes`, the rest
    (near the edges, where rays reach the far fields) through :func:`near_tan`. ``lv``: (N_LANE_ROWS, >= n_minor)
    scratch."""
    n_major, n_minor = zz.shape
    lo, hi = _lane_range(tab, tab.nn, m, n_major, n_minor)
    va = max(qa, lo)
    vb = max(min(qb, hi), va)
    for q in range(va, vb):
        _set_lane(lv, q - va, _cell_inputs(zz, m, q, obs_h, radius, geo), max_dist)
    if vb > va:
        _near_lanes(zz, m, va, vb, radius, tab, lv)
    for q in range(qa, qb):
        if va <= q < vb:
            out[q - qa] = _lane_tan(lv, q - va)
        else:
            inv_k, zp = _cell_inputs(zz, m, q, obs_h, radius, geo)
            out[q - qa] = near_tan(zz, m, q, zp, inv_k, radius, max_dist, tab, 0, tab.nn, geo, world)


@helper
def _segments_within(tab: Any, inv_k: float, reach: float) -> int:
    """Number of segments ``j`` with ``tab_f[j, 2] * inv_k <= reach`` (the march's mask; they come first)."""
    lo = 0
    hi = tab.nn_ext
    while lo < hi:
        mid = (lo + hi) // 2
        if tab.tab_f[mid, 2] * inv_k <= reach:
            lo = mid + 1
        else:
            hi = mid
    return lo


@helper
def _flush_march(
    zz: NDArray[np.float64], mlo: int, qlo: int, near: Any, out: Any, radius: float, tab: Any, lv: Any,
    cells: NDArray[np.int64], n: int, j_max: int,
) -> None:  # fmt: skip
    """March the ``n`` cells queued in ``cells`` to segment ``j_max`` and store ``max(near, march)`` for each. The
    unused lanes are reset to a reach of -1 (masked; the vector loop runs over all ``lv.shape[1]`` lanes)."""
    if n == 0:
        return
    for i in range(n, lv.shape[1]):
        lv[LANE_INV_K, i] = 1.0
        lv[LANE_ZP, i] = 0.0
        lv[LANE_REACH, i] = -1.0
        lv[LANE_NUM, i] = -1.0
        lv[LANE_DEN, i] = 0.0
        lv[LANE_ZA, i] = 0.0
        lv[LANE_ZB, i] = 0.0
        lv[LANE_TWIST, i] = 0.0
    _march_lanes(zz, cells, n, j_max, radius, tab, lv)
    for i in range(n):
        mw = cells[0, i] - mlo
        qw = cells[1, i] - qlo
        out[mw, qw] = max(near[mw, qw], _lane_tan(lv, i))


@inline_helper
def _ray_direction(tab: Any, geo: NDArray[np.float64]) -> tuple[float, float]:
    """Unit map direction (x, y) of the azimuth's rays, from the table's last crossing."""
    j = tab.nn_ext - 1
    dm = (tab.tab_i[j, 0] + tab.tab_f[j, 0]) / tab.tab_f[j, 2]
    dq = (tab.tab_i[j, 1] + tab.tab_f[j, 1]) / tab.tab_f[j, 2]
    dx = geo[1] * dm + geo[2] * dq
    dy = geo[4] * dm + geo[5] * dq
    norm = math.sqrt(dx * dx + dy * dy)
    return dx / norm, dy / norm


@inline_helper
def _lane_job(
    zz: NDArray[np.float64], m: int, q: int, r: float, inv_k: float, tab: Any, at_exit: bool
) -> tuple[int, bool]:
    """The number of segments of cell (m, q) (inverse scale factor ``inv_k``) to march to its reach ``r`` [m] (those
    within it and the one across it, cut there), and whether the march can run in lanes (it has segments beyond the
    near field, all inside ``zz``). ``at_exit``: the reach is where the ray leaves the last grid, so the segment
    across it holds no terrain and is left out."""
    n_major, n_minor = zz.shape
    j_end = _segments_within(tab, inv_k, r)
    if j_end < tab.nn_ext and not at_exit:
        j_end += 1
    lo, hi = _lane_range(tab, j_end, m, n_major, n_minor)
    return j_end, j_end > tab.nn and lo <= q < hi


#: Scratch of :func:`march_cells`: the lanes ``lv`` (N_LANE_ROWS, lanes) float64; int64 ``cells`` (4, lanes: row,
#: column, flat index, number of segments), ``count`` (>= ``tab.nn_ext + 2``), ``order`` (>= the window's size) and
#: ``n_seg`` (the window's shape; only the queued cells' entries are written and read).
MarchWork = namedtuple("MarchWork", ["lv", "cells", "count", "order", "n_seg"])

#: Rows of the window whose queued marches are sorted together: a batch's lanes then lie close together (their
#: gathered nodes share cache lines) and need about the same number of segments.
MARCH_BAND_ROWS = 16


@helper
def _sort_band(rows: tuple[int, int], reach: Any, n_seg: Any, count: NDArray[np.int64], order: Any) -> int:
    """Counting sort of the queued cells of window rows ``rows[0] .. rows[1] - 1`` by their number of segments
    (ascending; row-major within equal counts) into ``order`` (flat window indices); returns their number."""
    nw = reach.shape[1]
    count[:] = 0
    for mw in range(rows[0], rows[1]):
        for qw in range(nw):
            if reach[mw, qw] > 0.0 and n_seg[mw, qw] >= 0:
                count[n_seg[mw, qw] + 1] += 1
    for j in range(1, count.size):
        count[j] += count[j - 1]
    for mw in range(rows[0], rows[1]):
        for qw in range(nw):
            if reach[mw, qw] > 0.0 and n_seg[mw, qw] >= 0:
                j_end = n_seg[mw, qw]
                order[count[j_end]] = mw * nw + qw
                count[j_end] += 1
    return count[count.size - 1]


@helper
def _march_band(
    zz: NDArray[np.float64], mlo: int, qlo: int, reach: Any, near: Any, out: Any, obs_h: float, radius: float,
    tab: Any, geo: NDArray[np.float64], lv: Any, cells: NDArray[np.int64], order: Any, n_seg: Any, n_jobs: int,
) -> None:  # fmt: skip
    """March the ``n_jobs`` cells listed in ``order`` in batches of ``lv.shape[1]`` lanes, longest first (a batch's
    first cell has its largest number of segments)."""
    n_lanes = lv.shape[1]
    nw = reach.shape[1]
    for b0 in range(n_jobs - 1, -1, -n_lanes):
        n = min(n_lanes, b0 + 1)
        j_max = 0
        for i in range(n):
            mw, qw = divmod(order[b0 - i], nw)
            m = mlo + mw
            q = qlo + qw
            j_max = max(j_max, n_seg[mw, qw])
            _set_lane(lv, i, _cell_inputs(zz, m, q, obs_h, radius, geo), reach[mw, qw])
            cells[0, i] = m
            cells[1, i] = q
            cells[2, i] = m * zz.shape[1] + q
            cells[3, i] = n_seg[mw, qw]
        _flush_march(zz, mlo, qlo, near, out, radius, tab, lv, cells, n, j_max)


@helper
def march_cells(
    zz: NDArray[np.float64],
    mlo: int,
    qlo: int,
    reach: Any,
    near: Any,
    out: Any,
    obs_h: float,
    radius: float,
    tab: Any,
    geo: NDArray[np.float64],
    world: Any,
    work: Any,
) -> None:
    """The adaptive march of the window's cells (``m = mlo + mw``, ``q = qlo + qw``) with ``reach[mw, qw] > 0``
    [m]: :func:`near_tan` over segments ``tab.nn .. tab.nn_ext`` to that reach, with each cell's own inverse scale
    factor and observer ``obs_h`` [m] above it; ``out[mw, qw] = max(near[mw, qw], march)``.

    Cells whose marched segments lie inside the grid are sorted by their number of segments within bands of
    :data:`MARCH_BAND_ROWS` rows and go in batches of ``lv.shape[1]`` lanes through :func:`_march_lanes`, so that a
    batch's lanes lie close together and need about the same work; the rest go through :func:`near_tan`. ``work``:
    the scratch, a :data:`MarchWork`."""
    lv = work.lv
    cells = work.cells
    count = work.count
    order = work.order
    n_seg = work.n_seg
    dx, dy = _ray_direction(tab, geo)
    for mw in range(reach.shape[0]):
        for qw in range(reach.shape[1]):
            r = reach[mw, qw]
            if not r > 0.0:
                continue
            m = mlo + mw
            q = qlo + qw
            inv_k, zp = _cell_inputs(zz, m, q, obs_h, radius, geo)
            # the terrain ends where the ray leaves the last grid: the segments beyond it hold no sample
            s_exit = ray_exit_distance(
                geo[0] + geo[1] * m + geo[2] * q, geo[3] + geo[4] * m + geo[5] * q, dx, dy, world
            )
            r_exit = (s_exit * (1.0 + 1e-9) + 1e-6 * world.res) * inv_k
            at_exit = r_exit <= r
            r = min(r, r_exit)
            reach[mw, qw] = r
            j_end, lanes_ok = _lane_job(zz, m, q, r, inv_k, tab, at_exit)
            n_seg[mw, qw] = j_end if lanes_ok else -1  # -1: marched here
            if not lanes_ok:
                ext = near_tan(zz, m, q, zp, inv_k, radius, r, tab, tab.nn, tab.nn_ext, geo, world)
                out[mw, qw] = max(near[mw, qw], ext)
    for band in range(0, reach.shape[0], MARCH_BAND_ROWS):
        rows = (band, min(band + MARCH_BAND_ROWS, reach.shape[0]))
        n_jobs = _sort_band(rows, reach, n_seg, count, order)
        _march_band(zz, mlo, qlo, reach, near, out, obs_h, radius, tab, geo, lv, cells, order, n_seg, n_jobs)
