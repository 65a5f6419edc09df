"""An independent check of a traverse plan: replay it against terrain, sky and the rover model.

The replay shares nothing with the search but its inputs (the environment and the rover): it works in floating
point watt-hours and seconds from the rover's power functions, re-derives moves, durations and slopes from the
grid, and reports every violated constraint. The search rounds solar input down and draws up, so on a plan it
returns the replayed battery is never below the planner's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from lupex.core.traverse import ACTION_DRILL, ACTION_MOVE, ACTION_START, ACTION_WAIT
from lupex.traverse.environment import TraverseEnvironment
from lupex.traverse.planner import TraversePlan
from lupex.traverse.rover import Rover

__all__ = ["PlanCheck", "check_plan"]

_TOL_WH = 1e-6
_DECIMAL = re.compile(r"-?\d+\.\d+")


@dataclass(frozen=True)
class PlanCheck:
    """Result of :func:`check_plan`.

    Attributes
    ----------
    ok : bool
        No constraint is violated.
    violations : list of str
        One line per violation (empty when ``ok``).
    min_battery_Wh : float
        Lowest replayed charge [Wh].
    longest_blackout_h, longest_shadow_h : float
        Longest replayed run without Earth in view / without sunlight [h].
    max_slope_deg : float
        Steepest cell the route touches [deg].
    battery_Wh : ndarray
        Replayed charge at the end of every quantum (first value: the start) [Wh].
    """

    ok: bool
    violations: list[str] = field(default_factory=list)
    min_battery_Wh: float = math.nan
    longest_blackout_h: float = 0.0
    longest_shadow_h: float = 0.0
    max_slope_deg: float = 0.0
    battery_Wh: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _drill_violations(
    plan: TraversePlan, env: TraverseEnvironment, stage: int, cell: tuple[int, int], seconds: float, when: str
) -> list[str]:
    """What is wrong with drilling for ``seconds`` at ``cell`` when ``stage`` stations are done (goal: no dwell)."""
    if stage + 1 >= len(plan.waypoints):
        return [f"drilling after the goal was reached {when}"]
    target = plan.waypoints[stage + 1]
    out = []
    if env.cell_of(target["lat_deg"], target["lon_deg"]) != cell:
        out.append(f"drilling away from {target['name']} {when}")
    is_goal = stage + 1 == len(plan.waypoints) - 1
    if not is_goal and seconds < float(target["dwell_h"]) * 3600.0 - 1e-6:
        out.append(f"dwell at {target['name']} shorter than {target['dwell_h']} h {when}")
    return out


@dataclass
class _Replay:
    """Running state of the replay: clock, battery, runs without Earth / Sun, stage and violations so far."""

    quantum_s: float
    n_sub: int
    nt: int
    res_m: float
    battery: float
    reserve: float
    max_slope: float
    trace: list[float] = field(default_factory=list)
    blackout: float = 0.0
    shadow: float = 0.0
    worst_blackout: float = 0.0
    worst_shadow: float = 0.0
    stage: int = 0  # stations drilled so far, replayed from the drill actions (the plan's stage column is checked)
    violations: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Leg:
    """One step of the route: from cell ``a`` at quantum ``k0`` to cell ``b`` at ``k1`` by action ``act``."""

    a: tuple[int, int]
    b: tuple[int, int]
    k0: int
    k1: int
    act: int
    when: str


def _leg_power_W(plan: TraversePlan, env: TraverseEnvironment, rover: Rover, st: _Replay, leg: _Leg) -> float:
    """Check the action of ``leg`` (move geometry and speed, drills) and return its power beyond hotel [W]."""
    a, b, when = leg.a, leg.b, leg.when
    q = st.quantum_s
    di, dj = abs(a[0] - b[0]), abs(a[1] - b[1])
    slope_a, slope_b = float(env.slope_deg[a]), float(env.slope_deg[b])
    extra_W = 0.0
    if leg.act == ACTION_MOVE:
        if max(di, dj) != 1:
            st.violations.append(f"a drive that is not a step to a neighbouring cell {when}")
        speed_a, speed_b = rover.speed_on_slope_m_s([slope_a, slope_b])
        if speed_a <= 0 or speed_b <= 0:
            st.violations.append(f"drive over ground steeper than {rover.slope_max_deg:g} deg {when}")
        else:
            need_s = math.hypot(di, dj) * st.res_m * 0.5 * (1 / speed_a + 1 / speed_b)
            if (leg.k1 - leg.k0) * q < need_s - 1e-6:
                st.violations.append(f"drive faster than the rover's speed ({need_s:.0f} s needed) {when}")
        extra_W = float(rover.drive_power_W(max(slope_a, slope_b)))
        st.max_slope = max(st.max_slope, slope_a, slope_b)
    elif leg.act in (ACTION_WAIT, ACTION_DRILL):
        if a != b:
            st.violations.append(f"the rover moves while waiting or drilling {when}")
        if leg.act == ACTION_DRILL:
            st.violations += _drill_violations(plan, env, st.stage, a, (leg.k1 - leg.k0) * q, when)
            st.stage += 1
            extra_W = rover.drill_W
    else:
        st.violations.append(f"unknown action code {leg.act} {when}")
    return extra_W


def _replay_quanta(env: TraverseEnvironment, rover: Rover, st: _Replay, leg: _Leg, extra_W: float) -> None:
    """Replay the battery and the runs without Earth / Sun over the quanta of ``leg``, noting violations."""
    a, b, q = leg.a, leg.b, st.quantum_s
    for kk in range(leg.k0, leg.k1):
        s = min(kk // st.n_sub, st.nt - 1)
        if kk >= st.nt * st.n_sub:
            st.violations.append(f"the route runs past the end of the period at quantum {kk}")
            break
        f = min(float(env.sun_fraction[s][a]), float(env.sun_fraction[s][b]))
        p_in = min(
            float(rover.solar_power_W(env.sun_fraction[s][a], env.sun_elevation_deg[s][a], env.sun_distance_au[s])),
            float(rover.solar_power_W(env.sun_fraction[s][b], env.sun_elevation_deg[s][b], env.sun_distance_au[s])),
        )
        lit = f > 0.0
        p_out = rover.hotel_W + extra_W + (0.0 if lit else rover.heater_W)
        st.battery = min(rover.battery_Wh, st.battery + (p_in - p_out) * q / 3600.0)
        st.trace.append(st.battery)
        if st.battery < st.reserve - _TOL_WH:
            st.violations.append(f"battery {st.battery:.2f} Wh below the reserve {st.reserve:.2f} Wh at quantum {kk}")
        earth = bool(env.earth_visible[s][a] and env.earth_visible[s][b])
        st.blackout = 0.0 if earth else st.blackout + q / 3600.0
        st.shadow = 0.0 if lit else st.shadow + q / 3600.0
        st.worst_blackout = max(st.worst_blackout, st.blackout)
        st.worst_shadow = max(st.worst_shadow, st.shadow)
        if st.blackout > rover.max_blackout_h + 1e-9:
            st.violations.append(f"{st.blackout:.2f} h without Earth in view at quantum {kk}")
        if st.shadow > rover.shadow_limit_h + 1e-9:
            st.violations.append(f"{st.shadow:.2f} h in shadow at quantum {kk}")


def _goal_violations(plan: TraversePlan, env: TraverseEnvironment, end: tuple[int, int], stage: int) -> list[str]:
    """What is wrong with a feasible plan's ending at cell ``end`` with ``stage`` stations drilled."""
    out = []
    goal = plan.waypoints[-1]
    if env.cell_of(goal["lat_deg"], goal["lon_deg"]) != end:
        out.append("the route does not end at the goal")
    if stage != len(plan.waypoints) - 1:
        out.append("the route skips a station")
    return out


