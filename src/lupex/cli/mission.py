"""``lupex scenario show|new`` and ``lupex run``: mission scenarios and the end-to-end run."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lupex.cli.progress import RichProgress

scenario_app = typer.Typer(help="Mission scenarios: built-in presets and editable TOML copies.", no_args_is_help=True)


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
    from lupex.mission import load_scenario, run_mission
    from lupex.mission.outputs import write_run_outputs

    began = time.perf_counter()
    sc = load_scenario(scenario)
    result = run_mission(sc, cache=cache, progress=lambda stage: RichProgress(stage))
    summary = write_run_outputs(result, out, began)
    keys = ("scenario", "key_numbers", "stage_seconds", "stage_cached", "elapsed_s")
    sys.stdout.write(json.dumps({k: summary[k] for k in keys}, indent=2) + "\n")
    sys.stderr.write(f"lupex: report written to {out / 'report.html'}\n")
