"""GPU benchmark (issue #17): full 240 m map horizon, a year of hourly statistics and a full-map thermal year on CUDA.

Run on a machine with a CUDA GPU and lupex[gpu]: ``python benchmarks/bench_gpu.py`` (``benchmarks/gpu_check.sh`` runs it
on a lent device). Prints the time and samples/s of each stage against the card's limits. Where no GPU is usable it
says so and measures nothing: status 0 (``make bench`` on a CPU machine), or 2 with ``--require-gpu`` (gpu_check.sh).
Each stage is first run once on a small crop and period (untimed, printed as "warm-up"), so the figures exclude the
CUDA and CPU compilations. ``--crop N`` uses the central N x N cells (``--quick``: 512), ``--n-az A`` A azimuths
(default 360) and ``--hours H`` a period of H hours (default a year), e.g. ``NUMBA_ENABLE_CUDASIM=1 python
benchmarks/bench_gpu.py --crop 4 --n-az 4 --hours 6`` checks the script's plumbing in numba's CUDA simulator.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import xarray as xr

# FP32 lanes per streaming multiprocessor by compute capability (NVIDIA CUDA programming guide, "Arithmetic
# instructions" throughput table); unknown capabilities print no FLOP figure.
_FP32_PER_SM = {(7, 0): 64, (7, 5): 64, (8, 0): 64, (8, 6): 128, (8, 9): 128, (9, 0): 128, (10, 0): 128}


def card_limits(device: object) -> tuple[float, float]:
    """Peak DRAM bandwidth [B/s] and peak FP32 rate [FLOP/s] (fused multiply-add = 2) of a numba CUDA device."""
    get = lambda name: float(getattr(device, name, 0) or 0)  # noqa: E731
    bandwidth = 2.0 * get("MEMORY_CLOCK_RATE") * 1e3 * get("GLOBAL_MEMORY_BUS_WIDTH") / 8.0
    lanes = _FP32_PER_SM.get(tuple(getattr(device, "compute_capability", ())), 0)
    flops = 2.0 * lanes * get("MULTIPROCESSOR_COUNT") * get("CLOCK_RATE") * 1e3
    return bandwidth, flops


_LIMITS = (0.0, 0.0)


def _report(name: str, seconds: float, samples: float, unit: str, bytes_per_sample: float = 0.0) -> None:
    rate = samples / seconds
    line = f"{name:<34s} {seconds:8.2f} s  {rate:12.4g} {unit}/s  ({samples:.3g} {unit})"
    bandwidth, flops = _LIMITS
    if flops > 0:
        line += f"; the card's FP32 peak allows {flops / rate:.3g} FLOP per {unit[:-1]} at this rate"
    if bandwidth > 0 and bytes_per_sample > 0:
        line += f"; DRAM {rate * bytes_per_sample / 1e9:.0f} GB/s of {bandwidth / 1e9:.0f} GB/s peak"
    print(line, flush=True)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="GPU benchmark: horizon, statistics, thermal year (issue #17)")
    parser.add_argument("--crop", type=int, default=0, help="central N x N cells (default: the whole map)")
    parser.add_argument("--quick", action="store_true", help="the central 512 x 512 cells")
    parser.add_argument("--require-gpu", action="store_true", help="exit with status 2 where no GPU is usable")
    parser.add_argument("--n-az", type=int, default=360, help="horizon azimuths (default 360)")
    parser.add_argument("--hours", type=int, default=8784, help="period length [h] (default: 2028, 366 days)")
    args = parser.parse_args(argv)
    if args.quick and not args.crop:
        args.crop = 512
    from _args import usage_error

    if args.crop < 0:
        usage_error("bench_gpu", f"--crop {args.crop}: give the side of the central crop in cells (0: the whole map)")
    if args.n_az < 4:
        usage_error("bench_gpu", f"--n-az {args.n_az}: give at least 4 azimuths (360 by default)")
    if args.hours < 2:
        usage_error("bench_gpu", f"--hours {args.hours}: give at least 2 hourly steps (default 8784, the year 2028)")
    return args


def _crop(dem: xr.DataArray, n: int) -> xr.DataArray:
    ny, nx = dem.shape
    if n <= 0 or n >= min(ny, nx):
        return dem
    y0, x0 = (ny - n) // 2, (nx - n) // 2
    return dem.isel(y=slice(y0, y0 + n), x=slice(x0, x0 + n))


def _stages(dem: xr.DataArray, n_az: int, hours: int, report: bool) -> None:
    """Horizon at ``n_az`` azimuths, statistics over ``hours`` hourly steps from 2028-01-01 and a thermal run of as
    many hours."""
    from numba import cuda

    from lupex.core import thermal as th
    from lupex.core.thermal_cuda import advance_columns_cuda
    from lupex.illumination import illumination_stats
    from lupex.illumination.horizon import horizon_map

    ny, nx = dem.shape
    t = time.perf_counter()
    horizon = horizon_map(dem, n_az, 0.0, "auto", backend="cuda", cache=False)
    if report:
        _report(f"horizon {n_az} az + far field", time.perf_counter() - t, ny * nx * n_az, "rays")

    end = np.datetime64("2028-01-01T00:00") + np.timedelta64(hours - 1, "h")
    t = time.perf_counter()
    stats = illumination_stats(
        dem, "2028-01-01T00:00Z", f"{end}Z", "1h", horizon=horizon, psr_years=None, backend="cuda", cache=False
    )
    if report:
        _report(f"statistics, {hours} h hourly", time.perf_counter() - t, ny * nx * hours, "cell-steps")

    grid = th.regolith_grid(0.06, 1100.0, 1800.0, 7.4e-4, 3.4e-3)
    n_cells = ny * nx
    dt = 3600.0
    mean_sun = np.asarray(stats["sunlit_fraction"].values, np.float64)
    peak = np.broadcast_to(600.0 * mean_sun, (ny, nx)).reshape(-1).astype(np.float32)
    state = cuda.to_device(th.initial_profile_K(np.full(n_cells, 200.0), grid, 0.95, 0.018, 2.7).astype(np.float32))
    nz = state.shape[0]
    ts_min, ts_max, ts_sum = (
        cuda.to_device(a) for a in (np.full(n_cells, np.inf), np.zeros(n_cells), np.zeros(n_cells))
    )
    tz_max, tz_sum = cuda.to_device(np.zeros((nz, n_cells))), cuda.to_device(np.zeros((nz, n_cells)))
    chunk = min(24 * 7, hours)
    steps = np.arange(chunk, dtype=np.float32)[:, None]
    props = (grid.z_m, grid.thickness_m, grid.density_kg_m3, grid.conductivity_W_m_K, th.HEAT_CAPACITY_COEFFS)
    n_steps = -(-hours // chunk) * chunk  # the period, in whole chunks (a week each)
    t = time.perf_counter()
    for start in range(0, n_steps, chunk):
        # synthetic hourly forcing (step, cell) made on the host per chunk: a monthly cycle scaled per cell
        phase = (start + steps) * (2 * np.pi * dt / th.SYNODIC_MONTH_S)
        flux = cuda.to_device(np.maximum(np.float32(0.0), np.sin(phase, dtype=np.float32)) * peak[None, :] + 0.05)
        advance_columns_cuda(
            state, flux, dt, *props, 0.95, 0.018, 2.7, True, ts_min, ts_max, ts_sum, tz_max, tz_sum, np.empty((0, 0))
        )
    cuda.synchronize()
    # per column-step: the float32 profile read and written, the flux read, the running sums read and written
    bytes_per_step = nz * 4 * 2 + 4 + (3 + 2 * nz) * 8 * 2
    if report:
        _report(
            f"thermal {n_steps} h, {nz} nodes, float32",
            time.perf_counter() - t,
            n_cells * n_steps,
            "column-steps",
            bytes_per_step,
        )


def main(argv: list[str] | None = None) -> int:
    """Run the three stages (after an untimed warm-up on a small crop); return the exit status."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    from lupex.core.visibility_cuda import cuda_available

    if not cuda_available():
        print("bench_gpu: no usable CUDA GPU (needs lupex[gpu], a CUDA driver and a device); nothing measured")
        return 2 if args.require_gpu else 0
    from numba import cuda

    from lupex.terrain import builtin_dem

    dem = _crop(builtin_dem("south_pole_240m"), args.crop)
    ny, nx = dem.shape
    # numba's CUDA simulator has no device attributes: no limits are printed there
    device = cuda.get_current_device() if hasattr(cuda, "get_current_device") else None
    global _LIMITS
    _LIMITS = card_limits(device)
    print(
        f"device: {getattr(device, 'name', 'CUDA simulator')!r}; map {ny} x {nx}; {args.hours} h; "
        f"peak DRAM {_LIMITS[0] / 1e9:.0f} GB/s, peak FP32 {_LIMITS[1] / 1e12:.1f} TFLOP/s",
        flush=True,
    )
    t = time.perf_counter()
    _stages(_crop(dem, min(4, ny, nx)), 4, 2, report=False)
    print(f"warm-up (compilations, at most 4 x 4 cells, 4 az, 2 h): {time.perf_counter() - t:.1f} s", flush=True)
    _stages(dem, args.n_az, args.hours, report=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
