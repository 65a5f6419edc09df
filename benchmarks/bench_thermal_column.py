"""Regolith column kernel throughput: 250 000 columns x 48 hourly steps (issue #4 thermal map target).

The acceptance run is a 500 x 500 map over a year of hourly steps (2.2e9 cell-steps plus spin-up) in at most
5 min on 2 cores, flux included; the kernel's share should stay at or below 40 ns per cell-step per thread.
Prints the best of 3 wall times as ns per cell-step on all threads and on one thread, for the float32 state
(what a map should use) and the float64 state, with the running statistics on (as a map run needs them), and
the projected kernel time of the year-long map (plus 4 lunations of spin-up) on all threads.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from lupex.core.thermal import HEAT_CAPACITY_COEFFS, SYNODIC_MONTH_S, advance_columns, regolith_grid

N_CELLS = 250_000
N_STEPS = 48
TARGET_NS_PER_THREAD = 40.0
YEAR_STEPS = 8766
SPINUP_STEPS = 4 * round(SYNODIC_MONTH_S / 3600.0)


def best_seconds(dtype: type, threads: int) -> tuple[float, int]:
    grid = regolith_grid(0.06, 1100.0, 1800.0, 7.4e-4, 3.4e-3)
    nz = grid.z_m.size
    rng = np.random.default_rng(0)
    state = rng.uniform(90.0, 390.0, (nz, N_CELLS)).astype(dtype)
    flux = rng.uniform(0.0, 1200.0, (N_CELLS, N_STEPS)).astype(dtype)
    ts_min = np.full(N_CELLS, np.inf)
    ts_max = np.zeros(N_CELLS)
    ts_sum = np.zeros(N_CELLS)
    tz_max = np.zeros((nz, N_CELLS))
    tz_sum = np.zeros((nz, N_CELLS))
    no_series = np.empty((0, 0), dtype=dtype)
    numba.set_num_threads(threads)
    best = float("inf")
    for attempt in range(4):  # the first call may compile or load from the cache
        start = time.perf_counter()
        advance_columns(
            state,
            flux,
            3600.0,
            grid.z_m,
            grid.thickness_m,
            grid.density_kg_m3,
            grid.conductivity_W_m_K,
            HEAT_CAPACITY_COEFFS,
            0.95,
            0.018,
            2.7,
            True,
            ts_min,
            ts_max,
            ts_sum,
            tz_max,
            tz_sum,
            no_series,
        )
        if attempt:
            best = min(best, time.perf_counter() - start)
    return best, nz


def main() -> None:
    all_threads = numba.config.NUMBA_NUM_THREADS
    for dtype in (np.float32, np.float64):
        for threads in (all_threads, 1):
            seconds, nz = best_seconds(dtype, threads)
            ns = seconds / (N_CELLS * N_STEPS) * 1e9
            per_thread = ns * threads
            line = (
                f"advance_columns {np.dtype(dtype).name}, {N_CELLS} cells x {N_STEPS} steps x {nz} layers, "
                f"{threads} thread(s): {seconds:.3f} s = {ns:.1f} ns per cell-step ({per_thread:.1f} per thread); "
                f"ratio to the {TARGET_NS_PER_THREAD:.0f} ns/thread target: {per_thread / TARGET_NS_PER_THREAD:.2f}"
            )
            if threads == all_threads:
                year = ns * 1e-9 * 500 * 500 * (YEAR_STEPS + SPINUP_STEPS)
                line += f"; 500 x 500 map, a year hourly + 4 lunations: {year:.0f} s"
            print(line, flush=True)
    numba.set_num_threads(all_threads)


if __name__ == "__main__":
    main()
