"""What a rover sees over time on a map window: slope, the Sun at its mast and Earth in view."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from lupex.constants import AU_KM, MOON_RADIUS_M
from lupex.core.traverse import sky_series_chunk
from lupex.defaults import default
from lupex.ephemeris import moon_centred_vectors, parse_duration_s, time_range
from lupex.errors import InputError
from lupex.illumination.horizon import far_field_for, horizon_map
from lupex.terrain.dem import check_dem
from lupex.terrain.derivatives import slope_deg as terrain_slope_deg
from lupex.terrain.projection import latlon_to_xy, xy_to_latlon

__all__ = [
    "CellSky",
    "TraverseEnvironment",
    "cell_sky_series",
    "traverse_environment",
    "window_around",
    "window_cell",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TraverseEnvironment:
    """Terrain and sky of a map window over a period, as the planner and the simulator read it.

    Attributes
    ----------
    dem : xarray.DataArray
        The window's heights [m] (lupex DEM contract).
    slope_deg : float64 (ny, nx)
        Terrain slope [deg] (NaN: no data).
    time_utc : datetime64[ns] (nt,)
        Sample instants; sample ``s`` stands for ``[time_utc[s], time_utc[s] + step_s)``.
    step_s : float
        Sample spacing [s].
    sun_fraction : float32 (nt, ny, nx)
        Visible fraction of the solar disk at the mast [-].
    sun_elevation_deg : float32 (nt, ny, nx)
        Elevation of the Sun's centre above the local horizontal at the mast [deg].
    earth_visible : bool (nt, ny, nx)
        Earth's centre above the terrain horizon at the mast.
    sun_distance_au : float64 (nt,)
        Sun distance [au].
    mast_height_m : float
        Observer height the sky was computed for [m].
    """

    dem: xr.DataArray
    slope_deg: NDArray[np.float64]
    time_utc: NDArray[np.datetime64]
    step_s: float
    sun_fraction: NDArray[np.float32]
    sun_elevation_deg: NDArray[np.float32]
    earth_visible: NDArray[np.bool_]
    sun_distance_au: NDArray[np.float64]
    mast_height_m: float

    def __post_init__(self) -> None:
        check_dem(self.dem)
        ny, nx = self.dem.shape
        nt = self.time_utc.size
        if nt < 1:
            raise InputError("a traverse environment needs at least one time sample")
        for name in ("sun_fraction", "sun_elevation_deg", "earth_visible"):
            shape = getattr(self, name).shape
            if shape != (nt, ny, nx):
                raise InputError(f"{name} has shape {shape}; expected (n_times, ny, nx) = {(nt, ny, nx)}")
        if self.slope_deg.shape != (ny, nx):
            raise InputError(f"slope_deg has shape {self.slope_deg.shape}; expected {(ny, nx)}")
        if self.sun_distance_au.shape != (nt,):
            raise InputError(f"sun_distance_au has shape {self.sun_distance_au.shape}; expected {(nt,)}")
        if not (math.isfinite(self.step_s) and self.step_s > 0):
            raise InputError(f"step_s {self.step_s!r} must be positive seconds")

    @property
    def res_m(self) -> float:
        """Cell size [m]."""
        return float(self.dem.attrs["res_m"])

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx)."""
        return (int(self.dem.shape[0]), int(self.dem.shape[1]))

    @property
    def end_utc(self) -> np.datetime64:
        """End of the last sample's interval."""
        return self.time_utc[-1] + np.timedelta64(int(round(self.step_s * 1e9)), "ns")

    def cell_of(self, lat_deg: float, lon_deg: float, name: str = "point") -> tuple[int, int]:
        """Row and column of the cell holding a point; a point outside the window is refused."""
        return window_cell(self.dem, lat_deg, lon_deg, name)

    def xy_of(self, i: NDArray[np.int64] | int, j: NDArray[np.int64] | int) -> tuple[NDArray[np.float64], ...]:
        """Map coordinates of cell centres [m]."""
        return (
            np.asarray(self.dem["x"].values[np.asarray(j)], dtype=np.float64),
            np.asarray(self.dem["y"].values[np.asarray(i)], dtype=np.float64),
        )


