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
    violations: list[str] = []
    if rows.size == 0 or actions[0] != ACTION_START or ks[0] != 0:
        return PlanCheck(False, ["the route does not start with a start state at the first instant"])
    battery = rover.battery_Wh * rover.initial_state_of_charge
    reserve = rover.battery_Wh * rover.min_state_of_charge
    trace = [battery]
    blackout = shadow = 0.0
    worst_blackout = worst_shadow = 0.0
    max_slope = float(env.slope_deg[rows[0], cols[0]])
    stage = 0  # stations drilled so far, replayed from the drill actions (the plan's stage column is checked)
    for idx in range(1, rows.size):
        a, b = (int(rows[idx - 1]), int(cols[idx - 1])), (int(rows[idx]), int(cols[idx]))
        k0, k1 = int(ks[idx - 1]), int(ks[idx])
        act = int(actions[idx])
        when = f"at quantum {k0} ({a} -> {b})"
        if k1 < k0:
            violations.append(f"time goes backwards {when}")
            continue
        di, dj = abs(a[0] - b[0]), abs(a[1] - b[1])
        slope_a, slope_b = float(env.slope_deg[a]), float(env.slope_deg[b])
        extra_W = 0.0
        if act == ACTION_MOVE:
            if max(di, dj) != 1:
                violations.append(f"a drive that is not a step to a neighbouring cell {when}")
            speed_a, speed_b = rover.speed_on_slope_m_s([slope_a, slope_b])
            if speed_a <= 0 or speed_b <= 0:
                violations.append(f"drive over ground steeper than {rover.slope_max_deg:g} deg {when}")
            else:
                need_s = math.hypot(di, dj) * res * 0.5 * (1 / speed_a + 1 / speed_b)
                if (k1 - k0) * q < need_s - 1e-6:
                    violations.append(f"drive faster than the rover's speed ({need_s:.0f} s needed) {when}")
            extra_W = float(rover.drive_power_W(max(slope_a, slope_b)))
            max_slope = max(max_slope, slope_a, slope_b)
        elif act in (ACTION_WAIT, ACTION_DRILL):
            if a != b:
                violations.append(f"the rover moves while waiting or drilling {when}")
            if act == ACTION_DRILL:
                violations += _drill_violations(plan, env, stage, a, (k1 - k0) * q, when)
                stage += 1
                extra_W = rover.drill_W
        else:
            violations.append(f"unknown action code {act} {when}")
        if int(stages[idx]) != stage:
            violations.append(
                f"the plan's stage disagrees with its drills (plan {int(stages[idx])}, replay {stage}) {when}"
            )
        for kk in range(k0, k1):
            s = min(kk // n_sub, nt - 1)
            if kk >= nt * n_sub:
                violations.append(f"the route runs past the end of the period at quantum {kk}")
                break
            f = min(float(env.sun_fraction[s][a]), float(env.sun_fraction[s][b]))
            p_in = min(
                float(rover.solar_power_W(env.sun_fraction[s][a], env.sun_elevation_deg[s][a], env.sun_distance_au[s])),
                float(rover.solar_power_W(env.sun_fraction[s][b], env.sun_elevation_deg[s][b], env.sun_distance_au[s])),
            )
            lit = f > 0.0
            p_out = rover.hotel_W + extra_W + (0.0 if lit else rover.heater_W)
            battery = min(rover.battery_Wh, battery + (p_in - p_out) * q / 3600.0)
            trace.append(battery)
            if battery < reserve - _TOL_WH:
                violations.append(f"battery {battery:.2f} Wh below the reserve {reserve:.2f} Wh at quantum {kk}")
            earth = bool(env.earth_visible[s][a] and env.earth_visible[s][b])
            blackout = 0.0 if earth else blackout + q / 3600.0
            shadow = 0.0 if lit else shadow + q / 3600.0
            worst_blackout = max(worst_blackout, blackout)
            worst_shadow = max(worst_shadow, shadow)
            if blackout > rover.max_blackout_h + 1e-9:
                violations.append(f"{blackout:.2f} h without Earth in view at quantum {kk}")
            if shadow > rover.shadow_limit_h + 1e-9:
                violations.append(f"{shadow:.2f} h in shadow at quantum {kk}")
    if plan.feasible:
        goal = plan.waypoints[-1]
        if env.cell_of(goal["lat_deg"], goal["lon_deg"]) != (int(rows[-1]), int(cols[-1])):
            violations.append("the route does not end at the goal")
        if stage != len(plan.waypoints) - 1:
            violations.append("the route skips a station")
    # one message per kind is enough to read; keep the first of each (the kind leaves out measured values, so
    # a battery below the reserve for 50 quanta is one line, not 50)
    seen: set[str] = set()
    unique = []
    for text in violations:
        kind = _DECIMAL.sub("#", text.split(" at quantum")[0].split(" (")[0])[:40]
        if kind not in seen:
            seen.add(kind)
            unique.append(text)
    battery_trace = np.asarray(trace)
    return PlanCheck(
        ok=not violations,
        violations=unique,
        min_battery_Wh=float(battery_trace.min()),
        longest_blackout_h=worst_blackout,
        longest_shadow_h=worst_shadow,
        max_slope_deg=max_slope,
        battery_Wh=battery_trace,
    )
