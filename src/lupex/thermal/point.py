"""Surface and subsurface temperature at one site, without terrain shadowing (docs/models/thermal.md).

The Sun comes from :func:`lupex.ephemeris.sun_position` (apparent, LT+S); the absorbed flux on a plane tilted by
``slope_deg`` toward ``aspect_deg`` is

    ``Q = S0 (1 au / r)^2 (1 - A(i)) max(cos i, 0) f``

with ``i`` the incidence angle on the plane, ``A(i)`` the incidence-dependent albedo (Hayne et al. 2017 Eq. A5)
and ``f`` the visible fraction of the solar disk above the local horizontal plane. The regolith column is the
1-D model of :mod:`lupex.core.thermal`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.constants import AU_KM
from lupex.core.thermal import (
    SYNODIC_MONTH_S,
    albedo_at_incidence,
    initial_profile_K,
    integrate_columns,
    regolith_grid,
    spin_up_columns,
)
from lupex.core.visibility import disk_fraction_array
from lupex.defaults import default, used_placeholders
from lupex.ephemeris import Site, format_utc, parse_duration_s, sun_position, time_range, valid_time_range
from lupex.errors import InputError

__all__ = ["MAX_INTERNAL_STEP_S", "SPINUP_PASSES", "PointThermalResult", "absorbed_flux_W_m2", "point_temperature"]

logger = logging.getLogger(__name__)

#: Longest time step of the column model [s]: a longer output ``step`` is integrated in equal sub-steps.
MAX_INTERNAL_STEP_S = 3600.0
#: Passes over the spin-up window (the deep mean profile is reset to equilibrium after each but the last).
SPINUP_PASSES = 3
#: Default spin-up window [synodic months]: 13 lunations (384 d) cover a year of seasons before ``start``.
DEFAULT_SPINUP_LUNATIONS = 13
#: Most internal steps (spin-up window plus period) accepted in one call.
MAX_INTERNAL_STEPS = 5_000_000
#: Depths of the summary table [m].
SUMMARY_DEPTHS_M = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0)

_THERMAL_DEFAULTS = (
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
)


@dataclass(frozen=True)
class PointThermalResult:
    """Temperatures at one site over a period (result of :func:`point_temperature`).

    Attributes
    ----------
    site : Site
        Latitude and longitude (height 0: the model has no terrain).
    time_utc : datetime64[ns] (n,)
        Output instants, UTC.
    t_surface_K : float64 (n,)
        Surface temperature at ``time_utc``. [K]
    absorbed_W_m2 : float64 (n,)
        Absorbed solar flux at ``time_utc``. [W m-2]
    t_min_K, t_mean_K, t_max_K : float
        Minimum, mean and maximum surface temperature over the period, from every internal step
        (at most :data:`MAX_INTERNAL_STEP_S` apart). [K]
    depth_m : float64 (nz,)
        Depths of the model nodes. [m]
    t_depth_mean_K, t_depth_max_K : float64 (nz,)
        Mean and maximum temperature over the period at each node. [K]
    slope_deg, aspect_deg : float
        Tilt of the surface and its downhill direction, clockwise from local north. [deg]
    step_s, internal_step_s : float
        Output step and model step. [s]
    spinup_lunations : int
        Spin-up window length [synodic months]; see :func:`point_temperature`.
    spinup_start_utc : str
        First instant of the spin-up forcing (ISO 8601).
    parameters : dict
        Every physical parameter used, by its ``lupex.defaults`` name (unit in the name or in DEFAULTS).
    placeholder_defaults : tuple of str
        Defaults used whose confidence is ``placeholder`` or ``estimate`` (``lupex.defaults.used_placeholders``).
    """

    site: Site
    time_utc: NDArray[np.datetime64]
    t_surface_K: NDArray[np.float64]
    absorbed_W_m2: NDArray[np.float64]
    t_min_K: float
    t_mean_K: float
    t_max_K: float
    depth_m: NDArray[np.float64]
    t_depth_mean_K: NDArray[np.float64]
    t_depth_max_K: NDArray[np.float64]
    slope_deg: float
    aspect_deg: float
    step_s: float
    internal_step_s: float
    spinup_lunations: int
    spinup_start_utc: str
    parameters: dict[str, float] = field(default_factory=dict)
    placeholder_defaults: tuple[str, ...] = ()

    def depth_summary(self, depths_m: ArrayLike = SUMMARY_DEPTHS_M) -> list[dict[str, float]]:
        """Mean and maximum temperature at the given depths (linear between nodes) [m, K]."""
        depths = np.asarray(depths_m, dtype=np.float64)
        if depths.ndim != 1 or np.any(~((depths >= 0.0) & (depths <= self.depth_m[-1]))):
            raise InputError(f"depths_m must lie in [0, {self.depth_m[-1]:.2f}] m (the model column)")
        mean = np.interp(depths, self.depth_m, self.t_depth_mean_K)
        high = np.interp(depths, self.depth_m, self.t_depth_max_K)
        return [
            {"depth_m": float(d), "t_mean_K": round(float(m), 3), "t_max_K": round(float(h), 3)}
            for d, m, h in zip(depths, mean, high, strict=True)
        ]

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: site, period, surface statistics, depth table, parameters."""
        return {
            "site": {"lat_deg": self.site.lat_deg, "lon_deg": self.site.lon_deg},
            "slope_deg": self.slope_deg,
            "aspect_deg": self.aspect_deg,
            "start_utc": format_utc(self.time_utc[0]),
            "end_utc": format_utc(self.time_utc[-1]),
            "step_s": self.step_s,
            "internal_step_s": self.internal_step_s,
            "n_times": int(self.time_utc.size),
            "t_min_K": round(self.t_min_K, 3),
            "t_mean_K": round(self.t_mean_K, 3),
            "t_max_K": round(self.t_max_K, 3),
            "depths": self.depth_summary(),
            "spinup_lunations": self.spinup_lunations,
            "spinup_start_utc": self.spinup_start_utc,
            "parameters": dict(self.parameters),
            "placeholder_defaults": list(self.placeholder_defaults),
        }

    def records(self) -> list[dict[str, Any]]:
        """One JSON/CSV-ready dict per output time: ``time_utc``, ``t_surface_K``, ``absorbed_W_m2``."""
        return [
            {
                "time_utc": format_utc(self.time_utc[i]),
                "t_surface_K": round(float(self.t_surface_K[i]), 3),
                "absorbed_W_m2": round(float(self.absorbed_W_m2[i]), 3),
            }
            for i in range(self.time_utc.size)
        ]


