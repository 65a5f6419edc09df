"""Spherical-Moon geometry helpers (radians, unit vectors in the body-fixed frame)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def unit_vector_latlon(lat_rad: float, lon_rad: float) -> NDArray[np.float64]:
    """Body-fixed unit vector of planetocentric latitude/longitude [rad]."""
    return np.array(
        [np.cos(lat_rad) * np.cos(lon_rad), np.cos(lat_rad) * np.sin(lon_rad), np.sin(lat_rad)], dtype=np.float64
    )


def enu_basis(lat_rad: float, lon_rad: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Local East, North, Up unit vectors (body-fixed frame) at a point of a sphere.

    ``up`` is radial, ``east`` points along increasing longitude and ``north`` = up x east points
    toward increasing latitude. At the poles the limit along the meridian ``lon_rad`` is used.
    """
    up = unit_vector_latlon(lat_rad, lon_rad)
    east = np.array([-np.sin(lon_rad), np.cos(lon_rad), 0.0], dtype=np.float64)
    north = np.cross(up, east)
    return east, north, up
