"""Reading and writing DEM rasters (GeoTIFF through rasterio, PDS3 IMG/LBL through :mod:`lupex.io.pds3`).

A DEM in lupex is an :class:`xarray.DataArray` with dims ``("y", "x")``, heights in metres above the
1737.4 km reference sphere, cell-centre coordinates in metres of the lunar south polar stereographic
grid (IAU_2015:30135), ``y`` decreasing down the rows (north-up, +y toward longitude 0), and attrs:

``crs`` (WKT), ``crs_name``, ``units`` (``"m"``), ``res_m`` (pixel size), ``void_count`` (cells that were
NaN or nodata in the file), ``voids_filled`` (bool), ``source`` (path or ``builtin:NAME``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from lupex.constants import MOON_RADIUS_M, SOUTH_POLAR_STEREOGRAPHIC_CRS, SOUTH_POLAR_STEREOGRAPHIC_PROJ
from lupex.core.fill import fill_voids
from lupex.errors import DataNotFoundError, DemError, InputError
from lupex.io.atomic import atomic_write_path
from lupex.io.pds3 import MAX_DEM_CELLS, read_pds3

log = logging.getLogger(__name__)

#: Bundled DEMs: name -> (file in lupex/data, one-line description).
BUILTIN_DEMS: dict[str, tuple[str, str]] = {
    "south_pole_240m": (
        "south_pole_240m.tif",
        "LOLA LDEM_75S_120M south-pole crop, 1536 x 1536 cells of 240 m, +-184.32 km around the pole",
    ),
    "connecting_ridge_10m": (
        "connecting_ridge_10m.tif",
        "PGDA Site01 Shackleton - de Gerlache connecting ridge (Barker et al. 2021), 1600 x 1600 cells of 10 m",
    ),
    "far_field_1787m": (
        "far_field_1787m.tif",
        "LOLA LDEM_75S_120M 75S cap at 1786.875 m (far-field horizons; heights faded to 0 beyond 79S)",
    ),
}

_REFERENCE_CRS = CRS.from_proj4(SOUTH_POLAR_STEREOGRAPHIC_PROJ)
_CHECK_LATLON = ((-89.0, 0.0), (-85.0, 120.0), (-80.0, 250.0))


def builtin_dem_path(name: str) -> Path:
    """Path of a bundled DEM.

    Parameters
    ----------
    name : str
        One of :data:`BUILTIN_DEMS` (``"south_pole_240m"``, ``"connecting_ridge_10m"``, ``"far_field_1787m"``).
    """
    if name not in BUILTIN_DEMS:
        raise DataNotFoundError(
            f"unknown builtin DEM {name!r}; available: {', '.join(sorted(BUILTIN_DEMS))} "
            "(use builtin:NAME on the command line)"
        )
    return Path(str(resources.files("lupex") / "data" / BUILTIN_DEMS[name][0]))


def check_grid_crs(crs: CRS | None, what: str) -> None:
    """Refuse a CRS that is not the lunar south polar stereographic grid in metres.

    Raises
    ------
    DemError
        For a missing, geographic, non-metre or different projected CRS.
    """
    check_grid_crs_text(None if crs is None else crs.to_wkt(), what)


def check_grid_crs_text(crs_text: object, what: str) -> None:
    """:func:`check_grid_crs` for a CRS as text (WKT, PROJ or an authority code, as a DEM's ``attrs["crs"]``
    holds it); the verdict is cached per text, since every DEM handed to a function is checked again.

    Raises
    ------
    DemError
        For a missing, geographic, non-metre or different projected CRS.
    """
    if not crs_text:
        raise DemError(f"{what} has no CRS; lupex needs {SOUTH_POLAR_STEREOGRAPHIC_CRS} in metres: assign or {_FIX}")
    if not isinstance(crs_text, str):  # a pyproj CRS, a PROJ JSON dict, ...: compared by its WKT
        try:
            crs_text = CRS.from_user_input(crs_text).to_wkt()
        except CRSError as err:
            raise DemError(f"{what} has a CRS that PROJ cannot read ({str(err).splitlines()[0]}); {_FIX}") from err
    problem = _grid_crs_problem(crs_text)
    if problem is not None:
        raise DemError(f"{what} {problem}")


_FIX = f"reproject it, e.g. gdalwarp -t_srs {SOUTH_POLAR_STEREOGRAPHIC_CRS} IN.tif OUT.tif"


@functools.lru_cache(maxsize=64)
def _grid_crs_problem(crs_text: str) -> str | None:
    """What is wrong with the CRS ``crs_text`` for a lupex grid (a message that follows the thing's name), or None.
    Parsing it and comparing it with the reference grid at a few points costs ~20 ms (two PROJ transformers)."""
    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError as err:
        reason = str(err).splitlines()[0]
        return f"has a CRS that PROJ cannot read ({reason}); give {SOUTH_POLAR_STEREOGRAPHIC_CRS} in metres"
    if crs.is_geographic:
        return f"uses a geographic CRS in degrees ({crs.name!r}); {_FIX}"
    if not crs.is_projected:
        return f"has CRS {crs.name!r}, which is not projected; {_FIX}"
    units = {axis.unit_name for axis in crs.axis_info}
    if units - {"metre", "meter", "m"}:
        return f"has CRS units {sorted(units)}, not metres; {_FIX}"
    try:
        to_dem = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
        to_ref = Transformer.from_crs(_REFERENCE_CRS.geodetic_crs, _REFERENCE_CRS, always_xy=True)
        for lat, lon in _CHECK_LATLON:
            xd, yd = to_dem.transform(lon, lat)
            xr_, yr_ = to_ref.transform(lon, lat)
            if not (np.isfinite(xd) and abs(xd - xr_) < 1.0 and abs(yd - yr_) < 1.0):
                return (
                    f"uses {crs.name!r}, not the lunar south polar stereographic grid "
                    f"(sphere R = {MOON_RADIUS_M:.0f} m, lat_0 = -90, lon_0 = 0); {_FIX}"
                )
    except Exception as err:  # pyproj raises several types for foreign bodies/datums
        return f"CRS {crs.name!r} cannot be compared with the lunar grid ({err}); {_FIX}"
    return None


def _build_dataarray(
    height: np.ndarray, x0: float, y0: float, res: float, crs: CRS, source: str, fill: bool, dtype: Any
) -> xr.DataArray:
    ny, nx = height.shape
    valid = np.isfinite(height)
    void_count = int(height.size - np.count_nonzero(valid))
    if void_count == height.size:
        raise DemError(f"DEM {source!r} holds no valid height (all cells are NaN or nodata); check the file")
    if void_count and fill:
        log.info("DEM %s: filling %d void cells by iterative neighbour averaging", source, void_count)
        height = fill_voids(np.asarray(height, dtype=np.float64))
    elif void_count:
        log.info("DEM %s: %d void cells kept as NaN", source, void_count)
    x = x0 + (np.arange(nx) + 0.5) * res
    y = y0 - (np.arange(ny) + 0.5) * res
    return xr.DataArray(
        np.asarray(height, dtype=dtype),
        dims=("y", "x"),
        coords={"y": y, "x": x},
        name="height_m",
        attrs={
            "crs": crs.to_wkt(),
            "crs_name": crs.name,
            "units": "m",
            "res_m": float(res),
            "void_count": void_count,
            "voids_filled": bool(fill and void_count),
            "source": source,
        },
    )


class _GdalNotes(logging.Handler):
    """Collects the warnings GDAL and rasterio emit, as logging records (rasterio's GDAL error handler) and as
    Python warnings (e.g. ``NotGeoreferencedWarning``); quieter records go on to the root logger's handlers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.logged: list[str] = []
        self.caught: list[warnings.WarningMessage] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.logged.append(record.getMessage())
        elif logging.getLogger().isEnabledFor(record.levelno):
            logging.getLogger().handle(record)

    def text(self) -> str:
        """The collected warnings, one line, without repeats ("" when none)."""
        notes = [" ".join(str(n).split()) for n in [*self.logged, *(w.message for w in self.caught)]]
        return "; ".join(dict.fromkeys(n for n in notes if n))


@contextlib.contextmanager
def _gdal_notes() -> Iterator[_GdalNotes]:
    """Capture GDAL/rasterio warnings instead of letting them print extra lines on stderr.

    :func:`read_dem` appends them to its one-line error, or logs them at debug level when it accepts the DEM.
    """
    logger = logging.getLogger("rasterio")
    notes = _GdalNotes()
    propagate = logger.propagate
    logger.addHandler(notes)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            notes.caught = caught
            yield notes
    finally:
        logger.removeHandler(notes)
        logger.propagate = propagate


def _rasterio_reason(err: Exception) -> str:
    """rasterio's message, or GDAL's (the cause) when rasterio only says "see previous exception"."""
    text = str(err)
    if "previous exception" in text and err.__cause__ is not None:
        text = str(err.__cause__)
    return " ".join(text.split()).rstrip(".")


def _read_geotiff(path: Path, max_cells: int) -> tuple[np.ndarray, float, float, float, CRS | None]:
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(path) as src:
            if src.width * src.height > max_cells:
                raise DemError(
                    f"DEM {str(path)!r} declares {src.width} x {src.height} = {src.width * src.height:,} cells, "
                    f"more than the {max_cells:,} lupex reads; crop or resample it first, "
                    "e.g. gdal_translate -srcwin or gdalwarp -tr RES RES"
                )
            if src.transform.is_identity and src.crs is None:
                raise DemError(
                    f"DEM {str(path)!r} has no georeferencing (no geotransform and no CRS); "
                    f"assign them, e.g. gdal_translate -a_srs {SOUTH_POLAR_STEREOGRAPHIC_CRS} -a_ullr ULX ULY LRX LRY"
                )
            band = src.read(1, masked=True)
            transform = src.transform
            crs = CRS.from_wkt(src.crs.to_wkt()) if src.crs else None
            scale = src.scales[0] if src.scales else 1.0
            offset = src.offsets[0] if src.offsets else 0.0
            units = (src.units[0] or "") if src.units else ""
    except RasterioError as err:
        raise DataNotFoundError(
            f"cannot read DEM {str(path)!r}: {_rasterio_reason(err)}; check the path and format"
        ) from err
    if units and units.lower() not in {"m", "metre", "meter", "metres", "meters"}:
        raise DemError(f"DEM {str(path)!r} declares height unit {units!r}; lupex needs metres: rescale it")
    if transform.b != 0 or transform.d != 0:
        raise DemError(f"DEM {str(path)!r} has a rotated grid; warp it to a north-up grid first")
    if not np.isclose(abs(transform.a), abs(transform.e), rtol=1e-9, atol=0):
        raise DemError(
            f"DEM {str(path)!r} has non-square pixels ({abs(transform.a)} x {abs(transform.e)} m); "
            "resample to square pixels, e.g. gdalwarp -tr RES RES"
        )
    if transform.a <= 0 or transform.e >= 0:
        raise DemError(f"DEM {str(path)!r} is not north-up with x increasing to the right; flip it first")
    data = band.astype(np.float64).filled(np.nan) * scale + offset
    return data, transform.c, transform.f, transform.a, crs


def _read_pds3_dem(file_path: Path, text: str, fill: bool, dtype: Any, max_cells: int) -> xr.DataArray:
    img = file_path.with_suffix(".IMG") if file_path.suffix.lower() == ".lbl" else file_path
    if not img.exists():
        img = file_path.with_suffix(".img")
    pds = read_pds3(img, max_cells=max_cells)
    if pds.unit.upper() not in {"METER", "METERS", "METRE", "M"}:
        raise DemError(f"PDS3 DEM {text!r} has UNIT {pds.unit!r}; lupex needs heights in metres")
    if "STEREOGRAPHIC" not in pds.projection_type.upper() or pds.center_lat_deg != -90.0:
        raise DemError(
            f"PDS3 DEM {text!r} uses projection {pds.projection_type!r} centred at latitude "
            f"{pds.center_lat_deg}; lupex needs the south polar stereographic grid (reproject it)"
        )
    if abs(pds.radius_m - MOON_RADIUS_M) > 1.0 or pds.center_lon_deg != 0.0:
        raise DemError(
            f"PDS3 DEM {text!r} has radius {pds.radius_m} m and centre longitude {pds.center_lon_deg}; "
            f"lupex needs R = {MOON_RADIUS_M:.0f} m and lon_0 = 0 (reproject it)"
        )
    crs = CRS.from_proj4(SOUTH_POLAR_STEREOGRAPHIC_PROJ)
    return _build_dataarray(pds.height_m, pds.x0_m, pds.y0_m, pds.res_m, crs, text, fill, dtype)


def read_dem(
    path: str | os.PathLike[str], *, fill_voids: bool = True, dtype: Any = np.float64, max_cells: int = MAX_DEM_CELLS
) -> xr.DataArray:
    """Read a DEM file into a lupex DEM :class:`xarray.DataArray`.

    Parameters
    ----------
    path : path-like or str
        GeoTIFF (or any single-band raster GDAL reads), PDS3 ``.IMG`` with its ``.LBL``, or
        ``"builtin:NAME"`` for a bundled DEM (see :data:`BUILTIN_DEMS`).
    fill_voids : bool, default True
        Fill NaN/nodata cells by iterative averaging of valid neighbours (onion peeling, see
        :func:`lupex.core.fill.fill_voids`); ``False`` keeps them as NaN. The count is in
        ``attrs["void_count"]`` either way.
    dtype : numpy dtype, default float64
        Height dtype (float32 halves the memory).
    max_cells : int, default :data:`MAX_DEM_CELLS`
        Largest raster accepted; the size the file declares is checked before anything is read.

    Returns
    -------
    xarray.DataArray
        Heights [m], dims ``(y, x)``, coordinates [m] of cell centres.

    Raises
    ------
    DataNotFoundError
        Missing or unreadable file, unknown builtin name.
    DemError
        Geographic or missing CRS, non-metre units, non-square pixels, all-NaN data, more than ``max_cells``
        cells, or a malformed PDS3 label. Warnings GDAL emitted while reading are part of the message.
    """
    text = os.fspath(path)
    if text.startswith("builtin:"):
        name = text.removeprefix("builtin:")
        file_path = builtin_dem_path(name)
        source = text
    else:
        file_path = Path(text)
        source = text
        if not file_path.exists():
            raise DataNotFoundError(f"DEM file {text!r} does not exist; give a GeoTIFF, a PDS3 IMG/LBL or builtin:NAME")
    if file_path.suffix.lower() in {".img", ".lbl"}:
        return _read_pds3_dem(file_path, source, fill_voids, dtype, max_cells)
    with _gdal_notes() as notes:
        try:
            data, x0, y0, res, file_crs = _read_geotiff(file_path, max_cells)
            check_grid_crs(file_crs, f"DEM {text!r}")
        except (DemError, DataNotFoundError) as err:
            if not notes.text():
                raise
            raise type(err)(f"{err} (GDAL warned: {notes.text()})") from err
    if notes.text():
        log.debug("DEM %s: GDAL warned: %s", text, notes.text())
    if file_crs is None:  # for type checkers; check_grid_crs raised already
        raise DemError(f"DEM {text!r} has no CRS")
    return _build_dataarray(data, x0, y0, res, file_crs, source, fill_voids, dtype)


def write_geotiff(
    array: xr.DataArray,
    path: str | os.PathLike[str],
    *,
    cloud_optimized: bool = True,
    nodata: float | None = None,
) -> Path:
    """Write a 2-D raster DataArray (dims ``y, x``, lupex grid) as a (Cloud-Optimised) GeoTIFF, atomically.

    Parameters
    ----------
    array : xarray.DataArray
        2-D raster with ``x``/``y`` cell-centre coordinates [m] and ``attrs["crs"]`` (WKT or authority code).
    path : path-like
        Output file; written to a temporary file first and renamed when complete.
    cloud_optimized : bool, default True
        Write with the GDAL COG driver (internal tiles + overviews).
    nodata : float, optional
        Nodata value to declare.
    """
    import rasterio
    from rasterio.transform import from_origin

    if array.dims != ("y", "x"):
        raise InputError(f"raster to write must have dims ('y', 'x'); got {array.dims}")
    x = array["x"].values
    y = array["y"].values
    if x.size < 2 or y.size < 2:
        raise InputError("raster to write needs at least 2 x 2 cells")
    res = float(x[1] - x[0])
    transform = from_origin(float(x[0]) - res / 2, float(y[0]) + res / 2, res, res)
    crs = array.attrs.get("crs", SOUTH_POLAR_STEREOGRAPHIC_CRS)
    data = np.asarray(array.values)
    if data.dtype == np.bool_:
        data = data.astype(np.uint8)
    target = Path(path)
    with atomic_write_path(target) as tmp:
        profile: dict[str, Any] = {
            "driver": "COG" if cloud_optimized else "GTiff",
            "width": data.shape[1],
            "height": data.shape[0],
            "count": 1,
            "dtype": data.dtype.name,
            "crs": rasterio.crs.CRS.from_user_input(crs),
            "transform": transform,
            "compress": "deflate",
        }
        if nodata is not None:
            profile["nodata"] = nodata
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data, 1)
            units = array.attrs.get("units")
            if units:
                dst.units = (str(units),)
    return target
