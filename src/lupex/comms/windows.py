"""Contact windows: when each ground station sees a lunar site, and the site sees the Earth over its terrain.

A station sees the site when the site's apparent direction from the station is above the station's elevation
mask; the link also needs the Earth's centre above the site's local terrain horizon at the antenna height (the
illumination engine's horizon profile, far field included). Geometry:

* the site's apparent geocentric position (light time, aberration; Skyfield with DE421 and MOON_ME_DE421) is
  computed on an hourly grid and interpolated to the requested step by cubic splines (interpolation error below
  a metre at the Moon);
* it is turned into the Earth-fixed frame by ``Rz(-GAST) M`` (Skyfield's true-equator-and-equinox matrix ``M``
  interpolated linearly, GAST by a spline of the unwrapped angle; this is Skyfield's ITRS rotation without polar
  motion, 0.3 arcsec at most);
* each station's topocentric vector is that position minus the station's WGS84 position; elevation and azimuth
  follow from the station's geodetic east-north-up basis (no refraction).

The Earth's elevation at the site and the terrain horizon at its azimuth come from
:func:`lupex.illumination.site_illumination` on an hourly grid (the Earth moves about 0.04 deg an hour in the
lunar sky; linear interpolation errs by less than 0.01 deg), interpolated linearly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy.interpolate import CubicSpline

from lupex.comms.stations import GroundStation
from lupex.ephemeris import format_utc, time_range
from lupex.errors import InputError

__all__ = ["ContactWindows", "SiteGeometry", "StationLook", "StationWindows", "Window", "contact_windows",
           "site_geometry", "station_look", "true_runs"]  # fmt: skip

_COARSE_S = 3600.0
_EARTH_STEP_S = 3600.0
_SPEED_OF_LIGHT_M_S = 299_792_458.0


@dataclass(frozen=True)
class SiteGeometry:
    """The lunar site over time, independent of the stations.

    Attributes
    ----------
    time_utc : datetime64[ns] (n,)
    step_s : float
        Sample spacing [s].
    lat_deg, lon_deg : float
        Site [deg].
    height_m : float
        Antenna height above the 1737.4 km sphere (terrain plus mast) [m].
    site_itrs_m : float64 (n, 3)
        Apparent position of the site in the Earth-fixed frame (ITRS axes, no polar motion) [m].
    earth_elevation_deg, earth_horizon_deg : float64 (n,)
        Earth's centre above the site's horizontal, and the terrain horizon at its azimuth [deg].
    earth_visible : bool (n,)
        Earth's centre above the terrain horizon at the antenna.
    dem_source : str
    """

    time_utc: NDArray[np.datetime64]
    step_s: float
    lat_deg: float
    lon_deg: float
    height_m: float
    site_itrs_m: NDArray[np.float64]
    earth_elevation_deg: NDArray[np.float64]
    earth_horizon_deg: NDArray[np.float64]
    earth_visible: NDArray[np.bool_]
    dem_source: str


@dataclass(frozen=True)
class StationLook:
    """Where a station must point to see the site: elevation, azimuth [deg] and range [m] over time."""

    elevation_deg: NDArray[np.float64]
    azimuth_deg: NDArray[np.float64]
    range_m: NDArray[np.float64]

    @property
    def light_time_s(self) -> NDArray[np.float64]:
        """One-way light time [s]."""
        return self.range_m / _SPEED_OF_LIGHT_M_S


@dataclass(frozen=True)
class Window:
    """One contact window ``[start_utc, end_utc)``: duration [h], highest station elevation [deg]."""

    start_utc: str
    end_utc: str
    duration_h: float
    max_elevation_deg: float


@dataclass(frozen=True)
class StationWindows:
    """Contacts of one station: per-sample visibility, its windows and the fraction of time in contact."""

    name: str
    visible: NDArray[np.bool_]
    look: StationLook
    windows: list[Window]
    visible_fraction: float


@dataclass(frozen=True)
class ContactWindows:
    """Contact windows of a site with a network of stations (see :func:`contact_windows`).

    Attributes
    ----------
    geometry : SiteGeometry
    stations : list of StationWindows
    network_visible : bool (n,)
        Some station in contact.
    network_visible_fraction : float
    network_windows : list of Window
        Windows of the union (``max_elevation_deg`` over all stations).
    gaps : list of Window
        Outages of the union (``max_elevation_deg`` is NaN).
    longest_outage_h : float
    earth_visible_fraction : float
        Fraction of time the Earth is above the site's terrain horizon at all.
    """

    geometry: SiteGeometry
    stations: list[StationWindows]
    network_visible: NDArray[np.bool_]
    network_visible_fraction: float
    network_windows: list[Window]
    gaps: list[Window]
    longest_outage_h: float
    earth_visible_fraction: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the CLI's ``--json``)."""

        def windows(ws: list[Window]) -> list[dict[str, Any]]:
            return [{"start_utc": w.start_utc, "end_utc": w.end_utc, "duration_h": round(w.duration_h, 4),
                     "max_elevation_deg": None if math.isnan(w.max_elevation_deg) else round(w.max_elevation_deg, 3)}
                    for w in ws]  # fmt: skip

        g = self.geometry
        return {
            "site": {"lat_deg": g.lat_deg, "lon_deg": g.lon_deg, "antenna_height_m": round(g.height_m, 2),
                     "dem": g.dem_source},
            "start_utc": format_utc(g.time_utc[0]),
            "end_utc": format_utc(g.time_utc[-1]),
            "step_s": g.step_s,
            "earth_visible_fraction": round(self.earth_visible_fraction, 5),
            "stations": [{"name": s.name, "visible_fraction": round(s.visible_fraction, 5),
                          "windows": windows(s.windows)} for s in self.stations],
            "network": {"visible_fraction": round(self.network_visible_fraction, 5),
                        "longest_outage_h": round(self.longest_outage_h, 4), "windows": windows(self.network_windows),
                        "gaps": windows(self.gaps)},
        }  # fmt: skip


