"""Upper convex hulls of a line's samples in the projective frame, as a sliding window (two-stack queue).

The sweep visits a line's observers from its far end toward its start. The samples a given observer may see
form a window: beyond the observer's near field (they enter at the near end, delayed insertion) and within
the reach ``max_distance`` (they leave at the far end). The window is a FIFO queue kept as two hulls:

* the **back** hull holds the newest (nearest) samples, pushed nearest-last as in the classic sweep (index 0
  = farthest); it only grows until the next transfer;
* the **front** hull holds older (farther) samples, inserted nearest-first with an undo log, so that the
  farthest sample is removed by undoing its insertion (O(1)). When a sample must leave and the front is
  empty, the whole back hull's range is rebuilt as the front (amortised O(1) per sample).

The tangent of largest slope from an observer (left of every sample) is the better of the two hulls'
tangents, found by galloping/binary search (slopes are unimodal along an upper hull).

**The window is opened lazily** (since the seventh #17 session). A line starts with nothing retired: the back
hull then holds every sample beyond the near field, the front stays empty and a query costs one search. Where
that hull's tangent point lies beyond the reach, :func:`window_tan` scans the window exactly instead
(:func:`_exact_scan`) and counts the scan (``st[N_SCAN]``); once a line has made ``scan_limit`` scans, the sweep
opens its window and :func:`retire_far` keeps it from then on. Both give the same tangent (the best sample
within reach). On the 150 km full map fewer than 0.5 % of the queries need a scan; on a short reach (GRASS's
15 km) lines open their window after a few. Before 2026-11-30 the kernel kept one hull of every sample and
always scanned, which made short reaches slower than long ones.

The workspace :data:`LineWork` holds the line's samples (projective ``x, y``, height, along-ground distance,
frame cosine/sine, inverse scale factor, validity), both hulls, the undo log, the step-to-sample index and the
hull state ``st`` = (back top, front top, back's farthest sample, window's farthest sample, next sample to
push, exact scans so far, the sample just short of the last observer's reach, the farthest sample stored).

**The reach is a hard cut** (:func:`cut_tan`): the terrain exactly at ``max_distance`` from the observer is a
candidate too, interpolated between the two samples around it (the far extension stores one sample beyond the
reach for that). Where the terrain rises toward the reach it is the horizon, and the nearest sample short of the
reach (up to half a step) was off by the slope times that distance: on GRASS's 15 km problem p99 0.14 deg.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from lupex.core.horizon.sampling import EMPTY_TAN, helper, inline_helper

__all__ = ["EMPTY_TAN", "LineWork", "cut_tan", "line_work", "push_back", "retire_far", "window_tan"]

# Indices into the hull state ``st``.
B_TOP = 0
F_TOP = 1
B_HI = 2
F_HI = 3
S_PUSH = 4
N_SCAN = 5
CUT = 6
CUT_HI = 7

#: Per-thread workspace of the sweep (see the module docstring).
LineWork = namedtuple(
    "LineWork",
    ["wx", "wy", "wz", "wu", "wc", "ws", "wk", "wv", "hx", "hy", "hi", "fi", "lpos", "ltop", "lsav", "sidx", "st"],
)


@numba.njit(cache=True)
def line_work(cap: int, n_steps: int) -> Any:
    """Allocate a :data:`LineWork` for lines of at most ``cap`` samples and ``n_steps`` observer steps."""
    f = np.empty(cap)
    i = np.empty(cap, dtype=np.int64)
    return LineWork(
        f.copy(), f.copy(), f.copy(), f.copy(), f.copy(), f.copy(), f.copy(), np.zeros(cap, dtype=np.uint8),
        f.copy(), f.copy(), i.copy(), i.copy(), i.copy(), i.copy(), i.copy(), np.empty(n_steps, dtype=np.int64),
        np.zeros(8, dtype=np.int64),
    )  # fmt: skip


@helper
def _pred(hx: NDArray[np.float64], hy: NDArray[np.float64], i: int, px: float, py: float) -> bool:
    """True when back-hull vertex ``i-1`` (farther) is seen from P under a larger slope than vertex ``i``."""
    ax = hx[i] - px
    ay = hy[i] - py
    bx = hx[i - 1] - px
    by = hy[i - 1] - py
    return by * ax > ay * bx


@helper
def _tangent(hx: NDArray[np.float64], hy: NDArray[np.float64], top: int, start: int, px: float, py: float) -> int:
    """Index of the back-hull vertex of largest slope from P, by galloping + binary search from ``start``.

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


