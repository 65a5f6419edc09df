"""Drill and water analyser: bites to ~1.5 m, sublimation loss in handling, analyser noise and detection limit.

The loss fraction is a labelled estimate: first-order sublimation whose rate follows the Clausius-Clapeyron
vapour-pressure ratio of ice (sublimation enthalpy ~51 kJ/mol), scaled so that half the ice is lost at the
``science_drill_half_loss_temperature_K``: loss = 1 - 2^(-p(T)/p(T_half)). See ``docs/models/science_instruments.md``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.defaults import default
from lupex.errors import InputError
from lupex.science.observations import DrillProfile
from lupex.science.subsurface import Subsurface

__all__ = ["analyser_sd_wt_pct", "drill_profile", "sublimation_loss_fraction"]

_GAS_CONSTANT_J_MOL_K = 8.314462618


def sublimation_loss_fraction(
    sample_temperature_K: ArrayLike, *, half_loss_temperature_K: float | None = None
) -> NDArray[np.float64]:
    """Fraction of the ice lost between drilling and analysis [1] (estimate, rises steeply with temperature).

    Parameters
    ----------
    sample_temperature_K : array_like
        Sample temperature during handling [K], > 0.
    half_loss_temperature_K : float, optional
        Temperature at which half the ice is lost [K] (default ``science_drill_half_loss_temperature_K``).

    Returns
    -------
    ndarray
        Loss fraction in [0, 1).
    """
    t_half = (
        default("science_drill_half_loss_temperature_K") if half_loss_temperature_K is None else half_loss_temperature_K
    )
    t = np.asarray(sample_temperature_K, dtype=float)
    if np.any(~np.isfinite(t) | (t <= 0)) or t_half <= 0:
        raise InputError("sample_temperature_K and half_loss_temperature_K must be > 0 K; pass e.g. 120.0")
    ratio = np.exp(-default("science_ice_sublimation_enthalpy_J_mol") / _GAS_CONSTANT_J_MOL_K * (1 / t - 1 / t_half))
    return np.asarray(1.0 - np.exp2(-ratio), dtype=np.float64)


def analyser_sd_wt_pct(weh_wt_pct: ArrayLike) -> NDArray[np.float64]:
    """Analyser one-sigma uncertainty, relative + absolute (defaults 10 % + 0.05 wt%) [wt%]."""
    w = np.abs(np.asarray(weh_wt_pct, dtype=float))
    return np.asarray(default("science_analyser_rel_sd") * w + default("science_analyser_abs_sd_wt_pct"))


def _bite_truth_wt_pct(sub: Subsurface, x_m: float, y_m: float, edges_m: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mass-weighted mean truth WEH of each bite [wt%] (bins weighted by overlap and density)."""
    iy, ix = sub.nearest_index(x_m, y_m)
    top = sub.depth_m - sub.depth_step_m / 2
    overlap = np.clip(
        np.minimum(edges_m[1:, None], top + sub.depth_step_m) - np.maximum(edges_m[:-1, None], top), 0.0, None
    )
    mass = overlap * sub.density_kg_m3
    return np.asarray(mass @ sub.weh_wt_pct[iy, ix] / np.maximum(mass.sum(axis=1), 1e-30), dtype=np.float64)


def drill_profile(
    sub: Subsurface,
    x_m: float,
    y_m: float,
    *,
    seed: int,
    sample_temperature_K: float | None = None,
    depth_m: float | None = None,
    bite_m: float | None = None,
) -> DrillProfile:
    """One drill hole: bites of the truth, sublimation loss, analyser noise and the detection limit.

    Parameters
    ----------
    sub : Subsurface
        The truth (bites below its depth see no material and are reported below detection).
    x_m, y_m : float
        Hole position [m].
    seed : int
        Seed of the analyser noise.
    sample_temperature_K : float, optional
        Sample temperature in handling [K] (default ``science_drill_sample_temperature_K``).
    depth_m, bite_m : float, optional
        Hole depth and bite length [m] (defaults 1.5 and 0.1).

    Returns
    -------
    DrillProfile
        Values below the detection limit are reported as the limit, flagged, with the analyser sd at the limit.
    """
    temp = default("science_drill_sample_temperature_K") if sample_temperature_K is None else sample_temperature_K
    hole = default("science_drill_depth_m") if depth_m is None else float(depth_m)
    bite = default("science_drill_bite_m") if bite_m is None else float(bite_m)
    if not (np.isfinite(hole) and np.isfinite(bite) and 0 < bite <= hole):
        raise InputError(f"need 0 < bite_m <= depth_m, got {bite} and {hole}; pass e.g. bite_m=0.1, depth_m=1.5")
    edges = np.arange(int(round(hole / bite)) + 1, dtype=np.float64) * bite
    kept = _bite_truth_wt_pct(sub, x_m, y_m, edges) * (1.0 - sublimation_loss_fraction(temp))
    measured = kept + analyser_sd_wt_pct(kept) * np.random.default_rng(seed).standard_normal(kept.size)
    limit = default("science_analyser_detection_limit_wt_pct")
    below = measured < limit
    return DrillProfile(
        x_m=float(x_m),
        y_m=float(y_m),
        depth_top_m=edges[:-1],
        depth_bottom_m=edges[1:],
        weh_wt_pct=np.where(below, limit, measured),
        weh_sd_wt_pct=analyser_sd_wt_pct(np.where(below, limit, measured)),
        below_detection=below,
    )
