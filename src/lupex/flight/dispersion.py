"""Landing dispersion: Monte Carlo of the closed-loop terminal descent over a DEM (docs/models/descent.md).

Each run starts at the end of fine braking (default 800 m above the target, ~0 m/s) with its own initial
position and velocity error, thrust and Isp error and terrain-relative-navigation (TRN) knowledge error, and is
flown by the ZEM/ZEV terminal guidance with thrust saturation (:func:`lupex.core.descent.zem_zev_touchdowns`)
to touchdown. The local flat frame is the polar stereographic grid frame translated to the site (grid scale
factor within 4e-5 of 1 within 20 km of the pole: ignored), so touchdowns are grid coordinates.

A touchdown is *safe* when it landed, its sink rate and horizontal speed are within the limits, and the DEM
cell under it has slope and roughness within the limits. The lander's ~4 m footprint is smaller than a 10 m
cell: slope is the cell's Horn slope (30 m baseline) and roughness is read at the smallest baseline the DEM
resolves (3 cells), so metre-scale hazards (boulders, small craters) are not seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from lupex.core.descent import zem_zev_touchdowns
from lupex.defaults import default
from lupex.errors import InputError
from lupex.flight.descent import Lander, vikram_like_lander
from lupex.terrain import check_dem, latlon_to_xy, roughness_m, slope_deg, xy_to_latlon

__all__ = [
    "DispersionErrors",
    "LandingDispersion",
    "aimed_at",
    "default_dispersion_errors",
    "ellipse_geojson",
    "landing_dispersion",
    "safe_fraction_at",
]

#: Mahalanobis radius of the reported ellipse ("3 sigma"); it holds 1 - exp(-4.5) = 98.89 % of a 2-D Gaussian.
ELLIPSE_SIGMA = 3.0


@dataclass(frozen=True)
class DispersionErrors:
    """One-sigma errors of the Monte Carlo (all Gaussian, zero mean, independent).

    Attributes
    ----------
    nav_sigma_m : float
        TRN position knowledge error per horizontal axis [m] (constant over a run).
    thrust_sigma_frac : float
        Delivered / commanded thrust error [-].
    isp_sigma_frac : float
        Specific impulse error [-] (the guidance keeps the nominal Isp in its mass estimate).
    position_sigma_m : float
        True initial position error per horizontal axis [m] (known to the guidance up to the TRN error).
    velocity_sigma_m_s : float
        True initial velocity error per axis [m/s].
    """

    nav_sigma_m: float
    thrust_sigma_frac: float
    isp_sigma_frac: float
    position_sigma_m: float
    velocity_sigma_m_s: float


def default_dispersion_errors() -> DispersionErrors:
    """The ``dispersion_*_sigma_*`` DEFAULTS (estimates)."""
    return DispersionErrors(
        nav_sigma_m=default("dispersion_nav_sigma_m"),
        thrust_sigma_frac=default("dispersion_thrust_sigma_frac"),
        isp_sigma_frac=default("dispersion_isp_sigma_frac"),
        position_sigma_m=default("dispersion_position_sigma_m"),
        velocity_sigma_m_s=default("dispersion_velocity_sigma_m_s"),
    )


@dataclass(frozen=True)
class LandingDispersion:
    """Touchdowns of a landing Monte Carlo, their 3-sigma ellipse and the probability of a safe touchdown.

    Attributes
    ----------
    x_m, y_m : array (runs,)
        Touchdown grid coordinates [m] (polar stereographic).
    lat_deg, lon_deg : array (runs,)
        Touchdown latitude and east longitude [deg].
    v_vertical_m_s, v_horizontal_m_s : array (runs,)
        Sink rate (positive down) and horizontal speed at touchdown [m/s].
    slope_deg, roughness_m : array (runs,)
        DEM slope [deg] and roughness [m] at the touchdown cell (NaN off the DEM).
    landed, safe : bool array (runs,)
        Reached the ground in time; met every touchdown limit.
    site_x_m, site_y_m : float
        Target [m].
    semi_major_m, semi_minor_m : float
        Semi-axes of the 3-sigma ellipse of the sample covariance of the landed touchdowns [m].
    orientation_deg : float
        Grid azimuth of the major axis, clockwise from +y, in [0, 180) [deg].
    center_x_m, center_y_m : float
        Ellipse centre (sample mean) [m].
    p_safe, p_safe_low, p_safe_high : float
        Fraction of safe runs and its 95 % Wilson score interval [-].
    errors : DispersionErrors
        The errors drawn.
    seed : int
        Seed of the draws.
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    lat_deg: NDArray[np.float64]
    lon_deg: NDArray[np.float64]
    v_vertical_m_s: NDArray[np.float64]
    v_horizontal_m_s: NDArray[np.float64]
    slope_deg: NDArray[np.float64]
    roughness_m: NDArray[np.float64]
    landed: NDArray[np.bool_]
    safe: NDArray[np.bool_]
    site_x_m: float
    site_y_m: float
    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    center_x_m: float
    center_y_m: float
    p_safe: float
    p_safe_low: float
    p_safe_high: float
    errors: DispersionErrors
    seed: int

    def inside_ellipse(self, x_m: Any, y_m: Any) -> NDArray[np.bool_]:
        """Whether grid points [m] lie inside the 3-sigma ellipse."""
        dx = np.asarray(x_m, dtype=np.float64) - self.center_x_m
        dy = np.asarray(y_m, dtype=np.float64) - self.center_y_m
        az = math.radians(self.orientation_deg)
        major = dx * math.sin(az) + dy * math.cos(az)
        minor = dx * math.cos(az) - dy * math.sin(az)
        a, b = max(self.semi_major_m, 1e-300), max(self.semi_minor_m, 1e-300)
        return np.asarray((major / a) ** 2 + (minor / b) ** 2 <= 1.0)

    def ellipse_xy(self, n: int = 73) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Closed outline of the ellipse, ``n`` grid points [m] (first = last)."""
        s = np.linspace(0.0, 2.0 * np.pi, n)
        az = math.radians(self.orientation_deg)
        major, minor = self.semi_major_m * np.cos(s), self.semi_minor_m * np.sin(s)
        x = self.center_x_m + major * math.sin(az) + minor * math.cos(az)
        y = self.center_y_m + major * math.cos(az) - minor * math.sin(az)
        x[-1], y[-1] = x[0], y[0]
        return x, y

    def rows(self) -> list[dict[str, float | bool]]:
        """One record per run (CSV columns named with units)."""
        return [
            {
                "x_m": float(self.x_m[i]),
                "y_m": float(self.y_m[i]),
                "lat_deg": float(self.lat_deg[i]),
                "lon_deg": float(self.lon_deg[i]),
                "v_vertical_m_s": float(self.v_vertical_m_s[i]),
                "v_horizontal_m_s": float(self.v_horizontal_m_s[i]),
                "slope_deg": float(self.slope_deg[i]),
                "safe": bool(self.safe[i]),
            }
            for i in range(len(self.x_m))
        ]


def _check_inputs(runs: int, seed: int, errors: DispersionErrors) -> None:
    limit = int(default("dispersion_max_runs"))
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or not 1 <= runs <= limit:
        raise InputError(f"runs {runs!r} must be an integer in [1, {limit:,}]")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed {seed!r} must be an integer >= 0")
    for f in fields(errors):
        value = getattr(errors, f.name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0.0):
            raise InputError(f"errors.{f.name} {value!r} must be a finite number >= 0")


def _site_xy(dem: xr.DataArray, site_lat_deg: float, site_lon_deg: float) -> tuple[float, float]:
    """Grid coordinates of the site [m]; refuses a site off the DEM."""
    try:
        x, y = latlon_to_xy(site_lat_deg, site_lon_deg)
    except InputError:
        raise InputError(f"site_lat_deg {site_lat_deg!r} must lie in [-90, 0) (south polar grid)") from None
    if not math.isfinite(float(site_lon_deg)):
        raise InputError(f"site_lon_deg {site_lon_deg!r} must be a finite longitude")
    half = 0.5 * float(dem.attrs["res_m"])
    xs, ys = dem["x"].values, dem["y"].values
    if not (xs.min() - half <= x <= xs.max() + half and ys.min() - half <= y <= ys.max() + half):
        raise InputError(
            f"site_lat_deg, site_lon_deg ({site_lat_deg:g}, {site_lon_deg:g}) lie outside the DEM; choose a site on it"
        )
    return float(x), float(y)


def _initial_conditions(
    rng: np.random.Generator, runs: int, errors: DispersionErrors, lander: Lander, mass_kg: float, altitude_m: float
) -> tuple[NDArray[np.float64], ...]:
    """Draw (state0, nav_err, thrust_scale, isp_true) for all runs."""
    state0 = np.zeros((runs, 7))
    state0[:, 0:2] = rng.normal(0.0, 1.0, (runs, 2)) * errors.position_sigma_m
    state0[:, 2] = altitude_m
    state0[:, 3:6] = rng.normal(0.0, 1.0, (runs, 3)) * errors.velocity_sigma_m_s
    state0[:, 6] = mass_kg
    nav = np.zeros((runs, 3))
    nav[:, 0:2] = rng.normal(0.0, 1.0, (runs, 2)) * errors.nav_sigma_m
    thrust_scale = 1.0 + rng.normal(0.0, 1.0, runs) * errors.thrust_sigma_frac
    isp_true = lander.isp_s * (1.0 + rng.normal(0.0, 1.0, runs) * errors.isp_sigma_frac)
    return state0, nav, thrust_scale, isp_true


def _fly(
    draws: tuple[NDArray[np.float64], ...], params: NDArray[np.float64], progress: Any
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Run the kernel in chunks (for progress); returns final states and landed flags."""
    state0, nav, thrust_scale, isp_true = draws
    runs = len(state0)
    r_f = np.array([0.0, 0.0, default("descent_gate_altitude_m")])
    v_f = np.array([0.0, 0.0, -default("descent_gate_v_m_s")])
    chunks = np.array_split(np.arange(runs), min(runs, 10))
    if progress is not None:
        progress.total = runs
    finals, landed = [], []
    for idx in chunks:
        f, _, ok = zem_zev_touchdowns(state0[idx], nav[idx], thrust_scale[idx], isp_true[idx], r_f, v_f, params)
        finals.append(f)
        landed.append(ok > 0.5)
        if progress is not None:
            progress.update(len(idx))
    return np.concatenate(finals), np.concatenate(landed)