@inline_helper
def _front_pred(w: Any, i: int, px: float, py: float) -> bool:
    """True when front-hull vertex ``i`` (farther) is seen from P under a larger slope than vertex ``i-1``."""
    a = w.fi[i - 1]
    b = w.fi[i]
    ax = w.wx[a] - px
    ay = w.wy[a] - py
    bx = w.wx[b] - px
    by = w.wy[b] - py
    return by * ax > ay * bx


@inline_helper
def _front_tangent(w: Any, top: int, start: int, px: float, py: float) -> int:
    """Index of the front-hull vertex (index 0 = nearest) of largest slope from P, by galloping from
    ``start`` + binary search; ``pred(i)`` is true for ``1 <= i <= answer`` and false above it."""
    j = min(max(start, 0), top)
    if j == 0 or _front_pred(w, j, px, py):
        lo = j  # answer >= j: gallop toward the far end
        hi = top
        step = 1
        while lo + step <= top:
            if _front_pred(w, lo + step, px, py):
                lo += step
                step *= 2
            else:
                hi = lo + step - 1
                break
    else:
        hi = j - 1  # answer < j: gallop toward the near end
        lo = 0
        step = 1
        while hi - step + 1 >= 1:
            p = hi - step + 1
            if _front_pred(w, p, px, py):
                lo = p
                break
            hi = p - 1
            step *= 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _front_pred(w, mid, px, py):
            lo = mid
        else:
            hi = mid - 1
    return lo


@inline_helper
def push_back(w: Any, s: int) -> None:
    """Push sample ``s`` (nearer than every hull sample) onto the back hull."""
    hx = w.hx
    hy = w.hy
    top = w.st[B_TOP]
    qx = w.wx[s]
    qy = w.wy[s]
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
    w.hi[top] = s
    w.st[B_TOP] = top


@helper
def _rebuild_front(w: Any) -> None:
    """Move the back hull's samples into the front hull (nearest first, with an undo log); empty the back."""
    st = w.st
    fi = w.fi
    top = -1
    for s in range(st[S_PUSH] + 1, st[B_HI] + 1):
        if not w.wv[s]:
            w.lpos[s] = -1
            continue
        qx = w.wx[s]
        qy = w.wy[s]
        old_top = top
        while top >= 1:
            a = fi[top - 1]
            b = fi[top]
            # drop b when it lies on or below the chord a -> q
            if (w.wx[b] - w.wx[a]) * (qy - w.wy[a]) >= (w.wy[b] - w.wy[a]) * (qx - w.wx[a]):
                top -= 1
            else:
                break
        top += 1
        w.lpos[s] = top
        w.ltop[s] = old_top
        w.lsav[s] = fi[top]
        fi[top] = s
    st[F_TOP] = top
    st[B_TOP] = -1
    st[B_HI] = st[S_PUSH]


@inline_helper
def retire_far(w: Any, u_max: float) -> None:
    """Remove from the window every sample farther than ``u_max`` [m] (non-increasing between calls)."""
    st = w.st
    while st[F_HI] > st[S_PUSH] and w.wu[st[F_HI]] > u_max:
        s = st[F_HI]
        if s == st[B_HI]:
            _rebuild_front(w)
        p = w.lpos[s]
        if p >= 0:
            w.fi[p] = w.lsav[s]
            st[F_TOP] = w.ltop[s]
        st[F_HI] = s - 1


@helper
def _exact_scan(w: Any, lim: int, u_obs: float, px: float, py: float, max_dist: float) -> int:
    """Sample of largest slope from P among the valid samples from ``lim`` within ``max_dist`` (-1: none)."""
    best = -1
    bx = 0.0
    by = 0.0
    for s in range(lim, w.st[F_HI] + 1):
        if w.wu[s] - u_obs > max_dist:
            break
        if w.wv[s]:
            ex = w.wx[s] - px
            ey = w.wy[s] - py
            if best < 0 or ey * bx > by * ex:
                bx = ex
                by = ey
                best = s
    return best


