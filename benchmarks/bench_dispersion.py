"""Benchmark: 1000 landing-dispersion runs of the closed-loop terminal descent (target <= 60 s on 2 cores).

Run: ``.venv/bin/python benchmarks/bench_dispersion.py``. The first call compiles (or loads) the numba kernels
and is excluded from the timing.
"""

from __future__ import annotations

import time

from lupex.flight.dispersion import landing_dispersion
from lupex.terrain import builtin_dem

TARGET_S = 60.0


def main() -> None:
    dem = builtin_dem("connecting_ridge_10m")
    landing_dispersion(dem, -89.45, 222.5, runs=10, seed=0)  # compile / load the kernels
    start = time.perf_counter()
    result = landing_dispersion(dem, -89.45, 222.5, runs=1000, seed=1)
    elapsed = time.perf_counter() - start
    print(
        f"1000 dispersion runs: {elapsed:.2f} s (target {TARGET_S:.0f} s, ratio {elapsed / TARGET_S:.3f}); "
        f"p_safe {result.p_safe:.3f}"
    )


if __name__ == "__main__":
    main()
