"""The exact near field of the horizon kernel: a cell's own ray over the bilinear surface, segment by segment.

The ray from any cell crosses the row lines at every major step and the column lines at ``k = n / |t|``: the
same offsets for every cell of an azimuth, so they are tabulated once per azimuth (:func:`near_table`).
Within a segment between two crossings the bilinear surface is a quadratic of the map distance, so its
maximum elevation is found exactly (:func:`near_tan`). Used for the first ``near_samples`` steps of every
cell and for the adaptive direct march. SI units: heights and distances [m], angles [rad].
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from lupex.core.horizon.sampling import EMPTY_TAN, EPS_IDX, FASTMATH, helper, inline_helper, ray_height, split

__all__ = ["EMPTY_TAN", "NearTable", "near_table", "near_tan"]

#: Segments of one azimuth's rays: segment ``j`` ends at index offset (``tab_i[j,0] + tab_f[j,0]``,
#: ``tab_i[j,1] + tab_f[j,1]``) at map distance ``tab_f[j,2]`` [m]; its bilinear cell has lower corner offset
#: (``tab_i[j,2]``, ``tab_i[j,3]``) and an ``s^2`` coefficient ``tab_f[j,3]`` [1/m^2] per unit twist. The first
#: ``nn`` segments are the near field, the first ``nn_ext`` the reach of the adaptive march.
NearTable = namedtuple("NearTable", ["tab_i", "tab_f", "nn", "nn_ext"])


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
    return NearTable(tab_i, tab_f, nn, nn_ext)


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


@helper
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
    th)`` with ``th`` the central angle (relative error < 1e-6 within a few km). Samples beyond ``max_dist``
    [m] are ignored. Returns :data:`EMPTY_TAN` when no sample is valid.
    """
    n_major, n_minor = zz.shape
    tab_i = tab.tab_i
    tab_f = tab.tab_f
    best_num = -1.0
    best_den = 0.0
    found = False
    if j0 == 0:
        s_a = 0.0
        z_a = zz[m, q]
    else:
        s_a = tab_f[j0 - 1, 2]
        z_a = ray_height(zz, m + tab_i[j0 - 1, 0], q + tab_i[j0 - 1, 1], tab_f[j0 - 1, 0], tab_f[j0 - 1, 1], geo, world)
    curv = 0.5 * inv_k * inv_k / radius
    for j in range(j0, nn):
        s_b = tab_f[j, 2]
        if s_b * inv_k > max_dist:
            break
        z_b = _crossing_height(zz, m + tab_i[j, 0], q + tab_i[j, 1], tab_f[j, 0], tab_f[j, 1], geo, world)
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
        return EMPTY_TAN
    return best_num / best_den
