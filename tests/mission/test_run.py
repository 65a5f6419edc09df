"""``lupex run`` end to end on a reduced chandrayaan5 scenario, and the stage cache."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from lupex.cli.main import app, main
from lupex.cluster import Scheduler, SchedulerSpec, open_scheduler
from lupex.mission import parse_scenario, preset_text
from lupex.mission.sweep import METRICS, run_sweep


def _small(text: str, battery_wh: float | str) -> str:
    """The chandrayaan5 preset over a shorter period and a smaller region (same terrain, same stages)."""
    subs = {
        "illumination_days = { value = 365.0": "illumination_days = { value = 30.0",
        "illumination_step_h = { value = 6.0": "illumination_step_h = { value = 12.0",
        "thermal_step_h = { value = 3.0": "thermal_step_h = { value = 6.0",
        "radius_km = { value = 6.0": "radius_km = { value = 4.0",
        "days = { value = 14.0": "days = { value = 4.0",
        'battery_Wh = { value = 3000.0, unit = "Wh"': f"battery_Wh = {{ value = {battery_wh}",
        'days = { value = 100.0, unit = "d", source = "The surface':
            'days = { value = 5.0, unit = "d", source = "The surface',
        'runs = { value = 20, unit = ""': 'runs = { value = 4, unit = ""',
    }
    for old, new in subs.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return re.sub(r'(?m)^name = ".*"$', 'name = "small"', text, count=1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, small_run_cache):
    root = tmp_path_factory.mktemp("run")
    mp = pytest.MonkeyPatch()
    mp.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    out = {}
    # the same battery written in kWh is the same scenario value, so the same cache key
    cases = (("first", '3000.0, unit = "Wh"'), ("again", '3, unit = "kWh"'), ("rover_changed", '2500.0, unit = "Wh"'))
    for label, battery in cases:
        scenario = root / f"{label}.toml"
        scenario.write_text(_small(preset_text("chandrayaan5"), battery))
        code = main(["run", str(scenario), "--out", str(root / label)])
        assert code == 0
        out[label] = (root / label, json.loads((root / label / "summary.json").read_text()))
    mp.undo()
    return out


def test_run_writes_a_self_contained_report_and_every_artifact(runs):
    folder, summary = runs["first"]
    html = (folder / "report.html").read_text()
    assert "<script" not in html and not re.search(r'src="(?!data:)', html)  # no network, no scripts
    for anchor in ("overview", "scenario", "illumination", "ice", "sites", "traverse", "comms", "ops", "validation",
                   "run"):
        assert f'id="{anchor}"' in html
    assert "placeholder" in html and "H3-24L" in html
    for name in ("candidates.csv", "steps.csv", "route.geojson", "route.czml", "maps/ice_stability_depth_m.tif",
                 "maps/mean_illumination.tif", "figures/route.png", "figures/sites.png", "web/layers.json",
                 "web/traverse_sun.png", "web/hillshade.png", "web/relay.png", "comms/windows.csv",
                 "comms/volume_per_day.csv", "comms/relay_rate_bps.tif", "figures/comms_windows.png",
                 "ops_events.csv", "ops_runs.csv", "campaign.czml", "figures/ops_gantt.png",
                 "figures/science_posterior.png"):  # fmt: skip
        assert (folder / name).stat().st_size > 0, name
    stages = summary["stages"]
    assert list(stages) == ["flight", "sites", "traverse", "comms", "science", "ops"]
    assert stages["sites"]["n_candidates"] == len(stages["sites"]["candidates"]) == 8  # 10 asked, 8 feasible
    assert stages["traverse"]["replay_ok"] is True
    assert stages["traverse"]["feasible"] is True
    assert summary["placeholders"]["scenario"]  # placeholders flow into the outputs
    assert "rover.battery_Wh" in summary["placeholders"]["traverse"]
    manifest = json.loads((folder / "web" / "layers.json").read_text())
    names = [layer["name"] for layer in manifest["layers"]]
    assert names == ["hillshade", "illumination", "psr", "earth", "ice", "landing_ellipse", "traverse_sun", "relay",
                     "weh_posterior", "weh_sd", "drill_value"]
    science = stages["science"]
    p = science["water_mass_kg"]
    assert 0 < p["p10"] <= p["p50"] <= p["p90"] and science["truth_water_mass_kg"] > 0
    assert science["n_drill_holes"] == len(stages["traverse"]["stations"]) and science["n_drill_samples"] > 0
    assert science["ns_integrations"] > 0 and science["estimate_class"] in ("inferred", "indicated", "measured")
    assert (folder / "science" / "weh_mean_wt_pct.tif").stat().st_size > 0
    # the map opens on the union of the layers: the sites region, not the small ellipse
    hill = next(layer for layer in manifest["layers"] if layer["name"] == "hillshade")
    assert manifest["bounds"] == hill["bounds"]
    # the sites stage scores the landing ellipse of the flight stage's dispersion, and ranks by P(safe touchdown)
    semi_major_m = stages["flight"]["dispersion"]["semi_major_m"]
    assert stages["sites"]["landing_ellipse_m"] == pytest.approx(semi_major_m, abs=0.1)
    scores = [c["landing_score"] for c in stages["sites"]["candidates"]]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)
    comms = stages["comms"]
    assert [s["name"] for s in comms["stations"]][:3] == ["idsn32", "idsn18", "misasa54"]
    assert 0.3 < comms["network_visible_fraction"] <= comms["earth_visible_fraction"] + 1e-9
    assert comms["route_steps"]["dte"] + comms["route_steps"]["relay"] + comms["route_steps"]["none"] > 0
    assert 0.0 < comms["relay_line_of_sight_fraction"] < 0.5
    assert manifest["route"]["available"] and len(manifest["candidates"]) == 8
    # every stage on the page: the flight's touchdowns, the stations' windows, the drill holes, the campaign
    assert len(manifest["touchdowns"]["x_m"]) == len(manifest["touchdowns"]["safe"]) > 0
    assert manifest["comms"]["stations"] and all("windows" in st for st in manifest["comms"]["stations"])
    assert len(manifest["drill_holes"]) == stages["science"]["n_drill_holes"]
    assert manifest["campaign"]["days"]


def test_rerun_uses_the_cache_and_a_rover_change_recomputes_only_the_traverse(runs):
    first, again, changed = (runs[k][1] for k in ("first", "again", "rover_changed"))
    assert again["stage_cached"] == {"flight": True, "sites": True, "traverse": True, "comms": True, "science": True,
                                     "ops": True}  # fmt: skip
    assert again["stage_keys"] == first["stage_keys"]
    # the comms stage needs the traverse (its route), so it follows it
    assert changed["stage_cached"] == {"flight": True, "sites": True, "traverse": False, "comms": False,
                                       "science": False, "ops": False}  # fmt: skip
    assert changed["stage_keys"]["sites"] == first["stage_keys"]["sites"]
    assert changed["stage_keys"]["traverse"] != first["stage_keys"]["traverse"]
    assert changed["stages"]["traverse"]["reserve_Wh"] == pytest.approx(0.2 * 2500.0)
    # the same route, from the cache or not
    assert again["stages"]["traverse"]["duration_h"] == first["stages"]["traverse"]["duration_h"]


def test_only_the_stages_asked_for_run(runs, tmp_path, small_run_cache, monkeypatch, capsys):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    scenario = tmp_path / "s.toml"
    scenario.write_text(_small(preset_text("chandrayaan5"), '3000.0, unit = "Wh"'))
    assert main(["run", str(scenario), "--until", "sites", "--out", str(tmp_path / "o")]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert list(summary["stages"]) == ["flight", "sites"]
    assert summary["stage_cached"] == {"flight": True, "sites": True}
    assert not (tmp_path / "o" / "steps.csv").exists()
    assert 'id="traverse"' not in (tmp_path / "o" / "report.html").read_text()
    capsys.readouterr()
    assert main(["run", str(scenario), "--stages", "sitez", "--out", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--stages" in err
    assert "no stage 'sitez'; stages: flight, sites, traverse, comms, science" in err
    assert not (tmp_path / "p").exists()


# --- lupex sweep on the reduced scenario (here, not in test_sweep.py: the same worker reuses ``runs``'s cache) ---
UPSTREAM = ["flight", "sites", "traverse", "comms", "science"]
#: The reduced scenario's campaign returns about 1.2 GB: all its runs meet 0.5 GB, none 3 GB.
SWEPT = "ops.success_min_data_GB=0.5,3"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "small.toml"
    path.write_text(_small(preset_text("chandrayaan5"), '3000.0, unit = "Wh"'))
    return path


@pytest.fixture(scope="module")
def swept(runs, scenario_file, small_run_cache):
    """A sweep of an ops success criterion on the reduced scenario, after ``runs`` (its upstream stages cached)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("LUPEX_CACHE_DIR", str(small_run_cache))  # the horizon cache too
    sc = parse_scenario(scenario_file.read_text(), str(scenario_file))
    with open_scheduler("threads") as scheduler:
        result = run_sweep(sc, [SWEPT], scheduler, cache_dir=small_run_cache)
    mp.undo()
    return result


