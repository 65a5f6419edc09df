"""One sheared line of one azimuth: sampling, the projective frame, and the sweep that serves its cells.

``zz``/``oo``/``ee``/``dd`` (bundled as :data:`Views`) are the DEM, the output tangent slice, the edge flags
and the tangent-point distances of the first serving line, all viewed as (major, minor) arrays. The line's
minor position at step ``k`` is ``b + t k`` and its major index ``m0 + sm k``. A cell at the line's floor
position receives weight ``1 - frac`` and is finalised (max with its near field, computed beforehand for the whole
window by :func:`~lupex.core.horizon.near.near_row`, or queued for the adaptive march, run after the sweep by
:func:`~lupex.core.horizon.near.march_cells`); the cell above receives ``frac`` (accumulated; that line is swept
earlier). SI units: [m], [rad].
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

from lupex.core.horizon.hull import (
    B_HI,
    B_TOP,
    CUT,
    CUT_HI,
    F_HI,
    F_TOP,
    N_SCAN,
    S_PUSH,
    cut_tan,
    push_back,
    retire_far,
    window_tan,
)
from lupex.core.horizon.sampling import (
    EMPTY_TAN,
    OK,
    OUTSIDE,
    band_end,
    helper,
    inline_helper,
    inv_scale,
    line_height,
    next_kink,
    sample_world,
    split,
)

__all__ = ["EMPTY_MARK", "Azimuth", "Settings", "Views", "sweep_line"]

#: The lines sample a far field's kinks (its centre lines) within this many of its pixels beyond the main grid.
#: Every observer is at least that far from the rest, and a kink between two half-pixel samples sags by at most
#: slope change x pixel / 8, so the horizon moves by at most slope change / 256 rad there (0.022 deg for a change of
#: 0.1); sampling every kink cost ~5-10 % more on the full map crop (150 km reach), 16 pixels lost accuracy on the
#: 65 x 63 pole crop (p99 0.016 -> 0.038 deg), 32 none.
KINK_PIXELS = 32.0

# Marker left in the output by a bracketing line that saw no terrain (fits float32).
EMPTY_MARK = -3.0e38

#: Call-wide settings: ``nnear`` near steps, observer height ``obs_h`` [m], sphere ``radius`` [m], reach
#: ``max_dist`` [m], and the adaptive march's reach ``ext_len_steps`` [major steps], trigger ``ext_tol``
#: [tan] and relative margin ``ext_margin``, and the exact scans ``scan_limit`` a line makes before it opens its
#: sliding window (:mod:`lupex.core.horizon.hull`; 0: open from the start), and ``cut_cos``, ``cut_sin``: cosine
#: and sine of the reach's central angle ``max_dist / radius`` (at most pi).
Settings = namedtuple(
    "Settings",
    ["nnear", "obs_h", "radius", "max_dist", "ext_steps", "ext_tol", "ext_margin", "scan_limit", "cut_cos", "cut_sin"],
)
#: One azimuth's line geometry: minor/major ratio ``t``, major step sign ``sm``, first major index ``m0``,
#: map distance per major step ``ds_grid`` [m], the (major, minor) -> map affine ``geo`` and the
#: :data:`~lupex.core.horizon.near.NearTable` ``tab``.
Azimuth = namedtuple("Azimuth", ["t", "sm", "m0", "ds_grid", "geo", "tab"])
#: The (major, minor) views of one azimuth: DEM ``zz``, output ``oo``, edge flags ``ee``, distances ``dd``, the
#: cells' near-field tangents ``nb`` (:func:`~lupex.core.horizon.near.near_row`), the reach [m] of the cells'
#: adaptive march ``mr`` (0: none; marched after the sweep); the output window is major ``[mlo, mhi)`` x minor
#: ``[qlo, qhi)`` of ``zz`` (``oo``, ``ee``, ``dd``, ``nb``, ``mr`` cover only it).
Views = namedtuple("Views", ["zz", "oo", "ee", "dd", "nb", "mr", "mlo", "mhi", "qlo", "qhi"])


@helper
def _served(b: int, t: float, k: int, n_minor: int) -> bool:
    """Whether step ``k`` of line ``b`` lies strictly between minor positions -1 and n_minor."""
    ki, fr = split(t * k)
    q0 = b + ki
    return q0 >= -1 and q0 <= n_minor - 1 and not (q0 == -1 and fr == 0.0)


@helper
def _served_range(b: int, t: float, n_major: int, n_minor: int) -> tuple[int, int]:
    """First and last step of line ``b`` strictly inside (-1, n_minor) on the minor axis (first > last: none)."""
    if t == 0.0:
        if b < 0 or b > n_minor - 1:
            return 0, -1
        return 0, n_major - 1
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
    return k_first, k_last


@helper
def _step_fractions(t: float, k: int, last: bool) -> tuple[int, float, float]:
    """Samples of step ``k``: their number and the fractions of the column crossing and the half step."""
    fa = 0.5
    fb = 2.0
    if not last and t != 0.0:
        tk = t * k
        nxt = math.floor(tk) + 1.0 if t > 0.0 else math.ceil(tk) - 1.0
        fc = (nxt - tk) / t
        if 1e-9 < fc < 1.0 - 1e-9 and abs(fc - 0.5) > 1e-9:
            if fc < 0.5:
                fa = fc
                fb = 0.5
            else:
                fb = fc
    n_sub = 1 if last else (3 if fb < 1.0 else 2)
    return n_sub, fa, fb


@helper
def _sample_grid(zz: Any, b: int, k_first: int, n_srv: int, az: Any, radius: float, world: Any, w: Any) -> float:
    """Samples of the line's served steps: every step, half step and crossing of a column (row) line
    through cell centres (kinks of the bilinear surface); step ``ell``'s sample index is ``sidx[ell]``.
    Returns the along-ground distance [m] of the last valid sample (``-inf`` if none)."""
    n_minor = zz.shape[1]
    geo = az.geo
    t = az.t
    u = 0.0
    prev_inv = 0.0
    k_prev = float(k_first)
    u_last_valid = -math.inf
    n = 0
    for ell in range(n_srv):
        k = k_first + ell
        m = az.m0 + az.sm * k
        n_sub, fa, fb = _step_fractions(t, k, ell == n_srv - 1)
        for i_sub in range(n_sub):
            f = 0.0 if i_sub == 0 else (fa if i_sub == 1 else fb)
            if i_sub == 0:
                w.sidx[ell] = n
            kpos = k + f
            ki, fr = split(t * kpos)
            q0 = b + ki
            qf = q0 + fr
            mpos = m + az.sm * f
            xw = geo[0] + geo[1] * mpos + geo[2] * qf
            yw = geo[3] + geo[4] * mpos + geo[5] * qf
            inv = inv_scale(xw, yw, radius)
            if n > 0:
                u += 0.5 * (kpos - k_prev) * az.ds_grid * (inv + prev_inv)
            prev_inv = inv
            k_prev = kpos
            w.wu[n] = u
            w.wk[n] = inv
            if f == 0.0:
                zq = line_height(zz, m, q0, fr, n_minor)
            else:
                zq = (1.0 - f) * line_height(zz, m, q0, fr, n_minor) + f * line_height(zz, m + az.sm, q0, fr, n_minor)
            if math.isnan(zq):
                zq = sample_world(xw, yw, world)[0]
            w.wv[n] = 0 if math.isnan(zq) else 1
            if not math.isnan(zq):
                w.wz[n] = zq
                u_last_valid = u
            n += 1
    return u_last_valid


@helper
def _extend_far(
    b: int, k_last: int, n0: int, az: Any, radius: float, max_dist: float, world: Any, u_last_valid: float, w: Any
) -> tuple[int, float]:
    """Far-field extension beyond the last served step, half the covering grid's pixel per sample (the finer grid's
    in a seam band, :func:`~lupex.core.horizon.sampling.sample_world`) and every crossing of a far field's centre
    lines, up to ``max_dist`` beyond it. Returns the number of samples and the distance [m] where the terrain ends
    (``inf`` if it reaches ``max_dist``). The first sample beyond ``max_dist`` is stored too, past the count, for
    the cut at the reach (:func:`~lupex.core.horizon.hull.cut_tan`); ``st[CUT_HI]`` is the last sample stored."""
    geo = az.geo
    cap = w.wx.shape[0]
    w.st[CUT_HI] = n0 - 1
    n_tot = n0
    u = w.wu[n0 - 1]
    u_last_srv = u
    prev_inv = w.wk[n0 - 1]
    kpos = float(k_last)
    step_res = world.res
    level = 0
    kink_level = 0
    rc = world.res
    k_kink = 0.0  # line position [major steps] of the next kink of the covering far field's surface
    # map position along the line: (xn, yn) + (kn - kpos) (dxk, dyk)
    dxk = geo[1] * az.sm + geo[2] * az.t
    dyk = geo[4] * az.sm + geo[5] * az.t
    xn = geo[0] + geo[1] * (az.m0 + az.sm * kpos) + geo[2] * (b + az.t * kpos)
    yn = geo[3] + geo[4] * (az.m0 + az.sm * kpos) + geo[5] * (b + az.t * kpos)
    while True:
        if n_tot >= cap:
            return n_tot, u_last_valid
        dk = 0.5 * step_res / az.ds_grid
        if level > 0 and u - u_last_srv < KINK_PIXELS * rc:
            # a far field's centre lines and the end of its seam band are kinks of its surface (on a ridge, the
            # horizon): sampled too near the grid, where observers see them large; the next one is looked for again
            # only once passed or in another grid
            if level != kink_level or kpos >= k_kink - 1e-9:
                k_kink = kpos + min(next_kink(xn, yn, dxk, dyk, world, level), band_end(xn, yn, dxk, dyk, world, level))
                kink_level = level
            dk = min(dk, k_kink - kpos)
        kpos += dk
        mpos = az.m0 + az.sm * kpos
        qpos = b + az.t * kpos
        xn = geo[0] + geo[1] * mpos + geo[2] * qpos
        yn = geo[3] + geo[4] * mpos + geo[5] * qpos
        inv = inv_scale(xn, yn, radius)
        u += 0.5 * dk * az.ds_grid * (inv + prev_inv)
        prev_inv = inv
        beyond = u > u_last_srv + max_dist
        zq, st, rc, level = sample_world(xn, yn, world)
        if st == OUTSIDE and not beyond:
            return n_tot, u_last_valid
        w.wu[n_tot] = u
        w.wk[n_tot] = inv
        w.wv[n_tot] = 1 if st == OK else 0
        if st == OK:
            w.wz[n_tot] = zq
        w.st[CUT_HI] = n_tot
        if beyond:
            return n_tot, math.inf  # beyond every observer's reach: stored (past the count) for the cut only
        step_res = rc
        if st == OK:
            u_last_valid = u
        n_tot += 1
    return n_tot, u_last_valid  # unreachable (HOLE continues the loop)


@helper
def _project(w: Any, n_tot: int, u_mid: float, radius: float) -> None:
    """Exact great-circle-plane geometry, angle ``theta = (u - u_mid)/R`` from the middle of the line.

    Projective coordinates ``xi = tan(theta)``, ``eta = 1 - R/(r cos(theta)) = (z - A)/(R + z)`` with
    ``A = R (1 - cos)/cos`` keep straight lines straight (so hull and tangents are exact), are monotone in
    theta whatever the terrain slope, and keep "up" up.
    """
    th0 = (w.wu[0] - u_mid) / radius
    cth = math.cos(th0)
    sth = math.sin(th0)
    uprev = w.wu[0]
    for s in range(n_tot):
        d = (w.wu[s] - uprev) / radius
        uprev = w.wu[s]
        d2 = d * d
        cd = 1.0 - d2 * (0.5 - d2 / 24.0)
        sd = d * (1.0 - d2 * (1.0 / 6.0 - d2 / 120.0))
        cn = cth * cd - sth * sd
        sn = sth * cd + cth * sd
        cth = cn
        sth = sn
        w.wc[s] = cth
        w.ws[s] = sth
        inv_c = 1.0 / cth
        w.wx[s] = sth * inv_c
        if w.wv[s]:
            zq = w.wz[s]
            w.wy[s] = (zq - radius * sth * sth / (1.0 + cth) * inv_c) / (radius + zq)


@inline_helper
def _march_end(edge: bool, d_far: float, wk_obs: float, az: Any, cfg: Any) -> float:
    """Distance [m] to which the adaptive march runs: on to a little beyond the farther tangent point (the
    own ray's horizon lies between the lines' up to the lateral variation), or its full reach at an edge."""
    ext_len = cfg.ext_steps * az.ds_grid
    if edge:
        return min(cfg.max_dist, ext_len * wk_obs)
    return min(cfg.max_dist, d_far * (1.0 + cfg.ext_margin) + 2.0 * az.ds_grid * wk_obs)


@inline_helper
def _finish_cell(
    v: Any, m: int, qc: int, fr: float, tanv: float, dist: float, edge: bool, wk_obs: float, az: Any, cfg: Any
) -> None:  # fmt: skip
    """Finalise cell (m, qc) from its lower bracketing line: blend with the upper line's share, or queue the
    march of the cell's own ray where the two disagree near the cell or the terrain ends early; then the near
    field."""
    mw = m - v.mlo
    qw = qc - v.qlo
    prev = v.oo[mw, qw]
    near = v.nb[mw, qw]
    both = prev > EMPTY_MARK and tanv > EMPTY_TAN
    march = False
    d_far = math.inf
    if fr > 0.0:
        if both:
            # where the two lines disagree and both tangent points are within reach, lateral blending is
            # poor (steep near walls): march the cell's own ray instead
            d_far = max(dist, v.dd[mw, qw])
            march = abs(tanv - prev / fr) > cfg.ext_tol and d_far < cfg.ext_steps * az.ds_grid * wk_obs
        # where the terrain ends early (edge) the lines can see less or more of it than the cell's own
        # ray: march unless the lines agree
        march = march or (edge and not both)
    if march:
        # marched after the sweep, in batches of lanes (lupex.core.horizon.near.march_cells)
        v.mr[mw, qw] = _march_end(edge, d_far, wk_obs, az, cfg)
        v.oo[mw, qw] = near
        return
    if prev <= EMPTY_MARK:
        acc = tanv  # the other bracketing line saw no terrain: this line alone
    elif tanv <= EMPTY_TAN:
        acc = prev / fr if fr > 0.0 else EMPTY_TAN  # this line saw none: the other alone
    else:
        acc = prev + (1.0 - fr) * tanv
    v.oo[mw, qw] = max(near, acc)


@inline_helper
def _side_tangent(
    v: Any, m: int, qc: int, du: float, s_obs: int, edge: bool, hints: Any, side: int, cfg: Any, w: Any
) -> tuple[float, float, bool]:
    """Tangent [-] and tangent-point distance [m] of the line for cell (m, qc), and whether the cell is served
    (inside the grid, not NaN).

    The observer sits at the foot of the perpendicular from the cell centre onto the line, ``du`` [m] along
    it from the line's point on row ``m``. Once the line's window is open, it is first cut exactly at
    ``max_dist`` from the observer.
    """
    if qc < v.qlo or qc >= v.qhi:
        return EMPTY_TAN, math.inf, False
    zc = v.zz[m, qc]
    if math.isnan(zc):
        v.oo[m - v.mlo, qc - v.qlo] = math.nan
        return EMPTY_TAN, math.inf, False
    if edge:
        v.ee[m - v.mlo, qc - v.qlo] = 1
    zp = zc + cfg.obs_h
    dth = du / cfg.radius
    cd = 1.0 - 0.5 * dth * dth
    c_f = w.wc[s_obs] * cd - w.ws[s_obs] * dth
    s_f = w.ws[s_obs] * cd + w.wc[s_obs] * dth
    u = w.wu[s_obs] + du
    if w.st[N_SCAN] >= cfg.scan_limit:
        retire_far(w, u + cfg.max_dist)  # the line's window is open
    tanv, dist = window_tan(w, hints, side, u, c_f, s_f, zp, cfg.radius, cfg.max_dist)
    t_cut = cut_tan(w, s_obs, u, zp, cfg, tanv)
    if t_cut != tanv:
        return t_cut, cfg.max_dist, True  # the terrain exactly at the reach is the highest
    return tanv, dist, True


@inline_helper
def _serve_cells(
    v: Any, m: int, q0: int, fr: float, s_obs: int, edge: bool, hints: Any, az: Any, cfg: Any, w: Any
) -> None:
    """Serve the two cells bracketing the line's point on row ``m`` (lower: finalised; upper: its share).

    The cell lies ``delta = qc - (q0 + fr)`` cells off the line's point, so the foot of its perpendicular is
    ``delta t/(1+t^2)`` steps along the line. The two tangents are queried in order of decreasing reach
    (the window only shrinks); the cells are independent, so the order does not change the result.
    """
    foot = az.t / (1.0 + az.t * az.t) * az.ds_grid  # along-line distance of the perpendicular's foot per cell
    wk_obs = w.wk[s_obs]
    du0 = (0 - fr) * foot * wk_obs
    du1 = (1 - fr) * foot * wk_obs
    n_sides = 2 if fr > 0.0 else 1
    first = 1 if n_sides == 2 and du1 > du0 else 0
    t0 = t1 = EMPTY_TAN
    d0 = d1 = math.inf
    ok0 = ok1 = False
    for o in range(n_sides):
        side = first if o == 0 else 1 - first
        tv, dv, ok = _side_tangent(v, m, q0 + side, du0 if side == 0 else du1, s_obs, edge, hints, side, cfg, w)
        if side == 0:
            t0, d0, ok0 = tv, dv, ok
        else:
            t1, d1, ok1 = tv, dv, ok
    if ok0:
        _finish_cell(v, m, q0, fr, t0, d0, edge, wk_obs, az, cfg)
    if ok1:
        mw = m - v.mlo
        qw = q0 + 1 - v.qlo
        if t1 <= EMPTY_TAN:
            v.oo[mw, qw] = EMPTY_MARK
        else:
            v.oo[mw, qw] = fr * t1
            v.dd[mw, qw] = d1


@helper
def _window_steps(b: int, k_first: int, k_last: int, az: Any, v: Any) -> tuple[int, int]:
    """Steps of line ``b`` whose cells can lie in the output window: from the first step in the window's major
    range to the last in it, or (first > last) none."""
    if az.sm > 0:
        k_lo = max(k_first, v.mlo - az.m0)
        k_hi = min(k_last, v.mhi - 1 - az.m0)
    else:
        k_lo = max(k_first, az.m0 - (v.mhi - 1))
        k_hi = min(k_last, az.m0 - v.mlo)
    if k_lo > k_hi:
        return 1, 0
    qa = b + az.t * k_lo
    qb = b + az.t * k_hi
    if max(qa, qb) + 1.0 < v.qlo or min(qa, qb) - 1.0 > v.qhi:
        return 1, 0  # the line passes beside the window
    return k_lo, k_hi


@helper
def sweep_line(v: Any, b: int, az: Any, cfg: Any, world: Any, w: Any, hints: Any) -> None:
    """Sweep sheared line ``b`` of one azimuth and accumulate its contribution into ``v.oo`` (tangent space).

    Only the cells of the output window are served, and the sweep stops behind the window. The whole line is
    sampled all the same: its projective frame (centred on the line's middle) is then the whole map's, so a tile's
    values are bit-identical to the whole map's."""
    n_major, n_minor = v.zz.shape
    k_first, k_last = _served_range(b, az.t, n_major, n_minor)
    if k_first > k_last:
        return
    k_win_lo, k_win_hi = _window_steps(b, k_first, k_last, az, v)
    if k_win_lo > k_win_hi:
        return
    n_srv = k_last - k_first + 1
    u_last_valid = _sample_grid(v.zz, b, k_first, n_srv, az, cfg.radius, world, w)
    n_ph1 = w.sidx[n_srv - 1] + 1
    n_tot, u_end = _extend_far(b, k_last, n_ph1, az, cfg.radius, cfg.max_dist, world, u_last_valid, w)
    _project(w, n_tot, 0.5 * w.wu[n_ph1 - 1], cfg.radius)
    # sweep from the far end; the window holds the samples beyond each cell's near field, within reach
    st = w.st
    st[B_TOP] = -1
    st[F_TOP] = -1
    st[B_HI] = n_tot - 1
    st[F_HI] = n_tot - 1
    st[S_PUSH] = n_tot - 1
    st[N_SCAN] = 0
    st[CUT] = st[CUT_HI]
    hints[:] = 0
    near_len = cfg.nnear * az.ds_grid
    for ell in range(n_srv - 1, k_win_lo - k_first - 1, -1):
        s_obs = w.sidx[ell]
        u_obs = w.wu[s_obs]
        # delayed insertion: the hull only holds samples beyond the near part of the exact ray
        u_near = u_obs + near_len * w.wk[s_obs] * (1.0 + 1e-9)
        s_push = st[S_PUSH]
        while s_push > s_obs and w.wu[s_push] > u_near:
            if w.wv[s_push]:
                push_back(w, s_push)
            s_push -= 1
            st[S_PUSH] = s_push
        k = k_first + ell
        if k > k_win_hi:
            continue  # beyond the window: the samples enter the hull, no cell is served
        ki, fr = split(az.t * k)
        edge = u_obs + cfg.max_dist > u_end + 1e-6
        _serve_cells(v, az.m0 + az.sm * k, b + ki, fr, s_obs, edge, hints, az, cfg, w)
