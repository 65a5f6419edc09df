"""Traverse kernels: Sun and Earth visibility series of map cells, static cost-to-go and the time-dependent search.

SI units and radians, integer time quanta and integer energy units; no I/O. The checked API is
:mod:`lupex.traverse`; the model is described in ``docs/models/traverse.md``.

Search model (all integers, so that the search is exact and an independent brute force can reproduce it):

* time advances in quanta ``k`` of ``quantum_s`` seconds; quantum ``k`` uses the environment sample
  ``step_of_quantum[k]``;
* a state is ``(stage, cell, k, battery, comm, shadow)``: the index of the next waypoint, the cell, the
  quantum, the battery charge [energy units], the quanta since Earth was last in view and the quanta since the
  rover was last in sunlight;
* every quantum: ``battery = min(capacity, battery + e_in - e_out)`` must stay ``>= reserve``; ``comm`` and
  ``shadow`` reset to 0 when Earth is in view / the Sun is (partly) visible and must stay within their limits;
* a move between 8-neighbours ``c -> n`` takes ``move_quanta(c, n)`` quanta; during it the rover gets the
  smaller solar input of the two cells, sees Earth / Sun only when both cells do, and draws the drive energy
  of the steeper cell (conservative);
* a wait lasts until the next environment step (the sky is constant within a step); at the stage's waypoint
  a *dwell* of ``dwell_quanta[stage]`` quanta (drilling) advances the stage; the goal is
  ``stage == n_stages``.

Calm stretches. A label in its *canonical* state (battery full, both clocks 0) on a cell whose whole
3 x 3 neighbourhood is *calm* (lit, Earth in view, solar input at least hotel plus the steepest drive energy)
does not wait step by step: its wait jumps to the last step start at least ``M + 1`` quanta before the next
change of calm (``M`` the longest move out of the cell). A departure skipped that way is matched, at equal
cost and state, by leaving at once and waiting at the neighbour (the state stays canonical in calm cells), so
the search stays exact; the brute-force test in ``tests/traverse`` checks it. Without this the search visits
every (cell, step) of a sunlit plateau that A* cannot rule out.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from lupex.core.sky import azimuth_bracket, cell_frame, horizon_between, topocentric_enu
from lupex.core.visibility import asin_fast, atan2_fast, disk_fraction

__all__ = [
    "ACTION_DRILL",
    "ACTION_MOVE",
    "ACTION_START",
    "ACTION_WAIT",
    "REJECT_NAMES",
    "EnergyModel",
    "Labels",
    "SearchGrid",
    "SearchPruning",
    "SearchResult",
    "SearchRoute",
    "SearchRules",
    "SearchWorld",
    "discretise_sky",
    "move_quanta",
    "plan_search",
    "sky_series_chunk",
    "static_cost_to_go",
]

ACTION_START, ACTION_WAIT, ACTION_MOVE, ACTION_DRILL = 0, 1, 2, 3
#: An integer argument of the search helpers (Python or numpy; numba types both as int64).
_Int = int | np.integer[Any]
#: Reasons a successor state was refused, in the order of the ``rejected`` counters of :func:`plan_search`.
REJECT_NAMES = ("battery", "earth_blackout", "shadow", "time_horizon", "dominated")
_R_BATTERY, _R_COMM, _R_SHADOW, _R_HORIZON, _R_DOMINATED = 0, 1, 2, 3, 4
# 8-neighbourhood: row offset, column offset, length in cells
_DI = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DJ = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)
_DL = np.array([math.sqrt(2.0), 1.0, math.sqrt(2.0), 1.0, 1.0, math.sqrt(2.0), 1.0, math.sqrt(2.0)])


class SearchGrid(NamedTuple):
    """Grid and clock of the search: shape, cell size [m], quantum [s] and quanta per environment step."""

    ny: int
    nx: int
    res_m: float
    quantum_s: float
    quanta_per_step: int


class SearchWorld(NamedTuple):
    """Per-cell and per-step inputs of the search (cells flattened row-major).

    Attributes
    ----------
    inv_speed_s_per_m : (n_cells,)
        Slowness of each cell [s/m]; ``inf`` where the slope forbids driving.
    drive_energy : int (n_cells,)
        Drive energy per quantum on each cell's slope [energy units].
    energy_in : int (n_steps, n_cells)
        Solar energy per quantum [energy units] (rounded down).
    lit, earth : bool (n_steps, n_cells)
        Sun (partly) visible; Earth in view.
    calm : bool (n_steps, n_cells)
        The cell and its 8 neighbours are lit, see Earth and have a solar surplus over hotel and drive power
        (see :func:`discretise_sky`); all False disables the calm-stretch jumps.
    step_of_quantum : int (K + 1,)
        Environment step of every quantum (``k // quanta_per_step``); the search ends at quantum ``K``.
    """

    inv_speed_s_per_m: NDArray[np.float64]
    drive_energy: NDArray[np.int64]
    energy_in: NDArray[np.int32]
    lit: NDArray[np.bool_]
    earth: NDArray[np.bool_]
    calm: NDArray[np.bool_]
    step_of_quantum: NDArray[np.int64]


class EnergyModel(NamedTuple):
    """Energy per quantum [units] (rounded up): ``hotel`` always, ``heater`` in shadow, ``drill`` while
    drilling; battery ``capacity``, ``reserve`` and initial charge ``battery0`` [units]."""

    hotel: int
    heater: int
    drill: int
    capacity: int
    reserve: int
    battery0: int


class SearchRules(NamedTuple):
    """Longest allowed runs of quanta without Earth / without Sun, and the objective
    ``cost_per_quantum * quanta + cost_per_energy * energy drawn``."""

    max_comm: int
    max_shadow: int
    cost_per_quantum: float
    cost_per_energy: float


class SearchPruning(NamedTuple):
    """How labels are compared, and the search's budget.

    Attributes
    ----------
    battery_bucket : int
        Dominance compares batteries in buckets of this many units: 1 is exact; larger buckets prune labels
        that are within a bucket of a better one (faster; the plan may then be slightly suboptimal).
    clock_bucket : int
        The same for the Earth and shadow clocks [quanta].
    time_bucket : int
        Labels are compared within slots of this many quanta at a cell; an earlier label with no worse
        cost, battery and clocks replaces a later one (1: exact; larger slots bound the search's size).
    max_labels : int
        Label budget (memory ~ 70 bytes per label plus the index).
    """

    battery_bucket: int
    clock_bucket: int
    time_bucket: int
    max_labels: int


class SearchRoute(NamedTuple):
    """Start cell, the cells to visit in order (the last is the goal) with the dwell (drilling) at each
    [quanta], and ``heuristic`` (n_stages, n_cells): a consistent lower bound of the cost to finish."""

    start_cell: int
    waypoints: NDArray[np.int64]
    dwell_quanta: NDArray[np.int64]
    heuristic: NDArray[np.float64]


class Labels(NamedTuple):
    """The search's labels (states reached), one entry per label.

    ``cell, k, stage, battery, comm, shadow`` are the state (see the module docstring), ``parent`` the label
    it was reached from (-1 for the start), ``action`` one of ``ACTION_*``, ``cost`` the objective so far;
    ``chain_next`` links labels with the same index key (newest first) and ``alive`` is False once dominated.
    """

    cell: NDArray[np.int32]
    k: NDArray[np.int32]
    stage: NDArray[np.int16]
    battery: NDArray[np.int64]
    comm: NDArray[np.int32]
    shadow: NDArray[np.int32]
    parent: NDArray[np.int64]
    action: NDArray[np.int8]
    cost: NDArray[np.float64]
    chain_next: NDArray[np.int64]
    alive: NDArray[np.bool_]


class SearchResult(NamedTuple):
    """What :func:`plan_search` found.

    Attributes
    ----------
    goal_label : int
        Label of the goal; -1 when no route meets the constraints, -2 when the label budget ran out.
    best_label : int
        The label with the least heuristic (the farthest partial route), for diagnosis.
    n_labels : int
        Labels created (the search's size); the first ``n_labels`` entries of ``labels`` are valid.
    rejected : int64 (5,)
        Successors refused per :data:`REJECT_NAMES`.
    closest : float64 (5,)
        Per reason, the least heuristic (remaining cost) of a refused successor: the constraint with the
        least value cut the routes closest to the goal.
    expanded : int64 (1,)
        Labels expanded.
    labels : Labels
    """

    goal_label: int
    best_label: int
    n_labels: int
    rejected: NDArray[np.int64]
    closest: NDArray[np.float64]
    expanded: NDArray[np.int64]
    labels: Labels


@numba.njit(cache=True, parallel=True, fastmath=True)
def sky_series_chunk(
    sun_profiles_rad: NDArray[np.float32],
    cell_x_m: NDArray[np.float64],
    cell_y_m: NDArray[np.float64],
    cell_r_m: NDArray[np.float64],
    body_radius_m: float,
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    sun_radius_rad: NDArray[np.float64],
    earth_dir_me: NDArray[np.float64],
    earth_inv_distance_per_m: NDArray[np.float64],
    t0: int,
    sun_fraction: NDArray[np.float32],
    sun_elevation_rad: NDArray[np.float32],
    earth_visible: NDArray[np.bool_],
) -> None:
    """Visible fraction of the Sun, its elevation and Earth's visibility at every cell, steps ``t0 .. t0+n-1``.

    Parameters
    ----------
    sun_profiles_rad : float32 (n_cells, n_az)
        Horizon elevation of each cell at the observer height [rad] (grid azimuths ``k 2 pi / n_az``).
    cell_x_m, cell_y_m : (n_cells,)
        Map coordinates [m].
    cell_r_m : (n_cells,)
        Distance of the observer from the Moon's centre [m] (NaN: no data; outputs 0 / False).
    body_radius_m : float
        Sphere radius of the projection [m].
    sun_dir_me, sun_inv_distance_per_m, sun_radius_rad : (nt, 3), (nt,), (nt,)
        Moon-centred Sun unit vectors (MOON_ME), 1 / distance [1/m], apparent radius [rad].
    earth_dir_me, earth_inv_distance_per_m : (nt, 3), (nt,)
        The same for Earth's centre.
    t0 : int
        First time step.
    sun_fraction, sun_elevation_rad, earth_visible : (n, n_cells) outputs
        Visible fraction of the solar disk [-], Sun centre elevation [rad] and whether Earth's centre is above
        the horizon.
    """
    n_cells, n_az = sun_profiles_rad.shape
    n = sun_fraction.shape[0]
    for c in numba.prange(n_cells):
        r = cell_r_m[c]
        if math.isnan(r):
            for s in range(n):
                sun_fraction[s, c] = 0.0
                sun_elevation_rad[s, c] = 0.0
                earth_visible[s, c] = False
            continue
        frame = cell_frame(cell_x_m[c], cell_y_m[c], body_radius_m)
        for s in range(n):
            t = t0 + s
            for body in range(2):
                if body == 0:
                    d0, d1, d2, inv = sun_dir_me[t, 0], sun_dir_me[t, 1], sun_dir_me[t, 2], sun_inv_distance_per_m[t]
                else:
                    d0, d1, d2 = earth_dir_me[t, 0], earth_dir_me[t, 1], earth_dir_me[t, 2]
                    inv = earth_inv_distance_per_m[t]
                east, north, up = topocentric_enu(d0, d1, d2, inv, r, frame)
                elev = asin_fast(min(1.0, max(-1.0, up)))
                k0, k1, w = azimuth_bracket(atan2_fast(east, north), n_az)
                h = horizon_between(sun_profiles_rad[c, k0], sun_profiles_rad[c, k1], w)
                if body == 0:
                    sun_fraction[s, c] = disk_fraction((elev - h) / sun_radius_rad[t])
                    sun_elevation_rad[s, c] = elev
                else:
                    earth_visible[s, c] = elev > h


@numba.njit(cache=True, parallel=True)
def discretise_sky(
    sun_fraction: NDArray[np.float32],
    sun_elevation_deg: NDArray[np.float32],
    earth_visible: NDArray[np.bool_],
    inv_distance_au2: NDArray[np.float64],
    panel_mode: int,
    panel_peak_W: float,
    units_per_W: float,
    hotel_energy: int,
    drive_energy: NDArray[np.int64],
    passable: NDArray[np.bool_],
    ny: int,
    nx: int,
) -> tuple[NDArray[np.int32], NDArray[np.bool_], NDArray[np.bool_]]:
    """Solar energy per quantum, sunlight and calm of every sample and cell (the search's sky inputs).

    Parameters
    ----------
    sun_fraction, sun_elevation_deg, earth_visible : (n_steps, n_cells)
        Visible solar disk fraction [-], Sun elevation [deg], Earth in view.
    inv_distance_au2 : (n_steps,)
        ``(1 au / d)^2`` [-].
    panel_mode : int
        0 vertical (gain ``cos e``), 1 two-axis tracking (1), 2 horizontal (``sin e``).
    panel_peak_W : float
        Array output at 1 au, full Sun, normal incidence [W].
    units_per_W : float
        Energy units per quantum per watt.
    hotel_energy : int
        Hotel energy per quantum [units].
    drive_energy, passable : (n_cells,)
        Drive energy per quantum [units] and whether the cell can be driven on.

    Returns
    -------
    energy_in : int32 (n_steps, n_cells)
        Solar energy per quantum, rounded down [units].
    lit : bool (n_steps, n_cells)
        Some of the Sun is visible.
    calm : bool (n_steps, n_cells)
        The cell and its 8 neighbours (those that can be driven on) are lit, see Earth and have solar input
        at least hotel plus the steepest drive energy of their own neighbourhood.
    """
    nt, n = sun_fraction.shape
    energy_in = np.empty((nt, n), dtype=np.int32)
    lit = np.empty((nt, n), dtype=np.bool_)
    calm = np.empty((nt, n), dtype=np.bool_)
    need = np.empty(n, dtype=np.int64)
    for c in range(n):
        ci = c // nx
        cj = c - ci * nx
        d = 0
        for di in range(-1, 2):
            for dj in range(-1, 2):
                ni = ci + di
                nj = cj + dj
                if 0 <= ni < ny and 0 <= nj < nx and passable[ni * nx + nj]:
                    d = max(d, drive_energy[ni * nx + nj])
        need[c] = hotel_energy + d
    deg = math.pi / 180.0
    for s in numba.prange(nt):
        surplus = np.empty(n, dtype=np.bool_)
        row3 = np.empty(n, dtype=np.bool_)
        for c in range(n):
            f = sun_fraction[s, c]
            e = sun_elevation_deg[s, c] * deg
            if panel_mode == 0:
                gain = max(0.0, math.cos(e))
            elif panel_mode == 1:
                gain = 1.0
            else:
                gain = max(0.0, math.sin(e))
            w = panel_peak_W * inv_distance_au2[s] * f * gain
            ein = int(math.floor(w * units_per_W + 1e-9))
            energy_in[s, c] = ein
            lit[s, c] = f > 0.0
            surplus[c] = (not passable[c]) or (f > 0.0 and earth_visible[s, c] and ein >= need[c])
        # 3 x 3 AND, separable: along rows, then along columns (outside the grid counts as calm)
        for i in range(ny):
            for j in range(nx):
                c = i * nx + j
                ok = surplus[c]
                if j > 0:
                    ok = ok and surplus[c - 1]
                if j < nx - 1:
                    ok = ok and surplus[c + 1]
                row3[c] = ok
        for i in range(ny):
            for j in range(nx):
                c = i * nx + j
                ok = passable[c] and row3[c]
                if i > 0:
                    ok = ok and row3[c - nx]
                if i < ny - 1:
                    ok = ok and row3[c + nx]
                calm[s, c] = ok
    return energy_in, lit, calm


@numba.njit(cache=True)
def move_quanta(length_cells: float, res_m: float, inv_speed_a: float, inv_speed_b: float, quantum_s: float) -> int:
    """Quanta a move takes: ``ceil(length * (1/v_a + 1/v_b) / 2 / quantum)`` (trapezoid rule on the slowness)."""
    seconds = length_cells * res_m * 0.5 * (inv_speed_a + inv_speed_b)
    return max(1, int(math.ceil(seconds / quantum_s - 1e-9)))


@numba.njit(cache=True)
def _before(fa: float, ta: int, fb: float, tb: int) -> bool:
    """Heap order: smaller f first; at equal f the later time (deeper label) first."""
    return fa < fb or (fa == fb and ta > tb)


@numba.njit(cache=True)
def _heap_push(
    hf: NDArray[np.float64], ht: NDArray[np.int64], hi: NDArray[np.int64], size: int, f: float, t: int, item: int
) -> int:
    """Push (f, t, item) on a binary heap kept in three parallel arrays; returns the new size."""
    i = size
    while i > 0:
        p = (i - 1) // 2
        if not _before(f, t, hf[p], ht[p]):
            break
        hf[i], ht[i], hi[i] = hf[p], ht[p], hi[p]
        i = p
    hf[i], ht[i], hi[i] = f, t, item
    return size + 1


@numba.njit(cache=True)
def _heap_pop(hf: NDArray[np.float64], ht: NDArray[np.int64], hi: NDArray[np.int64], size: int) -> int:
    """Remove and return the first item (``size`` > 0; the caller decrements its size)."""
    top = hi[0]
    size -= 1
    f, t, item = hf[size], ht[size], hi[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _before(hf[child + 1], ht[child + 1], hf[child], ht[child]):
            child += 1
        if not _before(hf[child], ht[child], f, t):
            break
        hf[i], ht[i], hi[i] = hf[child], ht[child], hi[child]
        i = child
    hf[i], ht[i], hi[i] = f, t, item
    return top


@numba.njit(cache=True)
def static_cost_to_go(
    grid: SearchGrid, world: SearchWorld, energy: EnergyModel, rules: SearchRules, goal: int
) -> NDArray[np.float64]:
    """Least static cost from every cell to ``goal`` (Dijkstra, 8-neighbours), a consistent A* heuristic.

    The edge cost is that of a move in the search with no solar input and no heater:
    ``m (cost_per_quantum + cost_per_energy (hotel + drive))`` with ``m = move_quanta``; with
    ``quantum_s -> 0`` and ``cost_per_quantum = quantum_s`` it is the travel time of the trapezoid rule
    (the cost model of scikit-image ``MCP_Geometric`` on the slowness). Impassable cells have
    ``inv_speed = inf``; unreachable cells get ``inf``.
    """
    ny, nx, res_m, quantum_s = grid.ny, grid.nx, grid.res_m, grid.quantum_s
    inv_speed_s_per_m, drive_energy = world.inv_speed_s_per_m, world.drive_energy
    cost_per_quantum, cost_per_energy, hotel_energy = rules.cost_per_quantum, rules.cost_per_energy, energy.hotel
    n = ny * nx
    dist = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.bool_)
    # lazy-deletion heap of (cost, cell)
    cap = 8 * n + 8
    hkey = np.empty(cap)
    hcell = np.empty(cap, dtype=np.int64)
    size = 0
    dist[goal] = 0.0
    hkey[0] = 0.0
    hcell[0] = goal
    size = 1
    while size > 0:
        # pop min
        d = hkey[0]
        c = hcell[0]
        size -= 1
        hkey[0] = hkey[size]
        hcell[0] = hcell[size]
        i = 0
        while True:
            lft = 2 * i + 1
            if lft >= size:
                break
            best = lft
            if lft + 1 < size and hkey[lft + 1] < hkey[lft]:
                best = lft + 1
            if hkey[best] < hkey[i]:
                hkey[i], hkey[best] = hkey[best], hkey[i]
                hcell[i], hcell[best] = hcell[best], hcell[i]
                i = best
            else:
                break
        if done[c] or d > dist[c]:
            continue
        done[c] = True
        ci = c // nx
        cj = c - ci * nx
        for e in range(8):
            ni = ci + _DI[e]
            nj = cj + _DJ[e]
            if ni < 0 or ni >= ny or nj < 0 or nj >= nx:
                continue
            nb = ni * nx + nj
            if done[nb] or not np.isfinite(inv_speed_s_per_m[nb]):
                continue
            m = move_quanta(_DL[e], res_m, inv_speed_s_per_m[c], inv_speed_s_per_m[nb], quantum_s)
            drive = max(drive_energy[c], drive_energy[nb])
            nd = d + m * (cost_per_quantum + cost_per_energy * (hotel_energy + drive))
            if nd < dist[nb]:
                dist[nb] = nd
                if size == cap:
                    continue
                i = size
                hkey[i] = nd
                hcell[i] = nb
                size += 1
                while i > 0:
                    p = (i - 1) // 2
                    if hkey[i] < hkey[p]:
                        hkey[i], hkey[p] = hkey[p], hkey[i]
                        hcell[i], hcell[p] = hcell[p], hcell[i]
                        i = p
                    else:
                        break
    return dist


@numba.njit(cache=True)
def _slot(keys: NDArray[np.int64], key: int) -> int:
    """Slot of ``key`` in an open-addressing table (linear probing), or the empty slot where it would go."""
    mask = keys.size - 1
    h = (key * 0x9E3779B97F4A7C15) & 0x7FFFFFFFFFFFFFFF
    i = (h >> 17) & mask
    while keys[i] != -1 and keys[i] != key:
        i = (i + 1) & mask
    return i


@numba.njit(cache=True)
def _grow(keys: NDArray[np.int64], values: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    new_keys = np.full(keys.size * 2, -1, dtype=np.int64)
    new_values = np.empty(keys.size * 2, dtype=np.int64)
    for i in range(keys.size):
        if keys[i] != -1:
            j = _slot(new_keys, keys[i])
            new_keys[j] = keys[i]
            new_values[j] = values[i]
    return new_keys, new_values


@numba.njit(cache=True)
def _new_labels(n: _Int) -> Labels:
    return Labels(
        np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int16),
        np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32),
        np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int8), np.empty(n), np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.bool_),
    )  # fmt: skip


@numba.njit(cache=True)
def plan_search(
    grid: SearchGrid,
    world: SearchWorld,
    energy: EnergyModel,
    rules: SearchRules,
    pruning: SearchPruning,
    route: SearchRoute,
) -> SearchResult:
    """A* over the time-expanded state space with Pareto labels (see the module docstring).

    Parameters
    ----------
    grid : SearchGrid
        Grid shape, cell size and time quanta.
    world : SearchWorld
        Slowness, drive energy, solar input, sunlight, Earth, calm and the step of every quantum.
    energy : EnergyModel
        Energy per quantum and battery [units].
    rules : SearchRules
        Clock limits and the objective's weights.
    pruning : SearchPruning
        Dominance buckets and the label budget.
    route : SearchRoute
        Start, waypoints, dwells and the heuristic.

    Returns
    -------
    SearchResult
        ``goal_label`` (-1: no route; -2: the label budget ran out), the farthest partial route's label, the
        counters and the label arrays (the first ``n_labels`` are valid).
    """
    # the bundles as the locals the loop reads (reading bundle fields inside the loop, or passing bundles to
    # inlined helpers, costs reference-count updates per access: the search ran ~2x slower that way)
    ny, nx, res_m, quantum_s, quanta_per_step = grid.ny, grid.nx, grid.res_m, grid.quantum_s, grid.quanta_per_step
    inv_speed_s_per_m, drive_energy, energy_in = world.inv_speed_s_per_m, world.drive_energy, world.energy_in
    lit, earth, calm, step_of_quantum = world.lit, world.earth, world.calm, world.step_of_quantum
    hotel_energy, heater_energy, drill_energy = energy.hotel, energy.heater, energy.drill
    capacity, reserve, battery0 = energy.capacity, energy.reserve, energy.battery0
    max_comm, max_shadow = rules.max_comm, rules.max_shadow
    cost_per_quantum, cost_per_energy = rules.cost_per_quantum, rules.cost_per_energy
    battery_bucket, clock_bucket, time_bucket = pruning.battery_bucket, pruning.clock_bucket, pruning.time_bucket
    max_labels = pruning.max_labels
    start_cell, waypoints, dwell_quanta, heuristic = (
        route.start_cell,
        route.waypoints,
        route.dwell_quanta,
        route.heuristic,
    )
    n_cells = ny * nx
    n_stages = waypoints.size
    n_steps = energy_in.shape[0]
    k_end = step_of_quantum.size - 1
    lab = _new_labels(max_labels)
    lab_cell, lab_k, lab_stage, lab_bat, lab_comm, lab_shadow = (
        lab.cell,
        lab.k,
        lab.stage,
        lab.battery,
        lab.comm,
        lab.shadow,
    )
    lab_parent, lab_action, lab_cost, lab_next, alive = lab.parent, lab.action, lab.cost, lab.chain_next, lab.alive
    heap_f = np.empty(max_labels)
    heap_t = np.empty(max_labels, dtype=np.int64)
    heap = np.empty(max_labels, dtype=np.int64)
    rejected = np.zeros(5, dtype=np.int64)
    closest = np.full(5, np.inf)
    expanded = np.zeros(1, dtype=np.int64)
    # index: state key -> newest label with that key (open addressing, grown at half load)
    tab_keys = np.full(1 << 16, -1, dtype=np.int64)
    tab_values = np.empty(1 << 16, dtype=np.int64)
    tab_used = 0
    size = 0
    n_lab = 0
    goal_label = -1
    best_label = 0
    stride = np.int64(k_end + 1)
    cost_tol = 1e-9 * (cost_per_quantum * k_end + cost_per_energy * capacity + 1.0)

    # the start label
    lab_cell[0] = start_cell
    lab_k[0] = 0
    lab_stage[0] = 0
    lab_bat[0] = battery0
    lab_comm[0] = 0
    lab_shadow[0] = 0
    lab_parent[0] = -1
    lab_action[0] = ACTION_START
    lab_cost[0] = 0.0
    lab_next[0] = -1
    alive[0] = True
    slot0 = _slot(tab_keys, int(start_cell * stride))
    tab_keys[slot0] = np.int64(start_cell) * stride
    tab_values[slot0] = 0
    tab_used = 1
    n_lab = 1
    size = _heap_push(heap_f, heap_t, heap, 0, heuristic[0, start_cell], 0, 0)

    while size > 0:
        cur = _heap_pop(heap_f, heap_t, heap, size)
        size -= 1
        if not alive[cur]:
            continue
        st = np.int64(lab_stage[cur])
        if st == n_stages:
            goal_label = cur
            break
        expanded[0] += 1
        c = np.int64(lab_cell[cur])
        k0 = np.int64(lab_k[cur])
        ci = c // nx
        cj = c - ci * nx
        # successors: 0..7 moves, 8 wait, 9 dwell at the waypoint
        for e in range(10):
            calm_jump = False
            if e < 8:
                ni = ci + _DI[e]
                nj = cj + _DJ[e]
                if ni < 0 or ni >= ny or nj < 0 or nj >= nx:
                    continue
                nb = ni * nx + nj
                if not np.isfinite(inv_speed_s_per_m[nb]):
                    continue
                m = move_quanta(_DL[e], res_m, inv_speed_s_per_m[c], inv_speed_s_per_m[nb], quantum_s)
                extra = max(drive_energy[c], drive_energy[nb])
                new_stage = st
                action = ACTION_MOVE
            elif e == 8:
                # wait until the next environment step (the sky is constant within a step)
                nb = c
                m = int((k0 // quanta_per_step + 1) * quanta_per_step - k0)
                extra = 0
                new_stage = st
                action = ACTION_WAIT
                if lab_bat[cur] == capacity and lab_comm[cur] == 0 and lab_shadow[cur] == 0 and c != waypoints[st]:
                    # calm stretch: skip departures that an earlier departure plus a wait at the neighbour
                    # matches (see the module docstring); land on the last step start whose moves end in calm
                    s_ev = step_of_quantum[k0]
                    while s_ev < n_steps and calm[s_ev, c]:
                        s_ev += 1
                    k_event = min(s_ev * quanta_per_step, k_end)
                    m_max = 1
                    for e2 in range(8):
                        ni2 = ci + _DI[e2]
                        nj2 = cj + _DJ[e2]
                        if 0 <= ni2 < ny and 0 <= nj2 < nx and np.isfinite(inv_speed_s_per_m[ni2 * nx + nj2]):
                            m_max = max(
                                m_max,
                                move_quanta(
                                    _DL[e2], res_m, inv_speed_s_per_m[c], inv_speed_s_per_m[ni2 * nx + nj2], quantum_s
                                ),
                            )
                    land = ((k_event - m_max - 1) // quanta_per_step) * quanta_per_step
                    if land - k0 > m:
                        m = land - k0
                        calm_jump = True
            else:
                if c != waypoints[st]:
                    continue
                nb = c
                m = dwell_quanta[st]
                extra = drill_energy
                new_stage = st + 1
                action = ACTION_DRILL
            if k0 + m > k_end:
                rejected[_R_HORIZON] += 1
                hh = heuristic[new_stage, nb] if new_stage < n_stages else 0.0
                closest[_R_HORIZON] = min(closest[_R_HORIZON], hh)
                continue
            bat = lab_bat[cur]
            comm = int(lab_comm[cur])
            shadow = int(lab_shadow[cur])
            drawn = 0
            reason = -1
            if calm_jump:
                # every quantum of the stretch is lit, in view of Earth and in surplus: the state stays canonical
                drawn = m * hotel_energy
            for j in range(0 if calm_jump else m):
                s = step_of_quantum[k0 + j]
                e_in = min(energy_in[s, c], energy_in[s, nb])
                is_lit = lit[s, c] and lit[s, nb]
                out = hotel_energy + extra
                if not is_lit:
                    out += heater_energy
                drawn += out
                bat = min(capacity, bat + e_in - out)
                if bat < reserve:
                    reason = _R_BATTERY
                    break
                if earth[s, c] and earth[s, nb]:
                    comm = 0
                else:
                    comm += 1
                    if comm > max_comm:
                        reason = _R_COMM
                        break
                if is_lit:
                    shadow = 0
                else:
                    shadow += 1
                    if shadow > max_shadow:
                        reason = _R_SHADOW
                        break
            if reason >= 0:
                rejected[reason] += 1
                hh = heuristic[new_stage, nb] if new_stage < n_stages else 0.0
                closest[reason] = min(closest[reason], hh)
                continue
            cost = lab_cost[cur] + cost_per_quantum * m + cost_per_energy * drawn
            k1 = k0 + m
            key = (new_stage * n_cells + nb) * stride + k1 // time_bucket
            slot = _slot(tab_keys, int(key))
            head = tab_values[slot] if tab_keys[slot] == key else np.int64(-1)
            i = head
            dominated = False
            while i >= 0:
                if (
                    alive[i]
                    and lab_k[i] <= k1
                    and lab_cost[i] <= cost + cost_tol
                    and lab_bat[i] // battery_bucket >= bat // battery_bucket
                    and lab_comm[i] // clock_bucket <= comm // clock_bucket
                    and lab_shadow[i] // clock_bucket <= shadow // clock_bucket
                ):
                    dominated = True
                    break
                i = lab_next[i]
            if dominated:
                rejected[_R_DOMINATED] += 1
                continue
            if n_lab == max_labels:
                return SearchResult(-2, best_label, n_lab, rejected, closest, expanded, lab)
            i = head
            while i >= 0:
                if (
                    alive[i]
                    and k1 <= lab_k[i]
                    and cost <= lab_cost[i] + cost_tol
                    and bat // battery_bucket >= lab_bat[i] // battery_bucket
                    and comm // clock_bucket <= lab_comm[i] // clock_bucket
                    and shadow // clock_bucket <= lab_shadow[i] // clock_bucket
                ):
                    alive[i] = False
                i = lab_next[i]
            new = n_lab
            n_lab += 1
            lab_cell[new] = nb
            lab_k[new] = k1
            lab_stage[new] = new_stage
            lab_bat[new] = bat
            lab_comm[new] = comm
            lab_shadow[new] = shadow
            lab_parent[new] = cur
            lab_action[new] = action
            lab_cost[new] = cost
            lab_next[new] = head
            alive[new] = True
            if tab_keys[slot] != key:
                tab_keys[slot] = key
                tab_used += 1
            tab_values[slot] = new
            if 2 * tab_used > tab_keys.size:
                tab_keys, tab_values = _grow(tab_keys, tab_values)
            h = heuristic[new_stage, nb] if new_stage < n_stages else 0.0
            size = _heap_push(heap_f, heap_t, heap, size, cost + h, int(k1), new)
            hb = heuristic[lab_stage[best_label], lab_cell[best_label]] if lab_stage[best_label] < n_stages else 0.0
            if h < hb:
                best_label = new
    return SearchResult(goal_label, best_label, n_lab, rejected, closest, expanded, lab)
