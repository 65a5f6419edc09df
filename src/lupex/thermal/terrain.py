"""Surface and subsurface temperature maps of real terrain, and the ice stability depth.

The 1-D regolith model (:mod:`lupex.core.thermal`) runs in every cell of a DEM (or of a disc within it),
driven by the absorbed flux from the illumination engine: the direct Sun on the cell's tilted surface under
its horizon, plus scattered sunlight and terrain infrared through a sky-view-factor closure
(:mod:`lupex.core.insolation`). Time is streamed in chunks: only the regolith state and 2-D statistics are
held. Model card: ``docs/models/thermal.md``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from lupex.constants import AU_KM, MOON_RADIUS_M
from lupex.core.backend import resolve_backend
from lupex.core.insolation import incident_flux_chunk, scattered_flux_chunk, sky_view_factor, surface_normals
from lupex.core.thermal import (
    HEAT_CAPACITY_COEFFS,
    LIVE_DEPTH_M,
    STEFAN_BOLTZMANN_W_M2_K4,
    RegolithGrid,
    advance_columns,
    albedo_at_incidence,
    correct_mean_profile,
    equilibrium_mean_profile_K,
    initial_profile_K,
    regolith_grid,
)
from lupex.defaults import default
from lupex.ephemeris import format_utc, moon_centred_vectors, parse_duration_s, parse_time, time_range
from lupex.errors import EphemerisRangeError, InputError
from lupex.illumination.horizon import far_field_for, horizon_map
from lupex.terrain.dem import check_dem
from lupex.terrain.derivatives import gradient
from lupex.terrain.projection import latlon_to_xy, scale_factor

__all__ = ["ICE_CLASSES", "ice_stability_depth_m", "region_window", "thermal_map"]

log = logging.getLogger(__name__)

#: Values of the ``ice_class`` map.
ICE_CLASSES = {0: "surface", 1: "buried (<= drill depth, drillable)", 2: "none within drill depth"}
_SYNODIC_DAYS = 29.530589
#: Runs of the spin-up forcing; the deep mean profile is reset to equilibrium between runs.
_SPINUP_PASSES = 3
#: Samples of the year before the period whose mean absorbed flux sets the deep layers' equilibrium.
_CLIMATE_SAMPLES = 390
#: Albedo of diffuse (scattered) light: Hayne et al. 2017 Eq. A5 at 45 deg, the cosine-weighted mean
#: incidence of isotropic light on a plane.
_DIFFUSE_INCIDENCE_RAD = math.pi / 4.0
_THERMAL_DEFAULTS = [
    "solar_constant_W_m2",
    "emissivity",
    "albedo_normal",
    "albedo_coeff_a",
    "albedo_coeff_b",
    "h_parameter_m",
    "density_surface_kg_m3",
    "density_deep_kg_m3",
    "conductivity_surface_W_m_K",
    "conductivity_deep_W_m_K",
    "radiative_conductivity_chi",
    "geothermal_flux_W_m2",
    "ice_stability_temperature_K",
    "drill_depth_m",
    "scatter_radius_m",
]


#: Fixed-point iterations of the scattered sunlight and of the terrain infrared (each spreads a cell's influence by
#: one scattering neighbourhood).
SCATTER_ITERATIONS_VISIBLE = 2
SCATTER_ITERATIONS_IR = 3


def thermal_reach_px(res_m: float, scatter_radius_m: float | None = None) -> int:
    """How far [cells] the terrain that sets a cell's temperature reaches: the scattering neighbourhood once per
    fixed-point iteration (visible, then infrared on top of it) plus the slope stencil. A window that holds a cell
    and this many cells around it gives the cell the temperature of the whole DEM's run."""
    radius = default("scatter_radius_m") if scatter_radius_m is None else float(scatter_radius_m)
    half = int(round(radius / res_m))
    return (SCATTER_ITERATIONS_VISIBLE + SCATTER_ITERATIONS_IR) * half + 2


