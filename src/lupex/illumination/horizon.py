"""Horizon maps: elevation of the terrain horizon in every azimuth from every DEM cell.

The numeric work is done by :mod:`lupex.core.horizon` (CPU, numba) or :mod:`lupex.core.horizon_cuda` (CUDA, a
direct ray march per cell and azimuth, see :func:`available_backends`); this module validates inputs, chooses the
far field, caches results on disk and wraps them as an :class:`xarray.DataArray`. Model card: docs/models/horizon.md.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numba
import numpy as np
import xarray as xr

from lupex.constants import MOON_RADIUS_M
from lupex.core.backend import resolve_backend
from lupex.core.horizon import horizon_map_cpu
from lupex.defaults import default
from lupex.errors import InputError, LupexError
from lupex.io.cache import content_key, default_cache_dir, read_cache_entry, write_cache_entry
from lupex.terrain.dem import builtin_dem, check_dem

__all__ = [
    "ALGORITHM_VERSION",
    "available_backends",
    "check_horizon_settings",
    "far_field_for",
    "horizon_map",
    "horizon_profile_at",
]

log = logging.getLogger(__name__)

#: Bumped whenever the horizon algorithm's results change: part of the horizon cache's key and of the sites stage's
#: (whose downstream stages follow). "sweep-hull-3": the terrain exactly at the reach is seen (2026-12-01);
#: "sweep-hull-4": the seam between a DEM and a coarser far field is continuous, far-field kinks sampled (2026-12-01).
ALGORITHM_VERSION = "sweep-hull-4"  # bump whenever core.horizon results change
#: The same for the CUDA march (core.horizon_cuda), part of the key of maps made on the GPU. "segment-march-1": from
#: crossing to crossing with closed-form segment maxima, blocks skipped by maximum mipmaps (2026-12-01).
CUDA_MARCH_VERSION = "segment-march-1"

Backend = Literal["auto", "cpu", "cuda"]


#: The implementation of every backend of every kernel (``module:function``); a backend without one is never
#: listed. "cuda" also needs lupex[gpu] and a usable CUDA device at run time.
_IMPLEMENTATIONS: dict[str, dict[str, str]] = {
    "horizon": {"cpu": "lupex.core.horizon:horizon_map_cpu", "cuda": "lupex.core.horizon_cuda:horizon_map_cuda"},
    "stats": {
        "cpu": "lupex.core.visibility:illumination_stats_kernel",
        "cuda": "lupex.core.visibility_cuda:illumination_stats_cuda",
    },
}


def available_backends(kernel: Literal["horizon", "stats"] = "horizon") -> list[str]:
    """Backends of ``kernel`` that exist and can run in this process.

    Parameters
    ----------
    kernel : {"horizon", "stats"}, default "horizon"
        ``horizon``: :func:`horizon_map`; ``stats``: the statistics kernel of
        :func:`lupex.illumination.illumination_stats`. Both have a CUDA version, listed when lupex[gpu] is
        installed and a CUDA device is usable.

    Returns
    -------
    list of str
        ``"cpu"`` first, then ``"cuda"`` where that kernel has a CUDA version and a GPU is usable.
    """
    if kernel not in _IMPLEMENTATIONS:
        raise InputError(f"kernel {kernel!r} is not known; use one of {', '.join(_IMPLEMENTATIONS)}")
    backends = list(_IMPLEMENTATIONS[kernel])
    if "cuda" not in backends:
        return backends
    from lupex.core.visibility_cuda import cuda_available  # imports numba.cuda: only when it matters

    return [b for b in backends if b != "cuda" or cuda_available()]


def far_field_for(dem: xr.DataArray) -> list[xr.DataArray]:
    """The bundled far-field DEMs for ``dem``: those coarser than it, finest first.

    For the 10 m ridge DEM that is the 240 m south-pole crop and then the 1.79 km cap; for the 240 m crop,
    the 1.79 km cap (heights unaltered poleward of 79 S).
    """
    res = float(dem.attrs["res_m"])
    out = []
    for name in ("south_pole_240m", "far_field_1787m"):
        candidate = builtin_dem(name)
        if float(candidate.attrs["res_m"]) > res * 1.5:
            out.append(candidate)
    return out


def _dem_grid(dem: xr.DataArray) -> tuple[np.ndarray, float, float, float]:
    res = float(dem.attrs["res_m"])
    x0 = float(dem["x"].values[0]) - res / 2
    y0 = float(dem["y"].values[0]) + res / 2
    return np.ascontiguousarray(dem.values, dtype=np.float64), x0, y0, res


def check_horizon_settings(
    n_azimuth: int, observer_height_m: float, body_radius_m: float, max_distance_m: float | None
) -> float:
    """Check the numeric arguments of :func:`horizon_map` (``InputError`` naming the argument) and return the ray
    reach [m]."""
    if isinstance(n_azimuth, bool) or not isinstance(n_azimuth, (int, np.integer)) or not 4 <= n_azimuth <= 7200:
        raise InputError(f"n_azimuth {n_azimuth!r} must be an integer from 4 to 7200")
    if not (math.isfinite(observer_height_m) and 0.0 <= observer_height_m <= 10_000.0):
        raise InputError(f"observer_height_m {observer_height_m!r} must be in [0, 10000] metres above the terrain")
    if not (math.isfinite(body_radius_m) and body_radius_m > 1000.0):
        raise InputError(f"body_radius_m {body_radius_m!r} must be a radius in metres, e.g. 1737400")
    reach = default("horizon_max_distance_m") if max_distance_m is None else float(max_distance_m)
    if not (math.isfinite(reach) and reach > 0):
        raise InputError(f"max_distance_m {max_distance_m!r} must be a positive distance in metres")
    return reach


@dataclass(frozen=True)
class _HorizonJob:
    """The validated inputs of one horizon map: grids, azimuths, geometry and the cache key."""

    z: np.ndarray
    x0: float
    y0: float
    res: float
    far: list[tuple[np.ndarray, float, float, float]]
    n_azimuth: int
    azimuths_deg: np.ndarray
    observer_height_m: float
    body_radius_m: float
    reach: float
    key: str
    window: tuple[int, int, int, int] | None = None


def _horizon_job(
    dem: xr.DataArray,
    fields: list[xr.DataArray],
    n_azimuth: int,
    observer_height_m: float,
    body_radius_m: float,
    reach: float,
    backend: str = "cpu",
    window: tuple[int, int, int, int] | None = None,
) -> _HorizonJob:
    """Grids of ``dem`` and its far fields, the azimuths and the content key of the result."""
    z, x0, y0, res = _dem_grid(dem)
    far = [_dem_grid(f) for f in fields]
    azimuths_deg = np.arange(n_azimuth) * (360.0 / n_azimuth)
    key = content_key(
        ALGORITHM_VERSION,
        z,
        x0,
        y0,
        res,
        *[p for f in far for p in f],
        int(n_azimuth),
        float(observer_height_m),
        float(body_radius_m),
        reach,
        # the CUDA march's results differ slightly from the CPU sweep's
        *([f"cuda-{CUDA_MARCH_VERSION}"] if backend == "cuda" else []),
        *([f"window{window}"] if window is not None else []),
    )
    return _HorizonJob(
        z, x0, y0, res, far, n_azimuth, azimuths_deg, observer_height_m, body_radius_m, reach, key, window
    )


def _cached_or_computed(
    job: _HorizonJob, cache: bool, cache_dir: str | Path | None, progress: Any, backend: str = "cpu"
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Horizon [rad] and ``edge_limited`` from the cache, else computed (and stored); True when from the cache."""
    n_azimuth = job.n_azimuth
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "horizon"
    stored = read_cache_entry(folder, job.key) if cache else None
    if progress is not None:
        progress.total = n_azimuth
    if stored is not None:
        horizon_rad = stored["horizon_rad"]
        edge = stored["edge_limited"].astype(bool)
        log.info("horizon map %s loaded from cache", job.key[:12])
        if progress is not None:
            progress.update(n_azimuth)
        return horizon_rad, edge, True
    horizon_rad, edge = _compute(
        job.z,
        job.x0,
        job.y0,
        job.res,
        np.radians(job.azimuths_deg),
        job.observer_height_m,
        job.body_radius_m,
        job.reach,
        job.far,
        progress,
        backend,
        job.window,
    )
    if cache:
        try:
            write_cache_entry(folder, job.key, {"horizon_rad": horizon_rad, "edge_limited": edge.astype(np.uint8)})
        except LupexError as err:
            log.warning("horizon cache not written: %s", err)
    return horizon_rad, edge, False


