"""benchmarks/bench_gpu.py end to end in numba's CUDA simulator, on a 2 x 2 crop.

The script only ever runs for real on a lent GPU (benchmarks/gpu_check.sh), where a broken call costs the device
time: before this test it passed a date-time without a zone to ``illumination_stats`` (refused with a TimeError
after the horizon stage) and called ``cuda.get_current_device``, which the simulator lacks. Speed is not checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.cuda_support import needs_cuda_simulator

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = str(ROOT / "benchmarks" / "bench_gpu.py")
    return subprocess.run(
        [sys.executable, script, *args], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )


@needs_cuda_simulator
def test_bench_gpu_runs_every_stage_in_the_simulator() -> None:
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "NUMBA_DISABLE_JIT": "0"}
    run = _bench("--crop", "2", "--n-az", "4", "--hours", "3", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "map 2 x 2; 3 h" in out
    assert re.search(r"^warm-up \(compilations.*: \d+\.\d s$", out, re.M)
    for stage, samples in (("horizon 4 az", "16 rays"), ("statistics, 3 h", "12 cell-steps"), ("thermal", "12 ")):
        line = next((ln for ln in out.splitlines() if ln.startswith(stage)), None)
        assert line is not None, out
        assert f"({samples}" in line, line


def test_bench_gpu_refuses_bad_options_in_one_line() -> None:
    run = _bench("--n-az", "2")
    assert run.returncode == 2
    assert run.stderr == "bench_gpu: --n-az 2: give at least 4 azimuths (360 by default)\n"


@pytest.mark.parametrize(("flags", "status"), [([], 0), (["--require-gpu"], 2)])
def test_bench_gpu_without_a_gpu_says_so(flags: list[str], status: int) -> None:
    """``make bench`` runs every bench script: on a CPU machine this one is a skip (status 0), while gpu_check.sh, on
    a lent device, asks for a failure if the GPU is not usable."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["CUDA_VISIBLE_DEVICES"] = ""  # no device, also on a machine that has one
    run = _bench(*flags, env=env)
    assert run.returncode == status
    assert "no usable CUDA GPU" in run.stdout and "nothing measured" in run.stdout
