"""The dashboard: a FastAPI app serving a Leaflet map of runs, their report, and runs started from the browser.

The API never takes a file path from the client: runs are addressed by scenario preset name (letters, digits,
``-``), layers by a fixed list of names, and every other input is validated with a clear 4xx. One run at a time
per scenario (409 while one is running); progress streams as server-sent events (async: an open stream holds no
worker thread). Requests must name an allowed host (``Host`` header; against DNS rebinding) and carry a small
body (413 above ``max_body_bytes``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lupex.errors import LupexError
from lupex.io.tables import is_file, read_bytes, read_text
from lupex.mission import PRESETS, load_scenario, run_mission
from lupex.mission.outputs import run_layer_names, write_run_outputs
from lupex.web.map_routes import add_map_routes
from lupex.web.sky_routes import add_sky_routes
from lupex.web.tiles import warm_base_tiles

__all__ = ["RunRequest", "create_app", "run_name_for"]

log = logging.getLogger(__name__)
_NAME = re.compile(r"[A-Za-z0-9-]{1,40}")  # always with fullmatch (``$`` would let a trailing newline through)
#: Host names every dashboard answers to (with any port); ``create_app(allowed_hosts=...)`` adds more.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
#: Largest request body accepted [bytes] (a run request is a few dozen).
MAX_BODY_BYTES = 64 * 1024
#: How often an open progress stream looks for new events [s].
_POLL_S = 0.2


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


def _shown(text: str, limit: int = 40) -> str:
    """``repr`` of client-supplied text, cut to ``limit`` characters (errors never echo a whole input)."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


def _host_name(header: str) -> str:
    """The host part of a ``Host`` header, lower case, without the port (IPv6 literals keep their brackets)."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[: end + 1] if end > 0 else value
    name, sep, port = value.rpartition(":")
    return name if sep and port.isdigit() else value


def _host_entry(host: str) -> str:
    """An ``allowed_hosts`` entry as :func:`_host_name` returns it (lower case, IPv6 in brackets)."""
    host = host.strip().lower()
    return f"[{host.strip('[]')}]" if ":" in host else host


class _TooLarge(HTTPException):
    """A request body over the limit (raised while the body is read; FastAPI answers it as a 413)."""


class _Guard:
    """ASGI middleware: refuses requests for a host not served here (400) and bodies over a limit (413).

    The body limit uses ``Content-Length`` when given, and counts the bytes as they arrive otherwise.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str], max_body_bytes: int) -> None:
        self.app, self.allowed_hosts, self.max_body_bytes = app, allowed_hosts, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = _host_name(headers.get(b"host", b"").decode("latin-1"))
        if host not in self.allowed_hosts:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            detail = (
                f"Host {_shown(host)} is not served here (DNS rebinding guard); open the dashboard as "
                f"{' or '.join(sorted(self.allowed_hosts))}, or start lupex serve with --host {_shown(host)}"
            )
            await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = headers.get(b"content-length")
        if length is not None and not (length.isdigit() and int(length) <= self.max_body_bytes):
            size = f"{int(length)} bytes" if length.isdigit() else f"Content-Length {_shown(length.decode('latin-1'))}"
            await JSONResponse({"detail": self._too_large(size)}, status_code=413)(scope, receive, send)
            return
        await self.app(scope, self._limited(receive), send)

    def _too_large(self, size: str = "") -> str:
        return (
            f"request body{' of ' + size if size else ''} is over the {self.max_body_bytes} byte limit; "
            'POST /api/runs takes {"scenario": NAME}'
        )

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _TooLarge(413, self._too_large())
            return message

        return limited


