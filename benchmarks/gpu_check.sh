#!/usr/bin/env bash
# The checks that need a real CUDA GPU, as one short script for a lent device (issue #17):
#   1. the GPU-marked tests (the CUDA horizon, statistics and thermal kernels against the CPU kernels and the dense
#      reference, within the tolerances the tests state),
#   2. benchmarks/bench_gpu.py (horizon, a year of hourly statistics and a thermal year on the full 240 m map, after
#      an untimed warm-up), each rate printed against the card's limits,
#   3. nvidia-smi and the package versions, for the record.
# Prepare here: bash benchmarks/gpu_wheels.sh   (the device has no network; its image has Python 3.12 with numba,
# numba-cuda, numpy, scipy, xarray and pytest, and lacks the packages that script downloads into .whl/).
# Run: run(command="bash benchmarks/gpu_check.sh", carry=[".whl"], timeout_s=480); the log is $OUT/gpu_check.log.
# Elsewhere (a machine with network and no such image) it installs lupex[gpu,test] into a venv instead.
set -uo pipefail
cd "$(dirname "$0")/.."
log="${OUT:-/tmp}/gpu_check.log"
{
  nvidia-smi || true
  py=python3
  if [ -d .whl ] && python3 -c "import numba.cuda" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/lupex-site \
      .whl/*.whl || exit 1
    export PYTHONPATH="$PWD/src:/tmp/lupex-site${PYTHONPATH:+:$PYTHONPATH}"
  else
    python3 -m venv /tmp/lupex-gpu-venv && /tmp/lupex-gpu-venv/bin/pip install -q -e '.[gpu,test]' || exit 1
    py=/tmp/lupex-gpu-venv/bin/python
  fi
  "$py" -c "import numba, numpy, numba.cuda as c; print('numba', numba.__version__, 'numpy', numpy.__version__, \
'cuda available', c.is_available())"
  # -W default: a warning from another numba-cuda version is reported, not turned into a failure as in CI
  PYTHONUNBUFFERED=1 timeout 240 "$py" -m pytest -q -m gpu -p no:cacheprovider -W default -n 4 \
    tests/core/test_horizon_cuda.py tests/core/test_visibility_cuda.py tests/core/test_thermal_cuda.py
  echo "gpu tests exit status $?"
  PYTHONUNBUFFERED=1 timeout 200 "$py" benchmarks/bench_gpu.py --require-gpu
  echo "bench_gpu exit status $?"
} 2>&1 | tee "$log"
