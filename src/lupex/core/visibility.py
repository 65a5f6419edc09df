"""Visible fraction of a uniform disk above a straight horizon, and the per-cell illumination kernel.

Symbols: ``e`` elevation of the disk centre, ``h`` horizon elevation in the disk's azimuth, ``a`` the disk's
apparent angular radius, all in radians; ``x = (e - h) / a``. The visible fraction of a uniform disk cut by a
straight horizontal line (circular segment area, illumination-references.md section 3.2) is

    f(x) = 0 for x <= -1;  1 for x >= 1;  1 - (acos x - x sqrt(1 - x^2)) / pi otherwise.

The per-cell logic (:func:`sun_cell_stats`, :func:`earth_cell_stats`) is written once with
``register_jitable``, so the CPU kernel here (numba, parallel over rows) and the CUDA kernel in
:mod:`lupex.core.visibility_cuda` (one thread per cell) run the same code. A horizon "profile" is addressed as
``prof[k, pi, pj]``: the CPU passes a per-cell copy shaped (n_az, 1, 1), the GPU the whole map.

The sky geometry (cell frame, topocentric direction, azimuth bracket) is :mod:`lupex.core.sky`'s; ``cell_frame``
and :func:`horizon_at` stay importable from here. The Sun's direction is taken to first order in its parallax and
not normalised (:func:`lupex.core.sky.topocentric_enu_first_order`: elevation off by < 1.2e-5 x sin e, under
4e-7 rad at the polar horizons; linear in the MOON_ME direction, which the chord bounds need); the Earth's is
exact and normalised (:func:`lupex.core.sky.topocentric_enu_of_position`).

Exact block decisions (issue #17): time is walked in coarse then fine blocks; a block is decided lit or dark
when its elevation range clears the horizon bounds of the azimuth sectors its arc crosses (5 deg sectors for
the Sun's coarse blocks, one sector per profile sample interval for the fine ones and the Earth; a block clear
of the cell's highest / lowest bound needs no azimuth at all), and inside an undecided block single steps whose
elevation alone clears the block's bounds skip the azimuth. The Sun's sum is kept as (fully lit steps) +
(partial fractions in time order), so every output equals the step-by-step evaluation bit for bit.

Consecutive blocks share their chord ends (a block's chord runs to the next block's first step), so each end's
direction and azimuth is computed once per cell; and a block's elevation slack is its chord's sag projected on
the cell's up vector, split into the sag's z and xy parts (:func:`block_bounds`): near the pole the Sun's sag is
horizontal and barely moves the elevation (issue #17; figures in docs/benchmarks.md). The Earth's coarse blocks are
bounded by cones instead (:func:`earth_cone_bounds`: over a week its libration path curves too much for a chord),
and inside an undecided fine Earth block a step whose chord value clears the bounds by the deviation is decided
without its direction. The CPU copies the profiles of eight cells at a time and visits the rows in a scattered
order (:func:`row_stride`) so that both threads get a share of the pole's hard rows.

For the same eight cells the CPU computes the chord ends that every cell needs, the Sun's at each coarse block
boundary and the Earth's at each cone centre and fine block boundary, in one pass with the cells as vector lanes
(:func:`sun_coarse_ends`, :func:`earth_point_ends`; branch-free, so the lane loop vectorises), and each cell's walk
reads them from its column of the tables instead of computing them itself (about 7 % of a year of statistics).
The GPU, one thread per cell, computes them as it walks.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numba
import numpy as np
from numba.core.extending import register_jitable
from numpy.typing import NDArray

from lupex.core.sky import (
    azimuth_bracket,
    cell_frame,
    horizon_between,
    topocentric_enu_first_order,
    topocentric_enu_of_position,
)
from lupex.errors import InputError

_TWO_PI = 2.0 * math.pi
#: A cell's (up, grid-east, grid-north) unit vectors, MOON_ME (:func:`lupex.core.sky.cell_frame`).
_Frame = tuple[float, float, float, float, float, float, float, float, float]
_GPU_SECTORS = 360  # azimuth sectors of the block decisions on the GPU (a fixed-size local array per thread)
_COARSE_SECTORS = 72  # 5 deg sectors for the Sun's coarse blocks
_CPU_MAX_SECTORS = 720  # on the CPU one sector per profile sample interval, up to this many
_COPY_CELLS = 8  # profiles copied together from the (azimuth, y, x) map (one cache line of float32 per azimuth)
_NO_BOUND = 1e9  # [rad] stands for +infinity (fastmath kernels assume no infinities)
_EPS_ELEV = 1e-8  # [rad] slack of the elevation comparisons: covers asin_fast's monotone steps and rounding


@register_jitable
def asin_accurate(x: float) -> float:
    """asin(x) [rad] for |x| <= 1 to 1e-15 rad, without a libm call (the kernels evaluate it per partly lit step).

    ``asin(x) = x + x z p(z)``, ``z = x^2``, for |x| <= 1/2, and ``asin(x) = pi/2 - 2 asin(sqrt((1 - x) / 2))``
    above; ``p`` is a degree-10 least-squares fit on 300 Chebyshev nodes of ``(asin(sqrt z) - sqrt z) / z^1.5`` over
    [0, 1/4] (its leading coefficients are asin's Taylor ones, 1/6, 3/40, 5/112), checked against mpmath to 1e-15.
    """
    ax = abs(x)
    if ax <= 0.5:
        z = ax * ax
        s = ax
    else:
        z = 0.5 * (1.0 - ax)
        s = math.sqrt(z)
    p = 0.027981018775650516
    p = p * z - 0.006958977414150691
    p = p * z + 0.015517731241817653
    p = p * z + 0.010268341400904102
    p = p * z + 0.014144716290217527
    p = p * z + 0.017336778816929237
    p = p * z + 0.02237303765568883
    p = p * z + 0.030381916429562193
    p = p * z + 0.0446428575992113
    p = p * z + 0.07499999999710913
    p = p * z + 0.16666666666666963
    a = s + s * z * p
    if ax > 0.5:
        a = 0.5 * math.pi - 2.0 * a
    return a if x >= 0.0 else -a


@register_jitable
def disk_fraction(x: float) -> float:
    """Visible fraction of a uniform disk whose centre is ``x`` radii above a straight horizon [-].

    ``1 - (acos x - x sqrt(1 - x^2)) / pi = 1/2 + (x sqrt(1 - x^2) + asin x) / pi`` (:func:`asin_accurate`: no
    libm call, which took a fifth of the statistics kernel's time).
    """
    if x >= 1.0:
        return 1.0
    if x <= -1.0:
        return 0.0
    return 0.5 + (x * math.sqrt(1.0 - x * x) + asin_accurate(x)) / math.pi


#: numpy's float32 degrees-to-radians factor: ``x * DEG2RAD_F32`` is ``np.radians(x)`` bit for bit for float32 x.
DEG2RAD_F32 = np.float32(math.pi / 180.0)


@numba.njit(cache=True, parallel=True)
def horizon_rows_finite(horizon: NDArray[np.floating], r0: int, r1: int) -> NDArray[np.bool_]:
    """Whether each cell of rows ``r0:r1`` of a horizon map (n_az, ny, nx) is finite in every azimuth; in parallel
    over rows and read-only (the statistics kernel converts degrees itself while copying profiles: a converted
    copy of the map cost ~2.5 % of a year of statistics)."""
    n_az, _, nx = horizon.shape
    finite = np.ones((r1 - r0, nx), dtype=np.bool_)
    for i in numba.prange(r1 - r0):
        for k in range(n_az):
            for j in range(nx):
                if not math.isfinite(horizon[k, r0 + i, j]):
                    finite[i, j] = False
    return finite


@numba.njit(cache=True)
def disk_fraction_array(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Vectorised :func:`disk_fraction` over an array of ``x`` [-]."""
    out = np.empty(x.shape, dtype=np.float64)
    flat_x = x.ravel()
    flat_out = out.ravel()
    for i in range(flat_x.size):
        flat_out[i] = disk_fraction(flat_x[i])
    return out


@register_jitable
def _atan_unit(z: float) -> float:
    """atan(z) for z in [0, 1] to 2e-6 rad: an odd minimax polynomial."""
    z2 = z * z
    return z * (
        0.99997726 + z2 * (-0.33262347 + z2 * (0.19354346 + z2 * (-0.11643287 + z2 * (0.05265332 - z2 * 0.01172120))))
    )


@register_jitable
def atan2_fast(a: float, b: float) -> float:
    """atan2(a, b) in [0, 2 pi) to 2e-6 rad, by octant reduction and :func:`_atan_unit`."""
    abs_a = abs(a)
    abs_b = abs(b)
    swap = abs_a > abs_b
    if swap:
        z = abs_b / abs_a
    elif abs_b > 0.0:
        z = abs_a / abs_b
    else:
        return 0.0
    angle = _atan_unit(z)
    if swap:
        angle = 1.5707963267948966 - angle
    if b < 0.0:
        angle = math.pi - angle
    if a < 0.0:
        angle = _TWO_PI - angle
    return angle


@register_jitable
def atan2_select(a: float, b: float) -> float:
    """:func:`atan2_fast` written without branches (selects only), bit for bit the same value: a loop over several
    cells that calls it vectorises (in scalar code the branches are faster)."""
    abs_a = abs(a)
    abs_b = abs(b)
    swap = abs_a > abs_b
    angle = _atan_unit(min(abs_a, abs_b) / max(max(abs_a, abs_b), 1e-300))
    angle = 1.5707963267948966 - angle if swap else angle
    angle = math.pi - angle if b < 0.0 else angle
    return _TWO_PI - angle if a < 0.0 else angle


@register_jitable
def asin_fast(z: float) -> float:
    """asin(z): Taylor series to z^9 for |z| <= 0.25 (error < 1e-8 rad), ``math.asin`` otherwise."""
    if abs(z) <= 0.25:
        z2 = z * z
        return z * (1.0 + z2 * (1.0 / 6.0 + z2 * (3.0 / 40.0 + z2 * (5.0 / 112.0 + z2 * (35.0 / 1152.0)))))
    return math.asin(min(1.0, max(-1.0, z)))


@register_jitable
def horizon_at(prof: NDArray[np.floating], pi: int, pj: int, azimuth: float) -> float:
    """Linear interpolation of ``prof[:, pi, pj]`` (samples at k * 2 pi / n) at ``azimuth`` in [0, 2 pi) [rad]
    (:func:`lupex.core.sky.azimuth_bracket` and :func:`~lupex.core.sky.horizon_between`)."""
    k0, k1, w = azimuth_bracket(azimuth, prof.shape[0])
    return horizon_between(prof[k0, pi, pj], prof[k1, pi, pj], w)


def block_bounds(dirs: NDArray[np.float64], block: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Split a time series of unit vectors into blocks and bound each block's deviation from its chord.

    Block ``b`` holds steps ``starts[b] .. starts[b + 1] - 1``; its chord runs from its first step to the next
    block's first step (the last block's: to the last step), so consecutive blocks share a chord end and the
    walk evaluates each end once.

    Parameters
    ----------
    dirs : (nt, 3)
        Unit direction vectors over time [-].
    block : int
        Steps per block (the last block may be shorter).

    Returns
    -------
    starts : int64 (nb + 1,)
        First step of each block, and ``nt`` at the end.
    deviation : float64 (nb, 3)
        Over the chord's steps, the largest distance ``|d(t) - lerp(d(t0), d(t1), tau)|`` (tau linear in the
        step index), the largest |z| part and the largest xy part of that difference [-]. Elevation sines are
        linear in the direction, so at a cell with up vector ``u`` the sine lies within
        ``|dz| |u_z| + |dxy| |u_xy|`` of the chord's: near the pole, where ``u_xy`` is small, much less than the
        full distance (the chord's sag is horizontal there).
    """
    nt = dirs.shape[0]
    starts = np.append(np.arange(0, nt, block, dtype=np.int64), np.int64(nt))
    deviation = np.zeros((starts.size - 1, 3))
    for b in range(starts.size - 1):
        t0, t1 = int(starts[b]), min(int(starts[b + 1]), nt - 1)
        if t1 <= t0:
            continue
        tau = (np.arange(t0, t1 + 1) - t0) / (t1 - t0)
        diff = dirs[t0 : t1 + 1] - (dirs[t0][None, :] * (1.0 - tau[:, None]) + dirs[t1][None, :] * tau[:, None])
        deviation[b, 0] = float(np.sqrt((diff**2).sum(axis=1)).max())
        deviation[b, 1] = float(np.abs(diff[:, 2]).max())
        deviation[b, 2] = float(np.hypot(diff[:, 0], diff[:, 1]).max())
    return starts, deviation


def earth_block_bounds(
    earth_pos_me_m: NDArray[np.float64], block: int, max_radius_m: float
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Blocks of Earth directions whose deviation bound (1-D, [-]) also covers any surface observer's parallax.

    Seen from a point at distance ``r <= max_radius_m`` from the Moon's centre, the Earth's unit direction is
    ``u - p`` with the parallax offset ``|p| <= r / (|E| - r)``. Within a block (up to its chord end, the next
    block's first step), ``p`` changes by at most ``|p| * (angle swept + relative distance change) * 2``; that is
    added to the chord deviation of ``u``.
    """
    nt = earth_pos_me_m.shape[0]
    dist = np.linalg.norm(earth_pos_me_m, axis=1)
    unit = earth_pos_me_m / dist[:, None]
    starts, split = block_bounds(unit, block)
    deviation = split[:, 0].copy()
    for b in range(starts.size - 1):
        t0, t1 = int(starts[b]), min(int(starts[b + 1]), nt - 1)
        chunk = unit[t0 : t1 + 1]
        swept = float(np.sqrt(((chunk - chunk[0]) ** 2).sum(axis=1)).max())
        d_chunk = dist[t0 : t1 + 1]
        p_max = max_radius_m / (float(d_chunk.min()) - max_radius_m)
        rel = float((d_chunk.max() - d_chunk.min()) / d_chunk.min())
        deviation[b] += 2.0 * p_max * (swept + rel) * 2.0 + 1e-9
    return starts, deviation


def earth_cone_bounds(earth_pos_me_m: NDArray[np.float64], block: int, max_radius_m: float) -> NDArray[np.float64]:
    """Per block of ``block`` steps, a cone holding the Earth's direction from any surface point of the block's
    steps: ``(nb, 4)`` = centre position (MOON_ME) [m] and the bound on ``|d(t) - d_c|`` [-].

    ``d(t) = (E(t) - r up) / |E(t) - r up|`` for any ``r <= max_radius_m`` and unit ``up``; the centre's
    direction ``d_c`` is the same expression for the position ``c D_m`` (``c`` the block's mean unit direction,
    ``1 / D_m`` the mid-range of ``1 / |E|``). Before normalisation the two differ by at most
    ``|u - c| + r |1/D - 1/D_m|`` and both are at least ``1 - r / D_min`` long; radial projection onto a ball is
    non-expansive, so the unit vectors differ by at most the ratio. Unlike a chord, a cone bounds a block
    whose path curves (the libration's loop over a week), so it suits the coarse level.
    """
    nt = earth_pos_me_m.shape[0]
    dist = np.linalg.norm(earth_pos_me_m, axis=1)
    unit = earth_pos_me_m / dist[:, None]
    cones = np.zeros((max(1, -(-nt // block)), 4))
    for b, t0 in enumerate(range(0, nt, block)):
        chunk = unit[t0 : t0 + block]
        centre = chunk.mean(axis=0)
        centre /= np.linalg.norm(centre)
        inv_far, inv_near = 1.0 / float(dist[t0 : t0 + block].max()), 1.0 / float(dist[t0 : t0 + block].min())
        spread = float(np.sqrt(((chunk - centre) ** 2).sum(axis=1)).max()) + max_radius_m * (inv_near - inv_far) / 2
        cones[b, :3] = centre * 2.0 / (inv_near + inv_far)
        cones[b, 3] = spread / (1.0 - max_radius_m * inv_near) + 1e-9
    return cones


def kernel_time_args(
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    earth_pos_me_m: NDArray[np.float64],
    max_radius_m: float,
    sun_block: int,
    coarse_factor: int = 4,
    earth_block: int | None = None,
    earth_coarse_factor: int | None = None,
) -> tuple[
    NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], int,
    NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], int,
]:  # fmt: skip
    """Block tables for :func:`illumination_stats_kernel`: ``(sun_starts, sun_deviation, sun_coarse_deviation,
    coarse_factor, earth_starts, earth_deviation, earth_coarse_cones, earth_coarse_factor)``.

    The Sun's deviations are (nb, 4) [-]: the full chord deviation plus the within-block change of its parallax
    term ``r / distance`` for radii up to ``max_radius_m`` (for azimuths), its z and xy parts (for elevations,
    see :func:`block_bounds`) and the parallax change alone. Earth blocks default to the same length as the Sun's
    (chords: :func:`earth_block_bounds`); Earth coarse blocks hold ``earth_coarse_factor`` of them, by default as
    many as the Sun's, and are bounded by cones (:func:`earth_cone_bounds`).
    """
    nt = sun_dir_me.shape[0]

    def with_parallax(starts: NDArray[np.int64], split: NDArray[np.float64]) -> NDArray[np.float64]:
        spread = np.array(
            [np.ptp(sun_inv_distance_per_m[a : min(b, nt - 1) + 1]) for a, b in itertools.pairwise(starts)]
        )
        parallax = max_radius_m * spread
        return np.column_stack([split[:, 0] + parallax, split[:, 1], split[:, 2], parallax])

    starts, deviation = block_bounds(sun_dir_me, sun_block)
    coarse_starts, coarse_deviation = block_bounds(sun_dir_me, sun_block * coarse_factor)
    earth_block = earth_block or sun_block
    earth_coarse_factor = earth_coarse_factor or coarse_factor
    earth_starts, earth_deviation = earth_block_bounds(earth_pos_me_m, earth_block, max_radius_m)
    earth_coarse = earth_cone_bounds(earth_pos_me_m, earth_block * earth_coarse_factor, max_radius_m)
    return (
        starts,
        with_parallax(starts, deviation),
        with_parallax(coarse_starts, coarse_deviation),
        coarse_factor,
        earth_starts,
        earth_deviation,
        earth_coarse,
        earth_coarse_factor,
    )


@register_jitable
def sector_thresholds(
    prof: NDArray[np.floating],
    pi: int,
    pj: int,
    radius: float,
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
) -> None:
    """Per azimuth sector (``upper.size`` equal sectors from grid azimuth 0): ``max h + radius`` and
    ``min h - radius`` [rad] over the profile samples bracketing the sector.

    Linear interpolation between samples never leaves the range of the two bracketing samples, so the
    interpolated horizon anywhere in the sector lies between the sector's min and max. With one sector per
    sample interval (``upper.size == n_az``, what the CPU kernel uses) each sector holds exactly its two
    samples: the tightest bounds a linear interpolation allows.
    """
    n = prof.shape[0]
    n_sec = upper.size
    if n_sec == n:  # one sector per sample interval: its two samples
        for s in range(n):
            h0 = prof[s, pi, pj]
            h1 = prof[s + 1 if s + 1 < n else 0, pi, pj]
            upper[s] = max(h0, h1) + radius
            lower[s] = min(h0, h1) - radius
        return
    for s in range(n_sec):
        k0 = (s * n) // n_sec  # floor and ceil of the sector's ends in sample units, in exact integers
        k1 = -((-(s + 1) * n) // n_sec)
        low = 1e9
        high = -1e9
        for k in range(k0, k1 + 1):
            v = prof[k % n, pi, pj]
            low = min(low, v)
            high = max(high, v)
        upper[s] = high + radius
        lower[s] = low - radius


@register_jitable
def row_stride(n: int) -> int:
    """A stride coprime to ``n`` near ``0.618 n``: ``(p * stride) % n`` visits every row once in a scattered order.

    numba's ``prange`` gives each thread a contiguous range of iterations; the statistics' cost per row varies
    several-fold across the map (the pole's rows are the hardest), so contiguous rows left one thread idle."""
    if n <= 2:
        return 1
    stride = int(0.618 * n) | 1
    while True:
        a, b = stride, n
        while b:
            a, b = b, a % b
        if a == 1:
            return stride
        stride += 2


@register_jitable
def cell_thresholds(
    prof: NDArray[np.floating],
    radius: float,
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper_coarse: NDArray[np.float64],
    lower_coarse: NDArray[np.float64],
    upper_earth: NDArray[np.float64],
    lower_earth: NDArray[np.float64],
) -> None:
    """A cell's :func:`sector_thresholds` for the Sun's fine and coarse blocks (``radius`` [rad]) and the Earth's
    (radius 0), equal to three separate calls.

    With one fine sector per sample interval and a whole number of them per coarse sector (360 azimuths) they
    come from one pass over the profile: a coarse sector's samples are its fine sectors' ones, and
    ``max(a + r, b + r) == max(a, b) + r`` in floating point (rounding is monotone).
    """
    n = prof.shape[0]
    n_coarse = upper_coarse.size
    if upper.size != n or n % n_coarse != 0:
        sector_thresholds(prof, 0, 0, radius, upper, lower)
        sector_thresholds(prof, 0, 0, radius, upper_coarse, lower_coarse)
        sector_thresholds(prof, 0, 0, 0.0, upper_earth, lower_earth)
        return
    per = n // n_coarse
    h1 = prof[0, 0, 0]
    for c in range(n_coarse):
        high = -_NO_BOUND
        low = _NO_BOUND
        for s in range(c * per, c * per + per):
            h0 = h1
            h1 = prof[s + 1 if s + 1 < n else 0, 0, 0]
            top = max(h0, h1)
            bottom = min(h0, h1)
            upper_earth[s] = top
            lower_earth[s] = bottom
            upper[s] = top + radius
            lower[s] = bottom - radius
            high = max(high, top)
            low = min(low, bottom)
        upper_coarse[c] = high + radius
        lower_coarse[c] = low - radius


@register_jitable
def _copy_profiles(
    horizon: NDArray[np.floating],
    row: int,
    i: int,
    j0: int,
    only_cells: NDArray[np.bool_],
    profiles: NDArray[np.float64],
    rad_per_unit: np.float32,
) -> bool:
    """Copy the profiles of cells ``j0 ..`` (up to ``profiles.shape[0]`` of them) of the map's row ``row`` (the
    chunk's row ``i``) azimuth by azimuth, in radians (each value times the float32 ``rad_per_unit``, as
    ``np.radians`` does for float32 degrees): each cache line of the (azimuth, y, x) map is read once, not once per
    cell. Skipped, returning False, if no cell of them is wanted."""
    m = min(profiles.shape[0], horizon.shape[2] - j0)
    wanted = False
    for jj in range(m):
        wanted = wanted or only_cells[i, j0 + jj]
    if not wanted:
        return False
    for k in range(horizon.shape[0]):
        for jj in range(m):
            profiles[jj, k, 0, 0] = horizon[k, row, j0 + jj] * rad_per_unit
    return True


@register_jitable
def _fill_lanes(
    lanes: tuple[NDArray[np.float64], ...],
    cells: tuple[Any, ...],
    sun: tuple[Any, ...],
    earth_points: tuple[NDArray[np.float64], NDArray[np.float64]],
    want_earth: bool,
) -> None:
    """Chord-end tables of the cells ``j0 ..`` of a row, one lane per cell (up to ``_COPY_CELLS``): ``lanes`` =
    (frames (9, lanes), eye radii [m], the Sun's table of :func:`sun_coarse_ends`, the Earth's cone and boundary
    tables of :func:`earth_point_ends`); ``cells`` = (x_m, the row's y [m], the row's z_m, j0, body radius [m],
    observer height [m]); ``sun`` = (directions, inverse distances, block starts, fine blocks per coarse block);
    ``earth_points`` = (coarse cones, :func:`earth_boundary_points`), for the Earth's tables if ``want_earth``."""
    frames, r_cells = lanes[0], lanes[1]
    x_m, y, z_row, j0, body_radius_m, observer_height_m = cells
    for lane in range(min(r_cells.size, x_m.size - j0)):
        frame = cell_frame(x_m[j0 + lane], y, body_radius_m)
        for q in range(9):
            frames[q, lane] = frame[q]
        r_cells[lane] = body_radius_m + z_row[j0 + lane] + observer_height_m
    sun_coarse_ends(sun[0], sun[1], sun[2], sun[3], frames, r_cells, lanes[2])
    if want_earth:
        earth_point_ends(earth_points[0], frames, r_cells, lanes[3])
        earth_point_ends(earth_points[1], frames, r_cells, lanes[4])


@register_jitable
def _block_decision(
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
    end0: tuple[float, float, float, float],
    end1: tuple[float, float, float, float],
    deviation: float,
    dev_elev: float,
    highest: float,
    lowest: float,
) -> tuple[int, float, float]:
    """Decide a block against the sector bounds of :func:`sector_thresholds`.

    ``end0`` / ``end1`` are the direction's (up, grid-east, grid-north) components and grid azimuth [rad] at the
    ends of the block's chord (:func:`_chord_end`); ``dev_elev`` bounds the distance of any step's elevation sine
    from the chord's, ``deviation`` that of its direction (divided by the horizontal reach: of its azimuth).
    Returns ``(decision, high, low)``: decision +1 if every step is certainly above ``upper`` over its azimuth
    arc, -1 if certainly below ``lower``, 0 if undecided; ``high`` / ``low`` the largest ``upper`` and smallest
    ``lower`` over the arc [rad] (+-_NO_BOUND when no arc could be bounded), which the caller may use to decide
    single steps by their elevation alone. ``highest`` / ``lowest`` are the extremes over all sectors: blocks
    clear of them are decided before any azimuth is looked at.
    """
    g0, a0, b0, az0 = end0
    g1, a1, b1, az1 = end1
    # elevations from the sines (asin_fast is monotone); _EPS_ELEV covers its error and rounding
    e_min = asin_fast(max(-1.0, min(g0, g1) - dev_elev)) - _EPS_ELEV
    e_max = asin_fast(min(1.0, max(g0, g1) + dev_elev)) + _EPS_ELEV
    if e_min >= highest:  # above the highest horizon in any azimuth: no need for the azimuths
        return 1, highest, lowest
    if e_max <= lowest:
        return -1, highest, lowest
    n_sec = upper.size
    per_rad = n_sec / _TWO_PI
    span = az1 - az0
    if span < 0.0:
        span += _TWO_PI
    if span > math.pi:  # moving backwards: swap ends
        az0 = az1
        span = _TWO_PI - span
    if span > 0.5:
        return 0, _NO_BOUND, -_NO_BOUND
    reach = min(max(abs(a0), abs(b0)), max(abs(a1), abs(b1))) * (1.0 - 0.125 * span * span) - deviation
    if reach <= 5.0 * deviation or reach <= 1e-3:  # 1.01 x below covers asin(x) only for x <= 0.2
        return 0, _NO_BOUND, -_NO_BOUND
    margin = 1.01 * deviation / reach + 3e-5  # >= asin(deviation / reach) + azimuth approximation error
    s0 = int(math.floor((az0 - margin) * per_rad))
    count = int(math.floor((az0 + span + margin) * per_rad)) - s0 + 1
    k = s0 + n_sec if s0 < 0 else s0  # az0 - margin > -2 pi
    high = -_NO_BOUND
    low = _NO_BOUND
    for _ in range(count):
        if k >= n_sec:
            k -= n_sec
        high = max(high, upper[k])
        low = min(low, lower[k])
        k += 1
    if e_min >= high:
        return 1, high, low
    if e_max <= low:
        return -1, high, low
    return 0, high, low


@register_jitable
def _chord_end(
    d0: float, d1: float, d2: float, inv_distance: float, r_cell: float, frame: _Frame
) -> tuple[float, float, float, float]:
    """(up, grid-east, grid-north) components [-] and grid azimuth [rad] of a Sun direction at a block's chord
    end (first order in the parallax, as the step evaluation: :func:`~lupex.core.sky.topocentric_enu_first_order`)."""
    se, sn, su = topocentric_enu_first_order(d0, d1, d2, inv_distance, r_cell, frame)
    return su, se, sn, atan2_fast(se, sn)


@register_jitable
def _lit_block(t0: int, t1: int, full: int, lit_steps: int, first: int) -> tuple[int, int, int, int]:
    """Accumulate steps t0..t1 as fully lit: (full steps, lit steps, first lit, last lit) [steps]."""
    n = t1 - t0 + 1
    return full + n, lit_steps + n, t0 if first < 0 else first, t1


@register_jitable
def _elevation_slack(dev: NDArray[np.float64], up_z_abs: float, up_xy: float) -> float:
    """Bound [-] on a step's elevation-sine distance from its block's chord at a cell with up vector of vertical
    part ``up_z_abs`` and horizontal part ``up_xy``, from a row of the Sun's (nb, 4) deviation table
    (:func:`kernel_time_args`): sag's z part, xy part, then the parallax change."""
    return dev[1] * up_z_abs + dev[2] * up_xy + dev[3]


@register_jitable
def _dark_run(t0: int, t1: int, run: int, best_run: int) -> tuple[int, int]:
    """Accumulate steps t0..t1 as fully dark."""
    run += t1 - t0 + 1
    return run, max(run, best_run)


@register_jitable
def whole_period_bounds(
    sun_dir_me: NDArray[np.float64], sun_inv_distance_per_m: NDArray[np.float64], earth_pos_me_m: NDArray[np.float64]
) -> tuple[float, float, float, float]:
    """Largest |z| of the Sun's directions, largest 1/distance [1/m], largest |z| of the Earth's unit directions,
    and a bound on the Earth's parallax for surface points (r < 1760 km) [rad]."""
    sun_z = 0.0
    max_inv = 0.0
    for t in range(sun_dir_me.shape[0]):
        sun_z = max(sun_z, abs(sun_dir_me[t, 2]))
        max_inv = max(max_inv, sun_inv_distance_per_m[t])
    earth_z = 0.0
    nearest = 1e30
    for t in range(earth_pos_me_m.shape[0]):
        d = math.sqrt(earth_pos_me_m[t, 0] ** 2 + earth_pos_me_m[t, 1] ** 2 + earth_pos_me_m[t, 2] ** 2)
        earth_z = max(earth_z, abs(earth_pos_me_m[t, 2]) / d)
        nearest = min(nearest, d)
    return sun_z, max_inv, earth_z, 2.0 * 1.76e6 / (nearest - 1.76e6)


@register_jitable
def _extremes(upper: NDArray[np.float64], lower: NDArray[np.float64]) -> tuple[float, float]:
    """Smallest ``lower`` and largest ``upper`` over all sectors [rad]."""
    lowest = lower[0]
    highest = upper[0]
    for k in range(1, lower.size):
        lowest = min(lowest, lower[k])
        highest = max(highest, upper[k])
    return lowest, highest


@register_jitable
def _lane_frame(frames: NDArray[np.float64], lane: int) -> _Frame:
    """The cell frame held in column ``lane`` of a (9, lanes) table (:func:`_fill_lanes`)."""
    return (
        frames[0, lane],
        frames[1, lane],
        frames[2, lane],
        frames[3, lane],
        frames[4, lane],
        frames[5, lane],
        frames[6, lane],
        frames[7, lane],
        frames[8, lane],
    )


@register_jitable
def sun_coarse_ends(
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    sun_starts: NDArray[np.int64],
    blocks_per_coarse: int,
    frames: NDArray[np.float64],
    r_cells: NDArray[np.float64],
    ends: NDArray[np.float64],
) -> None:
    """The Sun's chord ends at every coarse block boundary for several cells at once (lanes): ``ends[q, c, lane]``
    holds :func:`_chord_end`'s (up, grid-east, grid-north, azimuth) at boundary ``c`` (the first step of coarse block
    ``c``; the last boundary is the period's last step) for the cell whose frame is ``frames[:, lane]`` (the nine
    components of :func:`lupex.core.sky.cell_frame`) and whose eye is ``r_cells[lane]`` [m] from the centre. The
    loop over lanes has no branches, so it vectorises; the values equal :func:`_chord_end`'s."""
    n_blocks = sun_starts.size - 1
    nt = sun_starts[n_blocks]
    n_lanes = r_cells.size
    for c in range(ends.shape[1]):
        t = min(sun_starts[min(c * blocks_per_coarse, n_blocks)], nt - 1)
        d0 = sun_dir_me[t, 0]
        d1 = sun_dir_me[t, 1]
        d2 = sun_dir_me[t, 2]
        p = sun_inv_distance_per_m[t]
        for lane in range(n_lanes):
            se, sn, su = topocentric_enu_first_order(d0, d1, d2, p, r_cells[lane], _lane_frame(frames, lane))
            ends[0, c, lane] = su
            ends[1, c, lane] = se
            ends[2, c, lane] = sn
            ends[3, c, lane] = atan2_select(se, sn)


@register_jitable
def earth_point_ends(
    points: NDArray[np.float64], frames: NDArray[np.float64], r_cells: NDArray[np.float64], ends: NDArray[np.float64]
) -> None:
    """:func:`_earth_end` of every row of ``points`` (positions, MOON_ME [m], in the first three columns: the Earth's
    coarse cone centres or its positions at the fine block boundaries) for several cells at once, as
    :func:`sun_coarse_ends`: ``ends[q, row, lane]``. The loop over lanes has no branches."""
    n_lanes = r_cells.size
    for row in range(points.shape[0]):
        p0 = points[row, 0]
        p1 = points[row, 1]
        p2 = points[row, 2]
        for lane in range(n_lanes):
            ve, vn, vu = topocentric_enu_of_position(p0, p1, p2, r_cells[lane], _lane_frame(frames, lane))
            ends[0, row, lane] = vu
            ends[1, row, lane] = ve
            ends[2, row, lane] = vn
            ends[3, row, lane] = atan2_select(ve, vn)


@numba.njit(cache=True)
def earth_boundary_points(earth_pos_me_m: NDArray[np.float64], earth_starts: NDArray[np.int64]) -> NDArray[np.float64]:
    """The Earth's position (MOON_ME [m]) at every fine block boundary: the block's first step, the last boundary at
    the period's last step (the chord ends of :func:`earth_cell_stats`), for :func:`earth_point_ends`."""
    last = earth_starts[earth_starts.size - 1] - 1
    points = np.empty((earth_starts.size, 3))
    for b in range(earth_starts.size):
        t = min(earth_starts[b], last)
        for q in range(3):
            points[b, q] = earth_pos_me_m[t, q]
    return points


@register_jitable
def _table_end(ends: NDArray[np.float64], k: int) -> tuple[float, float, float, float]:
    """Entry ``k`` of one cell's chord-end table (``ends[:, :, lane]`` of :func:`sun_coarse_ends` or
    :func:`earth_point_ends`), as :func:`_chord_end` / :func:`_earth_end` return it."""
    return ends[0, k], ends[1, k], ends[2, k], ends[3, k]


@register_jitable
def sun_cell_stats(
    prof: NDArray[np.floating],
    pi: int,
    pj: int,
    x: float,
    y: float,
    r_cell: float,
    body_radius_m: float,
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    inv_radius: NDArray[np.float64],
    sun_starts: NDArray[np.int64],
    sun_deviation: NDArray[np.float64],
    sun_coarse_deviation: NDArray[np.float64],
    blocks_per_coarse: int,
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper_coarse: NDArray[np.float64],
    lower_coarse: NDArray[np.float64],
    max_abs_z: float,
    max_inv_distance: float,
    stop_at_first_lit: bool,
    coarse_ends: NDArray[np.float64] | None = None,
) -> tuple[float, int, int, int, int]:
    """Sun statistics of one cell: (sum of visible fractions, longest dark run, first lit, last lit, steps with
    any part of the Sun visible) [steps].

    ``upper``/``lower`` must hold :func:`sector_thresholds` of the profile with the largest solar radius, for
    the fine blocks, and ``upper_coarse``/``lower_coarse`` the same for fewer, wider sectors (the coarse blocks
    sweep wider arcs: fewer sectors to scan);
    ``max_abs_z`` is the largest |z| (MOON_ME) of the Sun's unit directions and ``max_inv_distance`` the largest
    1 / distance [1/m]: cells whose whole horizon is out of the Sun's reach are decided at once. The sum is
    (steps fully lit) + (partial fractions in time order), so it does not depend on the block decisions.
    With ``stop_at_first_lit`` the walk ends at the first lit step (only "lit at all" is then meaningful).
    """
    frame = cell_frame(x, y, body_radius_m)
    n_az = prof.shape[0]
    up0, up1, up2 = frame[0], frame[1], frame[2]
    up_xy = math.sqrt(up0 * up0 + up1 * up1)
    n_sun_blocks = sun_starts.size - 1
    nt = sun_starts[n_sun_blocks]
    # whole-period bound: s.u = sin(c) cos(decl) cos(dlon) - cos(c) sin(decl) <= sin(c) + |cos(c)| max|s_z|
    g_bound = up_xy + abs(up2) * max_abs_z
    lowest, highest = _extremes(upper, lower)
    if asin_fast(min(1.0, g_bound)) + _EPS_ELEV <= lowest:  # never clears the lowest horizon minus its radius
        return 0.0, nt, -1, -1, 0
    if asin_fast(max(-1.0, -g_bound - r_cell * max_inv_distance)) - _EPS_ELEV >= highest:  # never below
        return float(nt), 0, 0, nt - 1, nt
    n_coarse = (n_sun_blocks + blocks_per_coarse - 1) // blocks_per_coarse
    full = 0
    partial = 0.0
    lit_steps = 0
    run = 0
    best_run = 0
    first = -1
    last = -1
    # chord ends are shared by consecutive blocks: the previous coarse block's end is this one's start
    t_prev = sun_starts[0]
    if coarse_ends is None:
        end_prev = _chord_end(sun_dir_me[t_prev, 0], sun_dir_me[t_prev, 1], sun_dir_me[t_prev, 2],
                              sun_inv_distance_per_m[t_prev], r_cell, frame)  # fmt: skip
    else:
        end_prev = _table_end(coarse_ends, 0)
    for c in range(n_coarse):
        fb0 = c * blocks_per_coarse
        fb1 = min(fb0 + blocks_per_coarse, n_sun_blocks)
        tc = min(sun_starts[fb1], nt - 1)
        if coarse_ends is None:
            end_c = _chord_end(sun_dir_me[tc, 0], sun_dir_me[tc, 1], sun_dir_me[tc, 2], sun_inv_distance_per_m[tc],
                               r_cell, frame)  # fmt: skip
        else:
            end_c = _table_end(coarse_ends, c + 1)
        two_levels = fb1 - fb0 > 1
        decision = 0
        if two_levels and tc > sun_starts[fb0]:
            dev = sun_coarse_deviation[c]
            decision = _block_decision(upper_coarse, lower_coarse, end_prev, end_c, dev[0],
                                       _elevation_slack(dev, abs(up2), up_xy), highest, lowest)[0]  # fmt: skip
        if decision == 1 or decision == -1:
            t0 = sun_starts[fb0]
            t1 = sun_starts[fb1] - 1
            if decision == 1:
                full, lit_steps, first, last = _lit_block(t0, t1, full, lit_steps, first)
                run = 0
                if stop_at_first_lit:
                    return float(full) + partial, best_run, first, last, lit_steps
            else:
                run, best_run = _dark_run(t0, t1, run, best_run)
            end_prev = end_c
            continue
        end0 = end_prev
        for fb in range(fb0, fb1):
            t0 = sun_starts[fb]
            t1 = sun_starts[fb + 1] - 1
            te = min(sun_starts[fb + 1], nt - 1)
            if te == tc:
                end1 = end_c
            else:
                end1 = _chord_end(sun_dir_me[te, 0], sun_dir_me[te, 1], sun_dir_me[te, 2],
                                  sun_inv_distance_per_m[te], r_cell, frame)  # fmt: skip
            decision = 0
            high = _NO_BOUND
            low = -_NO_BOUND
            if te > t0:
                dev = sun_deviation[fb]
                decision, high, low = _block_decision(upper, lower, end0, end1, dev[0],
                                                      _elevation_slack(dev, abs(up2), up_xy), highest,
                                                      lowest)  # fmt: skip
            end0 = end1
            if decision == 1:
                full, lit_steps, first, last = _lit_block(t0, t1, full, lit_steps, first)
                run = 0
                if stop_at_first_lit:
                    return float(full) + partial, best_run, first, last, lit_steps
                continue
            if decision == -1:
                run, best_run = _dark_run(t0, t1, run, best_run)
                continue
            for t in range(t0, t1 + 1):
                se, sn, su = topocentric_enu_first_order(
                    sun_dir_me[t, 0], sun_dir_me[t, 1], sun_dir_me[t, 2], sun_inv_distance_per_m[t], r_cell, frame
                )
                e = asin_fast(su)
                # steps whose elevation alone clears the block's bounds skip the azimuth
                if e - _EPS_ELEV >= high:
                    f = 1.0
                elif e + _EPS_ELEV <= low:
                    f = 0.0
                else:
                    k0, k1, w = azimuth_bracket(atan2_fast(se, sn), n_az)
                    f = disk_fraction((e - horizon_between(prof[k0, pi, pj], prof[k1, pi, pj], w)) * inv_radius[t])
                if f > 0.0:
                    if f >= 1.0:
                        full += 1
                    else:
                        partial += f
                    lit_steps += 1
                    if first < 0:
                        first = t
                    last = t
                    run = 0
                    if stop_at_first_lit:
                        return float(full) + partial, best_run, first, last, lit_steps
                else:
                    run += 1
                    if run > best_run:
                        best_run = run
        end_prev = end_c
    return float(full) + partial, best_run, first, last, lit_steps


@register_jitable
def _earth_end(
    points: NDArray[np.float64], row: int, r_cell: float, frame: _Frame
) -> tuple[float, float, float, float]:
    """(up, grid-east, grid-north) components [-] and grid azimuth [rad] of the exact direction to the position
    (MOON_ME, [m]) in the first three columns of ``points[row]``: the Earth at a chord's end step, or a cone's
    centre."""
    ve, vn, vu = topocentric_enu_of_position(points[row, 0], points[row, 1], points[row, 2], r_cell, frame)
    return vu, ve, vn, atan2_fast(ve, vn)


@register_jitable
def _earth_boundary_end(
    earth_pos_me_m: NDArray[np.float64],
    earth_starts: NDArray[np.int64],
    b: int,
    r_cell: float,
    frame: _Frame,
    boundary_ends: NDArray[np.float64] | None,
) -> tuple[float, float, float, float]:
    """:func:`_earth_end` at fine block boundary ``b`` (block ``b``'s first step; the period's last step for the
    last), from the cell's :func:`earth_point_ends` table where there is one."""
    if boundary_ends is not None:
        return _table_end(boundary_ends, b)
    return _earth_end(earth_pos_me_m, min(earth_starts[b], earth_starts[earth_starts.size - 1] - 1), r_cell, frame)


@register_jitable
def _sine_threshold(elevation: float, sign: float) -> float:
    """Sine [-] beyond which (``sign`` +1: at or above; -1: at or below) a step's ``asin_fast`` elevation clears
    ``elevation`` [rad] by more than ``_EPS_ELEV``; +-2 (never) where that lies beyond the zenith or nadir."""
    target = elevation + sign * 3.0 * _EPS_ELEV
    if abs(target) >= 0.5 * math.pi:
        return 2.0 * sign
    return math.sin(target)


@register_jitable
def _earth_steps(
    prof: NDArray[np.floating],
    pi: int,
    pj: int,
    earth_pos_me_m: NDArray[np.float64],
    t0: int,
    chord: tuple[int, int, float, float, float],
    r_cell: float,
    frame: _Frame,
    high: float,
    low: float,
    counts: tuple[int, int, int],
) -> tuple[int, int, int]:
    """Steps ``t0 .. t1`` of an undecided Earth block one by one; ``counts`` = (steps seen, current outage run,
    longest outage) [steps] before them, returned after them.

    ``high`` / ``low`` are the block's horizon bounds from :func:`_block_decision`: steps whose elevation alone
    clears them skip the azimuth. ``chord`` = (``t1``, the chord's end step ``te``, the elevation sines at ``t0`` and
    ``te``, the block's deviation bound): a step's sine lies within the deviation of the chord's
    value at that step (linear in the step index), so a step whose chord value clears ``high`` or ``low`` by more
    than the deviation is decided without its direction; the decision is the one its exact elevation gives.
    """
    seen, run, best_run = counts
    t1, te, g0, g1, slack = chord
    span = te - t0
    slope = (g1 - g0) / span if span > 0 else 0.0
    slack = slack + 1e-12 if span > 0 else 4.0  # rounding of the chord value; no chord: never decides
    s_high = _sine_threshold(high, 1.0)
    s_low = _sine_threshold(low, -1.0)
    n_az = prof.shape[0]
    for t in range(t0, t1 + 1):
        g = g0 + slope * (t - t0)
        if g - slack >= s_high:
            visible = True
        elif g + slack <= s_low:
            visible = False
        else:
            ve, vn, vu = topocentric_enu_of_position(
                earth_pos_me_m[t, 0], earth_pos_me_m[t, 1], earth_pos_me_m[t, 2], r_cell, frame
            )
            e = asin_fast(vu)
            if e - _EPS_ELEV >= high:
                visible = True
            elif e + _EPS_ELEV <= low:
                visible = False
            else:
                k0, k1, w = azimuth_bracket(atan2_fast(ve, vn), n_az)
                visible = e > horizon_between(prof[k0, pi, pj], prof[k1, pi, pj], w)
        if visible:
            seen += 1
            run = 0
        else:
            run += 1
            if run > best_run:
                best_run = run
    return seen, run, best_run


@register_jitable
def _earth_decided(decision: int, t0: int, t1: int, counts: tuple[int, int, int]) -> tuple[int, int, int]:
    """Accumulate steps ``t0 .. t1`` decided as all visible (+1) or all hidden (-1) into ``counts``."""
    seen, run, best_run = counts
    if decision == 1:
        return seen + t1 - t0 + 1, 0, best_run
    run, best_run = _dark_run(t0, t1, run, best_run)
    return seen, run, best_run


@register_jitable
def earth_cell_stats(
    prof: NDArray[np.floating],
    pi: int,
    pj: int,
    x: float,
    y: float,
    r_cell: float,
    body_radius_m: float,
    earth_pos_me_m: NDArray[np.float64],
    earth_starts: NDArray[np.int64],
    earth_deviation: NDArray[np.float64],
    earth_coarse_cones: NDArray[np.float64],
    earth_blocks_per_coarse: int,
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
    max_abs_z: float,
    max_parallax: float,
    cone_ends: NDArray[np.float64] | None = None,
    boundary_ends: NDArray[np.float64] | None = None,
) -> tuple[float, int]:
    """Earth statistics of one cell: (steps with the Earth's centre above the horizon, longest outage) [steps].

    ``upper``/``lower`` must hold :func:`sector_thresholds` of the profile with radius 0; ``max_abs_z`` is the
    largest |z| of the Earth's unit directions from the Moon's centre and ``max_parallax`` a bound on the angle
    between those and the cell's own directions [rad]. Blocks are decided on two levels: coarse blocks of
    ``earth_blocks_per_coarse`` fine blocks first, by the cones ``earth_coarse_cones`` of
    :func:`earth_cone_bounds`, then the fine blocks of undecided ones by their chords; the same sectors for both.
    Directions are exact (normalised, with parallax: :func:`lupex.core.sky.topocentric_enu_of_position`).
    """
    frame = cell_frame(x, y, body_radius_m)
    up0, up1, up2 = frame[0], frame[1], frame[2]
    n_blocks = earth_starts.size - 1
    nt = earth_starts[n_blocks]
    # whole-period bound as for the Sun, widened by the largest parallax (sine change <= angle change)
    g_bound = math.sqrt(up0 * up0 + up1 * up1) + abs(up2) * max_abs_z + max_parallax
    lowest, highest = _extremes(upper, lower)
    if asin_fast(min(1.0, g_bound)) + _EPS_ELEV <= lowest:
        return 0.0, nt
    if asin_fast(max(-1.0, -g_bound)) - _EPS_ELEV >= highest:
        return float(nt), 0
    counts = (0, 0, 0)
    n_coarse = (n_blocks + earth_blocks_per_coarse - 1) // earth_blocks_per_coarse
    t_end = -1  # the step whose chord end ``end0`` holds (shared by consecutive fine blocks)
    end0 = (0.0, 0.0, 0.0, 0.0)
    for c in range(n_coarse):
        fb0 = c * earth_blocks_per_coarse
        fb1 = min(fb0 + earth_blocks_per_coarse, n_blocks)
        if fb1 - fb0 > 1:
            if cone_ends is None:
                centre = _earth_end(earth_coarse_cones, c, r_cell, frame)
            else:
                centre = _table_end(cone_ends, c)
            radius = earth_coarse_cones[c, 3]
            decision = _block_decision(upper, lower, centre, centre, radius, radius, highest, lowest)[0]
            if decision != 0:
                counts = _earth_decided(decision, earth_starts[fb0], earth_starts[fb1] - 1, counts)
                continue
        if t_end != earth_starts[fb0]:
            end0 = _earth_boundary_end(earth_pos_me_m, earth_starts, fb0, r_cell, frame, boundary_ends)
        for b in range(fb0, fb1):
            t0 = earth_starts[b]
            t1 = earth_starts[b + 1] - 1
            t_end = min(earth_starts[b + 1], nt - 1)  # the chord's end: the next block's first step (shared)
            end1 = _earth_boundary_end(earth_pos_me_m, earth_starts, b + 1, r_cell, frame, boundary_ends)
            decision = 0
            high = _NO_BOUND
            low = -_NO_BOUND
            if t_end > t0:
                decision, high, low = _block_decision(
                    upper, lower, end0, end1, earth_deviation[b], earth_deviation[b], highest, lowest
                )
            sine0 = end0[0]
            end0 = end1
            if decision != 0:
                counts = _earth_decided(decision, t0, t1, counts)
            else:
                chord = (t1, t_end, sine0, end1[0], earth_deviation[b])
                counts = _earth_steps(prof, pi, pj, earth_pos_me_m, t0, chord, r_cell, frame, high, low, counts)
    return float(counts[0]), counts[2]


STATS_DOC = """Stream over time at every cell: Sun disk fraction and Earth visibility statistics.

    For each cell and time the body's elevation ``e`` and grid azimuth follow from its MOON_ME direction and
    the cell's up / grid-east / grid-north frame; the horizon ``h`` is interpolated linearly in azimuth and the
    Sun's visible fraction is :func:`disk_fraction` of ``(e - h) / a``; the Earth counts as visible when its
    centre is above the horizon. Time is processed in blocks (see :func:`block_bounds`), coarse blocks of
    ``blocks_per_coarse`` fine blocks first: a block whose elevation range (chord +- deviation) lies entirely
    above the highest, or below the lowest, horizon sample over its azimuth arc (widened by the deviation) is
    decided at once; other blocks are refined, down to single steps. The bounds are exact, so the result
    equals the step-by-step evaluation (checked in the tests).

    Parameters
    ----------
    horizon : float32 (n_az, ny, nx)
        Horizon elevation [rad / ``rad_per_unit``] at grid azimuths k * 2 pi / n_az (clockwise from grid north).
    z_m : (ny, nx)
        Terrain heights above the sphere [m]. ``x_m`` (nx,), ``y_m`` (ny,): cell-centre coordinates [m].
    observer_height_m, body_radius_m : float
        Observer height above terrain [m]; lunar radius [m].
    sun_dir_me : (nt, 3)
        Unit vectors from the Moon's centre to the Sun (MOON_ME) [-].
    sun_inv_distance_per_m : (nt,)
        1 / (Moon centre to Sun distance) [1/m]; the elevation sine at a cell of radius r is corrected by
        ``- r / distance`` (solar parallax, up to 2.4 arcsec; second-order terms < 0.1 arcsec).
    sun_radius_rad : (nt,)
        Apparent solar radius [rad].
    sun_starts, sun_deviation, sun_coarse_deviation, blocks_per_coarse : various
        The Sun's block tables from :func:`kernel_time_args`.
    earth_starts, earth_deviation, earth_coarse_cones, earth_blocks_per_coarse : various
        The Earth's block tables from :func:`kernel_time_args`.
    earth_pos_me_m : (nt, 3)
        Earth centre relative to the Moon's centre (MOON_ME) [m]; per-cell directions include parallax.
    want_earth : bool
        Skip the Earth part when False.
    stop_at_first_lit : bool, default False
        End each cell's Sun walk at its first lit step (for the PSR envelope: only ``sum_fraction > 0`` is
        then meaningful; the other Sun outputs are partial).
    only_cells : bool (ny, nx), optional
        Evaluate only the cells where True; the others keep the initial outputs (0, and -1 for the steps).
    rad_per_unit : float, default 1.0
        Radians per unit of ``horizon``, applied in float32 (:data:`DEG2RAD_F32` takes a float32 map in degrees
        exactly as ``np.radians`` would, without a converted copy of the map).
    horizon_row0 : int, default 0
        Row of ``horizon`` that holds the first row of ``z_m``: a chunk of rows is evaluated on the whole map
        (``horizon`` (n_az, >= horizon_row0 + ny, nx)) without slicing it, so the kernel always sees the map's own
        (C-contiguous) layout and is compiled once.

    Returns
    -------
    sum_fraction : float64 (ny, nx)
        Sum over times of the visible solar-disk fraction [-].
    longest_dark : int32 (ny, nx)
        Longest run of consecutive steps with no part of the Sun visible [steps].
    first_lit, last_lit : int32 (ny, nx)
        First/last step with any part of the Sun visible; -1 if never [step index].
    sum_earth : float64 (ny, nx)
        Number of steps with the Earth's centre above the horizon [steps].
    longest_outage : int32 (ny, nx)
        Longest run of steps with the Earth's centre below the horizon [steps].
    lit_steps : int32 (ny, nx)
        Steps with any part of the Sun visible [steps].
"""


def check_horizon_rows(horizon: NDArray[Any], ny: int, nx: int, horizon_row0: int) -> None:
    """Refuse a horizon map (n_az, rows, nx) without the rows ``horizon_row0 .. horizon_row0 + ny - 1``.

    Raises
    ------
    InputError
        Naming the map's shape, the rows it must hold and the grid's size.
    """
    shape = np.shape(horizon)
    if horizon_row0 < 0 or len(shape) != 3 or shape[1] < horizon_row0 + ny or shape[2] != nx:
        raise InputError(
            f"horizon has shape {shape}; with horizon_row0 {horizon_row0} it must hold the rows {horizon_row0} .. "
            f"{horizon_row0 + ny - 1} of z_m's grid ({ny} x {nx}) as (n_az, rows, nx)"
        )


def _kernel_array(values: Any, dtype: Any) -> NDArray[Any]:
    """``values`` as the compiled kernel takes it: ``dtype``, C-contiguous and writable (copied only if not)."""
    return np.require(values, dtype=dtype, requirements=["C", "W"])


def illumination_stats_kernel(
    horizon: NDArray[np.float32],
    z_m: NDArray[np.float64],
    x_m: NDArray[np.float64],
    y_m: NDArray[np.float64],
    observer_height_m: float,
    body_radius_m: float,
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    sun_radius_rad: NDArray[np.float64],
    sun_starts: NDArray[np.int64],
    sun_deviation: NDArray[np.float64],
    sun_coarse_deviation: NDArray[np.float64],
    blocks_per_coarse: int,
    earth_pos_me_m: NDArray[np.float64],
    earth_starts: NDArray[np.int64],
    earth_deviation: NDArray[np.float64],
    earth_coarse_cones: NDArray[np.float64],
    earth_blocks_per_coarse: int,
    want_earth: bool,
    stop_at_first_lit: bool = False,
    only_cells: NDArray[np.bool_] | None = None,
    rad_per_unit: float = 1.0,
    horizon_row0: int = 0,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
]:
    # Every argument goes to the compiled kernel in one set of numba types (C-contiguous writable arrays, Python
    # scalars, ``only_cells`` always an array): each distinct set is another ~25 s compilation of this kernel,
    # and callers' layouts (an xarray slice, a transposed ephemeris, read-only coordinates) and omitted
    # defaults used to make seven of them. The horizon map (GBs) is passed as it is.
    ny, nx = np.shape(z_m)
    horizon_row0 = int(horizon_row0)
    check_horizon_rows(horizon, ny, nx, horizon_row0)
    f64, i64 = np.float64, np.int64
    cells = np.ones((ny, nx), dtype=np.bool_) if only_cells is None else only_cells
    if np.shape(cells) != (ny, nx):
        raise InputError(f"only_cells has shape {np.shape(cells)}; give z_m's grid shape {(ny, nx)} or None")
    return _illumination_stats_compiled(
        horizon,
        _kernel_array(z_m, f64),
        _kernel_array(x_m, f64),
        _kernel_array(y_m, f64),
        float(observer_height_m),
        float(body_radius_m),
        _kernel_array(sun_dir_me, f64),
        _kernel_array(sun_inv_distance_per_m, f64),
        _kernel_array(sun_radius_rad, f64),
        _kernel_array(sun_starts, i64),
        _kernel_array(sun_deviation, f64),
        _kernel_array(sun_coarse_deviation, f64),
        int(blocks_per_coarse),
        _kernel_array(earth_pos_me_m, f64),
        _kernel_array(earth_starts, i64),
        _kernel_array(earth_deviation, f64),
        _kernel_array(earth_coarse_cones, f64),
        int(earth_blocks_per_coarse),
        bool(want_earth),
        bool(stop_at_first_lit),
        _kernel_array(cells, np.bool_),
        float(rad_per_unit),
        horizon_row0,
    )


@numba.njit(cache=True, parallel=True, fastmath=True)
def _illumination_stats_compiled(
    horizon: NDArray[np.float32],
    z_m: NDArray[np.float64],
    x_m: NDArray[np.float64],
    y_m: NDArray[np.float64],
    observer_height_m: float,
    body_radius_m: float,
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    sun_radius_rad: NDArray[np.float64],
    sun_starts: NDArray[np.int64],
    sun_deviation: NDArray[np.float64],
    sun_coarse_deviation: NDArray[np.float64],
    blocks_per_coarse: int,
    earth_pos_me_m: NDArray[np.float64],
    earth_starts: NDArray[np.int64],
    earth_deviation: NDArray[np.float64],
    earth_coarse_cones: NDArray[np.float64],
    earth_blocks_per_coarse: int,
    want_earth: bool,
    stop_at_first_lit: bool,
    only_cells: NDArray[np.bool_],
    rad_per_unit: float,
    horizon_row0: int,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
]:
    """The compiled body of :func:`illumination_stats_kernel` (arguments as that function normalises them)."""
    n_az = horizon.shape[0]
    ny, nx = z_m.shape
    scale = np.float32(rad_per_unit)
    sum_fraction = np.zeros((ny, nx), dtype=np.float64)
    longest_dark = np.zeros((ny, nx), dtype=np.int32)
    first_lit = np.full((ny, nx), -1, dtype=np.int32)
    last_lit = np.full((ny, nx), -1, dtype=np.int32)
    sum_earth = np.zeros((ny, nx), dtype=np.float64)
    longest_outage = np.zeros((ny, nx), dtype=np.int32)
    lit_steps = np.zeros((ny, nx), dtype=np.int32)
    sun_radius_max = sun_radius_rad.max()
    inv_radius = 1.0 / sun_radius_rad
    sun_z, max_inv, earth_z, max_parallax = whole_period_bounds(sun_dir_me, sun_inv_distance_per_m, earth_pos_me_m)
    n_sec = min(n_az, _CPU_MAX_SECTORS)
    stride = row_stride(ny)
    n_sun_coarse = (sun_starts.size - 1 + blocks_per_coarse - 1) // blocks_per_coarse
    earth_points = (earth_coarse_cones, earth_boundary_points(earth_pos_me_m, earth_starts))
    sun = (sun_dir_me, sun_inv_distance_per_m, sun_starts, blocks_per_coarse)
    for p in numba.prange(ny):
        i = (p * stride) % ny  # rows in a scattered order: each thread's share mixes easy and hard rows
        profiles = np.empty((_COPY_CELLS, n_az, 1, 1), dtype=np.float64)
        upper = np.empty(n_sec)
        lower = np.empty(n_sec)
        upper_coarse = np.empty(_COARSE_SECTORS)
        lower_coarse = np.empty(_COARSE_SECTORS)
        upper_earth = np.empty(n_sec)
        lower_earth = np.empty(n_sec)
        lanes = (
            np.zeros((9, _COPY_CELLS)),
            np.zeros(_COPY_CELLS),
            np.empty((4, n_sun_coarse + 1, _COPY_CELLS)),
            np.empty((4, earth_points[0].shape[0], _COPY_CELLS)),
            np.empty((4, earth_points[1].shape[0], _COPY_CELLS)),
        )
        sun_ends, cone_ends, boundary_ends = lanes[2], lanes[3], lanes[4]
        for j in range(nx):
            jj = j % _COPY_CELLS
            if jj == 0 and _copy_profiles(horizon, horizon_row0 + i, i, j, only_cells, profiles, scale):
                cells = (x_m, y_m[i], z_m[i], j, body_radius_m, observer_height_m)
                _fill_lanes(lanes, cells, sun, earth_points, want_earth)
            if not only_cells[i, j]:
                continue
            prof = profiles[jj]
            r_cell = body_radius_m + z_m[i, j] + observer_height_m
            cell_thresholds(prof, sun_radius_max, upper, lower, upper_coarse, lower_coarse, upper_earth, lower_earth)
            total, best, first, last, lit = sun_cell_stats(
                prof,
                0,
                0,
                x_m[j],
                y_m[i],
                r_cell,
                body_radius_m,
                sun_dir_me,
                sun_inv_distance_per_m,
                inv_radius,
                sun_starts,
                sun_deviation,
                sun_coarse_deviation,
                blocks_per_coarse,
                upper,
                lower,
                upper_coarse,
                lower_coarse,
                sun_z,
                max_inv,
                stop_at_first_lit,
                sun_ends[:, :, jj],
            )
            sum_fraction[i, j] = total
            lit_steps[i, j] = lit
            longest_dark[i, j] = best
            first_lit[i, j] = first
            last_lit[i, j] = last
            if want_earth:
                seen, outage = earth_cell_stats(
                    prof,
                    0,
                    0,
                    x_m[j],
                    y_m[i],
                    r_cell,
                    body_radius_m,
                    earth_pos_me_m,
                    earth_starts,
                    earth_deviation,
                    earth_coarse_cones,
                    earth_blocks_per_coarse,
                    upper_earth,
                    lower_earth,
                    earth_z,
                    max_parallax,
                    cone_ends[:, :, jj],
                    boundary_ends[:, :, jj],
                )
                sum_earth[i, j] = seen
                longest_outage[i, j] = outage

    return sum_fraction, longest_dark, first_lit, last_lit, sum_earth, longest_outage, lit_steps


illumination_stats_kernel.__doc__ = STATS_DOC
