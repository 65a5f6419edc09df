"""Illumination and Earth-visibility statistics maps over a period, streamed over time.

Memory stays bounded: the kernel walks each cell's time series once (no (time, y, x) cube is ever held);
outputs are 2-D maps. Model card: docs/models/illumination.md.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from lupex.constants import MOON_RADIUS_M
from lupex.core.backend import resolve_backend
from lupex.core.visibility import DEG2RAD_F32, horizon_rows_finite, illumination_stats_kernel, kernel_time_args
from lupex.core.visibility_cuda import illumination_stats_cuda
from lupex.ephemeris import format_utc, moon_centred_vectors, parse_duration_s, time_range, valid_time_range
from lupex.errors import InputError
from lupex.illumination.horizon import horizon_map
from lupex.terrain.dem import check_dem

__all__ = ["PRECESSION_PERIOD_YEARS", "illumination_stats", "psr_envelope_directions"]

log = logging.getLogger(__name__)

#: Lunar nodal precession period (18.6 years): the Sun's declination pattern at the Moon repeats.
PRECESSION_PERIOD_YEARS = 18.6
_YEAR_S = 365.25 * 86400.0
_BLOCK_ARC_RAD = 0.08  # block length: the Sun sweeps at most ~4.6 deg per block (chord sag < 0.05 deg)
_ENVELOPE_BIN_DEG = 0.25


def _block_length(dirs: np.ndarray, longest: int = 64) -> int:
    """Steps per fine block so that the direction sweeps about 4.6 deg (chord sag < 0.05 deg)."""
    if dirs.shape[0] < 2:
        return 1
    steps = np.sqrt(((dirs[1:] - dirs[:-1]) ** 2).sum(axis=1))
    per_step = float(np.percentile(steps, 99)) if steps.size else 0.0
    if per_step <= 0:
        return longest
    return int(np.clip(_BLOCK_ARC_RAD / per_step, 1, longest))


def psr_envelope_directions(start: Any, years: float = PRECESSION_PERIOD_YEARS) -> tuple[np.ndarray, float, str, str]:
    """The Sun's highest directions over a precession cycle, per 0.25 deg of solar longitude.

    Seen from anywhere near the south pole, the Sun at a given solar longitude (MOON_ME) is highest when its
    declination is most southern (d sin e / d decl = -cos(colatitude) < 0 for colatitudes < 90 deg). So a
    cell that never sees any part of the Sun in these directions, widened by the period's largest solar
    radius, never sees it at all during the cycle. The Sun is sampled hourly over ``years`` from ``start``
    (shifted earlier when the cycle would run past the ephemeris end).

    Returns
    -------
    dirs : (n, 3)
        Unit vectors (MOON_ME) ordered by solar longitude [-].
    radius_rad : float
        Largest apparent solar radius over the cycle [rad].
    first, last : str
        The cycle's UTC bounds.
    """
    return _envelope(str(np.datetime64(time_range(start, start, "1h")[0])), float(years))


@functools.lru_cache(maxsize=4)
def _envelope(start: str, years: float) -> tuple[np.ndarray, float, str, str]:
    """:func:`psr_envelope_directions` from a normalised start, kept per process (every tile of a tiled run on a
    worker asks for the same cycle); the directions are read-only."""
    first_valid, last_valid = valid_time_range()
    t0 = np.datetime64(start)
    span = np.timedelta64(int(years * _YEAR_S), "s")
    if t0 + span > last_valid:
        t0 = last_valid - span
    if t0 < first_valid:
        raise InputError(f"a {years}-year PSR period does not fit in the ephemeris range; use fewer years")
    times = time_range(t0, t0 + span, "1h")
    vectors = moon_centred_vectors(times)
    dirs = vectors.sun_me_km / np.linalg.norm(vectors.sun_me_km, axis=1)[:, None]
    longitude = np.degrees(np.arctan2(dirs[:, 1], dirs[:, 0])) % 360.0
    bins = np.floor(longitude / _ENVELOPE_BIN_DEG).astype(np.int64)
    order = np.lexsort((dirs[:, 2], bins))  # by bin, then most southern first
    first_in_bin = np.ones(order.size, dtype=bool)
    first_in_bin[1:] = bins[order][1:] != bins[order][:-1]
    chosen = order[first_in_bin]
    radius = float(np.radians(vectors.sun_angular_radius_deg.max()))
    envelope = dirs[chosen]
    envelope.setflags(write=False)
    return envelope, radius, format_utc(times[0]), format_utc(times[-1])


def _check_horizon(horizon: xr.DataArray, dem: xr.DataArray) -> None:
    if not isinstance(horizon, xr.DataArray) or horizon.dims != ("azimuth", "y", "x"):
        raise InputError("horizon must be a DataArray from lupex.illumination.horizon_map (dims azimuth, y, x)")
    if horizon.sizes["y"] != dem.sizes["y"] or horizon.sizes["x"] != dem.sizes["x"]:
        raise InputError("horizon map and dem have different grids; compute the horizon map from this dem")
    az = horizon["azimuth"].values
    if not np.allclose(az, np.arange(az.size) * 360.0 / az.size):
        raise InputError("horizon azimuths must be evenly spaced from 0 (as horizon_map makes them)")


def _stats_kernel(backend: str) -> Callable[..., Any]:
    """The statistics kernel ``backend`` selects (CUDA where asked for or, with ``auto``, usable)."""
    on_gpu = resolve_backend(backend) == "cuda"
    return illumination_stats_cuda if on_gpu else illumination_stats_kernel


def _period(start: Any, end: Any, step: Any, psr_years: float | None) -> tuple[np.ndarray, float]:
    """The period's time steps and step [s], after checking its length and ``psr_years``."""
    times = time_range(start, end, step)
    step_s = parse_duration_s(step)
    if times.size > 2_000_000:
        raise InputError(f"the period has {times.size} steps; use a larger step (at most 2,000,000 steps)")
    if psr_years is not None and not (math.isfinite(psr_years) and 0 < psr_years <= 100):
        raise InputError(f"psr_years {psr_years!r} must be a positive number of years (18.6 for a full cycle)")
    return times, step_s


