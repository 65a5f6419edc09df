"""Terrain products tile by tile: horizon -> illumination statistics (-> thermal / ice) per tile, as one task.

A tile's horizon cube (azimuths x tile cells, float32) is made and used inside its task and never leaves the worker;
only the tile's 2-D maps come back and are written into a Zarr store chunk by chunk. Two ways to give a tile its
terrain (docs/scale-out.md):

- **whole sweep grid** (``halo_px=None``, the default for DEMs up to :data:`WHOLE_GRID_MAX_CELLS`): every worker holds
  the whole DEM (sent once) and sweeps only the lines that cross its tile, from the tile to the far end of the DEM and
  on into the bundled far fields. The tiles' horizons are then bit-identical to the single-process map. The cost over
  one process: every tile samples the whole of each line that crosses it and sweeps it from its far end to the tile
  (the per-cell work is not repeated).
- **halo** (``halo_px=H``): the task gets only its tile and ``H`` cells around it from the fine DEM; beyond them each
  ray continues in a coarse copy of the DEM (block means, at most :data:`COARSE_MAX_CELLS`, held by every worker) and
  then the bundled far fields. The horizon of a ray is the maximum over all its parts, so the fine near field and the
  coarse far field combine along the ray. No fine halo of the whole reach (150 km) is needed; the fine halo must
  cover the kernel's exact near field and adaptive march (96 cells), hence the default of 128 cells.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from lupex.constants import MOON_RADIUS_M
from lupex.errors import InputError
from lupex.illumination import horizon_map, illumination_stats
from lupex.illumination.horizon import far_field_for
from lupex.thermal import thermal_map, thermal_reach_px

__all__ = [
    "COARSE_MAX_CELLS",
    "DEFAULT_HALO_PX",
    "MAP_LAYERS",
    "THERMAL_LAYERS",
    "WHOLE_GRID_MAX_CELLS",
    "ProductSettings",
    "Tile",
    "TileMaps",
    "check_tiling",
    "coarse_far_field",
    "default_far_fields",
    "plan_tiles",
    "task_memory_bytes",
    "terrain_tile",
    "thermal_margin_px",
    "tile_grids",
]

log = logging.getLogger(__name__)

#: Largest DEM [cells] that every worker holds whole by default (4096^2 cells: 134 MB of float64, twice with the
#: transposed copy the kernel sweeps); larger DEMs are tiled with a halo.
WHOLE_GRID_MAX_CELLS = 4096 * 4096
#: Most cells of the coarse copy of the DEM that continues the rays beyond a halo.
COARSE_MAX_CELLS = 2048 * 2048
#: Default fine halo [cells]: the exact near field (6) and the adaptive march (96 steps) stay on the fine DEM.
DEFAULT_HALO_PX = 128
#: Smallest tile side [cells].
MIN_TILE_PX = 16
#: The 2-D maps a tile returns: name -> (dtype, fill of cells not written).
MAP_LAYERS: dict[str, tuple[str, float]] = {
    "mean_illumination": ("float32", math.nan),
    "sunlit_fraction": ("float32", math.nan),
    "psr": ("uint8", 255),
    "longest_darkness_h": ("float32", math.nan),
    "earth_visibility": ("float32", math.nan),
    "longest_earth_outage_h": ("float32", math.nan),
    "edge_limited": ("uint8", 255),
}
#: The thermal and ice maps a tile returns when asked for (``ProductSettings.thermal_step``).
THERMAL_LAYERS: dict[str, tuple[str, float]] = {
    "t_min_K": ("float32", math.nan),
    "t_mean_K": ("float32", math.nan),
    "t_max_K": ("float32", math.nan),
    "ice_stability_depth_m": ("float32", math.nan),
    "ice_class": ("uint8", 255),
}


@dataclass(frozen=True)
class Tile:
    """One tile: the output cells (rows ``i0:i1``, columns ``j0:j1`` of the DEM) and the sweep grid that holds
    them (rows ``a0:a1``, columns ``b0:b1``: the whole DEM, or the tile and its halo)."""

    index: int
    i0: int
    i1: int
    j0: int
    j1: int
    a0: int
    a1: int
    b0: int
    b1: int

    @property
    def shape(self) -> tuple[int, int]:
        """Output cells (rows, columns)."""
        return self.i1 - self.i0, self.j1 - self.j0


@dataclass(frozen=True)
class ProductSettings:
    """What every tile computes (the same for all tiles of a run).

    Attributes
    ----------
    start, end, step : str
        The statistics period (UTC) and step, as :func:`lupex.illumination.illumination_stats` takes them.
    observer_height_m : float
        Eye height above the terrain [m].
    n_azimuth : int
        Horizon azimuths.
    max_distance_m : float or None
        Ray reach [m] (None: the default, 200 km).
    psr_years : float or None
        PSR period [yr] (None: the statistics period).
    earth : bool
        Also the Earth-visibility maps.
    body_radius_m : float
        Sphere radius [m].
    task_threads : int or None
        numba threads per task (a LocalCluster shares this machine's cores); None leaves numba's default.
    thermal_step : str or None
        Also the thermal and ice maps (:data:`THERMAL_LAYERS`, :func:`lupex.thermal.thermal_map` over the same
        period at this step, e.g. ``"1h"``); None: not computed.
    """

    start: str
    end: str
    step: str
    observer_height_m: float = 0.0
    n_azimuth: int = 360
    max_distance_m: float | None = None
    psr_years: float | None = 18.6
    earth: bool = True
    body_radius_m: float = MOON_RADIUS_M
    task_threads: int | None = None
    thermal_step: str | None = None


@dataclass
class TileMaps:
    """What a tile's task returns: its 2-D maps and the statistics' attributes (period, PSR period)."""

    tile: Tile
    layers: dict[str, np.ndarray]
    attrs: dict[str, Any] = field(default_factory=dict)


def check_tiling(tile_px: int, halo_px: int | None, names: tuple[str, str] = ("tile_px", "halo_px")) -> None:
    """Refuse a tile smaller than :data:`MIN_TILE_PX` or than its halo; ``names`` are the flags shown."""
    tile_name, halo_name = names
    if isinstance(tile_px, bool) or not isinstance(tile_px, (int, np.integer)) or tile_px < MIN_TILE_PX:
        raise InputError(f"{tile_name} {tile_px!r} must be a whole number of cells >= {MIN_TILE_PX}, e.g. 512")
    if halo_px is None:
        return
    if isinstance(halo_px, bool) or not isinstance(halo_px, (int, np.integer)) or halo_px < 0:
        raise InputError(f"{halo_name} {halo_px!r} must be a whole number of cells >= 0, e.g. {DEFAULT_HALO_PX}")
    if tile_px < halo_px:
        raise InputError(
            f"{tile_name} {tile_px} is smaller than the halo ({halo_name} {halo_px}): each task would compute more "
            f"halo than tile; use {tile_name} >= {halo_px} (e.g. {max(512, 4 * halo_px)})"
        )


def plan_tiles(shape: tuple[int, int], tile_px: int, halo_px: int | None = None) -> list[Tile]:
    """Tiles of ``tile_px`` cells covering a ``shape`` grid (the last row/column of tiles takes the remainder).

    ``halo_px`` None: each tile's sweep grid is the whole grid; otherwise the tile and ``halo_px`` cells around it
    (clipped at the grid's edges).
    """
    check_tiling(tile_px, halo_px)
    ny, nx = (int(v) for v in shape)
    tiles: list[Tile] = []
    for i0 in range(0, ny, tile_px):
        for j0 in range(0, nx, tile_px):
            i1, j1 = min(ny, i0 + tile_px), min(nx, j0 + tile_px)
            if halo_px is None:
                a0, a1, b0, b1 = 0, ny, 0, nx
            else:
                a0, a1 = max(0, i0 - halo_px), min(ny, i1 + halo_px)
                b0, b1 = max(0, j0 - halo_px), min(nx, j1 + halo_px)
            tiles.append(Tile(len(tiles), i0, i1, j0, j1, a0, a1, b0, b1))
    return tiles


def coarse_far_field(dem: xr.DataArray, max_cells: int = COARSE_MAX_CELLS) -> xr.DataArray | None:
    """Block means of ``dem`` coarse enough to have at most ``max_cells`` cells (NaN-aware), or None when ``dem``
    is already that small (it is then its own coarse copy)."""
    factor = math.ceil(math.sqrt(dem.size / max_cells))
    if factor <= 1:
        return None
    coarse = dem.coarsen(y=factor, x=factor, boundary="trim").mean()
    coarse.attrs = {**dem.attrs, "res_m": float(dem.attrs["res_m"]) * factor,
                    "source": f"{dem.attrs.get('source', '')} (block mean {factor}x{factor})"}  # fmt: skip
    return coarse


def task_memory_bytes(
    tile: Tile, n_azimuth: int, threads: int = 1, far_cells: int = 0, thermal_margin: int | None = None
) -> int:
    """Memory one tile's task needs [bytes]: its horizon cube (float32, held twice while the statistics read it),
    the sweep grid and its transposed copy (float64), the far fields and the per-thread scratch; with a thermal
    margin [cells], the thermal model's cube of the tile and its margin and its 48-step forcing chunks."""
    ny, nx = tile.shape
    grid = (tile.a1 - tile.a0) * (tile.b1 - tile.b0)
    need = 2 * 4 * n_azimuth * ny * nx + 16 * grid + 8 * far_cells + 12 * ny * nx * max(threads, 1)
    if thermal_margin is not None:
        cells = (ny + 2 * thermal_margin) * (nx + 2 * thermal_margin)
        need = max(need, 2 * 4 * n_azimuth * cells + 16 * grid + 8 * far_cells + 48 * 24 * cells)
    return need


def _stats_rows(tile: Tile, ny: int, nx: int) -> tuple[int, int, int, int]:
    """The cells the statistics run on: the tile, widened to at least 2 x 2 (a DEM's smallest size) when it is a
    single row or column at the grid's edge."""
    i0, i1, j0, j1 = tile.i0, tile.i1, tile.j0, tile.j1
    if i1 - i0 < 2:
        i0, i1 = (i0, i0 + 2) if i0 + 2 <= ny else (i1 - 2, i1)
    if j1 - j0 < 2:
        j0, j1 = (j0, j0 + 2) if j0 + 2 <= nx else (j1 - 2, j1)
    return i0, i1, j0, j1


def terrain_tile(
    item: tuple[Tile, xr.DataArray | None],
    *,
    dem: xr.DataArray | None,
    far: list[xr.DataArray],
    settings: ProductSettings,
) -> TileMaps:
    """The maps of one tile (a task: runs on a worker).

    ``item`` is the tile and its own sweep grid (rows ``a0:a1``, columns ``b0:b1`` of the DEM; a halo tile), or None
    to sweep ``dem``, the whole DEM every worker holds; ``far`` are the far fields beyond the sweep grid.
    """
    tile, own = item
    dem = own if own is not None else dem
    if dem is None:
        raise InputError(f"tile {tile.index} has no terrain: give its grid or the whole DEM")
    if settings.task_threads is not None:
        import numba

        numba.set_num_threads(max(1, min(settings.task_threads, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    ny, nx = tile.a1 - tile.a0, tile.b1 - tile.b0
    if dem.shape != (ny, nx):
        raise InputError(f"tile {tile.index}: its grid has {dem.shape} cells, not {(ny, nx)}")
    s0, s1, t0, t1 = _stats_rows(tile, tile.a1, tile.b1)  # in DEM rows; the grid starts at (a0, b0)
    window = (s0 - tile.a0, s1 - tile.a0, t0 - tile.b0, t1 - tile.b0)
    horizon = horizon_map(
        dem, settings.n_azimuth, settings.observer_height_m, far, body_radius_m=settings.body_radius_m,
        max_distance_m=settings.max_distance_m, backend="cpu", cache=False, window_px=window,
    )  # fmt: skip
    cells = dem.isel(y=slice(window[0], window[1]), x=slice(window[2], window[3]))
    ds = illumination_stats(
        cells, settings.start, settings.end, settings.step, observer_height_m=settings.observer_height_m,
        horizon=horizon, psr_years=settings.psr_years, earth=settings.earth, body_radius_m=settings.body_radius_m,
        backend="cpu", cache=False,
    )  # fmt: skip
    del horizon  # the cube never leaves the task
    crop = (slice(tile.i0 - s0, tile.i1 - s0), slice(tile.j0 - t0, tile.j1 - t0))
    layers = {}
    for name, (dtype, _fill) in MAP_LAYERS.items():
        if name == "edge_limited":
            values = ds["edge_limited"].values
        elif name in ds:
            values = ds[name].values
        else:
            continue
        layers[name] = np.ascontiguousarray(values[crop], dtype=dtype)
    attrs = {k: ds.attrs[k] for k in ("start_utc", "end_utc", "step_s", "n_times", "psr_period_utc", "far_field")}
    if settings.thermal_step is not None:
        layers.update(_tile_thermal(tile, dem, far, settings))
    return TileMaps(tile, layers, attrs)


def thermal_margin_px(res_m: float) -> int:
    """Cells around a tile that its thermal model needs (:func:`lupex.thermal.thermal_reach_px`: the scattering
    neighbourhood once per fixed-point iteration and the slope stencil; 107 cells at 240 m)."""
    return thermal_reach_px(res_m)


def _tile_thermal(
    tile: Tile, grid: xr.DataArray, far: list[xr.DataArray], settings: ProductSettings
) -> dict[str, np.ndarray]:
    """The thermal and ice maps of a tile: the model runs on the tile and its scattering neighbourhood (with their
    surface horizons from the same sweep grid) and is cropped to the tile."""
    margin = thermal_margin_px(float(grid.attrs["res_m"]))
    ny, nx = grid.sizes["y"], grid.sizes["x"]
    i0, i1 = max(0, tile.i0 - tile.a0 - margin), min(ny, tile.i1 - tile.a0 + margin)
    j0, j1 = max(0, tile.j0 - tile.b0 - margin), min(nx, tile.j1 - tile.b0 + margin)
    horizon = horizon_map(
        grid, settings.n_azimuth, 0.0, far, body_radius_m=settings.body_radius_m,
        max_distance_m=settings.max_distance_m, backend="cpu", cache=False, window_px=(i0, i1, j0, j1),
    )  # fmt: skip
    window = grid.isel(y=slice(i0, i1), x=slice(j0, j1))
    th = thermal_map(window, settings.start, settings.end, settings.thermal_step, horizon=horizon,
                     n_azimuth=settings.n_azimuth, body_radius_m=settings.body_radius_m, backend="cpu")  # fmt: skip
    r0, c0 = tile.i0 - tile.a0 - i0, tile.j0 - tile.b0 - j0
    crop = (slice(r0, r0 + tile.i1 - tile.i0), slice(c0, c0 + tile.j1 - tile.j0))
    return {name: np.ascontiguousarray(th[name].values[crop], dtype=dt) for name, (dt, _f) in THERMAL_LAYERS.items()}


def tile_grids(dem: xr.DataArray, tiles: list[Tile]) -> Iterator[tuple[Tile, xr.DataArray | None]]:
    """Each tile with its own sweep grid (halo tiles), or None where the tile sweeps the whole DEM (sent once)."""
    whole = (0, dem.sizes["y"], 0, dem.sizes["x"])
    for tile in tiles:
        if (tile.a0, tile.a1, tile.b0, tile.b1) == whole:
            yield tile, None
        else:
            yield tile, dem.isel(y=slice(tile.a0, tile.a1), x=slice(tile.b0, tile.b1))


def default_far_fields(dem: xr.DataArray, halo: bool) -> list[xr.DataArray]:
    """The far fields of a tiled run: the bundled coarser DEMs, after a coarse copy of ``dem`` for halo tiles."""
    bundled = far_field_for(dem)
    if not halo:
        return bundled
    coarse = coarse_far_field(dem)
    return ([dem] if coarse is None else [coarse]) + bundled[:2]
