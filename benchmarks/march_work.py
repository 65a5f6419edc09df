"""Work of the GPU horizon march with and without block skipping, counted on the CPU (issue #17; no GPU needed).

The CUDA kernel's per-ray march (:func:`lupex.core.horizon_cuda.march_ray`) is a ``register_jitable`` function, so a
numba loop runs the very same code on the CPU. On the 240 m map with the 1.8 km far field this prints, for random
cells x azimuths, the samples evaluated per ray (mean, median, p90), the mean over warps of 32 neighbouring cells of
their longest ray (a warp runs until its last thread ends), the CPU time of the march, and whether skipping left
every result bit for bit. Usage: ``python benchmarks/march_work.py [--reach-km 150] [--cells 2000] [--n-az 36]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.core.cuda_support import march_cells_cpu

from lupex.core.horizon import pack_far_fields
from lupex.core.horizon_cuda import march_geometry, max_mipmaps
from lupex.illumination.horizon import far_field_for
from lupex.terrain import builtin_dem

R_MOON_M = 1_737_400.0


def _grid(d):  # type: ignore[no-untyped-def]
    res = float(d.attrs["res_m"])
    return np.asarray(d.values, dtype=np.float64), float(d.x[0]) - res / 2, float(d.y[0]) + res / 2, res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reach-km", type=float, default=150.0)
    parser.add_argument("--cells", type=int, default=2000)
    parser.add_argument("--n-az", type=int, default=36)
    args = parser.parse_args()
    from _args import usage_error

    if not 0.0 < args.reach_km < 1e4:
        usage_error("march_work", f"--reach-km {args.reach_km:g}: give a reach in km above 0, e.g. 150")
    if not 1 <= args.cells <= 1_000_000:
        usage_error("march_work", f"--cells {args.cells}: give 1 to 1000000 random cells")
    if not 1 <= args.n_az <= 7200:
        usage_error("march_work", f"--n-az {args.n_az}: give 1 to 7200 azimuths")
    dem = builtin_dem("south_pole_240m")
    z, x0, y0, res = _grid(dem)
    packed = pack_far_fields([_grid(f) for f in far_field_for(dem)])
    geo = march_geometry(z, x0, y0, res, 2.0, R_MOON_M, args.reach_km * 1e3)
    mips = max_mipmaps(z)
    rng = np.random.default_rng(0)
    ci, cj = rng.integers(0, z.shape[0], args.cells), rng.integers(0, z.shape[1], args.cells)
    keep = ~np.isnan(z[ci, cj])
    ci, cj = ci[keep], cj[keep]
    # warps: 32 neighbouring cells of a row, as the kernel's threads are laid out
    rows = rng.integers(0, z.shape[0], max(1, args.cells // 128))
    wi, wj = np.repeat(rows, 128), np.tile(np.arange(704, 832), rows.size)
    az = np.radians(np.arange(args.n_az) * 360.0 / args.n_az)
    march_cells_cpu(z, geo, az[:1], *packed, *mips, True, ci[:2], cj[:2])  # compile
    print(f"240 m map + far field, reach {args.reach_km:g} km, {ci.size} cells x {az.size} azimuths, observer 2 m")
    results = {}
    for skip in (False, True):
        t = time.perf_counter()
        best, _edge, n = march_cells_cpu(z, geo, az, *packed, *mips, skip, ci, cj)
        seconds = time.perf_counter() - t
        _, _edge, nw = march_cells_cpu(z, geo, az, *packed, *mips, skip, wi, wj)
        warp = nw.reshape(az.size, -1, 32).max(axis=2).mean()
        results[skip] = best
        print(
            f"skip={skip!s:5}  samples per ray: mean {n.mean():.0f}, median {np.median(n):.0f}, "
            f"p90 {np.percentile(n, 90):.0f}; longest ray per warp of 32: {warp:.0f}; CPU {seconds:.2f} s"
        )
    print(f"bit-identical: {np.array_equal(results[True], results[False])}")


if __name__ == "__main__":
    main()
