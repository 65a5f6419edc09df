"""Map tiles of the lunar south pole: an OGC TileMatrixSet, hillshade base tiles and run-layer tiles.

The tile matrix set (:func:`lunar_tms`) is a custom OGC TileMatrixSet built with ``morecantile`` in the lunar
south polar stereographic grid (``IAU_2015:30135``: sphere R = 1737400 m, origin and true scale at the pole,
no false easting/northing, x/y in metres). Its square extent, x and y in [-458752, 458752] m, covers the cap to
75 S; tiles are 256 px, zoom 0 has 3584 m cells (one tile for the whole cap) and each zoom halves them, to
3.5 m at zoom 10. planetcantile's ``MoonSouthPolarSphere`` does not fit: it has a 200 km false easting (its
x are not the x of lupex's rasters) and its extent stops at 80.7 S, short of the far-field DEM.

Tiles are cut from arrays held in memory with numpy index arithmetic (nearest cell), with no file I/O per
request: the three bundled DEMs are read and hillshaded once per process, and a run's GeoTIFF layers are read
whole once (through :mod:`lupex.io.raster_tiles`) and kept while the file is unchanged. rio-tiler was not
used: its reads go through GDAL warping per tile (slower than an array slice for rasters of a few million
cells, which all of lupex's are) and it adds a dependency tree (rio-tiler, cachetools, attrs, httpx ...) for
no gain here. Rendered PNGs (Pillow, which matplotlib already requires) are kept in a bounded LRU cache.
"""

from __future__ import annotations

import functools
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
from numpy.typing import NDArray
from pyproj import CRS

from lupex.constants import SOUTH_POLAR_STEREOGRAPHIC_PROJ
from lupex.errors import InputError
from lupex.io.files import file_fingerprint
from lupex.io.raster_tiles import RasterGrid, read_raster_grid
from lupex.io.tables import is_file, read_text
from lupex.reporting import hillshade
from lupex.terrain import builtin_dem, latlon_to_xy

__all__ = [
    "HALF_EXTENT_M",
    "MAX_ZOOM",
    "TILE_CACHE",
    "TILE_PX",
    "TMS_ID",
    "TileCache",
    "base_source_for",
    "base_tile_png",
    "cached_base_tile",
    "dem_height_at",
    "layer_tile_png",
    "layer_value_at",
    "lunar_tms",
    "point_xy",
    "run_layers",
    "tile_bounds_m",
    "tms_json",
    "value_at",
]

#: Identifier of the tile matrix set.
TMS_ID = "LunarSouthPolarStereographic"
#: Half the side of the square extent [m] (the 75 S circle has radius 457.46 km).
HALF_EXTENT_M = 458752.0
#: Tile side [px].
TILE_PX = 256
#: Deepest zoom (3.5 m cells).
MAX_ZOOM = 10
#: Northernmost latitude of the bundled terrain [deg].
CAP_EDGE_LAT_DEG = -75.0
#: Bundled DEMs, coarsest first (finer ones are drawn over coarser ones).
BASE_DEMS = ("far_field_1787m", "south_pole_240m", "connecting_ridge_10m")
#: A DEM finer than a tile's cell by more than this factor is not drawn on it (it would only alias).
_MAX_DECIMATION = 8.0
_SHADE_MIN, _SHADE_MAX = -0.2, 1.0


class TileCache:
    """A thread-safe LRU cache of rendered tiles (PNG bytes) keyed by (source, z, x, y)."""

    def __init__(self, maxsize: int = 2048) -> None:
        self.maxsize = int(maxsize)
        self._data: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """The cached tile, or None (a hit becomes the most recent entry)."""
        with self._lock:
            png = self._data.get(key)
            if png is not None:
                self._data.move_to_end(key)
            return png

    def put(self, key: Hashable, png: bytes) -> None:
        """Store a tile, dropping the least recently used beyond ``maxsize``."""
        with self._lock:
            self._data[key] = png
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()


#: The process's tile cache.
TILE_CACHE = TileCache()


@functools.cache
def lunar_tms() -> morecantile.TileMatrixSet:
    """The ``LunarSouthPolarStereographic`` tile matrix set (zooms 0-10, 256 px tiles, 3584 m cells at zoom 0)."""
    return morecantile.TileMatrixSet.custom(
        [-HALF_EXTENT_M, -HALF_EXTENT_M, HALF_EXTENT_M, HALF_EXTENT_M],
        CRS.from_proj4(SOUTH_POLAR_STEREOGRAPHIC_PROJ),
        tile_width=TILE_PX,
        tile_height=TILE_PX,
        minzoom=0,
        maxzoom=MAX_ZOOM,
        id=TMS_ID,
        title="Lunar south polar stereographic (IAU_2015:30135), cap to 75 S",
    )


