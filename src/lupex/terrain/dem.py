"""The lupex DEM contract: checking, bundled DEMs and summaries."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import xarray as xr
from pyproj import CRS

from lupex.errors import DemError
from lupex.io.dem import BUILTIN_DEMS, check_grid_crs_text, read_dem

__all__ = ["DemSummary", "builtin_dem", "check_dem", "dem_summary"]


def builtin_dem(name: str) -> xr.DataArray:
    """Load a bundled real DEM.

    Parameters
    ----------
    name : str
        ``"south_pole_240m"`` (LOLA LDEM_75S_120M, 1536^2 x 240 m), ``"connecting_ridge_10m"`` (PGDA Site01,
        1600^2 x 10 m) or ``"far_field_1787m"`` (LOLA 75S cap for far-field horizons).

    Each file is read and decoded once per process; every call returns a copy, so callers may modify it.
    """
    return _read_builtin(name).copy(deep=True)


@functools.cache
def _read_builtin(name: str) -> xr.DataArray:
    return read_dem(f"builtin:{name}")


def check_dem(dem: Any) -> xr.DataArray:
    """Validate the lupex DEM contract and return the DEM unchanged.

    A DEM is a 2-D :class:`xarray.DataArray` with dims ``("y", "x")``, float heights [m], regularly spaced
    square cells (``attrs["res_m"]``), ``y`` decreasing, and ``attrs["crs"]`` the lunar south polar
    stereographic grid in metres.

    Raises
    ------
    DemError
        With the problem and the fix.
    """
    if not isinstance(dem, xr.DataArray):
        raise DemError(f"dem must be an xarray.DataArray from lupex.io.read_dem; got {type(dem).__name__}")
    if dem.dims != ("y", "x"):
        raise DemError(f"dem must have dims ('y', 'x'); got {dem.dims} (transpose or rename the dims)")
    if not np.issubdtype(dem.dtype, np.floating):
        raise DemError(f"dem heights must be floating point metres; got dtype {dem.dtype}")
    check_grid_crs_text(dem.attrs.get("crs"), "dem")
    x = np.asarray(dem["x"].values, dtype=np.float64)
    y = np.asarray(dem["y"].values, dtype=np.float64)
    if x.size < 2 or y.size < 2:
        raise DemError(f"dem must have at least 2 x 2 cells; got {y.size} x {x.size}")
    dx = np.diff(x)
    dy = np.diff(y)
    res = float(dx[0])
    if res <= 0 or not np.allclose(dx, res, rtol=1e-6) or not np.allclose(dy, -res, rtol=1e-6):
        raise DemError(
            "dem cells must be square and regular with x increasing and y decreasing "
            f"(got dx ~ {dx[0]:g} m, dy ~ {dy[0]:g} m); resample to a north-up square grid"
        )
    if "res_m" in dem.attrs and not np.isclose(float(dem.attrs["res_m"]), res, rtol=1e-6):
        raise DemError(f"dem attrs['res_m'] = {dem.attrs['res_m']} disagrees with the coordinate spacing {res} m")
    if not np.isfinite(dem.values).any():
        raise DemError("dem holds no valid height (all NaN); check the source file")
    return dem


@dataclass(frozen=True)
class DemSummary:
    """What ``lupex dem info`` reports (all lengths in metres, angles in degrees)."""

    source: str
    n_rows: int
    n_cols: int
    res_m: float
    crs_name: str
    x_min_m: float
    x_max_m: float
    y_min_m: float
    y_max_m: float
    lat_min_deg: float
    lat_max_deg: float
    height_min_m: float
    height_max_m: float
    height_mean_m: float
    void_count: int
    voids_filled: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return asdict(self)


def dem_summary(dem: xr.DataArray) -> DemSummary:
    """Size, resolution, CRS, bounds (x/y and latitude), height range and voids of a DEM."""
    from lupex.terrain.projection import xy_to_latlon

    check_dem(dem)
    res = float(dem.attrs.get("res_m", float(dem["x"][1] - dem["x"][0])))
    x = dem["x"].values
    y = dem["y"].values
    x_min, x_max = float(x.min() - res / 2), float(x.max() + res / 2)
    y_min, y_max = float(y.min() - res / 2), float(y.max() + res / 2)
    # latitude range over the footprint: farthest corner and closest point to the pole
    corners_x = np.array([x_min, x_min, x_max, x_max])
    corners_y = np.array([y_min, y_max, y_min, y_max])
    lat_corners, _ = xy_to_latlon(corners_x, corners_y)
    near_x = np.clip(0.0, x_min, x_max)
    near_y = np.clip(0.0, y_min, y_max)
    lat_near, _ = xy_to_latlon(near_x, near_y)
    values = np.asarray(dem.values, dtype=np.float64)
    return DemSummary(
        source=str(dem.attrs.get("source", "")),
        n_rows=int(values.shape[0]),
        n_cols=int(values.shape[1]),
        res_m=res,
        crs_name=str(dem.attrs.get("crs_name", CRS.from_user_input(dem.attrs["crs"]).name)),
        x_min_m=x_min,
        x_max_m=x_max,
        y_min_m=y_min,
        y_max_m=y_max,
        lat_min_deg=float(np.min(lat_near)),
        lat_max_deg=float(np.max(lat_corners)),
        height_min_m=float(np.nanmin(values)),
        height_max_m=float(np.nanmax(values)),
        height_mean_m=float(np.nanmean(values)),
        void_count=int(dem.attrs.get("void_count", int(np.isnan(values).sum()))),
        voids_filled=bool(dem.attrs.get("voids_filled", False)),
    )


BUILTIN_NAMES = tuple(sorted(BUILTIN_DEMS))
