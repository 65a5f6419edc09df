"""The tiled terrain products of a DEM on any scheduler, written into a Zarr store chunk by chunk.

:func:`terrain_products` plans the tiles (:mod:`lupex.cluster.tiles`), sends the read-only inputs to every worker once,
runs one task per tile and writes each tile's maps as its task finishes; the store is put in place atomically when
the last tile is written. The result is the same on every scheduler (``threads``, ``local:N``, a remote cluster):
the tasks are pure functions of their inputs, so a task the cluster re-runs after losing a worker gives the same maps.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lupex.cluster.scheduler import Scheduler, SchedulerSpec
from lupex.cluster.tiles import (
    DEFAULT_HALO_PX,
    MAP_LAYERS,
    THERMAL_LAYERS,
    WHOLE_GRID_MAX_CELLS,
    ProductSettings,
    Tile,
    check_tiling,
    default_far_fields,
    plan_tiles,
    task_memory_bytes,
    terrain_tile,
    thermal_margin_px,
    tile_grids,
)
from lupex.defaults import default
from lupex.ephemeris import parse_duration_s, time_range
from lupex.errors import InputError
from lupex.illumination.horizon import check_horizon_settings
from lupex.io.zarr_store import LayerSpec, open_tiled_store, tiled_store
from lupex.terrain.dem import check_dem

__all__ = ["TerrainProducts", "terrain_products"]

log = logging.getLogger(__name__)

_LAYER_ATTRS = {
    "mean_illumination": {"units": "1", "long_name": "mean visible fraction of the solar disk"},
    "sunlit_fraction": {"units": "1", "long_name": "fraction of steps with any part of the Sun visible"},
    "psr": {"units": "1", "long_name": "permanently shadowed (1), 255 = no data"},
    "longest_darkness_h": {"units": "h", "long_name": "longest run of steps without sunlight"},
    "earth_visibility": {"units": "1", "long_name": "fraction of steps with the Earth's centre above the horizon"},
    "longest_earth_outage_h": {"units": "h", "long_name": "longest run of steps without the Earth"},
    "edge_limited": {"units": "1", "long_name": "1 where some ray left the terrain data before its reach"},
    "t_min_K": {"units": "K", "long_name": "minimum surface temperature"},
    "t_mean_K": {"units": "K", "long_name": "mean surface temperature"},
    "t_max_K": {"units": "K", "long_name": "maximum surface temperature"},
    "ice_stability_depth_m": {"units": "m", "long_name": "ice stability depth (0 = surface, NaN = none within drill)"},
    "ice_class": {"units": "1", "long_name": "0 surface ice stable, 1 buried ice stable, 2 none; 255 no data"},
}


@dataclass(frozen=True)
class TerrainProducts:
    """A finished tiled run.

    Attributes
    ----------
    store : pathlib.Path
        The Zarr store (open with :meth:`dataset`).
    n_tiles : int
    tile_px : int
        Tile side [cells].
    halo_px : int or None
        Fine halo [cells]; None when every tile swept the whole DEM.
    scheduler : str
        Where it ran (``threads``, ``local:N``, an address).
    n_workers : int
    task_memory_bytes : int
        Memory the largest task needs [bytes] (its horizon cube, grids and scratch).
    elapsed_s : float
        Wall time of the run [s].
    """

    store: Path
    n_tiles: int
    tile_px: int
    halo_px: int | None
    scheduler: str
    n_workers: int
    task_memory_bytes: int
    elapsed_s: float

    def dataset(self) -> xr.Dataset:
        """The maps (lazy, chunked by tile)."""
        return open_tiled_store(self.store)


def _halo_for(dem: xr.DataArray, halo_px: int | str | None) -> int | None:
    if halo_px == "auto":
        return None if dem.size <= WHOLE_GRID_MAX_CELLS else DEFAULT_HALO_PX
    if halo_px is None or isinstance(halo_px, int):
        return halo_px
    raise InputError(f"halo_px {halo_px!r} must be 'auto', None (the whole DEM) or a number of cells")


def _worker_memory_limit(sched: Scheduler) -> int | None:
    """The smallest memory limit of the cluster's workers [bytes], or this machine's memory for ``threads``."""
    if sched.client is None:
        try:
            return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            return None
    limits = [w.get("memory_limit") for w in sched.client.scheduler_info().get("workers", {}).values()]
    limits = [int(v) for v in limits if v]
    return min(limits) if limits else None


def _check_memory(
    tiles: list[Tile], settings: ProductSettings, far_cells: int, sched: Scheduler, thermal_margin: int | None
) -> int:
    threads = settings.task_threads or 1
    need = max(task_memory_bytes(t, settings.n_azimuth, threads, far_cells, thermal_margin) for t in tiles)
    limit = _worker_memory_limit(sched)
    if limit is not None and need > 0.8 * limit:
        raise InputError(
            f"a tile's task needs {need / 1e9:.1f} GB but a worker has {limit / 1e9:.1f} GB; use a smaller tile "
            f"(tile_px, --tile-px), fewer azimuths or workers with more memory"
        )
    return need


def _thermal_margin(dem: xr.DataArray, settings: ProductSettings, halo: int | None) -> int | None:
    """The thermal model's margin around a tile [cells] (None without thermal maps); a halo must hold it."""
    if settings.thermal_step is None:
        return None
    parse_duration_s(settings.thermal_step, "thermal_step")
    time_range(settings.start, settings.end, settings.thermal_step)
    margin = thermal_margin_px(float(dem.attrs["res_m"]))
    if halo is not None and halo < margin:
        raise InputError(
            f"halo_px {halo} is smaller than the thermal model's neighbourhood ({margin} cells: scatter_radius_m and "
            f"the slope stencil); use a halo of at least {margin} cells or no thermal maps"
        )
    return margin