def _coarse_site_itrs(lat_deg: float, lon_deg: float, height_m: float, t0: np.datetime64,
                      t1: np.datetime64) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
                                                  NDArray[np.float64]]:  # fmt: skip
    """Hourly seconds-from-t0, apparent geocentric site [m] (ICRS axes), matrix M (3, 3, n) and unwrapped GAST."""
    from lupex.ephemeris.sky import _skyfield_time
    from lupex.io.kernels import load_ephemeris_kernels

    pad = np.timedelta64(int(3 * _COARSE_S), "s")
    grid = time_range(t0 - pad, t1 + pad, f"{_COARSE_S}s", names=("start", "end", "step"))
    if grid[-1] < t1 + pad:
        grid = np.append(grid, grid[-1] + np.timedelta64(int(_COARSE_S), "s"))
    kernels = load_ephemeris_kernels()
    t = _skyfield_time(grid)
    frame = kernels.constants.build_frame_named("MOON_ME_DE421")
    site = kernels.planets["moon"] + kernels.constants.build_latlon_degrees(frame, lat_deg, lon_deg, height_m)
    r_m = np.asarray(kernels.planets["earth"].at(t).observe(site).apparent().position.m, dtype=np.float64)
    gast = np.unwrap(np.asarray(t.gast, dtype=np.float64) * (2.0 * np.pi / 24.0))
    seconds = (grid - t0).astype("timedelta64[ns]").astype(np.float64) / 1e9
    return seconds, r_m, np.asarray(t.M, dtype=np.float64), gast


def _site_itrs(lat_deg: float, lon_deg: float, height_m: float, times: NDArray[np.datetime64]) -> NDArray[np.float64]:
    """Apparent site position in the Earth-fixed frame at ``times`` [m] (n, 3), by interpolation (see module)."""
    seconds, r_m, m, gast = _coarse_site_itrs(lat_deg, lon_deg, height_m, times[0], times[-1])
    s = (times - times[0]).astype("timedelta64[ns]").astype(np.float64) / 1e9
    r = CubicSpline(seconds, r_m, axis=1)(s)
    g = CubicSpline(seconds, gast)(s)
    w = np.einsum("ijn,jn->in", np.stack([np.stack([np.interp(s, seconds, m[i, j]) for j in range(3)])
                                           for i in range(3)]), r)  # fmt: skip
    c, sn = np.cos(g), np.sin(g)
    return np.stack([c * w[0] + sn * w[1], -sn * w[0] + c * w[1], w[2]], axis=1)


