"""Multi-criteria ranking of candidate sites: TOPSIS closeness and the Pareto front.

A decision matrix ``values`` holds one row per candidate and one column per criterion, each criterion in its
own unit; ``benefit[j]`` says whether larger is better for criterion ``j`` (mean illumination) or smaller
(slope, distance to the target).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.errors import InputError

__all__ = ["pareto_front", "topsis_closeness"]

#: Tolerance on the sum of the TOPSIS weights.
WEIGHT_SUM_TOL = 1e-6


def _decision_matrix(values: ArrayLike, benefit: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Checked ``values`` (float64, 2-D, finite) and ``benefit`` (bool, one per column)."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"values has {x.ndim} dimension(s); give a 2-D array (n_candidates, n_criteria)")
    b = np.asarray(benefit)
    if b.dtype != np.bool_ or b.shape != (x.shape[1],):
        raise InputError(
            f"benefit has dtype {b.dtype} and shape {b.shape}; give one bool per criterion, shape ({x.shape[1]},), "
            "True where larger is better"
        )
    bad_rows = int((~np.isfinite(x)).any(axis=1).sum())
    if bad_rows:
        raise InputError(
            f"values has {bad_rows} of {x.shape[0]} row(s) with NaN or infinite entries; "
            "drop or fill those candidates before ranking"
        )
    return x, b


def topsis_closeness(values: ArrayLike, weights: ArrayLike, benefit: ArrayLike) -> NDArray[np.float64]:
    """TOPSIS relative closeness of every candidate to the ideal one [-] (Hwang & Yoon 1981).

    Steps: (1) vector normalisation of each column, ``r_ij = x_ij / sqrt(sum_i x_ij^2)``; (2) weighting,
    ``v_ij = w_j r_ij``; (3) ideal ``v+_j`` (best value of column j: max for benefit criteria, min otherwise) and
    anti-ideal ``v-_j`` (worst value); (4) Euclidean separations ``S+_i = |v_i - v+|``, ``S-_i = |v_i - v-|``;
    (5) closeness ``C_i = S-_i / (S+_i + S-_i)``.

    Parameters
    ----------
    values : float array (n_candidates, n_criteria)
        Decision matrix, each column in its criterion's unit; every entry finite.
    weights : float array (n_criteria,)
        Importance of each criterion [-]: finite, >= 0, summing to 1 within 1e-6 (not renormalised for you).
    benefit : bool array (n_criteria,)
        True where larger values are better, False where smaller values are better.

    Returns
    -------
    float64 array (n_candidates,)
        Closeness ``C`` in [0, 1]: 1 for a candidate that is best on every criterion, 0 for one that is worst on
        every criterion; rank candidates by decreasing ``C``.

    Raises
    ------
    InputError
        Wrong shapes, non-finite values (the message counts the rows), weights that are negative, not finite or
        do not sum to 1.

    Notes
    -----
    * A constant column (all candidates equal, including all zero) has ideal = anti-ideal and adds nothing to
      either separation, whatever its weight. When every weighted column is constant, all candidates tie and
      get ``C = 0.5``.
    * Closeness is unchanged when a column is multiplied by a positive factor (unit changes), but not when a
      constant is added to it (vector normalisation); give criteria on a ratio scale (e.g. kelvin, not Celsius).
    """
    x, b = _decision_matrix(values, benefit)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (x.shape[1],):
        raise InputError(f"weights has shape {w.shape}; give one weight per criterion, shape ({x.shape[1]},)")
    if not (np.isfinite(w).all() and (w >= 0.0).all()):
        raise InputError(f"weights {w.tolist()} must all be finite and >= 0")
    total = float(w.sum())
    if abs(total - 1.0) > WEIGHT_SUM_TOL:
        raise InputError(
            f"weights sum to {total:.9g}, not 1 (tolerance {WEIGHT_SUM_TOL:g}); divide them by their sum first"
        )
    if x.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    norm = np.sqrt((x * x).sum(axis=0))
    r = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0.0)
    v = r * w
    ideal = np.where(b, v.max(axis=0), v.min(axis=0))
    anti = np.where(b, v.min(axis=0), v.max(axis=0))
    s_plus = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    s_minus = np.sqrt(((v - anti) ** 2).sum(axis=1))
    spread = s_plus + s_minus
    closeness = np.divide(s_minus, spread, out=np.full_like(spread, 0.5), where=spread > 0.0)
    return np.clip(closeness, 0.0, 1.0)


@numba.njit(cache=True, parallel=True)
def _non_dominated(gain: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rows of ``gain`` (larger is better in every column) that no other row dominates.

    Rows must come by decreasing row sum ``total``: a dominating row has a sum at least as large (floating-point
    addition is monotone), so each row is compared only with the rows before it and its ties.
    """
    n, m = gain.shape
    keep = np.ones(n, dtype=np.bool_)
    for p in numba.prange(n):
        for q in range(n):
            if total[q] < total[p]:
                break
            if q == p:
                continue
            at_least = True
            better = False
            for j in range(m):
                a = gain[q, j]
                c = gain[p, j]
                if a < c:
                    at_least = False
                    break
                if a > c:
                    better = True
            if at_least and better:
                keep[p] = False
                break
    return keep


def pareto_front(values: ArrayLike, benefit: ArrayLike) -> NDArray[np.bool_]:
    """Candidates that no other candidate dominates (the Pareto front).

    Candidate ``a`` dominates ``b`` when ``a`` is at least as good as ``b`` on every criterion and strictly
    better on one (better = larger where ``benefit`` is True, smaller where it is False).

    Parameters
    ----------
    values : float array (n_candidates, n_criteria)
        Decision matrix, every entry finite.
    benefit : bool array (n_criteria,)
        True where larger values are better.

    Returns
    -------
    bool array (n_candidates,)
        True for non-dominated candidates. Identical candidates do not dominate each other: both stay.

    Notes
    -----
    Pairwise comparison (O(n^2 m), numba, parallel over candidates), each candidate only against those with
    a criterion sum that is not smaller, stopping at the first that dominates it. Meant for n up to about
    20 000; measured on 2 cores for n = 20 000: 0.02 s for random data (4 criteria), 0.4 s with all candidates
    on a convex front, about 2 s in the worst case (all on the front with equal sums). Prefilter larger sets.
    """
    x, b = _decision_matrix(values, benefit)
    gain = np.where(b, x, -x)
    total = gain.sum(axis=1)
    order = np.argsort(-total, kind="stable")
    keep = np.empty(x.shape[0], dtype=np.bool_)
    keep[order] = _non_dominated(np.ascontiguousarray(gain[order]), total[order])
    return keep
