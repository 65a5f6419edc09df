"""The CUDA horizon kernel against the dense reference and the CPU sweep: numba's CUDA simulator (always), GPU (marked).

Tolerances (measured in the simulator on a 6 x 6 crop of the 240 m map with a 480 m far field, 8 azimuths, 8 km):
the GPU march agrees with :func:`horizon_reference` within 0.0064 deg (max; 0.014 before the seam between the crop
and the far field was modelled, 0.019 before both sampled the terrain exactly at the reach), median < 1e-4 deg
(limit 0.05 / 0.005); with the CPU sweep the median difference is < 1e-5 deg, p95 0.008 deg (0.15 before the seam
model), and wherever they differ more than 0.05 deg the CPU sweep is the one off the reference (its line blending at
the edges of a tiny crop: up to 0.53 deg there, 1.4 before the seam model), which is asserted. The GPU march also
sees the terrain exactly at the reach (a paraboloid steeper than the sphere, whose horizon is that point: within
1e-3 deg of the closed form, measured 3e-8 deg), and the seam band's top edge on a flat DEM inside a higher flat far
field (within 1e-3 deg of the closed form, measured 2e-7 deg).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lupex.core.horizon_cuda import sin_elevation, unit_components
from lupex.core.horizon_reference import _unit_components
from tests.core.cuda_support import needs_cuda_simulator

ROOT = Path(__file__).resolve().parents[2]

CASE = textwrap.dedent(
    """
    import numpy as np
    from lupex.core.horizon import horizon_map_cpu
    from lupex.core.horizon_cuda import horizon_map_cuda
    from lupex.core.horizon_reference import horizon_reference
    from lupex.terrain import builtin_dem

    full = builtin_dem("south_pole_240m")
    I, J, N, PAD, REACH, N_AZ = SETUP

    def grid(d, res):
        x0, y0 = float(d.x.values[0]) - res / 2, float(d.y.values[0]) + res / 2
        return np.ascontiguousarray(d.values, float), x0, y0, res

    main = grid(full.isel(y=slice(I, I + N), x=slice(J, J + N)), 240.0)
    main[0][1, 2] = np.nan  # a hole: its own output is NaN, the others skip it
    coarse = full.isel(y=slice(I - PAD, I + N + PAD), x=slice(J - PAD, J + N + PAD)).coarsen(y=2, x=2).mean()
    far = [grid(coarse, 480.0)]
    az = np.arange(N_AZ) * 2 * np.pi / N_AZ
    args = (*main, az, 2.0, 1737400.0, REACH, far)
    cpu, edge_cpu = horizon_map_cpu(*args)
    gpu, edge_gpu = horizon_map_cuda(*args)
    if N >= 32:  # on a GPU: block skipping leaves the result bit for bit (on the CPU: test_horizon_cuda_skip.py)
        assert np.array_equal(horizon_map_cuda(*args, skip=False)[0], gpu, equal_nan=True)
    assert gpu.dtype == np.float32 and gpu.shape == cpu.shape and edge_gpu.dtype == bool
    assert np.isnan(gpu[:, 1, 2]).all() and np.isnan(cpu[:, 1, 2]).all()
    assert (edge_gpu == edge_cpu).all()
    ok = np.isfinite(cpu)
    step = max(1, N // 6)
    cells = [(i, j) for i in range(0, N, step) for j in range(0, N, step) if ok[0, i, j]]
    ref = horizon_reference(*args, cells)
    sub = tuple(np.array(cells).T)
    d_ref = np.degrees(np.abs(gpu[:, sub[0], sub[1]] - ref))
    d_cpu_ref = np.degrees(np.abs(cpu[:, sub[0], sub[1]] - ref))
    d_cpu = np.degrees(np.abs(gpu[ok] - cpu[ok]))
    print("REF max %.4f median %.5f; CPU median %.5f p95 %.4f" % (
        d_ref.max(), np.median(d_ref), np.median(d_cpu), np.percentile(d_cpu, 95)))
    assert d_ref.max() <= 0.05 and np.median(d_ref) <= 0.005
    assert np.median(d_cpu) <= 0.01
    # where GPU and CPU differ by more than 0.05 deg, the CPU sweep is the one off the reference
    assert (np.degrees(np.abs(gpu[:, sub[0], sub[1]] - cpu[:, sub[0], sub[1]])) <= d_cpu_ref + 0.05).all()
    # the reach is a hard cut: on a paraboloid steeper than the sphere the horizon is the terrain exactly there
    # (a 9 x 9 grid and four azimuths, rows, columns and both diagonals: the simulator runs every cell's march)
    from tests.core.test_horizon_reach import RES_M, cut_exact_deg, paraboloid

    bowl, bx0, by0 = paraboloid(9)
    cut_az = np.array([0.0, 45.0, 90.0, 135.0])
    for reach_cells in (0.3, 3.3):
        got, _ = horizon_map_cuda(bowl, bx0, by0, RES_M, np.radians(cut_az), 2.0, 1737400.0, reach_cells * RES_M)
        want = [cut_exact_deg(reach_cells * RES_M, a % 90.0 != 0.0) for a in cut_az]
        assert np.abs(np.degrees(got[:, 4, 4].astype(float)) - want).max() <= 1e-3, reach_cells
    # the seam between a DEM and a coarser far field: a flat DEM inside a higher flat far field, whose horizon is the
    # top edge of the seam band (closed form, tests/core/test_horizon_seam.py)
    from tests.core.test_horizon_seam import OBSERVER_M, R_MOON, RES_M, _expected_deg, _flat_seam

    flat, fx0, fy0, flat_far = _flat_seam(5)
    seam_az = np.array([0.0, 30.0, 135.0, 270.0])
    got, _ = horizon_map_cuda(flat, fx0, fy0, RES_M, np.radians(seam_az), OBSERVER_M, R_MOON, 5000.0, flat_far)
    want = [[[_expected_deg(flat, fx0, fy0, i, j, a) for j in range(5)] for i in range(5)] for a in seam_az]
    assert np.abs(np.degrees(got.astype(float)) - np.array(want)).max() <= 1e-3
    print("AGREE")
    """
)


def test_device_geometry_helpers_match_the_reference():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-4e5, 4e5, (2, 5))
    ux, uy, uz = _unit_components(x, y, 1737400.0)
    for k in range(5):
        assert np.allclose(unit_components(x[k], y[k], 1737400.0), (ux[k], uy[k], uz[k]), rtol=0, atol=1e-15)
    # a point 1 km away and 1 km higher on a flat plane: 45 deg less the curvature drop
    up = unit_components(0.0, 0.0, 1737400.0)
    q = unit_components(1000.0, 0.0, 1737400.0)
    s = sin_elevation(*q, 1737400.0 + 1000.0, *up, 1737400.0)
    assert 44.95 < np.degrees(np.arcsin(s)) < 45.0


@needs_cuda_simulator
def test_cuda_horizon_matches_reference_and_cpu_in_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "NUMBA_DISABLE_JIT": "0"}
    code = CASE.replace("SETUP", "760, 760, 6, 24, 8000.0, 8")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "AGREE" in done.stdout


@pytest.mark.gpu
def test_cuda_horizon_matches_reference_and_cpu_on_a_gpu():
    from lupex.core.visibility_cuda import cuda_available

    if not cuda_available():
        pytest.skip("no CUDA GPU")
    namespace: dict[str, object] = {}
    exec(CASE.replace("SETUP", "700, 700, 96, 200, 60000.0, 72"), namespace)
