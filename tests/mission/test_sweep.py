"""``lupex sweep``: the --param grammar, the checks before anything runs, and a real sweep on the reduced scenario.

The real sweep (an ``[ops]`` success criterion swapped on the reduced scenario) lives in
``tests/mission/test_run.py``: in the same file it runs on the same pytest-xdist worker, after that run has filled
the stage cache it reuses.
"""

from __future__ import annotations

import pytest

from lupex.cli.main import main
from lupex.cluster import open_scheduler
from lupex.errors import InputError
from lupex.mission import load_scenario
from lupex.mission.sweep import MAX_POINTS, METRICS, parse_param, run_sweep, sweep_grid, sweep_scenarios


def test_ranges_include_stop_on_the_grid_and_lists_keep_their_order():
    assert parse_param("rover.battery_Wh=2000:4000:500").values == (2000, 2500, 3000, 3500, 4000)
    assert parse_param("rover.battery_Wh=2000:4100:500").values == (2000, 2500, 3000, 3500, 4000)
    assert parse_param("ops.success_min_km=0.1:0.3:0.1").values == (0.1, 0.2, 0.3)  # not 0.30000000000000004
    assert parse_param("ops.success_min_km=1:1:1").values == (1,)
    p = parse_param(" ops.runs = 20, 10 ,5 ")
    assert (p.name, p.values, p.section, p.field) == ("ops.runs", (20, 10, 5), "ops", "runs")
    grid = sweep_grid(["rover.battery_Wh=2000:3000:1000", "ops.runs=10,20,30"])
    assert len(grid) == 6 and grid[0] == {"rover.battery_Wh": 2000, "ops.runs": 10}
    assert grid[-1] == {"rover.battery_Wh": 3000, "ops.runs": 30}  # the first parameter varies slowest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rover.batery_Wh=1000,2000", "did you mean rover.battery_Wh"),
        ("nosuch=1", "give SECTION.NAME"),
        ("rover.battery_Wh=4000:2000:500", "empty range"),
        ("rover.battery_Wh=2000:4000:0", "STEP 0 must be > 0"),
        ("rover.battery_Wh=2000:4000:-500", "must be > 0"),
        ("rover.battery_Wh=2000,lots", "'lots' is not a number"),
        ("rover.battery_Wh=nan", "is not a number"),
        ("rover.battery_Wh", "expected NAME=START:STOP:STEP"),
        ("=2000", "expected NAME=START:STOP:STEP"),
        ("rover.battery_Wh=", "no value"),
        ("rover.battery_Wh=1000,,2000", "a value is missing"),
        ("rover.battery_Wh=1000:2000", "three numbers"),
        ("rover.battery_Wh=1000,1000", "given twice"),
        ("rover.battery_Wh=0:1e9:1", f"more than {MAX_POINTS} values"),
    ],
)
def test_a_bad_param_is_one_line_naming_the_flag_and_the_text(text, expected):
    with pytest.raises(InputError) as err:
        parse_param(text)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"--param {text!r}: ") and expected in message


def test_the_grid_and_every_value_are_checked_before_anything_runs():
    base = load_scenario("chandrayaan5")
    with pytest.raises(InputError, match=r"^--param: 40 x 30 = 1200 points are more than 1000"):
        sweep_scenarios(base, ["rover.battery_Wh=1000:40000:1000", "ops.runs=1:30:1"])
    with pytest.raises(InputError, match=r"also swept by"):
        sweep_grid(["ops.runs=1,2", "ops.runs=3"])
    cases = {
        "rover.battery_Wh=5,2000": "rover.battery_Wh = 5: 5 is outside the accepted range; give a number in 10..1e+06",
        "ops.runs=2.5": "give an integer in 1..100000",
        "traverse.contact_mode=1": "give one of dte, dte_or_relay",
    }
    for text, expected in cases.items():
        with pytest.raises(InputError) as err:
            sweep_scenarios(base, [text])
        message = str(err.value)
        assert message.startswith(f"--param {text!r}: ") and expected in message and "\n" not in message
    # a point refused by the cross-field checks names its values
    with pytest.raises(InputError, match=r"the point rover.slope_nominal_deg=30, rover.slope_max_deg=20 is refused"):
        sweep_scenarios(base, ["rover.slope_nominal_deg=30", "rover.slope_max_deg=20"])


def test_a_point_is_the_scenario_with_the_values_replaced_and_the_same_keys_for_the_same_values():
    from lupex.mission.chain import select_stages, stage_keys

    base = load_scenario("chandrayaan5")
    points = sweep_scenarios(base, ["rover.battery_Wh=3000,3500", "ops.seed=7"])
    assert [p.value("rover.battery_Wh") for p in points] == [3000.0, 3500.0]
    assert points[0].parameters["ops.seed"].value == 7 and points[0].parameters["ops.seed"].source
    chain = select_stages()
    same, other = (stage_keys(p, chain) for p in points)
    base_keys = stage_keys(base, chain)
    assert same["traverse"] == base_keys["traverse"]  # 3000 Wh is the preset's value
    assert other["traverse"] != base_keys["traverse"] and other["sites"] == base_keys["sites"]
    assert base.value("rover.battery_Wh") == 3000.0  # the base is unchanged


def test_a_point_whose_stage_fails_is_a_row_with_its_error(monkeypatch):
    import lupex.mission.sweep as sweep_module
    from lupex.mission import StageError

    class Ran:  # what _row reads of a MissionResult
        cached = {"flight": True}  # noqa: RUF012
        stage_seconds = {"flight": 0.0}  # noqa: RUF012

    def fake_run(scenario, **kwargs):
        if scenario.value("sites.top") == 2:
            raise StageError("stage 'sites' failed: no candidate\nmore")
        return Ran()

    monkeypatch.setattr(sweep_module, "run_mission", fake_run)
    monkeypatch.setattr(sweep_module, "_metrics", lambda result: {m.column: 1.0 for m in METRICS})
    base = load_scenario("chandrayaan5")
    with open_scheduler("threads") as scheduler:
        with pytest.raises(StageError, match=r"^every point of the sweep failed; the first: stage 'sites' failed"):
            run_sweep(base, ["sites.top=2"], scheduler)
        ok, bad = run_sweep(base, ["sites.top=1,2"], scheduler).rows
    assert ok["error"] == "" and ok["p_success"] == 1.0 and ok["cached"] == ["flight"]
    assert bad["error"] == "stage 'sites' failed: no candidate" and bad["p_success"] is None and bad["cached"] == []


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--param", "rover.batery_Wh=1000,2000"], 1, "--param 'rover.batery_Wh=1000,2000': no scenario parameter"),
        (["--param", "rover.battery_Wh=5,2000"], 1, "outside the accepted range"),
        (["--param", "rover.battery_Wh=2000", "--scheduler", "local:x"], 1, "--scheduler 'local:x'"),
        ([], 2, "--param"),
    ],
)
def test_command_errors_are_one_line(args, code, expected, tmp_path, capsys):
    assert main(["sweep", "chandrayaan5", *args, "--out", str(tmp_path / "o")]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
    assert not (tmp_path / "o").exists()
