"""Visible fraction of a uniform disk above a straight horizon, and the per-cell illumination kernel.

Symbols: ``e`` elevation of the disk centre, ``h`` horizon elevation in the disk's azimuth, ``a`` the disk's
apparent angular radius, all in radians; ``x = (e - h) / a``. The visible fraction of a uniform disk cut by a
straight horizontal line (circular segment area, illumination-references.md section 3.2) is

    f(x) = 0 for x <= -1;  1 for x >= 1;  1 - (acos x - x sqrt(1 - x^2)) / pi otherwise.

The per-cell logic (:func:`sun_cell_stats`, :func:`earth_cell_stats`) is written once with
``register_jitable``, so the CPU kernel here (numba, parallel over rows) and the CUDA kernel in
:mod:`lupex.core.visibility_cuda` (one thread per cell) run the same code. A horizon "profile" is addressed as
``prof[k, pi, pj]``: the CPU passes a per-cell copy shaped (n_az, 1, 1), the GPU the whole map.
"""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
from numba.core.extending import register_jitable
from numpy.typing import NDArray

_TWO_PI = 2.0 * math.pi
_N_SECTORS = 72  # 5 deg azimuth sectors for the block decisions
_SECTOR_WIDTH = 2.0 * math.pi / _N_SECTORS


@register_jitable
def disk_fraction(x: float) -> float:
    """Visible fraction of a uniform disk whose centre is ``x`` radii above a straight horizon [-]."""
    if x >= 1.0:
        return 1.0
    if x <= -1.0:
        return 0.0
    return 1.0 - (math.acos(x) - x * math.sqrt(1.0 - x * x)) / math.pi


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
def atan2_fast(a: float, b: float) -> float:
    """atan2(a, b) in [0, 2 pi) to 2e-6 rad, by octant reduction and an odd minimax polynomial."""
    abs_a = abs(a)
    abs_b = abs(b)
    swap = abs_a > abs_b
    if swap:
        z = abs_b / abs_a
    elif abs_b > 0.0:
        z = abs_a / abs_b
    else:
        return 0.0
    z2 = z * z
    angle = z * (
        0.99997726 + z2 * (-0.33262347 + z2 * (0.19354346 + z2 * (-0.11643287 + z2 * (0.05265332 - z2 * 0.01172120))))
    )
    if swap:
        angle = 1.5707963267948966 - angle
    if b < 0.0:
        angle = math.pi - angle
    if a < 0.0:
        angle = _TWO_PI - angle
    return angle


@register_jitable
def asin_fast(z: float) -> float:
    """asin(z): Taylor series to z^9 for |z| <= 0.25 (error < 1e-8 rad), ``math.asin`` otherwise."""
    if abs(z) <= 0.25:
        z2 = z * z
        return z * (1.0 + z2 * (1.0 / 6.0 + z2 * (3.0 / 40.0 + z2 * (5.0 / 112.0 + z2 * (35.0 / 1152.0)))))
    return math.asin(min(1.0, max(-1.0, z)))


@register_jitable
def cell_frame(
    x: float, y: float, radius: float
) -> tuple[float, float, float, float, float, float, float, float, float]:
    """Up, grid-east and grid-north unit vectors (MOON_ME) at grid point x, y of the polar stereographic grid."""
    rho = math.sqrt(x * x + y * y)
    c = 2.0 * math.atan(rho / (2.0 * radius))  # colatitude from the south pole
    lon = math.atan2(x, y)
    sc, cc = math.sin(c), math.cos(c)
    sl, cl = math.sin(lon), math.cos(lon)
    up0, up1, up2 = sc * cl, sc * sl, -cc
    # local north and east, then rotated by -lon / 90 - lon to grid north / grid east
    n0, n1, n2 = cc * cl, cc * sl, sc
    e0, e1, e2 = -sl, cl, 0.0
    gn0, gn1, gn2 = cl * n0 - sl * e0, cl * n1 - sl * e1, cl * n2 - sl * e2
    ge0, ge1, ge2 = sl * n0 + cl * e0, sl * n1 + cl * e1, sl * n2 + cl * e2
    return up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2