def absorbed_flux_W_m2(
    site: Site,
    times: NDArray[np.datetime64],
    slope_deg: float,
    aspect_deg: float,
    solar_constant_W_m2: float,
    albedo_normal: float,
    albedo_coeff_a: float,
    albedo_coeff_b: float,
) -> NDArray[np.float64]:
    """Absorbed solar flux on a tilted plane at ``site`` without terrain shadowing [W m-2].

    ``S0 (1 au / r)^2 (1 - A(i)) max(cos i, 0) f`` with ``r`` the Sun's distance, ``i`` the incidence angle on
    the plane (normal tilted by ``slope_deg`` toward ``aspect_deg``, clockwise from local north), ``A`` the
    albedo of Hayne et al. 2017 Eq. A5 and ``f`` the visible fraction of the solar disk above the local
    horizontal (:func:`lupex.core.visibility.disk_fraction`).
    """
    sun = sun_position(site.lat_deg, site.lon_deg, times, site.height_m)
    slope = math.radians(slope_deg)
    aspect = math.radians(aspect_deg)
    normal = np.array([math.sin(slope) * math.sin(aspect), math.sin(slope) * math.cos(aspect), math.cos(slope)])
    cos_i = sun.dir_enu @ normal
    incidence = np.arccos(np.clip(cos_i, -1.0, 1.0))
    albedo = albedo_at_incidence(incidence, albedo_normal, albedo_coeff_a, albedo_coeff_b)
    visible = disk_fraction_array(np.ascontiguousarray(sun.elevation_deg / sun.angular_radius_deg))
    irradiance = solar_constant_W_m2 * (AU_KM / sun.distance_km) ** 2
    return np.asarray(irradiance * (1.0 - albedo) * np.maximum(cos_i, 0.0) * visible, dtype=np.float64)


def _finite(name: str, value: float, low: float, high: float, closed_high: bool, hint: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} {value!r} is not a number; {hint}") from None
    if not math.isfinite(x):
        raise InputError(f"{name} {value!r} is not a finite number; {hint}")
    if not (low <= x <= high if closed_high else low <= x < high):
        raise InputError(f"{name} {value!r} is outside [{low:g}, {high:g}{']' if closed_high else ')'}; {hint}")
    return x


def _checked_site(
    lat_deg: float, lon_deg: float, slope_deg: float, aspect_deg: float
) -> tuple[float, float, float, float]:
    """Latitude, longitude, slope and aspect [deg], each checked (:class:`InputError` naming the argument)."""
    lat = _finite("lat_deg", lat_deg, -90.0, 90.0, True, "give a planetocentric latitude in degrees")
    lon = _finite("lon_deg", lon_deg, -math.inf, math.inf, False, "give an east longitude in degrees")
    slope = _finite("slope_deg", slope_deg, 0.0, 90.0, False, "give the surface tilt in degrees, e.g. 0 for flat")
    aspect = _finite("aspect_deg", aspect_deg, -math.inf, math.inf, False, "give degrees clockwise from north")
    return lat, lon, slope, aspect


