"""Time-dependent traverse planning under sunlight, battery, slope and Earth contact.

The search itself is :func:`lupex.core.traverse.plan_search` (A* over ``(stage, cell, time, battery, clocks)``
with Pareto labels); this module turns a :class:`~lupex.traverse.environment.TraverseEnvironment` and a
:class:`~lupex.traverse.rover.Rover` into its integer inputs and its result into a :class:`TraversePlan`.
See ``docs/models/traverse.md``.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from lupex.core.runs import longest_true_run
from lupex.core.traverse import (
    ACTION_DRILL,
    ACTION_MOVE,
    ACTION_START,
    ACTION_WAIT,
    REJECT_NAMES,
    EnergyModel,
    SearchGrid,
    SearchPruning,
    SearchResult,
    SearchRoute,
    SearchRules,
    SearchWorld,
    discretise_sky,
    plan_search,
    static_cost_to_go,
)
from lupex.ephemeris import format_utc
from lupex.errors import InputError, LupexError
from lupex.terrain.projection import xy_to_latlon
from lupex.traverse.environment import TraverseEnvironment
from lupex.traverse.rover import PANEL_MODES, Rover

__all__ = [
    "ENERGY_UNIT_WH",
    "OBJECTIVES",
    "PlanInputs",
    "TraversePlan",
    "TraverseSearchError",
    "Waypoint",
    "plan_inputs",
    "plan_traverse",
]

log = logging.getLogger(__name__)

#: Energy bookkeeping unit of the search [Wh]: gains are rounded down and draws up to it (conservative).
ENERGY_UNIT_WH = 0.01
OBJECTIVES = ("time", "energy", "weighted")
ACTION_NAMES = {ACTION_START: "start", ACTION_WAIT: "wait", ACTION_MOVE: "drive", ACTION_DRILL: "drill"}
DEFAULT_MAX_LABELS = 12_000_000
_MAX_STATIONS_TO_ORDER = 8
#: Smallest battery the search can represent [Wh] (a hundred bookkeeping units).
_MIN_BATTERY_WH = 100 * ENERGY_UNIT_WH


class TraverseSearchError(LupexError, RuntimeError):
    """The search could not run (e.g. its label budget is too small for the problem)."""


@dataclass(frozen=True)
class Waypoint:
    """A place to visit: latitude, longitude [deg], dwell (drilling) time [h] and a name."""

    lat_deg: float
    lon_deg: float
    dwell_h: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.dwell_h) and 0.0 <= self.dwell_h <= 24.0 * 30):
            raise InputError(f"dwell_h {self.dwell_h!r} at {self.name or 'waypoint'} must be in [0, 720] hours")


def _as_waypoint(value: Any, name: str, dwell_h: float) -> Waypoint:
    if isinstance(value, Waypoint):
        return value if value.name else Waypoint(value.lat_deg, value.lon_deg, value.dwell_h, name)
    try:
        parts = [float(v) for v in value]
    except (TypeError, ValueError):
        raise InputError(f"{name} {value!r} must be (lat_deg, lon_deg) or (lat_deg, lon_deg, dwell_h)") from None
    if len(parts) == 2:
        return Waypoint(parts[0], parts[1], dwell_h, name)
    if len(parts) == 3:
        return Waypoint(parts[0], parts[1], parts[2], name)
    raise InputError(f"{name} {value!r} must be (lat_deg, lon_deg) or (lat_deg, lon_deg, dwell_h)")


@dataclass(frozen=True)
class PlanInputs:
    """The integer problem handed to the search (exposed for the brute-force reference and the simulator).

    Energies are in units of :data:`ENERGY_UNIT_WH`, times in quanta of ``quantum_s``. Arrays over cells are
    flattened row-major (``cell = row * nx + col``).
    """

    ny: int
    nx: int
    res_m: float
    quantum_s: float
    inv_speed_s_per_m: NDArray[np.float64]
    drive_energy: NDArray[np.int64]
    energy_in: NDArray[np.int32]
    lit: NDArray[np.bool_]
    earth: NDArray[np.bool_]
    step_of_quantum: NDArray[np.int64]
    quanta_per_step: int
    calm: NDArray[np.bool_]
    hotel_energy: int
    heater_energy: int
    drill_energy: int
    capacity: int
    reserve: int
    battery0: int
    max_comm: int
    max_shadow: int
    cost_per_quantum: float
    cost_per_energy: float

    def grid(self) -> SearchGrid:
        """Grid and clock, as :func:`~lupex.core.traverse.plan_search` takes them."""
        return SearchGrid(
            int(self.ny), int(self.nx), float(self.res_m), float(self.quantum_s), int(self.quanta_per_step)
        )

    def world(self) -> SearchWorld:
        """The per-cell and per-step arrays, as the search takes them."""
        return SearchWorld(
            self.inv_speed_s_per_m, self.drive_energy, self.energy_in, self.lit, self.earth, self.calm,
            self.step_of_quantum,
        )  # fmt: skip

    def energy(self) -> EnergyModel:
        """Energy per quantum and battery [units], as the search takes them."""
        return EnergyModel(
            int(self.hotel_energy), int(self.heater_energy), int(self.drill_energy), int(self.capacity),
            int(self.reserve), int(self.battery0),
        )  # fmt: skip

    def rules(self) -> SearchRules:
        """Clock limits and objective weights, as the search takes them."""
        return SearchRules(
            int(self.max_comm), int(self.max_shadow), float(self.cost_per_quantum), float(self.cost_per_energy)
        )

    def static_cost_to_go(self, goal: int, *, min_cost_per_quantum: float | None = None) -> NDArray[np.float64]:
        """:func:`~lupex.core.traverse.static_cost_to_go` to cell ``goal`` (with the cost per quantum raised to
        ``min_cost_per_quantum`` if given)."""
        rules = self.rules()
        if min_cost_per_quantum is not None:
            rules = rules._replace(cost_per_quantum=max(rules.cost_per_quantum, float(min_cost_per_quantum)))
        return static_cost_to_go(self.grid(), self.world(), self.energy(), rules, int(goal))


def plan_inputs(
    env: TraverseEnvironment,
    rover: Rover,
    *,
    objective: str = "time",
    weights: tuple[float, float] = (1.0, 0.01),
    quantum_s: float | None = None,
    n_steps: int | None = None,
) -> PlanInputs:
    """Discretise an environment and a rover for the search.

    Parameters
    ----------
    env : TraverseEnvironment
    rover : Rover
    objective : {"time", "energy", "weighted"}
        ``time``: arrival as early as possible; ``energy``: least energy drawn from the battery and array
        (hotel, drive, heaters, drill) until arrival; ``weighted``: ``weights[0] * hours + weights[1] * Wh``.
    weights : (per_hour, per_Wh)
        Weights of the ``weighted`` objective.
    quantum_s : float, optional
        Time quantum [s]; must divide the environment step. Default: the largest divisor of the step that is
        at most half the time to drive one cell at nominal speed (a straight move takes >= 2 quanta, a
        diagonal 3: diagonals are <= 6 % slower than at exact speed).
    n_steps : int, optional
        Use only the first ``n_steps`` sky samples (a shorter planning horizon); default all.
    """
    if objective not in OBJECTIVES:
        raise InputError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    step = float(env.step_s)
    res = env.res_m
    n_sub = _quanta_per_step(step, res, rover, quantum_s)
    q = step / n_sub
    ny, nx = env.shape
    nt = env.time_utc.size if n_steps is None else int(min(max(n_steps, 1), env.time_utc.size))
    per_unit = q / 3600.0 / ENERGY_UNIT_WH  # (W -> energy units per quantum)
    slope = env.slope_deg.ravel()
    speed = rover.speed_on_slope_m_s(slope)
    with np.errstate(divide="ignore"):
        inv_speed = np.where(speed > 0, 1.0 / np.where(speed > 0, speed, 1.0), np.inf)
    drive = np.ceil(rover.drive_power_W(slope) * per_unit - 1e-9).astype(np.int64)
    k_end = nt * n_sub
    step_of = np.minimum(np.arange(k_end + 1, dtype=np.int64) // n_sub, nt - 1)
    a, b = _objective_costs(objective, weights, q)
    hotel = math.ceil(rover.hotel_W * per_unit - 1e-9)
    energy_in, lit, earth, calm = _discretised_sky(env, rover, nt, per_unit, hotel, drive, np.isfinite(inv_speed))
    return PlanInputs(
        ny=ny,
        nx=nx,
        res_m=res,
        quantum_s=q,
        inv_speed_s_per_m=np.ascontiguousarray(inv_speed),
        drive_energy=drive,
        energy_in=energy_in,
        lit=lit,
        earth=earth,
        step_of_quantum=step_of,
        quanta_per_step=n_sub,
        calm=calm,
        hotel_energy=hotel,
        heater_energy=math.ceil(rover.heater_W * per_unit - 1e-9),
        drill_energy=math.ceil(rover.drill_W * per_unit - 1e-9),
        capacity=math.floor(rover.battery_Wh / ENERGY_UNIT_WH + 1e-9),
        reserve=math.ceil(rover.battery_Wh * rover.min_state_of_charge / ENERGY_UNIT_WH - 1e-9),
        battery0=math.floor(rover.battery_Wh * rover.initial_state_of_charge / ENERGY_UNIT_WH + 1e-9),
        max_comm=math.floor(rover.max_blackout_h * 3600.0 / q + 1e-9),
        max_shadow=math.floor(rover.shadow_limit_h * 3600.0 / q + 1e-9),
        cost_per_quantum=a,
        cost_per_energy=b,
    )


def _quanta_per_step(step: float, res: float, rover: Rover, quantum_s: float | None) -> int:
    """Time quanta per environment step: from ``quantum_s`` (checked) or the default of :func:`plan_inputs`."""
    if quantum_s is None:
        return max(1, math.ceil(2.0 * step * rover.speed_m_s / res - 1e-9))
    if not (math.isfinite(quantum_s) and quantum_s > 0):
        raise InputError(f"quantum_s {quantum_s!r} must be positive seconds")
    n_sub = int(round(step / quantum_s))
    if n_sub < 1 or abs(n_sub * quantum_s - step) > 1e-6 * step:
        raise InputError(f"quantum_s {quantum_s!r} must divide the environment step {step:g} s")
    return n_sub


def _objective_costs(objective: str, weights: tuple[float, float], q: float) -> tuple[float, float]:
    """The objective as (cost per time quantum, cost per energy unit) for a quantum of ``q`` seconds."""
    if objective == "time":
        return q / 3600.0, 0.0
    if objective == "energy":
        return 0.0, ENERGY_UNIT_WH
    w_h, w_wh = (float(w) for w in weights)
    if not (w_h >= 0 and w_wh >= 0 and w_h + w_wh > 0 and math.isfinite(w_h + w_wh)):
        raise InputError(f"weights {weights!r} must be two numbers >= 0 (per hour, per Wh), not both 0")
    return w_h * q / 3600.0, w_wh * ENERGY_UNIT_WH


def _discretised_sky(
    env: TraverseEnvironment,
    rover: Rover,
    nt: int,
    per_unit: float,
    hotel: int,
    drive: NDArray[np.int64],
    passable: NDArray[np.bool_],
) -> tuple[NDArray[np.int32], NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """``energy_in``, ``lit``, ``earth`` and ``calm`` over the first ``nt`` sky samples (cells flattened)."""
    earth = np.ascontiguousarray(env.earth_visible[:nt].reshape(nt, -1))
    energy_in, lit, calm = discretise_sky(
        np.ascontiguousarray(env.sun_fraction[:nt].reshape(nt, -1)),
        np.ascontiguousarray(env.sun_elevation_deg[:nt].reshape(nt, -1)),
        earth,
        1.0 / env.sun_distance_au[:nt] ** 2,
        PANEL_MODES.index(rover.panel),
        float(rover.solar_power_W(1.0, 0.0 if rover.panel != "horizontal" else 90.0)),
        per_unit,
        hotel,
        drive,
        passable,
        env.shape[0],
        env.shape[1],
    )
    return energy_in, lit, earth, calm


@dataclass(frozen=True)
class TraversePlan:
    """A planned traverse (result of :func:`plan_traverse`).

    ``steps`` holds one row per time quantum (plus the start row) with the columns of ``steps.csv``:
    ``time_utc, x_m, y_m, lat_deg, lon_deg, action, sun_fraction, earth_visible, power_in_W, power_out_W,
    battery_Wh, slope_deg``; values are those the planner used (the conservative combination of the two
    cells during a move; battery in the planner's rounding, never above the true charge).

    Attributes
    ----------
    feasible : bool
        A route meeting every constraint reaches the goal. When False, ``steps`` is the best partial route
        (the one that got closest to finishing) and ``reason`` says which constraint cut the routes.
    reason : str
        Why no plan exists ('' when feasible).
    objective : str
    cost : float
        Objective value (hours, Wh, or the weighted sum).
    waypoints : list of dict
        Start, stations and goal: name, lat_deg, lon_deg, x_m, y_m, dwell_h, arrival_utc (None if not reached).
    steps : dict of str -> ndarray
        Per-quantum table (see above).
    quantum_s : float
        Time quantum [s].
    rover : Rover
    search : dict
        labels, expanded, rejected counts per reason, order of the stations tried.
    vertices : dict of str -> int ndarray
        The route as the search left it: ``row``, ``col``, ``k`` (quantum), ``stage`` and ``action`` (codes of
        :mod:`lupex.core.traverse`) of every state from the start; what :func:`lupex.traverse.check_plan`
        replays.
    """

    feasible: bool
    reason: str
    objective: str
    cost: float
    waypoints: list[dict[str, Any]]
    steps: dict[str, NDArray[Any]]
    quantum_s: float
    rover: Rover
    search: dict[str, Any] = field(default_factory=dict)
    vertices: dict[str, NDArray[np.int64]] = field(default_factory=dict, repr=False)

    @property
    def duration_h(self) -> float:
        """Time from the start to the last row [h]."""
        t = self.steps["time_utc"]
        return float((t[-1] - t[0]) / np.timedelta64(1, "s")) / 3600.0 if t.size else 0.0

    @property
    def distance_m(self) -> float:
        """Length of the driven route [m]."""
        return float(np.hypot(np.diff(self.steps["x_m"]), np.diff(self.steps["y_m"])).sum())

    def summary(self) -> dict[str, Any]:
        """Key numbers, JSON-ready (units in the keys)."""
        s = self.steps
        act = s["action"]
        dt_h = self.quantum_s / 3600.0
        blackout = _longest_run(~s["earth_visible"][1:]) * dt_h
        shadow = _longest_run(s["sun_fraction"][1:] <= 0.0) * dt_h
        return {
            "feasible": self.feasible,
            "reason": self.reason,
            "objective": self.objective,
            "cost": self.cost if math.isfinite(self.cost) else None,
            "start_utc": format_utc(s["time_utc"][0]),
            "end_utc": format_utc(s["time_utc"][-1]),
            "duration_h": round(self.duration_h, 3),
            "distance_m": round(self.distance_m, 1),
            "drive_h": round(float((act == "drive").sum()) * dt_h, 3),
            "wait_h": round(float((act == "wait").sum()) * dt_h, 3),
            "drill_h": round(float((act == "drill").sum()) * dt_h, 3),
            "energy_drawn_Wh": round(float(s["power_out_W"][1:].sum()) * dt_h, 1),
            "energy_harvested_Wh": round(float(s["power_in_W"][1:].sum()) * dt_h, 1),
            "min_battery_Wh": round(float(s["battery_Wh"].min()), 2),
            "reserve_Wh": round(self.rover.battery_Wh * self.rover.min_state_of_charge, 2),
            "longest_blackout_h": round(blackout, 3),
            "longest_shadow_h": round(shadow, 3),
            "max_slope_deg": round(float(np.nanmax(s["slope_deg"])), 2),
            "waypoints": self.waypoints,
            "quantum_s": self.quantum_s,
            "search": self.search,
            "rover_placeholders": self.rover.placeholders_used(),
        }


def _longest_run(mask: NDArray[np.bool_]) -> int:
    return int(longest_true_run(mask))


def _heuristics(inputs: PlanInputs, cells: Sequence[int], dwell_quanta: Sequence[int]) -> NDArray[np.float64]:
    """Consistent cost-to-go (static lower bound of the cost to finish) of every stage and cell."""
    maps = [inputs.static_cost_to_go(int(c)) for c in cells[1:]]
    n_stages = len(cells) - 1
    h = np.empty((n_stages, inputs.ny * inputs.nx))
    rest = 0.0
    for st in range(n_stages - 1, -1, -1):
        dwell = dwell_quanta[st] * (
            inputs.cost_per_quantum + inputs.cost_per_energy * (inputs.hotel_energy + inputs.drill_energy)
        )
        h[st] = maps[st] + dwell + rest
        if st > 0:
            rest = float(h[st][cells[st]])
    return h


def _search(
    inputs: PlanInputs,
    cells: list[int],
    dwell_quanta: list[int],
    max_labels: int,
    battery_bucket: int,
    clock_bucket: int,
    time_bucket: int,
    h: NDArray[np.float64],
) -> SearchResult:
    """Run :func:`plan_search` on the discretised problem with the heuristic ``h`` (see :func:`_heuristics`)."""
    pruning = SearchPruning(int(battery_bucket), int(clock_bucket), int(time_bucket), int(max_labels))
    route = SearchRoute(
        int(cells[0]), np.asarray(cells[1:], dtype=np.int64), np.asarray(dwell_quanta, dtype=np.int64), h
    )
    result: SearchResult = plan_search(inputs.grid(), inputs.world(), inputs.energy(), inputs.rules(), pruning, route)
    return result


def plan_traverse(
    env: TraverseEnvironment,
    start: Any,
    goal: Any,
    *,
    via: Sequence[Any] = (),
    rover: Rover | None = None,
    objective: Literal["time", "energy", "weighted"] = "time",
    weights: tuple[float, float] = (1.0, 0.01),
    order: Literal["given", "best"] = "given",
    n_orders: int = 6,
    quantum_s: float | None = None,
    battery_bucket_Wh: float | None = None,
    clock_bucket_s: float | None = None,
    exact: bool = False,
    max_labels: int = DEFAULT_MAX_LABELS,
    progress: Any = None,
) -> TraversePlan:
    """Plan a rover traverse from ``start`` to ``goal`` through ``via`` stations, respecting every constraint.

    Parameters
    ----------
    env : TraverseEnvironment
        Slope, Sun and Earth over the window and period (:func:`lupex.traverse.traverse_environment`); the
        plan starts at its first instant.
    start, goal : (lat_deg, lon_deg) or Waypoint
        Start and end of the traverse (give ``goal = start`` for a round trip).
    via : sequence of (lat_deg, lon_deg[, dwell_h]) or Waypoint
        Stations to visit, with their dwell (drilling) time; default dwell ``rover.drill_dwell_h``.
    rover : Rover, optional
        Default :class:`Rover()` (LUPEX-class placeholders).
    objective : {"time", "energy", "weighted"}
        Earliest arrival, least energy drawn, or ``weights[0] * hours + weights[1] * Wh``.
    order : {"given", "best"}
        Visit ``via`` in the given order, or pick the order (up to 8 stations): the ``n_orders`` orders of
        least static cost (no Sun, Earth or battery limits) are each planned in full and the best is kept.
    quantum_s : float, optional
        Time quantum [s] (see :func:`plan_inputs`).
    battery_bucket_Wh : float, optional
        Labels at the same place and time whose batteries fall in the same bucket of this size are compared
        as equal (the other criteria decide). Default 0.5 % of the capacity; :data:`ENERGY_UNIT_WH` makes
        the search exact (slower on large problems).
    clock_bucket_s : float, optional
        The same for the time since Earth was last in view and since the last sunlight [s]; default one
        environment step; ``quantum_s`` (or less) is exact.
    exact : bool, default False
        Exact search (optimal on the time-expanded graph; for small problems): unit battery and clock
        buckets and one slot per quantum. By default labels are compared within one-step slots at each
        cell (an earlier arrival with no worse cost, battery and clocks replaces a later one) and in the
        buckets above: the search then scales to 10^5 cells x weeks, and its plans stay feasible (every
        constraint is enforced along the route) but may be slightly later or costlier than the optimum.
    max_labels : int
        Search budget (about 70 bytes per label plus the index).
    progress : tqdm-like, optional
        ``total`` = orders to plan; ``update(1)`` per order.

    Returns
    -------
    TraversePlan
        ``feasible`` False (with ``reason`` and the best partial route) when no route meets the constraints.

    Raises
    ------
    InputError
        A point outside the window, on ground too steep to stand on, or bad parameters.
    TraverseSearchError
        The label budget ran out before the search ended.
    """
    rover = Rover() if rover is None else rover
    points = _waypoints(start, goal, via, rover, order, max_labels)
    inputs = plan_inputs(env, rover, objective=objective, weights=weights, quantum_s=quantum_s, n_steps=1)
    buckets = _buckets(env, rover, inputs, battery_bucket_Wh, clock_bucket_s, exact)
    stops = _stops(env, rover, inputs, points)
    problem = _Problem(env, rover, inputs, objective, weights, quantum_s, max_labels, stops, buckets)
    return _best_plan(problem, _station_orders(problem, order, n_orders), progress)


@dataclass(frozen=True)
class _Stops:
    """Flat cells, dwell quanta and waypoints of the stops in visiting order (start first, goal last)."""

    cells: list[int]
    dwell: list[int]
    points: list[Waypoint]

    def ordered(self, perm: tuple[int, ...]) -> _Stops:
        """These stops with the stations visited in the order ``perm`` (indices of the stations)."""
        return _Stops(
            [self.cells[0], *[self.cells[1 + p] for p in perm], self.cells[-1]],
            [self.dwell[p] for p in perm] + [0],
            [self.points[0], *[self.points[1 + p] for p in perm], self.points[-1]],
        )


@dataclass(frozen=True)
class _Problem:
    """A checked :func:`plan_traverse` problem: what every station order and horizon is planned with.

    ``inputs`` holds the sky-independent parts (slowness, drive energy, quantum), discretised from one sky
    sample (the sky is discretised per horizon); ``buckets`` are the battery, clock and time buckets of the search.
    """

    env: TraverseEnvironment
    rover: Rover
    inputs: PlanInputs
    objective: str
    weights: tuple[float, float]
    quantum_s: float | None
    max_labels: int
    stops: _Stops
    buckets: tuple[int, int, int]


def _waypoints(start: Any, goal: Any, via: Sequence[Any], rover: Rover, order: str, max_labels: int) -> list[Waypoint]:
    """Start, stations and goal as waypoints, once ``max_labels`` and ``order`` are checked."""
    if not 1000 <= int(max_labels) <= 2_000_000_000:
        raise InputError(f"max_labels {max_labels!r} must be an integer in [1000, 2e9]")
    if order not in ("given", "best"):
        raise InputError(f"order {order!r} must be 'given' or 'best'")
    p_start = _as_waypoint(start, "start", 0.0)
    p_goal = _as_waypoint(goal, "goal", 0.0)
    stations = [_as_waypoint(v, f"station {i + 1}", rover.drill_dwell_h) for i, v in enumerate(via)]
    if order == "best" and len(stations) > _MAX_STATIONS_TO_ORDER:
        raise InputError(f"order='best' handles up to {_MAX_STATIONS_TO_ORDER} stations; got {len(stations)}")
    return [p_start, *stations, p_goal]


def _buckets(
    env: TraverseEnvironment,
    rover: Rover,
    inputs: PlanInputs,
    battery_bucket_Wh: float | None,
    clock_bucket_s: float | None,
    exact: bool,
) -> tuple[int, int, int]:
    """Battery, clock and time buckets of the search (all 1 when ``exact``), once the battery is checked."""
    if rover.battery_Wh < _MIN_BATTERY_WH:
        raise InputError(
            f"rover battery_Wh {rover.battery_Wh!r} is below the {_MIN_BATTERY_WH:g} Wh the planner can count "
            f"(in steps of {ENERGY_UNIT_WH} Wh); give a battery of at least {_MIN_BATTERY_WH:g} Wh"
        )
    # default: 0.5 % of the capacity, but never finer than the bookkeeping unit (a tiny battery still plans)
    bucket_wh = max(ENERGY_UNIT_WH, 0.005 * rover.battery_Wh) if battery_bucket_Wh is None else float(battery_bucket_Wh)
    if not (math.isfinite(bucket_wh) and ENERGY_UNIT_WH <= bucket_wh <= rover.battery_Wh):
        raise InputError(
            f"battery_bucket_Wh {battery_bucket_Wh!r} must be in [{ENERGY_UNIT_WH}, {rover.battery_Wh!r}] Wh "
            "(the rover's battery_Wh), or None for 0.5 % of it"
        )
    bucket = max(1, int(round(bucket_wh / ENERGY_UNIT_WH)))
    clock_s = env.step_s if clock_bucket_s is None else float(clock_bucket_s)
    if not (math.isfinite(clock_s) and clock_s > 0):
        raise InputError(f"clock_bucket_s {clock_bucket_s!r} must be positive seconds")
    clock = max(1, int(clock_s // inputs.quantum_s))
    slot = inputs.quanta_per_step
    if exact:
        bucket = clock = slot = 1
    return bucket, clock, slot


def _stops(env: TraverseEnvironment, rover: Rover, inputs: PlanInputs, points: list[Waypoint]) -> _Stops:
    """Cells and dwell quanta of the points, refusing a point on ground too steep (or without data) to stand on."""
    cells = []
    for p in points:
        i, j = env.cell_of(p.lat_deg, p.lon_deg, p.name)
        if not np.isfinite(inputs.inv_speed_s_per_m[i * env.shape[1] + j]):
            raise InputError(
                f"{p.name} ({p.lat_deg:g}, {p.lon_deg:g}) is on ground steeper than the rover's "
                f"{rover.slope_max_deg:g} deg limit (slope {env.slope_deg[i, j]:.1f} deg) or without data; move it"
            )
        cells.append(i * env.shape[1] + j)
    dwell = [int(math.ceil(s.dwell_h * 3600.0 / inputs.quantum_s - 1e-9)) for s in points[1:-1]] + [0]
    return _Stops(cells, dwell, points)


def _station_orders(problem: _Problem, order: str, n_orders: int) -> list[tuple[int, ...]]:
    """The station orders to plan in full: the given one, or the best by static cost (``order="best"``)."""
    stops = problem.stops
    orders: list[tuple[int, ...]] = [tuple(range(len(stops.points) - 2))]
    if order == "best" and len(stops.points) - 2 > 1:
        orders = _best_orders(problem.inputs, stops.cells, stops.dwell, n_orders)
    return orders


def _best_plan(problem: _Problem, orders: list[tuple[int, ...]], progress: Any) -> TraversePlan:
    """Plan every station order and keep the best (a feasible plan of least cost, else the first)."""
    if progress is not None:
        progress.total = len(orders)
    best: TraversePlan | None = None
    for perm in orders:
        plan = _plan_order(problem, problem.stops.ordered(perm))
        if progress is not None:
            progress.update(1)
        if best is None or (plan.feasible and (not best.feasible or plan.cost < best.cost)):
            best = plan
    assert best is not None  # orders is never empty
    return best


def _plan_order(problem: _Problem, stops: _Stops) -> TraversePlan:
    """Plan one station order, over horizons doubled until a route is found or the period is used up."""
    env, objective = problem.env, problem.objective
    # the heuristic depends on slope and rover only, not on the sky: once per order, for every horizon
    h = _heuristics(problem.inputs, stops.cells, stops.dwell)
    nt = env.time_utc.size
    n_steps = nt
    if objective == "time":
        # earliest arrival: plan over a horizon of twice the static lower bound plus a day, doubled until a
        # route is found or the period is used up; an arrival found within a horizon is the earliest overall
        lower_h = float(h[0][stops.cells[0]])
        if math.isfinite(lower_h):
            n_steps = min(nt, max(2, math.ceil((2.0 * lower_h + 24.0) * 3600.0 / env.step_s)))
    while True:
        step_inputs = plan_inputs(
            env,
            problem.rover,
            objective=objective,
            weights=problem.weights,
            quantum_s=problem.quantum_s,
            n_steps=n_steps,
        )
        plan = _plan_one(problem, step_inputs, h, stops)
        if plan.feasible or n_steps >= nt or plan.search["rejected"]["time_horizon"] == 0:
            break
        n_steps = min(nt, 2 * n_steps)
    plan.search["horizon_steps"] = n_steps
    plan.search["order"] = [p.name for p in stops.points[1:-1]]
    return plan


def _best_orders(inputs: PlanInputs, cells: list[int], dwell: list[int], n_orders: int) -> list[tuple[int, ...]]:
    """The station orders of least static cost (pairwise static costs, all permutations)."""
    n = len(cells)
    static = np.empty((n, n))
    for b in range(n):
        cost = inputs.static_cost_to_go(int(cells[b]), min_cost_per_quantum=1e-12)
        static[:, b] = cost[cells]
    tours = []
    for perm in itertools.permutations(range(len(cells) - 2)):
        seq = [0, *[1 + p for p in perm], n - 1]
        tours.append((sum(static[a, b] for a, b in itertools.pairwise(seq)), perm))
    tours.sort(key=lambda t: t[0])
    return [p for _, p in tours[: max(1, int(n_orders))]]


def _plan_one(problem: _Problem, inputs: PlanInputs, h: NDArray[np.float64], stops: _Stops) -> TraversePlan:
    """Search one station order over the horizon of ``inputs`` and turn the result into a plan."""
    env, rover, max_labels = problem.env, problem.rover, problem.max_labels
    result = _search(inputs, stops.cells, stops.dwell, max_labels, *problem.buckets, h)
    goal, best, n_lab, rejected, closest, expanded, lab = result
    search = {
        "labels": int(n_lab),
        "expanded": int(expanded[0]),
        "rejected": {name: int(v) for name, v in zip(REJECT_NAMES, rejected, strict=True)},
        "closest": {name: float(v) for name, v in zip(REJECT_NAMES, closest, strict=True) if np.isfinite(v)},
    }
    if goal == -2:
        raise TraverseSearchError(
            f"the search used its whole budget of {max_labels} labels before finishing; raise max_labels "
            "(memory ~60 bytes each), shorten the period or shrink the window"
        )
    feasible = goal >= 0
    end = goal if feasible else best
    labels = _label_chain(
        int(end), lab.parent, {"cell": lab.cell, "k": lab.k, "stage": lab.stage, "action": lab.action}
    )
    steps = _steps_table(env, inputs, labels)
    reason = "" if feasible else _reason(env, rover, inputs, stops.cells, h, search, steps, stops.points)
    cost = float(lab.cost[end]) if feasible else math.inf
    log.info("traverse search: %d labels, %d expanded, feasible=%s", n_lab, expanded[0], feasible)
    return TraversePlan(
        feasible=feasible,
        reason=reason,
        objective=problem.objective,
        cost=cost,
        waypoints=_waypoint_rows(env, inputs, labels, stops),
        steps=steps,
        quantum_s=inputs.quantum_s,
        rover=rover,
        search=search,
        vertices={
            "row": labels["cell"] // env.shape[1],
            "col": labels["cell"] % env.shape[1],
            "k": labels["k"],
            "stage": labels["stage"],
            "action": labels["action"],
        },
    )


def _label_chain(end: int, parent: NDArray[Any], columns: dict[str, NDArray[Any]]) -> dict[str, NDArray[np.int64]]:
    """``columns`` (label arrays of the search) along the parent chain from the first label to ``end``."""
    chain = []
    i = end
    while i >= 0:
        chain.append(i)
        i = int(parent[i])
    chain.reverse()
    return {key: values[chain].astype(np.int64) for key, values in columns.items()}


def _waypoint_rows(
    env: TraverseEnvironment, inputs: PlanInputs, labels: dict[str, NDArray[np.int64]], stops: _Stops
) -> list[dict[str, Any]]:
    """The stops as :attr:`TraversePlan.waypoints` rows, with the arrival at each along the label chain."""
    arrivals: list[str | None] = [format_utc(env.time_utc[0])]
    for st in range(len(stops.points) - 1):
        reached = np.nonzero(labels["stage"] > st)[0]
        if reached.size:
            k = int(labels["k"][reached[0]] - stops.dwell[st])
            arrivals.append(format_utc(env.time_utc[0] + np.timedelta64(int(round(k * inputs.quantum_s)), "s")))
        else:
            arrivals.append(None)
    rows = []
    for p, c, arr in zip(stops.points, stops.cells, arrivals, strict=True):
        x, y = env.xy_of(c // env.shape[1], c % env.shape[1])
        rows.append(
            {
                "name": p.name,
                "lat_deg": p.lat_deg,
                "lon_deg": p.lon_deg,
                "x_m": float(x),
                "y_m": float(y),
                "dwell_h": p.dwell_h,
                "arrival_utc": arr,
            }
        )
    return rows


def _reason(
    env: TraverseEnvironment,
    rover: Rover,
    inputs: PlanInputs,
    cells: list[int],
    h: NDArray[np.float64],
    search: dict[str, Any],
    steps: dict[str, NDArray[Any]],
    points: list[Waypoint],
) -> str:
    for st in range(len(cells) - 1):
        if not np.isfinite(h[st][cells[st]]):
            return (
                f"slope: no route from {points[st].name} to {points[st + 1].name} stays on slopes <= "
                f"{rover.slope_max_deg:g} deg inside the map window; enlarge the window (margin) or move the point"
            )
    counts = {k: v for k, v in search["rejected"].items() if k != "dominated"}
    closest = {k: v for k, v in search["closest"].items() if k != "dominated"}
    # the constraint that cut routes closest to the goal (ties: the end of the period last)
    top = min(closest, key=lambda k: (closest[k], k == "time_horizon")) if closest else "battery"
    last = f"; the best partial route ends at ({steps['lat_deg'][-1]:.4f}, {steps['lon_deg'][-1]:.4f}) at " + (
        f"{format_utc(steps['time_utc'][-1])}"
    )
    if not closest:
        return "no route found" + last
    text = {
        "battery": f"battery: every route would take the battery below its reserve "
        f"({rover.battery_Wh * rover.min_state_of_charge:g} Wh); a larger battery or array, or a later start, may help",
        "earth_blackout": f"earth_blackout: every route loses direct-to-Earth contact for more than "
        f"{rover.max_blackout_h:g} h",
        "shadow": f"shadow: every route stays in shadow longer than {rover.shadow_limit_h:.1f} h",
        "time_horizon": f"time_horizon: no route arrives before the period ends ({format_utc(env.end_utc)}); "
        "extend the period",
    }[top]
    detail = ", ".join(f"{k} {v}" for k, v in counts.items())
    return f"{text} (successors cut: {detail}){last}"


def _steps_table(
    env: TraverseEnvironment, inputs: PlanInputs, labels: dict[str, NDArray[np.int64]]
) -> dict[str, NDArray[Any]]:
    """One row per quantum along the label chain, re-running the planner's bookkeeping."""
    nx = env.shape[1]
    q = inputs.quantum_s
    unit = ENERGY_UNIT_WH * 3600.0 / q  # energy units per quantum -> W
    x_all = env.dem["x"].values
    y_all = env.dem["y"].values
    rows: dict[str, list[Any]] = {k: [] for k in (
        "k", "x_m", "y_m", "action", "sun_fraction", "earth_visible", "power_in_W", "power_out_W", "battery_Wh",
        "slope_deg",
    )}  # fmt: skip
    c0 = int(labels["cell"][0])
    sun = env.sun_fraction.reshape(env.time_utc.size, -1)
    slope_flat = env.slope_deg.ravel()
    bat = inputs.battery0

    def add(k: int, x: float, y: float, action: str, f: float, e: bool, pin: float, pout: float, s: float) -> None:
        for key, v in zip(
            rows, (k, x, y, action, f, e, pin, pout, bat * ENERGY_UNIT_WH, s), strict=True
        ):  # fmt: skip
            rows[key].append(v)

    s0 = int(inputs.step_of_quantum[0])
    add(0, x_all[c0 % nx], y_all[c0 // nx], "start", float(sun[s0, c0]), bool(inputs.earth[s0, c0]), 0.0, 0.0,
        float(slope_flat[c0]))  # fmt: skip
    for idx in range(1, labels["cell"].size):
        c = int(labels["cell"][idx - 1])
        nb = int(labels["cell"][idx])
        k0 = int(labels["k"][idx - 1])
        m = int(labels["k"][idx]) - k0
        action = int(labels["action"][idx])
        extra = 0
        if action == ACTION_MOVE:
            extra = max(int(inputs.drive_energy[c]), int(inputs.drive_energy[nb]))
        elif action == ACTION_DRILL:
            extra = inputs.drill_energy
        xa, ya = x_all[c % nx], y_all[c // nx]
        xb, yb = x_all[nb % nx], y_all[nb // nx]
        for j in range(m):
            s = int(inputs.step_of_quantum[k0 + j])
            e_in = min(int(inputs.energy_in[s, c]), int(inputs.energy_in[s, nb]))
            lit = bool(inputs.lit[s, c] and inputs.lit[s, nb])
            out = inputs.hotel_energy + extra + (0 if lit else inputs.heater_energy)
            bat = min(inputs.capacity, bat + e_in - out)
            w = (j + 1) / m
            add(
                k0 + j + 1, xa + w * (xb - xa), ya + w * (yb - ya), ACTION_NAMES[action],
                float(min(sun[s, c], sun[s, nb])), bool(inputs.earth[s, c] and inputs.earth[s, nb]),
                e_in * unit, out * unit, float(max(slope_flat[c], slope_flat[nb])),
            )  # fmt: skip
    k = np.asarray(rows.pop("k"), dtype=np.int64)
    out_rows: dict[str, NDArray[Any]] = {
        "time_utc": env.time_utc[0] + (np.rint(k * q * 1e3).astype(np.int64)).astype("timedelta64[ms]"),
    }
    x = np.asarray(rows["x_m"], dtype=np.float64)
    y = np.asarray(rows["y_m"], dtype=np.float64)
    lat, lon = xy_to_latlon(x, y)
    out_rows.update({"x_m": x, "y_m": y, "lat_deg": np.asarray(lat), "lon_deg": np.asarray(lon)})
    out_rows["action"] = np.asarray(rows["action"], dtype=object)
    out_rows["sun_fraction"] = np.asarray(rows["sun_fraction"], dtype=np.float64)
    out_rows["earth_visible"] = np.asarray(rows["earth_visible"], dtype=np.bool_)
    for key in ("power_in_W", "power_out_W", "battery_Wh", "slope_deg"):
        out_rows[key] = np.asarray(rows[key], dtype=np.float64)
    return out_rows