def _warn_edge_limited(edge: np.ndarray, reach: float) -> None:
    """Log a warning when some cells' rays leave the terrain data before ``reach`` [m]."""
    n_edge = int(edge.sum())
    if n_edge:
        log.warning(
            "%d of %d cells have rays that leave the terrain data before %.0f km (edge_limited); add a far "
            "field to cover them",
            n_edge,
            edge.size,
            reach / 1000.0,
        )


def _horizon_array(
    dem: xr.DataArray,
    job: _HorizonJob,
    horizon_deg: np.ndarray,
    edge: np.ndarray,
    fields: list[xr.DataArray],
    backend: str,
) -> xr.DataArray:
    """Wrap the horizon [deg] as the ``horizon_deg`` DataArray of :func:`horizon_map`."""
    i0, i1, j0, j1 = job.window if job.window is not None else (0, dem.sizes["y"], 0, dem.sizes["x"])
    return xr.DataArray(
        horizon_deg,
        dims=("azimuth", "y", "x"),
        coords={
            "azimuth": job.azimuths_deg,
            "y": dem["y"].values[i0:i1],
            "x": dem["x"].values[j0:j1],
            "edge_limited": (("y", "x"), edge),
        },
        name="horizon_deg",
        attrs={
            "units": "deg",
            "azimuth_reference": "grid north (+y), clockwise; local azimuth = grid azimuth - longitude",
            "observer_height_m": float(job.observer_height_m),
            "body_radius_m": float(job.body_radius_m),
            "max_distance_m": job.reach,
            "far_field": [str(f.attrs.get("source", "")) for f in fields],
            "crs": dem.attrs.get("crs"),
            "res_m": job.res,
            "algorithm": ALGORITHM_VERSION,
            "backend": backend,
            "cache_key": job.key,
        },
    )


