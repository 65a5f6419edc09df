"""Synthetic terrain with known answers, on the lupex grid (heights relative to the lunar sphere).

All generators return a lupex DEM :class:`xarray.DataArray` of ``n`` x ``n`` cells of ``res_m`` centred at
``center_xy_m`` (default: 10 km from the pole along +y, away from the singular pole).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from pyproj import CRS

from lupex.constants import SOUTH_POLAR_STEREOGRAPHIC_PROJ
from lupex.errors import InputError

__all__ = ["bowl_crater", "cone", "cratered_field", "flat_plane", "grid_dem", "tilted_plane"]

_DEFAULT_CENTER = (0.0, 10_000.0)


def grid_dem(
    height_m: NDArray[np.float64],
    res_m: float,
    center_xy_m: tuple[float, float] = _DEFAULT_CENTER,
    name: str = "synthetic",
) -> xr.DataArray:
    """Wrap a height array [m] into a lupex DEM with square cells of ``res_m`` centred on ``center_xy_m``."""
    height = np.asarray(height_m, dtype=np.float64)
    if height.ndim != 2:
        raise InputError(f"height_m must be 2-D; got shape {height.shape}")
    if not res_m > 0:
        raise InputError(f"res_m {res_m!r} must be positive metres")
    ny, nx = height.shape
    cx, cy = center_xy_m
    x = cx + (np.arange(nx) - (nx - 1) / 2.0) * res_m
    y = cy - (np.arange(ny) - (ny - 1) / 2.0) * res_m
    return xr.DataArray(
        height,
        dims=("y", "x"),
        coords={"y": y, "x": x},
        name="height_m",
        attrs={
            "crs": CRS.from_proj4(SOUTH_POLAR_STEREOGRAPHIC_PROJ).to_wkt(),
            "crs_name": "lunar south polar stereographic",
            "units": "m",
            "res_m": float(res_m),
            "void_count": 0,
            "voids_filled": False,
            "source": f"synthetic:{name}",
        },
    )


def _offsets(n: int, res_m: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if n < 2:
        raise InputError(f"n {n!r} must be at least 2 cells")
    c = (np.arange(n) - (n - 1) / 2.0) * res_m
    dx, dy = np.meshgrid(c, -c)
    return dx, dy


def flat_plane(
    n: int, res_m: float, height_m: float = 0.0, center_xy_m: tuple[float, float] = _DEFAULT_CENTER
) -> xr.DataArray:
    """A level surface on the sphere: constant height above the reference sphere [m]."""
    return grid_dem(np.full((n, n), float(height_m)), res_m, center_xy_m, "flat_plane")


def tilted_plane(
    n: int,
    res_m: float,
    slope_deg: float,
    downhill_grid_azimuth_deg: float = 0.0,
    center_xy_m: tuple[float, float] = _DEFAULT_CENTER,
) -> xr.DataArray:
    """A plane of constant slope [deg] facing ``downhill_grid_azimuth_deg`` (clockwise from +y)."""
    dx, dy = _offsets(n, res_m)
    az = np.radians(downhill_grid_azimuth_deg)
    g = np.tan(np.radians(slope_deg))
    return grid_dem(-g * (dx * np.sin(az) + dy * np.cos(az)), res_m, center_xy_m, "tilted_plane")


def cone(
    n: int,
    res_m: float,
    slope_deg: float,
    apex_height_m: float = 0.0,
    center_xy_m: tuple[float, float] = _DEFAULT_CENTER,
) -> xr.DataArray:
    """A cone: height falls from the apex at the centre with constant slope [deg] (negative slope: a pit)."""
    dx, dy = _offsets(n, res_m)
    return grid_dem(apex_height_m - np.tan(np.radians(slope_deg)) * np.hypot(dx, dy), res_m, center_xy_m, "cone")


def bowl_profile(r_m: NDArray[np.float64], diameter_m: float, depth_ratio: float) -> NDArray[np.float64]:
    """Height [m] of a spherical-cap bowl crater (Ingersoll et al. 1992) at radial distance ``r_m``.

    The rim (r = D/2) is at 0, the floor centre at -d with d = depth_ratio * D; the cap belongs to a sphere
    of radius (r_c^2 + d^2) / (2 d).
    """
    if not (diameter_m > 0 and 0 < depth_ratio <= 0.5):
        raise InputError(f"need diameter_m > 0 and 0 < depth_ratio <= 0.5; got {diameter_m!r}, {depth_ratio!r}")
    rc = diameter_m / 2.0
    d = depth_ratio * diameter_m
    rs = (rc**2 + d**2) / (2.0 * d)
    inside = r_m <= rc
    z = np.zeros_like(r_m, dtype=np.float64)
    z[inside] = -d + (rs - np.sqrt(rs**2 - r_m[inside] ** 2))
    return z


def bowl_crater(
    n: int,
    res_m: float,
    diameter_m: float,
    depth_ratio: float = 0.2,
    center_xy_m: tuple[float, float] = _DEFAULT_CENTER,
) -> xr.DataArray:
    """A spherical bowl crater of diameter ``diameter_m`` and depth/diameter ``depth_ratio`` in a level plain."""
    dx, dy = _offsets(n, res_m)
    return grid_dem(bowl_profile(np.hypot(dx, dy), diameter_m, depth_ratio), res_m, center_xy_m, "bowl_crater")


def cratered_field(
    n: int,
    res_m: float,
    n_craters: int = 60,
    seed: int = 0,
    min_diameter_m: float | None = None,
    max_diameter_m: float | None = None,
    center_xy_m: tuple[float, float] = _DEFAULT_CENTER,
) -> xr.DataArray:
    """Random overlapping bowl craters with a power-law size distribution and realistic depths.

    Diameters follow a cumulative power law N(>D) ~ D^-2 between ``min_diameter_m`` (default 4 cells) and
    ``max_diameter_m`` (default a third of the grid); depth/diameter follows Pike (1977) for fresh simple
    lunar craters, d = 0.196 D^1.01 (D, d in km), i.e. about 0.2 and slowly growing, so the field is made
    of realistic bowls. Craters are summed (later craters cut into earlier ones).
    """
    rng = np.random.default_rng(seed)
    size = n * res_m
    dmin = 4 * res_m if min_diameter_m is None else float(min_diameter_m)
    dmax = size / 3 if max_diameter_m is None else float(max_diameter_m)
    u = rng.random(n_craters)
    diameters = (dmin**-2 - u * (dmin**-2 - dmax**-2)) ** -0.5
    dx, dy = _offsets(n, res_m)
    z = np.zeros((n, n))
    for diameter in diameters:
        cx, cy = rng.uniform(-size / 2, size / 2, 2)
        depth_km = 0.196 * (diameter / 1000.0) ** 1.01
        ratio = min(0.25, depth_km * 1000.0 / diameter)
        r = np.hypot(dx - cx, dy - cy)
        z += bowl_profile(r, diameter, ratio)
    return grid_dem(z, res_m, center_xy_m, f"cratered_field(seed={seed})")
