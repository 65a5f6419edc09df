"""``lupex serve``: the dashboard."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def serve(
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8765,
    host: Annotated[str, typer.Option("--host", help="Interface to bind (default: this machine only).")] = "127.0.0.1",
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Folder of runs (one sub-folder per scenario).")] = Path(
        "runs"
    ),
    cache: Annotated[bool, typer.Option(help="Reuse cached stages and horizon maps.")] = True,
    scenario: Annotated[
        list[Path] | None, typer.Option("--scenario", help="Also offer this scenario file (repeatable).")
    ] = None,
) -> None:
    """Serve the dashboard: map layers, candidates, the traverse with a time slider, runs started from the page."""
    import uvicorn

    from lupex.mission import PRESETS, load_scenario
    from lupex.web import create_app

    offered = {n: n for n in PRESETS}
    for path in scenario or []:
        offered[load_scenario(str(path)).name] = str(path)

    sys.stderr.write(f"lupex: dashboard on http://{host}:{port}/ (runs in {runs_dir}/); Ctrl-C stops it\n")
    uvicorn.run(create_app(runs_dir, cache=cache, scenarios=offered), host=host, port=port, log_level="warning")
