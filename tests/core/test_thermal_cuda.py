"""The CUDA regolith column solver against the CPU kernel: numba's CUDA simulator (always) and a GPU (marked).

Measured in the simulator (float64, 5 columns, 300 steps of 1 h with a diurnal forcing and shadowed columns): the
temperatures and statistics agree with :func:`lupex.core.thermal.advance_columns` to ~1e-13 relative; asserted
within 1e-6 relative (the CPU kernel is compiled with fastmath, so bit identity is not expected).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.core.cuda_support import needs_cuda_simulator

ROOT = Path(__file__).resolve().parents[2]

CASE = textwrap.dedent(
    """
    import numpy as np
    from lupex.core import thermal as th
    from lupex.core.thermal_cuda import advance_columns_cuda

    N_CELLS, N_STEPS, DTYPE, RTOL = SETUP
    grid = th.regolith_grid(0.06, 1100.0, 1800.0, 7.4e-4, 3.4e-3)
    dt = 3600.0
    rng = np.random.default_rng(0)
    t = np.arange(1, N_STEPS + 1) * dt
    peak = rng.uniform(0.0, 1200.0, N_CELLS)
    peak[0] = 0.0  # permanent shadow
    phase = rng.uniform(0, 6, N_CELLS)[:, None]
    flux = peak[:, None] * np.maximum(0.0, np.sin(2 * np.pi * t / th.SYNODIC_MONTH_S + phase))
    flux = np.ascontiguousarray(flux + 0.05, dtype=DTYPE)
    t0 = th.initial_profile_K(flux.mean(axis=1), grid, 0.95, 0.018, 2.7).astype(DTYPE)
    props = (grid.z_m, grid.thickness_m, grid.density_kg_m3, grid.conductivity_W_m_K, th.HEAT_CAPACITY_COEFFS)
    results = []
    for kernel in (th.advance_columns, advance_columns_cuda):
        state = t0.copy()
        nz = state.shape[0]
        stats = [np.full(N_CELLS, np.inf), np.full(N_CELLS, -np.inf), np.zeros(N_CELLS),
                 np.full((nz, N_CELLS), -np.inf), np.zeros((nz, N_CELLS))]
        series = np.empty((N_CELLS, N_STEPS // 2), dtype=DTYPE)
        half = N_STEPS // 2
        kernel(state, flux[:, :half].copy(), dt, *props, 0.95, 0.018, 2.7, True, *stats, series, th.LIVE_DEPTH_M)
        kernel(state, flux[:, half:].copy(), dt, *props, 0.95, 0.018, 2.7, False, *stats,
               np.empty((0, 0), dtype=DTYPE), th.LIVE_DEPTH_M)
        results.append([state, series, *stats])
    worst = 0.0
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=0)
        worst = max(worst, float(np.max(np.abs(b - a) / np.abs(a))))
    print("AGREE worst relative %.2e; Ts %.1f..%.1f K" % (worst, results[0][2].min(), results[0][3].max()))
    """
)


@needs_cuda_simulator
def test_cuda_columns_match_cpu_in_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "NUMBA_DISABLE_JIT": "0"}
    code = CASE.replace("SETUP", "5, 300, np.float64, 1e-6")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "AGREE" in done.stdout, done.stdout


@pytest.mark.gpu
@pytest.mark.parametrize("setup", ["20000, 2000, np.float64, 1e-6", "20000, 2000, np.float32, 1e-4"])
def test_cuda_columns_match_cpu_on_a_gpu(setup: str):
    from lupex.core.visibility_cuda import cuda_available

    if not cuda_available():
        pytest.skip("no CUDA GPU")
    namespace: dict[str, object] = {}
    exec(CASE.replace("SETUP", setup), namespace)
