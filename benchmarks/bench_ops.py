"""Time the surface campaign (issue #15): one deterministic 100-day campaign and 200 Monte Carlo campaigns.

Usage::

    .venv/bin/python benchmarks/bench_ops.py               # targets: <= 60 s and <= 600 s on 2 cores
    .venv/bin/python benchmarks/bench_ops.py --runs 50     # a quicker Monte Carlo

The upstream stages (flight .. science) come from the stage cache (``LUPEX_CACHE_DIR``, what ``make run`` fills);
on a cold cache they are computed first and not timed. The sky series are cached by the first (untimed) call.

* deterministic: chandrayaan5, faults off, every sortie planned by the traverse planner and replay-checked;
* Monte Carlo: the planned sorties replayed ``--runs`` times under faults, touchdowns and uncertain parameters,
  on 2 worker processes;
* the campaign Gantt chart of 10,000 events (target <= 2 s).

Prints seconds, the ratio to each target, and P(success) with its interval.
"""

from __future__ import annotations

import argparse
import time

TARGET_CAMPAIGN_S = 60.0
TARGET_MC_S = 600.0
TARGET_GANTT_S = 2.0


def _gantt_10k_s() -> float:
    """Seconds to draw a campaign Gantt chart of 10,000 events (12 activities, 1 min - 1 h each)."""
    import numpy as np

    from lupex.reporting.ops_figures import campaign_gantt_png

    rng = np.random.default_rng(1)
    names = ["drive", "drill", "analyse", "wait", "charge", "downlink", "safe_mode", "fault", "hibernate"]
    durations = rng.uniform(60.0, 3600.0, 10_000)
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    events = [{"activity": names[i % len(names)], "start_s": float(s), "end_s": float(s + d)}
              for i, (s, d) in enumerate(zip(starts, durations, strict=True))]  # fmt: skip
    campaign_gantt_png(events[:50], np.datetime64("2028-01-01T00:00:00"), "warm-up")  # matplotlib's first figure
    t0 = time.perf_counter()
    campaign_gantt_png(events, np.datetime64("2028-01-01T00:00:00"), "10k events")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="Monte Carlo campaigns")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    from lupex.mission import load_scenario, run_mission
    from lupex.mission.stages.ops import play, replay_inputs, uncertainty_of
    from lupex.ops.montecarlo import monte_carlo

    t_gantt = _gantt_10k_s()
    print(f"Gantt chart of 10,000 events: {t_gantt:.2f} s; ratio to the {TARGET_GANTT_S:.0f} s target "
          f"{t_gantt / TARGET_GANTT_S:.2f}")  # fmt: skip
    sc = load_scenario("chandrayaan5")
    t0 = time.perf_counter()
    up = run_mission(sc, until="science").results
    print(f"upstream stages (cached or computed): {time.perf_counter() - t0:.1f} s")
    play(sc, up, faults=False)  # fills the horizon and sky caches
    t0 = time.perf_counter()
    c, inputs, world, _haven = play(sc, up, faults=False)
    t_campaign = time.perf_counter() - t0
    print(f"deterministic 100-day campaign: {t_campaign:.1f} s ({len(c.sorties)} sorties planned and replay-checked, "
          f"{c.drill_samples} samples, {c.distance_m / 1000:.1f} km); ratio to the {TARGET_CAMPAIGN_S:.0f} s target "
          f"{t_campaign / TARGET_CAMPAIGN_S:.2f}")  # fmt: skip
    t0 = time.perf_counter()
    lib = replay_inputs(inputs, world)
    mc = monte_carlo(lib, args.runs, seed=1, workers=args.workers, uncertainty=uncertainty_of(sc, up["flight"]))
    t_mc = time.perf_counter() - t0
    lo, hi = mc.p_success_ci
    print(f"{args.runs} Monte Carlo campaigns on {args.workers} workers: {t_mc:.1f} s "
          f"({t_mc / args.runs * args.workers:.2f} s per campaign per worker); ratio to the {TARGET_MC_S:.0f} s "
          f"target {t_mc / TARGET_MC_S:.2f}; P(success) {mc.p_success:.3f} ({lo:.3f}-{hi:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
