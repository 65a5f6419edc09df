"""Ephemeris throughput: Sun and Earth for 1e5 times at one site (issue #2 target: under 1 s on one core).

Prints the best of 3 wall times and the ratio to the 1 s target (below 1 = faster than the target).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from lupex.ephemeris import sky_positions

TARGET_S = 1.0


def main() -> None:
    times = np.datetime64("2028-01-01", "ns") + np.arange(100_000) * np.timedelta64(600, "s")
    sky_positions(-89.45, 222.5, times[:10])  # load kernels once
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        sky_positions(-89.45, 222.5, times, 1944.8)
        best = min(best, time.perf_counter() - start)
    print(
        f"sky_positions, 1e5 times, one site: {best:.3f} s  ({1e5 / best / 1e3:.0f} k times/s); "
        f"ratio to the {TARGET_S:.0f} s target: {best / TARGET_S:.2f}"
    )


if __name__ == "__main__":
    main()
