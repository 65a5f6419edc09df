"""Brute-force reference for terrain horizon elevations (pure numpy, float64, exact sphere geometry).

Slow by design and independent of the fast kernel's tricks: no convex hull, no parabola, no
sheared lines. For each requested cell and azimuth the straight map-space ray from the exact
cell centre is sampled densely (``res/4`` inside the main DEM, ``res_far/4`` inside each far-field
grid, 8x denser over the first 4 pixels, plus every crossing of a line through cell centres, where the
bilinear surface has kinks), heights are bilinear (the first grid covering a point with a finite value wins; inside the
main DEM the main DEM alone is used; a grid covers the rectangle between its outermost cell centres,
beyond it there is no terrain from that grid; beyond a grid's rectangle the next grid's surface is shifted to meet
it, the shift fading over one pixel of the coarser grid, :func:`_seam_shift`, and that seam band is sampled at the
main DEM's step and exactly where it ends), every sample is lifted to 3-D with the inverse
south polar stereographic projection, and the elevation of ``v = Q - P`` above the plane
perpendicular to ``up = P/|P|`` is ``asin(v.up/|v|)``. Samples farther than ``max_distance_m``
(great-circle distance on the sphere) are ignored, and the point exactly at that distance is sampled too (the
reach is a hard cut: on terrain rising toward it, it is the horizon); beyond all grids the ray ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["horizon_reference"]

_Grid = tuple[NDArray[np.float64], float, float, float]


def _bilinear(
    g: NDArray[np.float64], x0: float, y0: float, res: float, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Bilinear heights [m] of grid ``g`` at map points between its outermost cell centres.

    Returns ``(values, inside)``: NaN where a corner with non-zero weight is NaN or outside the
    rectangle of cell centres (there is no terrain beyond it; no edge extrapolation).
    """
    ny, nx = g.shape
    cj = (x - x0) / res - 0.5
    ri = (y0 - y) / res - 0.5
    eps = 1e-9  # rounding of map coordinates [cell indices]
    inside = (cj >= -eps) & (cj <= nx - 1 + eps) & (ri >= -eps) & (ri <= ny - 1 + eps)
    cj = np.clip(cj, 0.0, nx - 1.0)
    ri = np.clip(ri, 0.0, ny - 1.0)
    j0 = np.minimum(np.floor(cj).astype(np.int64), max(nx - 2, 0))
    i0 = np.minimum(np.floor(ri).astype(np.int64), max(ny - 2, 0))
    fj = cj - j0
    fi = ri - i0
    j1 = np.minimum(j0 + 1, nx - 1)
    i1 = np.minimum(i0 + 1, ny - 1)
    flat = g.ravel()
    a00 = flat.take(i0 * nx + j0)
    a01 = flat.take(i0 * nx + j1)
    a10 = flat.take(i1 * nx + j0)
    a11 = flat.take(i1 * nx + j1)
    w00 = (1 - fi) * (1 - fj)
    w01 = (1 - fi) * fj
    w10 = fi * (1 - fj)
    w11 = fi * fj
    val = w00 * a00 + w01 * a01 + w10 * a10 + w11 * a11
    nan = np.isnan(val)
    if nan.any():
        # a NaN corner only counts where its weight is non-zero
        bad = np.zeros(x.shape, dtype=bool)
        val = np.zeros(x.shape)
        for a, w in ((a00, w00), (a01, w01), (a10, w10), (a11, w11)):
            use = w > 0.0
            bad |= use & np.isnan(a)
            val += np.where(use, w * np.where(np.isnan(a), 0.0, a), 0.0)
        val[bad] = np.nan
    val[~inside] = np.nan
    return val, inside


def _unit(x: NDArray[np.float64], y: NDArray[np.float64], radius: float) -> NDArray[np.float64]:
    """Unit position vectors (..., 3) of map points by inverse south polar stereographic projection.

    Colatitude from the south pole ``c = 2 atan(rho/2R)``, longitude ``lon = atan2(x, y)``,
    unit vector ``(sin c sin lon, sin c cos lon, -cos c)``.
    """
    rho = np.hypot(x, y)
    c = 2.0 * np.arctan(rho / (2.0 * radius))
    lon = np.arctan2(x, y)
    sc = np.sin(c)
    return np.stack([sc * np.sin(lon), sc * np.cos(lon), -np.cos(c)], axis=-1)


