"""Terrain horizon maps on a spherical body: sheared-line sweep with an exact upper convex hull.

For every cell of a DEM in south polar stereographic coordinates and every azimuth, the kernel
returns the elevation angle [rad] of the terrain horizon seen from the cell centre at
``observer_height_m`` above the terrain, including terrain from coarser far-field DEMs.

Algorithm (see ``docs/models/horizon.md``):

* For each azimuth the grid is covered by straight "sheared" lines parallel to the ray, one cell
  apart along the minor axis, sampled at every row (column) step, half step and crossing of a
  column (row) line through cell centres (kinks of the bilinear surface).
* Each line is extended into the far-field grids up to ``max_distance_m`` beyond its last grid row.
* Line samples are placed in the exact 2-D great-circle plane of the line, ``X = (R+z) sin(u/R)``,
  ``Y = (R+z) cos(u/R) - R`` with ``u`` the along-ground distance (stereographic scale factor
  removed). In this frame the maximum elevation angle seen from an observer is the upper tangent
  to the upper convex hull of the samples ahead of it, rotated by the observer's angle ``u/R``:
  curvature is exact, not a parabola.
* The line is swept from its far end toward its start, keeping the hull as a stack; each cell
  queries the tangent by a galloping + binary search (cross-multiplied comparisons).
* The first ``near_samples`` steps along the cell's own ray are evaluated exactly for the bilinear
  surface: at every crossing of a row or column line through cell centres (kinks) and at the
  analytic interior maximum of each segment's quadratic. The hull only holds samples further away
  (delayed insertion). The far part is queried on the two lines that bracket the cell, from the
  foot of the perpendicular from the cell centre onto each line, with the cell's own observer
  height, and blended linearly by the lateral offset (in tangent space).
* Where the two lines disagree by more than ``adaptive_tol`` and both tangent points lie within
  ``adaptive_steps`` steps (steep near walls, where blending is poor), or where the terrain ends
  early (edge) and only one line saw terrain, the cell's own ray is marched directly instead.
* Beyond the outermost cell centres of a grid there is no terrain from it (no edge replication);
  a ray ends there unless a far field covers the point.
* Terrain beyond ``max_distance_m`` is excluded exactly (fallback scan when the hull tangent lies
  beyond it).

All quantities are SI: heights and distances [m], angles [rad].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_NEAR_SAMPLES", "MAX_FAR_FIELDS", "horizon_map_cpu", "pack_far_fields"]

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

# Tangent value used for "no terrain on this line" (atan -> -pi/2).
_EMPTY_TAN = -1.0e20
# Marker left in the output by a bracketing line that saw no terrain (fits float32).
_EMPTY_MARK = -3.0e38
# Status codes of the world sampler.
_OK = 0
_HOLE = 1
_OUTSIDE = 2
# Tolerance [cell indices] of the "between the outermost cell centres" test (rounding of map coordinates).
_EPS_IDX = 1e-9

# fastmath without nnan/ninf: NaN tests must survive optimisation.
_FM = {"nsz", "arcp", "contract", "afn", "reassoc"}

# Helpers run without NRT reference counting: passing arrays to a compiled helper otherwise costs
# an atomic incref/decref per array per call, which dominated the run time.
_HELPER_OPTS: dict[str, Any] = {"cache": True, "fastmath": _FM, "_nrt": False}
_helper = numba.njit(**_HELPER_OPTS)

FarField = tuple[NDArray[np.floating], float, float, float]


@_helper
def _bilinear_clamped(g: NDArray[np.float64], ri: float, cj: float) -> float:
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


@_helper
def _sample_world(
    x: float,
    y: float,
    z: NDArray[np.float64],
    x0: float,
    y0: float,
    res: float,
    f0: NDArray[np.float64],
    f1: NDArray[np.float64],
    f2: NDArray[np.float64],
    fgeo: NDArray[np.float64],
    nfar: int,
) -> tuple[float, int, float]:
    """Terrain height [m] at map point (x, y) [m]: main DEM first, then far fields.

    A grid covers the rectangle between its outermost cell centres (no edge extrapolation).
    Returns ``(height, status, res_cover)``: status 0 = valid, 1 = hole (covered but NaN),
    2 = outside every grid; ``res_cover`` [m] is the pixel size of the first grid covering the
    point (0 when outside all).
    """
    ny, nx = z.shape
    cj = (x - x0) / res - 0.5
    ri = (y0 - y) / res - 0.5
    if -_EPS_IDX <= cj <= nx - 1.0 + _EPS_IDX and -_EPS_IDX <= ri <= ny - 1.0 + _EPS_IDX:
        v = _bilinear_clamped(z, ri, cj)
        if math.isnan(v):
            return math.nan, _HOLE, res
        return v, _OK, res
    res_cover = 0.0
    for g in range(nfar):
        if g == 0:
            a = f0
        elif g == 1:
            a = f1
        else:
            a = f2
        gx0 = fgeo[g, 0]
        gy0 = fgeo[g, 1]
        gres = fgeo[g, 2]
        gny, gnx = a.shape
        cj = (x - gx0) / gres - 0.5
        ri = (gy0 - y) / gres - 0.5
        if -_EPS_IDX <= cj <= gnx - 1.0 + _EPS_IDX and -_EPS_IDX <= ri <= gny - 1.0 + _EPS_IDX:
            if res_cover == 0.0:
                res_cover = gres
            v = _bilinear_clamped(a, ri, cj)
            if not math.isnan(v):
                return v, _OK, gres
    if res_cover > 0.0:
        return math.nan, _HOLE, res_cover
    return math.nan, _OUTSIDE, 0.0


@_helper
def _pred(hx: NDArray[np.float64], hy: NDArray[np.float64], i: int, px: float, py: float) -> bool:
    """True when hull vertex ``i-1`` (farther) is seen from P under a larger slope than vertex ``i``."""
    ax = hx[i] - px
    ay = hy[i] - py
    bx = hx[i - 1] - px
    by = hy[i - 1] - py
    return by * ax > ay * bx


@_helper
def _tangent(hx: NDArray[np.float64], hy: NDArray[np.float64], top: int, start: int, px: float, py: float) -> int:
    """Index of the hull vertex of largest slope from P, by galloping + binary search from ``start``.

    Along the upper hull (index 0 = farthest) the slope from an observer left of all vertices is
    unimodal; ``pred(i)`` is false for ``i <= answer`` and true above it.
    """
    j = start
    if j > top:
        j = top
    if j >= 1 and _pred(hx, hy, j, px, py):
        last_true = j
        step = 1
        lo = 0
        while True:
            p = last_true - step
            if p <= 0:
                lo = 0
                break
            if _pred(hx, hy, p, px, py):
                last_true = p
                step *= 2
            else:
                lo = p
                break
        hi = last_true - 1
    else:
        last_false = j
        step = 1
        first_true = top + 1
        while True:
            p = last_false + step
            if p > top:
                break
            if _pred(hx, hy, p, px, py):
                first_true = p
                break
            last_false = p
            step *= 2
        lo = last_false
        hi = first_true - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _pred(hx, hy, mid, px, py):
            hi = mid - 1
        else:
            lo = mid
    return lo


@_helper
def _far_tan(
    wx: NDArray[np.float64],
    wy: NDArray[np.float64],
    wz: NDArray[np.float64],
    wu: NDArray[np.float64],
    wc: NDArray[np.float64],
    ws: NDArray[np.float64],
    wv: NDArray[np.uint8],
    hx: NDArray[np.float64],
    hy: NDArray[np.float64],
    hi: NDArray[np.int64],
    top: int,
    hint: int,
    lim: int,
    n_tot: int,
    u_obs: float,
    cth: float,
    sth: float,
    zp: float,
    radius: float,
    max_dist: float,
) -> tuple[float, int, float]:
    """Elevation tangent of the highest hull sample seen from an observer on the line at height ``zp`` [m].

    The observer lies at along-ground distance ``u_obs`` [m] on the line, i.e. at frame angle
    ``theta`` with ``cth = cos(theta)``, ``sth = sin(theta)``. Returns ``(tan_elevation, hull_index,
    distance)`` with the along-ground distance [m] of the tangent point; ``(_EMPTY_TAN, ., inf)`` when
    no sample lies within ``max_dist`` [m].
    """
    if top < 0:
        return _EMPTY_TAN, hint, math.inf
    inv_c = 1.0 / cth
    px = sth * inv_c
    aa = radius * sth * sth / (1.0 + cth) * inv_c
    py = (zp - aa) / (radius + zp)
    it = _tangent(hx, hy, top, hint, px, py)
    best = hi[it]
    if wu[best] - u_obs > max_dist:
        # tangent point beyond max_distance: exact scan of the window
        best = -1
        bx = 0.0
        by = 0.0
        for s in range(lim, n_tot):
            if wu[s] - u_obs > max_dist:
                break
            if wv[s]:
                ex = wx[s] - px
                ey = wy[s] - py
                if best < 0 or ey * bx > by * ex:
                    bx = ex
                    by = ey
                    best = s
        if best < 0:
            return _EMPTY_TAN, it, math.inf
    # exact elevation: tan e = (r_q cos d - r_p) / (r_q sin d), d = theta_q - theta_p
    cq = wc[best]
    sq = ws[best]
    rq = radius + wz[best]
    cosd = cq * cth + sq * sth
    sind = sq * cth - cq * sth
    return ((wz[best] - zp) + rq * (cosd - 1.0)) / (rq * sind), it, wu[best] - u_obs


@_helper
def _ray_height(
    zz: NDArray[np.float64],
    z: NDArray[np.float64],
    mm: int,
    qq: int,
    mf: float,
    qf: float,
    geo: NDArray[np.float64],
    f0: NDArray[np.float64],
    f1: NDArray[np.float64],
    f2: NDArray[np.float64],
    fgeo: NDArray[np.float64],
    nfar: int,
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
    zq, _st, _r = _sample_world(xw, yw, z, geo[6], geo[7], geo[8], f0, f1, f2, fgeo, nfar)
    return zq


@_helper
def _near_tan(
    zz: NDArray[np.float64],
    z: NDArray[np.float64],
    m: int,
    q: int,
    zp: float,
    inv_k: float,
    radius: float,
    max_dist: float,
    tab_i: NDArray[np.int64],
    tab_f: NDArray[np.float64],
    j0: int,
    nn: int,
    geo: NDArray[np.float64],
    f0: NDArray[np.float64],
    f1: NDArray[np.float64],
    f2: NDArray[np.float64],
    fgeo: NDArray[np.float64],
    nfar: int,
) -> float:
    """Maximum elevation tangent over segments ``j0 <= j < nn`` of the exact ray from cell (m, q) of ``zz``.

    The ray is cut into segments by its crossings of the row and column lines through cell
    centres; within a segment the bilinear surface is a quadratic ``z(s) = z_A + g (s - s_A) +
    c (s - s_A)(s - s_B)`` of the map distance ``s`` [m]. Segment ``j`` ends at index offset
    (``tab_i[j,0] + tab_f[j,0]``, ``tab_i[j,1] + tab_f[j,1]``) at map distance ``tab_f[j,2]``; its
    bilinear cell has lower corner offset (``tab_i[j,2]``, ``tab_i[j,3]``) and ``c = D * tab_f[j,3]``
    with ``D`` the cell's twist ``z00 - z01 - z10 + z11``. Every crossing (a kink) and, where the
    quadratic (with the curvature drop ``s^2 inv_k^2 / 2R``) has an interior maximum of
    ``(z(s) - zp)/s``, that point are evaluated, so the maximum over the bilinear surface is exact.
    ``zp`` [m] is the observer height, ``inv_k`` the inverse stereographic scale factor at the cell.
    Near the observer the exact elevation reduces to ``tan e = (z_q - z_p - R th^2/2) / ((R + z_q) th)``
    with ``th`` the central angle (relative error < 1e-6 within a few km). Samples beyond
    ``max_dist`` [m] are ignored. Returns ``_EMPTY_TAN`` when no sample is valid.
    """
    n_major, n_minor = zz.shape
    best_num = -1.0
    best_den = 0.0
    found = False
    if j0 == 0:
        s_a = 0.0
        z_a = zz[m, q]
    else:
        s_a = tab_f[j0 - 1, 2]
        z_a = _ray_height(
            zz,
            z,
            m + tab_i[j0 - 1, 0],
            q + tab_i[j0 - 1, 1],
            tab_f[j0 - 1, 0],
            tab_f[j0 - 1, 1],
            geo,
            f0,
            f1,
            f2,
            fgeo,
            nfar,
        )
    curv = 0.5 * inv_k * inv_k / radius
    for j in range(j0, nn):
        s_b = tab_f[j, 2]
        if s_b * inv_k > max_dist:
            break
        mm = m + tab_i[j, 0]
        qq = q + tab_i[j, 1]
        mf = tab_f[j, 0]
        qf = tab_f[j, 1]
        if mm >= 0 and mm + 1 < n_major and qq >= 0 and qq + 1 < n_minor:
            # fast path: a crossing lies on a row (mf = 0) or a column (qf = 0) line
            a = zz[mm, qq]
            if mf == 0.0:
                z_b = a + qf * (zz[mm, qq + 1] - a)
            else:
                z_b = a + mf * (zz[mm + 1, qq] - a)
        else:
            z_b = _ray_height(zz, z, mm, qq, mf, qf, geo, f0, f1, f2, fgeo, nfar)
        if math.isnan(z_b):
            s_a = s_b
            z_a = z_b
            continue
        # candidate 1: the crossing itself
        th = s_b * inv_k / radius
        num = (z_b - zp) - 0.5 * radius * th * th
        den = (radius + z_b) * th
        if (not found) or num * best_den > best_num * den:
            best_num = num
            best_den = den
            found = True
        # candidate 2: interior maximum of (z(s) - zp - curv s^2)/s on the segment's quadratic
        cm = m + tab_i[j, 2]  # lower corner of the segment's bilinear cell
        cq = q + tab_i[j, 3]
        if (not math.isnan(z_a)) and cm >= 0 and cm + 1 < n_major and cq >= 0 and cq + 1 < n_minor:
            twist = zz[cm, cq] - zz[cm, cq + 1] - zz[cm + 1, cq] + zz[cm + 1, cq + 1]
            cc = twist * tab_f[j, 3]
            if s_a == 0.0 and zp <= z_a:
                # observer on the surface: the supremum as s -> 0 is the terrain slope along the ray
                slope = (z_b - z_a) / s_b - cc * s_b
                if slope * best_den > best_num:
                    best_num = slope
                    best_den = 1.0
            ce = cc - curv
            if ce < 0.0:
                g = (z_b - z_a) / (s_b - s_a)
                alpha = z_a - g * s_a + cc * s_a * s_b  # value of the quadratic at s = 0
                if alpha < zp:
                    s_star = math.sqrt((zp - alpha) / (-ce))
                    if s_a < s_star < s_b:
                        zs = z_a + g * (s_star - s_a) + cc * (s_star - s_a) * (s_star - s_b)
                        if not math.isnan(zs):
                            th = s_star * inv_k / radius
                            num = (zs - zp) - 0.5 * radius * th * th
                            den = (radius + zs) * th
                            if num * best_den > best_num * den:
                                best_num = num
                                best_den = den
        s_a = s_b
        z_a = z_b
    if not found:
        return _EMPTY_TAN
    return best_num / best_den


@_helper
def _split(v: float) -> tuple[int, float]:
    """Integer floor and fractional part of ``v`` with the fraction guaranteed in [0, 1)."""
    f = math.floor(v)
    fr = v - f
    if fr >= 1.0:
        return f + 1, 0.0
    return f, fr


@_helper
def _served(b: int, t: float, k: int, n_minor: int) -> bool:
    """Whether step ``k`` of line ``b`` lies strictly between minor positions -1 and n_minor."""
    ki, fr = _split(t * k)
    q0 = b + ki
    return q0 >= -1 and q0 <= n_minor - 1 and not (q0 == -1 and fr == 0.0)


@_helper
def _line_height(zz: NDArray[np.float64], m: int, q0: int, fr: float, n_minor: int) -> float:
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


@_helper
def _sweep_line(
    zz: NDArray[np.float64],
    oo: NDArray[np.float32],
    ee: NDArray[np.uint8],
    z: NDArray[np.float64],
    b: int,
    t: float,
    sm: int,
    m0: int,
    ds_grid: float,
    nnear: int,
    obs_h: float,
    radius: float,
    max_dist: float,
    geo: NDArray[np.float64],
    f0: NDArray[np.float64],
    f1: NDArray[np.float64],
    f2: NDArray[np.float64],
    fgeo: NDArray[np.float64],
    nfar: int,
    tab_i: NDArray[np.int64],
    tab_f: NDArray[np.float64],
    nn: int,
    nn_ext: int,
    ext_len: float,
    ext_tol: float,
    ext_margin: float,
    dd: NDArray[np.float64],
    wx: NDArray[np.float64],
    wy: NDArray[np.float64],
    wz: NDArray[np.float64],
    wu: NDArray[np.float64],
    wc: NDArray[np.float64],
    ws: NDArray[np.float64],
    wa: NDArray[np.float64],
    wk: NDArray[np.float64],
    wv: NDArray[np.uint8],
    hx: NDArray[np.float64],
    hy: NDArray[np.float64],
    hi: NDArray[np.int64],
    sidx: NDArray[np.int64],
) -> None:
    """Sweep one sheared line and accumulate its contribution into the output (tangent space).

    ``zz``/``oo``/``ee`` are the DEM, output tangent slice and edge flags viewed as
    (major, minor) arrays; the line's minor position at step k is ``b + t*k`` and its major index
    ``m0 + sm*k``. Samples are taken at every step and half step. A cell at the line's floor
    position receives weight ``1 - frac`` and is finalised (max with its near samples); the cell
    above receives ``frac`` (accumulated; that line is swept earlier). ``geo`` maps (major, minor)
    indices to map coordinates ``x = geo[0] + geo[1]*m + geo[2]*q``,
    ``y = geo[3] + geo[4]*m + geo[5]*q`` and holds the main grid ``x0, y0, res`` in ``geo[6:9]``.
    Work arrays ``w*`` and ``h*`` are preallocated by the caller.
    """
    n_major, n_minor = zz.shape
    near_len = nnear * ds_grid
    # along-line map distance [m] of the foot of the perpendicular per cell of minor offset
    foot = t / (1.0 + t * t) * ds_grid
    # --- served range of steps: line position strictly inside (-1, n_minor)
    if t == 0.0:
        if b < 0 or b > n_minor - 1:
            return
        k_first = 0
        k_last = n_major - 1
    else:
        ka = (-1.0 - b) / t
        kb = (n_minor - b) / t
        klo = min(max(min(ka, kb), -2.0), n_major + 2.0)
        khi = min(max(max(ka, kb), -2.0), n_major + 2.0)
        k_first = max(int(math.floor(klo)) - 1, 0)
        k_last = min(int(math.ceil(khi)) + 1, n_major - 1)
        while k_first <= k_last and not _served(b, t, k_first, n_minor):
            k_first += 1
        while k_last >= k_first and not _served(b, t, k_last, n_minor):
            k_last -= 1
        if k_first > k_last:
            return
    cap = wx.shape[0]
    n_srv = k_last - k_first + 1
    # --- phase 1: samples at every step, half step and crossing of a column (row) line through cell
    # centres (where the bilinear surface has a kink); step ell's sample index is sidx[ell]
    n_ph1 = 0
    u = 0.0
    prev_inv = 0.0
    k_prev = float(k_first)
    u_last_valid = -math.inf  # along-ground distance of the last valid sample (edge flag)
    for ell in range(n_srv):
        k = k_first + ell
        m = m0 + sm * k
        # fractions along the step: 0, then the column crossing and the half step in order
        fa = 0.5
        fb = 2.0
        if ell < n_srv - 1 and t != 0.0:
            tk = t * k
            nxt = math.floor(tk) + 1.0 if t > 0.0 else math.ceil(tk) - 1.0
            fc = (nxt - tk) / t
            if 1e-9 < fc < 1.0 - 1e-9 and abs(fc - 0.5) > 1e-9:
                if fc < 0.5:
                    fa = fc
                    fb = 0.5
                else:
                    fb = fc
        n_sub = 1 if ell == n_srv - 1 else (3 if fb < 1.0 else 2)
        for i_sub in range(n_sub):
            if i_sub == 0:
                f = 0.0
                sidx[ell] = n_ph1
            elif i_sub == 1:
                f = fa
            else:
                f = fb
            kpos = k + f
            ki, fr = _split(t * kpos)
            q0 = b + ki
            qf = q0 + fr
            mpos = m + sm * f
            xw = geo[0] + geo[1] * mpos + geo[2] * qf
            yw = geo[3] + geo[4] * mpos + geo[5] * qf
            inv = 1.0 / (1.0 + (xw * xw + yw * yw) / (4.0 * radius * radius))
            if n_ph1 > 0:
                u += 0.5 * (kpos - k_prev) * ds_grid * (inv + prev_inv)
            prev_inv = inv
            k_prev = kpos
            s_ = n_ph1
            n_ph1 += 1
            wu[s_] = u
            wk[s_] = inv
            if f == 0.0:
                zq = _line_height(zz, m, q0, fr, n_minor)
            else:
                zq = (1.0 - f) * _line_height(zz, m, q0, fr, n_minor) + f * _line_height(zz, m + sm, q0, fr, n_minor)
            if math.isnan(zq):
                zq, _st, _r = _sample_world(xw, yw, z, geo[6], geo[7], geo[8], f0, f1, f2, fgeo, nfar)
            if math.isnan(zq):
                wv[s_] = 0
            else:
                wv[s_] = 1
                wz[s_] = zq
                u_last_valid = u
    # --- phase 2: far-field extension beyond the last served step, half a pixel per step
    n_tot = n_ph1
    u_last_srv = wu[n_ph1 - 1]
    u_end = math.inf
    kpos = float(k_last)
    step_res = geo[8]
    while True:
        if n_tot >= cap:
            u_end = u_last_valid
            break
        dk = 0.5 * step_res / ds_grid
        kpos += dk
        mpos = m0 + sm * kpos
        qpos = b + t * kpos
        xn = geo[0] + geo[1] * mpos + geo[2] * qpos
        yn = geo[3] + geo[4] * mpos + geo[5] * qpos
        inv = 1.0 / (1.0 + (xn * xn + yn * yn) / (4.0 * radius * radius))
        u += 0.5 * dk * ds_grid * (inv + prev_inv)
        prev_inv = inv
        if u > u_last_srv + max_dist:
            break
        zq, st, rc = _sample_world(xn, yn, z, geo[6], geo[7], geo[8], f0, f1, f2, fgeo, nfar)
        if st == _OUTSIDE:
            u_end = u_last_valid
            break
        step_res = rc
        wu[n_tot] = u
        if st == _OK:
            wv[n_tot] = 1
            wz[n_tot] = zq
            u_last_valid = u
        else:
            wv[n_tot] = 0
        n_tot += 1
    # --- exact great-circle-plane geometry, angle theta = (u - u_mid)/R from the middle of the line.
    # Projective coordinates xi = tan(theta), eta = 1 - R/(r cos(theta)) = (z - A)/(R + z) with
    # A = R (1 - cos)/cos keep straight lines straight (so hull and tangents are exact), are
    # monotone in theta whatever the terrain slope, and keep "up" up.
    u_mid = 0.5 * u_last_srv
    th0 = (wu[0] - u_mid) / radius
    cth = math.cos(th0)
    sth = math.sin(th0)
    uprev = wu[0]
    for s in range(n_tot):
        d = (wu[s] - uprev) / radius
        uprev = wu[s]
        d2 = d * d
        cd = 1.0 - d2 * (0.5 - d2 / 24.0)
        sd = d * (1.0 - d2 * (1.0 / 6.0 - d2 / 120.0))
        cn = cth * cd - sth * sd
        sn = sth * cd + cth * sd
        cth = cn
        sth = sn
        wc[s] = cth
        ws[s] = sth
        inv_c = 1.0 / cth
        wx[s] = sth * inv_c
        aa = radius * sth * sth / (1.0 + cth) * inv_c
        wa[s] = aa
        if wv[s]:
            zq = wz[s]
            wy[s] = (zq - aa) / (radius + zq)
    # --- sweep from the far end: upper hull as a stack (bottom = farthest)
    top = -1
    s_push = n_tot - 1
    hint0 = 0
    hint1 = 0
    for ell in range(n_srv - 1, -1, -1):
        s_obs = sidx[ell]
        # delayed insertion: the hull only holds samples beyond the near part of the exact ray
        u_near = wu[s_obs] + near_len * wk[s_obs] * (1.0 + 1e-9)
        while s_push > s_obs and wu[s_push] > u_near:
            if wv[s_push]:
                qx = wx[s_push]
                qy = wy[s_push]
                while top >= 1:
                    tx = hx[top] - qx
                    ty = hy[top] - qy
                    nx_ = hx[top - 1] - qx
                    ny_ = hy[top - 1] - qy
                    if ty * nx_ <= ny_ * tx:
                        top -= 1
                    else:
                        break
                top += 1
                hx[top] = qx
                hy[top] = qy
                hi[top] = s_push
            s_push -= 1
        lim = s_push + 1
        k = k_first + ell
        m = m0 + sm * k
        ki, fr = _split(t * k)
        q0 = b + ki
        u_obs = wu[s_obs]
        edge = u_obs + max_dist > u_end + 1e-6
        c_obs = wc[s_obs]
        s_obs_th = ws[s_obs]
        # far part: tangent from the cell's own observer height placed on the line; blended
        # between the two lines that bracket the cell (weights by lateral offset)
        for side in range(2):
            if side == 0:
                qc = q0
                w = 1.0 - fr
            else:
                qc = q0 + 1
                w = fr
                if w <= 0.0:
                    break
            if qc < 0 or qc >= n_minor:
                continue
            zc = zz[m, qc]
            if math.isnan(zc):
                oo[m, qc] = math.nan
                continue
            if edge:
                ee[m, qc] = 1
            zp = zc + obs_h
            # observer at the foot of the perpendicular from the cell centre onto the line: the cell
            # lies delta = qc - (q0 + fr) cells off the line's point on row m, i.e. dk = delta*t/(1+t^2)
            # steps along the line (|dk| <= 1/2)
            du = (qc - q0 - fr) * foot * wk[s_obs]
            dth = du / radius
            cd = 1.0 - 0.5 * dth * dth
            c_f = c_obs * cd - s_obs_th * dth
            s_f = s_obs_th * cd + c_obs * dth
            if side == 0:
                tanv, hint0, dist = _far_tan(
                    wx,
                    wy,
                    wz,
                    wu,
                    wc,
                    ws,
                    wv,
                    hx,
                    hy,
                    hi,
                    top,
                    hint0,
                    lim,
                    n_tot,
                    u_obs + du,
                    c_f,
                    s_f,
                    zp,
                    radius,
                    max_dist,
                )
            else:
                tanv, hint1, dist = _far_tan(
                    wx,
                    wy,
                    wz,
                    wu,
                    wc,
                    ws,
                    wv,
                    hx,
                    hy,
                    hi,
                    top,
                    hint1,
                    lim,
                    n_tot,
                    u_obs + du,
                    c_f,
                    s_f,
                    zp,
                    radius,
                    max_dist,
                )
            if side == 0:
                prev = oo[m, qc]
                near = _near_tan(
                    zz, z, m, qc, zp, wk[s_obs], radius, max_dist, tab_i, tab_f, 0, nn, geo, f0, f1, f2, fgeo, nfar
                )
                both = prev > _EMPTY_MARK and tanv > _EMPTY_TAN
                march = False
                if fr > 0.0:
                    if both:
                        # where the two lines disagree and both tangent points are within reach, lateral
                        # blending is poor (steep near walls): march the cell's own ray instead
                        d_far = max(dist, dd[m, qc])
                        march = abs(tanv - prev / fr) > ext_tol and d_far < ext_len * wk[s_obs]
                    else:
                        d_far = math.inf
                    # where the terrain ends early (edge) the lines can see less or more of it than the
                    # cell's own ray: march unless the lines agree
                    march = march or (edge and not both)
                if march:
                    if edge:
                        s_end = min(max_dist, ext_len * wk[s_obs])
                    else:
                        # on to a little beyond the farther tangent point (the own ray's horizon lies
                        # between the lines' up to the lateral variation)
                        s_end = min(max_dist, d_far * (1.0 + ext_margin) + 2.0 * ds_grid * wk[s_obs])
                    ext = _near_tan(
                        zz,
                        z,
                        m,
                        qc,
                        zp,
                        wk[s_obs],
                        radius,
                        s_end,
                        tab_i,
                        tab_f,
                        nn,
                        nn_ext,
                        geo,
                        f0,
                        f1,
                        f2,
                        fgeo,
                        nfar,
                    )
                    oo[m, qc] = max(near, ext)
                    continue
                if prev <= _EMPTY_MARK:
                    acc = tanv  # the other bracketing line saw no terrain: this line alone
                elif tanv <= _EMPTY_TAN:
                    acc = prev / (1.0 - w) if w < 1.0 else _EMPTY_TAN  # this line saw none: the other alone
                else:
                    acc = prev + w * tanv
                oo[m, qc] = max(near, acc)
            elif tanv <= _EMPTY_TAN:
                oo[m, qc] = _EMPTY_MARK
            else:
                oo[m, qc] = w * tanv
                dd[m, qc] = dist


@numba.njit(cache=True, parallel=True, fastmath=_FM)
def _horizon_kernel(
    z: NDArray[np.float64],
    x0: float,
    y0: float,
    res: float,
    azimuths: NDArray[np.float64],
    obs_h: float,
    radius: float,
    max_dist: float,
    f0: NDArray[np.float64],
    f1: NDArray[np.float64],
    f2: NDArray[np.float64],
    fgeo: NDArray[np.float64],
    nfar: int,
    nnear: int,
    n_ext: int,
    ext_tol: float,
    ext_margin: float,
    ext_cap: int,
    out: NDArray[np.float32],
    edge: NDArray[np.uint8],
) -> None:
    """Parallel (over azimuths) driver: fills ``out`` [rad] and ORs the edge flags into ``edge``."""
    ny, nx = z.shape
    n_az = azimuths.shape[0]
    zt = z.T
    cap = 3 * max(ny, nx) + ext_cap + 4
    # near segments: at most one row and one column crossing per step
    nseg_max = 2 * max(nnear, n_ext) + 2
    for a in numba.prange(n_az):
        az = azimuths[a]
        sa = math.sin(az)
        ca = math.cos(az)
        wx = np.empty(cap)
        wy = np.empty(cap)
        wz = np.empty(cap)
        wu = np.empty(cap)
        wc = np.empty(cap)
        ws = np.empty(cap)
        wa = np.empty(cap)
        wk = np.empty(cap)
        wv = np.zeros(cap, dtype=np.uint8)
        hx = np.empty(cap)
        hy = np.empty(cap)
        hi = np.empty(cap, dtype=np.int64)
        sidx = np.empty(max(ny, nx), dtype=np.int64)
        oa = out[a]
        da = np.full((ny, nx), np.inf)  # tangent-point distance [m] of the line that served a cell first
        oa[:, :] = _EMPTY_MARK  # "no bracketing line has served this cell yet"
        geo = np.empty(9)
        geo[6] = x0
        geo[7] = y0
        geo[8] = res
        rows_major = abs(ca) >= abs(sa)
        if rows_major:
            # major axis = rows (row index grows toward -y), minor = columns
            sm = 1 if ca < 0.0 else -1
            t = sa / abs(ca)
            n_major = ny
            n_minor = nx
            geo[0] = x0 + 0.5 * res
            geo[1] = 0.0
            geo[2] = res
            geo[3] = y0 - 0.5 * res
            geo[4] = -res
            geo[5] = 0.0
        else:
            # major axis = columns (grow toward +x), minor = rows
            sm = 1 if sa > 0.0 else -1
            t = -ca / abs(sa)
            n_major = nx
            n_minor = ny
            geo[0] = x0 + 0.5 * res
            geo[1] = res
            geo[2] = 0.0
            geo[3] = y0 - 0.5 * res
            geo[4] = 0.0
            geo[5] = -res
        if abs(t) < 1e-12:
            t = 0.0
        m0 = 0 if sm > 0 else n_major - 1
        ds_grid = res * math.sqrt(1.0 + t * t)
        ext_len = n_ext * ds_grid
        # near-segment table (see _near_tan): the exact ray from any cell crosses row lines at every
        # step k and column lines at k = n/|t|, the same offsets for every cell
        at = abs(t)
        tab_i = np.empty((nseg_max, 4), dtype=np.int64)
        tab_f = np.empty((nseg_max, 4))
        nn = 0
        nn_ext = 0
        k_prev = 0.0
        n_row = 1
        n_col = 1
        while True:
            k_row = float(n_row)
            k_col = n_col / at if at > 0.0 else math.inf
            if k_row <= k_col:
                kk = k_row
                row_cross = True
            else:
                kk = k_col
                row_cross = False
            if kk > n_ext + 1e-9:
                break
            if kk <= nnear + 1e-9:
                nn = nn_ext + 1
            if row_cross:
                n_row += 1
                if abs(k_col - k_row) < 1e-9:
                    n_col += 1  # the ray passes through a cell centre: one crossing
                mi = sm * int(kk)
                qi, qfr = _split(t * kk)
                mfr = 0.0
            else:
                n_col += 1
                mi, mfr = _split(sm * kk)
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
        span = t * (n_major - 1)
        bmin = int(math.floor(min(0.0, -span))) - 2
        bmax = int(math.floor(n_minor - 1 + max(0.0, -span))) + 2
        for b in range(bmin, bmax + 1):
            if rows_major:
                _sweep_line(
                    z,
                    oa,
                    edge,
                    z,
                    b,
                    t,
                    sm,
                    m0,
                    ds_grid,
                    nnear,
                    obs_h,
                    radius,
                    max_dist,
                    geo,
                    f0,
                    f1,
                    f2,
                    fgeo,
                    nfar,
                    tab_i,
                    tab_f,
                    nn,
                    nn_ext,
                    ext_len,
                    ext_tol,
                    ext_margin,
                    da,
                    wx,
                    wy,
                    wz,
                    wu,
                    wc,
                    ws,
                    wa,
                    wk,
                    wv,
                    hx,
                    hy,
                    hi,
                    sidx,
                )
            else:
                _sweep_line(
                    zt,
                    oa.T,
                    edge.T,
                    z,
                    b,
                    t,
                    sm,
                    m0,
                    ds_grid,
                    nnear,
                    obs_h,
                    radius,
                    max_dist,
                    geo,
                    f0,
                    f1,
                    f2,
                    fgeo,
                    nfar,
                    tab_i,
                    tab_f,
                    nn,
                    nn_ext,
                    ext_len,
                    ext_tol,
                    ext_margin,
                    da.T,
                    wx,
                    wy,
                    wz,
                    wu,
                    wc,
                    ws,
                    wa,
                    wk,
                    wv,
                    hx,
                    hy,
                    hi,
                    sidx,
                )
        for i in range(ny):
            for j in range(nx):
                oa[i, j] = math.atan(oa[i, j])


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
        Ignored (kept for compatibility): the near field is now exact for the bilinear surface.
    adaptive_steps
        Reach [major steps] of the direct march of the cell's own ray used where the two bracketing
        lines disagree.
    adaptive_tol
        Disagreement [tan of elevation] of the two bracketing lines above which the cell's own ray
        is marched directly (``math.inf`` disables the march: faster, less accurate on steep terrain).
    adaptive_margin
        Relative margin beyond the farther tangent point to which the direct march extends.

    Returns
    -------
    horizon_rad
        float32 array (n_az, ny, nx) of horizon elevation angles [rad] above the local horizontal;
        -pi/2 where no terrain at all lies along the ray.
    edge_limited
        bool array (ny, nx): True where, for at least one azimuth, the available terrain ended
        before ``max_distance_m``.
    """
    zz = np.ascontiguousarray(z, dtype=np.float64)
    if zz.ndim != 2 or zz.shape[0] < 1 or zz.shape[1] < 1:
        raise ValueError("z must be a non-empty 2-D array")
    if not res > 0.0:
        raise ValueError("res must be positive")
    if not body_radius_m > 0.0:
        raise ValueError("body_radius_m must be positive")
    if not max_distance_m > 0.0:
        raise ValueError("max_distance_m must be positive")
    if near_samples < 1 or near_substeps < 1:
        raise ValueError("near_samples and near_substeps must be >= 1")
    az = np.ascontiguousarray(np.atleast_1d(np.asarray(azimuths_rad, dtype=np.float64)))
    f0, f1, f2, fgeo, nfar = pack_far_fields(far_fields)
    finest = min([res, *[float(fgeo[g, 2]) for g in range(nfar)]])
    # grid distance >= ground distance; k <= 1 + rho^2/(4R^2) with rho bounded by all grids' extents
    rho_max = _max_rho(zz.shape, x0, y0, res, f0, f1, f2, fgeo, nfar)
    k_max = 1.0 + rho_max**2 / (4.0 * body_radius_m**2)
    ext_cap = int(math.ceil(2.0 * max_distance_m * k_max / finest)) + 8
    ny, nx = zz.shape
    out = np.empty((az.shape[0], ny, nx), dtype=np.float32)
    edge = np.zeros((ny, nx), dtype=np.uint8)
    if az.shape[0] > 0:
        _horizon_kernel(
            zz,
            float(x0),
            float(y0),
            float(res),
            az,
            float(observer_height_m),
            float(body_radius_m),
            float(max_distance_m),
            f0,
            f1,
            f2,
            fgeo,
            nfar,
            int(near_samples),
            max(int(adaptive_steps), int(near_samples)),
            float(adaptive_tol),
            float(adaptive_margin),
            ext_cap,
            out,
            edge,
        )
    return out, edge.astype(bool)


def _max_rho(
    shape: tuple[int, ...],
    x0: float,
    y0: float,
    res: float,
    f0: NDArray[np.float64],
    f1: NDArray[np.float64],
    f2: NDArray[np.float64],
    fgeo: NDArray[np.float64],
    nfar: int,
) -> float:
    """Largest distance from the pole [m] of any grid corner (main and far fields)."""
    grids = [(shape, x0, y0, res)]
    for g, a in enumerate((f0, f1, f2)[:nfar]):
        grids.append((a.shape, float(fgeo[g, 0]), float(fgeo[g, 1]), float(fgeo[g, 2])))
    rho = 0.0
    for (gny, gnx), gx0, gy0, gres in grids:
        for xx in (gx0, gx0 + gnx * gres):
            for yy in (gy0, gy0 - gny * gres):
                rho = max(rho, math.hypot(xx, yy))
    return rho