def _terrain_at(
    dem: xr.DataArray, x: NDArray[np.float64], y: NDArray[np.float64], footprint_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Slope [deg] and roughness [m] of the DEM cells under the points (NaN off the DEM), on a cropped window."""
    res = float(dem.attrs["res_m"])
    margin = 4 * res
    xs, ys = dem["x"].values, dem["y"].values
    cols = np.flatnonzero((xs >= np.nanmin(x) - margin) & (xs <= np.nanmax(x) + margin))
    rows = np.flatnonzero((ys >= np.nanmin(y) - margin) & (ys <= np.nanmax(y) + margin))
    slope = np.full(len(x), np.nan)
    rough = np.full(len(x), np.nan)
    if len(cols) < 3 or len(rows) < 3:
        return slope, rough
    window = dem.isel(y=slice(rows[0], rows[-1] + 1), x=slice(cols[0], cols[-1] + 1))
    s_map = slope_deg(window).values
    r_map = roughness_m(window, max(footprint_m, 3.0 * res)).values
    wx, wy = window["x"].values, window["y"].values
    ci = np.rint((x - wx[0]) / (wx[1] - wx[0])).astype(np.int64)
    ri = np.rint((y - wy[0]) / (wy[1] - wy[0])).astype(np.int64)
    ok = (ci >= 0) & (ci < len(wx)) & (ri >= 0) & (ri < len(wy))
    slope[ok] = s_map[ri[ok], ci[ok]]
    rough[ok] = r_map[ri[ok], ci[ok]]
    return slope, rough


def _ellipse(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float, float, float, float]:
    """(centre x, centre y, semi-major, semi-minor, grid azimuth of the major axis) of the 3-sigma ellipse."""
    if len(x) < 2:
        return float(np.mean(x)), float(np.mean(y)), 0.0, 0.0, 0.0
    values, vectors = np.linalg.eigh(np.cov(np.vstack([x, y])))
    values = np.clip(values, 0.0, None)
    ex, ey = vectors[:, 1]
    azimuth = math.degrees(math.atan2(ex, ey)) % 180.0
    return (
        float(np.mean(x)),
        float(np.mean(y)),
        ELLIPSE_SIGMA * math.sqrt(values[1]),
        ELLIPSE_SIGMA * math.sqrt(values[0]),
        azimuth,
    )


def _wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval of a binomial proportion."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    return low, 1.0 if successes == n else min(1.0, centre + half)


def _run_inputs(
    lander: Lander, mass_kg: float, dt_s: float, errors: DispersionErrors, runs: int, seed: int
) -> tuple[NDArray[np.float64], Any]:
    """The kernel's parameter vector and the seeded initial conditions of every run."""
    tgo = default("dispersion_terminal_s")
    params = np.array(
        [
            default("lunar_descent_gravity_m_s2"),
            tgo,
            dt_s,
            lander.thrust_min_N,
            lander.thrust_max_N,
            lander.isp_s,
            default("descent_tgo_floor_s"),
            tgo + default("descent_terminal_margin_s"),
        ]
    )
    draws = _initial_conditions(
        np.random.default_rng(seed), runs, errors, lander, mass_kg, default("dispersion_start_altitude_m")
    )
    return params, draws


def _dispersion_result(
    dem: xr.DataArray, final: NDArray[np.float64], landed: NDArray[np.bool_], site_xy: tuple[float, float],
    errors: DispersionErrors, seed: int,
) -> LandingDispersion:
    """Touchdown positions, speeds, terrain, safety and the ellipse from the kernel's final states."""
    site_x, site_y = site_xy
    runs = final.shape[0]
    x, y = site_x + final[:, 0], site_y + final[:, 1]
    lat, lon = xy_to_latlon(x, y)
    v_sink, v_h = -final[:, 5], np.hypot(final[:, 3], final[:, 4])
    slope, rough = _terrain_at(dem, x, y, default("lander_footprint_m"))
    safe = _safe_runs(landed, v_sink, v_h, slope, rough)
    cx, cy, a, b, az = _ellipse(x[landed], y[landed]) if landed.any() else (site_x, site_y, 0.0, 0.0, 0.0)
    low, high = _wilson(int(safe.sum()), int(runs))
    return LandingDispersion(
        x_m=x,
        y_m=y,
        lat_deg=lat,
        lon_deg=lon,
        v_vertical_m_s=v_sink,
        v_horizontal_m_s=v_h,
        slope_deg=slope,
        roughness_m=rough,
        landed=landed,
        safe=safe,
        site_x_m=site_x,
        site_y_m=site_y,
        semi_major_m=a,
        semi_minor_m=b,
        orientation_deg=az,
        center_x_m=cx,
        center_y_m=cy,
        p_safe=float(safe.mean()),
        p_safe_low=low,
        p_safe_high=high,
        errors=errors,
        seed=int(seed),
    )


def landing_dispersion(
    dem: xr.DataArray,
    site_lat_deg: float,
    site_lon_deg: float,
    *,
    runs: int,
    seed: int,
    errors: DispersionErrors | None = None,
    lander: Lander | None = None,
    mass_kg: float | None = None,
    dt_s: float | None = None,
    progress: Any = None,
) -> LandingDispersion:
    """Monte Carlo landing dispersion at a site and the probability of a safe touchdown.

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM, heights [m] (e.g. ``builtin_dem("connecting_ridge_10m")``).
    site_lat_deg, site_lon_deg : float
        Target latitude and east longitude [deg]; must lie on the DEM.
    runs : int
        Number of Monte Carlo runs (>= 1).
    seed : int
        Seed of the random draws (same seed, same result).
    errors : DispersionErrors, optional
        One-sigma errors; default :func:`default_dispersion_errors`.
    lander : Lander, optional
        Thrust range and Isp; default :func:`lupex.flight.descent.vikram_like_lander`.
    mass_kg : float, optional
        Mass at the start of the terminal descent [kg]; default ``lunar_descent_wet_mass_kg``.
    dt_s : float, optional
        Guidance step [s]; default ``descent_guidance_dt_s``.
    progress : tqdm-like, optional
        Receives ``total`` and ``update(n)`` as runs finish.

    Returns
    -------
    LandingDispersion

    Raises
    ------
    InputError
        ``runs`` < 1, a negative or non-finite error sigma, or a site off the DEM (the message names it).
    """
    errors = errors or default_dispersion_errors()
    _check_inputs(runs, seed, errors)
    check_dem(dem)
    site_x, site_y = _site_xy(dem, site_lat_deg, site_lon_deg)
    lander = lander or vikram_like_lander()
    mass = default("lunar_descent_wet_mass_kg") if mass_kg is None else float(mass_kg)
    dt = default("descent_guidance_dt_s") if dt_s is None else float(dt_s)
    if not (math.isfinite(mass) and mass > 0.0 and math.isfinite(dt) and dt > 0.0):
        raise InputError(f"mass_kg {mass_kg!r} and dt_s {dt_s!r} must be positive finite numbers")
    params, draws = _run_inputs(lander, mass, dt, errors, int(runs), seed)
    final, landed = _fly(draws, params, progress)
    return _dispersion_result(dem, final, landed, (site_x, site_y), errors, int(seed))


def ellipse_geojson(result: LandingDispersion) -> dict[str, Any]:
    """The 3-sigma landing ellipse as a GeoJSON polygon in lunar planetocentric lon/lat [deg]."""
    x, y = result.ellipse_xy()
    lat, lon = xy_to_latlon(x, y)
    lon = (lon + 180.0) % 360.0 - 180.0
    return {
        "type": "FeatureCollection",
        "crs_note": "Coordinates are lunar planetocentric east longitude / latitude [deg] on the IAU 2015 Moon "
        "sphere (R = 1737.4 km), not WGS84.",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "3-sigma landing ellipse",
                    "semi_major_m": result.semi_major_m,
                    "semi_minor_m": result.semi_minor_m,
                    "orientation_grid_azimuth_deg": result.orientation_deg,
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]],
                },
            }
        ],
    }


