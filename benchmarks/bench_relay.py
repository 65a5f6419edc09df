"""Time the rover-lander relay coverage map: 1000 x 1000 cells of the 10 m connecting-ridge DEM around a lander.

Usage::

    .venv/bin/python benchmarks/bench_relay.py            # issue target: <= 10 s on 2 cores
    .venv/bin/python benchmarks/bench_relay.py --n 1600   # the whole bundled DEM

Lander at lat -89.4455, lon 222.686 (the ridge's summit plateau), lander antenna 3 m, rover antenna 2 m, UHF
preset. The kernels are compiled (numba) on a 64 x 64 window first; the timed calls exclude compilation.

Two maps are timed in the same run:

* real terrain (the target): most lines of sight end early at the first blocking sample;
* worst case: the same grid with level ground (a bare sphere), where every cell within the 5.9 km horizon sum is
  visible, so nearly every line is marched to its end (no early exit).

Prints seconds, cells per second and the ratio to the 10 s target.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numba
import numpy as np

TARGET_S = 10.0
LANDER = (-89.4455, 222.686)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="side of the square window in cells")
    args = parser.parse_args()
    os.environ.setdefault("LUPEX_CACHE_DIR", tempfile.mkdtemp(prefix="lupex-bench-"))
    from lupex.comms.relay import RelayLink, relay_coverage
    from lupex.terrain import builtin_dem
    from lupex.terrain.projection import latlon_to_xy

    ridge = builtin_dem("connecting_ridge_10m")
    lx, ly = (float(v) for v in latlon_to_xy(*LANDER))
    ci = int(np.argmin(np.abs(ridge["y"].values - ly)))
    cj = int(np.argmin(np.abs(ridge["x"].values - lx)))

    def window(n: int):  # n x n cells around the lander, clipped to the DEM
        i0 = min(max(ci - n // 2, 0), ridge.shape[0] - n)
        j0 = min(max(cj - n // 2, 0), ridge.shape[1] - n)
        return ridge.isel(y=slice(i0, i0 + n), x=slice(j0, j0 + n))

    kw = {"lander_antenna_m": 3.0, "rover_antenna_m": 2.0, "link": RelayLink.uhf()}
    relay_coverage(window(64), *LANDER, **kw)  # compile
    dem = window(args.n)
    t0 = time.perf_counter()
    ds = relay_coverage(dem, *LANDER, **kw)
    t_real = time.perf_counter() - t0
    flat = dem.copy(data=np.zeros(dem.shape))
    t0 = time.perf_counter()
    ds_flat = relay_coverage(flat, *LANDER, **kw)
    t_flat = time.perf_counter() - t0
    cells = dem.size
    print(
        f"relay coverage, {dem.shape[0]} x {dem.shape[1]} cells at 10 m, numba threads {numba.get_num_threads()}; "
        f"lander {LANDER[0]}, {LANDER[1]}"
    )
    print(
        f"real terrain: {t_real:.2f} s ({cells / t_real / 1e6:.2f} M cells/s), line of sight "
        f"{100 * float(ds.line_of_sight.mean()):.1f} % of cells"
    )
    print(
        f"worst case (level ground, no early exit): {t_flat:.2f} s ({cells / t_flat / 1e6:.2f} M cells/s), "
        f"line of sight {100 * float(ds_flat.line_of_sight.mean()):.1f} % of cells"
    )
    print(f"target: {TARGET_S:.0f} s -> ratio {t_real / TARGET_S:.3f} (worst case {t_flat / TARGET_S:.3f})")


if __name__ == "__main__":
    main()