def ice_stability_depth_m(
    t_max_K: NDArray[np.float64], z_m: NDArray[np.float64], threshold_K: float, max_depth_m: float
) -> NDArray[np.float64]:
    """Shallowest depth below which the maximum temperature stays under ``threshold_K`` down to ``max_depth_m``.

    Schorghofer-style criterion (Paige et al. 2010; Schorghofer & Williams 2020): water ice is taken as
    stable where the period's maximum temperature is below the cold-trap threshold (110 K: sublimation
    ~1e2 kg m-2 Gyr-1). Depths between nodes are interpolated linearly in temperature.

    Parameters
    ----------
    t_max_K : (n_nodes, n_cells)
        Maximum temperature of each node over the period [K].
    z_m : (n_nodes,)
        Node depths, increasing from 0 [m].
    threshold_K : float
        Cold-trap temperature [K].
    max_depth_m : float
        Deepest depth considered (the drill reach) [m].

    Returns
    -------
    (n_cells,) float64
        0 where ice is stable at the surface, the depth [m] where it becomes stable, NaN where it is not
        stable anywhere above ``max_depth_m`` (or the column is NaN).
    """
    t = np.asarray(t_max_K, dtype=np.float64)
    z = np.asarray(z_m, dtype=np.float64)
    n_cells = t.shape[1]
    # temperature at max_depth_m, interpolated between the bracketing nodes
    k = int(np.searchsorted(z, max_depth_m))
    if k >= z.size:
        raise InputError(f"max_depth_m {max_depth_m} is below the deepest node ({z[-1]:.2f} m); use a deeper grid")
    if k == 0:
        t_bottom = t[0]
    else:
        w = (max_depth_m - z[k - 1]) / (z[k] - z[k - 1])
        t_bottom = (1 - w) * t[k - 1] + w * t[k]
    depth = np.full(n_cells, np.nan)
    stable = t_bottom < threshold_K
    # walk up from the deepest node above max_depth_m while the node stays cold
    z_top = np.where(stable, max_depth_m, np.nan)
    t_below = t_bottom.copy()
    z_below = np.full(n_cells, max_depth_m)
    still = stable.copy()
    for i in range(k - 1, -1, -1):
        ti = t[i]
        cold = still & (ti < threshold_K)
        crossing = still & ~cold
        # crossing between node i (warm) and the cold point below: interpolate the threshold
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(crossing, (ti - threshold_K) / np.where(crossing, ti - t_below, 1.0), 0.0)
        z_top = np.where(crossing, z[i] + frac * (z_below - z[i]), z_top)
        z_top = np.where(cold, z[i], z_top)
        still = cold
        t_below = np.where(cold, ti, t_below)
        z_below = np.where(cold, z[i], z_below)
    depth[stable] = z_top[stable]
    return depth


def region_window(
    dem: xr.DataArray, region: tuple[float, float, float] | None, margin_cells: int
) -> tuple[slice, slice, NDArray[np.bool_]]:
    """Row/column slices of the computation window (region bbox + margin) and the region mask within it."""
    ny, nx = dem.shape
    if region is None:
        return slice(0, ny), slice(0, nx), np.isfinite(dem.values)
    lat, lon, radius_km = region
    if not (-90.0 <= lat <= -60.0 and math.isfinite(lon) and radius_km > 0.0):
        raise InputError(
            f"region {region!r} must be (lat_deg in [-90, -60], lon_deg, radius_km > 0) for a south-polar DEM"
        )
    cx, cy = latlon_to_xy(lat, lon)
    x = dem["x"].values
    y = dem["y"].values
    radius_m = radius_km * 1000.0
    cols = np.nonzero(np.abs(x - cx) <= radius_m)[0]
    rows = np.nonzero(np.abs(y - cy) <= radius_m)[0]
    if cols.size == 0 or rows.size == 0:
        raise InputError(
            f"region centred at lat {lat}, lon {lon} with radius {radius_km} km does not overlap the DEM; "
            "pick a centre inside it"
        )
    r0, r1 = max(int(rows[0]) - margin_cells, 0), min(int(rows[-1]) + margin_cells + 1, ny)
    c0, c1 = max(int(cols[0]) - margin_cells, 0), min(int(cols[-1]) + margin_cells + 1, nx)
    xx, yy = np.meshgrid(x[c0:c1], y[r0:r1])
    mask = (np.hypot(xx - cx, yy - cy) <= radius_m) & np.isfinite(dem.values[r0:r1, c0:c1])
    if not mask.any():
        raise InputError(f"region {region!r} holds no valid DEM cell; enlarge radius_km")
    return slice(r0, r1), slice(c0, c1), mask


def column_kernel(backend: str) -> Callable[..., None]:
    """The column solver of ``backend`` (``auto``: CUDA where a GPU is usable, else the numba CPU kernel)."""
    if resolve_backend(backend) == "cuda":
        from lupex.core.thermal_cuda import advance_columns_cuda

        return advance_columns_cuda
    return advance_columns


