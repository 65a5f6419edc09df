"""Time the dashboard's first meaningful paint in headless Chromium (issue #16 target: <= 2 s).

Usage::

    .venv/bin/python benchmarks/bench_dashboard_paint.py [RUN_DIR]

Serves the dashboard (uvicorn in this process, loopback) with ``RUN_DIR`` (a folder written by ``lupex run --out``;
default ``run/``, what ``make run`` writes) as its run, opens the page in Debian's chromium through Playwright five
times (fresh page, server tile cache warm after the first) and prints, per load: the browser's first contentful
paint and the time until the first base-map tile and the run's first raster tile have loaded (the first
meaningful paint: the map with terrain and a layer), and the ratio of the worst to the 2 s target.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

TARGET_S = 2.0
CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    run = Path(sys.argv[1] if len(sys.argv) > 1 else "run")
    if not (run / "web" / "layers.json").is_file():
        print(f"{run} holds no run; run `make run` first or give a folder written by `lupex run --out`")
        return 1
    import uvicorn
    from playwright.sync_api import sync_playwright

    from lupex.web import create_app
    from lupex.web.app import run_name_for

    name = run_name_for(run)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Path("/tmp/lupex-bench-runs"), extra_runs={name: run}, warm_tiles=True)  # as lupex serve
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    worst = 0.0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for k in range(5):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t0 = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("document.querySelector('.base-tiles img.leaflet-tile-loaded') !== null")
            t_base = time.perf_counter() - t0
            page.wait_for_function("document.querySelector('.layer-illumination img.leaflet-tile-loaded') !== null")
            t_layer = time.perf_counter() - t0
            fcp = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0")
            worst = max(worst, t_layer)
            print(f"load {k + 1}: first contentful paint {fcp / 1000:.2f} s, first base tile {t_base:.2f} s, "
                  f"first run-layer tile {t_layer:.2f} s{' (cold server)' if k == 0 else ''}")
            page.close()
        browser.close()
    srv.should_exit = True
    print(f"worst first meaningful paint (cold server included) {worst:.2f} s; target {TARGET_S:.0f} s; "
          f"ratio {worst / TARGET_S:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
