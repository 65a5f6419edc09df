"""Reading a run's single-band GeoTIFF layers whole, for the dashboard's map tiles and point queries.

The run layers are small (at most a few million cells), so the web layer reads each file once into memory
(:func:`read_raster_grid`) and cuts tiles and point values from the array; no per-request file I/O.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS

from lupex.errors import DataNotFoundError, DemError
from lupex.io.dem import check_grid_crs
from lupex.io.pds3 import MAX_DEM_CELLS

__all__ = ["RasterGrid", "read_raster_grid"]


@dataclass(frozen=True)
class RasterGrid:
    """A north-up raster on the lunar south polar stereographic grid, held in memory.

    Attributes
    ----------
    values : numpy.ndarray
        float32 values, rows from top (largest y) to bottom; nodata is NaN.
    left_m, top_m : float
        x of the left edge and y of the top edge of the grid [m].
    res_m : float
        Cell size [m] (square cells).
    """

    values: NDArray[np.float32]
    left_m: float
    top_m: float
    res_m: float

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the grid's outer edges [m]."""
        rows, cols = self.values.shape
        return (self.left_m, self.top_m - rows * self.res_m, self.left_m + cols * self.res_m, self.top_m)


def read_raster_grid(path: str | os.PathLike[str], max_cells: int = MAX_DEM_CELLS) -> RasterGrid:
    """Read band 1 of a GeoTIFF in the lunar south polar stereographic grid (nodata and masked cells -> NaN).

    Parameters
    ----------
    path : path-like
        A single-band GeoTIFF (e.g. a run's ``web/<layer>.tif``).
    max_cells : int
        Largest raster accepted (checked before reading).

    Returns
    -------
    RasterGrid

    Raises
    ------
    DataNotFoundError
        Missing or unreadable file.
    DemError
        Not in the polar stereographic grid, rotated, not north-up, non-square cells or too large.
    """
    import rasterio
    from rasterio.errors import RasterioError

    p = Path(path)
    try:
        with rasterio.open(p) as src:
            if src.width * src.height > max_cells:
                raise DemError(f"raster {str(p)!r} has {src.width} x {src.height} cells, more than {max_cells:,}")
            band = src.read(1, masked=True)
            t = src.transform
            crs = CRS.from_wkt(src.crs.to_wkt()) if src.crs else None
    except RasterioError as err:
        raise DataNotFoundError(f"cannot read raster {str(p)!r}: {' '.join(str(err).split())}") from err
    check_grid_crs(crs, f"raster {str(p)!r}")
    if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0 or not np.isclose(t.a, -t.e, rtol=1e-9, atol=0):
        raise DemError(f"raster {str(p)!r} is not a north-up grid of square cells; warp it first")
    values = np.ma.filled(band.astype(np.float32), np.nan)
    return RasterGrid(values=values, left_m=float(t.c), top_m=float(t.f), res_m=float(t.a))