def thermal_map(
    dem: xr.DataArray,
    start: Any,
    end: Any,
    step: Any = "1h",
    *,
    region: tuple[float, float, float] | None = None,
    horizon: xr.DataArray | None = None,
    n_azimuth: int = 360,
    far_field: Any = "auto",
    albedo: float | None = None,
    h_param_m: float | None = None,
    emissivity: float | None = None,
    scatter_radius_m: float | None = None,
    spinup_days: float = _SYNODIC_DAYS,
    depths_m: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 1.5),
    chunk_steps: int = 48,
    body_radius_m: float = MOON_RADIUS_M,
    cache: bool = True,
    progress: Any = None,
    backend: str = "auto",
) -> xr.Dataset:
    """Surface temperature statistics, temperatures at depth and ice stability depth of every cell.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM (heights [m], lunar south polar stereographic).
    start, end, step :
        UTC period and time step (as in :func:`lupex.illumination.illumination_stats`); ``step`` should be
        at most a few hours (the surface responds within hours).
    region : (lat_deg, lon_deg, radius_km), optional
        Only cells within this disc are modelled (others are NaN); horizons still see the whole DEM and
        its far field.
    horizon : xarray.DataArray, optional
        A precomputed surface (0 m) horizon map of ``dem`` (ignored when ``region`` is given).
    n_azimuth, far_field :
        Horizon map parameters (see :func:`lupex.illumination.horizon_map`).
    albedo, h_param_m, emissivity : float, optional
        Normal albedo ``A0`` [-], H-parameter [m] and emissivity [-]; defaults from :mod:`lupex.defaults`.
    scatter_radius_m : float, optional
        Half width of the square neighbourhood standing for the terrain a cell sees (sky-view-factor
        closure of scattered light and infrared) [m]; default ``scatter_radius_m`` (5 km, an estimate).
    spinup_days : float, default 29.53
        Days of forcing before ``start`` run three times to spin the model up from an equilibrium profile; between
        runs the deep mean profile is reset to equilibrium with the year before ``start`` (see the model card). [d]
    depths_m : tuple of float
        Depths at which maximum and mean temperatures are reported. [m]
    chunk_steps : int, default 48
        Time steps per chunk (memory ~ cells x chunk x 24 bytes).
    body_radius_m : float
        Lunar radius [m]. ``cache``: reuse cached horizon maps.
    progress : tqdm-like, optional
        ``total`` is set to the number of time chunks (the spin-up runs included), ``update(1)`` per chunk.
    backend : {"auto", "cpu", "cuda"}
        The column solver: ``cuda`` (:func:`lupex.core.thermal_cuda.advance_columns_cuda`; needs lupex[gpu] and a
        usable CUDA device, else :class:`~lupex.errors.LupexError`), ``auto`` takes it where a GPU is usable, else
        ``cpu`` (numba).

    Returns
    -------
    xarray.Dataset
        On the DEM grid (NaN outside ``region``): ``t_min_K``, ``t_mean_K``, ``t_max_K`` (surface),
        ``t_max_at_depth_K`` and ``t_mean_at_depth_K`` (dims ``depth_m, y, x``), ``ice_stability_depth_m``
        (0 = stable at the surface, NaN = not within the drill depth), ``ice_class`` (uint8, see
        :data:`ICE_CLASSES`; 255 = not modelled), ``sky_view_factor`` [-], ``mean_absorbed_W_m2``; attrs
        record the period, parameters and the placeholder/estimate defaults used.
    """
    dem = check_dem(dem)
    a0, hp, eps, radius = _surface_options(albedo, h_param_m, emissivity, scatter_radius_m, (spinup_days, chunk_steps,
                                                                                           depths_m))  # fmt: skip
    times, step_s, spin_times = _periods(start, end, step, spinup_days)
    scene = _scene(dem, region, horizon, n_azimuth, far_field, radius, body_radius_m, cache)
    phys = _physics(a0, hp, eps, body_radius_m)
    run = _ColumnRun(scene, phys, step_s, int(chunk_steps), column_kernel(backend), progress)
    stats = run.integrate(times, spin_times)
    info = {"start_utc": format_utc(times[0]), "end_utc": format_utc(times[-1]), "step_s": step_s,
            "n_times": times.size, "spinup_days": float(spinup_days), "albedo_normal": a0, "h_parameter_m": hp,
            "emissivity": eps, "scatter_radius_m": radius, "region": ",".join(f"{v:g}" for v in region or ())}
    return _thermal_dataset(dem, scene, phys.grid, stats, times.size, depths_m, info)


