"""The ops stage and its CLI on the real terrain of the small chandrayaan5 scenario (5 days, 4 runs).

References: the events CSV's energy column against the battery it reports (first and last rows); each sortie's
independent replay (lupex.traverse.check_plan); the interval against scipy.stats.binomtest (exact).
"""

from __future__ import annotations

import csv
import json

import pytest
from scipy.stats import binomtest

from lupex.cli.main import main
from lupex.mission import preset_text
from tests.mission.test_run import _small


@pytest.fixture()
def small(tmp_path, small_run_cache, monkeypatch):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    path = tmp_path / "small.toml"
    path.write_text(_small(preset_text("chandrayaan5"), '3000.0, unit = "Wh"'))
    return path


def test_simulate_without_faults_is_deterministic_and_replay_checked(small, tmp_path, capsys) -> None:
    out = tmp_path / "sim"
    assert main(["ops", "simulate", str(small), "--no-faults", "--out", str(out), "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert a["sorties"] >= 1 and a["sorties_replay_ok"] and a["faults"] == 0
    assert abs(a["energy_balance_error_Wh"]) <= 1e-3 * (a["energy_in_Wh"] + a["energy_out_Wh"])
    with open(out / "ops_events.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["time_utc", "activity", "end_utc", "energy_Wh", "data_MB", "battery_Wh", "note"]
    net = sum(float(r["energy_Wh"]) for r in rows)
    assert net == pytest.approx(a["battery_end_Wh"] - a["battery_start_Wh"], abs=0.01)
    assert {"drive", "drill", "analyse", "downlink"} <= {r["activity"] for r in rows}
    czml = json.loads((out / "campaign.czml").read_text())
    assert czml[0]["id"] == "document" and len(czml) >= 2
    assert (out / "ops_gantt.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["ops", "simulate", str(small), "--no-faults", "--out", str(tmp_path / "again"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == a


def test_run_summary_has_the_ops_keys(small, tmp_path) -> None:
    out = tmp_path / "run"
    assert main(["run", str(small), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())["stages"]["ops"]
    for key in ("p_success", "p_success_ci", "runs", "median_drill_samples", "median_km", "median_data_GB",
                "energy_balance_error_Wh"):  # fmt: skip
        assert key in s, key
    assert s["runs"] == 4
    k = round(s["p_success"] * s["runs"])
    ref = binomtest(k, s["runs"]).proportion_ci(method="exact")
    assert s["p_success_ci"] == pytest.approx([ref.low, ref.high], abs=1e-4)
    assert (out / "ops_events.csv").exists() and (out / "ops_runs.csv").exists()
    assert "The 100 days on the surface" in (out / "report.html").read_text()
    web = json.loads((out / "web" / "layers.json").read_text())
    days = web["campaign"]["days"]
    assert [d["day"] for d in days] == list(range(1, len(days) + 1)) and len(days) == 5


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("success_min_km = { value = 900, unit = \"km\" }", "ops.success_min_km 900 km is more than"),
        ("drill_jam_per_h = { value = -0.1, unit = \"1/h\" }", "ops.drill_jam_per_h.value"),
        ("days = { value = 400, unit = \"d\" }", "ops.days 400 d is longer than the comms stage's period"),
        ("fault_policy = { value = \"panic\", unit = \"\" }", "ops.fault_policy.value"),
    ],
)
def test_bad_ops_parameters_are_one_line(small, tmp_path, capsys, extra, needle) -> None:
    small.write_text(_with_ops(small.read_text(), extra))
    code = main(["ops", "simulate", str(small), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and needle in err, err


def _with_ops(text: str, line: str) -> str:
    """The scenario with ``line`` in [ops], replacing the key's line there if it has one."""
    key = line.split("=", 1)[0].strip()
    head, ops = text.split("[ops]\n", 1)
    kept = [row for row in ops.splitlines() if row.split("=", 1)[0].strip() != key]
    return head + "[ops]\n" + line + "\n" + "\n".join(kept) + "\n"


def test_a_duration_beyond_the_ephemeris_is_refused(small, tmp_path, capsys) -> None:
    # refused when the scenario is read (nothing runs): 2045-06-01 + 3650 d ends after the kernels' 2050-12-31
    text = _with_ops(small.read_text(), 'days = { value = 3650, unit = "d" }')
    text = text.replace('start_utc = { value = "2027-12-29"', 'start_utc = { value = "2045-06-01"', 1)
    small.write_text(text)
    assert main(["ops", "simulate", str(small), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ops.days.value" in err and "outside the ephemeris" in err, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--runs", "0"], "--runs 0 is outside"), (["--runs", "2", "--workers", "0"], "--workers 0 is outside"),
     (["--runs", "2", "--seed", "-4"], "--seed -4 is outside")],
)  # fmt: skip
def test_montecarlo_bad_flags(small, tmp_path, capsys, args, needle) -> None:
    code = main(["ops", "montecarlo", str(small), "--out", str(tmp_path / "mc"), *args])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and needle in err, err


def test_montecarlo_clamps_workers_with_one_warning(small, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    out = tmp_path / "mc"
    assert main(["ops", "montecarlo", str(small), "--runs", "2", "--workers", "3", "--out", str(out), "--json"]) == 0
    cap = capsys.readouterr()
    assert cap.err.count("\n") == 1 and "--workers 3 is more than the 1 cores; using 1" in cap.err
    data = json.loads(cap.out)
    assert data["runs"] == 2 and 0.0 <= data["p_success"] <= 1.0
    assert (out / "ops_runs.csv").exists() and (out / "ops_tornado.png").exists()
