"""Visible fraction of the Sun's and Earth's disks, and illumination time series at one site."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from lupex.core.runs import longest_true_run
from lupex.core.visibility import disk_fraction_array
from lupex.ephemeris import Site, format_utc, sky_positions, time_range
from lupex.errors import InputError
from lupex.illumination.horizon import horizon_profile_at
from lupex.terrain.dem import builtin_dem
from lupex.terrain.projection import latlon_to_xy

__all__ = ["SiteIllumination", "site_illumination", "visible_fraction"]


def visible_fraction(
    elevation_deg: ArrayLike, horizon_elevation_deg: ArrayLike, angular_radius_deg: ArrayLike = 0.2665
) -> NDArray[np.float64]:
    """Fraction of a uniform disk above a straight local horizon.

    Parameters
    ----------
    elevation_deg : array_like
        Elevation of the disk's centre above the local horizontal. [deg]
    horizon_elevation_deg : array_like
        Terrain horizon elevation in the disk's azimuth. [deg]
    angular_radius_deg : array_like, default 0.2665
        Apparent angular radius of the disk (Sun at 1 AU 0.2665, Earth ~0.95). [deg]

    Returns
    -------
    ndarray
        Visible fraction, 0 to 1 [-]: ``1 - (acos x - x sqrt(1 - x^2)) / pi`` with
        ``x = (elevation - horizon) / radius`` clipped to [-1, 1] (area of a circular segment; the horizon
        is taken as straight across the disk, and the disk as uniformly bright).
    """
    e = np.asarray(elevation_deg, dtype=np.float64)
    h = np.asarray(horizon_elevation_deg, dtype=np.float64)
    a = np.asarray(angular_radius_deg, dtype=np.float64)
    if np.any(~(a > 0)):
        raise InputError(f"angular_radius_deg must be positive degrees; got {angular_radius_deg!r}")
    x = np.asarray((e - h) / a, dtype=np.float64)
    return disk_fraction_array(np.ascontiguousarray(x.reshape(-1))).reshape(x.shape)


@dataclass(frozen=True)
class SiteIllumination:
    """Sun and Earth visibility over time at one site (result of :func:`site_illumination`).

    Angles in degrees; azimuths are local (clockwise from local north). ``horizon`` is the site's horizon
    profile in *local* azimuth.
    """

    site: Site
    observer_height_m: float
    terrain_height_m: float
    dem_source: str
    time_utc: NDArray[np.datetime64]
    sun_elevation_deg: NDArray[np.float64]
    sun_azimuth_deg: NDArray[np.float64]
    sun_horizon_deg: NDArray[np.float64]
    sun_visible_fraction: NDArray[np.float64]
    earth_elevation_deg: NDArray[np.float64]
    earth_azimuth_deg: NDArray[np.float64]
    earth_horizon_deg: NDArray[np.float64]
    earth_visible: NDArray[np.bool_]
    earth_visible_fraction: NDArray[np.float64]
    horizon: xr.DataArray

    def records(self) -> list[dict[str, Any]]:
        """One JSON/CSV-ready dict per time."""
        return [
            {
                "time_utc": format_utc(self.time_utc[i]),
                "sun_elevation_deg": round(float(self.sun_elevation_deg[i]), 6),
                "sun_azimuth_deg": round(float(self.sun_azimuth_deg[i]), 6),
                "sun_horizon_deg": round(float(self.sun_horizon_deg[i]), 6),
                "sun_visible_fraction": round(float(self.sun_visible_fraction[i]), 6),
                "earth_elevation_deg": round(float(self.earth_elevation_deg[i]), 6),
                "earth_azimuth_deg": round(float(self.earth_azimuth_deg[i]), 6),
                "earth_horizon_deg": round(float(self.earth_horizon_deg[i]), 6),
                "earth_visible": bool(self.earth_visible[i]),
                "earth_visible_fraction": round(float(self.earth_visible_fraction[i]), 6),
            }
            for i in range(self.time_utc.size)
        ]

    def summary(self) -> dict[str, Any]:
        """Period averages: mean sunlit fraction, Earth visibility, longest dark and outage spans."""
        step_h = (
            float((self.time_utc[1] - self.time_utc[0]) / np.timedelta64(1, "s")) / 3600.0
            if self.time_utc.size > 1
            else 0.0
        )
        return {
            "site": self.site.as_dict(),
            "observer_height_m": self.observer_height_m,
            "terrain_height_m": self.terrain_height_m,
            "dem": self.dem_source,
            "start_utc": format_utc(self.time_utc[0]),
            "end_utc": format_utc(self.time_utc[-1]),
            "n_times": int(self.time_utc.size),
            "mean_sun_visible_fraction": float(self.sun_visible_fraction.mean()),
            "longest_darkness_h": _longest_run(self.sun_visible_fraction <= 0.0) * step_h,
            "earth_visibility": float(self.earth_visible.mean()),
            "longest_earth_outage_h": _longest_run(~self.earth_visible) * step_h,
        }


def _longest_run(mask: NDArray[np.bool_]) -> int:
    return int(longest_true_run(mask))


def _default_dem(x: float, y: float) -> xr.DataArray:
    for name in ("connecting_ridge_10m", "south_pole_240m"):
        dem = builtin_dem(name)
        res = float(dem.attrs["res_m"])
        xs, ys = dem["x"].values, dem["y"].values
        margin = 5 * res  # keep the site off the very edge, where the near-field horizon would be cut
        if xs[0] + margin <= x <= xs[-1] - margin and ys[-1] + margin <= y <= ys[0] - margin:
            return dem
    raise InputError(
        "the site lies outside the bundled DEMs (within about 184 km of the pole); pass dem= with a DEM that covers it"
    )


def _site_and_times(
    lat_deg: float, lon_deg: float, observer_height_m: float, start: Any, end: Any, step: Any
) -> tuple[Site, NDArray[np.datetime64]]:
    """The checked site (south of 60 S, observer 0-10 km) and its time grid (at most 1,000,000 steps)."""
    site = Site(lat_deg, lon_deg, 0.0)
    if site.lat_deg >= -60.0:
        raise InputError(f"lat_deg {lat_deg!r} is not in the south polar region lupex maps (south of 60 S)")
    if not (math.isfinite(observer_height_m) and 0.0 <= observer_height_m <= 10_000.0):
        raise InputError(f"observer_height_m {observer_height_m!r} must be in [0, 10000] metres above the terrain")
    times = time_range(start, end, step)
    if times.size > 1_000_000:
        raise InputError(f"the period has {times.size} steps; use a larger step (at most 1,000,000)")
    return site, times


def site_illumination(
    lat_deg: float,
    lon_deg: float,
    start: Any,
    end: Any,
    step: Any = "1h",
    *,
    observer_height_m: float = 0.0,
    dem: xr.DataArray | None = None,
    far_field: Sequence[xr.DataArray] | Literal["auto"] | None = "auto",
    n_azimuth: int = 720,
) -> SiteIllumination:
    """Sun and Earth elevation, horizon in their azimuths and visible fractions at one site over time.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Site latitude / east longitude (south polar region). [deg]
    start, end, step :
        UTC period and step (``2h``...).
    observer_height_m : float, default 0
        Eye height above the terrain. [m]
    dem : xarray.DataArray, optional
        Terrain; default the finest bundled DEM covering the site (10 m ridge, else 240 m), with far field.
    far_field : sequence, "auto" or None
        See :func:`lupex.illumination.horizon_map`.
    n_azimuth : int, default 720
        Horizon profile resolution (0.5 deg).

    Notes
    -----
    The horizon profile is computed at the DEM cell nearest to the site (within half a cell); the Sun and
    Earth positions are topocentric at the site's terrain height plus ``observer_height_m``.
    """
    site, times = _site_and_times(lat_deg, lon_deg, observer_height_m, start, end, step)
    x, y = (float(v) for v in latlon_to_xy(site.lat_deg, site.lon_deg))
    terrain = dem if dem is not None else _default_dem(x, y)
    profile = horizon_profile_at(terrain, x, y, n_azimuth, observer_height_m, far_field)
    height = float(profile.attrs["cell_height_m"])
    sky = sky_positions(site.lat_deg, site.lon_deg, times, height + observer_height_m)
    lon_grid = math.degrees(math.atan2(x, y))
    grid_profile = np.asarray(profile.values, dtype=np.float64)
    az_grid = profile["azimuth"].values

    def horizon_at(local_az: NDArray[np.float64]) -> NDArray[np.float64]:
        grid_az = np.mod(local_az + lon_grid, 360.0)  # the polar grid rotates by the longitude
        return np.interp(grid_az, np.append(az_grid, 360.0), np.append(grid_profile, grid_profile[0]))

    sun_h = horizon_at(sky.sun.azimuth_deg)
    earth_h = horizon_at(sky.earth.azimuth_deg)
    local_profile = xr.DataArray(
        grid_profile,
        dims=("azimuth",),
        coords={"azimuth": np.mod(az_grid - lon_grid, 360.0)},
        name="horizon_deg",
        attrs={**profile.attrs, "azimuth_reference": "local north, clockwise"},
    ).sortby("azimuth")
    return SiteIllumination(
        site=Site(site.lat_deg, site.lon_deg, height + observer_height_m),
        observer_height_m=float(observer_height_m),
        terrain_height_m=height,
        dem_source=str(terrain.attrs.get("source", "")),
        time_utc=sky.time_utc,
        sun_elevation_deg=sky.sun.elevation_deg,
        sun_azimuth_deg=sky.sun.azimuth_deg,
        sun_horizon_deg=sun_h,
        sun_visible_fraction=visible_fraction(sky.sun.elevation_deg, sun_h, sky.sun.angular_radius_deg),
        earth_elevation_deg=sky.earth.elevation_deg,
        earth_azimuth_deg=sky.earth.azimuth_deg,
        earth_horizon_deg=earth_h,
        earth_visible=sky.earth.elevation_deg > earth_h,
        earth_visible_fraction=visible_fraction(sky.earth.elevation_deg, earth_h, sky.earth.angular_radius_deg),
        horizon=local_profile,
    )