def _first_of_each_kind(violations: list[str]) -> list[str]:
    """The first message of each kind of violation (the kind leaves out measured values and the place)."""
    # one message per kind is enough to read; keep the first of each (the kind leaves out measured values, so
    # a battery below the reserve for 50 quanta is one line, not 50)
    seen: set[str] = set()
    unique = []
    for text in violations:
        kind = _DECIMAL.sub("#", text.split(" at quantum")[0].split(" (")[0])[:40]
        if kind not in seen:
            seen.add(kind)
            unique.append(text)
    return unique


def check_plan(plan: TraversePlan, env: TraverseEnvironment, rover: Rover | None = None) -> PlanCheck:
    """Replay ``plan`` quantum by quantum and check every constraint of the rover.

    Checks: moves go between 8-neighbours and last at least the driving time at the rover's speed on the two
    cells' slopes; no cell touched is steeper than ``slope_max_deg``; the battery never falls below the reserve
    (solar input of the worse of the two cells during a move, hotel + drive + heater in shadow + drill); the time
    without Earth in view and the time in shadow never exceed the limits; the stations are reached in order
    and drilled for their dwell (the stage is replayed from the drill actions, not taken from the plan); the
    route ends at the goal within the period.

    Parameters
    ----------
    plan : TraversePlan
    env : TraverseEnvironment
        The environment the plan was made for.
    rover : Rover, optional
        Default: the plan's rover.
    """
    rover = plan.rover if rover is None else rover
    v = plan.vertices
    rows, cols, ks, actions, stages = v["row"], v["col"], v["k"], v["action"], v["stage"]
    q = float(plan.quantum_s)
    n_sub = int(round(env.step_s / q))
    nt = env.time_utc.size
    res = env.res_m
    if rows.size == 0 or actions[0] != ACTION_START or ks[0] != 0:
        return PlanCheck(False, ["the route does not start with a start state at the first instant"])
    battery = rover.battery_Wh * rover.initial_state_of_charge
    reserve = rover.battery_Wh * rover.min_state_of_charge
    max_slope = float(env.slope_deg[rows[0], cols[0]])
    st = _Replay(q, n_sub, nt, res, battery, reserve, max_slope, trace=[battery])
    for idx in range(1, rows.size):
        a, b = (int(rows[idx - 1]), int(cols[idx - 1])), (int(rows[idx]), int(cols[idx]))
        k0, k1 = int(ks[idx - 1]), int(ks[idx])
        leg = _Leg(a, b, k0, k1, int(actions[idx]), f"at quantum {k0} ({a} -> {b})")
        if k1 < k0:
            st.violations.append(f"time goes backwards {leg.when}")
            continue
        extra_W = _leg_power_W(plan, env, rover, st, leg)
        if int(stages[idx]) != st.stage:
            st.violations.append(
                f"the plan's stage disagrees with its drills (plan {int(stages[idx])}, replay {st.stage}) {leg.when}"
            )
        _replay_quanta(env, rover, st, leg, extra_W)
    if plan.feasible:
        st.violations += _goal_violations(plan, env, (int(rows[-1]), int(cols[-1])), st.stage)
    battery_trace = np.asarray(st.trace)
    return PlanCheck(
        ok=not st.violations,
        violations=_first_of_each_kind(st.violations),
        min_battery_Wh=float(battery_trace.min()),
        longest_blackout_h=st.worst_blackout,
        longest_shadow_h=st.worst_shadow,
        max_slope_deg=st.max_slope,
        battery_Wh=battery_trace,
    )