@register_jitable
def horizon_at(prof: NDArray[np.floating], pi: int, pj: int, azimuth: float) -> float:
    """Linear interpolation of ``prof[:, pi, pj]`` (samples at k * 2 pi / n) at ``azimuth`` in [0, 2 pi) [rad]."""
    n = prof.shape[0]
    pos = azimuth * (n / _TWO_PI)
    i0 = int(pos)
    w = pos - i0
    if i0 >= n:
        i0 = n - 1
        w = 0.0
    i1 = i0 + 1
    if i1 == n:
        i1 = 0
    return (1.0 - w) * prof[i0, pi, pj] + w * prof[i1, pi, pj]


def block_bounds(dirs: NDArray[np.float64], block: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Split a time series of unit vectors into blocks and bound each block's deviation from its chord.

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
    deviation : float64 (nb,)
        max over the block of |d(t) - lerp(d(t0), d(t1), tau)| with tau linear in the step index [-].
        Because elevation sines are linear in the direction, ``sin e(t)`` lies within this of the chord.
    """
    nt = dirs.shape[0]
    starts = np.append(np.arange(0, nt, block, dtype=np.int64), np.int64(nt))
    deviation = np.zeros(starts.size - 1)
    for b in range(starts.size - 1):
        t0, t1 = int(starts[b]), int(starts[b + 1]) - 1
        if t1 <= t0:
            continue
        tau = (np.arange(t0, t1 + 1) - t0) / (t1 - t0)
        chord = dirs[t0][None, :] * (1.0 - tau[:, None]) + dirs[t1][None, :] * tau[:, None]
        deviation[b] = float(np.sqrt(((dirs[t0 : t1 + 1] - chord) ** 2).sum(axis=1)).max())
    return starts, deviation


def earth_block_bounds(
    earth_pos_me_m: NDArray[np.float64], block: int, max_radius_m: float
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Blocks of Earth directions whose deviation bound also covers any surface observer's parallax.

    Seen from a point at distance ``r <= max_radius_m`` from the Moon's centre, the Earth's unit direction is
    ``u - p`` with the parallax offset ``|p| <= r / (|E| - r)``. Within a block, ``p`` changes by at most
    ``|p| * (angle swept + relative distance change) * 2``; that is added to the chord deviation of ``u``.
    """
    dist = np.linalg.norm(earth_pos_me_m, axis=1)
    unit = earth_pos_me_m / dist[:, None]
    starts, deviation = block_bounds(unit, block)
    for b in range(starts.size - 1):
        t0, t1 = int(starts[b]), int(starts[b + 1]) - 1
        chunk = unit[t0 : t1 + 1]
        swept = float(np.sqrt(((chunk - chunk[0]) ** 2).sum(axis=1)).max())
        d_chunk = dist[t0 : t1 + 1]
        p_max = max_radius_m / (float(d_chunk.min()) - max_radius_m)
        rel = float((d_chunk.max() - d_chunk.min()) / d_chunk.min())
        deviation[b] += 2.0 * p_max * (swept + rel) * 2.0 + 1e-9
    return starts, deviation


def kernel_time_args(
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    earth_pos_me_m: NDArray[np.float64],
    max_radius_m: float,
    sun_block: int,
    coarse_factor: int = 4,
    earth_block: int | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], int, NDArray[np.int64], NDArray[np.float64]]:
    """Block tables for :func:`illumination_stats_kernel`: ``(sun_starts, sun_deviation, sun_coarse_deviation,
    coarse_factor, earth_starts, earth_deviation)``.

    The Sun's deviations include the within-block change of its parallax term ``r / distance`` for radii up to
    ``max_radius_m``; Earth blocks default to the same length as the Sun's.
    """

    def with_parallax(starts: NDArray[np.int64], deviation: NDArray[np.float64]) -> NDArray[np.float64]:
        spread = np.array([np.ptp(sun_inv_distance_per_m[a:b]) for a, b in itertools.pairwise(starts)])
        return deviation + max_radius_m * spread

    starts, deviation = block_bounds(sun_dir_me, sun_block)
    coarse_starts, coarse_deviation = block_bounds(sun_dir_me, sun_block * coarse_factor)
    earth_starts, earth_deviation = earth_block_bounds(earth_pos_me_m, earth_block or sun_block, max_radius_m)
    return (
        starts,
        with_parallax(starts, deviation),
        with_parallax(coarse_starts, coarse_deviation),
        coarse_factor,
        earth_starts,
        earth_deviation,
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
    """Per 5 deg sector: sin(max h + radius) and sin(min h - radius) over the samples bracketing the sector.

    Linear interpolation between samples never leaves the range of the two bracketing samples, so the
    interpolated horizon anywhere in the sector lies between the sector's min and max.
    """
    n = prof.shape[0]
    step = _TWO_PI / n
    half_pi = 0.5 * math.pi
    for s in range(_N_SECTORS):
        k0 = int(math.floor(s * _SECTOR_WIDTH / step))
        k1 = int(math.ceil((s + 1) * _SECTOR_WIDTH / step))
        low = 1e9
        high = -1e9
        for k in range(k0, k1 + 1):
            v = prof[k % n, pi, pj]
            low = min(low, v)
            high = max(high, v)
        upper[s] = math.sin(min(half_pi, high + radius))
        lower[s] = math.sin(max(-half_pi, low - radius))


@register_jitable
def _block_decision(
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
    g0: float,
    a0: float,
    b0: float,
    g1: float,
    a1: float,
    b1: float,
    deviation: float,
) -> int:
    """+1 if every step of the block is certainly above the sector thresholds ``upper``, -1 if certainly below
    ``lower``, 0 if undecided. (g, a, b) are the direction's up / grid-east / grid-north components at the
    block's first and last steps; ``deviation`` bounds the distance of any step's direction from the chord,
    hence of its elevation sine from the chord's, and (divided by the horizontal reach) of its azimuth."""
    az0 = atan2_fast(a0, b0)
    az1 = atan2_fast(a1, b1)
    span = az1 - az0
    if span < 0.0:
        span += _TWO_PI
    if span > math.pi:  # moving backwards: swap ends
        az0 = az1
        span = _TWO_PI - span
    if span > 0.5:
        return 0
    reach = min(max(abs(a0), abs(b0)), max(abs(a1), abs(b1))) * (1.0 - 0.125 * span * span) - deviation
    if reach <= 1e-3:
        return 0
    margin = 1.01 * deviation / reach + 3e-5  # >= asin(deviation / reach) + azimuth approximation error
    s0 = int(math.floor((az0 - margin) / _SECTOR_WIDTH))
    s1 = int(math.floor((az0 + span + margin) / _SECTOR_WIDTH))
    g_min = min(g0, g1) - deviation
    g_max = max(g0, g1) + deviation
    above = True
    below = True
    for s in range(s0, s1 + 1):
        k = s % _N_SECTORS
        if g_min < upper[k]:
            above = False
        if g_max > lower[k]:
            below = False
    if above:
        return 1
    if below:
        return -1
    return 0


@register_jitable
def _lit_run(t0: int, t1: int, total: float, run: int, first: int, last: int) -> tuple[float, int, int, int]:
    """Accumulate steps t0..t1 as fully lit."""
    total += t1 - t0 + 1
    if first < 0:
        first = t0
    return total, 0, first, t1


@register_jitable
def _dark_run(t0: int, t1: int, run: int, best_run: int) -> tuple[int, int]:
    """Accumulate steps t0..t1 as fully dark."""
    run += t1 - t0 + 1
    return run, max(run, best_run)


@register_jitable
def _components(
    dirs: NDArray[np.float64],
    t: int,
    up0: float,
    up1: float,
    up2: float,
    ge0: float,
    ge1: float,
    ge2: float,
    gn0: float,
    gn1: float,
    gn2: float,
) -> tuple[float, float, float]:
    d0 = dirs[t, 0]
    d1 = dirs[t, 1]
    d2 = dirs[t, 2]
    return (d0 * up0 + d1 * up1 + d2 * up2, d0 * ge0 + d1 * ge1 + d2 * ge2, d0 * gn0 + d1 * gn1 + d2 * gn2)


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
    max_abs_z: float,
    max_inv_distance: float,
) -> tuple[float, int, int, int, int]:
    """Sun statistics of one cell: (sum of visible fractions, longest dark run, first lit, last lit, steps with
    any part of the Sun visible) [steps].

    ``upper``/``lower`` must hold :func:`sector_thresholds` of the profile with the largest solar radius;
    ``max_abs_z`` is the largest |z| (MOON_ME) of the Sun's unit directions and ``max_inv_distance`` the largest
    1 / distance [1/m]: cells whose whole horizon is out of the Sun's reach are decided at once.
    """
    up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2 = cell_frame(x, y, body_radius_m)
    n_sun_blocks = sun_starts.size - 1
    # whole-period bound: s.u = sin(c) cos(decl) cos(dlon) - cos(c) sin(decl) <= sin(c) + |cos(c)| max|s_z|
    g_bound = math.sqrt(up0 * up0 + up1 * up1) + abs(up2) * max_abs_z
    lowest = lower[0]
    highest = upper[0]
    for k in range(1, lower.size):
        lowest = min(lowest, lower[k])
        highest = max(highest, upper[k])
    nt = sun_starts[n_sun_blocks]
    if g_bound <= lowest:  # the Sun never clears the lowest horizon, minus its radius: dark throughout
        return 0.0, nt, -1, -1, 0
    if -g_bound - r_cell * max_inv_distance >= highest:  # never below the highest horizon plus its radius
        return float(nt), 0, 0, nt - 1, nt
    n_coarse = (n_sun_blocks + blocks_per_coarse - 1) // blocks_per_coarse
    total = 0.0
    lit_steps = 0
    run = 0
    best_run = 0
    first = -1
    last = -1
    for c in range(n_coarse):
        fb0 = c * blocks_per_coarse
        fb1 = min(fb0 + blocks_per_coarse, n_sun_blocks)
        two_levels = fb1 - fb0 > 1
        for level in range(2 if two_levels else 1):
            coarse = level == 0 and two_levels
            refine = False
            for fb in range(fb0, fb0 + 1 if coarse else fb1):
                if coarse:
                    t0 = sun_starts[fb0]
                    t1 = sun_starts[fb1] - 1
                    deviation = sun_coarse_deviation[c]
                else:
                    t0 = sun_starts[fb]
                    t1 = sun_starts[fb + 1] - 1
                    deviation = sun_deviation[fb]
                decision = 0
                if t1 > t0:
                    g0, a0, b0 = _components(sun_dir_me, t0, up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2)
                    g1, a1, b1 = _components(sun_dir_me, t1, up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2)
                    g0 -= r_cell * sun_inv_distance_per_m[t0]
                    g1 -= r_cell * sun_inv_distance_per_m[t1]
                    decision = _block_decision(upper, lower, g0, a0, b0, g1, a1, b1, deviation)
                if decision == 1:
                    total, run, first, last = _lit_run(t0, t1, total, run, first, last)
                    lit_steps += t1 - t0 + 1
                    continue
                if decision == -1:
                    run, best_run = _dark_run(t0, t1, run, best_run)
                    continue
                if coarse:
                    refine = True
                    break
                for t in range(t0, t1 + 1):
                    sz, sa, sb = _components(sun_dir_me, t, up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2)
                    sz -= r_cell * sun_inv_distance_per_m[t]
                    f = disk_fraction((asin_fast(sz) - horizon_at(prof, pi, pj, atan2_fast(sa, sb))) * inv_radius[t])
                    if f > 0.0:
                        total += f
                        lit_steps += 1
                        if first < 0:
                            first = t
                        last = t
                        run = 0
                    else:
                        run += 1
                        if run > best_run:
                            best_run = run
            if not refine:
                break
    return total, best_run, first, last, lit_steps


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
    upper: NDArray[np.float64],
    lower: NDArray[np.float64],
    max_abs_z: float,
    max_parallax: float,
) -> tuple[float, int]:
    """Earth statistics of one cell: (steps with the Earth's centre above the horizon, longest outage) [steps].

    ``upper``/``lower`` must hold :func:`sector_thresholds` of the profile with radius 0; ``max_abs_z`` is the
    largest |z| of the Earth's unit directions from the Moon's centre and ``max_parallax`` a bound on the angle
    between those and the cell's own directions [rad].
    """
    up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2 = cell_frame(x, y, body_radius_m)
    r = r_cell
    n_blocks = earth_starts.size - 1
    nt = earth_starts[n_blocks]
    # whole-period bound as for the Sun, widened by the largest parallax (sine change <= angle change)
    g_bound = math.sqrt(up0 * up0 + up1 * up1) + abs(up2) * max_abs_z + max_parallax
    lowest = lower[0]
    highest = upper[0]
    for k in range(1, lower.size):
        lowest = min(lowest, lower[k])
        highest = max(highest, upper[k])
    if g_bound <= lowest:
        return 0.0, nt
    if -g_bound >= highest:
        return float(nt), 0
    seen = 0.0
    run = 0
    best_run = 0
    for b in range(n_blocks):
        t0 = earth_starts[b]
        t1 = earth_starts[b + 1] - 1
        decision = 0
        if t1 > t0:
            # exact per-cell unit directions (with parallax) at the block ends
            e0 = earth_pos_me_m[t0, 0] - r * up0
            e1 = earth_pos_me_m[t0, 1] - r * up1
            e2 = earth_pos_me_m[t0, 2] - r * up2
            n0 = math.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
            f0 = earth_pos_me_m[t1, 0] - r * up0
            f1 = earth_pos_me_m[t1, 1] - r * up1
            f2 = earth_pos_me_m[t1, 2] - r * up2
            n1 = math.sqrt(f0 * f0 + f1 * f1 + f2 * f2)
            e0, e1, e2 = e0 / n0, e1 / n0, e2 / n0
            f0, f1, f2 = f0 / n1, f1 / n1, f2 / n1
            decision = _block_decision(
                upper,
                lower,
                e0 * up0 + e1 * up1 + e2 * up2,
                e0 * ge0 + e1 * ge1 + e2 * ge2,
                e0 * gn0 + e1 * gn1 + e2 * gn2,
                f0 * up0 + f1 * up1 + f2 * up2,
                f0 * ge0 + f1 * ge1 + f2 * ge2,
                f0 * gn0 + f1 * gn1 + f2 * gn2,
                earth_deviation[b],
            )
        if decision == 1:
            seen += t1 - t0 + 1
            run = 0
            continue
        if decision == -1:
            run, best_run = _dark_run(t0, t1, run, best_run)
            continue
        for t in range(t0, t1 + 1):
            v0 = earth_pos_me_m[t, 0] - r * up0
            v1 = earth_pos_me_m[t, 1] - r * up1
            v2 = earth_pos_me_m[t, 2] - r * up2
            d = math.sqrt(v0 * v0 + v1 * v1 + v2 * v2)
            vz = (v0 * up0 + v1 * up1 + v2 * up2) / d
            va = v0 * ge0 + v1 * ge1 + v2 * ge2
            vb = v0 * gn0 + v1 * gn1 + v2 * gn2
            if asin_fast(vz) > horizon_at(prof, pi, pj, atan2_fast(va, vb)):
                seen += 1.0
                run = 0
            else:
                run += 1
                if run > best_run:
                    best_run = run
    return seen, best_run


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
    horizon_rad : float32 (n_az, ny, nx)
        Horizon elevation [rad] at grid azimuths k * 2 pi / n_az (clockwise from grid north).
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
    sun_starts, sun_deviation, sun_coarse_deviation, blocks_per_coarse, earth_starts, earth_deviation :
        Block tables from :func:`kernel_time_args`.
    earth_pos_me_m : (nt, 3)
        Earth centre relative to the Moon's centre (MOON_ME) [m]; per-cell directions include parallax.
    want_earth : bool
        Skip the Earth part when False.

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


