#!/usr/bin/env bash
# Download, here, the wheels benchmarks/gpu_check.sh installs on a lent GPU machine (no network there).
#
# The device image (/work/.library/device/KINDS.md: Python 3.12, numpy, numba, numba-cuda, scipy, xarray, pandas,
# pytest, hypothesis, pytest-xdist, rich, pyyaml, psutil, attrs, click, certifi) lacks only what lupex's GPU tests and
# bench_gpu.py import beyond that: pyproj and rasterio (the DEM), skyfield, jplephem, sgp4 and skyfield-data (DE421:
# the Sun and the Earth). Found by running the three CUDA test modules and bench_gpu.py's imports in a venv holding
# only the image's packages (2026-12-01). rasterio 1.4.3 (22 MB) rather than 1.4.4 (36 MB): the working tree plus
# the wheels must stay under the device's 64 MiB transfer limit.
# GPU_PY_VERSION=3.11 fetches them for another Python (to try gpu_check.sh on a machine without a GPU).
# Usage: bash benchmarks/gpu_wheels.sh   (then run(command="bash benchmarks/gpu_check.sh", carry=[".whl"]))
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .whl  # wheels of another Python version (GPU_PY_VERSION) would stop the install there
mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "${GPU_PY_VERSION:-3.12}" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl \
  pyproj==3.7.2 rasterio==1.4.3 affine==3.0.1 cligj==0.7.2 click-plugins==1.1.1.2 \
  skyfield==1.55 jplephem==2.24 sgp4==2.27 skyfield-data==7.0.0
du -sh .whl
tree_kb=$(git ls-files -z | du -ck --files0-from=- | tail -1 | cut -f1)
whl_kb=$(du -sk .whl | cut -f1)
echo "working tree ${tree_kb} KiB + wheels ${whl_kb} KiB = $(( (tree_kb + whl_kb) / 1024 )) MiB (device limit 64 MiB)"
