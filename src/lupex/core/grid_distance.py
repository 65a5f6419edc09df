"""Distances and disc footprints on a regular square grid (numba): the numeric building blocks of site selection.

All three functions work on 2-D numpy arrays indexed ``[row, column]`` with square cells of side ``res_m``;
distances are between cell centres, in metres on the grid (no map-projection scale factor is applied).

* :func:`euclidean_distance_m`: exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012, "Distance
  transforms of sampled functions", Theory of Computing 8:415): one pass down the columns gives each cell's
  squared distance to the nearest marked cell of its own column; one pass along each row takes the lower
  envelope of the parabolas ``(j - q)^2 + f(q)`` rooted at every column ``q``. O(N), exact in float64 because
  every squared distance is an integer number of cells squared.
* :func:`path_distance_m`: multi-source Dijkstra over the 8-connected graph of passable cells with an indexed
  binary heap (decrease-key), O(N log N).
* :func:`footprint_extreme`: minimum (or maximum) over a disc of cells. The disc is cut into row spans of
  half-width ``w(di)``; every distinct half-width gets one running minimum along the rows (van Herk 1992 /
  Gil & Werman 1993: three passes per row whatever the width), and each output row takes the minimum of the
  ``2 R + 1`` span results above and below it. O(N (R + distinct widths)) instead of O(N R^2).
"""

from __future__ import annotations

import math
from typing import Literal

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.errors import InputError

__all__ = ["euclidean_distance_m", "footprint_extreme", "path_distance_m"]

_SQRT2 = math.sqrt(2.0)
#: Relative tolerance on the footprint radius, so that a radius of exactly k cells includes the cells k away
#: whatever the rounding of ``radius_m / res_m``.
_RADIUS_RTOL = 1e-9


# ------------------------------------------------------------------------------------------------ checks


def _check_res(res_m: float) -> float:
    res = float(res_m)
    if not (math.isfinite(res) and res > 0.0):
        raise InputError(f"res_m {res_m!r} is not accepted; give the cell size as a finite number of metres > 0")
    return res


def _check_bool_grid(name: str, array: ArrayLike, shape: tuple[int, ...] | None = None) -> NDArray[np.bool_]:
    a = np.asarray(array)
    if a.dtype != np.bool_ or a.ndim != 2:
        raise InputError(
            f"{name} has dtype {a.dtype} and {a.ndim} dimension(s); give a 2-D boolean array (e.g. slope_deg < 12)"
        )
    if shape is not None and a.shape != shape:
        raise InputError(f"{name} has shape {a.shape}; it must have the shape of the other grids, {shape}")
    return np.ascontiguousarray(a)


# ------------------------------------------------------------------------------------------ distance map


