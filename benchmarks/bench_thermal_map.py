"""Time the terrain thermal model: a 500 x 500-cell window of the bundled 240 m DEM over one year, hourly.

Usage::

    .venv/bin/python benchmarks/bench_thermal_map.py            # 500 x 500 cells, 2028, 1 h (issue #4 target 300 s)
    .venv/bin/python benchmarks/bench_thermal_map.py --days 30  # shorter period, extrapolated to a year

The horizon map of the window (with the whole DEM and the 1.79 km cap as far field) is computed first and
timed separately; the thermal run includes the spin-up (three runs of the lunation before the period), the
direct / scattered / infrared flux and the column solver. Prints seconds and the ratio to the 300 s target.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

TARGET_S = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=366.0, help="period length [d] (2028 has 366 days)")
    parser.add_argument("--cells", type=int, default=500, help="window side [cells]")
    args = parser.parse_args()
    os.environ.setdefault("LUPEX_CACHE_DIR", tempfile.mkdtemp(prefix="lupex-bench-"))
    from lupex.terrain import builtin_dem
    from lupex.thermal import thermal_map

    dem = builtin_dem("south_pole_240m")
    n = args.cells
    o = (dem.shape[0] - n) // 2
    window = dem.isel(y=slice(o, o + n), x=slice(o, o + n))
    end = np.datetime64("2028-01-01T00:00:00") + np.timedelta64(int(args.days * 86400) - 3600, "s")
    end_text = str(end) + "Z"
    from lupex.illumination import horizon_map
    from lupex.illumination.horizon import far_field_for

    t0 = time.perf_counter()
    hor = horizon_map(window, 360, 0.0, [dem, *far_field_for(dem)], cache=False)
    t_hor = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = thermal_map(window, "2028-01-01", end_text, "1h", horizon=hor)
    t_th = time.perf_counter() - t0
    steps = int(ds.attrs["n_times"])
    # the spin-up (three runs of one lunation, hourly) costs the same for any period: scale per step
    spin_steps = 3 * round(29.530589 * 24)
    per_year = t_th * (366 * 24 + spin_steps) / (steps + spin_steps)
    print(f"window {n} x {n} cells, {steps} hourly steps (+ spin-up): horizon {t_hor:.1f} s, thermal {t_th:.1f} s")
    print(f"thermal per year: {per_year:.1f} s; target {TARGET_S:.0f} s -> ratio {per_year / TARGET_S:.2f}")
    print(
        f"ice stable at the surface: {int((ds.ice_class == 0).sum())} cells; buried: {int((ds.ice_class == 1).sum())}"
    )


if __name__ == "__main__":
    main()