def _check_run_options(spinup_days: float, chunk_steps: int, depths_m: tuple[float, ...]) -> None:
    if not (math.isfinite(spinup_days) and 0.0 <= spinup_days <= 3650.0):
        raise InputError(f"spinup_days {spinup_days!r} must be in [0, 3650] days")
    if not 1 <= int(chunk_steps) <= 10_000:
        raise InputError(f"chunk_steps {chunk_steps!r} must be an integer in [1, 10000]")
    if any(not (0.0 <= d <= 2.5) for d in depths_m):
        raise InputError(f"depths_m {depths_m!r} must lie in [0, 2.5] m (the model grid's depth)")


def _surface_options(
    albedo: float | None, h_param_m: float | None, emissivity: float | None, scatter_radius_m: float | None,
    run_options: tuple[float, int, tuple[float, ...]],
) -> tuple[float, float, float, float]:
    """Albedo, H-parameter [m], emissivity and scatter radius [m], defaults filled in and checked, after the run's
    ``(spinup_days, chunk_steps, depths_m)`` are checked."""
    _check_run_options(*run_options)
    a0 = default("albedo_normal") if albedo is None else float(albedo)
    hp = default("h_parameter_m") if h_param_m is None else float(h_param_m)
    eps = default("emissivity") if emissivity is None else float(emissivity)
    if not 0.0 <= a0 < 1.0:
        raise InputError(f"albedo {albedo!r} must be in [0, 1); the highland value is 0.12")
    if not 0.0 < eps <= 1.0:
        raise InputError(f"emissivity {emissivity!r} must be in (0, 1]; regolith is 0.95")
    radius = default("scatter_radius_m") if scatter_radius_m is None else float(scatter_radius_m)
    if not (math.isfinite(radius) and radius >= 0.0):
        raise InputError(f"scatter_radius_m {scatter_radius_m!r} must be >= 0 metres")
    return a0, hp, eps, radius


def _periods(
    start: Any, end: Any, step: Any, spinup_days: float
) -> tuple[NDArray[np.datetime64], float, NDArray[np.datetime64]]:
    """The period's instants, the step [s] and the spin-up instants before it (checked against the ephemeris)."""
    times = time_range(start, end, step)
    step_s = parse_duration_s(step)
    if step_s > 6 * 3600.0:
        raise InputError(f"step {step!r} is too coarse for the surface temperature; use at most 6h (1h is typical)")
    moon_centred_vectors(times[[0, -1]])  # refuse a period outside the ephemeris before any long computation
    spin_n = int(round(spinup_days * 86400.0 / step_s))
    if spin_n <= 0:
        return times, step_s, times[:0]
    first = parse_time(start) - np.timedelta64(int(round(spin_n * step_s * 1000)), "ms")
    spin_times = time_range(first, times[0] - np.timedelta64(int(step_s * 1000), "ms"), step)
    moon_centred_vectors(spin_times[[0]])
    return times, step_s, spin_times


@dataclass(frozen=True)
class _Scene:
    """The modelled window: its cells, horizons, normals, view factors and the neighbourhood of scattering."""

    rows: Any
    cols: Any
    ny: int
    nx: int
    idx: NDArray[np.int64]
    profiles: NDArray[np.float32]
    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    cell_r_m: NDArray[np.float64]
    normals: NDArray[np.float64]
    view: NDArray[np.float64]
    terrain_view: NDArray[np.float64]
    area_m2: NDArray[np.float64]
    half: int
    res_m: float

    @property
    def n_cells(self) -> int:
        return int(self.idx.size)


