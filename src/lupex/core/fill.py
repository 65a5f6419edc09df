"""Void filling of gridded heights."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def fill_voids(
    height: NDArray[np.float64], tolerance_m: float = 1e-4, max_iterations: int = 5000
) -> NDArray[np.float64]:
    """Fill NaN cells with a discrete harmonic (Laplace) interpolation of the surrounding heights.

    First an onion-peeling pass gives every NaN cell touching valid cells the mean of its valid
    8-neighbours (repeated until no NaN is left); then Jacobi relaxation of the 4-neighbour Laplace
    equation over the filled cells (valid cells fixed) runs until the largest change is below
    ``tolerance_m`` or ``max_iterations`` passes. The result reproduces planes exactly (a plane is
    harmonic) and never over- or undershoots the range of the void's rim (maximum principle).

    Parameters
    ----------
    height : ndarray of float64, shape (ny, nx)
        Heights [m] with NaN voids; at least one finite value.

    Returns
    -------
    ndarray of float64
        A filled copy [m].
    """
    out = np.array(height, dtype=np.float64, copy=True)
    missing = ~np.isfinite(out)
    while missing.any():
        padded = np.pad(np.where(missing, 0.0, out), 1)
        weight = np.pad((~missing).astype(np.float64), 1)
        total = np.zeros_like(out)
        count = np.zeros_like(out)
        ny, nx = out.shape
        for di in (0, 1, 2):
            for dj in (0, 1, 2):
                if di == 1 and dj == 1:
                    continue
                total += padded[di : di + ny, dj : dj + nx]
                count += weight[di : di + ny, dj : dj + nx]
        fillable = missing & (count > 0)
        if not fillable.any():
            break
        out[fillable] = total[fillable] / count[fillable]
        missing &= ~fillable
    void = ~np.isfinite(np.asarray(height, dtype=np.float64))
    if not void.any() or void.all():
        return out
    rows = np.flatnonzero(void.any(axis=1))
    cols = np.flatnonzero(void.any(axis=0))
    r0, r1 = max(rows[0] - 1, 0), min(rows[-1] + 2, out.shape[0])
    c0, c1 = max(cols[0] - 1, 0), min(cols[-1] + 2, out.shape[1])
    box = out[r0:r1, c0:c1]  # view: updates land in ``out``
    mask = void[r0:r1, c0:c1]
    for _ in range(max_iterations):
        padded = np.pad(box, 1, mode="edge")
        mean4 = 0.25 * (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:])
        change = np.abs(mean4[mask] - box[mask]).max()
        box[mask] = mean4[mask]
        if change < tolerance_m:
            break
    return out