def site_geometry(
    lat_deg: float,
    lon_deg: float,
    start: Any,
    end: Any,
    step: Any = "10min",
    *,
    antenna_height_m: float = 2.0,
    dem: xr.DataArray | None = None,
    far_field: Any = "auto",
    max_count: int = 2_000_000,
) -> SiteGeometry:
    """The site's Earth-fixed position and its Earth visibility over terrain (see the module docstring).

    Parameters
    ----------
    lat_deg, lon_deg : float
        Lunar site [deg] (planetocentric, MOON_ME).
    start, end, step :
        Period (UTC) and sampling.
    antenna_height_m : float
        Antenna above the terrain [m].
    dem : xarray.DataArray, optional
        Terrain for the horizon; default the finest bundled DEM covering the site.
    far_field : "auto", list of DataArray or None
        Coarser terrain beyond ``dem`` (see :func:`lupex.illumination.horizon_map`); None for none.
    max_count : int
        Largest number of samples accepted (checked before anything is allocated).
    """
    from lupex.illumination import site_illumination

    if not (math.isfinite(antenna_height_m) and 0.0 <= antenna_height_m <= 100.0):
        raise InputError(f"antenna_height_m {antenna_height_m!r} must be in [0, 100] m above the terrain")
    times = time_range(start, end, step, max_count=max_count)
    step_s = float((times[1] - times[0]) / np.timedelta64(1, "s")) if times.size > 1 else 0.0
    earth_step = f"{max(_EARTH_STEP_S, step_s)}s"
    earth_end = times[-1] + np.timedelta64(int(max(_EARTH_STEP_S, step_s)), "s")
    light = site_illumination(lat_deg, lon_deg, times[0], earth_end, earth_step, observer_height_m=antenna_height_m,
                              dem=dem, far_field=far_field)  # fmt: skip
    height = float(light.site.height_m)
    t_s = (times - times[0]).astype("timedelta64[ns]").astype(np.float64) / 1e9
    e_s = (light.time_utc - times[0]).astype("timedelta64[ns]").astype(np.float64) / 1e9
    elevation = np.interp(t_s, e_s, light.earth_elevation_deg)
    horizon = np.interp(t_s, e_s, light.earth_horizon_deg)
    return SiteGeometry(
        time_utc=times, step_s=step_s, lat_deg=float(lat_deg), lon_deg=float(lon_deg), height_m=height,
        site_itrs_m=_site_itrs(lat_deg, lon_deg, height, times), earth_elevation_deg=elevation,
        earth_horizon_deg=horizon, earth_visible=elevation > horizon, dem_source=light.dem_source,
    )  # fmt: skip


def station_look(geometry: SiteGeometry, station: GroundStation) -> StationLook:
    """Elevation and azimuth of the site from the station (geodetic ENU, no refraction) [deg], and range [m]."""
    v = geometry.site_itrs_m - station.ecef_m()
    rng = np.linalg.norm(v, axis=1)
    east, north, up = station.enu_basis()
    elevation = np.degrees(np.arcsin(np.clip((v @ up) / rng, -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(v @ east, v @ north)) % 360.0
    return StationLook(elevation, azimuth, rng)


def true_runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open index ranges [i, j) of the True runs of ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _windows(mask: NDArray[np.bool_], times: NDArray[np.datetime64], step_s: float,
             elevation: NDArray[np.float64] | None) -> list[Window]:  # fmt: skip
    step = np.timedelta64(int(round(step_s * 1e9)), "ns")
    out = []
    for a, b in true_runs(mask):
        top = float(np.max(elevation[a:b])) if elevation is not None else math.nan
        out.append(Window(format_utc(times[a]), format_utc(times[b - 1] + step), (b - a) * step_s / 3600.0, top))
    return out


def contact_windows(
    lat_deg: float,
    lon_deg: float,
    start: Any,
    end: Any,
    step: Any,
    stations: list[GroundStation],
    *,
    antenna_height_m: float = 2.0,
    dem: xr.DataArray | None = None,
    far_field: Any = "auto",
    geometry: SiteGeometry | None = None,
) -> ContactWindows:
    """Per-station and network contact windows of a lunar site over a period.

    A sample ``t`` stands for ``[t, t + step)``. A station is in contact when the site is above its mask and the
    Earth is above the site's terrain horizon (see the module docstring).

    Parameters
    ----------
    lat_deg, lon_deg : float
        Lunar site [deg].
    start, end, step :
        Period (UTC) and sampling (e.g. ``1min``).
    stations : list of GroundStation
    antenna_height_m : float
        Lander or rover antenna above the terrain [m].
    dem : xarray.DataArray, optional
        Terrain for the site's horizon (default: the finest bundled DEM covering the site).
    far_field : "auto", list of DataArray or None
        Coarser terrain beyond ``dem``.
    geometry : SiteGeometry, optional
        Reuse a geometry computed for the same site and period.
    """
    if not stations:
        raise InputError("stations is empty; give at least one ground station")
    geo = geometry or site_geometry(lat_deg, lon_deg, start, end, step, antenna_height_m=antenna_height_m, dem=dem,
                                    far_field=far_field)
    per: list[StationWindows] = []
    union = np.zeros(geo.time_utc.size, dtype=bool)
    best = np.full(geo.time_utc.size, -90.0)
    for st in stations:
        look = station_look(geo, st)
        visible = (look.elevation_deg >= st.mask_deg(look.azimuth_deg)) & geo.earth_visible
        union |= visible
        best = np.where(visible, np.maximum(best, look.elevation_deg), best)
        windows = _windows(visible, geo.time_utc, geo.step_s, look.elevation_deg)
        per.append(StationWindows(st.name, visible, look, windows, float(visible.mean())))
    gaps = _windows(~union, geo.time_utc, geo.step_s, None)
    return ContactWindows(
        geometry=geo, stations=per, network_visible=union, network_visible_fraction=float(union.mean()),
        network_windows=_windows(union, geo.time_utc, geo.step_s, best), gaps=gaps,
        longest_outage_h=max((g.duration_h for g in gaps), default=0.0),
        earth_visible_fraction=float(geo.earth_visible.mean()),
    )  # fmt: skip