def tms_json() -> dict[str, Any]:
    """The tile matrix set as OGC TileMatrixSet 2.0 JSON (``crs`` as the IAU code lupex's rasters carry)."""
    doc: dict[str, Any] = lunar_tms().model_dump(mode="json", exclude_none=True)
    doc["crs"] = {"uri": "http://www.opengis.net/def/crs/IAU/2015/30135"}
    return doc


def tile_bounds_m(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) [m] of tile ``z/x/y`` (row ``y`` counted down from the top, +y grid north).

    Raises
    ------
    InputError
        ``z`` outside 0..10, or ``x`` / ``y`` outside 0..2**z - 1.
    """
    if not 0 <= z <= MAX_ZOOM:
        raise InputError(f"zoom z={z} is outside 0..{MAX_ZOOM} of the {TMS_ID} tile matrix set")
    n = 1 << z
    for axis, value in (("x", x), ("y", y)):
        if not 0 <= value < n:
            raise InputError(f"tile {axis}={value} is outside 0..{n - 1} at zoom {z} of {TMS_ID}")
    side = 2.0 * HALF_EXTENT_M / n
    xmin = -HALF_EXTENT_M + x * side
    ymax = HALF_EXTENT_M - y * side
    return xmin, ymax - side, xmin + side, ymax


def _pixel_centres(z: int, x: int, y: int) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """x of the tile's pixel columns, y of its rows (top first) [m], and the pixel size [m]."""
    xmin, _, _, ymax = tile_bounds_m(z, x, y)
    cell = 2.0 * HALF_EXTENT_M / ((1 << z) * TILE_PX)
    centres = (np.arange(TILE_PX, dtype=np.float64) + 0.5) * cell
    return np.asarray(xmin + centres, dtype=np.float64), np.asarray(ymax - centres, dtype=np.float64), cell


def _sample(grid: RasterGrid, xs: NDArray[np.float64], ys: NDArray[np.float64]) -> NDArray[np.float32]:
    """Nearest-cell values of ``grid`` on the outer product of rows ``ys`` and columns ``xs`` (NaN outside)."""
    rows, cols = grid.values.shape
    c = np.floor((xs - grid.left_m) / grid.res_m).astype(np.int64)
    r = np.floor((grid.top_m - ys) / grid.res_m).astype(np.int64)
    c_ok, r_ok = (c >= 0) & (c < cols), (r >= 0) & (r < rows)
    out = grid.values[np.ix_(np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1))].copy()
    out[~r_ok, :] = np.nan
    out[:, ~c_ok] = np.nan
    return out


def _overlaps(grid: RasterGrid, bounds: tuple[float, float, float, float]) -> bool:
    gx0, gy0, gx1, gy1 = grid.bounds_m
    return bounds[0] < gx1 and gx0 < bounds[2] and bounds[1] < gy1 and gy0 < bounds[3]


def _grid_of(dem: Any, values: NDArray[np.floating[Any]]) -> RasterGrid:
    res = float(dem.attrs["res_m"])
    x, y = dem["x"].values, dem["y"].values
    return RasterGrid(np.asarray(values, dtype=np.float32), float(x[0]) - res / 2, float(y[0]) + res / 2, res)


@functools.cache
def _dem_grids() -> dict[str, tuple[RasterGrid, RasterGrid]]:
    """Bundled DEM name -> (heights [m], hillshade [-]) grids, coarsest first (read once per process)."""
    out = {}
    for name in BASE_DEMS:
        dem = builtin_dem(name)
        z = np.asarray(dem.values, dtype=np.float64)
        out[name] = (_grid_of(dem, z), _grid_of(dem, hillshade(z, float(dem.attrs["res_m"]))))
    return out


def _drawn_dems(z: int, x: int, y: int) -> list[str]:
    """The bundled DEMs drawn on a tile, coarsest first (overlapping it, and not much finer than its pixels)."""
    bounds = tile_bounds_m(z, x, y)
    cell = 2.0 * HALF_EXTENT_M / ((1 << z) * TILE_PX)
    grids = _dem_grids()
    names = [n for n in BASE_DEMS if _overlaps(grids[n][0], bounds)]
    names = [n for i, n in enumerate(names) if i == 0 or grids[n][0].res_m * _MAX_DECIMATION >= cell]
    for i in range(len(names) - 1, 0, -1):  # coarser DEMs under one that covers the whole tile are never seen
        gx0, gy0, gx1, gy1 = grids[names[i]][0].bounds_m
        if gx0 <= bounds[0] and gy0 <= bounds[1] and bounds[2] <= gx1 and bounds[3] <= gy1:
            return names[i:]
    return names


