"""``lupex run`` end to end on a reduced chandrayaan5 scenario, and the stage cache."""

from __future__ import annotations

import json
import re

import pytest

from lupex.cli.main import main
from lupex.mission import preset_text


def _small(text: str, battery_wh: float) -> str:
    """The chandrayaan5 preset over a shorter period and a smaller region (same terrain, same stages)."""
    subs = {
        "illumination_days = { value = 365.0": "illumination_days = { value = 30.0",
        "illumination_step_h = { value = 6.0": "illumination_step_h = { value = 12.0",
        "thermal_step_h = { value = 3.0": "thermal_step_h = { value = 6.0",
        "radius_km = { value = 6.0": "radius_km = { value = 4.0",
        "days = { value = 14.0": "days = { value = 4.0",
        "battery_Wh = { value = 3000.0": f"battery_Wh = {{ value = {battery_wh}",
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
    for label, battery in (("first", 3000.0), ("again", 3000.0), ("rover_changed", 2500.0)):
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
    for anchor in ("overview", "scenario", "illumination", "ice", "sites", "traverse", "validation"):
        assert f'id="{anchor}"' in html
    assert "placeholder" in html and "H3-24L" in html
    for name in ("candidates.csv", "steps.csv", "route.geojson", "route.czml", "maps/ice_stability_depth_m.tif",
                 "maps/mean_illumination.tif", "figures/route.png", "figures/sites.png"):  # fmt: skip
        assert (folder / name).stat().st_size > 0, name
    numbers = summary["key_numbers"]
    assert numbers["candidates"] >= 1
    assert numbers["traverse"]["replay_ok"] is True
    assert summary["placeholders"]["scenario"]  # placeholders flow into the outputs


def test_rerun_uses_the_cache_and_a_rover_change_recomputes_only_the_traverse(runs):
    assert runs["first"][1]["stage_cached"] == {"sites": False, "traverse": False}
    assert runs["again"][1]["stage_cached"] == {"sites": True, "traverse": True}
    assert runs["rover_changed"][1]["stage_cached"] == {"sites": True, "traverse": False}
    assert runs["rover_changed"][1]["key_numbers"]["traverse"]["reserve_Wh"] == pytest.approx(0.2 * 2500.0)
