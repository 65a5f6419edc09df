"""The independent replay :func:`lupex.traverse.check_plan` rejects broken plans, each with the right violation.

The tests that replay planner output only show that good plans pass; a replay that accepted everything would
pass them too. Here one good plan on a small, fully lit scene with Earth always in view is broken in one way at
a time (by editing its route, or by replaying it against a sky or terrain it was not made for), and the replay
must name exactly that fault.

Scene: 5 x 5 cells of 20 m, 2-degree slopes, 10-minute sky steps. Rover: ``small_rover()`` (40 Wh, reserve
8 Wh, 0.05 m/s, 0.5 h blackout limit, 400 s dwell); quantum 200 s. The good plan (start (0, 0), station
(2, 2), goal (0, 4)) drives two diagonal steps (3 quanta each: 20 sqrt(2) m / 0.05 m/s = 566 s), drills 2
quanta, and drives two more diagonal steps.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from lupex.core.traverse import ACTION_DRILL, ACTION_MOVE, ACTION_START, ACTION_WAIT
from lupex.traverse import check_plan, plan_traverse
from tests.traverse.scenes import latlon_of, random_scene, small_rover

GOOD_ROUTE = {
    "row": [0, 1, 2, 2, 1, 0, 0],
    "col": [0, 1, 2, 2, 3, 4, 4],
    "k": [0, 3, 6, 8, 11, 14, 14],
    "stage": [0, 0, 0, 1, 1, 1, 2],
    "action": [ACTION_START, ACTION_MOVE, ACTION_MOVE, ACTION_DRILL, ACTION_MOVE, ACTION_MOVE, ACTION_DRILL],
}


def _scene():
    env = random_scene(1, 5, 12, lit_p=1.0, earth_p=1.0)
    env.slope_deg[:] = 2.0
    env.sun_fraction[:] = 1.0
    env.earth_visible[:] = True
    rover = small_rover()
    plan = plan_traverse(env, latlon_of(env, 0, 0), latlon_of(env, 0, 4), via=[latlon_of(env, 2, 2)], rover=rover)
    return env, rover, plan


@pytest.fixture()
def scene():
    """A fresh scene and plan for every test: the cases below edit them."""
    return _scene()


def _with_route(plan, **changes):
    route = {key: np.array(val, dtype=np.int64) for key, val in GOOD_ROUTE.items()}
    for key, val in changes.items():
        route[key] = np.array(val, dtype=np.int64)
    return dataclasses.replace(plan, vertices=route)


def test_the_good_plan_is_the_expected_route_and_replays_clean(scene):
    env, rover, plan = scene
    assert plan.feasible, plan.reason
    assert plan.quantum_s == 200.0
    assert {key: val.tolist() for key, val in plan.vertices.items()} == GOOD_ROUTE
    check = check_plan(plan, env)
    assert check.ok and check.violations == []
    assert check.max_slope_deg == 2.0
    assert check.longest_blackout_h == 0.0 and check.longest_shadow_h == 0.0
    assert check.battery_Wh.size == 15 and check.min_battery_Wh == rover.battery_Wh  # full sun: never drawn down


def _teleport(env, rover, plan):
    # (0, 0) -> (2, 2) in one drive of 6 quanta: slow enough for the distance, but not a neighbouring cell
    bad = _with_route(
        plan,
        row=[0, 2, 2, 1, 0, 0],
        col=[0, 2, 2, 3, 4, 4],
        k=[0, 6, 8, 11, 14, 14],
        stage=[0, 0, 1, 1, 1, 2],
        action=[ACTION_START, ACTION_MOVE, ACTION_DRILL, ACTION_MOVE, ACTION_MOVE, ACTION_DRILL],
    )
    return bad, env, None


def _too_fast(env, rover, plan):
    # the first diagonal step in one quantum (200 s) instead of the 566 s it takes
    return _with_route(plan, k=[0, 1, 6, 8, 11, 14, 14]), env, None


def _too_steep(env, rover, plan):
    env.slope_deg[1, 1] = 25.0  # beyond slope_max_deg = 20: the route crosses it
    return plan, env, None


def _battery(env, rover, plan):
    # the same route in dim light (0.1 % of the disk: about 0.6 W from the array, still "lit"): driving draws
    # ~199 W, so the 32 Wh above the reserve are gone within the third quantum (3 x 199 W x 200 s = 33 Wh)
    env.sun_fraction[:] = 0.001
    return plan, env, None


def _blackout(env, rover, plan):
    # Earth hidden everywhere: the 0.5 h limit (9 quanta) is passed in the 10th quantum of the route
    env.earth_visible[:] = False
    return plan, env, None


def _shadow(env, rover, plan):
    # dark everywhere, with a battery large enough that only the shadow limit (0.5 h) binds
    env.sun_fraction[:] = 0.0
    return plan, env, small_rover(battery_Wh=1.0e4, max_shadow_h=0.5)


def _skipped_drill(env, rover, plan):
    # the drilling at the station replaced by waiting (stage column left as it was): the station is not drilled
    return _with_route(plan, action=[*GOOD_ROUTE["action"][:3], ACTION_WAIT, *GOOD_ROUTE["action"][4:]]), env, None


def _short_dwell(env, rover, plan):
    # drills 1 quantum (200 s) where 400 s are asked
    return _with_route(plan, k=[0, 3, 6, 7, 10, 13, 13]), env, None


def _moves_while_waiting(env, rover, plan):
    return _with_route(plan, action=[ACTION_START, ACTION_WAIT, *GOOD_ROUTE["action"][2:]]), env, None


def _stops_short(env, rover, plan):
    cut = {key: val[:5] for key, val in GOOD_ROUTE.items()}  # ends at (1, 3), one step before the goal
    return _with_route(plan, **cut), env, None


CASES = {
    "teleport": (_teleport, ["a drive that is not a step to a neighbouring cell at quantum 0 ((0, 0) -> (2, 2))"]),
    "too fast": (_too_fast, ["drive faster than the rover's speed (566 s needed) at quantum 0 ((0, 0) -> (1, 1))"]),
    "too steep": (_too_steep, ["drive over ground steeper than 20 deg at quantum 0 ((0, 0) -> (1, 1))"]),
    "battery": (_battery, ["battery 6.9", "below the reserve 8.00 Wh at quantum 2"]),
    "blackout": (_blackout, ["0.56 h without Earth in view at quantum 9"]),
    "shadow": (_shadow, ["0.56 h in shadow at quantum 9"]),
    "skipped drill": (  # the goal's zero-length drill is then taken for the station's: wrong place, too short
        _skipped_drill,
        [
            "the plan's stage disagrees with its drills (plan 1, replay 0) at quantum 6 ((2, 2) -> (2, 2))",
            "drilling away from station 1 at quantum 14 ((0, 4) -> (0, 4))",
            "dwell at station 1 shorter than 0.111",
            "the route skips a station",
        ],
    ),
    "short dwell": (_short_dwell, ["dwell at station 1 shorter than 0.111"]),
    "moves while waiting": (_moves_while_waiting, ["the rover moves while waiting or drilling at quantum 0"]),
    "stops short": (_stops_short, ["the route does not end at the goal", "the route skips a station"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_plan_is_rejected_with_the_right_violation(scene, case):
    env, rover, plan = scene
    breaker, expected = CASES[case]
    bad_plan, bad_env, bad_rover = breaker(env, rover, plan)
    check = check_plan(bad_plan, bad_env, bad_rover)
    assert not check.ok
    if case == "battery":  # one violation, whose value is only known to about 0.1 Wh
        assert len(check.violations) == 1, check.violations
        assert check.violations[0].startswith(expected[0]) and check.violations[0].endswith(expected[1])
        assert check.min_battery_Wh < 0.2 * rover.battery_Wh
        return
    assert len(check.violations) == len(expected), check.violations
    for got, want in zip(check.violations, expected, strict=True):
        assert got.startswith(want), check.violations


def test_replay_numbers_of_the_broken_plans(scene):
    """The replay's summary numbers, against values worked out by hand from the scene."""
    env, rover, plan = scene
    steep = env.slope_deg.copy()
    steep[1, 1] = 25.0
    check = check_plan(plan, dataclasses.replace(env, slope_deg=steep))
    assert check.max_slope_deg == 25.0
    hidden = dataclasses.replace(env, earth_visible=np.zeros_like(env.earth_visible))
    check = check_plan(plan, hidden)
    assert check.longest_blackout_h == pytest.approx(14 * 200.0 / 3600.0)  # the whole 14-quantum route
    assert check.longest_shadow_h == 0.0
    assert math.isclose(check.min_battery_Wh, rover.battery_Wh)
