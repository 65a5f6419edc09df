"""Static case against scikit-image: constant sunlight and Earth in view, a battery that never binds.

Then the earliest arrival is the least travel time, and the planner's travel-time model (the trapezoid rule on
the slowness ``1 / v`` of the two cells of each 8-neighbour step) is scikit-image ``graph.MCP_Geometric`` on
the cost surface ``res / v`` [s per cell]. The planner rounds each move up to whole quanta (1 s here), so its
time lies between the MCP cost and the MCP cost plus one second per move.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lupex.traverse import plan_traverse
from tests.traverse.scenes import latlon_of, random_scene, small_rover

skimage_graph = pytest.importorskip("skimage.graph")

ONE_S = 1.0


@settings(max_examples=10)
@given(seed=st.integers(0, 10**6))
def test_static_route_time_equals_mcp_geometric(seed):
    n = 24
    env = random_scene(seed, n, 48, lit_p=1.0, earth_p=1.0)  # 8 h: longer than any route
    rng = np.random.default_rng(seed)
    env.slope_deg[:] = rng.uniform(0.0, 19.0, size=(n, n))
    env.sun_fraction[:] = 1.0
    env.earth_visible[:] = True
    rover = small_rover(battery_Wh=1e6, max_blackout_h=1.0)
    speed = rover.speed_on_slope_m_s(env.slope_deg)
    costs = env.res_m / speed  # seconds to cross one cell
    a = (int(rng.integers(n)), 0)
    b = (int(rng.integers(n)), n - 1)
    mcp = skimage_graph.MCP_Geometric(costs, fully_connected=True)
    cumulative, _ = mcp.find_costs([a], [b])
    ref_s = float(cumulative[b])
    plan = plan_traverse(env, latlon_of(env, *a), latlon_of(env, *b), rover=rover, quantum_s=ONE_S, exact=True)
    assert plan.feasible, plan.reason
    planner_s = plan.cost * 3600.0
    n_moves = int((np.diff(plan.vertices["k"]) > 0).sum())
    assert ref_s - 1e-6 <= planner_s <= ref_s + n_moves * ONE_S + 1e-6
