"""Connecting-ridge illumination on the 10 m PGDA Site01 DEM with the 240 m LOLA crop and 1.79 km cap as far field.

Reports the best-lit cell and its longest darkness beside Gläser et al. 2014 (Icarus 243:78): 92.27 % lit at 2 m
(95.65 % at 10 m) over a precession cycle on 20 m LOLA data, longest darkness typically 3-5 days.
Run: .venv/bin/python scripts/validate_ridge.py   (a few minutes on 2 cores)
"""

from __future__ import annotations

import time

import numpy as np

from lupex.illumination import horizon_map, illumination_stats
from lupex.terrain import builtin_dem, xy_to_latlon


def best(ds, label: str) -> tuple[float, float]:
    mean = ds.mean_illumination.values
    i, j = np.unravel_index(int(np.nanargmax(mean)), mean.shape)
    x, y = float(ds.x[j]), float(ds.y[i])
    lat, lon = xy_to_latlon(x, y)
    print(
        f"| {label} | {mean[i, j] * 100:.2f} % | x {x:.0f} m, y {y:.0f} m = {float(lat):.4f}, {float(lon):.3f} E | "
        f"{float(ds.longest_darkness_h[i, j]):.0f} h | {float(ds.earth_visibility[i, j]) * 100:.1f} % |",
        flush=True,
    )
    return x, y


def main() -> None:
    ridge = builtin_dem("connecting_ridge_10m")
    far = [builtin_dem("south_pole_240m"), builtin_dem("far_field_1787m")]
    print("| run | best mean illumination | where | longest darkness | Earth visibility |")
    print("|---|---|---|---|---|")
    started = time.perf_counter()
    window = ridge.sel(x=slice(-13_000, -10_000), y=slice(-10_900, -13_900))  # around the 240 m maximum
    h2 = horizon_map(window, 360, 2.0, far)
    ds = illumination_stats(
        window, "2028-01-01", "2028-12-31T23:00:00Z", "1h", observer_height_m=2.0, horizon=h2, psr_years=None
    )
    x, y = best(ds, f"2028 hourly, 2 m, {window.shape[0]}x{window.shape[1]} cells of 10 m")
    small = ridge.sel(x=slice(x - 250, x + 250), y=slice(y + 250, y - 250))
    for height in (2.0, 10.0):
        hh = horizon_map(small, 360, height, far)
        cycle = illumination_stats(
            small, "2028-01-01", "2046-08-01", "4h", observer_height_m=height, horizon=hh, psr_years=None, earth=True
        )
        best(cycle, f"2028-2046 (18.6 yr) every 4 h, {height:g} m")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
