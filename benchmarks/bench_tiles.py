"""Time the dashboard's base map tiles (issue #16): p50 / p99 latency with 20 concurrent clients on loopback.

Usage::

    .venv/bin/python benchmarks/bench_tiles.py                 # targets (p99): cached <= 20 ms, uncached <= 150 ms
    .venv/bin/python benchmarks/bench_tiles.py --clients 8 --tiles 400

A real uvicorn server (the ``lupex serve`` app) runs in this process on a free loopback port; the clients run in a
second process (as a browser would: they do not share the server's GIL), each thread keeping one HTTP/1.1
connection. Uncached: every request is a distinct tile (zooms 4-10 around the pole and the
connecting ridge, the in-memory tile cache emptied first). Cached: the same tiles requested again. The bundled DEMs
are loaded (and hillshaded) by one untimed request first, as the first tile of a served page does.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

TARGET_CACHED_P99_MS = 20.0
TARGET_UNCACHED_P99_MS = 150.0


def _tiles(count: int) -> list[tuple[int, int, int]]:
    """``count`` distinct tiles over the bundled terrain, zooms 4-10, around (0, 0) and the ridge (-11, -12) km."""
    from lupex.web.tiles import HALF_EXTENT_M

    out: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int, int]] = set()
    rng = np.random.default_rng(16)
    while len(out) < count:
        z = int(rng.integers(4, 11))
        cx, cy = ((0.0, 0.0), (-11000.0, -12000.0))[int(rng.integers(0, 2))]
        spread = 60000.0 / 2 ** max(z - 6, 0)
        x_m, y_m = cx + rng.normal(0, spread), cy + rng.normal(0, spread)
        side = 2 * HALF_EXTENT_M / 2**z
        tile = (z, int((x_m + HALF_EXTENT_M) // side), int((HALF_EXTENT_M - y_m) // side))
        if tile not in seen and all(0 <= v < 2**z for v in tile[1:]):
            seen.add(tile)
            out.append(tile)
    return out


def _serve() -> tuple[int, object]:
    import uvicorn

    from lupex.web import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(tempfile.mkdtemp(prefix="lupex-bench-tiles-"), scenarios={})
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", limit_concurrency=1000))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return port, server


def _round(port: int, tiles: list[tuple[int, int, int]], clients: int) -> np.ndarray:
    """Latencies [ms] of GET-ting every tile once, shared among ``clients`` threads with a connection each."""
    chunks = [tiles[i::clients] for i in range(clients)]

    def client(chunk: list[tuple[int, int, int]]) -> list[float]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        out = []
        for z, x, y in chunk:
            t0 = time.perf_counter()
            conn.request("GET", f"/api/base/tiles/{z}/{x}/{y}.png")
            resp = conn.getresponse()
            body = resp.read()
            out.append((time.perf_counter() - t0) * 1000.0)
            if resp.status != 200 or body[:4] != b"\x89PNG":
                raise RuntimeError(f"tile {z}/{x}/{y}: HTTP {resp.status}")
        conn.close()
        return out

    with ThreadPoolExecutor(clients) as pool:
        return np.concatenate([np.asarray(r) for r in pool.map(client, chunks)])


def _client_rounds(
    port: int, warm: list[tuple[int, int, int]], tiles: list[tuple[int, int, int]], clients: int
) -> tuple[np.ndarray, np.ndarray]:
    """In the client process: a warm-up round (other tiles), then the uncached and the cached round [ms]."""
    _round(port, warm, clients)
    return _round(port, tiles, clients), _round(port, tiles, clients)


def _line(label: str, ms: np.ndarray, target_ms: float) -> str:
    p50, p99 = np.percentile(ms, [50, 99])
    return (f"{label:9s} n={ms.size:5d}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
            f"target p99 <= {target_ms:g} ms  ratio {p99 / target_ms:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--tiles", type=int, default=1000, help="distinct tiles per round")
    args = parser.parse_args()
    from lupex.web.tiles import TILE_CACHE, base_tile_png

    port, server = _serve()
    t0 = time.perf_counter()
    base_tile_png(0, 0, 0)  # loads and hillshades the bundled DEMs
    print(f"DEMs loaded and hillshaded (once per process): {time.perf_counter() - t0:.2f} s")
    tiles = _tiles(args.tiles + 50)
    TILE_CACHE.clear()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        uncached, cached = pool.apply(_client_rounds, (port, tiles[:50], tiles[50:], args.clients))
    print(f"{args.clients} concurrent clients in another process, loopback, uvicorn in this process")
    print(_line("uncached", uncached, TARGET_UNCACHED_P99_MS))
    print(_line("cached", cached, TARGET_CACHED_P99_MS))
    server.should_exit = True  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
