"""Adding a stage is one module + one registration: the chain, summary.json, report.html, the dashboard's
layers and the stage cache pick it up from the registry (docs/architecture.md, "How to add a stage")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import pytest
import xarray as xr

from lupex.cli.main import main
from lupex.mission import (
    MapLayer,
    OutputContext,
    Parameter,
    Stage,
    StageContext,
    StageReport,
    Validation,
    load_scenario,
    parse_scenario,
    preset_text,
    register_stage,
    registered_stages,
    run_mission,
    unregister_stage,
)
from lupex.mission.chain import stage_keys
from lupex.mission.quantity import SectionModel, number
from lupex.reporting.html import Section


class ProbeSection(SectionModel):
    """``[probe]``: one parameter of the test stage."""

    pulse_W: Annotated[Parameter | None, number("W", 0.0, 1000.0)] = None


@dataclass(frozen=True)
class ProbeResult:
    """The test stage's result: the search disc's area [km2] and the pulse power [W]."""

    disc_area_km2: float
    pulse_W: float


class ProbeStage(Stage):
    """A small stage reading the search region and a section of its own."""

    name: ClassVar[str] = "probe"
    title: ClassVar[str] = "Probe"
    version: ClassVar[str] = "1"
    reads: ClassVar[tuple[str, ...]] = ("search_region", "probe")
    sections: ClassVar[dict[str, type[SectionModel]]] = {"probe": ProbeSection}
    validations: ClassVar[tuple[Validation, ...]] = (Validation("Disc area", "pi r^2", "tests/mission"),)

    def run(self, ctx: StageContext) -> ProbeResult:
        r = ctx.scenario.value("search_region.radius_km")
        return ProbeResult(float(np.pi * r * r), float(ctx.scenario.get("probe.pulse_W", 5.0)))

    def summary(self, result: ProbeResult, ctx: OutputContext) -> dict[str, Any]:
        return {"disc_area_km2": round(result.disc_area_km2, 3), "pulse_W": result.pulse_W}

    def kpis(self, result: ProbeResult, ctx: OutputContext) -> list[tuple[str, str]]:
        return [("probe disc area [km2]", f"{result.disc_area_km2:.1f}")]

    def report(self, result: ProbeResult, ctx: OutputContext) -> StageReport:
        return StageReport([Section("probe", self.title, [f"<p>probe-area {result.disc_area_km2:.3f} km2</p>"])])

    def layers(self, result: ProbeResult, ctx: OutputContext) -> list[MapLayer]:
        x = np.arange(4) * 10.0
        y = np.arange(3)[::-1] * 10.0
        values = xr.DataArray(np.arange(12.0).reshape(3, 4), coords={"y": y, "x": x}, dims=("y", "x"))
        return [MapLayer("probe_grid", "Probe grid", values, "viridis", 0.0, 11.0, "W")]

    def write_files(self, result: ProbeResult, ctx: OutputContext, out: Path) -> list[str]:
        from lupex.io.tables import write_json

        return [str(write_json(self.summary(result, ctx), out / "probe.json"))]


@pytest.fixture()
def probe():
    stage = register_stage(ProbeStage())
    yield stage
    unregister_stage("probe")


def test_a_registered_stage_shows_up_in_summary_report_and_layers(probe, tmp_path, monkeypatch, capsys):
    assert [s.name for s in registered_stages()] == ["flight", "sites", "traverse", "comms", "science", "ops",
                                                          "probe"]
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    text = preset_text("chandrayaan5") + '\n[probe]\npulse_W = { value = 0.25, unit = "kW" }\n'
    text = text.replace('title = "Chandrayaan-5', 'title = "<script>alert(1)</script> Chandrayaan-5', 1)
    (tmp_path / "p.toml").write_text(text)
    assert main(["run", str(tmp_path / "p.toml"), "--stages", "probe", "--out", str(tmp_path / "out")]) == 0
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["stages"]) == ["probe"]
    assert summary["stages"]["probe"] == {"disc_area_km2": round(np.pi * 36.0, 3), "pulse_W": 250.0}
    html = (out / "report.html").read_text()
    assert 'id="probe"' in html and f"probe-area {np.pi * 36.0:.3f} km2" in html and "pi r^2" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # scenario text escaped
    manifest = json.loads((out / "web" / "layers.json").read_text())
    assert [layer["name"] for layer in manifest["layers"]] == ["probe_grid"]
    assert manifest["layers"][0]["bounds"] == [[-5.0, -5.0], [25.0, 35.0]]
    assert (out / "web" / "probe_grid.png").stat().st_size > 0 and (out / "probe.json").exists()
    again = json.loads(capsys.readouterr().out)
    assert again["stage_cached"] == {"probe": False}
    assert main(["run", str(tmp_path / "p.toml"), "--stages", "probe", "--out", str(tmp_path / "out")]) == 0
    assert json.loads(capsys.readouterr().out)["stage_cached"] == {"probe": True}


def test_a_stage_section_is_typed_like_the_rest(probe):
    text = preset_text("chandrayaan5") + '\n[probe]\npulse_W = { value = 3, unit = "kWh" }\n'
    with pytest.raises(ValueError, match=r"^probe.pulse_W.unit: unit 'kWh' has the wrong dimension"):
        parse_scenario(text, "p.toml")


def test_cache_keys_follow_version_reads_and_needs(probe, monkeypatch):
    base = load_scenario("chandrayaan5")
    chain = registered_stages()
    keys = stage_keys(base, chain)
    rover = parse_scenario(preset_text("chandrayaan5").replace("battery_Wh = { value = 3000.0",
                                                               "battery_Wh = { value = 2000.0", 1), "x.toml")
    k2 = stage_keys(rover, chain)
    assert (k2["flight"], k2["sites"], k2["probe"]) == (keys["flight"], keys["sites"], keys["probe"])
    assert k2["traverse"] != keys["traverse"]
    assert k2["comms"] != keys["comms"]  # it needs the traverse
    region = parse_scenario(preset_text("chandrayaan5").replace("radius_km = { value = 6.0",
                                                                "radius_km = { value = 5.0", 1), "x.toml")
    k3 = stage_keys(region, chain)
    assert all(k3[n] != keys[n] for n in ("flight", "sites", "traverse", "comms", "probe"))
    monkeypatch.setattr(ProbeStage, "version", "2")
    k4 = stage_keys(base, chain)
    assert k4["probe"] != keys["probe"] and (k4["sites"], k4["traverse"]) == (keys["sites"], keys["traverse"])
    assert k4["comms"] == keys["comms"]


def test_registration_refuses_bad_stages(probe):
    class Nameless(Stage):
        title = "x"

    class NeedsGhost(Stage):
        name = "ghost_user"
        title = "x"
        needs = ("ghost",)

    class OtherProbe(ProbeStage):
        pass

    for bad, needle in ((Nameless(), "stage name"), (NeedsGhost(), "needs ghost"), (OtherProbe(), "already")):
        with pytest.raises(ValueError, match=needle):
            register_stage(bad)
    with pytest.raises(ValueError, match="needed by traverse"):
        unregister_stage("sites")
    result = run_mission(load_scenario("chandrayaan5"), stages=["probe"], cache=False)
    assert result["probe"].pulse_W == 5.0 and list(result.results) == ["probe"]
