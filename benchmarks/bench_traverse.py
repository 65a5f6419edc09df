"""Time the traverse planner: 10 km x 10 km at 20 m (250 000 cells), 14 days at 1 h, one goal.

Usage::

    .venv/bin/python benchmarks/bench_traverse.py                 # issue #5 problem; naive run capped at 300 s
    .venv/bin/python benchmarks/bench_traverse.py --size-km 5     # smaller window (growth with grid size)
    .venv/bin/python benchmarks/bench_traverse.py --days 7        # shorter horizon (growth with horizon)

Terrain: the bundled connecting-ridge DEM (PGDA Site01, 10 m) averaged to 20 m; sky from 2027-12-29 for the
period (Earth above the horizon for the first two weeks, the Sun skimming the ridge). Start and goal: 4.2 km
apart, a pair for which the default rover must wait (found by planning random pairs; fixed in map coordinates,
so ``--size-km`` from 9 to 16 keeps the same problem on a larger or smaller map).

Baselines, timed in the same run on the same integer problem (``plan_inputs``, shared and timed apart):

* naive time-expanded Dijkstra (the issue's baseline): the same label-setting search with a zero heuristic and
  no calm-stretch jumps, so it settles every state that reaches the goal sooner (``--naive-labels`` budget; if
  that runs out the output says so and the ratio is a lower bound);
* layer sweep: a dense uninformed sweep over (cell, quantum) with one label (best battery) per node and waits of
  one quantum, capped at ``--naive-cap-s`` and extrapolated to the arrival layer if it cannot finish. It keeps
  fewer labels than the exact problem needs, so it is a floor for any uninformed search, not a correct planner.

Prints seconds, peak memory and the ratios.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import tempfile
import time
from typing import Any

import numba
import numpy as np

TARGET_S = 30.0
TARGET_GB = 4.0
_DI = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
_DJ = np.array([-1, 0, 1, -1, 1, -1, 0, 1])
_DL = np.array([math.sqrt(2.0), 1.0, math.sqrt(2.0), 1.0, 1.0, math.sqrt(2.0), 1.0, math.sqrt(2.0)])


@numba.njit(cache=True)
def naive_time_expanded(
    ny, nx, res, q, inv_speed, drive, energy_in, lit, earth, step_of, hotel, heater, cap, reserve, bat0,
    max_comm, max_shadow, start, goal, cap_s_layers,
):  # fmt: skip
    """Layer-by-layer Dijkstra over (cell, quantum) with one label (max battery) per node; returns layers done."""
    n = ny * nx
    k_end = step_of.size - 1
    ring = 16
    bat = np.full((ring, n), -1, dtype=np.int64)
    comm = np.zeros((ring, n), dtype=np.int64)
    shadow = np.zeros((ring, n), dtype=np.int64)
    bat[0, start] = bat0
    for k in range(min(k_end, cap_s_layers)):
        r = k % ring
        if bat[r, goal] >= 0:
            return k, True
        for c in range(n):
            b0 = bat[r, c]
            if b0 < 0:
                continue
            ci = c // nx
            cj = c - ci * nx
            for e in range(9):
                if e < 8:
                    ni = ci + _DI[e]
                    nj = cj + _DJ[e]
                    if ni < 0 or ni >= ny or nj < 0 or nj >= nx:
                        continue
                    nb = ni * nx + nj
                    if not np.isfinite(inv_speed[nb]):
                        continue
                    m = max(1, int(math.ceil(_DL[e] * res * 0.5 * (inv_speed[c] + inv_speed[nb]) / q - 1e-9)))
                    extra = max(drive[c], drive[nb])
                else:
                    nb = c
                    m = 1
                    extra = 0
                if k + m > k_end or m >= ring:
                    continue
                b = b0
                cm = comm[r, c]
                sh = shadow[r, c]
                ok = True
                for j in range(m):
                    s = step_of[k + j]
                    is_lit = lit[s, c] and lit[s, nb]
                    out = hotel + extra + (0 if is_lit else heater)
                    b = min(cap, b + min(energy_in[s, c], energy_in[s, nb]) - out)
                    cm = 0 if (earth[s, c] and earth[s, nb]) else cm + 1
                    sh = 0 if is_lit else sh + 1
                    if b < reserve or cm > max_comm or sh > max_shadow:
                        ok = False
                        break
                if not ok:
                    continue
                t = (k + m) % ring
                if b > bat[t, nb] or (b == bat[t, nb] and cm < comm[t, nb]):
                    bat[t, nb] = b
                    comm[t, nb] = cm
                    shadow[t, nb] = sh
        bat[r, :] = -1
    return min(k_end, cap_s_layers), False


def _naive_dijkstra(inp: Any, rover: Any, start_cell: int, goal_cell: int, max_labels: int) -> Any:
    """The planner's search with no calm jumps and no heuristic: a plain time-expanded Dijkstra with the
    planner's buckets."""
    from lupex.core.traverse import SearchPruning, SearchRoute, plan_search

    world = inp.world()._replace(calm=np.zeros_like(inp.calm))
    pruning = SearchPruning(
        max(1, int(0.005 * rover.battery_Wh / 0.01)), inp.quanta_per_step, inp.quanta_per_step, max_labels
    )
    route = SearchRoute(start_cell, np.array([goal_cell]), np.array([0]), np.zeros((1, inp.ny * inp.nx)))
    return plan_search(inp.grid(), world, inp.energy(), inp.rules(), pruning, route)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-km", type=float, default=10.0)
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--naive-cap-s", type=float, default=300.0)
    parser.add_argument("--naive-labels", type=int, default=40_000_000)
    args = parser.parse_args()
    os.environ.setdefault("LUPEX_CACHE_DIR", tempfile.mkdtemp(prefix="lupex-bench-"))
    from lupex.terrain import builtin_dem
    from lupex.terrain.dem import check_dem
    from lupex.terrain.projection import xy_to_latlon
    from lupex.traverse import Rover, check_plan, plan_inputs, plan_traverse, traverse_environment

    ridge = builtin_dem("connecting_ridge_10m")
    coarse = ridge.coarsen(y=2, x=2, boundary="trim").mean()
    coarse.attrs = {**ridge.attrs, "res_m": 20.0, "source": ridge.attrs.get("source", "") + " (2x2 mean, 20 m)"}
    n = int(round(args.size_km * 1000 / 20.0))
    o = (coarse.shape[0] - n) // 2
    window = check_dem(coarse.isel(y=slice(o, o + n), x=slice(o, o + n)))
    end = np.datetime64("2027-12-29T00:00:00") + np.timedelta64(int(args.days * 86400) - 3600, "s")
    t0 = time.perf_counter()
    env = traverse_environment(ridge, "2027-12-29", str(end) + "Z", "1h", window=window, n_azimuth=90)
    t_env = time.perf_counter() - t0
    # start and goal: a feasible pair with waiting, found by planning random pairs on the 10 km window (cells
    # (205, 320) -> (409, 376) there); fixed as map coordinates so that other window sizes keep the same problem
    x0 = float(coarse["x"].values[(coarse.shape[1] - 500) // 2])
    y0 = float(coarse["y"].values[(coarse.shape[0] - 500) // 2])
    start = tuple(float(v) for v in xy_to_latlon(x0 + 320 * 20.0, y0 - 205 * 20.0))
    goal = tuple(float(v) for v in xy_to_latlon(x0 + 376 * 20.0, y0 - 409 * 20.0))
    si, sj = env.cell_of(*start)
    gi, gj = env.cell_of(*goal)
    rover = Rover()
    plan_traverse(env, start, start, rover=rover)  # compile the kernels (start = goal: trivial)
    t0 = time.perf_counter()
    plan = plan_traverse(env, start, goal, rover=rover)
    t_plan = time.perf_counter() - t0
    check = check_plan(plan, env)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    s = plan.summary()
    print(
        f"window {n} x {n} cells at 20 m, {env.time_utc.size} hourly steps; sky {t_env:.1f} s; "
        f"start {start[0]:.4f},{start[1]:.3f} -> goal {goal[0]:.4f},{goal[1]:.3f} "
        f"({math.hypot(si - gi, sj - gj) * 0.02:.1f} km apart)"
    )
    print(
        f"planner: {t_plan:.2f} s (compiled), feasible={plan.feasible}, "
        f"duration {s['duration_h']:.1f} h, wait {s['wait_h']:.1f} h, {s['search']['labels']} labels, "
        f"replay ok={check.ok} {plan.reason[:100]}; peak RSS {peak_gb:.2f} GB"
    )
    print(
        f"targets: {TARGET_S:.0f} s -> ratio {t_plan / TARGET_S:.2f}; "
        f"{TARGET_GB:.0f} GB -> ratio {peak_gb / TARGET_GB:.2f}"
    )
    t0 = time.perf_counter()
    inp = plan_inputs(env, rover)
    t_inputs = time.perf_counter() - t0
    print(f"of which discretisation (plan_inputs): {t_inputs:.2f} s")
    nx_ = env.shape[1]
    t0 = time.perf_counter()
    naive = _naive_dijkstra(inp, rover, int(si * nx_ + sj), int(gi * nx_ + gj), args.naive_labels)
    t_dijkstra = time.perf_counter() - t0 + t_inputs
    if naive.goal_label >= 0:
        print(
            f"naive time-expanded Dijkstra: {t_dijkstra:.1f} s with discretisation, {naive.n_labels} labels, "
            f"cost {naive.labels.cost[naive.goal_label]:.2f} h (planner {plan.cost:.2f} h)"
        )
    else:
        print(f"naive time-expanded Dijkstra: ran out of its {args.naive_labels} labels after {t_dijkstra:.1f} s")
    print(f"speed-up over the naive Dijkstra: {t_dijkstra / t_plan:.1f}x (target >= 10x)")
    k_goal = int(plan.vertices["k"][-1]) if plan.feasible else inp.step_of_quantum.size - 1
    ny, nx = env.shape
    args_naive = (
        ny, nx, inp.res_m, inp.quantum_s, inp.inv_speed_s_per_m, inp.drive_energy, inp.energy_in, inp.lit,
        inp.earth, inp.step_of_quantum, inp.hotel_energy, inp.heater_energy, inp.capacity, inp.reserve,
        inp.battery0, inp.max_comm, inp.max_shadow, int(si * nx + sj), int(gi * nx + gj),
    )  # fmt: skip
    naive_time_expanded(*args_naive, 2)  # compile
    # calibrate the layer rate on 20 layers, then run as many as the cap allows
    t0 = time.perf_counter()
    done, _ = naive_time_expanded(*args_naive, 20)
    rate = max(done, 1) / max(time.perf_counter() - t0, 1e-9)
    layers = int(min(k_goal + 1, max(20, rate * args.naive_cap_s)))
    t0 = time.perf_counter()
    done, reached = naive_time_expanded(*args_naive, layers)
    t_naive = time.perf_counter() - t0
    if reached:
        print(
            f"layer sweep: {t_naive:.1f} s to the goal (layer {done}), {t_naive + t_inputs:.1f} s with discretisation"
        )
    else:
        t_naive = t_naive * (k_goal + 1) / max(done, 1)
        print(
            f"layer sweep: capped at {done} of {k_goal + 1} layers ({args.naive_cap_s:.0f} s cap); "
            f"extrapolated {t_naive:.0f} s"
        )
    print(f"speed-up over the layer sweep: {(t_naive + t_inputs) / t_plan:.1f}x")


if __name__ == "__main__":
    main()
