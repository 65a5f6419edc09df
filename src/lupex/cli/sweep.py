"""``lupex sweep``: a mission scenario run at every point of a grid of parameter values (one task per point)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lupex.cli.progress import RichProgress
from lupex.cli.scheduling import SchedulerOpt, cli_scheduler, parse_scheduler_option

__all__ = ["sweep"]


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(value) or "none"
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(result: Any) -> Any:
    from rich.table import Table

    table = Table(title=f"Sweep of {result.scenario} ({len(result.rows)} points, {result.elapsed_s:.1f} s)",
                  title_justify="left")  # fmt: skip
    failed = any(row["error"] for row in result.rows)
    columns = [c for c in result.columns if c not in ("point", "cached", "compute_s") and (c != "error" or failed)]
    for column in columns:
        unit = result.units.get(column, "")
        table.add_column(f"{column} [{unit}]" if unit and unit != "1" and not column.endswith(unit) else column,
                         justify="left" if column == "recomputed" else "right", overflow="fold")  # fmt: skip
    for row in result.rows:
        table.add_row(*(_cell(row[column]) for column in columns))
    return table


ParamOpt = Annotated[
    list[str],
    typer.Option("--param", help="NAME=START:STOP:STEP (STOP included) or NAME=V1,V2,... of a scenario parameter, in "
                 "its canonical unit, e.g. rover.battery_Wh=2000:4000:500 (repeatable: the grid is the product)."),
]  # fmt: skip


def sweep(
    param: ParamOpt,
    scenario: Annotated[str, typer.Argument(help="Preset name or .toml path.")] = "chandrayaan5",
    scheduler: SchedulerOpt = "threads",
    out: Annotated[Path, typer.Option("--out", help="Folder for sweep.csv, sweep.png and sweep.json.")] = Path("sweep"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the sweep table as JSON.")] = False,
) -> None:
    """Run a scenario once per point of a grid of parameter values; only the stages a parameter changes are
    recomputed (the others come from the stage cache). Writes the table (sweep.csv, sweep.json) and a figure of
    each headline number against the first parameter (sweep.png)."""
    from rich.console import Console

    from lupex.cli.options import check_out_dir
    from lupex.io.tables import write_bytes, write_csv, write_json
    from lupex.mission import load_scenario
    from lupex.mission.sweep import METRICS, parse_param, run_sweep, sweep_scenarios
    from lupex.reporting.sweep_figures import sweep_png

    spec = parse_scheduler_option(scheduler)
    check_out_dir("--out", out)
    params = [parse_param(p) for p in param]
    sc = load_scenario(scenario)
    sweep_scenarios(sc, params)  # every point is checked before a cluster starts
    with cli_scheduler(spec) as sched:
        with RichProgress(f"sweep ({spec.text})") as bar:
            result = run_sweep(sc, params, sched, progress=bar)
    write_csv(result.records(), out / "sweep.csv")
    png = sweep_png(result.rows, result.params[0], [m.column for m in METRICS], by=result.params[1:],
                    units=result.units, labels=result.labels,
                    title=f"{sc.name}: sweep of {', '.join(result.params)}")  # fmt: skip
    write_bytes(png, out / "sweep.png")
    write_json(result.as_dict(), out / "sweep.json")
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2, allow_nan=False) + "\n")
    else:
        Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 160).print(_table(result))
    failed = [row for row in result.rows if row["error"]]
    if failed:
        sys.stderr.write(f"lupex: {len(failed)} of {len(result.rows)} points failed (the error column); the first: "
                         f"{failed[0]['error']}\n")  # fmt: skip
    sys.stderr.write(f"lupex: sweep written to {out}\n")
