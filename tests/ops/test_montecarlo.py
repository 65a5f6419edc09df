"""Monte Carlo of the campaign: the binomial interval, battery sensitivity, reproducibility, bad input.

References: the exact binomial (Clopper-Pearson) interval against scipy.stats.binomtest's
``proportion_ci(method="exact")`` (an independent implementation); the direction of the battery effect is the
issue's stated property (fixed seed set, synthetic world with 170 h nights where the battery decides survival).
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
from scipy.stats import binomtest

from lupex.errors import InputError
from lupex.ops.montecarlo import Uncertainty, binomial_interval, monte_carlo, one_run
from tests.ops.test_campaign import _inputs

UNC = Uncertainty(battery_fade_max=0.3, panel_efficiency_sd=0.1, speed_sd=0.1)


@pytest.mark.parametrize(("k", "n"), [(0, 20), (17, 20), (20, 20), (160, 200), (3, 7)])
def test_interval_is_the_exact_binomial_one(k: int, n: int) -> None:
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert binomial_interval(k, n) == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_interval_shrinks_as_n_grows() -> None:
    widths = [np.subtract(*binomial_interval(int(0.8 * n), n)[::-1]) for n in (10, 40, 160, 640)]
    assert all(a > b for a, b in itertools.pairwise(widths))
    assert widths[-1] < 0.07


def test_p_success_falls_with_half_the_battery_and_rises_with_twice() -> None:
    p = {}
    for battery in (1500.0, 3000.0, 6000.0):
        inp = _inputs(lit_h=40.0, period_h=210.0, days=15.0, battery_Wh=battery, faults=True)
        p[battery] = monte_carlo(inp, 24, seed=0, workers=1, uncertainty=UNC).p_success
    assert p[1500.0] < p[3000.0] < p[6000.0], p


def test_runs_are_reproducible_and_independent_of_the_workers() -> None:
    inp = _inputs(lit_h=40.0, period_h=120.0, days=6.0, faults=True)
    calls: list[int] = []
    one = monte_carlo(inp, 6, seed=11, workers=1, uncertainty=UNC, progress=calls.append)
    two = monte_carlo(inp, 6, seed=11, workers=2, uncertainty=UNC)
    assert [r.seed for r in one.runs] == list(range(11, 17)) and len(calls) == 6
    assert one.runs == two.runs and one.p_success == two.p_success
    assert one_run(inp, UNC, 13) == one.runs[2]
    assert {r.parameters["battery_capacity_factor"] for r in one.runs} != {1.0}  # parameters were drawn
    assert all(abs(r.energy_closure_error_Wh) < 1e-6 for r in one.runs)


def test_touchdowns_add_an_approach_drive() -> None:
    inp = _inputs(lit_h=300.0, period_h=400.0, days=2.0, n_stations=0)
    far = Uncertainty(0.0, 0.0, 0.0, np.array([[300.0, 400.0]]), faults=False)
    r = one_run(inp, far, 1)
    assert r.km == pytest.approx(0.5) and r.parameters["touchdown_distance_m"] == pytest.approx(500.0)


def test_bad_runs_and_workers(caplog) -> None:
    inp = _inputs(days=1.0)
    with pytest.raises(InputError, match="runs must be"):
        monte_carlo(inp, 0)
    with pytest.raises(InputError, match="workers must be"):
        monte_carlo(inp, 2, workers=0)
    with caplog.at_level(logging.WARNING, logger="lupex.ops.montecarlo"):
        res = monte_carlo(inp, 1, workers=10_000)
    assert "workers asked for" in caplog.text and len(res.runs) == 1
    with pytest.raises(InputError):
        binomial_interval(3, 0)
