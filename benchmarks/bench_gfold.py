"""Time the powered-descent guidance (lossless convexification, cvxpy + Clarabel) on the Acikmese & Ploen 2007 case.

Usage::

    .venv/bin/python benchmarks/bench_gfold.py            # targets: one solve <= 0.5 s, tf search <= 5 s
    .venv/bin/python benchmarks/bench_gfold.py --nodes 160

One warm-up solve first (imports cvxpy's canonicalisation machinery and Clarabel); then, in the same run:

* one solve (P3 then P4, cvxpy problem built and compiled from scratch) at t_f = 81 s with the 4 deg glide slope;
* the time-of-flight search (10-point grid, then golden section to 0.1 s) over ``time_of_flight_bounds_s``.

Prints seconds and the ratio to each target.
"""

from __future__ import annotations

import argparse
import time

SOLVE_TARGET_S = 0.5
SEARCH_TARGET_S = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=80, help="time intervals of the discretisation")
    args = parser.parse_args()
    from lupex.flight.guidance import (
        acikmese_ploen_2007_problem,
        optimal_time_of_flight,
        solve_descent,
        time_of_flight_bounds_s,
    )

    problem = acikmese_ploen_2007_problem(glide_slope_deg=4.0)
    solve_descent(acikmese_ploen_2007_problem(), 72.0, 20)  # warm-up
    t0 = time.perf_counter()
    one = solve_descent(problem, 81.0, args.nodes)
    t_solve = time.perf_counter() - t0
    t0 = time.perf_counter()
    best = optimal_time_of_flight(problem, *time_of_flight_bounds_s(problem), args.nodes)
    t_search = time.perf_counter() - t0
    print(f"one solve  ({args.nodes} nodes, tf 81 s): {t_solve:6.3f} s  fuel {one.fuel_kg:.2f} kg  "
          f"ratio to {SOLVE_TARGET_S} s target: {t_solve / SOLVE_TARGET_S:.2f}")  # fmt: skip
    print(f"tf search  ({args.nodes} nodes): {t_search:6.3f} s  tf {best.tf_s:.2f} s  fuel {best.fuel_kg:.2f} kg  "
          f"ratio to {SEARCH_TARGET_S} s target: {t_search / SEARCH_TARGET_S:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