def _scene(
    dem: xr.DataArray, region: tuple[float, float, float] | None, horizon: xr.DataArray | None, n_azimuth: int,
    far_field: Any, scatter_radius_m: float, body_radius_m: float, cache: bool,
) -> _Scene:  # fmt: skip
    res = float(dem.attrs["res_m"])
    half = int(round(scatter_radius_m / res))
    rows, cols, mask = region_window(dem, region, half)
    window = dem.isel(y=rows, x=cols)
    if region is not None or horizon is None:
        fields = far_field_for(dem) if isinstance(far_field, str) and far_field == "auto" else list(far_field or [])
        if region is not None:
            fields = [dem, *fields]
        horizon = horizon_map(window, n_azimuth, 0.0, fields, body_radius_m=body_radius_m, cache=cache)
    elif horizon.shape[1:] != dem.shape:
        raise InputError(f"horizon shape {horizon.shape} does not match the DEM {dem.shape}; recompute it")
    n_az = horizon.shape[0]
    ny, nx = window.shape
    z = np.asarray(window.values, dtype=np.float64)
    xx, yy = np.meshgrid(np.asarray(window["x"].values, dtype=np.float64), np.asarray(window["y"].values, np.float64))
    gx, gy = gradient(window)
    normals = surface_normals(gx.values, gy.values)
    flat_normals = np.ascontiguousarray(normals.reshape(-1, 3))
    profiles = np.ascontiguousarray(np.radians(horizon.values).reshape(n_az, -1).T.astype(np.float32))
    view = sky_view_factor(profiles, flat_normals).reshape(ny, nx)
    k = scale_factor(xx, yy)
    valid = np.isfinite(z) & np.isfinite(view)
    area = np.where(valid, (res / k) ** 2 / np.where(valid, normals[..., 2], 1.0), 0.0)
    idx = np.flatnonzero((mask & valid).ravel())
    return _Scene(rows, cols, ny, nx, idx, profiles, xx.ravel(), yy.ravel(), (body_radius_m + z).ravel(),
                  flat_normals, view, np.clip(1.0 - view, 0.0, 1.0), area, half, res)  # fmt: skip


@dataclass(frozen=True)
class _Physics:
    """Optical and regolith parameters of the run."""

    a0: float
    aa: float
    ab: float
    eps: float
    albedo_diffuse: float
    flux_d2: float
    body_radius_m: float
    grid: RegolithGrid
    chi: float
    qb: float


def _physics(a0: float, hp: float, eps: float, body_radius_m: float) -> _Physics:
    aa, ab = default("albedo_coeff_a"), default("albedo_coeff_b")
    grid = regolith_grid(hp, default("density_surface_kg_m3"), default("density_deep_kg_m3"),
                         default("conductivity_surface_W_m_K"), default("conductivity_deep_W_m_K"))  # fmt: skip
    return _Physics(a0, aa, ab, eps, albedo_at_incidence(_DIFFUSE_INCIDENCE_RAD, a0, aa, ab),
                    default("solar_constant_W_m2") * (AU_KM * 1000.0) ** 2, body_radius_m, grid,
                    default("radiative_conductivity_chi"), default("geothermal_flux_W_m2"))  # fmt: skip


