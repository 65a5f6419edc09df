"""Planner optimality and plan validity on random small scenes.

Reference: :func:`tests.traverse.scenes.brute_force_cost`, a Dijkstra over the full time-expanded state graph
(every battery level and clock value, no heuristic, no pruning) written from the model's description. The
exact planner (``exact=True``) must reach the same cost; every plan either mode returns must pass the
independent replay :func:`lupex.traverse.check_plan`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lupex.traverse import check_plan, plan_inputs, plan_traverse
from tests.traverse.scenes import brute_force_cost, latlon_of, random_scene, small_rover

COST_TOL_H = 1e-9


def _points(env, seed: int, n_via: int) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed + 7)
    ok = np.argwhere(env.slope_deg <= 20.0)
    picks = ok[rng.choice(len(ok), size=2 + n_via, replace=len(ok) < 2 + n_via)]
    return [(int(i), int(j)) for i, j in picks]


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(4, 8),
    nt=st.integers(3, 10),
    n_via=st.integers(0, 1),
    objective=st.sampled_from(["time", "energy", "weighted"]),
)
def test_exact_planner_cost_equals_brute_force(seed, n, nt, n_via, objective):
    env = random_scene(seed, n, nt)
    rover = small_rover()
    pts = _points(env, seed, n_via)
    start, *via, goal = [latlon_of(env, i, j) for i, j in pts]
    plan = plan_traverse(env, start, goal, via=via, rover=rover, objective=objective, exact=True)
    inp = plan_inputs(env, rover, objective=objective)
    cells = [i * n + j for i, j in pts]
    dwell = [math.ceil(rover.drill_dwell_h * 3600.0 / inp.quantum_s - 1e-9)] * n_via + [0]
    ref = brute_force_cost(inp, cells[0], cells[1:], dwell)
    assert plan.feasible == (ref is not None), plan.reason
    if ref is not None:
        assert plan.cost == pytest.approx(ref, abs=COST_TOL_H)
        check = check_plan(plan, env)
        assert check.ok, check.violations
        # the planner's battery bookkeeping is conservative: never above the replayed charge
        assert np.all(plan.steps["battery_Wh"] <= check.battery_Wh + 1e-9)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(5, 12), nt=st.integers(4, 16), n_via=st.integers(0, 2))
def test_every_plan_passes_the_independent_replay(seed, n, nt, n_via):
    """Default (bucketed) mode: plans replay clean and are never better than the exact optimum; the partial route
    of a failed search replays clean too and the reason names a constraint."""
    env = random_scene(seed, n, nt, lit_p=0.7)
    rover = small_rover(battery_Wh=60.0, max_blackout_h=1.0)
    pts = _points(env, seed, n_via)
    start, *via, goal = [latlon_of(env, i, j) for i, j in pts]
    plan = plan_traverse(env, start, goal, via=via, rover=rover)
    if plan.feasible:
        check = check_plan(plan, env)
        assert check.ok, check.violations
        exact = plan_traverse(env, start, goal, via=via, rover=rover, exact=True)
        assert exact.feasible
        assert plan.cost >= exact.cost - COST_TOL_H
    else:
        binding = plan.reason.split(":")[0]
        assert binding in ("slope", "battery", "earth_blackout", "shadow", "time_horizon"), plan.reason
        # the best partial route is made of states the search accepted: it breaks no constraint either
        check = check_plan(plan, env)
        assert check.ok, check.violations


def test_infeasible_plan_names_the_binding_constraint():
    """A goal beyond a band that stays dark for the whole period: the battery (or shadow) limit cuts every route."""
    env = random_scene(3, 9, 8, lit_p=1.0, earth_p=1.0)
    env.sun_fraction[:, :, 4] = 0.0
    env.slope_deg[:] = 2.0
    rover = small_rover(battery_Wh=10.0)
    plan = plan_traverse(env, latlon_of(env, 4, 0), latlon_of(env, 4, 8), rover=rover, exact=True)
    assert not plan.feasible
    assert plan.reason.split(":")[0] in ("battery", "shadow")
    assert "best partial route" in plan.reason
    # the partial route stops on the lit side
    assert plan.vertices["col"][-1] < 4
