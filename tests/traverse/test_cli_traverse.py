"""``lupex traverse`` end to end on the bundled connecting-ridge DEM, and its refusals."""

from __future__ import annotations

import csv
import json

import pytest

from lupex.cli.main import main
from lupex.traverse.export import STEP_COLUMNS
from tests.traverse.test_real_terrain import PSR_EDGE, START

POINT = f"{START[0]},{START[1]}"
STATION = f"{PSR_EDGE[0]},{PSR_EDGE[1]}:4"
BASE = ["traverse", "--from", POINT, "--to", POINT, "--start", "2027-12-29", "--days", "14", "--margin-m", "500",
        "--n-azimuth", "90"]  # fmt: skip


def test_cli_round_trip_writes_every_output(tmp_path, capsys):
    out = tmp_path / "trav"
    code = main([*BASE, "--via", STATION, "--rover", "battery_Wh=1800", "--out", str(out)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["feasible"] and summary["replay_check"]["ok"]
    assert summary["wait_h"] >= 5.0 and summary["drill_h"] == pytest.approx(4.0, abs=0.05)  # as test_real_terrain
    for name in ("steps.csv", "route.geojson", "route.czml", "route.png", "timeline.png", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "steps.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == STEP_COLUMNS
    assert rows[0]["action"] == "start" and {r["action"] for r in rows} >= {"drive", "wait", "drill"}
    assert min(float(r["battery_Wh"]) for r in rows) >= 0.2 * 1800 - 1e-6
    geo = json.loads((out / "route.geojson").read_text())
    line = geo["features"][0]
    assert line["geometry"]["type"] == "LineString"
    assert len(line["properties"]["times"]) == len(line["geometry"]["coordinates"]) >= 2
    czml = json.loads((out / "route.czml").read_text())
    assert czml[0]["id"] == "document" and len(czml[1]["position"]["cartographicDegrees"]) % 4 == 0


def test_cli_infeasible_exits_1_with_the_reason_and_keeps_the_partial_route(tmp_path, capsys):
    out = tmp_path / "none"
    code = main([*BASE, "--via", STATION, "--rover", "battery_Wh=600", "--days", "2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "no traverse:" in err and "partial route" in err and len(err.strip().splitlines()) == 1
    assert (out / "steps.csv").exists()


@pytest.mark.parametrize(
    ("args", "needle", "code"),
    [
        (["--via", "-89.47,abc"], "--via", 2),
        (["--rover", "battery_Wh"], "--rover", 2),
        (["--rover", "wheels=6"], "unknown rover parameter", 1),
        (["--rover", "min_state_of_charge=1.5"], "state of charge", 1),
        (["--days", "0"], "--days", 1),
        (["--start", "2060-01-01"], "ephemeris", 1),
        (["--start", "2028-01-01T00:00"], "time zone", 1),
        (["--objective", "fastest"], "objective", 1),
        (["--to", "-80,0"], "outside the DEM", 1),
    ],
)
def test_cli_refuses_bad_input_in_one_line(tmp_path, capsys, args, needle, code):
    got = main([*BASE, "--out", str(tmp_path / "x"), *args])
    err = capsys.readouterr().err
    assert got == code
    assert needle.lower() in err.lower()
    assert "Traceback" not in err
