"""The safe haven: the cell near the landing site where the rover waits out darkness and Earth blackouts.

Chosen over the whole surface mission: the shortest longest night at mast height, then the largest lit fraction,
then the nearest to the landing site, among gentle cells (slope at most the rover's nominal slope) within a
distance of the site. VIPER's operations plan the same way (safe havens before each blackout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from lupex.core.runs import longest_true_run
from lupex.defaults import default
from lupex.errors import InputError
from lupex.terrain import xy_to_latlon
from lupex.terrain.derivatives import slope_deg as terrain_slope_deg
from lupex.traverse import Rover, cell_sky_series

__all__ = ["Haven", "safe_haven"]


@dataclass(frozen=True)
class Haven:
    """The chosen haven and how it compares with the landing site.

    Attributes
    ----------
    lat_deg, lon_deg : float
    cell : tuple of int
        Row and column in the window.
    longest_night_h, lit_fraction : float
        Longest continuous darkness [h] and lit fraction [-] at the haven over the mission.
    site_longest_night_h, site_lit_fraction : float
        The same at the landing site.
    distance_m : float
        From the landing site [m].
    cells_searched : int
    """

    lat_deg: float
    lon_deg: float
    cell: tuple[int, int]
    longest_night_h: float
    lit_fraction: float
    site_longest_night_h: float
    site_lit_fraction: float
    distance_m: float
    cells_searched: int


def _candidates(window: xr.DataArray, site_cell: tuple[int, int], rover: Rover, max_distance_m: float,
                stride: int) -> np.ndarray:  # fmt: skip
    ny, nx = window.shape
    res = float(window.attrs["res_m"])
    ii, jj = np.meshgrid(np.arange(0, ny, stride), np.arange(0, nx, stride), indexing="ij")
    cells = np.stack([ii.ravel(), jj.ravel()], axis=1)
    near = np.hypot(cells[:, 0] - site_cell[0], cells[:, 1] - site_cell[1]) * res <= max_distance_m
    slope = np.asarray(terrain_slope_deg(window).values)[cells[:, 0], cells[:, 1]]
    gentle = np.isfinite(slope) & (slope <= rover.slope_nominal_deg)
    keep = cells[near & gentle]
    return np.unique(np.vstack([keep, np.array([site_cell])]), axis=0)


def safe_haven(
    dem: xr.DataArray, window: xr.DataArray, site_cell: tuple[int, int], start_utc: np.datetime64,
    end_utc: np.datetime64, rover: Rover, *, max_distance_m: float = 500.0, stride: int | None = None,
    n_azimuth: int = 90, cache: bool = True,
) -> Haven:  # fmt: skip
    """Choose the haven (see the module docstring).

    Parameters
    ----------
    dem, window : xarray.DataArray
        The traverse DEM (horizons) and the rover's window.
    site_cell : tuple of int
        The landing site's cell in the window.
    start_utc, end_utc : datetime64
        The surface mission.
    rover : Rover
    max_distance_m : float
        Largest distance from the landing site [m].
    stride : int, optional
        Search every ``stride``-th cell (default ``ops_haven_grid_cells``).
    n_azimuth : int
    cache : bool

    Returns
    -------
    Haven
    """
    if not (math.isfinite(max_distance_m) and max_distance_m >= 0):
        raise InputError(f"max_distance_m {max_distance_m!r} must be a distance >= 0 m")
    k = int(default("ops_haven_grid_cells") if stride is None else stride)
    cells = _candidates(window, site_cell, rover, max_distance_m, max(k, 1))
    sky = cell_sky_series(dem, start_utc, end_utc, "1h", cells=cells, window=window,
                          mast_height_m=rover.mast_height_m, n_azimuth=n_azimuth, cache=cache)  # fmt: skip
    dark = sky.sun_fraction <= 0.0
    night_h = longest_true_run(dark) * sky.step_s / 3600.0
    lit = 1.0 - dark.mean(axis=0)
    res = float(window.attrs["res_m"])
    dist = np.hypot(cells[:, 0] - site_cell[0], cells[:, 1] - site_cell[1]) * res
    best = int(np.lexsort((dist, -lit, night_h))[0])
    site = int(np.flatnonzero((cells[:, 0] == site_cell[0]) & (cells[:, 1] == site_cell[1]))[0])
    r, c = int(cells[best, 0]), int(cells[best, 1])
    lat, lon = xy_to_latlon(float(window["x"].values[c]), float(window["y"].values[r]))
    return Haven(float(lat), float(lon), (r, c), float(night_h[best]), float(lit[best]), float(night_h[site]),
                 float(lit[site]), float(dist[best]), int(cells.shape[0]))  # fmt: skip
