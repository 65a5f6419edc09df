"""Traverse planning on the bundled connecting-ridge DEM (PGDA Site01, 10 m; Barker et al. 2021, PSS 203).

Scenario: two weeks from 2027-12-29, while Earth is above the horizon at the pole (its elevation at
89.45 S peaks near 6 deg on 2028-01-07 and sets about 2028-01-12) and the Sun skims the horizon (0-0.6 deg), so
shadows sweep the ridge. A rover with a 1.8 kWh battery (below the 2-4 kWh placeholder sweep of
mission-facts.md 1.7, so that darkness binds) drives from a sunlit point on the ridge to a cell that stays dark
for the whole fortnight, drills 4 h there and comes back.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lupex.core.traverse import ACTION_WAIT
from lupex.terrain import builtin_dem
from lupex.traverse import Rover, check_plan, plan_traverse, traverse_environment, window_around

START = (-89.48493528299389, 220.8460023789357)
PSR_EDGE = (-89.477186849035, 223.2619732681872)


@pytest.fixture(scope="module")
def scene():
    dem = builtin_dem("connecting_ridge_10m")
    win = window_around(dem, [START, PSR_EDGE], 500.0)
    env = traverse_environment(dem, "2027-12-29", "2028-01-12", "1h", window=win, n_azimuth=90)
    rover = Rover.with_overrides(battery_Wh=1800.0)
    plan = plan_traverse(env, START, START, via=[(*PSR_EDGE, 4.0)], rover=rover)
    return env, rover, plan


def test_round_trip_to_a_dark_cell_is_found_and_replays_clean(scene):
    env, _, plan = scene
    assert plan.feasible, plan.reason
    gi, gj = env.cell_of(*PSR_EDGE)
    assert env.sun_fraction[:, gi, gj].max() == 0.0  # dark for the whole fortnight
    si, sj = env.cell_of(*START)
    assert env.sun_fraction[0, si, sj] > 0.5  # the start is sunlit
    check = check_plan(plan, env)
    assert check.ok, check.violations
    s = plan.summary()
    assert s["drill_h"] == pytest.approx(4.0, abs=0.05)
    assert plan.steps["action"][-1] in ("drive", "drill", "wait")
    assert env.cell_of(float(plan.steps["lat_deg"][-1]), float(plan.steps["lon_deg"][-1])) == (si, sj)


def test_plan_waits_out_darkness_instead_of_driving_through_it(scene):
    env, _, plan = scene
    s = plan.summary()
    assert s["wait_h"] >= 5.0
    # the same drives and drilling without the waits break the battery or shadow limit
    v = plan.vertices
    keep = v["action"] != ACTION_WAIT
    keep[0] = True
    durations = np.diff(v["k"])[keep[1:]]
    rushed = {key: val[keep] for key, val in v.items()}
    rushed["k"] = np.concatenate([[0], np.cumsum(durations)])
    check = check_plan(dataclasses.replace(plan, vertices=rushed), env)
    assert not check.ok
    assert any(text.startswith("battery") or "in shadow" in text for text in check.violations), check.violations
    # while it waits the rover sits in (partial) sunlight and recharges
    waiting = plan.steps["action"] == "wait"
    assert plan.steps["sun_fraction"][waiting].mean() > 0.2
    assert (plan.steps["power_in_W"][waiting] - plan.steps["power_out_W"][waiting]).sum() > 0.0