def _safe_runs(
    landed: NDArray[np.bool_], v_sink: NDArray[np.float64], v_h: NDArray[np.float64], slope: NDArray[np.float64],
    rough: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Touchdowns meeting every limit (``descent_max_touchdown_*``, ``descent_max_roughness_m``)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(
            landed
            & (v_sink <= default("descent_max_touchdown_v_vertical_m_s"))
            & (v_h <= default("descent_max_touchdown_v_horizontal_m_s"))
            & (slope <= default("descent_max_touchdown_slope_deg"))
            & (rough <= default("descent_max_roughness_m"))
        )  # fmt: skip


def aimed_at(result: LandingDispersion, dem: xr.DataArray, x_m: float, y_m: float) -> LandingDispersion:
    """The same dispersion aimed at another point of ``dem`` [m]: touchdown offsets and speeds reused (the errors
    do not depend on the site), the terrain limits evaluated under the shifted touchdowns (off the DEM: unsafe)."""
    check_dem(dem)
    dx, dy = x_m - result.site_x_m, y_m - result.site_y_m
    x, y = result.x_m + dx, result.y_m + dy
    slope, rough = _terrain_at(dem, x, y, default("lander_footprint_m"))
    safe = _safe_runs(result.landed, result.v_vertical_m_s, result.v_horizontal_m_s, slope, rough)
    lat, lon = xy_to_latlon(x, y)
    low, high = _wilson(int(safe.sum()), int(safe.size))
    return replace(
        result, x_m=x, y_m=y, lat_deg=lat, lon_deg=lon, slope_deg=slope, roughness_m=rough, safe=safe,
        site_x_m=float(x_m), site_y_m=float(y_m), center_x_m=result.center_x_m + dx,
        center_y_m=result.center_y_m + dy, p_safe=float(safe.mean()), p_safe_low=low, p_safe_high=high,
    )  # fmt: skip


def safe_fraction_at(
    result: LandingDispersion, dem: xr.DataArray, x_m: float, y_m: float
) -> tuple[float, float, float]:
    """P(safe touchdown) if the same dispersion were aimed at another point of ``dem`` [m].

    The touchdown offsets from the target and the touchdown speeds of ``result`` are reused (the errors do not
    depend on the site); the terrain limits are evaluated under the shifted touchdowns.

    Returns
    -------
    p_safe, low, high : float
        Fraction of safe runs and its 95 % Wilson interval [-]; NaN when the point is off the DEM.
    """
    check_dem(dem)
    xs, ys = dem["x"].values, dem["y"].values
    if not (min(xs[0], xs[-1]) <= x_m <= max(xs[0], xs[-1]) and min(ys[0], ys[-1]) <= y_m <= max(ys[0], ys[-1])):
        return math.nan, math.nan, math.nan
    moved = aimed_at(result, dem, x_m, y_m)
    return moved.p_safe, moved.p_safe_low, moved.p_safe_high
