"""``lupex scenario show|check|new`` and ``lupex run``: mission scenarios and the chain of stages."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lupex.cli.progress import RichProgress
from lupex.cli.scheduling import cli_scheduler, parse_scheduler_option
from lupex.cluster import SchedulerSpec, parse_scheduler

scenario_app = typer.Typer(help="Mission scenarios: built-in presets and editable TOML copies.", no_args_is_help=True)

_BADGES = {"published": "[green]published[/]", "estimate": "[yellow]estimate[/]", "placeholder": "[red]placeholder[/]"}


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@scenario_app.command("show")
def scenario_show(
    name: Annotated[str, typer.Argument(help="Preset name or .toml path.")] = "chandrayaan5",
    toml: Annotated[bool, typer.Option("--toml", help="Print the TOML text instead of the table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the parameters as JSON.")] = False,
) -> None:
    """Print a validated scenario: each value in its canonical unit, with its source and confidence."""
    from rich.console import Console
    from rich.table import Table

    from lupex.mission import load_scenario

    sc = load_scenario(name)
    if toml:
        sys.stdout.write(sc.text)
        return
    rows = sc.provenance()
    if as_json:
        head = {"name": sc.name, "title": sc.title, "origin": sc.origin, "placeholders": sc.placeholders()}
        sys.stdout.write(json.dumps({**head, "parameters": rows}, indent=2) + "\n")
        return
    table = Table(title=f"{sc.name}: {sc.title} ({sc.origin})", title_justify="left")
    for column in ("parameter", "value", "unit", "as given", "confidence", "source"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r["parameter"], _value_text(r["value"]), r["unit"], r["given"], _BADGES[r["confidence"]],
                      r["source"])  # fmt: skip
    console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 160)
    console.print(table)
    console.print(f"{len(sc.placeholders())} of {len(rows)} parameters are placeholders.")


@scenario_app.command("check")
def scenario_check(file: Annotated[str, typer.Argument(help="Scenario .toml file (or a preset name).")]) -> None:
    """Validate a scenario without running it: prints `ok` and a count, or the first problem with its path."""
    from lupex.mission import load_scenario

    sc = load_scenario(file)
    sys.stdout.write(
        f"ok: {sc.name} ({sc.origin}): {len(sc.parameters)} parameters, {len(sc.placeholders())} placeholders\n"
    )


def _scenario_target(name: str, out: str | None) -> Path:
    from lupex.errors import InputError
    from lupex.io.tables import is_dir

    if out is None:
        return Path(f"{name}.toml")
    if out.endswith(("/", "\\")):
        return Path(out) / f"{name}.toml"
    if is_dir(out):
        raise InputError(
            f"--out {out!r} is a directory; write --out {out.rstrip('/')}/ to put {name}.toml in it, or name a file"
        )
    if not out.endswith(".toml"):
        raise InputError(f"--out {out!r} must name a .toml file (or a folder, ending in /)")
    return Path(out)


@scenario_app.command("new")
def scenario_new(
    name: Annotated[str, typer.Argument(help="Name of the new scenario (letters, digits, - and _).")],
    base: Annotated[str, typer.Option("--from", help="Preset or .toml file to copy.")] = "chandrayaan5",
    out: Annotated[
        str | None, typer.Option("--out", help="File to write (default NAME.toml; DIR/ for a folder).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write an editable copy of a scenario; change values, units, sources and confidences there."""
    from lupex.errors import InputError
    from lupex.io.tables import is_file, write_text
    from lupex.mission import load_scenario
    from lupex.mission.scenario import parse_scenario

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise InputError(f"scenario name {name!r} must be 1-64 letters, digits, '-' or '_'")
    target = _scenario_target(name, out)
    if is_file(target) and not force:
        raise InputError(f"--out {str(target)!r} exists; pass --force to overwrite it or --out another file")
    text = load_scenario(base).text
    text = re.sub(r'(?m)^name = ".*"$', f'name = "{name}"', text, count=1)
    parse_scenario(text, str(target))  # still valid
    write_text(text, target)
    sys.stdout.write(f"{target}\n")


def _stage_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        from lupex.errors import InputError

        raise InputError(f"--stages {text!r} names no stage; give e.g. --stages sites,traverse")
    return names


#: ``--scheduler`` of the commands that read a scenario: when not given, the scenario's ``scheduler`` field.
ScenarioSchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Where the work runs: threads (this process), local:N (a Dask cluster of N worker processes) or "
        "tcp://HOST:PORT (a running Dask scheduler); default the scenario's scheduler field (threads).",
    ),
]


def scheduler_spec(flag_value: str | None, scenario: Any) -> SchedulerSpec:
    """The ``--scheduler`` value when given, else the scenario's ``scheduler`` field, as a ``SchedulerSpec``.

    Parameters
    ----------
    flag_value : str or None
        ``--scheduler`` as typed, or None when not given (call this with ``scenario`` None before any long work,
        to refuse a bad value early).
    scenario : lupex.mission.Scenario
        Its ``scheduler`` field (already validated when the scenario was read).

    Raises
    ------
    InputError
        One line naming ``--scheduler`` (or ``scenario.scheduler``) for a value that is not accepted.
    """
    if flag_value is not None:
        return parse_scheduler_option(flag_value)
    return parse_scheduler(getattr(scenario, "scheduler", "threads"), "scenario.scheduler")


def run(
    scenario: Annotated[str, typer.Argument(help="Preset name or .toml path.")] = "chandrayaan5",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("run"),
    stages: Annotated[
        str | None, typer.Option("--stages", help="Run only these stages (comma-separated) and what they need.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Run the chain up to this stage.")] = None,
    cache: Annotated[bool, typer.Option(help="Reuse cached stages and horizon maps (--no-cache recomputes).")] = True,
    scheduler: ScenarioSchedulerOpt = None,
) -> None:
    """Run a mission scenario's chain of stages (sites, traverse, ...) and write the report (report.html in --out).

    --scheduler (default: the scenario's scheduler field) sends the stages' independent tasks to a Dask cluster;
    the results, and the stage cache, are the same as in this process.
    """
    from lupex.errors import InputError
    from lupex.io.tables import is_file
    from lupex.mission import load_scenario, run_mission, select_stages
    from lupex.mission.outputs import write_run_outputs

    began = time.perf_counter()
    if scheduler is not None:
        scheduler_spec(scheduler, None)  # a bad --scheduler is refused before anything runs
    if is_file(out):
        raise InputError(f"--out {str(out)!r} is a file; give a folder for the run's outputs")
    try:
        select_stages(_stage_list(stages), until)
    except InputError as err:
        raise InputError(f"{'--until' if until and str(until) in str(err) else '--stages'}: {err}") from None
    sc = load_scenario(scenario)
    with cli_scheduler(scheduler_spec(scheduler, sc)) as sched:
        result = run_mission(sc, stages=_stage_list(stages), until=until, cache=cache,
                             progress=lambda stage: RichProgress(stage), scheduler=sched)  # fmt: skip
    summary = write_run_outputs(result, out, began)
    keys = ("scenario", "stages", "stage_seconds", "stage_cached", "elapsed_s")
    brief = {k: summary[k] for k in keys}
    brief["stages"] = {k: {f: v for f, v in s.items() if f not in ("candidates", "stations_tried")}
                       for k, s in summary["stages"].items()}  # fmt: skip
    sys.stdout.write(json.dumps(brief, indent=2) + "\n")
    sys.stderr.write(f"lupex: report written to {out / 'report.html'}\n")
