"""Terrain derivatives of a lupex DEM: slope, aspect and roughness (DataArray in, DataArray out)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from lupex.errors import InputError
from lupex.terrain.dem import check_dem
from lupex.terrain.projection import scale_factor

__all__ = ["aspect_deg", "gradient", "roughness_m", "slope_deg"]


def _horn_gradient(z: NDArray[np.float64], res: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Horn (1981) 3x3 gradient dz/dx, dz/dy [m/m] with edge replication (as ``gdaldem -compute_edges``).

    ``dz/dy`` is toward +y (north-up rows, so row index increases toward -y).
    """
    p = np.pad(z, 1, mode="edge")
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * res)
    dzdy = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * res)
    return dzdx, dzdy


def gradient(dem: xr.DataArray, *, true_scale: bool = True) -> tuple[xr.DataArray, xr.DataArray]:
    """Height gradient along grid +x and +y [m/m] (Horn 1981 3x3 operator).

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM (see :func:`lupex.terrain.check_dem`).
    true_scale : bool, default True
        Divide grid distances by the stereographic scale factor so the gradient is per metre of ground
        (k = 1.0027 at 84 S: a 0.3 % effect). ``False`` reproduces ``gdaldem`` on the grid.
    """
    check_dem(dem)
    z = np.asarray(dem.values, dtype=np.float64)
    dzdx, dzdy = _horn_gradient(z, float(dem.attrs["res_m"]))
    if true_scale:
        xx, yy = np.meshgrid(dem["x"].values, dem["y"].values)
        k = scale_factor(xx, yy)
        dzdx, dzdy = dzdx * k, dzdy * k
    coords = {"y": dem["y"], "x": dem["x"]}
    attrs = {key: dem.attrs[key] for key in ("crs", "res_m") if key in dem.attrs}
    return (
        xr.DataArray(dzdx, dims=("y", "x"), coords=coords, name="dzdx", attrs={**attrs, "units": "m/m"}),
        xr.DataArray(dzdy, dims=("y", "x"), coords=coords, name="dzdy", attrs={**attrs, "units": "m/m"}),
    )


def slope_deg(dem: xr.DataArray, *, true_scale: bool = True) -> xr.DataArray:
    """Terrain slope [deg], 0 = level, from the Horn (1981) gradient (GDAL's default).

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM, heights [m].
    true_scale : bool, default True
        See :func:`gradient`.

    Returns
    -------
    xarray.DataArray
        ``slope_deg`` on the DEM grid.
    """
    dzdx, dzdy = gradient(dem, true_scale=true_scale)
    out = np.degrees(np.arctan(np.hypot(dzdx.values, dzdy.values)))
    return xr.DataArray(
        out,
        dims=("y", "x"),
        coords=dzdx.coords,
        name="slope_deg",
        attrs={**{k: v for k, v in dzdx.attrs.items() if k != "units"}, "units": "deg"},
    )


def aspect_deg(
    dem: xr.DataArray, *, reference: Literal["local", "grid"] = "local", true_scale: bool = True
) -> xr.DataArray:
    """Direction the slope faces (downhill), clockwise from north [deg]; NaN on level cells.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM, heights [m].
    reference : {"local", "grid"}, default "local"
        ``"local"`` measures from local geographic north (toward increasing latitude); ``"grid"`` from
        grid north (+y). They differ by the cell's longitude: ``local = grid - lon``.
    true_scale : bool, default True
        See :func:`gradient` (does not change the aspect; kept for symmetry).
    """
    if reference not in ("local", "grid"):
        raise InputError(f"reference {reference!r} is not accepted; use 'local' or 'grid'")
    dzdx, dzdy = gradient(dem, true_scale=true_scale)
    gx, gy = dzdx.values, dzdy.values
    grid = np.mod(np.degrees(np.arctan2(-gx, -gy)), 360.0)
    grid = np.where((gx == 0.0) & (gy == 0.0), np.nan, grid)
    if reference == "local":
        xx, yy = np.meshgrid(dem["x"].values, dem["y"].values)
        grid = np.mod(grid - np.degrees(np.arctan2(xx, yy)), 360.0)
    return xr.DataArray(
        grid,
        dims=("y", "x"),
        coords=dzdx.coords,
        name="aspect_deg",
        attrs={"crs": dem.attrs.get("crs"), "units": "deg", "azimuth_reference": reference},
    )


def _box_sum(a: NDArray[np.float64], half: int) -> NDArray[np.float64]:
    """Sum over a (2 half + 1)^2 window, edges replicated."""
    p = np.pad(a, half, mode="edge")
    c = np.cumsum(np.cumsum(p, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    w = 2 * half + 1
    return c[w:, w:] - c[:-w, w:] - c[w:, :-w] + c[:-w, :-w]


def roughness_m(dem: xr.DataArray, baseline_m: float) -> xr.DataArray:
    """RMS height deviation from the best-fit plane over a square window of side ``baseline_m`` [m].

    The window is the odd number of cells closest to ``baseline_m / res`` (at least 3). Tilt is removed,
    so a uniform slope has zero roughness; the value is the standard deviation of the plane-fit residuals.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM, heights [m].
    baseline_m : float
        Window side [m], at least 3 pixels.
    """
    check_dem(dem)
    res = float(dem.attrs["res_m"])
    if not (np.isfinite(baseline_m) and baseline_m >= 2.5 * res):
        raise InputError(f"baseline_m {baseline_m!r} must be at least 3 pixels ({3 * res:g} m) for this DEM")
    half = max(1, round((baseline_m / res - 1.0) / 2.0))
    z = np.asarray(dem.values, dtype=np.float64)
    z = z - np.nanmean(z)  # conditioning
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    n = (2 * half + 1) ** 2
    sxx = float(np.sum(offsets**2)) * (2 * half + 1)  # sum of column offsets^2 over the window
    ny, nx = z.shape
    # window moments via shifted sums; x offset = column offset, y offset = row offset
    cols = np.broadcast_to(np.arange(nx, dtype=np.float64), (ny, nx))
    rows = np.broadcast_to(np.arange(ny, dtype=np.float64)[:, None], (ny, nx))
    s_z = _box_sum(z, half)
    s_zz = _box_sum(z * z, half)
    s_zc = _box_sum(z * cols, half) - cols * s_z
    s_zr = _box_sum(z * rows, half) - rows * s_z
    interior = np.zeros((ny, nx), dtype=bool)
    interior[half : ny - half, half : nx - half] = True
    mean = s_z / n
    var = s_zz / n - mean**2 - (s_zc**2 + s_zr**2) / (sxx * n)
    out = np.sqrt(np.clip(var, 0.0, None))
    out = np.where(interior, out, np.nan)  # edge windows are incomplete
    return xr.DataArray(
        out,
        dims=("y", "x"),
        coords={"y": dem["y"], "x": dem["x"]},
        name="roughness_m",
        attrs={"crs": dem.attrs.get("crs"), "units": "m", "baseline_m": (2 * half + 1) * res},
    )
