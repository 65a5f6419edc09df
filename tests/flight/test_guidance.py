"""Powered descent guidance by lossless convexification (``lupex.flight.guidance``, ``lupex flight descent``).

Sources:

* [AP07] Acikmese, B. & Ploen, S. R. (2007), "Convex programming approach to powered descent guidance for Mars
  landing", J. Guidance, Control, and Dynamics 30(5), 1353-1366, Sec. V (numerical example): g = 3.7114 m/s2,
  wet 1905 kg, dry 1505 kg, Isp 225 s, six 3.1 kN engines canted 27 deg, throttle 0.3-0.8, r0 = (1500, 0, 2000) m
  (x up), v0 = (-75, 0, 100) m/s; minimum fuel 387.9 kg at t_f = 72 s (no state constraints) and 399.5 kg at
  t_f = 81 s with a 4 deg glide slope.
* [BAS10] Blackmore, L., Acikmese, B. & Scharf, D. P. (2010), "Minimum-landing-error powered-descent guidance
  for Mars landing using convex optimization", JGCD 33(4), 1161-1171: P3 then P4; fuel unimodal in t_f.

Tolerance on the paper's fuel: 1 % (about 4 kg). Our discretisation (80 equal intervals, zero-order hold) differs
from the paper's; refining it to 320 intervals moves the fuel by 0.24 kg (72 s) and 0.40 kg (81 s), to within
0.1 kg of the published values (see docs/models/gfold.md), so 1 % bounds discretisation plus Taylor-bound effects.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lupex.cli.flight_descent  # noqa: F401  (registers `lupex flight descent`)
from lupex.cli.main import main
from lupex.errors import InputError
from lupex.flight.guidance import (
    DescentProblem,
    Lander,
    acikmese_ploen_2007_problem,
    lunar_terminal_descent_problem,
    optimal_time_of_flight,
    solve_descent,
    time_of_flight_bounds_s,
)

MARS = acikmese_ploen_2007_problem()
MARS_GS4 = acikmese_ploen_2007_problem(glide_slope_deg=4.0)


@pytest.fixture(scope="module")
def mars72():
    return solve_descent(MARS, 72.0, 80)


@pytest.fixture(scope="module")
def mars81_gs4():
    return solve_descent(MARS_GS4, 81.0, 80)


def test_ap07_fuel_at_72_s_without_state_constraints(mars72):
    assert mars72.feasible and mars72.status == "optimal"
    assert mars72.fuel_kg == pytest.approx(387.9, rel=0.01)  # [AP07] Sec. V
    assert mars72.landing_error_m <= 0.01  # pinpoint: on the target within the 1 cm P3 -> P4 slack
    np.testing.assert_allclose(mars72.v_m_s[-1], 0.0, atol=1e-6)  # at rest at touchdown [m/s]
    assert mars72.r_m[-1, 0] == pytest.approx(0.0, abs=1e-6)
    assert mars72.r_m[:, 0].min() < -100.0  # without a glide slope the path dips below the surface, as in [AP07]


def test_ap07_fuel_at_81_s_with_4_deg_glide_slope(mars81_gs4):
    sol = mars81_gs4
    assert sol.feasible and sol.landing_error_m <= 0.01
    assert sol.fuel_kg == pytest.approx(399.5, rel=0.01)  # [AP07] Sec. V
    horizontal_m = np.hypot(sol.r_m[:, 1] - sol.r_m[-1, 1], sol.r_m[:, 2] - sol.r_m[-1, 2])
    assert np.all(sol.r_m[:, 0] >= math.tan(math.radians(4.0)) * horizontal_m - 1e-3)  # cone, 1 mm slack


@pytest.mark.parametrize("name", ["mars72", "mars81_gs4"])
def test_relaxation_is_lossless_and_thrust_within_bounds(name, request):
    sol = request.getfixturevalue(name)
    lander = MARS.lander
    # lossless convexification [AP07 Thm. 2]: |T_c| = Gamma on every node; 1e-3 relative covers solver accuracy
    # and min-thrust arcs of the discretised problem (documented in docs/models/gfold.md)
    assert sol.sigma_gap < 1e-3
    thrust = np.linalg.norm(sol.thrust_N, axis=1)
    assert thrust.min() >= lander.thrust_min_N * (1 - 1e-3)  # 5 N on 4972 N
    assert thrust.max() <= lander.thrust_max_N * (1 + 1e-6)
    assert np.all(np.diff(sol.mass_kg) <= 1e-9)


def test_fuel_constant_must_include_the_cant(mars81_gs4):
    # the trap: alpha = 1/(Isp g0) = 4.53e-4 s/m (no cos 27 deg) with the canted thrust bounds gives ~361 kg
    uncanted_isp = 225.0 / math.cos(math.radians(27.0))  # makes alpha_s_m = 1/(225 g0)
    lander = Lander(1905.0, 1505.0, uncanted_isp, 6, 3100.0, 0.3, 0.8, 27.0)
    assert lander.alpha_s_m == pytest.approx(4.53e-4, rel=1e-3)
    assert MARS.lander.alpha_s_m == pytest.approx(1.0 / (225.0 * 9.80665 * math.cos(math.radians(27.0))), rel=1e-12)
    trap = solve_descent(DescentProblem(lander, 3.7114, MARS.r0_m, MARS.v0_m_s, glide_slope_deg=4.0), 81.0, 80)
    assert trap.fuel_kg == pytest.approx(361.0, rel=0.01)
    assert mars81_gs4.fuel_kg - trap.fuel_kg > 30.0  # the cant costs ~38 kg: it matters


def test_time_of_flight_search_finds_the_minimum_fuel():
    lo, hi = time_of_flight_bounds_s(MARS_GS4)
    best = optimal_time_of_flight(MARS_GS4, lo, hi, 80)
    assert best.feasible and best.landing_error_m <= 0.01
    assert 72.0 < best.tf_s < 81.0  # the on-target window with the glide slope is ~75-81 s at 80 intervals
    for step_s in (-2.0, 2.0):  # coarse grid around the optimum [BAS10]: fuel no lower there (10 g slack)
        other = solve_descent(MARS_GS4, best.tf_s + step_s, 80)
        if other.feasible and other.landing_error_m <= 0.01:
            assert best.fuel_kg <= other.fuel_kg + 0.01
    assert best.fuel_kg <= 399.5  # no worse than the paper's 81 s case


def test_lunar_case_lands_on_target():
    problem = lunar_terminal_descent_problem()
    best = optimal_time_of_flight(problem, *time_of_flight_bounds_s(problem), 60)
    assert best.feasible and best.landing_error_m <= 0.01
    assert 0.0 < best.fuel_kg < 100.0  # within the 100 kg budget of the estimate
    up = best.thrust_N[:, 0] / np.linalg.norm(best.thrust_N, axis=1)
    assert up.min() >= math.cos(math.radians(30.0)) - 1e-6  # thrust-tilt limit


@pytest.mark.parametrize(
    ("kwargs", "tf_s", "binding"),
    [
        ({}, 20.0, "time_of_flight_short"),
        ({}, 150.0, "fuel"),
        ({"glide_slope_deg": 60.0}, 72.0, "glide_slope"),
        ({"pointing_max_deg": 5.0}, 72.0, "pointing"),
    ],
)
def test_infeasible_results_name_the_binding_constraint(kwargs, tf_s, binding):
    problem = DescentProblem(MARS.lander, 3.7114, MARS.r0_m, MARS.v0_m_s, **kwargs)
    sol = solve_descent(problem, tf_s, 40)
    assert not sol.feasible
    assert sol.binding_constraint == binding
    assert sol.message and "\n" not in sol.message
    assert math.isnan(sol.fuel_kg)


@pytest.mark.parametrize(
    ("make", "word"),
    [
        (lambda: Lander(1500.0, 1905.0, 225.0, 6, 3100.0, 0.3, 0.8, 27.0), "dry_mass_kg"),
        (lambda: Lander(1905.0, 1505.0, 225.0, 6, 3100.0, 0.8, 0.3, 27.0), "throttle_min"),
        (lambda: Lander(1905.0, 1505.0, -1.0, 6, 3100.0, 0.3, 0.8, 27.0), "isp_s"),
        (lambda: Lander(1905.0, 1505.0, 225.0, 6, 3100.0, 0.3, 0.8, 90.0), "cant_deg"),
        (lambda: DescentProblem(MARS.lander, 3.7114, MARS.r0_m, MARS.v0_m_s, glide_slope_deg=90.0), "glide_slope"),
        (lambda: DescentProblem(MARS.lander, 3.7114, MARS.r0_m, MARS.v0_m_s, max_speed_m_s=100.0), "max_speed"),
        (lambda: DescentProblem(MARS.lander, 10.0, MARS.r0_m, MARS.v0_m_s), "cannot hover"),
        (lambda: solve_descent(MARS, 72.0, 5), "n_nodes"),
        (lambda: solve_descent(MARS, 72.0, 2000), "n_nodes"),
        (lambda: solve_descent(MARS, -1.0), "tf_s"),
    ],
)
def test_bad_input_is_refused_in_one_line(make, word):
    with pytest.raises(InputError) as err:
        make()
    assert word in str(err.value) and "\n" not in str(err.value)


def run(capsys, *args):
    code = main(["flight", "descent", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_and_out_folder(capsys, tmp_path):
    code, out, err = run(capsys, "--tf-s", "72", "--nodes", "40", "--json", "--out", str(tmp_path / "d"))
    assert code == 0, err
    data = json.loads(out)
    assert {"fuel_kg", "tf_s", "feasible", "landing_error_m", "binding_constraint", "sigma_gap"} <= set(data)
    assert data["feasible"] is True and data["tf_s"] == 72.0
    assert data["fuel_kg"] == pytest.approx(387.9, rel=0.01)  # [AP07]
    names = {p.name for p in (tmp_path / "d").iterdir()}
    assert {"trajectory.csv", "altitude.png", "velocity.png", "thrust.png", "mass.png"} <= names
    header = (tmp_path / "d" / "trajectory.csv").read_text().splitlines()[0]
    assert header.startswith("t_s,x_m,y_m,z_m,vx_m_s,vy_m_s,vz_m_s") and "thrust_N" in header and "mass_kg" in header


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--tf-s", "72", "--search"], "--tf-s"),
        (["--tf-s", "20"], "--tf-s"),
        (["--glide-slope-deg", "95"], "--glide-slope-deg"),
        (["--dry-mass-kg", "2000"], "--dry-mass-kg"),
        (["--case", "lunar", "--wet-mass-kg", "3000", "--dry-mass-kg", "2500"], "cannot hover"),
        (["--case", "venus"], "--case"),
        (["--nodes", "5"], "--nodes"),
    ],
)
def test_cli_bad_input_exits_1_with_one_line(capsys, args, flag):
    code, _out, err = run(capsys, *args)
    assert code == 1
    assert flag in err and len(err.strip().splitlines()) == 1