def _checked_model(
    albedo: float | None, h_param_m: float | None, spinup_lunations: int
) -> tuple[float, float, int, list[str]]:
    """Albedo, H-parameter [m] and spin-up lunations, checked or defaulted, and the defaults still in use."""
    used = list(_THERMAL_DEFAULTS)
    if albedo is not None:
        a0 = _finite("albedo", albedo, 0.0, 1.0, False, "give the normal-incidence albedo, e.g. 0.12")
        used.remove("albedo_normal")
    else:
        a0 = default("albedo_normal")
    if h_param_m is not None:
        h = _finite("h_param_m", h_param_m, 0.0, math.inf, False, "give the H-parameter in metres, e.g. 0.06")
        if h <= 0.0:
            raise InputError(f"h_param_m {h_param_m!r} must be positive; give the H-parameter in metres, e.g. 0.06")
        used.remove("h_parameter_m")
    else:
        h = default("h_parameter_m")
    if isinstance(spinup_lunations, bool) or int(spinup_lunations) != spinup_lunations or spinup_lunations < 1:
        raise InputError(f"spinup_lunations {spinup_lunations!r} must be a positive integer (e.g. 13)")
    return a0, h, int(spinup_lunations), used


def _model_clock(
    times: NDArray[np.datetime64], step_s: float, n_lunations: int
) -> tuple[int, float, NDArray[np.datetime64], NDArray[np.datetime64]]:
    """Sub-steps per output step, the model step [s], and the model times of the period and of the spin-up.

    The spin-up covers ``n_lunations`` synodic months just before the period, or just after its start where that
    would begin before the ephemeris. The total number of model steps is checked before anything is allocated.
    """
    n_sub = max(1, math.ceil(step_s / MAX_INTERNAL_STEP_S - 1e-9))
    dt = step_s / n_sub
    dt_ns = np.timedelta64(round(dt * 1e9), "ns")
    n_period = (times.size - 1) * n_sub + 1
    n_spin = max(1, round(n_lunations * SYNODIC_MONTH_S / dt))
    if n_period + n_spin > MAX_INTERNAL_STEPS:
        raise InputError(
            f"the run needs {n_period + n_spin} model steps (at most {MAX_INTERNAL_STEPS}); "
            "use a shorter period, a larger step or fewer spinup_lunations"
        )
    model_times = times[0] + np.arange(n_period, dtype=np.int64) * dt_ns
    spin_times = times[0] - np.arange(n_spin, 0, -1, dtype=np.int64) * dt_ns
    first_valid, _ = valid_time_range()
    if spin_times[0] < first_valid:
        logger.info("spin-up window before the ephemeris range; using the %d lunations after start", n_lunations)
        spin_times = times[0] + np.arange(1, n_spin + 1, dtype=np.int64) * dt_ns
    return n_sub, dt, model_times, spin_times


def point_temperature(
    lat_deg: float,
    lon_deg: float,
    start: Any,
    end: Any,
    step: Any,
    *,
    slope_deg: float = 0.0,
    aspect_deg: float = 0.0,
    albedo: float | None = None,
    h_param_m: float | None = None,
    spinup_lunations: int = DEFAULT_SPINUP_LUNATIONS,
    progress: Any = None,
) -> PointThermalResult:
    """Surface and subsurface temperatures at a site over a period (1-D regolith model, no terrain shadowing).

    Parameters
    ----------
    lat_deg : float
        Planetocentric latitude, -90 to 90. [deg]
    lon_deg : float
        East longitude. [deg]
    start, end : time-like
        Period, UTC (``end`` inclusive when on the step grid).
    step : str or float
        Output step (``1h``, ``30min``, seconds). Steps longer than :data:`MAX_INTERNAL_STEP_S` are integrated
        in equal sub-steps.
    slope_deg : float, default 0
        Surface tilt, 0 to < 90. [deg]
    aspect_deg : float, default 0
        Downhill direction of the tilted surface, clockwise from local north. [deg]
    albedo : float, optional
        Normal-incidence albedo ``A0`` in [0, 1) (default ``albedo_normal``, 0.12 highlands); the incidence
        terms ``a``, ``b`` keep their defaults.
    h_param_m : float, optional
        Density/conductivity e-folding depth ``H`` > 0 (default ``h_parameter_m``, 0.06 m). [m]
    spinup_lunations : int, default 13
        The model is spun up on the real forcing of this many synodic months immediately before ``start``,
        run :data:`SPINUP_PASSES` times; after each pass but the last the deep mean profile is reset to the
        equilibrium mean implied by that pass (:func:`lupex.core.thermal.spin_up_columns`). 13 lunations cover
        a year, so deep temperatures reflect the annual mean (polar sites) and not one season. Where that
        window would start before the ephemeris, the first ``spinup_lunations`` after ``start`` are used
        instead (a periodic stand-in).
    progress : tqdm-like, optional
        Receives ``total`` (model steps) and ``update(n)``.

    Returns
    -------
    PointThermalResult

    Raises
    ------
    InputError
        A parameter out of range. ``TimeError`` for malformed times, ``EphemerisRangeError`` for a period
        outside the ephemeris.
    """
    lat, lon, slope, aspect = _checked_site(lat_deg, lon_deg, slope_deg, aspect_deg)
    a0, h, n_lunations, used = _checked_model(albedo, h_param_m, spinup_lunations)
    times = time_range(start, end, step)
    step_s = parse_duration_s(step)
    clock = _model_clock(times, step_s, n_lunations)
    params = {name: default(name) for name in _THERMAL_DEFAULTS}
    params["albedo_normal"] = a0
    params["h_parameter_m"] = h
    site = Site(lat, lon, 0.0)
    return _simulate(site, slope, aspect, params, times, step_s, clock, n_lunations, used, progress)


