"""Time ``lupex run`` (the main job of ``make run``) from a cold cache, warm, and after a rover change.

Usage::

    .venv/bin/python benchmarks/bench_mission_run.py     # issue #6 target: <= 300 s cold on 2 cores

Each run is a fresh process (``lupex run chandrayaan5``) with ``LUPEX_CACHE_DIR`` in a new temporary folder, so
the horizon maps and stages are computed from scratch; numba's own compile cache is left as it is (run it
twice to see a first-install figure with compilation, or clear ``__pycache__``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 300.0
LUPEX = str(Path(sys.executable).with_name("lupex"))


def _run(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([LUPEX, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lupex-bench-run-") as tmp:
        env = {**os.environ, "LUPEX_CACHE_DIR": str(Path(tmp) / "cache")}
        out = str(Path(tmp) / "run")
        cold = _run(["run", "chandrayaan5", "--out", out], env)
        ratio = cold / TARGET_S
        print(f"lupex run chandrayaan5, cold cache: {cold:.1f} s; target {TARGET_S:.0f} s -> ratio {ratio:.2f}")
        warm = _run(["run", "chandrayaan5", "--out", out], env)
        print(f"rerun, every stage cached: {warm:.1f} s")
        show = [LUPEX, "scenario", "show", "chandrayaan5", "--toml"]
        text = subprocess.run(show, capture_output=True, text=True, check=True).stdout
        changed = Path(tmp) / "changed.toml"
        changed.write_text(re.sub(r"battery_Wh = \{ value = 3000.0", "battery_Wh = { value = 2500.0", text))
        rover = _run(["run", str(changed), "--out", out], env)
        print(f"rerun with the battery changed (traverse and comms): {rover:.1f} s")


if __name__ == "__main__":
    main()
