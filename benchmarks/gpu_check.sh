#!/usr/bin/env bash
# The checks that need a real CUDA GPU, as one short script for a lent device (`run` tool, timeout_s ~ 480):
#   1. install lupex[gpu,test] into a fresh venv on the device (no network there: carry wheels in .whl/ if needed),
#   2. the GPU-marked tests (CPU and GPU statistics kernels agree within the stated tolerance),
#   3. benchmarks/bench_gpu.py (horizon, a year of statistics and a thermal year on the full 240 m map),
#   4. nvidia-smi for the record.
# Usage on the device: bash benchmarks/gpu_check.sh   (writes $OUT/gpu_check.log when OUT is set)
set -euo pipefail
cd "$(dirname "$0")/.."
log="${OUT:-/tmp}/gpu_check.log"
{
  nvidia-smi || true
  python3 -m venv /tmp/lupex-gpu-venv
  if [ -d .whl ]; then
    /tmp/lupex-gpu-venv/bin/pip install -q --no-index --find-links .whl -e '.[gpu,test]'
  else
    /tmp/lupex-gpu-venv/bin/pip install -q -e '.[gpu,test]'
  fi
  PYTHONUNBUFFERED=1 timeout 150 /tmp/lupex-gpu-venv/bin/python -m pytest -q -m gpu -p no:cacheprovider tests || true
  PYTHONUNBUFFERED=1 timeout 200 /tmp/lupex-gpu-venv/bin/python benchmarks/bench_gpu.py || true
} 2>&1 | tee "$log"
