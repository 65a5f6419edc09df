"""Random small scenes for the traverse tests, and a brute-force reference search.

The brute force is written from the search model in the docstring of :mod:`lupex.core.traverse` (not from
its code): Dijkstra by cost over every state ``(stage, cell, quantum, battery, earth clock, shadow clock)`` of
the time-expanded graph, with no heuristic and no dominance, only exact duplicates merged.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from lupex.terrain.projection import xy_to_latlon
from lupex.terrain.synthetic import flat_plane
from lupex.traverse import Rover, TraverseEnvironment
from lupex.traverse.planner import PlanInputs

STEP_S = 600.0
RES_M = 20.0


def random_scene(seed: int, n: int, nt: int, lit_p: float = 0.6, earth_p: float = 0.75) -> TraverseEnvironment:
    """An n x n grid of 20 m cells with random slopes, sunlight (in blocks of time) and Earth visibility."""
    rng = np.random.default_rng(seed)
    dem = flat_plane(n, RES_M)
    slope = rng.choice([2.0, 8.0, 14.0, 17.0, 25.0], size=(n, n), p=[0.35, 0.3, 0.1, 0.1, 0.15])
    t = np.datetime64("2028-01-01T00:00:00", "ns") + np.arange(nt) * np.timedelta64(int(STEP_S), "s")
    frac = rng.choice([0.0, 0.5, 1.0], size=(nt, n, n), p=[1 - lit_p, 0.2, lit_p - 0.2]).astype(np.float32)
    elev = rng.uniform(0.5, 5.0, size=(nt, n, n)).astype(np.float32)
    earth = rng.random((nt, n, n)) < earth_p
    return TraverseEnvironment(dem, slope, t, STEP_S, frac, elev, earth, np.ones(nt), 2.0)


def small_rover(**overrides: float) -> Rover:
    """A rover whose battery and clocks bind within a few quanta (200 s each on these scenes)."""
    params = {"battery_Wh": 40.0, "max_blackout_h": 0.5, "drill_dwell_h": 400.0 / 3600.0, **overrides}
    return Rover.with_overrides(**params)


def latlon_of(env: TraverseEnvironment, i: int, j: int) -> tuple[float, float]:
    x, y = env.xy_of(i, j)
    lat, lon = xy_to_latlon(x, y)
    return float(lat), float(lon)


_NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def brute_force_cost(inp: PlanInputs, start: int, waypoints: list[int], dwell_quanta: list[int]) -> float | None:
    """Least cost to finish every stage, or None; see the module docstring."""
    k_end = inp.step_of_quantum.size - 1
    n_stages = len(waypoints)
    heap: list[tuple[float, int, int, int, int, int, int]] = [(0.0, 0, start, 0, inp.battery0, 0, 0)]
    seen: set[tuple[int, ...]] = set()
    while heap:
        cost, st, c, k, bat, comm, shadow = heapq.heappop(heap)
        if st == n_stages:
            return cost
        state = (st, c, k, bat, comm, shadow)
        if state in seen:
            continue
        seen.add(state)
        ci, cj = divmod(c, inp.nx)
        options: list[tuple[int, int, int, int]] = []  # (next cell, quanta, extra energy, next stage)
        for di, dj in _NEIGHBOURS:
            ni, nj = ci + di, cj + dj
            if not (0 <= ni < inp.ny and 0 <= nj < inp.nx):
                continue
            nb = ni * inp.nx + nj
            if not math.isfinite(inp.inv_speed_s_per_m[nb]):
                continue
            seconds = math.hypot(di, dj) * inp.res_m * 0.5 * (inp.inv_speed_s_per_m[c] + inp.inv_speed_s_per_m[nb])
            m = max(1, math.ceil(seconds / inp.quantum_s - 1e-9))
            options.append((nb, m, max(int(inp.drive_energy[c]), int(inp.drive_energy[nb])), st))
        options.append((c, (k // inp.quanta_per_step + 1) * inp.quanta_per_step - k, 0, st))
        if c == waypoints[st]:
            options.append((c, dwell_quanta[st], inp.drill_energy, st + 1))
        for nb, m, extra, nst in options:
            if k + m > k_end:
                continue
            b, cm, sh, drawn, ok = bat, comm, shadow, 0, True
            for j in range(m):
                s = int(inp.step_of_quantum[k + j])
                lit = bool(inp.lit[s, c] and inp.lit[s, nb])
                out = inp.hotel_energy + extra + (0 if lit else inp.heater_energy)
                drawn += out
                b = min(inp.capacity, b + min(int(inp.energy_in[s, c]), int(inp.energy_in[s, nb])) - out)
                cm = 0 if (inp.earth[s, c] and inp.earth[s, nb]) else cm + 1
                sh = 0 if lit else sh + 1
                if b < inp.reserve or cm > inp.max_comm or sh > inp.max_shadow:
                    ok = False
                    break
            if ok:
                new_cost = cost + inp.cost_per_quantum * m + inp.cost_per_energy * drawn
                heapq.heappush(heap, (new_cost, nst, nb, k + m, b, cm, sh))
    return None
