"""GPU benchmark (issue #17): full 240 m map horizon, a year of hourly statistics and a full-map thermal year on CUDA.

Run on a machine with a CUDA GPU and lupex[gpu]: ``python benchmarks/bench_gpu.py``. Prints the time and samples/s of
each stage; exits with a message (status 2) when no GPU is usable. ``--quick`` uses a 512 x 512 crop.
"""

from __future__ import annotations

import sys
import time

import numpy as np

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


def main() -> int:
    """Run the three stages; return the exit status."""
    from lupex.core.visibility_cuda import cuda_available

    if not cuda_available():
        print("bench_gpu: no usable CUDA GPU (needs lupex[gpu], a CUDA driver and a device); nothing measured")
        return 2
    from numba import cuda

    from lupex.core import thermal as th
    from lupex.core.thermal_cuda import advance_columns_cuda
    from lupex.illumination import illumination_stats
    from lupex.illumination.horizon import horizon_map
    from lupex.terrain import builtin_dem

    dem = builtin_dem("south_pole_240m")
    if "--quick" in sys.argv:
        dem = dem.isel(y=slice(512, 1024), x=slice(512, 1024))
    ny, nx = dem.shape
    device = cuda.get_current_device()
    global _LIMITS
    _LIMITS = card_limits(device)
    print(
        f"device: {device.name!r}; map {ny} x {nx}; peak DRAM {_LIMITS[0] / 1e9:.0f} GB/s, "
        f"peak FP32 {_LIMITS[1] / 1e12:.1f} TFLOP/s",
        flush=True,
    )

    t = time.perf_counter()
    horizon = horizon_map(dem, 360, 0.0, "auto", backend="cuda", cache=False)
    _report("horizon 360 az + far field", time.perf_counter() - t, ny * nx * 360, "rays")

    t = time.perf_counter()
    stats = illumination_stats(
        dem, "2028-01-01", "2028-12-31T23:00", "1h", horizon=horizon, psr_years=None, backend="cuda", cache=False
    )
    n_times = 366 * 24
    _report("statistics, a year hourly", time.perf_counter() - t, ny * nx * n_times, "cell-steps")

    grid = th.regolith_grid(0.06, 1100.0, 1800.0, 7.4e-4, 3.4e-3)
    n_cells = ny * nx
    dt = 3600.0
    mean_sun = np.asarray(stats["sunlit_fraction"].values if "sunlit_fraction" in stats else 0.5, np.float64)
    peak = np.broadcast_to(600.0 * mean_sun, (ny, nx)).reshape(-1).astype(np.float32)
    state = cuda.to_device(th.initial_profile_K(np.full(n_cells, 200.0), grid, 0.95, 0.018, 2.7).astype(np.float32))
    nz = state.shape[0]
    sums = [cuda.to_device(a) for a in (np.full(n_cells, np.inf), np.zeros(n_cells), np.zeros(n_cells))]
    zsums = [cuda.to_device(np.zeros((nz, n_cells))), cuda.to_device(np.zeros((nz, n_cells)))]
    chunk = 24 * 7
    hours = np.arange(chunk, dtype=np.float32)[:, None]
    props = (grid.z_m, grid.thickness_m, grid.density_kg_m3, grid.conductivity_W_m_K, th.HEAT_CAPACITY_COEFFS)
    n_steps = (8760 // chunk + 1) * chunk  # a year, in whole weeks
    t = time.perf_counter()
    for start in range(0, n_steps, chunk):
        # synthetic hourly forcing (step, cell) made on the host per week: a monthly cycle scaled per cell
        phase = (start + hours) * (2 * np.pi * dt / th.SYNODIC_MONTH_S)
        flux = cuda.to_device(np.maximum(np.float32(0.0), np.sin(phase, dtype=np.float32)) * peak[None, :] + 0.05)
        advance_columns_cuda(state, flux, dt, *props, 0.95, 0.018, 2.7, True, *sums, *zsums, np.empty((0, 0)))
    cuda.synchronize()
    # per column-step: the float32 profile read and written, the flux read, the running sums read and written
    bytes_per_step = nz * 4 * 2 + 4 + (3 + 2 * nz) * 8 * 2
    _report(
        f"thermal year, {nz} nodes, float32", time.perf_counter() - t, n_cells * n_steps, "column-steps", bytes_per_step
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