def _horizon_for(
    dem: xr.DataArray,
    horizon: xr.DataArray | None,
    n_azimuth: int,
    observer_height_m: float,
    far_field: Sequence[xr.DataArray] | Literal["auto"] | None,
    body_radius_m: float,
    backend: Literal["auto", "cpu", "cuda"],
    cache: bool,
    cache_dir: str | Path | None,
) -> xr.DataArray:
    """``horizon`` checked against ``dem`` and the observer height, or a new :func:`horizon_map` of ``dem``."""
    if horizon is None:
        return horizon_map(
            dem,
            n_azimuth,
            observer_height_m,
            far_field,
            body_radius_m=body_radius_m,
            backend="auto" if backend == "cuda" else backend,  # the horizon takes the GPU where its kernel can
            cache=cache,
            cache_dir=cache_dir,
        )
    _check_horizon(horizon, dem)
    if not math.isclose(float(horizon.attrs.get("observer_height_m", observer_height_m)), observer_height_m):
        raise InputError(
            f"horizon was computed for observer_height_m = {horizon.attrs.get('observer_height_m')}, not "
            f"{observer_height_m}; pass the matching height or recompute the horizon map"
        )
    return horizon


@dataclass(frozen=True)
class _Sky:
    """The Sun and Earth over the period as the kernel takes them, the PSR envelope (if any) and its period."""

    sun_dir: np.ndarray
    sun_inv: np.ndarray
    sun_radius: np.ndarray
    earth_m: np.ndarray
    time_args: tuple[Any, ...]
    envelope: tuple[Any, ...] | None
    psr_period: str


def _sky(times: np.ndarray, max_r: float, psr_years: float | None) -> _Sky:
    """Sun and Earth arrays and block tables for ``times``, and the Sun's envelope over ``psr_years`` [yr]."""
    vectors = moon_centred_vectors(times)
    sun_dir, sun_inv, sun_radius = vectors.sun_kernel_arrays()  # C-contiguous, as every kernel takes them
    earth_m = vectors.earth_me_km * 1000.0
    sun_block = _block_length(sun_dir)
    # Earth moves slowly in the lunar sky; 4 Sun blocks (~1.5 days hourly) measured fastest on real terrain
    time_args = kernel_time_args(sun_dir, sun_inv, earth_m, max_r, sun_block, earth_block=4 * sun_block)
    envelope = None
    psr_period = f"{format_utc(times[0])} .. {format_utc(times[-1])}"
    if psr_years is not None:
        env_dirs, env_radius, env_first, env_last = psr_envelope_directions(times[0], psr_years)
        env_dirs = np.array(env_dirs, order="C")  # a writable copy of the cached, read-only directions (GPU too)
        # parallax at the Sun's closest (1 / 1.47e11 m) lowers every envelope direction by the most it can
        env_inv = np.full(env_dirs.shape[0], 1.0 / 1.47e11)
        env_args = kernel_time_args(env_dirs, env_inv, np.array([[3.8e8, 0.0, 0.0], [3.8e8, 0.0, 0.0]]), max_r, 8)
        envelope = (env_dirs, env_inv, np.full(env_dirs.shape[0], env_radius), *env_args[:4])
        psr_period = f"{env_first} .. {env_last}"
    return _Sky(sun_dir, sun_inv, sun_radius, earth_m, time_args, envelope, psr_period)


