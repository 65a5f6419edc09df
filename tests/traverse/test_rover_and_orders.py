"""Rover model (closed forms, refusals, provenance) and station ordering."""

from __future__ import annotations

import itertools
import math

import pytest

from lupex.defaults import default
from lupex.errors import InputError
from lupex.traverse import Rover, plan_traverse
from tests.traverse.scenes import latlon_of, random_scene, small_rover

ONE_W = 1.0


def test_power_closed_forms():
    r = Rover()
    s0 = default("solar_constant_W_m2")
    # vertical array facing the Sun: area * efficiency * S0 * cos(elevation) at 1 au (mission-facts.md 1.7)
    assert float(r.solar_power_W(1.0, 0.0)) == pytest.approx(1.5 * 0.30 * s0, abs=ONE_W)
    assert float(r.solar_power_W(0.5, 60.0, 2.0)) == pytest.approx(1.5 * 0.30 * s0 * 0.5 * 0.5 / 4.0, abs=ONE_W)
    # climbing: drive_W + m g v sin(slope) / efficiency, half speed beyond the nominal slope
    grade = 350.0 * 1.62 * 0.05 * math.sin(math.radians(10.0)) / 0.5
    assert float(r.drive_power_W(10.0)) == pytest.approx(137.0 + grade, abs=ONE_W)
    assert float(r.speed_on_slope_m_s(18.0)) == pytest.approx(0.025)
    assert float(r.speed_on_slope_m_s(25.0)) == 0.0
    # shadow limit from battery and heaters when not given
    assert r.shadow_limit_h == pytest.approx(3000 * 0.8 / (60 + 50))


def test_rover_refuses_bad_parameters_and_reports_placeholders():
    with pytest.raises(InputError, match="unknown rover parameter"):
        Rover.with_overrides(wheels=6)
    with pytest.raises(InputError, match="battery_Wh"):
        Rover(battery_Wh=-1.0)
    with pytest.raises(InputError, match="slope"):
        Rover(slope_nominal_deg=25.0, slope_max_deg=20.0)
    with pytest.raises(InputError, match="panel"):
        Rover(panel="sideways")  # type: ignore[arg-type]
    r = Rover.with_overrides(battery_Wh=2000.0)
    rows = {row["name"]: row for row in r.provenance()}
    assert rows["battery_Wh"]["confidence"] == "user"
    assert rows["mass_kg"]["confidence"] == "published"
    assert "speed_m_s" in r.placeholders_used() and "battery_Wh" not in r.placeholders_used()


def test_best_order_matches_the_best_permutation():
    env = random_scene(11, 7, 36, lit_p=0.8, earth_p=0.9)
    env.slope_deg[env.slope_deg > 20] = 2.0
    rover = small_rover(battery_Wh=200.0, max_blackout_h=1.0)
    start, goal = latlon_of(env, 0, 0), latlon_of(env, 6, 6)
    stations = [latlon_of(env, 0, 6), latlon_of(env, 6, 0), latlon_of(env, 3, 3)]
    best = plan_traverse(env, start, goal, via=stations, rover=rover, order="best", n_orders=6, exact=True)
    costs = []
    for perm in itertools.permutations(stations):
        p = plan_traverse(env, start, goal, via=list(perm), rover=rover, exact=True)
        costs.append(p.cost if p.feasible else math.inf)
    assert best.feasible
    assert best.cost == pytest.approx(min(costs), abs=1e-9)
    assert len(best.search["order"]) == 3


def test_points_off_limits_are_refused():
    env = random_scene(5, 6, 4)
    env.slope_deg[2, 2] = 30.0
    with pytest.raises(InputError, match="steeper"):
        plan_traverse(env, latlon_of(env, 2, 2), latlon_of(env, 0, 0), rover=small_rover())
    with pytest.raises(InputError, match="outside the map window"):
        plan_traverse(env, (-80.0, 0.0), latlon_of(env, 0, 0), rover=small_rover())
    with pytest.raises(InputError, match="objective"):
        plan_traverse(env, latlon_of(env, 0, 0), latlon_of(env, 1, 1), objective="fastest")  # type: ignore[arg-type]
