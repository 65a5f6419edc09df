"""Scale-out on Dask (issue #18): strong scaling on the full 240 m DEM, and an out-of-core DEM.

Usage:
    .venv/bin/python benchmarks/bench_scaleout.py [strong] [--n-az 90]     (part of ``make bench``, ~8 min on 2 cores)
    .venv/bin/python benchmarks/bench_scaleout.py outofcore [--half-km 43] [--memory-limit 3GB]   (~30-40 min)

strong: the full 1536 x 1536 240 m DEM, horizon + a month of 2-hourly statistics.
  - baseline: one process, the whole map (``horizon_map`` + ``illumination_stats``, 2 numba threads);
  - tiles in one process (512-cell tiles, each sweeping the whole DEM): the tiling overhead;
  - tiles with a 128-cell halo and a coarse far field, in one process: the halo's cost and its difference;
  - LocalCluster with 1 and 2 workers of 1 thread each: speedup and efficiency T1 / (2 T2).
outofcore: a 20 m DEM over +-HALF_KM km around the pole, upsampled from the real 240 m DEM (bilinear) with synthetic
  detail (seeded bowl craters 60-600 m across, depth/diameter 0.2: the 240 m DEM cannot show them), 360 azimuths: its
  horizon cube (cells x 360 x 4 bytes) is larger than this machine's memory. Two workers under a memory limit, halo
  tiles; prints time and each worker's peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from lupex.cluster import open_scheduler
from lupex.cluster.products import products_as_stats, terrain_products
from lupex.illumination import horizon_map, illumination_stats
from lupex.terrain.dem import builtin_dem
from lupex.terrain.synthetic import bowl_profile, grid_dem

PERIOD = ("2027-01-01", "2027-02-01", "2h")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    print(f"  {label:<52s} {dt:8.1f} s", flush=True)
    return out, dt


def strong(n_az: int) -> None:
    dem = builtin_dem("south_pole_240m")
    opts = {"n_azimuth": n_az, "psr_years": 1.0}
    print(f"strong scaling: {dem.shape[0]} x {dem.shape[1]} cells (240 m), {n_az} azimuths, {PERIOD[0]} .. "
          f"{PERIOD[1]} every {PERIOD[2]}, 512-cell tiles, {os.cpu_count()} cores")  # fmt: skip

    def whole():
        h = horizon_map(dem, n_az, 0.0, "auto", cache=False)
        return illumination_stats(dem, *PERIOD, horizon=h, psr_years=1.0, cache=False)

    ref, t0 = _timed("one process, whole map (2 threads)", whole)
    with TemporaryDirectory() as tmp:
        store = Path(tmp) / "t.zarr"
        tiles, t_tiles = _timed(
            "tiles in one process (whole-DEM sweep grids)",
            lambda: terrain_products(dem, *PERIOD, store, tile_px=512, halo_px=None, **opts),
        )
        same = all(np.array_equal(products_as_stats(tiles)[k].values, ref[k].values, equal_nan=True)
                   for k in ("mean_illumination", "psr", "longest_darkness_h"))  # fmt: skip
        halo, t_halo = _timed("tiles with a 128-cell halo + coarse far field",
                              lambda: terrain_products(dem, *PERIOD, Path(tmp) / "h.zarr", tile_px=512, halo_px=128,
                                                       **opts))  # fmt: skip
        hs = products_as_stats(halo)
        d_mean = np.abs(hs["mean_illumination"].values - ref["mean_illumination"].values)
        psr_diff = int((hs["psr"].values.astype(bool) != ref["psr"].values.astype(bool)).sum())
        times = {}
        for n in (1, 2):
            with open_scheduler(f"local:{n}") as sched:
                sched.task_threads = 1
                _, times[n] = _timed(f"LocalCluster {n} worker(s) x 1 thread",
                                     lambda s=sched: terrain_products(dem, *PERIOD, store, scheduler=s, tile_px=512,
                                                                      halo_px=None, **opts))  # fmt: skip
    cells_az = dem.size * n_az
    print(f"  tiles equal the whole map: {same}")
    print(f"  tiling overhead (tiles / whole map):          {t_tiles / t0:.2f}x")
    print(f"  halo overhead (halo tiles / whole map):       {t_halo / t0:.2f}x; mean illumination differs by max "
          f"{np.nanmax(d_mean):.4f}, p99 {np.nanpercentile(d_mean, 99):.5f}; PSR cells differing: {psr_diff} of "
          f"{int(ref['psr'].values.sum())}")  # fmt: skip
    print(f"  speedup 1 -> 2 workers:                        {times[1] / times[2]:.2f}x (efficiency "
          f"{times[1] / (2 * times[2]):.2f})")  # fmt: skip
    print(f"  throughput 2 workers: {cells_az / times[2] / 1e6:.2f} M cell-az/s (horizon + statistics)")
    print(f"  peak RSS of this process: {_peak_rss_mb():.0f} MB")


def upsampled_dem(half_km: float, res_m: float = 20.0, seed: int = 18):
    """The real 240 m DEM bilinearly upsampled to ``res_m`` over +-``half_km`` with seeded bowl craters."""
    base = builtin_dem("south_pole_240m")
    n = int(round(2 * half_km * 1000 / res_m))
    offsets = (np.arange(n) - (n - 1) / 2) * res_m
    z = base.interp(y=-offsets, x=offsets, method="linear").values.astype(np.float64)
    rng = np.random.default_rng(seed)
    yy, xx = offsets[::-1][:, None], offsets[None, :]
    for _ in range(400):
        d = float(np.exp(rng.uniform(np.log(60.0), np.log(600.0))))
        cx, cy = rng.uniform(-half_km * 1000, half_km * 1000, 2)
        i0, i1 = np.searchsorted(-yy[:, 0], [-(cy + d), -(cy - d)])
        j0, j1 = np.searchsorted(xx[0], [cx - d, cx + d])
        if i1 > i0 and j1 > j0:
            r = np.hypot(xx[0, j0:j1][None, :] - cx, yy[i0:i1, 0][:, None] - cy)
            z[i0:i1, j0:j1] += bowl_profile(r, d, 0.2)
    return grid_dem(z, res_m, (0.0, 0.0), f"south_pole_240m upsampled to {res_m:g} m with craters (seed {seed})")


def outofcore(half_km: float, memory_limit: str) -> None:
    dem = upsampled_dem(half_km)
    mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cube = dem.size * 360 * 4
    print(f"out of core: {dem.shape[0]} x {dem.shape[1]} cells (20 m), 360 azimuths: horizon cube {cube / 1e9:.1f} GB "
          f"against {mem_total / 1e9:.1f} GB of memory; 2 workers, memory limit {memory_limit} each")  # fmt: skip
    period = ("2027-01-01", "2027-01-08", "6h")
    with TemporaryDirectory() as tmp, open_scheduler("local:2", memory_limit=memory_limit) as sched:
        products, dt = _timed("LocalCluster 2 workers, 512-cell tiles, 128-cell halo",
                              lambda: terrain_products(dem, *period, Path(tmp) / "t.zarr", scheduler=sched,
                                                       tile_px=512, halo_px="auto", psr_years=None))  # fmt: skip
        peaks = sched.client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
        ds = products.dataset()
        lit = float(ds["mean_illumination"].mean().compute())
    print(f"  tiles {products.n_tiles}, task memory (estimate) {products.task_memory_bytes / 1e9:.2f} GB")
    print(f"  peak RSS per worker: {', '.join(f'{v:.0f} MB' for v in peaks.values())}; client {_peak_rss_mb():.0f} MB")
    print(f"  {dem.size * 360 / dt / 1e6:.2f} M cell-az/s; mean illumination over the DEM {lit:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("part", nargs="?", default="strong", choices=["strong", "outofcore"])
    parser.add_argument("--n-az", type=int, default=90)
    parser.add_argument("--half-km", type=float, default=43.0)
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args()
    if args.part == "strong":
        strong(args.n_az)
    else:
        outofcore(args.half_km, args.memory_limit)


if __name__ == "__main__":
    main()