def _sun_arrays(ts: NDArray[np.datetime64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    return moon_centred_vectors(ts).sun_kernel_arrays()


def _absorbed(scene: _Scene, phys: _Physics, sun: tuple[NDArray[np.float64], ...], t0: int, n: int) -> NDArray[Any]:
    """Absorbed flux (direct, scattered light and terrain infrared) of the modelled cells, (n_cells, n) [W m-2]."""
    cells = scene.ny * scene.nx
    inc = np.empty((n, cells))
    dab = np.empty((n, cells))
    incident_flux_chunk(
        scene.profiles, scene.x_m, scene.y_m, scene.cell_r_m, scene.normals, phys.body_radius_m,
        sun[0], sun[1], sun[2], phys.flux_d2, phys.a0, phys.aa, phys.ab, t0, inc, dab,
    )  # fmt: skip
    q = np.empty((n, scene.ny, scene.nx))
    scattered_flux_chunk(
        inc.reshape(n, scene.ny, scene.nx), dab.reshape(n, scene.ny, scene.nx), scene.terrain_view, scene.area_m2,
        scene.half, phys.albedo_diffuse, phys.eps, SCATTER_ITERATIONS_VISIBLE, SCATTER_ITERATIONS_IR, q,
    )  # fmt: skip
    return np.ascontiguousarray(q.reshape(n, -1)[:, scene.idx].T, dtype=np.float32)


def _climate_flux(
    scene: _Scene, phys: _Physics, times: NDArray[np.datetime64], sun_main: tuple[NDArray[np.float64], ...]
) -> NDArray[np.float64]:
    """Mean absorbed flux of the "climate" that sets the deep layers [W m-2].

    The 13 lunations (about a year) before the period, from :data:`_CLIMATE_SAMPLES` instants that step through
    the lunar phase; the period's own samples stand in where the ephemeris does not reach that far back.
    """
    climate_times = times[0] - (
        np.arange(_CLIMATE_SAMPLES, 0, -1) * (13.0 * _SYNODIC_DAYS * 86400e9 / _CLIMATE_SAMPLES)
    ).astype("timedelta64[ns]")
    climate_sun: tuple[NDArray[np.float64], ...]
    try:
        climate_sun = _sun_arrays(climate_times)
    except EphemerisRangeError:
        stride = max(1, times.size // _CLIMATE_SAMPLES)
        climate_sun = tuple(np.ascontiguousarray(a[::stride]) for a in sun_main)
    return np.asarray(_absorbed(scene, phys, climate_sun, 0, climate_sun[0].shape[0]).mean(axis=1, dtype=np.float64))


class _ColumnRun:
    """The columns' state advanced through forcing, with the statistics it accumulates."""

    def __init__(self, scene: _Scene, phys: _Physics, step_s: float, chunk_steps: int, advance: Callable[..., None],
                 progress: Any) -> None:  # fmt: skip
        self.scene, self.phys, self.step_s = scene, phys, step_s
        self.temp = np.empty((phys.grid.z_m.size, scene.n_cells), dtype=np.float32)
        self.chunk_steps, self.advance, self.progress = chunk_steps, advance, progress
        self.no_series = np.empty((0, 0), dtype=np.float32)

    def integrate(self, times: NDArray[np.datetime64], spin_times: NDArray[np.datetime64]) -> tuple[NDArray[Any], ...]:
        """Start in equilibrium with the climate flux, spin up, run the period; its statistics."""
        p = self.phys
        sun_main = _sun_arrays(times)
        q_climate = _climate_flux(self.scene, p, times, sun_main)
        temp = initial_profile_K(q_climate, p.grid, p.eps, p.qb, p.chi)
        self.temp = np.where(np.isfinite(temp), temp, 100.0).astype(np.float32)
        passes = _SPINUP_PASSES if spin_times.size else 0
        if self.progress is not None:
            k = self.chunk_steps
            self.progress.total = passes * -(-spin_times.size // k) + -(-times.size // k)
        if passes:
            self.spin_up(_sun_arrays(spin_times), spin_times.size, passes, q_climate)
        stats = self.new_stats()
        self.run(sun_main, times.size, stats)
        log.info("thermal map: %d cells x %d steps (+%d x %d spin-up)", self.scene.n_cells, times.size, passes,
                 spin_times.size)  # fmt: skip
        return stats

    def new_stats(self) -> tuple[NDArray[np.float64], ...]:
        """Fresh accumulators: surface min, max, sum; node max, sum; absorbed-flux sum."""
        n, nz = self.scene.n_cells, self.phys.grid.z_m.size
        return (
            np.full(n, np.inf), np.full(n, -np.inf), np.zeros(n),
            np.full((nz, n), -np.inf), np.zeros((nz, n)), np.zeros(n),
        )  # fmt: skip

    def run(self, sun: tuple[NDArray[np.float64], ...], n_total: int, stats: tuple[NDArray[np.float64], ...]) -> None:
        """Advance the state through ``n_total`` steps of forcing, accumulating into ``stats``."""
        g, p = self.phys.grid, self.phys
        for t0 in range(0, n_total, self.chunk_steps):
            n = min(self.chunk_steps, n_total - t0)
            q = _absorbed(self.scene, p, sun, t0, n)
            stats[5][:] += q.sum(axis=1, dtype=np.float64)
            self.advance(
                self.temp, q, self.step_s, g.z_m, g.thickness_m, g.density_kg_m3, g.conductivity_W_m_K,
                HEAT_CAPACITY_COEFFS, p.eps, p.qb, p.chi, True, stats[0], stats[1], stats[2], stats[3], stats[4],
                self.no_series, LIVE_DEPTH_M,
            )  # fmt: skip
            if self.progress is not None:
                self.progress.update(1)

    def spin_up(self, sun: tuple[NDArray[np.float64], ...], n_spin: int, passes: int,
                q_climate: NDArray[np.float64]) -> None:  # fmt: skip
        """Run the spin-up forcing ``passes`` times; between runs the metres below the diurnal skin, which relax over
        decades, get the mean of the equilibrium implied by the run's mean surface temperature scaled to the
        climate flux."""
        p = self.phys
        for done in range(1, passes + 1):
            spin = self.new_stats()
            self.run(sun, n_spin, spin)
            if done < passes:
                t_eq_spin = ((spin[5] / n_spin + p.qb) / (p.eps * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
                t_eq_climate = ((np.maximum(q_climate, 0.0) + p.qb) / (p.eps * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
                ts_climate = spin[2] / n_spin * t_eq_climate / t_eq_spin
                target = equilibrium_mean_profile_K(p.grid, ts_climate, q_climate, p.eps, p.qb, p.chi)
                correct_mean_profile(self.temp, spin[4] / n_spin, target, p.grid.z_m)


def _thermal_dataset(
    dem: xr.DataArray, scene: _Scene, grid: RegolithGrid, stats: tuple[NDArray[np.float64], ...], nt: int,
    depths_m: tuple[float, ...], info: dict[str, Any],
) -> xr.Dataset:  # fmt: skip
    """The result maps on the DEM grid (NaN outside the modelled cells) with the run's attributes."""
    ts_min, ts_max, ts_sum, tz_max, tz_sum, q_sum = stats
    drill, threshold = default("drill_depth_m"), default("ice_stability_temperature_K")
    depth = ice_stability_depth_m(tz_max, grid.z_m, threshold, drill)
    ice_class = np.where(np.isnan(depth), 2, np.where(depth == 0.0, 0, 1)).astype(np.uint8)
    at_max = np.stack([_interp_nodes(tz_max, grid.z_m, d) for d in depths_m])
    at_mean = np.stack([_interp_nodes(tz_sum / nt, grid.z_m, d) for d in depths_m])

    def to_map(values: NDArray[Any], fill: Any = np.nan, dtype: Any = np.float32) -> NDArray[Any]:
        out = np.full(dem.shape, fill, dtype=dtype)
        sub = np.full(scene.ny * scene.nx, fill, dtype=dtype)
        sub[scene.idx] = values
        out[scene.rows, scene.cols] = sub.reshape(scene.ny, scene.nx)
        return out

    view_full = np.full(dem.shape, np.nan, dtype=np.float32)
    view_full[scene.rows, scene.cols] = scene.view
    dims = ("y", "x")
    return xr.Dataset(
        {
            "t_min_K": (dims, to_map(ts_min), {"units": "K", "long_name": "minimum surface temperature"}),
            "t_mean_K": (dims, to_map(ts_sum / nt), {"units": "K", "long_name": "mean surface temperature"}),
            "t_max_K": (dims, to_map(ts_max), {"units": "K", "long_name": "maximum surface temperature"}),
            "t_max_at_depth_K": (("depth_m", *dims), np.stack([to_map(v) for v in at_max]), {"units": "K"}),
            "t_mean_at_depth_K": (("depth_m", *dims), np.stack([to_map(v) for v in at_mean]), {"units": "K"}),
            "ice_stability_depth_m": (
                dims,
                to_map(depth),
                {"units": "m", "long_name": "ice stability depth (0 = surface, NaN = none within drill depth)"},
            ),
            "ice_class": (dims, to_map(ice_class, 255, np.uint8), {"flag_values": str(ICE_CLASSES)}),
            "sky_view_factor": (dims, view_full, {"units": "1"}),
            "mean_absorbed_W_m2": (dims, to_map(q_sum / nt), {"units": "W m-2"}),
        },
        coords={"y": dem["y"], "x": dem["x"], "depth_m": np.asarray(depths_m, dtype=np.float64)},
        attrs={"crs": dem.attrs.get("crs", ""), "res_m": scene.res_m, "source": dem.attrs.get("source", ""), **info,
               "ice_stability_temperature_K": threshold, "drill_depth_m": drill,
               "cells_modelled": scene.n_cells, "defaults_used": ",".join(_THERMAL_DEFAULTS)},
    )  # fmt: skip


def _interp_nodes(values: NDArray[np.float64], z_m: NDArray[np.float64], depth_m: float) -> NDArray[np.float64]:
    """Linear interpolation of node values (n_nodes, n_cells) to one depth [m]."""
    k = int(np.clip(np.searchsorted(z_m, depth_m), 1, z_m.size - 1))
    w = (depth_m - z_m[k - 1]) / (z_m[k] - z_m[k - 1])
    return np.asarray((1 - w) * values[k - 1] + w * values[k])