@dataclass(frozen=True)
class _Cells:
    """The DEM cells as the kernel takes them: heights, coordinates, horizon and observer geometry."""

    z: np.ndarray
    x: np.ndarray
    y: np.ndarray
    horizon_values: np.ndarray
    observer_height_m: float
    body_radius_m: float
    max_radius_m: float


def _cells(dem: xr.DataArray, horizon: xr.DataArray, observer_height_m: float, body_radius_m: float) -> _Cells:
    """The cells of ``dem`` with their ``horizon``; ``max_radius_m``: the highest eye's distance from the centre [m]."""
    return _Cells(
        z=np.asarray(dem.values, dtype=np.float64),
        x=np.asarray(dem["x"].values, dtype=np.float64),
        y=np.asarray(dem["y"].values, dtype=np.float64),
        horizon_values=horizon.values,
        observer_height_m=observer_height_m,
        body_radius_m=body_radius_m,
        max_radius_m=body_radius_m + float(np.nanmax(dem.values)) + observer_height_m,
    )


@dataclass(frozen=True)
class _StatsMaps:
    """Statistics per cell: scaled maps by short name, first / last sunlit step index (-1: never), PSR flag and
    whether the cell's horizon profile is finite."""

    out: dict[str, np.ndarray]
    first: np.ndarray
    last: np.ndarray
    psr: np.ndarray
    profile_finite: np.ndarray


def _kernel_rows(horizon_deg: np.ndarray, r0: int, r1: int) -> tuple[np.ndarray, int, float, np.ndarray]:
    """The horizon map [deg] as the kernel takes it for rows ``r0:r1``, the kernel's ``horizon_row0`` and
    ``rad_per_unit``, and whether each cell's profile is finite. A float32 map (what :func:`horizon_map` makes) is
    passed whole, in degrees: the kernel converts each profile as it copies it, the same float32 product as
    ``np.radians``."""
    if horizon_deg.dtype == np.float32:
        return horizon_deg, r0, float(DEG2RAD_F32), horizon_rows_finite(horizon_deg, r0, r1)
    rows = horizon_deg[:, r0:r1, :]
    return np.radians(rows).astype(np.float32), 0, 1.0, np.isfinite(rows).all(axis=0)


