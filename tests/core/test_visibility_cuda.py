"""The CUDA statistics kernel against the CPU kernel: in numba's CUDA simulator (always) and on a GPU (marked)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.core.cuda_support import needs_cuda_simulator

ROOT = Path(__file__).resolve().parents[2]

CASE = textwrap.dedent(
    """
    import numpy as np
    from lupex.core import visibility as vis
    from lupex.core.visibility_cuda import illumination_stats_cuda
    from lupex.ephemeris import moon_centred_vectors, time_range
    from lupex.terrain import builtin_dem

    dem = builtin_dem("south_pole_240m").isel(y=slice(SLICE), x=slice(SLICE))
    rng = np.random.default_rng(0)
    n_az = 72
    az = np.arange(n_az) * 2 * np.pi / n_az
    horizon = (0.01 * rng.standard_normal((n_az, *dem.shape)) + 0.01 * np.cos(az)[:, None, None]).astype(np.float32)
    times = time_range("2028-01-01", "2028-01-20", "STEP")
    v = moon_centred_vectors(times)
    dist = np.linalg.norm(v.sun_me_km, axis=1) * 1000
    sun = v.sun_me_km * 1000 / dist[:, None]
    earth = v.earth_me_km * 1000
    ta = vis.kernel_time_args(sun, 1 / dist, earth, 1745000.0, 6, 4, 32)
    args = (horizon, dem.values, dem.x.values, dem.y.values, 2.0, 1737400.0, sun, 1 / dist,
            np.radians(v.sun_angular_radius_deg), *ta[:4], earth, *ta[4:], True)
    cpu = vis.illumination_stats_kernel(*args)
    gpu = illumination_stats_cuda(*args)
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), atol=1e-6)
    # a float32 map in degrees whose rows 2.. are the cells (a chunk of a larger map, horizon_row0 = 2): both kernels
    # convert it with the float32 factor, so the CPU equals np.radians of those rows bit for bit and the GPU agrees
    degrees = np.degrees(horizon).astype(np.float32)
    whole = np.concatenate([degrees[:, :2] + 5.0, degrees], axis=1)
    radians = vis.illumination_stats_kernel(np.radians(degrees), *args[1:])
    cpu_deg = vis.illumination_stats_kernel(whole, *args[1:], False, None, float(vis.DEG2RAD_F32), 2)
    gpu_deg = illumination_stats_cuda(whole, *args[1:], False, None, float(vis.DEG2RAD_F32), 2)
    for a, b, c in zip(radians, cpu_deg, gpu_deg):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(np.asarray(b, float), np.asarray(c, float), atol=1e-6)
    print("AGREE", float(cpu[0].mean()), float(cpu[4].mean()))
    """
)


@needs_cuda_simulator
def test_cuda_kernel_matches_cpu_in_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "NUMBA_DISABLE_JIT": "0"}
    code = CASE.replace("SLICE", "760, 763").replace("STEP", "6h")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "AGREE" in done.stdout


@pytest.mark.gpu
def test_cuda_kernel_matches_cpu_on_a_gpu():
    from lupex.core.visibility_cuda import cuda_available

    if not cuda_available():
        pytest.skip("no CUDA GPU")
    namespace: dict[str, object] = {}
    exec(CASE.replace("SLICE", "700, 800").replace("STEP", "1h"), namespace)
    _ = np