def _simulate(
    site: Site,
    slope: float,
    aspect: float,
    params: dict[str, float],
    times: NDArray[np.datetime64],
    step_s: float,
    clock: tuple[int, float, NDArray[np.datetime64], NDArray[np.datetime64]],
    n_lunations: int,
    used: list[str],
    progress: Any,
) -> PointThermalResult:
    """Spin the column up on the forcing before the period, integrate it over the period and collect the result
    (:func:`point_temperature`, whose arguments these are once checked; ``clock`` from :func:`_model_clock`)."""
    n_sub, dt, model_times, spin_times = clock

    def flux(at: NDArray[np.datetime64]) -> NDArray[np.float64]:
        return absorbed_flux_W_m2(
            site,
            at,
            slope,
            aspect,
            params["solar_constant_W_m2"],
            params["albedo_normal"],
            params["albedo_coeff_a"],
            params["albedo_coeff_b"],
        )

    period_flux = flux(model_times)
    spin_flux = flux(spin_times)
    grid = regolith_grid(
        params["h_parameter_m"],
        params["density_surface_kg_m3"],
        params["density_deep_kg_m3"],
        params["conductivity_surface_W_m_K"],
        params["conductivity_deep_W_m_K"],
    )
    eps = params["emissivity"]
    qb = params["geothermal_flux_W_m2"]
    chi = params["radiative_conductivity_chi"]
    if progress is not None:
        progress.total = SPINUP_PASSES * spin_times.size + model_times.size
    advance: Callable[[int], None] | None = progress.update if progress is not None else None
    state = initial_profile_K(spin_flux.mean(keepdims=True), grid, eps, qb, chi)
    spin_up_columns(state, spin_flux[None, :], dt, grid, eps, qb, chi, passes=SPINUP_PASSES, progress=advance)
    stats = integrate_columns(state, period_flux[None, :], dt, grid, eps, qb, chi, series=True, progress=advance)
    if stats.t_surface_series_K is None:  # asked for with series=True
        raise RuntimeError("integrate_columns returned no surface series")
    series = stats.t_surface_series_K[0, ::n_sub]
    params.update({"lat_deg": site.lat_deg, "lon_deg": site.lon_deg, "slope_deg": slope, "aspect_deg": aspect})
    return PointThermalResult(
        site=site,
        time_utc=times,
        t_surface_K=np.asarray(series, dtype=np.float64),
        absorbed_W_m2=np.asarray(period_flux[::n_sub], dtype=np.float64),
        t_min_K=float(stats.t_surface_min_K[0]),
        t_mean_K=float(stats.t_surface_mean_K[0]),
        t_max_K=float(stats.t_surface_max_K[0]),
        depth_m=grid.z_m.copy(),
        t_depth_mean_K=stats.t_mean_K[:, 0].copy(),
        t_depth_max_K=stats.t_max_K[:, 0].copy(),
        slope_deg=slope,
        aspect_deg=aspect,
        step_s=step_s,
        internal_step_s=dt,
        spinup_lunations=n_lunations,
        spinup_start_utc=format_utc(spin_times[0]),
        parameters=params,
        placeholder_defaults=tuple(used_placeholders(used)),
    )