def base_source_for(z: int, x: int, y: int) -> str | None:
    """Name of the finest bundled DEM drawn on base tile ``z/x/y`` (None where no DEM reaches the tile)."""
    drawn = _drawn_dems(z, x, y)
    return drawn[-1] if drawn else None


def _png(pixels: NDArray[np.uint8], mode: str) -> bytes:
    """PNG bytes of a (rows, cols[, bands]) uint8 image in PIL ``mode`` ("L", "LA" or "RGBA"), fast deflate."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def cached_base_tile(z: int, x: int, y: int) -> bytes | None:
    """Base tile ``z/x/y`` if it is in :data:`TILE_CACHE` (no rendering; cheap enough for the event loop)."""
    return TILE_CACHE.get(("base", z, x, y))


def warm_base_tiles() -> None:
    """Load and hillshade the bundled DEMs now (what the first base tile of a process would otherwise wait for)."""
    _dem_grids()


def dems_loaded() -> bool:
    """Whether the bundled DEMs are loaded and hillshaded (after the first base tile of the process)."""
    return _dem_grids.cache_info().currsize > 0


def base_tile_png(z: int, x: int, y: int) -> bytes:
    """A 256 x 256 grey hillshade tile (Sun from grid north-west, 45 deg up) of the bundled terrain, as PNG.

    Each pixel takes the finest drawn DEM with data there (coarser DEMs fill around finer ones); pixels outside
    every DEM are transparent. Rendered tiles are cached in :data:`TILE_CACHE`.

    Raises
    ------
    InputError
        Tile outside the tile matrix set.
    """
    key = ("base", z, x, y)
    cached = TILE_CACHE.get(key)
    if cached is not None:
        return cached
    xs, ys, _ = _pixel_centres(z, x, y)
    shade = np.full((TILE_PX, TILE_PX), np.nan, dtype=np.float32)
    grids = _dem_grids()
    for i, name in enumerate(_drawn_dems(z, x, y)):
        s = _sample(grids[name][1], xs, ys)
        shade = s if i == 0 else np.where(np.isfinite(s), s, shade)
    ok = np.isfinite(shade)
    grey = (np.clip((np.nan_to_num(shade) - _SHADE_MIN) / (_SHADE_MAX - _SHADE_MIN), 0.0, 1.0) * 255.0).astype(np.uint8)
    if ok.all():  # grey only: a quarter of the bytes of RGBA to deflate
        png = _png(grey, "L")
    else:
        png = _png(np.dstack([grey, np.where(ok, 255, 0).astype(np.uint8)]), "LA")
    TILE_CACHE.put(key, png)
    return png


@functools.lru_cache(maxsize=32)
def _lut(cmap: str) -> NDArray[np.uint8]:
    """256 RGBA colours of a matplotlib colour map."""
    from matplotlib import colormaps

    if cmap not in colormaps:
        raise InputError(f"unknown colour map {cmap!r}; use a matplotlib colour map name")
    return np.asarray(np.round(colormaps[cmap](np.linspace(0.0, 1.0, 256)) * 255.0), dtype=np.uint8)


@functools.lru_cache(maxsize=32)
def _layer_grid(fingerprint: tuple[str, int, int]) -> RasterGrid:
    """A run layer read once per file version (``fingerprint`` from :func:`lupex.io.files.file_fingerprint`)."""
    return read_raster_grid(fingerprint[0])


def _grid(path: str | Path) -> RasterGrid:
    return _layer_grid(file_fingerprint(path))


def layer_tile_png(
    path_tif: str | Path, z: int, x: int, y: int, cmap: str, vmin: float, vmax: float, alpha: float = 1.0
) -> bytes:
    """A 256 x 256 tile of a run's GeoTIFF layer in a colour map, as PNG (transparent where NaN or outside).

    Parameters
    ----------
    path_tif : path
        The layer's GeoTIFF (lunar south polar stereographic grid).
    z, x, y : int
        Tile in :func:`lunar_tms`.
    cmap : str
        Matplotlib colour map name.
    vmin, vmax : float
        Values drawn at the ends of the colour map, in the layer's unit.
    alpha : float
        Opacity of pixels with data [0-1].
    """
    fingerprint = file_fingerprint(path_tif)
    key = (("layer", fingerprint, cmap, float(vmin), float(vmax), float(alpha)), z, x, y)
    cached = TILE_CACHE.get(key)
    if cached is not None:
        return cached
    xs, ys, _ = _pixel_centres(z, x, y)
    grid = _layer_grid(fingerprint)
    if _overlaps(grid, tile_bounds_m(z, x, y)):
        v = _sample(grid, xs, ys)
    else:
        v = np.full((TILE_PX, TILE_PX), np.nan, dtype=np.float32)
    span = max(float(vmax) - float(vmin), 1e-12)
    idx = (np.clip((np.nan_to_num(v, nan=float(vmin)) - float(vmin)) / span, 0.0, 1.0) * 255.0).astype(np.uint8)
    rgba = _lut(cmap)[idx]
    rgba[..., 3] = np.where(np.isfinite(v), np.uint8(round(255 * min(max(alpha, 0.0), 1.0))), 0)
    png = _png(rgba, "RGBA")
    TILE_CACHE.put(key, png)
    return png


def point_xy(lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """Grid x, y [m] of a point of the bundled terrain's cap (latitude -90..-75, any finite east longitude).

    Raises
    ------
    InputError
        Non-finite input or a latitude outside the cap.
    """
    if not (math.isfinite(lat_deg) and -90.0 <= lat_deg <= CAP_EDGE_LAT_DEG):
        raise InputError(
            f"lat={lat_deg} is outside the bundled terrain (lat must be between -90 and {CAP_EDGE_LAT_DEG:g} deg)"
        )
    if not math.isfinite(lon_deg):
        raise InputError(f"lon={lon_deg} is not a finite east longitude [deg]")
    x, y = latlon_to_xy(lat_deg, lon_deg)
    return float(x), float(y)


def _value(grid: RasterGrid, x_m: float, y_m: float) -> float | None:
    v = float(_sample(grid, np.array([x_m]), np.array([y_m]))[0, 0])
    return v if math.isfinite(v) else None


def dem_height_at(x_m: float, y_m: float) -> tuple[float | None, str | None]:
    """Height [m] at grid point ``x_m, y_m`` from the finest bundled DEM covering it, and that DEM's name."""
    for name in reversed(BASE_DEMS):
        h = _value(_dem_grids()[name][0], x_m, y_m)
        if h is not None:
            return h, name
    return None, None


