"""Rover neutron spectrometer: epithermal counts over a layered subsurface and their uniform-layer WEH inversion.

Forward model (estimate): the Lunar Prospector relation between the epithermal count rate C and a uniform WEH
(Feldman et al. 2001, JGR 106, 23231; Lawrence et al. 2006, JGR 111, E08001; constants of issue #14 and of
NASA vipersci ``nss.uniform_weh``), w = (a (c0/C - 1))^b with w the WEH mass fraction (0.01 = 1 wt%), i.e.
C/c0 = 1 / (1 + w^(1/b) / a), applied depth-weighted: each depth slice
contributes with weight exp(-z/L) dz / L, L the epithermal leakage e-folding depth (~20 cm, Teodoro et al. 2015,
arXiv:1501.05712; Lawrence et al. 2011, JGR 116, E01002 for burial). For a dry layer of thickness d over a
uniform wet layer this is C/c0 = 1 - (1 - f(WEH)) exp(-d/L). Counts are Poisson over each integration.
See ``docs/models/science_instruments.md``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.defaults import default
from lupex.errors import InputError
from lupex.science.observations import NeutronTrack
from lupex.science.subsurface import Subsurface

__all__ = [
    "column_epithermal_ratio",
    "epithermal_ratio",
    "neutron_track",
    "two_layer_epithermal_ratio",
    "weh_from_counts_wt_pct",
    "weh_sd_from_counts_wt_pct",
]


def _ab(a: float | None, b: float | None) -> tuple[float, float]:
    return (default("science_ns_a") if a is None else a, default("science_ns_b") if b is None else b)


def epithermal_ratio(weh_wt_pct: ArrayLike, *, a: float | None = None, b: float | None = None) -> NDArray[np.float64]:
    """Epithermal count ratio C/c0 over a uniform layer, the Lunar Prospector relation solved for C.

    Parameters
    ----------
    weh_wt_pct : array_like
        Uniform water-equivalent hydrogen [wt%], >= 0.
    a, b : float, optional
        Relation constants [1] (defaults ``science_ns_a``, ``science_ns_b``).

    Returns
    -------
    ndarray
        C/c0 [1], 1 for dry regolith.
    """
    a_, b_ = _ab(a, b)
    w = np.asarray(weh_wt_pct, dtype=float)
    if np.any(w < 0):
        raise InputError("weh_wt_pct must be >= 0 wt%; clip negative values before calling")
    return np.asarray(1.0 / (1.0 + (w / 100.0) ** (1.0 / b_) / a_), dtype=np.float64)


def two_layer_epithermal_ratio(
    weh_wt_pct: ArrayLike, burial_depth_m: ArrayLike, *, leakage_depth_m: float | None = None
) -> NDArray[np.float64]:
    """C/c0 for a dry layer of thickness ``burial_depth_m`` over a uniform wet layer (estimate).

    Parameters
    ----------
    weh_wt_pct : array_like
        WEH of the wet layer [wt%].
    burial_depth_m : array_like
        Dry-layer thickness [m] (NaN or inf: no wet layer).
    leakage_depth_m : float, optional
        Epithermal leakage e-folding depth L [m] (default ``science_ns_leakage_depth_m``).

    Returns
    -------
    ndarray
        C/c0 = 1 - (1 - f(WEH)) exp(-d/L) [1].
    """
    lk = default("science_ns_leakage_depth_m") if leakage_depth_m is None else leakage_depth_m
    d = np.asarray(burial_depth_m, dtype=float)
    reach = np.where(np.isfinite(d), np.exp(-np.where(np.isfinite(d), d, 0.0) / lk), 0.0)
    return np.asarray(1.0 - (1.0 - epithermal_ratio(weh_wt_pct)) * reach, dtype=np.float64)


def column_epithermal_ratio(
    weh_wt_pct: ArrayLike, depth_step_m: float, *, leakage_depth_m: float | None = None
) -> NDArray[np.float64]:
    """C/c0 over layered columns: slices weighted by exp(-z/L) dz/L, the last bin extended to infinite depth.

    Parameters
    ----------
    weh_wt_pct : array_like (..., nz)
        WEH per depth bin starting at the surface [wt%].
    depth_step_m : float
        Bin thickness [m].
    leakage_depth_m : float, optional
        Leakage e-folding depth L [m] (default ``science_ns_leakage_depth_m``).

    Returns
    -------
    ndarray (...)
        C/c0 [1].
    """
    lk = default("science_ns_leakage_depth_m") if leakage_depth_m is None else leakage_depth_m
    if lk <= 0 or depth_step_m <= 0:
        raise InputError(f"leakage_depth_m and depth_step_m must be > 0 m, got {lk}, {depth_step_m}; pass e.g. 0.2")
    w = np.asarray(weh_wt_pct, dtype=float)
    edges = np.arange(w.shape[-1] + 1) * depth_step_m
    weights = np.exp(-edges[:-1] / lk) - np.exp(-edges[1:] / lk)
    weights[-1] = np.exp(-edges[-2] / lk)
    return np.asarray(1.0 - (1.0 - epithermal_ratio(w)) @ weights, dtype=np.float64)


def weh_from_counts_wt_pct(
    counts: ArrayLike, dry_counts: ArrayLike, *, a: float | None = None, b: float | None = None
) -> NDArray[np.float64]:
    """Uniform-layer WEH of the Lunar Prospector inversion, WEH = 100 (a (c0/C - 1))^b wt% (0 where C >= c0).

    The relation gives the WEH mass fraction (1 = pure ice), as in NASA vipersci's ``uniform_weh``; it is returned
    here in wt%. 30.75 counts/s over dry ground and 15.4 counts/s (half) give 100 * 0.0256^1.099 = 1.78 wt%.

    Parameters
    ----------
    counts : array_like
        Epithermal counts C in an integration (> 0).
    dry_counts : array_like
        Expected counts c0 over dry regolith in the same integration.
    a, b : float, optional
        Relation constants [1].

    Returns
    -------
    ndarray
        WEH [wt%].
    """
    a_, b_ = _ab(a, b)
    c = np.asarray(counts, dtype=float)
    if np.any(c <= 0):
        raise InputError("counts must be > 0; lengthen the integration so that every sample has counts")
    x = np.clip(a_ * (np.asarray(dry_counts, dtype=float) / c - 1.0), 0.0, None)
    return np.asarray(100.0 * x**b_, dtype=np.float64)


def weh_sd_from_counts_wt_pct(
    counts: ArrayLike, dry_counts: ArrayLike, *, a: float | None = None, b: float | None = None
) -> NDArray[np.float64]:
    """One-sigma WEH uncertainty from Poisson counts: half the WEH spread between C - sqrt(C) and C + sqrt(C).

    Parameters
    ----------
    counts, dry_counts : array_like
        Measured and expected dry counts.
    a, b : float, optional
        Relation constants [1].

    Returns
    -------
    ndarray
        WEH uncertainty [wt%] (finite also at WEH = 0, unlike the linearised propagation).
    """
    c = np.asarray(counts, dtype=float)
    lo = np.maximum(c - np.sqrt(c), 0.5)
    return (
        weh_from_counts_wt_pct(lo, dry_counts, a=a, b=b) - weh_from_counts_wt_pct(c + np.sqrt(c), dry_counts, a=a, b=b)
    ) / 2


def _footprint_mean(
    sub: Subsurface, field: NDArray[np.float64], x: NDArray[np.float64], y: NDArray[np.float64], radius_m: float
) -> NDArray[np.float64]:
    """Mean of a (ny, nx) field over the cells within ``radius_m`` of each point (at least the nearest cell)."""
    dx, dy = abs(sub.x_m[1] - sub.x_m[0]), abs(sub.y_m[1] - sub.y_m[0])
    kx, ky = int(np.ceil(radius_m / dx)), int(np.ceil(radius_m / dy))
    ox, oy = np.meshgrid(np.arange(-kx, kx + 1), np.arange(-ky, ky + 1))
    iy0, ix0 = sub.nearest_index(x, y)
    ix = np.clip(ix0[:, None] + ox.ravel(), 0, sub.x_m.size - 1)
    iy = np.clip(iy0[:, None] + oy.ravel(), 0, sub.y_m.size - 1)
    dist = np.hypot(sub.x_m[ix] - x[:, None], sub.y_m[iy] - y[:, None])
    inside = (dist <= radius_m) | (dist <= dist.min(axis=1, keepdims=True))
    return np.asarray(np.sum(field[iy, ix] * inside, axis=1) / np.sum(inside, axis=1), dtype=np.float64)


def neutron_track(
    sub: Subsurface,
    x_m: ArrayLike,
    y_m: ArrayLike,
    *,
    seed: int,
    integration_s: float | None = None,
    dry_rate_counts_s: float | None = None,
    footprint_radius_m: float | None = None,
    leakage_depth_m: float | None = None,
) -> NeutronTrack:
    """Neutron-spectrometer integrations at points: footprint-averaged truth, Poisson counts, LP inversion.

    Parameters
    ----------
    sub : Subsurface
        The truth.
    x_m, y_m : array_like (n,)
        Footprint centres [m].
    seed : int
        Seed of the counting noise.
    integration_s : float, optional
        Integration time [s] (default ``science_ns_integration_s``).
    dry_rate_counts_s : float, optional
        Epithermal count rate over dry regolith c0 [counts/s] (default ``science_ns_c0_counts_s``).
    footprint_radius_m : float, optional
        Radius of the footprint average [m] (default ``science_ns_footprint_radius_m``).
    leakage_depth_m : float, optional
        Leakage e-folding depth [m].

    Returns
    -------
    NeutronTrack
    """
    t_s = default("science_ns_integration_s") if integration_s is None else float(integration_s)
    c0 = default("science_ns_c0_counts_s") if dry_rate_counts_s is None else float(dry_rate_counts_s)
    r_m = default("science_ns_footprint_radius_m") if footprint_radius_m is None else float(footprint_radius_m)
    if not (t_s > 0 and c0 > 0 and r_m >= 0):
        raise InputError(
            f"need integration_s > 0, dry_rate_counts_s > 0, footprint_radius_m >= 0; got {t_s}, {c0}, {r_m}"
        )
    x, y = np.atleast_1d(np.asarray(x_m, dtype=float)), np.atleast_1d(np.asarray(y_m, dtype=float))
    ratio_map = column_epithermal_ratio(sub.weh_wt_pct, sub.depth_step_m, leakage_depth_m=leakage_depth_m)
    expected = c0 * t_s * _footprint_mean(sub, ratio_map, x, y, r_m)
    counts = np.maximum(np.random.default_rng(seed).poisson(expected), 1).astype(float)
    dry = np.full_like(counts, c0 * t_s)
    return NeutronTrack(
        x_m=x,
        y_m=y,
        weh_wt_pct=weh_from_counts_wt_pct(counts, dry),
        weh_sd_wt_pct=weh_sd_from_counts_wt_pct(counts, dry),
        epithermal_counts=counts,
        integration_s=t_s,
    )