def _unit_components(
    x: NDArray[np.float64], y: NDArray[np.float64], radius: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Same as :func:`_unit`, algebraically: with s2 = rho^2/4R^2, sin c = 2s/(1+s2), cos c = (1-s2)/(1+s2)."""
    s2 = (x * x + y * y) / (4.0 * radius * radius)
    inv = 1.0 / (1.0 + s2)
    f = inv / radius  # sin(c)/rho = 2s/(1+s2)/rho = 1/(R (1+s2))
    return x * f, y * f, -(1.0 - s2) * inv


def _exit_distance(
    px: float, py: float, dx: float, dy: float, xmin: float, xmax: float, ymin: float, ymax: float
) -> float:
    """Map distance [m] along (dx, dy) from (px, py) at which the ray leaves a rectangle (0 if outside)."""
    tmax = math.inf
    for p, d, lo, hi in ((px, dx, xmin, xmax), (py, dy, ymin, ymax)):
        if abs(d) < 1e-15:
            if p < lo or p > hi:
                return 0.0
            continue
        t1 = (lo - p) / d
        t2 = (hi - p) / d
        tmax = min(tmax, max(t1, t2))
    return max(tmax, 0.0)


def _crossings(p: float, d: float, c0: float, gres: float, lo: float, hi: float) -> NDArray[np.float64]:
    """Distances s in (lo, hi] [m] at which ``p + s*d`` crosses a centre line ``c0 + j*gres`` (j integer)."""
    if abs(d) < 1e-12:
        return np.zeros(0)
    a = (p + lo * d - c0) / gres
    b = (p + hi * d - c0) / gres
    j = np.arange(math.ceil(min(a, b)), math.floor(max(a, b)) + 1, dtype=np.float64)
    sd = (c0 + j * gres - p) / d
    return sd[(sd > lo) & (sd <= hi)]


def horizon_reference(
    z: NDArray[np.floating],
    x0: float,
    y0: float,
    res: float,
    azimuths_rad: NDArray[np.floating] | Sequence[float],
    observer_height_m: float,
    body_radius_m: float,
    max_distance_m: float,
    far_fields: Sequence[tuple[NDArray[np.floating], float, float, float]],
    cells: NDArray[np.integer] | Sequence[tuple[int, int]],
    step_m: float | None = None,
) -> NDArray[np.float64]:
    """Brute-force horizon elevation [rad] for selected cells and azimuths.

    Parameters
    ----------
    z
        Main DEM heights [m] relative to the sphere, shape (ny, nx), row 0 northern-most.
    x0, y0
        Upper-left corner of the main DEM [m] (south polar stereographic).
    res
        Main DEM pixel size [m].
    azimuths_rad
        Azimuths [rad] clockwise from grid north (+y) toward +x.
    observer_height_m
        Observer height above the terrain at the cell centre [m].
    body_radius_m
        Sphere radius [m].
    max_distance_m
        Maximum great-circle distance [m] of terrain considered.
    far_fields
        ``(z_far [m], x0_far [m], y0_far [m], res_far [m])`` grids ordered fine to coarse.
    cells
        (n_cells, 2) integer (row, col) indices of the observers.
    step_m
        Sampling step [m] along the ray in map units; default ``res/4`` in the main DEM and
        ``res_far/4`` in each far field.

    Returns
    -------
    NDArray[np.float64]
        Horizon elevation [rad], shape (n_az, n_cells); -pi/2 where no terrain lies along the ray,
        NaN where the observer cell is NaN.
    """
    radius = float(body_radius_m)
    zm = np.asarray(z, dtype=np.float64)
    grids: list[_Grid] = [(zm, float(x0), float(y0), float(res))]
    for zf, fx0, fy0, fres in far_fields:
        grids.append((np.asarray(zf, dtype=np.float64), float(fx0), float(fy0), float(fres)))
    # each grid covers the rectangle between its outermost cell centres
    boxes = [
        (gx0 + 0.5 * gr, gx0 + (g.shape[1] - 0.5) * gr, gy0 - (g.shape[0] - 0.5) * gr, gy0 - 0.5 * gr)
        for g, gx0, gy0, gr in grids
    ]
    az = np.atleast_1d(np.asarray(azimuths_rad, dtype=np.float64))
    cl = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    out = np.full((az.size, cl.shape[0]), -math.pi / 2)
    h = float(observer_height_m)
    chunk = 360
    for n, (i, j) in enumerate(cl):
        zp = zm[i, j]
        if not np.isfinite(zp):
            out[:, n] = np.nan
            continue
        px = x0 + (j + 0.5) * res
        py = y0 - (i + 0.5) * res
        for a0 in range(0, az.size, chunk):
            out[a0 : a0 + chunk, n] = _rays(
                grids, boxes, px, py, zp + h, az[a0 : a0 + chunk], radius, float(max_distance_m), step_m
            )
    return out


def _chord_limit(max_distance_m: float, radius: float) -> float:
    """Squared chord of the great-circle distance ``max_distance_m`` [m]: distance <= it <=> chord^2 <= this."""
    half = min(max_distance_m / (2.0 * radius), math.pi / 2)
    return (2.0 * math.sin(half)) ** 2


def _chord2(
    u: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]], up: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Squared chord between unit vectors ``u`` (components) and ``up``."""
    return (u[0] - up[0]) ** 2 + (u[1] - up[1]) ** 2 + (u[2] - up[2]) ** 2


def _reach_distances(
    px: float, py: float, az: NDArray[np.float64], radius: float, max_distance_m: float, d_cap: float
) -> NDArray[np.float64]:
    """Map distance [m] along each azimuth of the last point within ``max_distance_m`` of great-circle distance.

    Bisection (to 1e-9 of ``d_cap``) of the chord test :func:`_rays` applies, so the point returned passes it; ``d_cap``
    where even that point is within reach.
    """
    limit = _chord_limit(max_distance_m, radius)
    up = _unit(np.array([px]), np.array([py]), radius)[0]

    def chord2(d: NDArray[np.float64]) -> NDArray[np.float64]:
        return _chord2(_unit_components(px + d * np.sin(az), py + d * np.cos(az), radius), up)

    lo = np.zeros(az.size)
    hi = np.full(az.size, d_cap)
    within = chord2(hi) <= limit
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        ok = chord2(mid) <= limit
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return np.where(within, d_cap, lo)


def _seam_samples(start: float, end: float, gres: float, main_step: float) -> list[NDArray[np.float64]]:
    """Extra samples [m of map distance] of a coarser grid beyond the seam at ``start`` (to ``end``): over its first
    three pixels, where its surface is shifted to meet the finer grid's (:func:`_seam_shift`), at the main DEM's
    step or 0.1 % of the distance where that is longer (an observer a few pixels from the seam sees that stretch at
    angles the coarse grid's quarter-pixel step would not resolve)."""
    step = max(main_step, 1e-3 * start)
    if step >= gres / 4.0:
        return []
    return [np.arange(start + step, min(start + 3.0 * gres, end), step)]


def _seam_shift(
    finer: _Grid, box: tuple[float, float, float, float], coarser: _Grid, x: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Height shift [m] of the coarser grid's surface at map points (x, y) [m] beyond the finer grid's rectangle
    ``box`` (xmin, xmax, ymin, ymax): ``max(0, 1 - delta / res) (z_finer(c) - z_coarser(c))``, ``c`` the nearest
    point of the rectangle, ``delta = max(|x - c_x|, |y - c_y|)`` [m], ``res`` the coarser grid's pixel [m]. The
    terrain is then continuous across the seam (the coarse pixel is an average that can stand tens of metres off
    the fine terrain at its edge; a cliff there would be an artefact). 0 where either height at ``c`` is NaN."""
    cx = np.clip(x, box[0], box[1])
    cy = np.clip(y, box[2], box[3])
    w = 1.0 - np.maximum(np.abs(x - cx), np.abs(y - cy)) / coarser[3]
    shift = np.zeros(x.shape)
    band = np.flatnonzero(w > 0.0)
    if band.size:
        zf, _ = _bilinear(*finer, cx[band], cy[band])
        zc, _ = _bilinear(*coarser, cx[band], cy[band])
        delta = zf - zc
        shift[band] = np.where(np.isfinite(delta), w[band] * delta, 0.0)
    return shift


def _rays(
    grids: list[_Grid],
    boxes: list[tuple[float, float, float, float]],
    px: float,
    py: float,
    zobs: float,
    az: NDArray[np.float64],
    radius: float,
    max_distance_m: float,
    step_m: float | None,
) -> NDArray[np.float64]:
    """Horizon elevation [rad] from map point (px, py) at height ``zobs`` [m] for a few azimuths."""
    rho_p = math.hypot(px, py)
    d_cap = max_distance_m * (1.0 + (rho_p + 1.5 * max_distance_m) ** 2 / (4.0 * radius**2))
    d_cap += 4 * grids[0][3]
    if math.isfinite(d_cap):
        d_reach = _reach_distances(px, py, az, radius, max_distance_m, d_cap)
    else:
        d_reach = np.full(az.size, math.inf)  # an infinite reach cuts nothing
    dist_list = []
    az_index = []
    main_step = step_m if step_m is not None else grids[0][3] / 4.0
    for a, azv in enumerate(az):
        dx, dy = math.sin(azv), math.cos(azv)
        parts = []
        start = 0.0
        for g, (_gz, _gx0, _gy0, gres) in enumerate(grids):
            end = min(_exit_distance(px, py, dx, dy, *boxes[g]), d_cap)
            step = step_m if step_m is not None else gres / 4.0
            if end > start:
                first = step if g == 0 else start
                parts.append(np.arange(first, end + 1e-9, step))
                if g == 0:
                    # 8x denser over the first 4 pixels, where a metre of height is a large angle
                    parts.append(np.arange(step / 8.0, min(4.0 * gres, end) + 1e-9, step / 8.0))
                else:
                    parts += _seam_samples(start, end, gres, main_step)
                    # the seam band ends where the finer grid's rectangle grown by this grid's pixel does: a kink
                    xmin, xmax, ymin, ymax = boxes[g - 1]
                    s_band = _exit_distance(px, py, dx, dy, xmin - gres, xmax + gres, ymin - gres, ymax + gres)
                    if start < s_band < end:
                        parts.append(np.array([s_band]))
                # the bilinear surface has kinks on the lines through the cell centres: sample every
                # crossing exactly (a convex kink next to the observer is often the horizon on steep terrain)
                gx0, gy0 = boxes[g][0], boxes[g][3]
                parts.append(_crossings(px, dx, gx0, gres, max(start, 1e-9), end))
                parts.append(_crossings(py, dy, gy0, gres, max(start, 1e-9), end))
                start = end
        if parts and 0.0 < d_reach[a] < math.inf:
            # the reach is a hard cut: the terrain exactly at max_distance is seen too (on rising terrain it is the
            # horizon, and a sample a step short of it is off by the slope times the step)
            parts.append(d_reach[a : a + 1])
        d = np.concatenate(parts) if parts else np.zeros(0)
        dist_list.append(d)
        az_index.append(np.full(d.size, a, dtype=np.int64))
    result = np.full(az.size, -math.pi / 2)
    d = np.concatenate(dist_list)
    ai = np.concatenate(az_index)
    if d.size == 0:
        return result
    sx = px + d * np.sin(az[ai])
    sy = py + d * np.cos(az[ai])
    zq = np.full(d.shape, np.nan)
    covered = np.zeros(d.shape, dtype=bool)
    todo = np.arange(d.size)
    for g, (gz, gx0, gy0, gres) in enumerate(grids):
        if todo.size == 0:
            break
        v, inside = _bilinear(gz, gx0, gy0, gres, sx[todo], sy[todo])
        covered[todo[inside]] = True
        # inside the main footprint the main DEM decides (NaN = missing); far fields: first finite
        take = inside if g == 0 else inside & np.isfinite(v)
        if g > 0:
            v[take] += _seam_shift(grids[g - 1], boxes[g - 1], grids[g], sx[todo[take]], sy[todo[take]])
        zq[todo[take]] = v[take]
        todo = todo[~take]
    # beyond all grids the ray ends
    first_out = np.full(az.size, np.inf)
    np.minimum.at(first_out, ai[~covered], d[~covered])
    up = _unit(np.array([px]), np.array([py]), radius)[0]
    keep = np.flatnonzero(np.isfinite(zq) & (d < first_out[ai]))
    ux, uy, uz = _unit_components(sx[keep], sy[keep], radius)
    # great-circle distance <= max_distance  <=>  chord <= 2 sin(max_distance / 2R)
    ok = _chord2((ux, uy, uz), up) <= _chord_limit(max_distance_m, radius)
    keep = keep[ok]
    rq = radius + zq[keep]
    rp = radius + zobs
    vx = rq * ux[ok] - rp * up[0]
    vy = rq * uy[ok] - rp * up[1]
    vz = rq * uz[ok] - rp * up[2]
    sin_e = (vx * up[0] + vy * up[1] + vz * up[2]) / np.sqrt(vx * vx + vy * vy + vz * vz)
    best = np.full(az.size, -1.0)
    np.maximum.at(best, ai[keep], sin_e)
    result[:] = np.arcsin(np.clip(best, -1.0, 1.0))
    return result
