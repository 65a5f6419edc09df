"""``lupex serve``: the dashboard."""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from lupex.errors import LupexError


class ServeError(LupexError, OSError):
    """The dashboard cannot listen on the asked ``--host`` / ``--port``."""


def _bind_message(host: str, port: int, err: Exception) -> str:
    """One line saying why ``host``:``port`` cannot be bound, naming the flag to change."""
    other = f"--port {port + 1 if port < 65535 else 8765}"
    if isinstance(err, socket.gaierror) or not isinstance(err, OSError):
        return (
            f"--host {host!r} is not an address or a host name this machine can resolve; use 127.0.0.1 "
            "(this machine only), 0.0.0.0 (every interface) or one of this machine's addresses"
        )
    if err.errno == errno.EADDRINUSE:
        return f"--port {port} is already in use on {host}; stop the program using it or choose another, e.g. {other}"
    if err.errno == errno.EADDRNOTAVAIL:
        return (
            f"--host {host!r} is not an address of this machine; use 127.0.0.1 (this machine only), "
            "0.0.0.0 (every interface) or one of this machine's addresses"
        )
    if err.errno == errno.EACCES:
        return f"--port {port} needs administrator rights; choose a port from 1024 to 65535, e.g. --port 8765"
    reason = err.strerror or str(err)
    return f"cannot listen on --host {host!r} --port {port} ({reason}); choose another --host or --port"


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (not yet listening), or a one-line :class:`ServeError`.

    Parameters
    ----------
    host : str
        Address or host name to bind (IPv6 with or without brackets); not empty.
    port : int
        TCP port, 1-65535.

    Returns
    -------
    socket.socket
        The bound socket (``SO_REUSEADDR`` set, as uvicorn does).

    Raises
    ------
    ServeError
        The port is in use or needs privileges, or the host is not an address of this machine.
    """
    name = host.strip()
    if not name:
        raise ServeError("--host is empty; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")
    name = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    sock = socket.socket(socket.AF_INET6 if ":" in name else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((name, port))
    except (OSError, ValueError, UnicodeError) as err:  # ValueError: a NUL in the name; UnicodeError: IDNA
        sock.close()
        raise ServeError(_bind_message(host, port, err)) from None
    return sock


def extra_runs(folders: list[Path] | None, default: Path = Path("run")) -> dict[str, Path]:
    """Run name -> folder for ``--run`` folders (or ``default`` when none is given and it holds a run).

    Names are the folder names made URL-safe (:func:`lupex.web.app.run_name_for`), with ``-2``, ``-3`` ... added
    to repeats.

    Raises
    ------
    LupexError
        A ``--run`` folder without ``web/layers.json``.
    """
    from lupex.io.tables import is_file
    from lupex.web.app import run_name_for

    if not folders:
        folders = [default] if is_file(default / "web" / "layers.json") else []
    else:
        for folder in folders:
            if not is_file(folder / "web" / "layers.json"):
                raise LupexError(
                    f"--run {str(folder)!r} holds no finished run (no web/layers.json); "
                    "give a folder written by `lupex run --out DIR`"
                )
    out: dict[str, Path] = {}
    for folder in folders:
        base = run_name_for(folder)[:37]
        name, k = base, 1
        while name in out:
            k += 1
            name = f"{base}-{k}"
        out[name] = folder
    return out


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
    run: Annotated[
        list[Path] | None,
        typer.Option(
            "--run",
            help="Also list this run folder, as `lupex run --out DIR` writes it (repeatable; "
            "default: ./run when it holds a run, as `make run` writes it).",
        ),
    ] = None,
) -> None:
    """Serve the dashboard: map layers, candidates, the traverse with a time slider, runs started from the page.

    The page answers only to requests for localhost, 127.0.0.1, [::1] or the ``--host`` given (DNS rebinding).
    """
    import uvicorn

    from lupex.mission import PRESETS, load_scenario
    from lupex.web import create_app

    offered = {n: n for n in PRESETS}
    for path in scenario or []:
        offered[load_scenario(str(path)).name] = str(path)
    app = create_app(runs_dir, cache=cache, scenarios=offered, allowed_hosts=[host], extra_runs=extra_runs(run),
                     warm_tiles=True)  # fmt: skip
    sock = bind_socket(host, port)  # before the banner: a busy port or a foreign address is one line, exit 1
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    sys.stderr.write(f"lupex: dashboard on http://{shown}:{port}/ (runs in {runs_dir}/); Ctrl-C stops it\n")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
