"""Maps written tile by tile into a Zarr store (via xarray), atomically, and converted to GeoTIFFs at the end.

The store is built in a temporary folder next to the target (:func:`lupex.io.atomic.atomic_write_dir`) and put in
place only when every tile is written, so an interrupted run leaves the previous store untouched (and a temporary
folder the next run's clean-up removes). Each layer is a 2-D ``(y, x)`` array chunked by the tile size, so a tile
is exactly the chunks it covers and tiles can be written in any order.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lupex.errors import DataNotFoundError, InputError
from lupex.io.atomic import atomic_write_dir, clean_stale_temp_files
from lupex.io.dem import write_geotiff

__all__ = ["LayerSpec", "ZarrTileWriter", "open_tiled_store", "tiled_store", "zarr_to_geotiffs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerSpec:
    """One 2-D layer of a tiled store: its dtype, the fill value of cells not (yet) written, and its attrs."""

    dtype: str
    fill: float
    attrs: Mapping[str, Any]


class ZarrTileWriter:
    """Writes the tiles of 2-D layers into a Zarr store being built (see :func:`tiled_store`)."""

    def __init__(self, folder: Path, y_m: np.ndarray, x_m: np.ndarray, layers: Mapping[str, LayerSpec]) -> None:
        self.folder = folder
        self._y = y_m
        self._x = x_m
        self._layers = dict(layers)
        self.tiles_written = 0

    def write(self, i0: int, j0: int, values: Mapping[str, np.ndarray]) -> None:
        """Write the arrays of one tile whose upper-left cell is row ``i0``, column ``j0``.

        Raises
        ------
        InputError
            A layer is missing or unknown, or the tile does not fit in the grid.
        """
        if set(values) != set(self._layers):
            raise InputError(f"a tile must give the layers {sorted(self._layers)}, not {sorted(values)}")
        shapes = {np.shape(v) for v in values.values()}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise InputError("every layer of a tile must be a 2-D array of the same shape")
        ny, nx = next(iter(shapes))
        if not (0 <= i0 and 0 <= j0 and i0 + ny <= self._y.size and j0 + nx <= self._x.size):
            raise InputError(f"tile at ({i0}, {j0}) of {ny} x {nx} cells lies outside the {self._y.size} x "
                             f"{self._x.size} grid")  # fmt: skip
        ys, xs = slice(i0, i0 + ny), slice(j0, j0 + nx)
        ds = xr.Dataset(
            {k: (("y", "x"), np.asarray(v, dtype=self._layers[k].dtype)) for k, v in values.items()},
            coords={"y": self._y[ys], "x": self._x[xs]},
        )
        ds.drop_vars(["y", "x"]).to_zarr(self.folder, region={"y": ys, "x": xs}, mode="r+")
        self.tiles_written += 1

    def set_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Add dataset attributes (JSON-serialisable values) once the tiles are written."""
        import zarr

        group = zarr.open_group(str(self.folder), mode="r+")
        group.attrs.update({k: _json_value(v) for k, v in attrs.items()})
        zarr.consolidate_metadata(str(self.folder))


def _json_value(value: Any) -> Any:
    """``value`` with numpy scalars and strings made plain Python (attributes are stored as JSON)."""
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


@contextlib.contextmanager
def tiled_store(
    path: str | os.PathLike[str],
    y_m: np.ndarray,
    x_m: np.ndarray,
    layers: Mapping[str, LayerSpec],
    chunk_px: int,
    attrs: Mapping[str, Any] | None = None,
) -> Iterator[ZarrTileWriter]:
    """A Zarr store at ``path`` (a folder, replaced atomically when the ``with`` block ends without error).

    Parameters
    ----------
    path : path-like
        The store, e.g. ``out/terrain.zarr``.
    y_m, x_m : ndarray
        Cell-centre coordinates of the grid [m] (lupex south polar stereographic).
    layers : mapping of str -> LayerSpec
        The 2-D layers, created filled with their ``fill`` value.
    chunk_px : int
        Chunk side [cells]: the tile size, so that no two tiles share a chunk.
    attrs : mapping, optional
        Dataset attributes (CRS, period, parameters); JSON-serialisable values.

    Yields
    ------
    ZarrTileWriter
    """
    import dask.array as da

    target = Path(path)
    clean_stale_temp_files(target.parent if target.parent != Path("") else Path("."))
    y = np.asarray(y_m, dtype=np.float64)
    x = np.asarray(x_m, dtype=np.float64)
    chunks = (min(int(chunk_px), y.size), min(int(chunk_px), x.size))
    with atomic_write_dir(target) as tmp:
        template = xr.Dataset(
            {
                name: (
                    ("y", "x"),
                    da.full((y.size, x.size), spec.fill, dtype=spec.dtype, chunks=chunks),
                    dict(spec.attrs),
                )
                for name, spec in layers.items()
            },
            coords={"y": ("y", y, {"units": "m"}), "x": ("x", x, {"units": "m"})},
            attrs=dict(attrs or {}),
        )
        encoding = {name: {"chunks": chunks} for name in layers}
        # Zarr format 2: consolidated metadata is part of it, and GDAL / QGIS read it
        template.to_zarr(tmp, mode="w", compute=False, encoding=encoding, consolidated=True, zarr_format=2)
        writer = ZarrTileWriter(tmp, y, x, layers)
        yield writer
        log.info("tiled store %s: %d tiles written", target, writer.tiles_written)


def open_tiled_store(path: str | os.PathLike[str]) -> xr.Dataset:
    """The layers of a store written by :func:`tiled_store` (lazy, chunked by tile)."""
    folder = Path(path)
    if not folder.is_dir():
        raise DataNotFoundError(f"no Zarr store at {str(folder)!r}; run the tiled products first")
    return xr.open_zarr(folder, consolidated=True)


def zarr_to_geotiffs(
    path: str | os.PathLike[str], out_dir: str | os.PathLike[str], names: list[str] | None = None
) -> list[Path]:
    """Write layers of a tiled store as Cloud-Optimised GeoTIFFs (``NAME.tif`` in ``out_dir``), for QGIS and GDAL.

    Each layer is read whole (one 2-D layer: 4 bytes per cell for float32) and written atomically.
    """
    ds = open_tiled_store(path)
    crs = ds.attrs.get("crs")
    written = []
    for name in names or [str(v) for v in ds.data_vars]:
        if name not in ds:
            raise InputError(
                f"layer {name!r} is not in {str(path)!r}; it holds {', '.join(str(v) for v in ds.data_vars)}"
            )
        layer = ds[name].load()
        layer.attrs["crs"] = crs
        written.append(write_geotiff(layer, Path(out_dir) / f"{name}.tif"))
    return written