def window_cell(window: xr.DataArray, lat_deg: float, lon_deg: float, name: str = "point") -> tuple[int, int]:
    """Row and column of the cell of ``window`` holding a point; a point outside the window is refused."""
    if not (-90.0 <= lat_deg <= 90.0 and math.isfinite(lon_deg)):
        raise InputError(f"{name} latitude {lat_deg!r} must be in [-90, 90] degrees")
    x, y = latlon_to_xy(lat_deg, lon_deg)
    xs, ys = window["x"].values, window["y"].values
    res = float(window.attrs["res_m"])
    half = 0.5 * res
    if not (xs[0] - half <= x <= xs[-1] + half and ys[-1] - half <= y <= ys[0] + half):
        lat0, lon0 = xy_to_latlon(xs[[0, -1, -1, 0]], ys[[0, 0, -1, -1]])
        raise InputError(
            f"{name} ({lat_deg:g}, {lon_deg:g}) lies outside the map window (corners lat "
            f"{np.round(lat0, 3).tolist()}, lon {np.round(lon0, 3).tolist()}); give a point inside it"
        )
    j = int(np.clip(np.rint((x - xs[0]) / res), 0, xs.size - 1))
    i = int(np.clip(np.rint((ys[0] - y) / res), 0, ys.size - 1))
    return i, j


def window_around(dem: xr.DataArray, points_latlon: Sequence[tuple[float, float]], margin_m: float) -> xr.DataArray:
    """The part of ``dem`` covering the bounding box of the points plus ``margin_m`` on every side."""
    dem = check_dem(dem)
    if not points_latlon:
        raise InputError("give at least one point to frame the traverse window")
    if not (math.isfinite(margin_m) and margin_m >= 0):
        raise InputError(f"margin_m {margin_m!r} must be >= 0 metres")
    lat = np.array([p[0] for p in points_latlon], dtype=np.float64)
    lon = np.array([p[1] for p in points_latlon], dtype=np.float64)
    x, y = latlon_to_xy(lat, lon)
    xs = dem["x"].values
    ys = dem["y"].values
    res = float(dem.attrs["res_m"])
    half = 0.5 * res
    outside = (x < xs[0] - half) | (x > xs[-1] + half) | (y < ys[-1] - half) | (y > ys[0] + half)
    if outside.any():
        k = int(np.argmax(outside))
        raise InputError(
            f"point ({lat[k]:g}, {lon[k]:g}) lies outside the DEM "
            f"({dem.attrs.get('source', 'dem')}); pick points inside it or another DEM"
        )
    cols = np.nonzero((xs >= x.min() - margin_m) & (xs <= x.max() + margin_m))[0]
    rows = np.nonzero((ys >= y.min() - margin_m) & (ys <= y.max() + margin_m))[0]
    return dem.isel(y=slice(int(rows[0]), int(rows[-1]) + 1), x=slice(int(cols[0]), int(cols[-1]) + 1))