@inline_helper
def window_tan(
    w: Any, hints: Any, side: int, u_obs: float, cth: float, sth: float, zp: float, radius: float, max_dist: float
) -> tuple[float, float]:
    """Elevation tangent of the highest window sample seen from an observer on the line at height ``zp`` [m].

    The observer lies at along-ground distance ``u_obs`` [m] on the line, i.e. at frame angle ``theta`` with
    ``cth = cos(theta)``, ``sth = sin(theta)``. Samples beyond ``max_dist`` [m] from it are excluded exactly.
    ``hints[2 side]`` and ``hints[2 side + 1]`` hold the previous answers of this side on the back and front
    hulls (updated). Returns ``(tan_elevation, distance)`` with the along-ground distance [m] of the tangent
    point; ``(EMPTY_TAN, inf)`` when no sample lies within ``max_dist``. A tangent point beyond ``max_dist``
    (possible while the line's window is not open, or in the sliver of the padded reach) is replaced by an exact
    scan of the window, counted in ``st[N_SCAN]``.
    """
    st = w.st
    b_top = st[B_TOP]
    f_top = st[F_TOP]
    if b_top < 0 and f_top < 0:
        return EMPTY_TAN, math.inf
    inv_c = 1.0 / cth
    px = sth * inv_c
    aa = radius * sth * sth / (1.0 + cth) * inv_c
    py = (zp - aa) / (radius + zp)
    best = -1
    if b_top >= 0:
        it = _tangent(w.hx, w.hy, b_top, hints[2 * side], px, py)
        hints[2 * side] = it
        best = w.hi[it]
    if f_top >= 0:
        jt = _front_tangent(w, f_top, hints[2 * side + 1], px, py)
        hints[2 * side + 1] = jt
        cand = w.fi[jt]
        if best < 0:
            best = cand
        else:
            # the front candidate wins only with a strictly larger slope (ties go to the nearer sample)
            ax = w.wx[best] - px
            ay = w.wy[best] - py
            if (w.wy[cand] - py) * ax > ay * (w.wx[cand] - px):
                best = cand
    if w.wu[best] - u_obs > max_dist:
        # tangent point beyond the reach: the window is not open yet, or the point lies in the sliver between the
        # exact reach and the window's padded reach
        st[N_SCAN] += 1
        best = _exact_scan(w, st[S_PUSH] + 1, u_obs, px, py, max_dist)
        if best < 0:
            return EMPTY_TAN, math.inf
    # exact elevation: tan e = (r_q cos d - r_p) / (r_q sin d), d = theta_q - theta_p
    cq = w.wc[best]
    sq = w.ws[best]
    num, den = elevation_terms(w.wz[best], zp, radius, cq * cth + sq * sth, sq * cth - cq * sth)
    return num / den, w.wu[best] - u_obs


@inline_helper
def elevation_terms(zq: float, zp: float, radius: float, cosd: float, sind: float) -> tuple[float, float]:
    """Numerator and (positive) denominator of the exact elevation tangent of terrain at height ``zq`` [m] seen from
    height ``zp`` [m] at central angle ``d`` (``cosd``, ``sind``): ``tan e = (r_q cos d - r_p) / (r_q sin d)``,
    written ``((z_q - z_p) + r_q (cos d - 1)) / (r_q sin d)`` (no cancellation near the observer)."""
    rq = radius + zq
    return (zq - zp) + rq * (cosd - 1.0), rq * sind


@inline_helper
def _cut_beats(zq: float, zp: float, tanv: float, cfg: Any) -> bool:
    """Whether terrain of height ``zq`` [m] at the reach is seen above the tangent ``tanv`` [-] (no division)."""
    num, den = elevation_terms(zq, zp, cfg.radius, cfg.cut_cos, cfg.cut_sin)
    return num > tanv * den


@inline_helper
def cut_tan(w: Any, s_obs: int, u_obs: float, zp: float, cfg: Any, tanv: float) -> float:
    """The better of ``tanv`` [-] and the elevation tangent of the terrain exactly at the reach, ``cfg.max_dist`` [m]
    beyond the observer at along-ground distance ``u_obs`` [m] (sample ``s_obs``) and height ``zp`` [m]; the latter
    only where two valid samples straddle that point (elsewhere the terrain ends before it). The height is linear
    between the two samples around it; ``cfg.cut_cos``, ``cfg.cut_sin`` are the cosine and sine of the central angle
    ``max_dist / radius``. ``st[CUT]`` is moved to the last sample short of the point. Most queries are decided by
    the higher of the two samples, without interpolating."""
    st = w.st
    u_c = u_obs + cfg.max_dist
    s = max(st[CUT], s_obs)
    while s > s_obs and w.wu[s] > u_c:
        s -= 1
    while s + 1 <= st[CUT_HI] and w.wu[s + 1] <= u_c:
        s += 1
    st[CUT] = s
    if s <= s_obs or s + 1 > st[CUT_HI] or not (w.wv[s] and w.wv[s + 1]):
        return tanv
    za = w.wz[s]
    zb = w.wz[s + 1]
    if not _cut_beats(max(za, zb), zp, tanv, cfg):
        return tanv  # the elevation grows with the height: not even the higher sample's would be seen
    zc = za + (u_c - w.wu[s]) / (w.wu[s + 1] - w.wu[s]) * (zb - za)
    num, den = elevation_terms(zc, zp, cfg.radius, cfg.cut_cos, cfg.cut_sin)
    return num / den if num > tanv * den else tanv
