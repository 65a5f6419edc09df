"""Time the science stage for the default scenario (chandrayaan5) after the traverse is cached (issue #14).

Usage::

    .venv/bin/python benchmarks/bench_science.py              # issue target: <= 60 s on 2 cores
    .venv/bin/python benchmarks/bench_science.py --realisations 1000

The upstream stages (flight, sites, traverse) come from the stage cache (``LUPEX_CACHE_DIR``, the same cache
``make run`` fills); on a cold cache they are computed first and not timed. The timed call is the whole stage:
the synthetic subsurface on a 5 m grid around the route and the reach disc, the neutron, radar and drill returns
along the route, the two Gaussian-process posteriors, the realisations (>= 200) and the drill-value map.
Prints the seconds of each part and the ratio to the 60 s target.
"""

from __future__ import annotations

import argparse
import time

TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--realisations", type=int, default=300, help="conditioned realisations (>= 200)")
    args = parser.parse_args()
    from lupex.mission import load_scenario, run_mission
    from lupex.mission.scenario import parse_scenario, preset_text
    from lupex.mission.stage import StageContext
    from lupex.mission.stages.science import ScienceStage, science_products

    text = preset_text("chandrayaan5") + f"\n[science]\nrealisations = {{ value = {args.realisations} }}\n"
    sc = parse_scenario(text, "chandrayaan5")
    t0 = time.perf_counter()
    up = run_mission(load_scenario("chandrayaan5"), until="traverse").results
    print(f"upstream (flight, sites, traverse; cached or computed): {time.perf_counter() - t0:.1f} s")
    ctx = StageContext(sc, {"sites": up["sites"], "traverse": up["traverse"]})
    t0 = time.perf_counter()
    p = science_products(sc, up["sites"], up["traverse"])
    t_products = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = ScienceStage().run(ctx)
    t_stage = time.perf_counter() - t0
    e = result.estimate
    print(f"grid {p.grid_x_m.size} x {p.grid_y_m.size} cells of 5 m, {e.realisations_kg.size} realisations, "
          f"{len(p.observations.drills)} drill holes")  # fmt: skip
    print(f"truth + instruments + estimate: {t_products:.1f} s")
    print(f"whole stage (with the drill-value map and ISRU): {t_stage:.1f} s")
    print(f"ratio to the {TARGET_S:.0f} s target: {t_stage / TARGET_S:.2f} (<= 1 meets it)")


if __name__ == "__main__":
    main()