def horizon_map(
    dem: xr.DataArray,
    n_azimuth: int = 360,
    observer_height_m: float = 0.0,
    far_field: Sequence[xr.DataArray] | Literal["auto"] | None = "auto",
    *,
    body_radius_m: float = MOON_RADIUS_M,
    max_distance_m: float | None = None,
    backend: Backend = "auto",
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: Any = None,
    window_px: tuple[int, int, int, int] | None = None,
) -> xr.DataArray:
    """Terrain horizon elevation from every cell in ``n_azimuth`` grid azimuths.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM (heights [m] above the sphere, dims ``y, x``, lunar south polar stereographic grid).
    n_azimuth : int, default 360
        Number of azimuths, ``k * 360 / n_azimuth`` degrees clockwise from grid north (+y). [-]
    observer_height_m : float, default 0
        Eye height above the terrain at each cell centre (0 surface, 2 rover mast, 10 tower). [m]
    far_field : sequence of DataArray, "auto" or None, default "auto"
        Coarser DEMs for terrain beyond ``dem`` (finest first). ``"auto"`` uses the bundled 240 m crop
        and 1.79 km cap where coarser than ``dem``; ``None`` uses none (then cells whose rays leave the DEM
        early are flagged in the ``edge_limited`` coordinate and a warning is logged). Just beyond a DEM the
        next far field is shifted to meet it, the shift fading over one of its pixels, so its coarse average
        makes no cliff at the seam (docs/models/horizon.md).
    body_radius_m : float, default 1737400
        Sphere radius for the curvature drop (6371000 reproduces GRASS r.horizon). [m]
    max_distance_m : float, optional
        Ray reach along the ground; default ``defaults.horizon_max_distance_m`` (200 km). [m]
    backend : {"auto", "cpu", "cuda"}
        ``cuda`` runs the CUDA kernel (needs lupex[gpu] and a usable CUDA device, else
        :class:`~lupex.errors.LupexError`); ``auto`` takes it where a GPU is usable, else ``cpu`` (numba).
    cache : bool, default True
        Reuse / store the result under ``cache_dir`` keyed by the DEM's content and every parameter.
    cache_dir : path, optional
        Default ``$LUPEX_CACHE_DIR`` or ``~/.cache/lupex``.
    progress : tqdm-like, optional
        Gets ``total`` set to ``n_azimuth`` and ``update(n)`` calls.
    window_px : (i0, i1, j0, j1), optional
        Only the cells of rows ``i0:i1`` and columns ``j0:j1`` of ``dem`` (a tile); the whole ``dem`` and the far
        fields are still the terrain they see, and the values are bit-identical to that window of the whole map. The
        CPU kernel sweeps only the lines that cross the tile, from their far end to the tile; the CUDA backend
        computes the whole grid and crops it.

    Raises
    ------
    InputError
        For an argument out of range.

    Returns
    -------
    xarray.DataArray
        ``horizon_deg`` float32, dims ``(azimuth, y, x)``, coordinate ``azimuth`` [deg, grid], boolean
        coordinate ``edge_limited (y, x)``. Local (north-referenced) azimuth = grid azimuth - longitude.
    """
    check_dem(dem)
    reach = check_horizon_settings(n_azimuth, observer_height_m, body_radius_m, max_distance_m)
    chosen = resolve_backend(backend)
    fields = far_field_for(dem) if isinstance(far_field, str) and far_field == "auto" else list(far_field or [])
    for field in fields:
        check_dem(field)
    window = _checked_window(window_px, dem.sizes["y"], dem.sizes["x"])
    job = _horizon_job(dem, fields, n_azimuth, observer_height_m, body_radius_m, reach, chosen, window)
    horizon_rad, edge, from_cache = _cached_or_computed(job, cache, cache_dir, progress, chosen)
    _warn_edge_limited(edge, reach)
    horizon_deg = np.degrees(horizon_rad, out=None if from_cache else horizon_rad).astype(np.float32, copy=False)
    return _horizon_array(dem, job, horizon_deg, edge, fields, chosen)


