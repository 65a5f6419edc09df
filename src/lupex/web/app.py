"""The dashboard: a FastAPI app serving a Leaflet map of runs, their report, and runs started from the browser.

The API never takes a file path from the client: runs are addressed by scenario preset name (letters, digits,
``-``), layers by a fixed list of names, and every other input is validated with a clear 4xx. One run at a time
per scenario (409 while one is running); progress streams as server-sent events.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from lupex.errors import LupexError
from lupex.io.tables import is_file, read_bytes, read_text
from lupex.mission import PRESETS, load_scenario, run_mission
from lupex.mission.outputs import WEB_LAYERS, write_run_outputs

__all__ = ["RunRequest", "create_app"]

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9-]{1,40}$")


class RunRequest(BaseModel):
    """Body of ``POST /api/runs``."""

    scenario: str = Field(min_length=1, max_length=40)


class _Progress:
    """tqdm-like progress that forwards to a run's event queue."""

    def __init__(self, run: _Run, stage: str) -> None:
        self.run, self.stage, self.total, self.n = run, stage, None, 0

    def __enter__(self) -> _Progress:
        self.run.emit({"event": "stage", "stage": self.stage})
        return self

    def __exit__(self, *exc: object) -> None:
        self.run.emit({"event": "stage_done", "stage": self.stage})

    def update(self, n: float = 1) -> None:
        self.n += int(n)
        self.run.emit({"event": "progress", "stage": self.stage, "done": self.n, "total": self.total})


class _Run:
    def __init__(self, name: str) -> None:
        self.name = name
        self.status = "running"
        self.error = ""
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()

    def emit(self, event: dict[str, Any]) -> None:
        with self.cond:
            self.events.append({**event, "t": round(time.time(), 3)})
            self.cond.notify_all()


def create_app(
    runs_dir: str | Path = "runs", cache: bool = True, scenarios: Mapping[str, str] | None = None
) -> FastAPI:
    """The dashboard app; runs live in ``runs_dir/<scenario>/`` (existing ones are listed too).

    Parameters
    ----------
    runs_dir : path
        Folder of runs.
    cache : bool
        Reuse cached stages and horizon maps.
    scenarios : mapping of name -> preset name or .toml path, optional
        The scenarios the page may start, set by whoever starts the server (never by the client); default the
        built-in presets.
    """
    root = Path(runs_dir)
    catalogue = dict(scenarios) if scenarios is not None else {n: n for n in PRESETS}
    for key in catalogue:
        if not _NAME.match(key):
            raise LupexError(f"scenario name {key!r} must be 1-40 letters, digits or '-'")
    app = FastAPI(title="lupex dashboard", docs_url="/api/docs", openapi_url="/api/openapi.json")
    runs: dict[str, _Run] = {}
    lock = threading.Lock()
    static = resources.files("lupex.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    def folder(name: str) -> Path:
        if not _NAME.match(name):
            raise HTTPException(422, f"run name {name!r} must be 1-40 letters, digits or '-'")
        path = root / name
        if not is_file(path / "web" / "layers.json"):
            raise HTTPException(404, f"no finished run named {name!r}; start one with POST /api/runs")
        return path

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return static.joinpath("index.html").read_text(encoding="utf-8")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/api/scenarios")
    def list_scenarios() -> list[dict[str, str]]:
        return [{"name": n, "title": load_scenario(src).title} for n, src in catalogue.items()]

    @app.get("/api/runs")
    def list_runs() -> list[dict[str, Any]]:
        names = {p.name for p in root.glob("*") if is_file(p / "web" / "layers.json")} | set(runs)
        out = []
        for n in sorted(names):
            r = runs.get(n)
            status = r.status if r is not None else "done"
            out.append({"name": n, "status": status, "error": r.error if r else "",
                        "ready": is_file(root / n / "web" / "layers.json")})  # fmt: skip
        return out

    @app.post("/api/runs", status_code=202)
    def start_run(req: RunRequest) -> dict[str, str]:
        if req.scenario not in catalogue:
            raise HTTPException(422, f"scenario {req.scenario!r} is not offered; choose one of {', '.join(catalogue)}")
        with lock:
            current = runs.get(req.scenario)
            if current is not None and current.status == "running":
                raise HTTPException(409, f"a run of {req.scenario} is already in progress; wait for it to finish")
            run = _Run(req.scenario)
            runs[req.scenario] = run

        def work() -> None:
            began = time.perf_counter()
            try:
                sc = load_scenario(catalogue[run.name])
                result = run_mission(sc, cache=cache, progress=lambda stage: _Progress(run, stage))
                run.emit({"event": "stage", "stage": "report"})
                write_run_outputs(result, root / run.name, began)
                run.status = "done"
                run.emit({"event": "done", "elapsed_s": round(time.perf_counter() - began, 2)})
            except LupexError as err:
                run.status, run.error = "failed", str(err).splitlines()[0]
                run.emit({"event": "failed", "error": run.error})
            except Exception as err:  # a bug: report it to the client, keep the server up
                log.exception("run %s failed", run.name)
                run.status, run.error = "failed", f"internal error: {type(err).__name__}: {err}"
                run.emit({"event": "failed", "error": run.error})

        threading.Thread(target=work, name=f"lupex-run-{req.scenario}", daemon=True).start()
        return {"name": req.scenario, "status": "running", "events": f"/api/runs/{req.scenario}/events"}

    @app.get("/api/runs/{name}/events")
    def events(name: str) -> StreamingResponse:
        if not _NAME.match(name) or name not in runs:
            raise HTTPException(404, f"no run {name!r} started in this session")
        run = runs[name]

        def stream() -> Any:
            sent = 0
            deadline = time.time() + 3600
            while time.time() < deadline:
                with run.cond:
                    if sent >= len(run.events) and run.status == "running":
                        run.cond.wait(timeout=15)
                    batch = run.events[sent:]
                sent += len(batch)
                for event in batch:
                    yield f"data: {json.dumps(event)}\n\n"
                if not batch:
                    yield ": keep-alive\n\n"
                if run.status != "running" and sent >= len(run.events):
                    return

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.get("/api/runs/{name}/layers.json")
    def manifest(name: str) -> JSONResponse:
        return JSONResponse(json.loads(read_text(folder(name) / "web" / "layers.json")))

    @app.get("/api/runs/{name}/layers/{layer}.png")
    def layer_png(name: str, layer: str) -> Response:
        if layer not in WEB_LAYERS:
            raise HTTPException(404, f"unknown layer {layer!r}; layers: {', '.join(WEB_LAYERS)}")
        return Response(read_bytes(folder(name) / "web" / f"{layer}.png"), media_type="image/png")

    @app.get("/api/runs/{name}/report", response_class=HTMLResponse)
    def report(name: str) -> Response:
        return Response(read_bytes(folder(name) / "report.html"), media_type="text/html")

    @app.get("/api/runs/{name}/summary")
    def summary(name: str) -> JSONResponse:
        return JSONResponse(json.loads(read_text(folder(name) / "summary.json")))

    app.state.runs = runs
    return app
