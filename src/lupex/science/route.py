"""Observations along a rover route: neutron integrations, radar traces and drill holes over the truth model."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.defaults import default
from lupex.errors import InputError
from lupex.science.drill import drill_profile
from lupex.science.neutron import neutron_track
from lupex.science.observations import Observations
from lupex.science.radar import radar_picks
from lupex.science.subsurface import Subsurface

__all__ = ["observe_route", "points_along_route_m"]


def points_along_route_m(
    route_x_m: ArrayLike, route_y_m: ArrayLike, spacing_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points every ``spacing_m`` of track along a polyline, starting at its first vertex [m].

    Parameters
    ----------
    route_x_m, route_y_m : array_like (k,)
        Polyline vertices [m], k >= 2.
    spacing_m : float
        Track distance between points [m], > 0.

    Returns
    -------
    tuple of ndarray
        x and y of the points [m].
    """
    x, y = np.asarray(route_x_m, dtype=float), np.asarray(route_y_m, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2 or not np.all(np.isfinite(x) & np.isfinite(y)):
        raise InputError("route_x_m and route_y_m must be equal-length 1-D finite vertex arrays with >= 2 points")
    if not (np.isfinite(spacing_m) and spacing_m > 0):
        raise InputError(f"spacing_m must be > 0 m, got {spacing_m}; pass e.g. 10.0")
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    at = np.arange(0.0, s[-1] + 1e-9, spacing_m)
    return np.interp(at, s, x), np.interp(at, s, y)


def observe_route(
    sub: Subsurface,
    route_x_m: ArrayLike,
    route_y_m: ArrayLike,
    drill_xy_m: ArrayLike,
    *,
    seed: int,
    ns_spacing_m: float | None = None,
    radar_spacing_m: float | None = None,
    sample_temperature_K: float | None = None,
    radar_frequency_Hz: float | None = None,
    radar_bandwidth_Hz: float | None = None,
) -> Observations:
    """Neutron integrations and radar traces along the route polyline, and drill holes at the stations.

    Parameters
    ----------
    sub : Subsurface
        The truth.
    route_x_m, route_y_m : array_like (k,)
        Route vertices [m].
    drill_xy_m : array_like (m, 2)
        Drill stations [m] (may be empty).
    seed : int
        Seed of all measurement noise (independent streams per instrument and hole).
    ns_spacing_m, radar_spacing_m : float, optional
        Track distance between NS integrations and radar traces [m] (defaults 10 and 0.5).
    sample_temperature_K : float, optional
        Drill sample temperature in handling [K].
    radar_frequency_Hz, radar_bandwidth_Hz : float, optional
        GPR centre frequency and bandwidth [Hz] (defaults ``science_radar_frequency_Hz``, bandwidth = centre).

    Returns
    -------
    Observations
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InputError(f"seed must be an integer, got {seed!r}; pass e.g. seed=1")
    ns_ds = default("science_ns_spacing_m") if ns_spacing_m is None else float(ns_spacing_m)
    gpr_ds = default("science_radar_spacing_m") if radar_spacing_m is None else float(radar_spacing_m)
    stations = np.asarray(drill_xy_m, dtype=float).reshape(-1, 2)
    seeds = [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(2 + len(stations))]
    nx, ny = points_along_route_m(route_x_m, route_y_m, ns_ds)
    rx, ry = points_along_route_m(route_x_m, route_y_m, gpr_ds)
    return Observations(
        neutron=neutron_track(sub, nx, ny, seed=seeds[0]),
        radar=radar_picks(sub, rx, ry, seed=seeds[1], frequency_Hz=radar_frequency_Hz, bandwidth_Hz=radar_bandwidth_Hz),
        drills=[
            drill_profile(sub, float(px), float(py), seed=s, sample_temperature_K=sample_temperature_K)
            for (px, py), s in zip(stations, seeds[2:], strict=True)
        ],
    )