def _checked_window(window_px: Any, ny: int, nx: int) -> tuple[int, int, int, int] | None:
    """``window_px`` as four ints inside the ``ny`` x ``nx`` grid, or None (the whole grid)."""
    if window_px is None:
        return None
    try:
        i0, i1, j0, j1 = (int(v) for v in window_px)
    except (TypeError, ValueError):
        raise InputError(f"window_px {window_px!r} must be four whole numbers (i0, i1, j0, j1)") from None
    if not (0 <= i0 < i1 <= ny and 0 <= j0 < j1 <= nx):
        raise InputError(
            f"window_px {window_px!r} must be rows i0:i1 and columns j0:j1 with 0 <= i0 < i1 <= {ny} and "
            f"0 <= j0 < j1 <= {nx} (the DEM's size)"
        )
    return (i0, i1, j0, j1)


def _compute(
    z: np.ndarray,
    x0: float,
    y0: float,
    res: float,
    azimuths_rad: np.ndarray,
    observer_height_m: float,
    body_radius_m: float,
    reach: float,
    far: list[tuple[np.ndarray, float, float, float]],
    progress: Any,
    backend: str = "cpu",
    window: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The horizon map: on the GPU in one launch, or on the CPU in batches of azimuths (for progress reports)."""
    n_az = azimuths_rad.size
    i0, i1, j0, j1 = window if window is not None else (0, z.shape[0], 0, z.shape[1])
    if backend == "cuda":
        from lupex.core.horizon_cuda import horizon_map_cuda

        out_gpu, edge_gpu = horizon_map_cuda(z, x0, y0, res, azimuths_rad, observer_height_m, body_radius_m, reach, far)
        if progress is not None:
            progress.update(n_az)
        return np.ascontiguousarray(out_gpu[:, i0:i1, j0:j1]), edge_gpu[i0:i1, j0:j1]
    out = np.empty((n_az, i1 - i0, j1 - j0), dtype=np.float32)
    edge = np.zeros((i1 - i0, j1 - j0), dtype=bool)
    # batches of a whole number of azimuths per thread (each thread takes every n-th azimuth of a batch)
    threads = numba.get_num_threads()
    batch = -(-max(8, n_az // 8) // threads) * threads
    for start in range(0, n_az, batch):
        _, part_edge = horizon_map_cpu(
            z, x0, y0, res, azimuths_rad[start : start + batch], observer_height_m, body_radius_m, reach, far,
            window=window, out=out[start : start + batch],
        )  # fmt: skip
        edge |= np.asarray(part_edge, dtype=bool)
        if progress is not None:
            progress.update(min(batch, n_az - start))
    return out, edge


def horizon_profile_at(
    dem: xr.DataArray,
    x_m: float,
    y_m: float,
    n_azimuth: int = 360,
    observer_height_m: float = 0.0,
    far_field: Sequence[xr.DataArray] | Literal["auto"] | None = "auto",
    *,
    body_radius_m: float = MOON_RADIUS_M,
    max_distance_m: float | None = None,
) -> xr.DataArray:
    """Horizon profile [deg] at the DEM cell nearest to (x_m, y_m), by dense ray sampling (float64).

    Uses the brute-force reference (exact spherical geometry, samples every quarter cell) because one
    site does not justify a whole-map sweep. Returns dims ``(azimuth,)`` with attrs ``cell_x_m``,
    ``cell_y_m``, ``cell_height_m`` of the cell used.
    """
    from lupex.core.horizon_reference import horizon_reference

    check_dem(dem)
    xs = dem["x"].values
    ys = dem["y"].values
    res = float(dem.attrs["res_m"])
    if not (xs[0] - res / 2 <= x_m <= xs[-1] + res / 2 and ys[-1] - res / 2 <= y_m <= ys[0] + res / 2):
        raise InputError(
            f"point ({x_m:.0f}, {y_m:.0f}) m lies outside the DEM {dem.attrs.get('source', '')!r}; choose a DEM "
            "that covers the site"
        )
    j = int(np.clip(np.round((x_m - xs[0]) / res), 0, xs.size - 1))
    i = int(np.clip(np.round((ys[0] - y_m) / res), 0, ys.size - 1))
    fields = far_field_for(dem) if isinstance(far_field, str) and far_field == "auto" else list(far_field or [])
    if not fields and far_field is None:
        log.warning("no far field: terrain beyond the DEM is ignored")
    z, x0, y0, _ = _dem_grid(dem)
    reach = default("horizon_max_distance_m") if max_distance_m is None else float(max_distance_m)
    azimuths_deg = np.arange(n_azimuth) * (360.0 / n_azimuth)
    profile = horizon_reference(
        z,
        x0,
        y0,
        res,
        np.radians(azimuths_deg),
        observer_height_m,
        body_radius_m,
        reach,
        [_dem_grid(f) for f in fields],
        [(i, j)],
    )[:, 0]
    return xr.DataArray(
        np.degrees(profile),
        dims=("azimuth",),
        coords={"azimuth": azimuths_deg},
        name="horizon_deg",
        attrs={
            "units": "deg",
            "cell_x_m": float(xs[j]),
            "cell_y_m": float(ys[i]),
            "cell_height_m": float(z[i, j]),
            "observer_height_m": float(observer_height_m),
            "azimuth_reference": "grid",
        },
    )