@numba.njit(cache=True)
def _column_distance_sq(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Squared distance [cells^2] from each cell to the nearest True cell of its own column; inf if none."""
    ny, nx = mask.shape
    g = np.empty((ny, nx), dtype=np.float64)
    for j in range(nx):
        g[0, j] = 0.0 if mask[0, j] else np.inf
    for i in range(1, ny):  # row by row: contiguous memory
        for j in range(nx):
            g[i, j] = 0.0 if mask[i, j] else g[i - 1, j] + 1.0
    for i in range(ny - 2, -1, -1):
        for j in range(nx):
            below = g[i + 1, j] + 1.0
            if below < g[i, j]:
                g[i, j] = below
    for i in range(ny):
        for j in range(nx):
            g[i, j] = g[i, j] * g[i, j]
    return g


@numba.njit(cache=True, parallel=True)
def _row_lower_envelope(f: NDArray[np.float64]) -> NDArray[np.float64]:
    """min over q of ((j - q)^2 + f[i, q]) for every row i and column j [cells^2]; inf where a row has no finite f.

    Felzenszwalb & Huttenlocher (2012) algorithm 1: parabolas rooted at the finite samples, kept in a stack
    ``apex`` with the abscissae ``bound`` where each starts to be the lowest.
    """
    ny, nx = f.shape
    out = np.empty((ny, nx), dtype=np.float64)
    for i in numba.prange(ny):
        apex = np.empty(nx, dtype=np.int64)
        bound = np.empty(nx + 1, dtype=np.float64)
        k = -1
        for q in range(nx):
            fq = f[i, q]
            if fq == np.inf:
                continue
            if k < 0:
                k = 0
                apex[0] = q
                bound[0] = -np.inf
                bound[1] = np.inf
                continue
            while True:  # bound[0] = -inf ends the loop at k = 0
                p = apex[k]
                s = ((fq + q * q) - (f[i, p] + p * p)) / (2.0 * (q - p))
                if s <= bound[k]:
                    k -= 1
                else:
                    break
            k += 1
            apex[k] = q
            bound[k] = s
            bound[k + 1] = np.inf
        if k < 0:
            for j in range(nx):
                out[i, j] = np.inf
            continue
        k = 0
        for j in range(nx):
            while bound[k + 1] < j:
                k += 1
            d = j - apex[k]
            out[i, j] = d * d + f[i, apex[k]]
    return out


def euclidean_distance_m(mask: ArrayLike, res_m: float) -> NDArray[np.float64]:
    """Euclidean distance from every cell centre to the nearest True cell centre [m] (exact).

    Parameters
    ----------
    mask : bool array (ny, nx)
        Target cells (e.g. a permanently shadowed region, or cells that are too steep).
    res_m : float
        Cell side [m].

    Returns
    -------
    float64 array (ny, nx)
        Distance [m]: 0 on True cells, ``res_m * sqrt(di^2 + dj^2)`` to the nearest True cell elsewhere (cells
        outside the grid are not considered); ``+inf`` everywhere when ``mask`` has no True cell.

    Notes
    -----
    Felzenszwalb & Huttenlocher (2012) separable lower-envelope algorithm, O(N), parallel over rows. The
    squared distance is exact (integer cells^2 in float64); the result is its square root times ``res_m``.
    """
    res = _check_res(res_m)
    m = _check_bool_grid("mask", mask)
    if m.size == 0:
        return np.zeros(m.shape, dtype=np.float64)
    d2 = _row_lower_envelope(_column_distance_sq(m))
    return np.sqrt(d2) * res


# --------------------------------------------------------------------------------------------- path map


@numba.njit(cache=True)
def _sift_up(heap: NDArray[np.int64], pos: NDArray[np.int64], key: NDArray[np.float64], k: int) -> None:
    node = heap[k]
    node_key = key[node]
    while k > 0:
        parent = (k - 1) >> 1
        above = heap[parent]
        if key[above] <= node_key:
            break
        heap[k] = above
        pos[above] = k
        k = parent
    heap[k] = node
    pos[node] = k


@numba.njit(cache=True)
def _sift_down(heap: NDArray[np.int64], pos: NDArray[np.int64], key: NDArray[np.float64], k: int, size: int) -> None:
    node = heap[k]
    node_key = key[node]
    while True:
        child = 2 * k + 1
        if child >= size:
            break
        right = child + 1
        if right < size and key[heap[right]] < key[heap[child]]:
            child = right
        below = heap[child]
        if key[below] >= node_key:
            break
        heap[k] = below
        pos[below] = k
        k = child
    heap[k] = node
    pos[node] = k


@numba.njit(cache=True)
def _dijkstra(
    sources: NDArray[np.bool_],
    passable: NDArray[np.bool_],
    cost: NDArray[np.float64],
    use_cost: bool,
    res: float,
) -> NDArray[np.float64]:
    """Multi-source shortest path lengths [m] over 8-connected passable cells (see :func:`path_distance_m`)."""
    ny, nx = passable.shape
    n = ny * nx
    dist = np.full(n, np.inf)
    heap = np.empty(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)  # -1: never queued, -2: settled, >= 0: index in the heap
    size = 0
    for i in range(ny):
        for j in range(nx):
            if sources[i, j]:
                node = i * nx + j
                dist[node] = 0.0
                heap[size] = node  # all keys are 0: any order is a heap
                pos[node] = size
                size += 1
    di = np.array([-1, 1, 0, 0, -1, -1, 1, 1], dtype=np.int64)
    dj = np.array([0, 0, -1, 1, -1, 1, -1, 1], dtype=np.int64)
    diag = math.sqrt(2.0) * res
    step = np.array([res, res, res, res, diag, diag, diag, diag])
    while size > 0:
        node = heap[0]
        size -= 1
        pos[node] = -2
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, 0, size)
        i = node // nx
        j = node - i * nx
        here = dist[node]
        for k in range(8):
            ni = i + di[k]
            nj = j + dj[k]
            if ni < 0 or ni >= ny or nj < 0 or nj >= nx or not passable[ni, nj]:
                continue
            if k >= 4 and not passable[i, nj] and not passable[ni, j]:
                continue  # no squeezing between two impassable cells
            other = ni * nx + nj
            if pos[other] == -2:
                continue
            length = step[k]
            if use_cost:
                length *= 0.5 * (cost[i, j] + cost[ni, nj])
            candidate = here + length
            if candidate < dist[other]:
                dist[other] = candidate
                if pos[other] == -1:
                    heap[size] = other
                    pos[other] = size
                    size += 1
                _sift_up(heap, pos, dist, pos[other])
    return dist.reshape((ny, nx))


def path_distance_m(
    sources: ArrayLike, passable: ArrayLike, res_m: float, cost: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Length of the shortest 8-connected path from the nearest source to every cell [m].

    A move goes from a cell to one of its 8 neighbours; it has length ``res_m`` (edge neighbour) or
    ``res_m * sqrt(2)`` (corner neighbour), multiplied by the mean of the two cells' ``cost`` when a cost is
    given.

    Parameters
    ----------
    sources : bool array (ny, nx)
        Start cells (distance 0), e.g. a landing site or the rim of a target region.
    passable : bool array (ny, nx)
        Cells a path may enter (e.g. ``slope_deg <= rover_max_slope_deg``).
    res_m : float
        Cell side [m].
    cost : float array (ny, nx), optional
        Cost factor per cell [-] (1 = plain distance, 2 = counts double), finite and >= 0 on every passable
        or source cell (other cells are not read).

    Returns
    -------
    float64 array (ny, nx)
        Path length [m] (cost-weighted when ``cost`` is given); ``+inf`` where no path reaches the cell (all
        impassable cells that are not sources, and passable cells cut off from every source).

    Notes
    -----
    * Moves are allowed only into passable cells. A corner (diagonal) move is refused when both cells it
      passes between, the two shared edge neighbours, are impassable: a path cannot squeeze through the touching
      corners of two obstacles. Past the corner of a single impassable cell it may go.
    * A source on an impassable cell still seeds: it gets distance 0 and paths may leave it for passable
      neighbours (the only moves out of an impassable cell), as a lander on a cell too steep to drive on still
      lets the rover drive off it. No path passes through it.
    * Dijkstra's algorithm with an indexed binary heap (numba), O(N log N): about a second for 1536 x 1536.
    """
    res = _check_res(res_m)
    seeds = _check_bool_grid("sources", sources)
    ok = _check_bool_grid("passable", passable, seeds.shape)
    if cost is None:
        cost_arr = np.ones((1, 1), dtype=np.float64)
        use_cost = False
    else:
        cost_arr = np.ascontiguousarray(cost, dtype=np.float64)
        if cost_arr.shape != seeds.shape:
            raise InputError(f"cost has shape {cost_arr.shape}; it must have the shape of sources, {seeds.shape}")
        used = cost_arr[ok | seeds]
        bad = ~(np.isfinite(used) & (used >= 0.0))
        if bad.any():
            raise InputError(
                f"cost has {int(bad.sum())} passable or source cell(s) that are NaN, infinite or negative; "
                "give a finite cost >= 0 there, or mark those cells impassable"
            )
        use_cost = True
    if seeds.size == 0:
        return np.zeros(seeds.shape, dtype=np.float64)
    return _dijkstra(seeds, ok, cost_arr, use_cost, res)


# ---------------------------------------------------------------------------------------- disc footprint


@numba.njit(cache=True)
def _running_min(row: NDArray[np.float64], width: int, out: NDArray[np.float64], g: NDArray[np.float64]) -> None:
    """``out[j] = min(row[j - h .. j + h])`` for ``h <= j < n - h`` with ``width = 2 h + 1`` (van Herk / Gil-Werman).

    ``g`` is scratch of the row's length: the minimum from each block start up to j; the minimum from j up to
    its block end is formed on the fly in the backward sweep, which also writes the result.
    """
    n = row.size
    h = width // 2
    for start in range(0, n, width):
        end = min(start + width, n)
        m = row[start]
        g[start] = m
        for j in range(start + 1, end):
            v = row[j]
            if v < m:
                m = v
            g[j] = m
    # backward: suffix minimum s(a) = min(row[a .. block end]); window [a, a + width - 1] -> min(s(a), g(a + w - 1))
    s = np.inf
    for a in range(n - 1, -1, -1):
        if (a + 1) % width == 0 or a == n - 1:
            s = row[a]
        else:
            v = row[a]
            if v < s:
                s = v
        last = a + width - 1
        if last < n:
            t = g[last]
            out[a + h] = s if s < t else t


@numba.njit(cache=True, parallel=True)
def _disc_min(values: NDArray[np.float64], sign: float, half_width: NDArray[np.int64]) -> NDArray[np.float64]:
    """sign * min over the disc of sign * values; NaN in the disc or disc off the grid -> NaN."""
    ny, nx = values.shape
    radius = half_width.size - 1
    out = np.full((ny, nx), np.nan)
    if ny <= 2 * radius or nx <= 2 * radius:
        return out
    work = np.empty((ny, nx), dtype=np.float64)
    nan_before = np.zeros((ny, nx + 1), dtype=np.int32)  # NaN count in row i, columns < j
    for i in numba.prange(ny):
        count = 0
        for j in range(nx):
            v = values[i, j]
            if math.isnan(v):
                work[i, j] = -np.inf  # wins every minimum; resolved below
                count += 1
            else:
                work[i, j] = sign * v
            nan_before[i, j + 1] = count
    acc = np.full((ny, nx), np.inf)
    spans = np.empty((ny, nx), dtype=np.float64)
    done = np.zeros(radius + 1, dtype=np.bool_)
    for d0 in range(radius + 1):
        w = half_width[d0]
        if done[d0]:
            continue
        for d in range(d0, radius + 1):
            if half_width[d] == w:
                done[d] = True
        for r in numba.prange(ny):
            _running_min(work[r], 2 * w + 1, spans[r], np.empty(nx, dtype=np.float64))
        for i in numba.prange(radius, ny - radius):
            for di in range(-radius, radius + 1):
                if half_width[abs(di)] != w:
                    continue
                src = i + di
                for j in range(radius, nx - radius):
                    v = spans[src, j]
                    if v < acc[i, j]:
                        acc[i, j] = v
    for i in numba.prange(radius, ny - radius):
        for j in range(radius, nx - radius):
            m = acc[i, j]
            if m == -np.inf:
                nans = 0
                for di in range(-radius, radius + 1):
                    w = half_width[abs(di)]
                    nans += nan_before[i + di, j + w + 1] - nan_before[i + di, j - w]
                if nans > 0:
                    continue  # stays NaN
            out[i, j] = sign * m
    return out


def _disc_half_widths(radius_cells: float) -> NDArray[np.int64]:
    """Half-width ``w(d)`` [cells] of the disc's row ``d = 0 .. R`` cells off its centre row.

    Row ``d`` of the disc holds columns ``-w(d) .. w(d)``: the largest ``w`` with ``d^2 + w^2 <= r^2``
    (``r = radius_cells``, relative tolerance 1e-9). ``R = w(0) = floor(r)``.
    """
    r2 = radius_cells * radius_cells * (1.0 + _RADIUS_RTOL)
    radius = math.isqrt(int(math.floor(r2)))
    widths = np.empty(radius + 1, dtype=np.int64)
    for d in range(radius + 1):
        w = math.isqrt(int(math.floor(r2 - d * d)))
        widths[d] = w
    return widths


def footprint_extreme(
    values: ArrayLike, radius_m: float, res_m: float, worst: Literal["min", "max"] = "min"
) -> NDArray[np.float64]:
    """Worst value within a disc footprint around every cell (e.g. the darkest cell of a landing ellipse).

    Parameters
    ----------
    values : float array (ny, nx)
        Values per cell, in any unit; NaN means unknown.
    radius_m : float
        Footprint radius [m], >= 0 (e.g. the 3-sigma landing ellipse radius). A cell belongs to the footprint
        of a centre cell when its centre lies within ``radius_m`` of the centre cell's centre (1e-9 relative
        tolerance); the centre cell always belongs to it.
    res_m : float
        Cell side [m].
    worst : {"min", "max"}, default "min"
        ``"min"`` when low values are bad (illumination, Earth visibility), ``"max"`` when high values are bad
        (slope, roughness, longest darkness).

    Returns
    -------
    float64 array (ny, nx)
        Minimum (or maximum) of ``values`` over the footprint, in the unit of ``values``. NaN where the footprint
        holds a NaN (unknown terrain is never safe) and where the footprint leaves the grid (the outer
        ``floor(radius_m / res_m)`` cells on every side).

    Notes
    -----
    Row spans plus a van Herk / Gil-Werman running minimum per distinct span width, parallel over rows (numba):
    cost grows as the radius in cells, not its square.
    """
    if worst not in ("min", "max"):
        raise InputError(f"worst {worst!r} is not accepted; use 'min' (low values are bad) or 'max' (high are bad)")
    res = _check_res(res_m)
    radius = float(radius_m)
    if not (math.isfinite(radius) and radius >= 0.0):
        raise InputError(f"radius_m {radius_m!r} is not accepted; give the footprint radius as a finite number >= 0")
    v = np.ascontiguousarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise InputError(f"values has {v.ndim} dimension(s); give a 2-D array (ny, nx)")
    widths = _disc_half_widths(radius / res)
    return _disc_min(v, 1.0 if worst == "min" else -1.0, widths)