async def _validation_failed(request: Request, exc: Exception) -> JSONResponse:
    """422 with a short message (field and problem) instead of FastAPI's echo of the whole input."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    parts = []
    for err in errors[:3]:
        where = ".".join(str(x)[:40] for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {str(err.get('msg', 'invalid'))[:120]}")
    detail = "; ".join(parts) or "invalid request"
    if request.url.path == "/api/runs":
        detail += '; POST /api/runs takes JSON {"scenario": NAME}'
    return JSONResponse({"detail": detail}, status_code=422)


async def _event_stream(run: _Run, max_s: float = 3600.0, keep_alive_s: float = 15.0) -> AsyncIterator[str]:
    """A run's events as server-sent events, polled on the event loop (no thread waits on a stream).

    Ends after the run's ``done`` or ``failed`` event, after ``max_s``, or when the client goes away (the
    response cancels this generator at its sleep).
    """
    sent = 0
    began = last = time.monotonic()
    while time.monotonic() - began < max_s:
        batch = run.events[sent:]  # appended to by the run's thread; a slice is one atomic read
        sent += len(batch)
        for event in batch:
            yield f"data: {json.dumps(event)}\n\n"
            if event.get("event") in ("done", "failed"):
                return
        now = time.monotonic()
        if batch:
            last = now
        elif run.status != "running" and now - last > 1.0:
            return  # finished without a final event
        elif now - last >= keep_alive_s:
            yield ": keep-alive\n\n"
            last = now
        await asyncio.sleep(_POLL_S)


def run_name_for(folder: str | Path) -> str:
    """A run name for a run folder: its folder name with runs of other characters as '-', cut to 40 characters.

    >>> run_name_for("out/my run_2")
    'my-run-2'
    """
    name = re.sub(r"[^A-Za-z0-9-]+", "-", Path(folder).resolve().name).strip("-")[:40].strip("-")
    return name or "run"


def create_app(
    runs_dir: str | Path = "runs",
    cache: bool = True,
    scenarios: Mapping[str, str] | None = None,
    allowed_hosts: Iterable[str] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    extra_runs: Mapping[str, str | Path] | None = None,
    warm_tiles: bool = False,
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
    allowed_hosts : iterable of str
        Host names or addresses (no port; IPv6 with or without brackets) the app answers to besides
        :data:`LOOPBACK_HOSTS`, e.g. the address the server is bound to. Requests whose ``Host`` header names
        another host get 400 (so a DNS-rebinding page cannot read runs).
    max_body_bytes : int
        Largest request body [bytes]; larger ones get 413.
    extra_runs : mapping of name -> folder, optional
        Single run folders (as ``lupex run --out DIR`` writes: ``DIR/web/layers.json``) listed and served too,
        under the given names (1-40 letters, digits or '-'; see :func:`run_name_for`).
    warm_tiles : bool
        Load the bundled DEMs for the base map in a background thread now (``lupex serve`` does).
    """
    root = Path(runs_dir)
    catalogue = dict(scenarios) if scenarios is not None else {n: n for n in PRESETS}
    for key in catalogue:
        if not _NAME.fullmatch(key):
            raise LupexError(f"scenario name {key!r} must be 1-40 letters, digits or '-'")
    extra = {str(k): Path(v) for k, v in (extra_runs or {}).items()}
    for key in extra:
        if not _NAME.fullmatch(key):
            raise LupexError(f"run name {key!r} must be 1-40 letters, digits or '-'")
    hosts = frozenset([*LOOPBACK_HOSTS, *(_host_entry(h) for h in allowed_hosts)])
    app = FastAPI(title="lupex dashboard", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.add_middleware(_Guard, allowed_hosts=hosts, max_body_bytes=int(max_body_bytes))
    app.add_exception_handler(RequestValidationError, _validation_failed)
    state = _AppState(root, catalogue, cache, resources.files("lupex.web").joinpath("static"), extra)
    app.mount("/static", StaticFiles(directory=str(state.static)), name="static")
    _add_page_routes(app, state)
    _add_run_routes(app, state)
    _add_result_routes(app, state)
    add_map_routes(app, state)
    add_sky_routes(app, state.folder, state.cache)
    app.state.runs = state.runs
    if warm_tiles:  # load and hillshade the bundled DEMs while the browser fetches the page
        threading.Thread(target=warm_base_tiles, name="lupex-warm-tiles", daemon=True).start()
    return app


@dataclass
class _AppState:
    """What the routes of one dashboard share: the runs folder, the scenarios offered and this session's runs."""

    root: Path
    catalogue: dict[str, str]
    cache: bool
    static: Traversable
    extra: dict[str, Path] = field(default_factory=dict)
    runs: dict[str, _Run] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def path_of(self, name: str) -> Path:
        """Where run ``name`` lives: an extra run folder, unless this session started a run of that name."""
        return self.extra[name] if name in self.extra and name not in self.runs else self.root / name

    def names(self) -> set[str]:
        """Names of the finished runs on disk (runs folder and extra run folders)."""
        found = {p.name for p in self.root.glob("*") if _NAME.fullmatch(p.name) and is_file(p / "web" / "layers.json")}
        return found | {n for n, p in self.extra.items() if is_file(p / "web" / "layers.json")}

    def folder(self, name: str) -> Path:
        """The folder of the finished run ``name`` (422 for a bad name, 404 when there is none)."""
        if not _NAME.fullmatch(name):
            raise HTTPException(422, f"run name {_shown(name)} must be 1-40 letters, digits or '-'")
        path = self.path_of(name)
        if not is_file(path / "web" / "layers.json"):
            raise HTTPException(404, f"no finished run named {name!r}; start one with POST /api/runs")
        return path


def _add_page_routes(app: FastAPI, state: _AppState) -> None:
    """``/`` (the page), ``/favicon.ico`` and ``GET /api/scenarios``."""

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return state.static.joinpath("index.html").read_text(encoding="utf-8")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/api/scenarios")
    def list_scenarios() -> list[dict[str, str]]:
        return [{"name": n, "title": load_scenario(src).title} for n, src in state.catalogue.items()]


def _add_run_routes(app: FastAPI, state: _AppState) -> None:
    """``GET /api/runs`` (list), ``POST /api/runs`` (start one) and ``/api/runs/{name}/events`` (its progress)."""
    runs = state.runs

    @app.get("/api/runs")
    def list_runs() -> list[dict[str, Any]]:
        names = state.names() | set(runs)
        out = []
        for n in sorted(names):
            r = runs.get(n)
            status = r.status if r is not None else "done"
            out.append({"name": n, "status": status, "error": r.error if r else "",
                        "ready": is_file(state.path_of(n) / "web" / "layers.json")})  # fmt: skip
        return out

    @app.post("/api/runs", status_code=202)
    def start_run(req: RunRequest) -> dict[str, str]:
        if req.scenario not in state.catalogue:
            offered = ", ".join(state.catalogue)
            raise HTTPException(422, f"scenario {req.scenario!r} is not offered; choose one of {offered}")
        with state.lock:
            current = runs.get(req.scenario)
            if current is not None and current.status == "running":
                raise HTTPException(409, f"a run of {req.scenario} is already in progress; wait for it to finish")
            run = _Run(req.scenario)
            runs[req.scenario] = run
        threading.Thread(target=_work, args=(state, run), name=f"lupex-run-{req.scenario}", daemon=True).start()
        return {"name": req.scenario, "status": "running", "events": f"/api/runs/{req.scenario}/events"}

    @app.get("/api/runs/{name}/events")
    async def events(name: str) -> StreamingResponse:
        if not _NAME.fullmatch(name) or name not in runs:
            raise HTTPException(404, f"no run {_shown(name)} started in this session")
        stream = _event_stream(runs[name])
        return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _work(state: _AppState, run: _Run) -> None:
    """Run the mission of ``run``'s scenario and write its outputs (the body of a run's thread)."""
    began = time.perf_counter()
    try:
        sc = load_scenario(state.catalogue[run.name])
        result = run_mission(sc, cache=state.cache, progress=lambda stage: _Progress(run, stage))
        run.emit({"event": "stage", "stage": "report"})
        write_run_outputs(result, state.root / run.name, began)
        run.status = "done"
        run.emit({"event": "done", "elapsed_s": round(time.perf_counter() - began, 2)})
    except LupexError as err:
        run.status, run.error = "failed", str(err).splitlines()[0]
        run.emit({"event": "failed", "error": run.error})
    except Exception as err:  # a bug: report it to the client, keep the server up
        log.exception("run %s failed", run.name)
        run.status, run.error = "failed", f"internal error: {type(err).__name__}: {err}"
        run.emit({"event": "failed", "error": run.error})


def _add_result_routes(app: FastAPI, state: _AppState) -> None:
    """A finished run's layer manifest, layer images, report and summary under ``/api/runs/{name}/``."""
    folder = state.folder

    @app.get("/api/runs/{name}/layers.json")
    def manifest(name: str) -> JSONResponse:
        return JSONResponse(json.loads(read_text(folder(name) / "web" / "layers.json")))

    @app.get("/api/runs/{name}/layers/{layer}.png")
    def layer_png(name: str, layer: str) -> Response:
        path = folder(name)
        known = run_layer_names(json.loads(read_text(path / "web" / "layers.json")))
        if layer not in known:
            raise HTTPException(404, f"unknown layer {_shown(layer)}; layers of this run: {', '.join(known)}")
        return Response(read_bytes(path / "web" / f"{layer}.png"), media_type="image/png")

    @app.get("/api/runs/{name}/report", response_class=HTMLResponse)
    def report(name: str) -> Response:
        return Response(read_bytes(folder(name) / "report.html"), media_type="text/html")

    @app.get("/api/runs/{name}/summary")
    def summary(name: str) -> JSONResponse:
        return JSONResponse(json.loads(read_text(folder(name) / "summary.json")))