def traverse_environment(
    dem: xr.DataArray,
    start: Any,
    end: Any,
    step: Any = "1h",
    *,
    window: xr.DataArray | None = None,
    mast_height_m: float | None = None,
    n_azimuth: int = 180,
    far_field: Sequence[xr.DataArray] | str | None = "auto",
    chunk_steps: int = 24,
    cache: bool = True,
    progress: Any = None,
) -> TraverseEnvironment:
    """Slope, Sun and Earth visibility at mast height over a window of ``dem`` for a period.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM; its whole extent (and the far field) casts the horizons.
    start, end, step :
        UTC period and sample step (``end`` inclusive when on the step grid); ``step`` at most 6 h.
    window : xarray.DataArray, optional
        The part of ``dem`` the rover may drive on (e.g. from :func:`window_around`); default all of ``dem``.
    mast_height_m : float, optional
        Height of the rover's array and antenna [m]; default ``rover_mast_height_m`` (2 m).
    n_azimuth : int, default 180
        Horizon azimuths (2 deg; the Sun's disk is 0.53 deg, so this smooths the terminator a little).
    far_field : sequence of DataArray, "auto" or None
        Coarser DEMs beyond ``dem`` (see :func:`lupex.illumination.horizon_map`).
    chunk_steps : int
        Steps per kernel call.
    cache : bool
        Reuse cached horizon maps.
    progress : tqdm-like, optional
        ``total`` = number of chunks; ``update(1)`` per chunk.

    Returns
    -------
    TraverseEnvironment
    """
    dem = check_dem(dem)
    win = dem if window is None else check_dem(window)
    h, step_s, times, profiles = _window_profiles(
        dem, win, start, end, step, mast_height_m, n_azimuth, far_field, cache
    )
    ny, nx = win.shape
    xx, yy = np.meshgrid(win["x"].values.astype(np.float64), win["y"].values.astype(np.float64))
    cell_r = (MOON_RADIUS_M + np.asarray(win.values, dtype=np.float64) + h).ravel()
    frac, elev, vis, dist_au = _sky_series(times, profiles, xx.ravel(), yy.ravel(), cell_r, chunk_steps, progress)
    nt = times.size
    slope = np.asarray(terrain_slope_deg(win).values, dtype=np.float64)
    log.info("traverse environment: %d x %d cells x %d steps at %.0f s", ny, nx, nt, step_s)
    return TraverseEnvironment(
        dem=win,
        slope_deg=slope,
        time_utc=times,
        step_s=step_s,
        sun_fraction=frac.reshape(nt, ny, nx),
        sun_elevation_deg=elev.reshape(nt, ny, nx),
        earth_visible=vis.reshape(nt, ny, nx),
        sun_distance_au=dist_au,
        mast_height_m=h,
    )


def _window_profiles(
    dem: xr.DataArray, win: xr.DataArray, start: Any, end: Any, step: Any, mast_height_m: float | None,
    n_azimuth: int, far_field: Sequence[xr.DataArray] | str | None, cache: bool,
) -> tuple[float, float, NDArray[np.datetime64], NDArray[np.float32]]:
    """Mast height, step, sample times and the window's horizon profiles (ncell, n_az) [rad] (cached maps)."""
    h = default("rover_mast_height_m") if mast_height_m is None else float(mast_height_m)
    if not (math.isfinite(h) and 0.0 <= h <= 100.0):
        raise InputError(f"mast_height_m {mast_height_m!r} must be in [0, 100] metres")
    step_s = parse_duration_s(step)
    if step_s > 6 * 3600.0:
        raise InputError(f"step {step!r} is too coarse for a traverse; use at most 6h (1h is typical)")
    times = time_range(start, end, step)
    fields: list[xr.DataArray]
    if isinstance(far_field, str):
        if far_field != "auto":
            raise InputError(f"far_field {far_field!r} must be 'auto', None or a list of DEMs")
        fields = far_field_for(dem)
    else:
        fields = list(far_field or [])
    if win is not dem:
        fields = [dem, *fields]
    hor = horizon_map(win, n_azimuth, h, fields, cache=cache)
    n_az = hor.shape[0]
    profiles = np.ascontiguousarray(np.radians(hor.values).reshape(n_az, -1).T.astype(np.float32))
    return h, step_s, times, profiles


