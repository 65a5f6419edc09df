"""Site-selection grid kernels on the full bundled 240 m DEM (1536 x 1536), issue #4 item 2.

Targets (CPU, 2 cores): exact distance map <= 1 s, 8-connected path distances <= 3 s ("a few seconds"),
footprint minimum/maximum of radius 10 cells <= 2 s (and radius 30 cells reported against the same target).
Inputs are real: the Horn slope of the bundled LOLA DEM; steep = slope > 12 deg (lander limit), passable =
slope <= 15 deg (rover limit), one source cell (reaching 80 % of the grid).
Prints the best of 3 wall times (after a warm-up that compiles or loads the numba kernels) and the ratio to each
target (below 1 = faster than the target).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lupex.core.grid_distance import euclidean_distance_m, footprint_extreme, path_distance_m
from lupex.terrain import builtin_dem, slope_deg


def best_of(runs: int, func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    func(*args, **kwargs)  # warm-up: numba compile or cache load
    best = float("inf")
    value = None
    for _ in range(runs):
        start = time.perf_counter()
        value = func(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return value, best


def main() -> None:
    dem = builtin_dem("south_pole_240m")
    res = float(dem.attrs["res_m"])
    slope = slope_deg(dem).values
    steep = slope > 12.0
    passable = slope <= 15.0
    sources = np.zeros_like(passable)
    sources[100, 100] = True  # on the main connected plain: 80 % of the grid is reached
    cells = slope.size / 1e6
    print("| what | size | seconds | rate | target | ratio to target |")
    print("|---|---|---|---|---|---|")
    rows = [
        ("euclidean_distance_m (to slope > 12 deg)", 1.0, euclidean_distance_m, (steep, res), {}),
        ("path_distance_m (slope <= 15 deg, 1 source)", 3.0, path_distance_m, (sources, passable, res), {}),
        ("footprint_extreme max slope, r = 10 cells", 2.0, footprint_extreme, (slope, 10 * res, res), {"worst": "max"}),
        ("footprint_extreme max slope, r = 30 cells", 2.0, footprint_extreme, (slope, 30 * res, res), {"worst": "max"}),
    ]
    for label, target, func, args, kwargs in rows:
        _, seconds = best_of(3, func, *args, **kwargs)
        print(
            f"| {label} | {slope.shape[0]}x{slope.shape[1]} | {seconds:.3f} | {cells / seconds:.1f} M cells/s | "
            f"{target:g} s | {seconds / target:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