def _fill_maps(
    kernel: Callable[..., Any], cells: _Cells, sky: _Sky, earth: bool, nt: int, step_s: float, progress: Any
) -> _StatsMaps:
    """Run ``kernel`` over the rows in chunks (bounded memory) and collect the statistics maps."""
    z, x, y = cells.z, cells.x, cells.y
    ny, nx = z.shape
    out = {name: np.zeros((ny, nx), dtype=np.float32) for name in ("mean", "sunlit", "dark", "earth", "outage")}
    first = np.full((ny, nx), -1, dtype=np.int32)
    last = np.full((ny, nx), -1, dtype=np.int32)
    psr = np.zeros((ny, nx), dtype=np.uint8)
    finite = np.zeros((ny, nx), dtype=bool)
    # the PSR cycle's pass walks no Earth: placeholder Earth tables (position, starts, deviations, cones, factor)
    no_earth = (np.array([[3.8e8, 0.0, 0.0]]), np.array([0, 1], dtype=np.int64), np.zeros(1), np.zeros((1, 4)), 1)
    sky_args = (sky.sun_dir, sky.sun_inv, sky.sun_radius, *sky.time_args[:4], sky.earth_m, *sky.time_args[4:])
    rows_per_chunk = max(1, min(ny, 2_000_000 // max(1, nx * 8)))
    if progress is not None:
        progress.total = ny
    for r0 in range(0, ny, rows_per_chunk):
        r1 = min(ny, r0 + rows_per_chunk)
        h_rows, row0, rad_per_unit, finite[r0:r1] = _kernel_rows(cells.horizon_values, r0, r1)
        valid = finite[r0:r1] & np.isfinite(z[r0:r1])  # voids are blanked afterwards: not evaluated
        geometry = (h_rows, z[r0:r1], x, y[r0:r1], cells.observer_height_m, cells.body_radius_m)
        outputs = kernel(*geometry, *sky_args, earth, False, valid, rad_per_unit, row0)
        sums, dark, lit0, lit1, seen, outage, lit_steps = outputs
        out["mean"][r0:r1] = sums / nt
        out["sunlit"][r0:r1] = lit_steps / nt
        out["dark"][r0:r1] = dark * step_s / 3600.0
        out["earth"][r0:r1] = seen / nt
        out["outage"][r0:r1] = outage * step_s / 3600.0
        first[r0:r1] = lit0
        last[r0:r1] = lit1
        dark_year = valid & (lit0 < 0)
        if sky.envelope is None:
            psr[r0:r1] = dark_year
        elif dark_year.any():
            # only 'lit at all' matters: each cell's walk ends at its first lit envelope direction; a cell lit
            # during the period is not permanently shadowed, so only the period's dark cells walk the cycle
            env_sums = kernel(*geometry, *sky.envelope, *no_earth, False, True, dark_year, rad_per_unit, row0)[0]
            psr[r0:r1] = dark_year & (env_sums <= 0.0)
        if progress is not None:
            progress.update(r1 - r0)
    return _StatsMaps(out, first, last, psr, finite)


def _blank_invalid(maps: _StatsMaps, cells: _Cells) -> None:
    """Clear the statistics of voids (no height or no horizon): NaN maps, no sunlit steps, not PSR."""
    invalid = ~np.isfinite(cells.z) | ~maps.profile_finite
    if invalid.any():  # voids kept as NaN: no statistics there
        for name in ("mean", "sunlit", "dark", "earth", "outage"):
            maps.out[name][invalid] = np.nan
        maps.first[invalid] = -1
        maps.last[invalid] = -1
        maps.psr[invalid] = 0


def _stats_variables(maps: _StatsMaps, times: np.ndarray, step_s: float, psr_period: str) -> dict[str, tuple[Any, ...]]:
    """The data variables of the :func:`illumination_stats` Dataset (dims, values, attrs)."""
    out = maps.out
    step_ns = np.timedelta64(round(step_s * 1e9), "ns")
    first_time = np.where(maps.first >= 0, times[0] + maps.first.astype(np.int64) * step_ns, np.datetime64("NaT"))
    last_time = np.where(maps.last >= 0, times[0] + maps.last.astype(np.int64) * step_ns, np.datetime64("NaT"))
    dims = ("y", "x")
    return {
        "mean_illumination": (
            dims,
            out["mean"],
            {"units": "1", "long_name": "time-averaged visible fraction of the solar disk"},
        ),
        "sunlit_fraction": (
            dims,
            out["sunlit"],
            {"units": "1", "long_name": "fraction of time with any part of the solar disk visible"},
        ),
        "psr": (
            dims,
            maps.psr,
            {"units": "1", "long_name": f"permanently shadowed (no part of the Sun) over {psr_period}"},
        ),
        "longest_darkness_h": (
            dims,
            out["dark"],
            {"units": "h", "long_name": "longest continuous time with no part of the Sun visible"},
        ),
        "earth_visibility": (
            dims,
            out["earth"],
            {"units": "1", "long_name": "fraction of time the Earth's centre is above the horizon"},
        ),
        "longest_earth_outage_h": (
            dims,
            out["outage"],
            {"units": "h", "long_name": "longest continuous time with the Earth's centre below the horizon"},
        ),
        "first_sunlit_utc": (dims, first_time.astype("datetime64[ns]")),
        "last_sunlit_utc": (dims, last_time.astype("datetime64[ns]")),
    }


def _stats_dataset(
    dem: xr.DataArray,
    horizon: xr.DataArray,
    times: np.ndarray,
    step_s: float,
    maps: _StatsMaps,
    psr_period: str,
    observer_height_m: float,
    earth: bool,
) -> xr.Dataset:
    """The statistics maps as the Dataset :func:`illumination_stats` returns (Earth maps dropped unless ``earth``)."""
    ds = xr.Dataset(
        _stats_variables(maps, times, step_s, psr_period),
        coords={"y": dem["y"], "x": dem["x"], "edge_limited": (("y", "x"), horizon["edge_limited"].values)},
        attrs={
            "start_utc": format_utc(times[0]),
            "end_utc": format_utc(times[-1]),
            "step_s": step_s,
            "n_times": int(times.size),
            "observer_height_m": float(observer_height_m),
            "psr_period_utc": psr_period,
            "crs": dem.attrs.get("crs"),
            "res_m": float(dem.attrs["res_m"]),
            "source": str(dem.attrs.get("source", "")),
            "far_field": list(horizon.attrs.get("far_field", [])),
            "runs_note": "darkness/outage runs touching the period's ends are truncated by the period",
        },
    )
    if not earth:
        ds = ds.drop_vars(["earth_visibility", "longest_earth_outage_h"])
    return ds


def illumination_stats(
    dem: xr.DataArray,
    start: Any,
    end: Any,
    step: Any = "1h",
    *,
    observer_height_m: float = 0.0,
    n_azimuth: int = 360,
    far_field: Sequence[xr.DataArray] | Literal["auto"] | None = "auto",
    horizon: xr.DataArray | None = None,
    psr_years: float | None = PRECESSION_PERIOD_YEARS,
    earth: bool = True,
    body_radius_m: float = MOON_RADIUS_M,
    backend: Literal["auto", "cpu", "cuda"] = "auto",
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: Any = None,
) -> xr.Dataset:
    """Sunlight and Earth-visibility statistics for every DEM cell over a period.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM.
    start, end : time-like
        UTC period bounds (``end`` included when on the step grid).
    step : str or float, default "1h"
        Time step (``30min``, ``2h``...) or seconds.
    observer_height_m : float, default 0
        Observer height above the terrain (0, 2 for a rover mast, 10 for a tower). [m]
    n_azimuth : int, default 360
        Azimuths of the horizon map (when ``horizon`` is not given).
    far_field : sequence of DataArray, "auto" or None
        Far-field DEMs for the horizon map (see :func:`horizon_map`).
    horizon : xarray.DataArray, optional
        A precomputed :func:`horizon_map` of ``dem`` (at the same observer height).
    psr_years : float or None, default 18.6
        Period for the PSR mask: a full precession cycle from ``start`` (evaluated on the Sun's envelope,
        see :func:`psr_envelope_directions`); ``None`` takes the statistics period itself.
    earth : bool, default True
        Also compute Earth visibility (centre above the horizon, with per-cell parallax).
    body_radius_m : float
        Lunar radius [m].
    backend : {"auto", "cpu", "cuda"}
        For the statistics kernel: ``cuda`` runs it on the GPU (needs lupex[gpu] and a usable CUDA device,
        else :class:`~lupex.errors.LupexError`), ``auto`` uses the GPU where it is usable. The horizon map (when
        ``horizon`` is not given) uses the CUDA horizon kernel where a GPU is usable (``auto``), else the CPU.
    cache, cache_dir :
        Passed to :func:`horizon_map`.
    progress : tqdm-like, optional
        ``total`` is set to the number of DEM rows, ``update`` called per row chunk.

    Returns
    -------
    xarray.Dataset
        ``mean_illumination`` (fraction of the solar disk visible, time average) [-],
        ``sunlit_fraction`` (fraction of steps with any part of the Sun visible) [-],
        ``psr`` (uint8, 1 = no part of the Sun ever visible over the PSR period, nor during the statistics
        period: the cycle is walked only for cells dark throughout the period),
        ``longest_darkness_h`` (longest run of steps with no part of the Sun visible) [h],
        ``earth_visibility`` (fraction of steps with the Earth's centre above the horizon) [-],
        ``longest_earth_outage_h`` [h], ``first_sunlit_utc`` / ``last_sunlit_utc`` (NaT if never),
        coordinate ``edge_limited``; attrs describe the period and definitions.
    """
    check_dem(dem)
    kernel = _stats_kernel(backend)
    times, step_s = _period(start, end, step, psr_years)
    horizon = _horizon_for(
        dem, horizon, n_azimuth, observer_height_m, far_field, body_radius_m, backend, cache, cache_dir
    )
    cells = _cells(dem, horizon, observer_height_m, body_radius_m)
    sky = _sky(times, cells.max_radius_m, psr_years)
    maps = _fill_maps(kernel, cells, sky, earth, times.size, step_s, progress)
    _blank_invalid(maps, cells)
    return _stats_dataset(dem, horizon, times, step_s, maps, sky.psr_period, observer_height_m, earth)
