"""The descent as CZML: it ends on the site, starts at the guidance's initial state, times match the solution."""

from __future__ import annotations

import math

import pytest

from lupex.flight.export import descent_czml
from lupex.flight.guidance import lunar_terminal_descent_problem, solve_descent
from lupex.terrain.projection import latlon_to_xy


def test_descent_czml_lands_on_the_site():
    problem = lunar_terminal_descent_problem()
    sol = solve_descent(problem, 65.0, n_nodes=40)
    assert sol.feasible
    czml = descent_czml(sol, -89.45, 222.5, 1944.8, "2028-01-01T00:00:00Z")
    samples = czml[1]["position"]["cartographicDegrees"]
    t_end, lon_end, lat_end, h_end = samples[-4:]
    assert t_end == pytest.approx(65.0, abs=1e-3)
    assert lat_end == pytest.approx(-89.45, abs=1e-6) and (lon_end % 360.0) == pytest.approx(222.5, abs=1e-4)
    assert h_end == pytest.approx(1944.8, abs=0.05)  # on the ground (to the solver's landing tolerance)
    _, lon0, lat0, h0 = samples[:4]
    assert h0 == pytest.approx(1944.8 + float(sol.r_m[0, 0]), abs=0.01)
    # the horizontal start offset on the ground equals the guidance's initial horizontal distance
    x0, y0 = latlon_to_xy(lat0, lon0)
    xs, ys = latlon_to_xy(-89.45, 222.5)
    assert math.hypot(x0 - xs, y0 - ys) == pytest.approx(math.hypot(sol.r_m[0, 1], sol.r_m[0, 2]), abs=0.5)
    assert czml[0]["clock"]["interval"].startswith("2028-01-01T00:00:00Z/")