def layer_value_at(path_tif: str | Path, x_m: float, y_m: float) -> float | None:
    """Value of a GeoTIFF layer in the cell containing grid point ``x_m, y_m`` [m] (None where NaN or outside)."""
    return _value(_grid(path_tif), x_m, y_m)


def run_layers(run_folder: str | Path) -> list[dict[str, Any]]:
    """The layer records of a run's ``web/layers.json``, each with ``path``: its GeoTIFF, or None.

    The GeoTIFF is the record's ``tif`` (relative to the run folder; runs written before it existed have none);
    a ``tif`` that is absolute, leaves the run folder or is missing counts as none.
    """
    folder = Path(run_folder)
    manifest = json.loads(read_text(folder / "web" / "layers.json"))
    out = []
    for record in manifest.get("layers", []):
        rel = str(record.get("tif", ""))
        parts = Path(rel).parts
        ok = rel.endswith(".tif") and not Path(rel).is_absolute() and ".." not in parts and is_file(folder / rel)
        out.append({**record, "path": folder / rel if ok else None})
    return out


def value_at(run_folder: str | Path, lat_deg: float, lon_deg: float) -> dict[str, Any]:
    """Terrain height and every layer's value of a run at a point.

    Parameters
    ----------
    run_folder : path
        A run folder (with ``web/layers.json``).
    lat_deg, lon_deg : float
        Planetocentric latitude (-90..-75) and east longitude [deg].

    Returns
    -------
    dict
        ``lat_deg``, ``lon_deg``, ``x_m``, ``y_m`` (grid [m]), ``height_m`` (finest bundled DEM there, None
        outside them), ``dem`` (its name) and ``layers``: ``{name, title, value, unit}`` per layer (``value``
        None where the layer has no data there or no GeoTIFF).

    Raises
    ------
    InputError
        A point outside the cap, or outside every DEM and layer.
    """
    x_m, y_m = point_xy(lat_deg, lon_deg)
    height, dem = dem_height_at(x_m, y_m)
    layers = []
    for record in run_layers(run_folder):
        value = layer_value_at(record["path"], x_m, y_m) if record["path"] is not None else None
        layers.append({"name": record.get("name"), "title": record.get("title"), "value": value,
                       "unit": record.get("unit", "")})  # fmt: skip
    if height is None and all(r["value"] is None for r in layers):
        raise InputError(
            f"lat={lat_deg}, lon={lon_deg} is outside the bundled terrain "
            f"(lat must be between -90 and {CAP_EDGE_LAT_DEG:g} deg) and every layer of this run"
        )
    return {"lat_deg": lat_deg, "lon_deg": lon_deg, "x_m": x_m, "y_m": y_m, "height_m": height, "dem": dem,
            "layers": layers}  # fmt: skip