def _settings(
    dem: xr.DataArray, start: str, end: str, step: str, sched: Scheduler, options: dict[str, Any]
) -> ProductSettings:
    check_dem(dem)
    time_range(start, end, step)  # a bad period fails here, before any task
    settings = ProductSettings(str(start), str(end), str(step), task_threads=sched.task_threads, **options)
    check_horizon_settings(
        settings.n_azimuth, settings.observer_height_m, settings.body_radius_m, settings.max_distance_m
    )
    return settings


def _store_attrs(dem: xr.DataArray, settings: ProductSettings, first: dict[str, Any], plan: dict[str, Any]) -> dict:
    return {
        **{k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in first.items()},
        "source": str(dem.attrs.get("source", "")),
        "crs": str(dem.attrs.get("crs", "")),
        "res_m": float(dem.attrs["res_m"]),
        "observer_height_m": float(settings.observer_height_m),
        "n_azimuth": int(settings.n_azimuth),
        **plan,
    }


def terrain_products(
    dem: xr.DataArray,
    start: str,
    end: str,
    step: str,
    store: str | os.PathLike[str],
    *,
    scheduler: Scheduler | None = None,
    tile_px: int | None = None,
    halo_px: int | str | None = "auto",
    progress: Any = None,
    **options: Any,
) -> TerrainProducts:
    """Illumination and Earth-visibility maps of ``dem``, tile by tile on ``scheduler``, into the Zarr ``store``.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM.
    start, end, step : str
        The statistics period (UTC) and step.
    store : path-like
        The Zarr store to write (a folder, e.g. ``out/terrain.zarr``; replaced atomically at the end).
    scheduler : Scheduler, optional
        From :func:`lupex.cluster.open_scheduler`; default ``threads`` (this process).
    tile_px : int, optional
        Tile side [cells]; default ``tile_px`` (512).
    halo_px : int, None or "auto"
        Fine halo [cells] around each tile, beyond which rays continue in a coarse copy of the DEM; None: every
        tile sweeps the whole DEM (exactly the single-process map); ``auto``: None up to 4096^2 cells, else 128.
    progress : tqdm-like, optional
        ``total`` = number of tiles, ``update(1)`` per finished tile.
    **options
        ``observer_height_m``, ``n_azimuth``, ``max_distance_m``, ``psr_years``, ``earth``, ``body_radius_m`` and
        ``thermal_step`` (also the thermal and ice maps; see :class:`lupex.cluster.tiles.ProductSettings`).

    Returns
    -------
    TerrainProducts
    """
    began = time.perf_counter()
    sched = scheduler if scheduler is not None else Scheduler(SchedulerSpec("threads", "threads"))
    tile = int(default("tile_px")) if tile_px is None else tile_px
    halo = _halo_for(dem, halo_px)
    check_tiling(tile, halo)
    settings = _settings(dem, start, end, step, sched, options)
    tiles = plan_tiles((dem.sizes["y"], dem.sizes["x"]), tile, halo)
    far = default_far_fields(dem, halo is not None)
    margin = _thermal_margin(dem, settings, halo)
    need = _check_memory(tiles, settings, sum(f.size for f in far), sched, margin)
    whole = dem if halo is None else None
    chosen = {**MAP_LAYERS, **(THERMAL_LAYERS if margin is not None else {})}
    layers = {k: LayerSpec(dt, fill, _LAYER_ATTRS[k]) for k, (dt, fill) in chosen.items()}
    if not settings.earth:
        layers = {k: v for k, v in layers.items() if k not in ("earth_visibility", "longest_earth_outage_h")}
    plan = {
        "tile_px": tile,
        "halo_px": -1 if halo is None else halo,
        "n_tiles": len(tiles),
        "scheduler": sched.spec.text,
        "thermal_step": settings.thermal_step or "",
    }
    log.info("%d tiles of %d cells (%s) on %s", len(tiles), tile, "whole grid" if halo is None else f"halo {halo}",
             sched.spec.text)  # fmt: skip
    with tiled_store(store, dem["y"].values, dem["x"].values, layers, tile) as writer:
        first: dict[str, Any] = {}
        shared = {"dem": whole, "far": far, "settings": settings}
        for _, maps in sched.map_unordered(terrain_tile, list(tile_grids(dem, tiles)), shared, progress=progress):
            writer.write(maps.tile.i0, maps.tile.j0, maps.layers)
            first = first or maps.attrs
        writer.set_attrs(_store_attrs(dem, settings, first, plan))
    return TerrainProducts(Path(store), len(tiles), tile, halo, sched.spec.text, sched.n_workers, need,
                           time.perf_counter() - began)  # fmt: skip


def products_as_stats(products: TerrainProducts) -> xr.Dataset:
    """The store's maps loaded as the Dataset :func:`lupex.illumination.illumination_stats` returns (the 2-D maps;
    ``psr`` and ``edge_limited`` as in that Dataset)."""
    ds = products.dataset().load()
    out = ds.drop_vars("edge_limited").assign_coords(edge_limited=ds["edge_limited"].astype(bool))
    out.attrs = dict(ds.attrs)
    out.attrs["far_field"] = [str(v) for v in np.atleast_1d(ds.attrs.get("far_field", []))]
    return out
