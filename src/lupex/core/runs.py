"""Runs of True in boolean time series (longest darkness, longest outage)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["longest_true_run"]


def longest_true_run(mask: ArrayLike) -> NDArray[np.int64]:
    """Longest run of consecutive True along axis 0, for every other index [samples].

    Parameters
    ----------
    mask : array_like of bool, (n, ...)

    Returns
    -------
    ndarray of int64, shape ``mask.shape[1:]`` (a 0-d array for a 1-D mask)
    """
    m = np.asarray(mask, dtype=bool)
    best = np.zeros(m.shape[1:], dtype=np.int64)
    cur = np.zeros(m.shape[1:], dtype=np.int64)
    for row in m:
        cur = np.where(row, cur + 1, 0)
        np.maximum(best, cur, out=best)
    return best