def _sky_series(
    times: NDArray[np.datetime64], profiles: NDArray[np.float32], x_m: NDArray[np.float64], y_m: NDArray[np.float64],
    cell_r_m: NDArray[np.float64], chunk_steps: int, progress: Any,
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.bool_], NDArray[np.float64]]:
    """Sun fraction, Sun elevation [deg] and Earth visibility (nt, ncell) at the cells, and the Sun distance [au]."""
    vectors = moon_centred_vectors(times)
    sun = vectors.sun_kernel_arrays()
    earth = vectors.earth_kernel_arrays()
    nt, ncell = times.size, x_m.size
    frac = np.empty((nt, ncell), dtype=np.float32)
    elev = np.empty((nt, ncell), dtype=np.float32)
    vis = np.empty((nt, ncell), dtype=np.bool_)
    chunk = max(1, int(chunk_steps))
    if progress is not None:
        progress.total = -(-nt // chunk)
    for t0 in range(0, nt, chunk):
        n = min(chunk, nt - t0)
        sky_series_chunk(
            profiles, x_m, y_m, cell_r_m, MOON_RADIUS_M, sun[0], sun[1], sun[2], earth[0], earth[1],
            t0, frac[t0 : t0 + n], elev[t0 : t0 + n], vis[t0 : t0 + n],
        )  # fmt: skip
        if progress is not None:
            progress.update(1)
    np.degrees(elev, out=elev)
    return frac, elev, vis, np.asarray(1.0 / (sun[1] * AU_KM * 1000.0), dtype=np.float64)


@dataclass(frozen=True)
class CellSky:
    """Sun and Earth at chosen cells of a window over a period (the campaign's sky, cheaper than a whole window).

    Attributes
    ----------
    time_utc : datetime64[ns] (nt,)
        Sample instants; sample ``s`` stands for ``[time_utc[s], time_utc[s] + step_s)``.
    step_s : float
        Sample spacing [s].
    cells : int64 (n, 2)
        Row and column of each cell in the window.
    sun_fraction, sun_elevation_deg : float32 (nt, n)
        Visible solar-disk fraction [-] and Sun elevation [deg] at mast height.
    earth_visible : bool (nt, n)
    sun_distance_au : float64 (nt,)
    """

    time_utc: NDArray[np.datetime64]
    step_s: float
    cells: NDArray[np.int64]
    sun_fraction: NDArray[np.float32]
    sun_elevation_deg: NDArray[np.float32]
    earth_visible: NDArray[np.bool_]
    sun_distance_au: NDArray[np.float64]

    def column(self, row: int, col: int) -> int:
        """Index of cell (row, col) in the arrays; a cell not computed is refused."""
        hit = np.flatnonzero((self.cells[:, 0] == row) & (self.cells[:, 1] == col))
        if hit.size == 0:
            raise InputError(f"cell ({row}, {col}) is not among the {len(self.cells)} cells of this sky series")
        return int(hit[0])


def cell_sky_series(
    dem: xr.DataArray,
    start: Any,
    end: Any,
    step: Any = "1h",
    *,
    cells: NDArray[np.int64],
    window: xr.DataArray | None = None,
    mast_height_m: float | None = None,
    n_azimuth: int = 180,
    far_field: Sequence[xr.DataArray] | str | None = "auto",
    cache: bool = True,
) -> CellSky:
    """Sun and Earth at mast height at chosen cells of ``window``: :func:`traverse_environment`'s sky, cell subset.

    Parameters
    ----------
    dem, start, end, step, window, mast_height_m, n_azimuth, far_field, cache :
        As in :func:`traverse_environment` (the same horizons, from the same cache).
    cells : int array (n, 2)
        Rows and columns in the window.

    Returns
    -------
    CellSky
    """
    dem = check_dem(dem)
    win = dem if window is None else check_dem(window)
    rc = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    ny, nx = win.shape
    if rc.size == 0 or rc[:, 0].min() < 0 or rc[:, 1].min() < 0 or rc[:, 0].max() >= ny or rc[:, 1].max() >= nx:
        raise InputError(f"cells must be a non-empty list of (row, col) inside the {ny} x {nx} window")
    h, step_s, times, profiles = _window_profiles(
        dem, win, start, end, step, mast_height_m, n_azimuth, far_field, cache
    )
    flat = rc[:, 0] * nx + rc[:, 1]
    x = win["x"].values.astype(np.float64)[rc[:, 1]]
    y = win["y"].values.astype(np.float64)[rc[:, 0]]
    r = MOON_RADIUS_M + np.asarray(win.values, dtype=np.float64)[rc[:, 0], rc[:, 1]] + h
    frac, elev, vis, dist = _sky_series(times, np.ascontiguousarray(profiles[flat]), x, y, r, 24, None)
    return CellSky(times, step_s, rc, frac, elev, vis, dist)
