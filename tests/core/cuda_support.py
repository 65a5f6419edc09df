"""What the CUDA tests (and benchmarks/march_work.py) share: whether numba's CUDA target (or its simulator) can be
imported, and the GPU horizon march run on the CPU."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from lupex.core.horizon_cuda import march_ray


def cuda_importable() -> bool:
    """True when ``numba.cuda`` imports (the simulator then runs without a GPU)."""
    try:
        import numba.cuda  # noqa: F401
    except ImportError:
        return False
    return True


#: Skips a test where numba.cuda (simulator) is not importable.
needs_cuda_simulator = pytest.mark.skipif(not cuda_importable(), reason="numba.cuda (simulator) is not importable")


# march_ray lives in another file: numba's on-disk cache would not see its edits, so none
@numba.njit(cache=False)
def march_cells_cpu(z, geo, az, f0, f1, f2, fgeo, nfar, m0, m1, m2, skip, ci, cj):  # type: ignore[no-untyped-def]
    """The CUDA kernel's per-ray march (:func:`lupex.core.horizon_cuda.march_ray`) on the CPU for cells ``(ci, cj)``
    at azimuths ``az`` [rad]: best elevation sines [-], edge flags and heights looked up, each (n_az, n_cells)."""
    best = np.empty((az.size, ci.size))
    edge = np.zeros((az.size, ci.size), dtype=np.bool_)
    n_samples = np.zeros((az.size, ci.size), dtype=np.int64)
    for a in range(az.size):
        for c in range(ci.size):
            b, e, n = march_ray(ci[c], cj[c], az[a], z, geo, f0, f1, f2, fgeo, nfar, (m0, m1, m2), skip)
            best[a, c] = b
            edge[a, c] = e
            n_samples[a, c] = n
    return best, edge, n_samples
