"""Time the CPU horizon kernel on the bundled 240 m south-pole DEM with the 1787 m far field.

Usage::

    .venv/bin/python benchmarks/profile_horizon_kernel.py            # full DEM x 360 azimuths + scaling
    .venv/bin/python benchmarks/profile_horizon_kernel.py --quick    # scaling runs only
    .venv/bin/python benchmarks/profile_horizon_kernel.py --crop 512 --n-az 90   # one centre crop, best of 2

Prints cell-azimuths per second for the full 1536 x 1536 DEM x 360 azimuths (max distance 150 km,
observer 2 m), and how the time grows with N (centre crops 384, 768, 1536 at 90 azimuths) and with the
number of azimuths (90, 180, 360 on the 768 crop). Peak memory: run under ``/usr/bin/time -v``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import rasterio

from lupex.core.horizon import horizon_map_cpu

R_MOON = 1_737_400.0
DATA = Path(__file__).resolve().parents[1] / "src" / "lupex" / "data"
MAX_DISTANCE_M = 150_000.0
OBSERVER_M = 2.0


def _read(name: str) -> tuple[np.ndarray, float, float, float]:
    with rasterio.open(DATA / name) as ds:
        z = ds.read(1).astype(float) * ds.scales[0] + ds.offsets[0]
        tr = ds.transform
    return z, tr.c, tr.f, tr.a


def _run(z: np.ndarray, x0: float, y0: float, res: float, n_az: int, far: list) -> float:
    az = np.deg2rad(np.arange(n_az) * 360.0 / n_az)
    t0 = time.perf_counter()
    horizon_map_cpu(z, x0, y0, res, az, OBSERVER_M, R_MOON, MAX_DISTANCE_M, far)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the full 1536 x 1536 x 360 run")
    parser.add_argument("--crop", type=int, default=0, help="only time one N x N centre crop (best of 2)")
    parser.add_argument("--n-az", type=int, default=90, help="azimuths for --crop")
    args = parser.parse_args()
    big, bx0, by0, bres = _read("south_pole_240m.tif")
    ff, fx0, fy0, fres = _read("far_field_1787m.tif")
    far = [(ff, fx0, fy0, fres)]
    _run(big[:32, :32], bx0, by0, bres, 2, far)  # compile (or load the cache)

    def crop(n: int) -> tuple[np.ndarray, float, float]:
        o = (big.shape[0] - n) // 2
        return big[o : o + n, o : o + n], bx0 + o * bres, by0 - o * bres

    if args.crop:
        z, x0, y0 = crop(args.crop)
        el = min(_run(z, x0, y0, bres, args.n_az, far) for _ in range(2))
        print(f"N={args.crop} x {args.n_az} az: {el:.2f} s, {args.crop**2 * args.n_az / el / 1e6:.2f} M cell-az/s")
        return
    print("scaling with N (90 azimuths):")
    for n in (384, 768, 1536):
        z, x0, y0 = crop(n)
        el = _run(z, x0, y0, bres, 90, far)
        print(f"  N={n:5d}  {el:7.2f} s  {n * n * 90 / el / 1e6:6.2f} M cell-az/s")
    print("scaling with azimuths (N = 768):")
    z, x0, y0 = crop(768)
    for n_az in (90, 180, 360):
        el = _run(z, x0, y0, bres, n_az, far)
        print(f"  n_az={n_az:4d}  {el:7.2f} s  {768 * 768 * n_az / el / 1e6:6.2f} M cell-az/s")
    if not args.quick:
        el = _run(big, bx0, by0, bres, 360, far)
        n = big.size * 360
        print(
            f"full DEM 1536x1536 x 360 az with far field: {el:.1f} s, {n / el / 1e6:.2f} M cell-az/s "
            f"({n / 1e6:.0f} M cell-azimuths)"
        )


if __name__ == "__main__":
    main()
