"""Lunar south polar stereographic grid (IAU_2015:30135): lat/lon <-> x/y and azimuth conversions.

The grid is the PROJ ``+proj=stere +lat_0=-90 +lon_0=0 +k=1 +R=1737400``: ``x = 2R tan((90+lat)/2) sin(lon)``,
``y = 2R tan((90+lat)/2) cos(lon)``; +y points toward longitude 0, +x toward 90 E. The conversions use these
closed forms directly (exact to float64 everywhere, including within centimetres of the pole, where PROJ's inverse
loses millimetres); the tests check them against pyproj.

Azimuths: a *grid azimuth* is measured clockwise from grid north (+y); a *local azimuth* clockwise from
local (geographic) north. At a point of longitude ``lon``, local north (away from the south pole) has grid
azimuth ``lon``, so ``grid_az = local_az + lon`` and ``local_az = grid_az - lon`` (mod 360). Forgetting this
term rotates every horizon by the longitude.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.constants import MOON_RADIUS_M
from lupex.errors import InputError

__all__ = [
    "grid_to_local_azimuth_deg",
    "latlon_to_xy",
    "local_to_grid_azimuth_deg",
    "scale_factor",
    "xy_to_latlon",
]


def latlon_to_xy(lat_deg: ArrayLike, lon_deg: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Planetocentric latitude/east longitude [deg] -> polar stereographic x, y [m].

    Raises
    ------
    InputError
        If a latitude is outside [-90, 0) (the grid covers the southern hemisphere).
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    if np.any(~np.isfinite(lat)) or np.any((lat < -90.0) | (lat >= 0.0)):
        raise InputError(f"lat_deg must lie in [-90, 0) for the south polar grid; got {lat_deg!r}")
    rho = 2.0 * MOON_RADIUS_M * np.tan(np.radians(90.0 + lat) / 2.0)
    lon_rad = np.radians(lon)
    return rho * np.sin(lon_rad), rho * np.cos(lon_rad)


def xy_to_latlon(x_m: ArrayLike, y_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Polar stereographic x, y [m] -> planetocentric latitude, east longitude in [0, 360) [deg]."""
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    lat = -90.0 + np.degrees(2.0 * np.arctan(np.hypot(x, y) / (2.0 * MOON_RADIUS_M)))
    return lat, np.mod(np.degrees(np.arctan2(x, y)), 360.0)


def scale_factor(x_m: ArrayLike, y_m: ArrayLike) -> NDArray[np.float64]:
    """Point scale factor of the grid, k = 1 + rho^2 / (4 R^2) [-] (grid distance = k * ground distance)."""
    rho2 = np.asarray(x_m, dtype=np.float64) ** 2 + np.asarray(y_m, dtype=np.float64) ** 2
    return 1.0 + rho2 / (4.0 * MOON_RADIUS_M**2)


def _longitude_deg(x_m: ArrayLike, y_m: ArrayLike) -> NDArray[np.float64]:
    return np.degrees(np.arctan2(np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)))


def grid_to_local_azimuth_deg(grid_azimuth_deg: ArrayLike, x_m: ArrayLike, y_m: ArrayLike) -> NDArray[np.float64]:
    """Grid azimuth (clockwise from +y) -> local azimuth (clockwise from local north) at x, y [deg].

    ``local = grid - lon(x, y)``, in [0, 360). At the pole itself (x = y = 0) longitude 0 is used.
    """
    return np.mod(np.asarray(grid_azimuth_deg, dtype=np.float64) - _longitude_deg(x_m, y_m), 360.0)


def local_to_grid_azimuth_deg(local_azimuth_deg: ArrayLike, x_m: ArrayLike, y_m: ArrayLike) -> NDArray[np.float64]:
    """Local azimuth (clockwise from local north) -> grid azimuth (clockwise from +y) at x, y [deg]."""
    return np.mod(np.asarray(local_azimuth_deg, dtype=np.float64) + _longitude_deg(x_m, y_m), 360.0)