def test_a_sweep_recomputes_only_the_stages_that_read_the_parameter(swept):
    assert swept.params == ("ops.success_min_data_GB",) and swept.scheduler == "threads"
    assert [r["ops.success_min_data_GB"] for r in swept.rows] == [0.5, 3.0]
    first, second = swept.rows
    assert first["recomputed"][-1] == "ops"  # the upstream stages: from test_run's cache or computed here
    assert second["recomputed"] == ["ops"] and second["cached"] == UPSTREAM
    # a success criterion changes P(success), not the campaign
    assert first["p_success"] == 1.0 and second["p_success"] == 0.0
    for m in METRICS:
        assert first[m.column] is not None, m.column
        if m.column != "p_success":
            assert first[m.column] == second[m.column], m.column
    assert swept.units["ops.success_min_data_GB"] == "GB" and swept.units["driven_km"] == "km"
    assert list(swept.rows[0]) == list(swept.columns)
    assert swept.warmup == ()  # threads: no warm-up task


def test_on_a_cluster_the_shared_stages_are_computed_once_first(swept, scenario_file, small_run_cache, monkeypatch):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    calls = []

    class Recording(Scheduler):
        def map_unordered(self, fn, items, shared=None, *, progress=None):
            calls.append((fn.keywords, [i for i, _ in items]))
            return super().map_unordered(fn, items, shared, progress=progress)

    # a local:2 spec without a client runs its tasks in this process: the same code path as a cluster
    scheduler = Recording(SchedulerSpec("local:2", "local", n_workers=2))
    sc = parse_scenario(scenario_file.read_text(), str(scenario_file))
    result = run_sweep(sc, [SWEPT], scheduler, cache_dir=small_run_cache)
    assert calls[0][0]["stages"] == UPSTREAM and calls[0][1] == [0]  # the warm-up: the stages every point shares
    assert calls[1][0]["stages"] is None and calls[1][1] == [0, 1]
    assert result.warmup == ()  # they were in the cache already
    assert [r["p_success"] for r in result.rows] == [r["p_success"] for r in swept.rows]
    assert all(r["recomputed"] == [] for r in result.rows)


def test_the_command_writes_the_table_the_figure_and_the_json(swept, scenario_file, small_run_cache, tmp_path,
                                                             monkeypatch):  # fmt: skip
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(scenario_file), "--param", "ops.success_min_data_GB=0.5:3:2.5",
                                      "--out", str(out), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads((out / "sweep.json").read_text())
    assert [r["p_success"] for r in data["rows"]] == [1.0, 0.0]
    assert all(r["cached"] == [*UPSTREAM, "ops"] for r in data["rows"])  # the points of the sweep above
    csv = (out / "sweep.csv").read_text().splitlines()
    assert csv[0].startswith("point,ops.success_min_data_GB,p_success,") and len(csv) == 3
    assert "flight sites traverse comms science ops" in csv[1]
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = CliRunner().invoke(app, ["sweep", str(scenario_file), "--param", SWEPT, "--out", str(tmp_path / "t")])
    assert table.exit_code == 0 and table.stdout.startswith("Sweep of small (2 points") and " 0.5 │" in table.stdout
