"""CUDA (numba.cuda) backend of the regolith column solver :func:`lupex.core.thermal.advance_columns`.

One thread per column. The device kernel mirrors the CPU kernel line by line (Crank-Nicolson for the subsurface
nodes with ``K`` and ``cp`` lagged, the deep nodes' coefficients frozen for :data:`~lupex.core.thermal.
PROPERTY_REFRESH_S`, the implicit surface balance solved by Newton from an upper bound, back substitution and
the running statistics), with the same constants in the state's precision. The state and the per-node work
arrays are laid out ``(node, column)``, so the threads of a warp read neighbouring columns (coalesced); the
forcing is transposed to ``(step, column)`` for the same reason. Install ``lupex[gpu]``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lupex.core.thermal import (
    _SURFACE_NEWTON_ITERATIONS,
    LIVE_DEPTH_M,
    PROPERTY_REFRESH_S,
    RADIATIVE_REFERENCE_K,
    STEFAN_BOLTZMANN_W_M2_K4,
)

try:  # numba.cuda is a module global so that numba's CUDA simulator can substitute it
    from numba import cuda
except ImportError:  # pragma: no cover - numba without its CUDA target
    cuda = None  # type: ignore[assignment]

__all__ = ["advance_columns_cuda"]

_THREADS = 128
# work slots w[slot, node, column]
_P, _S, _K, _H, _M, _INV, _ZMAX, _ZSUM = range(8)
_N_SLOTS = 8


@functools.lru_cache(maxsize=1)
def _kernel() -> Any:
    @cuda.jit
    def thermal_kernel(  # type: ignore[no-untyped-def]
        T, flux, cst, half_cond, storage, kcon, ints, w, accumulate, ts_min, ts_max, ts_sum, tz_max, tz_sum, series
    ):
        j = cuda.grid(1)  # type: ignore[call-arg, var-annotated]
        n_nodes, n_cells = T.shape
        if j >= n_cells:
            return
        n_steps = flux.shape[0]
        n_live = ints[0]
        refresh_steps = ints[1]
        want_series = series.shape[0] > 0
        c0, c1, c2, c3, c4 = cst[0], cst[1], cst[2], cst[3], cst[4]
        eps_sigma, inv_eps_sigma, inv_ref, qb, chi_ = cst[5], cst[6], cst[7], cst[8], cst[9]
        one, zero = cst[10], cst[11]
        two = one + one
        four = two + two
        last = n_nodes - 1
        s_min = zero
        s_max = zero
        s_sum = zero
        if accumulate:
            for i in range(n_nodes):
                w[_ZMAX, i, j] = tz_max[i, j]
                w[_ZSUM, i, j] = zero
            s_min = ts_min[j]
            s_max = ts_max[j]
        for k in range(n_steps):
            if k % refresh_steps == 0:
                # deep rows: storage, conductances and elimination coefficients from the current profile
                x = T[last, j] * inv_ref
                w[_K, last, j] = kcon[last] * (one + chi_ * x * x * x)
                for i in range(last, n_live - 1, -1):
                    ti = T[i, j]
                    x = T[i - 1, j] * inv_ref
                    ka = kcon[i - 1] * (one + chi_ * x * x * x)
                    w[_K, i - 1, j] = ka
                    ha = half_cond[i - 1] * (w[_K, i, j] + ka)
                    hb = w[_H, i + 1, j] if i < last else zero
                    sb = w[_S, i + 1, j] if i < last else zero
                    m = storage[i] * (c0 + ti * (c1 + ti * (c2 + ti * (c3 + ti * c4))))
                    inv = one / (m + ha + hb * (one - sb))
                    w[_M, i, j] = m
                    w[_H, i, j] = ha
                    w[_INV, i, j] = inv
                    w[_S, i, j] = ha * inv
            # deep rows, upward elimination T_i = P_i + S_i T_{i-1} with the frozen coefficients
            ti = T[last, j]
            w[_P, last, j] = (w[_M, last, j] * ti + qb - w[_H, last, j] * (ti - T[last - 1, j])) * w[_INV, last, j]
            for i in range(last - 1, n_live - 1, -1):
                ti = T[i, j]
                hb = w[_H, i + 1, j]
                r = w[_M, i, j] * ti + hb * (T[i + 1, j] - ti) - w[_H, i, j] * (ti - T[i - 1, j])
                w[_P, i, j] = (r + hb * w[_P, i + 1, j]) * w[_INV, i, j]
            # live rows: K, cp and the coefficients from the current profile
            x = T[n_live - 1, j] * inv_ref
            w[_K, n_live - 1, j] = kcon[n_live - 1] * (one + chi_ * x * x * x)
            for i in range(n_live - 1, 0, -1):
                ti = T[i, j]
                ta = T[i - 1, j]
                x = ta * inv_ref
                ka = kcon[i - 1] * (one + chi_ * x * x * x)
                w[_K, i - 1, j] = ka
                ha = half_cond[i - 1] * (w[_K, i, j] + ka)
                hb = w[_H, i + 1, j]
                m = storage[i] * (c0 + ti * (c1 + ti * (c2 + ti * (c3 + ti * c4))))
                r = m * ti + hb * (T[i + 1, j] - ti) - ha * (ti - ta)
                inv = one / (m + ha + hb * (one - w[_S, i + 1, j]))
                w[_P, i, j] = (r + hb * w[_P, i + 1, j]) * inv
                w[_S, i, j] = ha * inv
                w[_H, i, j] = ha
            # surface skin: eps sigma Ts^4 = Q + g0 (T_1 - Ts) with T_1 = P_1 + S_1 Ts; Newton from an upper bound
            g0 = two * w[_H, 1, j]
            a = g0 * (one - w[_S, 1, j])
            c = g0 * w[_P, 1, j] + flux[k, j]
            x = min(math.sqrt(math.sqrt(c * inv_eps_sigma)), c / a)
            for _ in range(_SURFACE_NEWTON_ITERATIONS):
                x3 = eps_sigma * x * x * x
                x -= (x3 * x + a * x - c) / (four * x3 + a)
            T[0, j] = x
            # back substitution and the running statistics
            if accumulate:
                s_min = s_min if s_min < x else x
                s_max = s_max if s_max > x else x
                s_sum += x
                old = w[_ZMAX, 0, j]
                w[_ZMAX, 0, j] = old if old > x else x
                w[_ZSUM, 0, j] += x
                for i in range(1, n_nodes):
                    v = w[_P, i, j] + w[_S, i, j] * T[i - 1, j]
                    T[i, j] = v
                    old = w[_ZMAX, i, j]
                    w[_ZMAX, i, j] = old if old > v else v
                    w[_ZSUM, i, j] += v
            else:
                for i in range(1, n_nodes):
                    T[i, j] = w[_P, i, j] + w[_S, i, j] * T[i - 1, j]
            if want_series:
                series[k, j] = T[0, j]
        if accumulate:
            for i in range(n_nodes):
                tz_max[i, j] = max(tz_max[i, j], w[_ZMAX, i, j])
                tz_sum[i, j] += w[_ZSUM, i, j]
            ts_min[j] = min(ts_min[j], s_min)
            ts_max[j] = max(ts_max[j], s_max)
            ts_sum[j] += s_sum

    return thermal_kernel


def _on_device(a: Any) -> bool:
    """True for a numba device array (real or simulated)."""
    return hasattr(a, "copy_to_host")


def _device(a: Any) -> tuple[Any, bool]:
    """``a`` on the device and whether it was a host array (then copy the result back)."""
    if _on_device(a):
        return a, False
    return cuda.to_device(np.ascontiguousarray(a)), True


def _constants(
    dtype: Any,
    dt_s: float,
    z_m: NDArray[np.float64],
    thickness_m: NDArray[np.float64],
    density_kg_m3: NDArray[np.float64],
    conductivity_W_m_K: NDArray[np.float64],
    heat_capacity_coeffs: NDArray[np.float64],
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
    live_depth_m: float,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any], NDArray[np.int64]]:
    """Scalar constants, half conductances, storages [W m-2 K-1 / cp], conductivities and (n_live, refresh)."""
    n_nodes = z_m.size
    eps_sigma = emissivity * STEFAN_BOLTZMANN_W_M2_K4
    cst = np.array(
        [
            *heat_capacity_coeffs[:5],
            eps_sigma,
            1.0 / eps_sigma,
            1.0 / RADIATIVE_REFERENCE_K,
            geothermal_W_m2,
            chi,
            1,
            0,
        ],
        dtype=dtype,
    )
    half_cond = np.zeros(n_nodes, dtype=dtype)
    half_cond[:-1] = 0.25 / np.diff(np.asarray(z_m, dtype=np.float64))
    storage = (np.asarray(density_kg_m3, np.float64) * np.asarray(thickness_m, np.float64) / dt_s).astype(dtype)
    kcon = np.asarray(conductivity_W_m_K, dtype=dtype)
    n_live = 1
    while n_live < n_nodes - 1 and z_m[n_live] < live_depth_m:
        n_live += 1
    refresh_steps = max(1, int(PROPERTY_REFRESH_S / dt_s)) if math.isfinite(live_depth_m) else 1
    return cst, half_cond, storage, kcon, np.array([n_live, refresh_steps], dtype=np.int64)


def advance_columns_cuda(
    T_K: Any,
    absorbed_W_m2: NDArray[np.floating],
    dt_s: float,
    z_m: NDArray[np.float64],
    thickness_m: NDArray[np.float64],
    density_kg_m3: NDArray[np.float64],
    conductivity_W_m_K: NDArray[np.float64],
    heat_capacity_coeffs: NDArray[np.float64],
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
    accumulate: bool,
    ts_min_K: Any,
    ts_max_K: Any,
    ts_sum_K: Any,
    tz_max_K: Any,
    tz_sum_K: Any,
    ts_series_K: Any,
    live_depth_m: float = LIVE_DEPTH_M,
) -> None:
    """Same arguments and in-place results as :func:`lupex.core.thermal.advance_columns`, on the GPU.

    Every array argument may also be a numba device array (then it is updated on the device, no copies: keep the
    state and statistics on the GPU across calls); host arrays are copied in and, where written, back.
    ``absorbed_W_m2`` [W m-2] is (n_cells, n_steps) on the host, or already (n_steps, n_cells) on the device;
    a device ``ts_series_K`` [K] is likewise (n_steps, n_cells).
    """
    n_nodes, n_cells = T_K.shape
    dtype = np.dtype(T_K.dtype)
    if _on_device(absorbed_W_m2):
        d_flux = absorbed_W_m2
    else:
        d_flux = cuda.to_device(np.ascontiguousarray(np.asarray(absorbed_W_m2).T, dtype=dtype))
    n_steps = d_flux.shape[0]
    consts = _constants(
        dtype, dt_s, z_m, thickness_m, density_kg_m3, conductivity_W_m_K, heat_capacity_coeffs,
        emissivity, geothermal_W_m2, chi, live_depth_m,
    )  # fmt: skip
    want_series = ts_series_K.shape[0] > 0
    host_series = want_series and not _on_device(ts_series_K)
    d_series = cuda.device_array((n_steps, n_cells), dtype) if host_series else ts_series_K
    if not want_series:
        d_series = cuda.device_array((0, 0), dtype)
    states = [_device(a) for a in (T_K, ts_min_K, ts_max_K, ts_sum_K, tz_max_K, tz_sum_K)]
    w = cuda.device_array((_N_SLOTS, n_nodes, n_cells), dtype)
    _kernel()[(n_cells + _THREADS - 1) // _THREADS, _THREADS](
        states[0][0], d_flux, *[cuda.to_device(c) for c in consts], w, bool(accumulate), *[s[0] for s in states[1:]],
        d_series,
    )  # fmt: skip
    cuda.synchronize()
    for (dev, copied), host in zip(states, (T_K, ts_min_K, ts_max_K, ts_sum_K, tz_max_K, tz_sum_K), strict=True):
        if copied and (accumulate or host is T_K):
            host[...] = dev.copy_to_host()
    if host_series:
        ts_series_K[...] = d_series.copy_to_host().T
