"""Compile lupex's CUDA kernels to PTX for a GPU architecture, on a machine without a GPU (issue #17).

numba's CUDA simulator runs the kernels as Python, so it cannot tell whether they compile for a real device; a lent
GPU's time is too short to find that out there. This script runs the GPU benchmark's three stages on a 2 x 2 crop in
the simulator, records every kernel launch's argument types, then compiles each kernel with those types through
numba-cuda's real pipeline (NVVM) for the compute capability asked (default 9.0: H100 / H200) and prints the PTX size
and its local-memory declarations. Needs numba-cuda with its CUDA toolkit wheels (``pip install "numba-cuda[cu12]"``),
no driver and no device. Usage: ``python benchmarks/ptx_check.py [--cc 9.0]``; exit status 1 if a kernel fails.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent


def _capture(path: str) -> None:
    """In the simulator: run bench_gpu's stages on a 2 x 2 crop, recording (module, factory, argument types)."""
    import numba
    from numba.cuda.simulator import kernel as sim

    seen: dict[tuple[str, str, tuple[Any, ...]], None] = {}
    launch = sim.FakeCUDAKernel.__call__

    def recording_call(self: Any, *args: Any) -> Any:
        if not self._device:
            types = tuple(numba.typeof(getattr(a, "_ary", a)) for a in args)
            factory = self.fn.__qualname__.split(".<locals>.")[0]
            seen[(self.fn.__module__, factory, types)] = None
        return launch(self, *args)

    sim.FakeCUDAKernel.__call__ = recording_call  # type: ignore[method-assign]
    sys.path.insert(0, str(HERE))
    import bench_gpu

    from lupex.terrain import builtin_dem

    dem = builtin_dem("south_pole_240m")
    bench_gpu._stages(bench_gpu._crop(dem, 2), 4, 2, report=False)
    with open(path, "wb") as handle:
        pickle.dump(list(seen), handle)


def _compile(launches: list[tuple[str, str, tuple[Any, ...]]], cc: tuple[int, int]) -> int:
    """Compile every recorded kernel for ``cc``; print one line each; return the number of failures."""
    from numba import cuda
    from numba.cuda import dispatcher

    # device functions (register_jitable helpers) are compiled for the current device's capability: stand one in
    dispatcher.get_current_device = lambda: SimpleNamespace(compute_capability=cc)  # type: ignore[attr-defined]
    failures = 0
    for module, factory, types in launches:
        kernel = getattr(importlib.import_module(module), factory)()
        name = f"{module}.{factory}"
        try:
            ptx, _ = cuda.compile_ptx(kernel.py_func, types, cc=cc)
        except Exception as err:  # report every kernel, then fail
            failures += 1
            print(f"FAIL {name}: {type(err).__name__}: {str(err).splitlines()[0][:300]}", flush=True)
            continue
        local = [ln.strip() for ln in ptx.splitlines() if ln.strip().startswith(".local")]
        print(f"ok   {name}: PTX {len(ptx) / 1e3:.0f} kB for sm_{cc[0]}{cc[1]}, local memory {local or 'none'}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default="9.0", help="compute capability, e.g. 9.0 (H100/H200) or 8.0 (A100)")
    parser.add_argument("--capture", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.capture:
        _capture(args.capture)
        return 0
    try:
        cc = tuple(int(p) for p in args.cc.split("."))
        if len(cc) != 2:
            raise ValueError
    except ValueError:
        from _args import usage_error

        usage_error("ptx_check", f"--cc {args.cc!r}: give the compute capability as major.minor, e.g. 9.0")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "launches.pkl")
        env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
        run = subprocess.run([sys.executable, __file__, "--capture", path], env=env, check=False)
        if run.returncode != 0:
            print("ptx_check: the simulator run failed; nothing compiled", file=sys.stderr)
            return 1
        with open(path, "rb") as handle:
            launches = pickle.load(handle)
    print(f"{len(launches)} kernel signatures recorded in the simulator", flush=True)
    return 1 if _compile(launches, (cc[0], cc[1])) else 0


if __name__ == "__main__":
    sys.exit(main())
