"""CUDA (numba.cuda) backend of the illumination statistics kernel: one thread per DEM cell.

The per-cell logic is the same code as the CPU kernel (:func:`lupex.core.visibility.sun_cell_stats` and
:func:`~lupex.core.visibility.earth_cell_stats`, compiled for the device through ``register_jitable``), so the
two backends compute identical quantities; the GPU reads each cell's horizon profile straight from the map in
global memory (threads of a warp read neighbouring cells of one row: coalesced) and keeps its block-decision
bounds for 1 deg azimuth sectors in a fixed-size per-thread local array (the CPU uses one sector per profile
sample interval). Both are exact, so both backends give the step-by-step result. Install ``lupex[gpu]``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lupex.core.visibility import (
    _COARSE_SECTORS,
    _GPU_SECTORS,
    check_horizon_rows,
    earth_cell_stats,
    sector_thresholds,
    sun_cell_stats,
    whole_period_bounds,
)

try:  # numba.cuda is a module global so that numba's CUDA simulator can substitute it
    from numba import cuda, float64
except ImportError:  # pragma: no cover - numba without its CUDA target
    cuda = None
    float64 = None

_THREADS = (32, 4)


def cuda_available() -> bool:
    """True when numba.cuda can see a CUDA device (or runs its simulator); never raises."""
    try:
        return cuda is not None and bool(cuda.is_available())
    except Exception:  # no driver, no toolkit, import problems: no GPU backend
        return False


@functools.lru_cache(maxsize=1)
def _kernel() -> Any:
    @cuda.jit
    def stats_kernel(  # type: ignore[no-untyped-def]
        horizon,
        z,
        x,
        y,
        obs_h,
        radius,
        sun_dir,
        sun_inv,
        inv_radius,
        sun_radius_max,
        sun_starts,
        sun_dev,
        sun_coarse_dev,
        blocks_per_coarse,
        earth_pos,
        earth_starts,
        earth_dev,
        earth_coarse_cones,
        earth_per_coarse,
        want_earth,
        stop_at_first_lit,
        only,
        bounds,
        out_sum,
        out_dark,
        out_first,
        out_last,
        out_earth,
        out_outage,
        out_lit,
    ):
        j, i = cuda.grid(2)
        if i >= z.shape[0] or j >= z.shape[1] or not only[i, j]:
            return
        upper = cuda.local.array(_GPU_SECTORS, float64)
        lower = cuda.local.array(_GPU_SECTORS, float64)
        upper_coarse = cuda.local.array(_COARSE_SECTORS, float64)
        lower_coarse = cuda.local.array(_COARSE_SECTORS, float64)
        r_cell = radius + z[i, j] + obs_h
        sector_thresholds(horizon, i, j, sun_radius_max, upper, lower)
        sector_thresholds(horizon, i, j, sun_radius_max, upper_coarse, lower_coarse)
        total, best, first, last, lit = sun_cell_stats(
            horizon,
            i,
            j,
            x[j],
            y[i],
            r_cell,
            radius,
            sun_dir,
            sun_inv,
            inv_radius,
            sun_starts,
            sun_dev,
            sun_coarse_dev,
            blocks_per_coarse,
            upper,
            lower,
            upper_coarse,
            lower_coarse,
            bounds[0],
            bounds[1],
            stop_at_first_lit,
        )
        out_sum[i, j] = total
        out_lit[i, j] = lit
        out_dark[i, j] = best
        out_first[i, j] = first
        out_last[i, j] = last
        if want_earth:
            sector_thresholds(horizon, i, j, 0.0, upper, lower)
            seen, outage = earth_cell_stats(
                horizon,
                i,
                j,
                x[j],
                y[i],
                r_cell,
                radius,
                earth_pos,
                earth_starts,
                earth_dev,
                earth_coarse_cones,
                earth_per_coarse,
                upper,
                lower,
                bounds[2],
                bounds[3],
            )
            out_earth[i, j] = seen
            out_outage[i, j] = outage

    return stats_kernel


@functools.lru_cache(maxsize=1)
def _scale_kernel() -> Any:
    @cuda.jit
    def scale(values, factor):  # type: ignore[no-untyped-def]
        k = cuda.grid(1)
        if k < values.size:
            values[k] = values[k] * factor

    return scale


def _horizon_on_device(horizon: NDArray[np.floating], rad_per_unit: float) -> Any:
    """The horizon map on the device in radians: converted there (times the float32 ``rad_per_unit``, as the CPU
    kernel's profile copy) when ``rad_per_unit`` is not 1. A row chunk of a larger map (a view, not contiguous)
    is sent azimuth by azimuth, each plane contiguous, without a host copy."""
    if horizon.flags.c_contiguous:
        device = cuda.to_device(horizon)
    else:
        device = cuda.device_array(horizon.shape, dtype=horizon.dtype)
        for k in range(horizon.shape[0]):
            device[k].copy_to_device(np.ascontiguousarray(horizon[k]))
    if rad_per_unit != 1.0:
        flat = device.reshape(device.size)
        _scale_kernel()[(flat.size + 255) // 256, 256](flat, np.float32(rad_per_unit))
    return device


def illumination_stats_cuda(
    horizon: NDArray[np.float32],
    z_m: NDArray[np.float64],
    x_m: NDArray[np.float64],
    y_m: NDArray[np.float64],
    observer_height_m: float,
    body_radius_m: float,
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    sun_radius_rad: NDArray[np.float64],
    sun_starts: NDArray[np.int64],
    sun_deviation: NDArray[np.float64],
    sun_coarse_deviation: NDArray[np.float64],
    blocks_per_coarse: int,
    earth_pos_me_m: NDArray[np.float64],
    earth_starts: NDArray[np.int64],
    earth_deviation: NDArray[np.float64],
    earth_coarse_cones: NDArray[np.float64],
    earth_blocks_per_coarse: int,
    want_earth: bool,
    stop_at_first_lit: bool = False,
    only_cells: NDArray[np.bool_] | None = None,
    rad_per_unit: float = 1.0,
    horizon_row0: int = 0,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.float64],
    NDArray[np.int32],
    NDArray[np.int32],
]:
    """Same arguments and results as :func:`lupex.core.visibility.illumination_stats_kernel`, on the GPU."""
    ny, nx = z_m.shape
    check_horizon_rows(horizon, ny, nx, horizon_row0)
    horizon = horizon[:, horizon_row0 : horizon_row0 + ny, :]
    outs = [
        np.zeros((ny, nx), np.float64),
        np.zeros((ny, nx), np.int32),
        np.full((ny, nx), -1, np.int32),
        np.full((ny, nx), -1, np.int32),
        np.zeros((ny, nx), np.float64),
        np.zeros((ny, nx), np.int32),
        np.zeros((ny, nx), np.int32),
    ]
    device_outs = [cuda.to_device(o) for o in outs]
    grid = ((nx + _THREADS[0] - 1) // _THREADS[0], (ny + _THREADS[1] - 1) // _THREADS[1])
    _kernel()[grid, _THREADS](
        _horizon_on_device(horizon, rad_per_unit),
        cuda.to_device(np.ascontiguousarray(z_m)),
        cuda.to_device(x_m),
        cuda.to_device(y_m),
        float(observer_height_m),
        float(body_radius_m),
        cuda.to_device(sun_dir_me),
        cuda.to_device(sun_inv_distance_per_m),
        cuda.to_device(1.0 / sun_radius_rad),
        float(sun_radius_rad.max()),
        cuda.to_device(sun_starts),
        cuda.to_device(sun_deviation),
        cuda.to_device(sun_coarse_deviation),
        int(blocks_per_coarse),
        cuda.to_device(earth_pos_me_m),
        cuda.to_device(earth_starts),
        cuda.to_device(earth_deviation),
        cuda.to_device(earth_coarse_cones),
        int(earth_blocks_per_coarse),
        bool(want_earth),
        bool(stop_at_first_lit),
        cuda.to_device(np.ones((ny, nx), np.bool_) if only_cells is None else np.ascontiguousarray(only_cells)),
        cuda.to_device(np.array(whole_period_bounds(sun_dir_me, sun_inv_distance_per_m, earth_pos_me_m))),
        *device_outs,
    )
    cuda.synchronize()
    results = [d.copy_to_host() for d in device_outs]
    return results[0], results[1], results[2], results[3], results[4], results[5], results[6]