@numba.njit(cache=True, parallel=True, fastmath=True)
def illumination_stats_kernel(
    horizon_rad: NDArray[np.float32],
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
    want_earth: bool,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
]:
    n_az, ny, nx = horizon_rad.shape
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
    for i in numba.prange(ny):
        prof = np.empty((n_az, 1, 1), dtype=np.float64)
        upper = np.empty(_N_SECTORS)
        lower = np.empty(_N_SECTORS)
        for j in range(nx):
            for k in range(n_az):
                prof[k, 0, 0] = horizon_rad[k, i, j]
            r_cell = body_radius_m + z_m[i, j] + observer_height_m
            sector_thresholds(prof, 0, 0, sun_radius_max, upper, lower)
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
                sun_z,
                max_inv,
            )
            sum_fraction[i, j] = total
            lit_steps[i, j] = lit
            longest_dark[i, j] = best
            first_lit[i, j] = first
            last_lit[i, j] = last
            if want_earth:
                sector_thresholds(prof, 0, 0, 0.0, upper, lower)
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
                    upper,
                    lower,
                    earth_z,
                    max_parallax,
                )
                sum_earth[i, j] = seen
                longest_outage[i, j] = outage
    return sum_fraction, longest_dark, first_lit, last_lit, sum_earth, longest_outage, lit_steps


illumination_stats_kernel.__doc__ = STATS_DOC
