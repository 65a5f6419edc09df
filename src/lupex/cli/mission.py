"""``lupex scenario show|new`` and ``lupex run``: mission scenarios and the end-to-end run."""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from lupex.cli.progress import RichProgress

scenario_app = typer.Typer(help="Mission scenarios: built-in presets and editable TOML copies.", no_args_is_help=True)

#: Metric maps of a run written as COGs.
RUN_LAYERS = ("mean_illumination", "psr", "earth_visibility", "longest_darkness_h", "slope_deg", "t_max_K", "t_mean_K",
              "ice_stability_depth_m")  # fmt: skip


@scenario_app.command("show")
def scenario_show(name: Annotated[str, typer.Argument(help="Preset name or .toml path.")] = "chandrayaan5") -> None:
    """Print a scenario (validated) as TOML."""
    from lupex.mission import load_scenario

    sys.stdout.write(load_scenario(name).text)


@scenario_app.command("new")
def scenario_new(
    name: Annotated[str, typer.Argument(help="Name of the new scenario (letters, digits, - and _).")],
    base: Annotated[str, typer.Option("--from", help="Preset or .toml file to copy.")] = "chandrayaan5",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default NAME.toml).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write an editable copy of a scenario; change values, units, sources and confidences there."""
    from lupex.errors import InputError
    from lupex.io.tables import write_text
    from lupex.mission import load_scenario
    from lupex.mission.scenario import parse_scenario

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise InputError(f"scenario name {name!r} must be 1-64 letters, digits, '-' or '_'")
    target = out if out is not None else Path(f"{name}.toml")
    if target.exists() and not force:
        raise InputError(f"{str(target)!r} exists; pass --force to overwrite it or --out another file")
    text = load_scenario(base).text
    text = re.sub(r'(?m)^name = ".*"$', f'name = "{name}"', text, count=1)
    parse_scenario(text, str(target))  # still valid
    write_text(text, target)
    sys.stdout.write(f"{target}\n")


def run(
    scenario: Annotated[str, typer.Argument(help="Preset name or .toml path.")] = "chandrayaan5",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("run"),
    cache: Annotated[bool, typer.Option(help="Reuse cached stages and horizon maps.")] = True,
) -> None:
    """Run a mission scenario end to end: sites, thermal and ice, traverse, report (report.html in --out)."""
    from lupex.io import write_geotiff
    from lupex.io.tables import write_bytes, write_csv, write_json, write_text
    from lupex.mission import load_scenario, run_mission
    from lupex.mission.report import mission_figures, mission_report_html, mission_summary
    from lupex.traverse.export import route_czml, route_geojson, steps_records

    began = time.perf_counter()
    sc = load_scenario(scenario)
    result = run_mission(sc, cache=cache, progress=lambda stage: RichProgress(stage))
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    figures = mission_figures(result)
    files: list[str] = []
    for name, png in figures.items():
        files.append(str(write_bytes(png, out / "figures" / name)))
    m = result.metrics
    for name in RUN_LAYERS:
        layer = m[name].astype(np.float32)
        layer.attrs["crs"] = m.attrs["crs"]
        files.append(str(write_geotiff(layer, out / "maps" / f"{name}.tif")))
    if result.selection.candidates:
        files.append(str(write_csv(result.selection.candidates, out / "candidates.csv")))
    plan = result.traverse.plan
    if plan is not None:
        files.append(str(write_csv(steps_records(plan), out / "steps.csv")))
        files.append(str(write_json(route_geojson(plan), out / "route.geojson")))
        files.append(str(write_json(route_czml(plan), out / "route.czml")))
    files.append(str(write_text(mission_report_html(result, figures, generated), out / "report.html")))
    summary = mission_summary(result, generated, files)
    summary["elapsed_s"] = round(time.perf_counter() - began, 2)
    files.append(str(write_json(summary, out / "summary.json")))
    sys.stdout.write(json.dumps({k: summary[k] for k in ("scenario", "key_numbers", "stage_seconds",
                                                         "stage_cached", "elapsed_s")}, indent=2) + "\n")  # fmt: skip
    sys.stderr.write(f"lupex: report written to {out / 'report.html'}\n")
