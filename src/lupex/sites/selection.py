"""Landing-site selection: per-cell metrics, hard constraints, landing-ellipse worst case, TOPSIS and Pareto.

Pipeline (model card ``docs/models/sites.md``):

1. :func:`site_metrics` computes per-cell maps on a DEM (optionally within a disc): slope and roughness at
   the lander footprint, illumination and Earth visibility at the solar-panel height, permanent shadow,
   surface/subsurface temperatures and ice stability (:func:`lupex.thermal.thermal_map`), the distance to
   the nearest PSR and to drillable ice-stable ground, and the rover path length to it on slopes the rover
   can drive.
2. :func:`select_sites` scores every cell on the *worst* value of each metric inside its landing ellipse,
   removes cells that break a hard constraint, ranks the rest with TOPSIS, flags the Pareto set and picks
   the best ``top`` candidates at least ``min_separation_m`` apart.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from lupex.core.grid_distance import euclidean_distance_m, footprint_extreme, path_distance_m
from lupex.defaults import default, used_placeholders
from lupex.errors import InputError, LupexError
from lupex.illumination import horizon_map, illumination_stats
from lupex.illumination.horizon import far_field_for
from lupex.sites.ranking import pareto_front, topsis_closeness
from lupex.terrain.dem import check_dem
from lupex.terrain.derivatives import roughness_m, slope_deg
from lupex.terrain.projection import xy_to_latlon
from lupex.thermal.terrain import region_window, thermal_map

__all__ = ["CRITERIA", "NoFeasibleSiteError", "SiteSelection", "select_sites", "site_metrics"]

log = logging.getLogger(__name__)

#: Ranking criteria: metric name -> (larger is better, default weight name in lupex.defaults).
CRITERIA: dict[str, tuple[bool, str]] = {
    "mean_illumination": (True, "weight_mean_illumination"),
    "longest_darkness_h": (False, "weight_longest_darkness"),
    "earth_visibility": (True, "weight_earth_visibility"),
    "slope_deg": (False, "weight_slope"),
    "rover_path_to_ice_m": (False, "weight_rover_path_to_ice"),
}
#: Output column name (unit in the name) of each metric.
COLUMNS = {
    "slope_deg": "slope_deg",
    "roughness_m": "roughness_m",
    "mean_illumination": "mean_illumination_fraction",
    "longest_darkness_h": "longest_darkness_h",
    "earth_visibility": "earth_visibility_fraction",
    "longest_earth_outage_h": "longest_earth_outage_h",
    "distance_to_psr_m": "distance_to_psr_m",
    "distance_to_ice_m": "distance_to_ice_m",
    "rover_path_to_ice_m": "rover_path_to_ice_m",
    "t_max_K": "t_max_K",
    "t_mean_K": "t_mean_K",
    "ice_stability_depth_m": "ice_stability_depth_m",
}
#: Metrics where a larger value is better (the ellipse worst case is then its minimum).
_BENEFIT = {"mean_illumination", "earth_visibility"}


class NoFeasibleSiteError(LupexError, ValueError):
    """No cell satisfies the hard constraints; the message names the most restrictive one."""


@dataclass(frozen=True)
class SiteSelection:
    """Result of :func:`select_sites`.

    Attributes
    ----------
    candidates : list of dict
        Ranked candidates: ``rank``, ``lat_deg``, ``lon_deg``, ``x_m``, ``y_m``, ``topsis_score``,
        ``pareto`` and every metric (ellipse worst case) under its :data:`COLUMNS` name.
    n_cells : int
        Cells considered (inside the region, with every metric defined).
    n_feasible : int
        Cells passing every hard constraint.
    n_pareto : int
        Feasible cells on the Pareto front of the ranking criteria.
    removed_by : dict
        Per constraint, how many considered cells break it (a cell may break several).
    constraints, weights : dict
        The values used.
    ellipse_radius_m, min_separation_m : float
        Landing ellipse radius (3 sigma) and minimum distance between reported candidates. [m]
    placeholders : list of str
        Defaults of confidence ``placeholder`` or ``estimate`` that this selection used.
    feasible : xarray.DataArray
        Feasibility map (uint8) on the metrics grid.
    """

    candidates: list[dict[str, Any]]
    n_cells: int
    n_feasible: int
    n_pareto: int
    removed_by: dict[str, int]
    constraints: dict[str, float | bool]
    weights: dict[str, float]
    ellipse_radius_m: float
    min_separation_m: float
    placeholders: list[str] = field(default_factory=list)
    feasible: xr.DataArray | None = None


def _window_stats(
    window: xr.DataArray, fields: list[xr.DataArray], start: Any, end: Any, step: Any, height_m: float,
    n_azimuth: int, earth: bool, psr_years: float | None, cache: bool,
) -> xr.Dataset:  # fmt: skip
    hor = horizon_map(window, n_azimuth, height_m, fields, cache=cache)
    return illumination_stats(
        window, start, end, step, observer_height_m=height_m, horizon=hor, earth=earth, psr_years=psr_years
    )


def _run_products(
    calls: list[tuple[Callable[..., xr.Dataset], tuple[Any, ...], dict[str, Any]]],
    executor: Executor | None,
    progress: Any,
) -> list[xr.Dataset]:
    """The products ``calls`` name, in this process (progress to the first, the thermal model) or as tasks."""
    if executor is None:
        first, *rest = calls
        return [first[0](*first[1], **first[2], progress=progress), *[fn(*a, **kw) for fn, a, kw in rest]]
    futures = [executor.submit(fn, *args, **kwargs) for fn, args, kwargs in calls]
    if progress is not None:
        progress.total = len(futures)
    for _ in as_completed(futures):
        if progress is not None:
            progress.update(1)
    return [f.result() for f in futures]


def _site_options(
    panel_height_m: float | None, footprint_m: float | None, rover_max_slope_deg: float | None
) -> tuple[float, float, float]:
    """Panel height [m], slope footprint [m] and the rover's steepest slope [deg], defaults filled in and checked."""
    panel = default("solar_panel_height_m") if panel_height_m is None else float(panel_height_m)
    foot = default("lander_footprint_m") if footprint_m is None else float(footprint_m)
    rover_slope = default("rover_max_slope_deg") if rover_max_slope_deg is None else float(rover_max_slope_deg)
    if not (math.isfinite(panel) and 0.0 <= panel <= 100.0):
        raise InputError(f"panel_height_m {panel_height_m!r} must be in [0, 100] m")
    if not (math.isfinite(foot) and foot > 0.0):
        raise InputError(f"footprint_m {footprint_m!r} must be a positive length in metres")
    if not 0.0 < rover_slope < 90.0:
        raise InputError(f"rover_max_slope_deg {rover_max_slope_deg!r} must be in (0, 90) degrees")
    return panel, foot, rover_slope


def _metric_maps(
    window: xr.DataArray, th: xr.Dataset, lit: xr.Dataset, dark0: xr.Dataset, baseline: float, rover_slope: float
) -> dict[str, np.ndarray]:
    """The metric maps on the region's window from its DEM, thermal maps and the two illumination statistics."""
    res = float(window.attrs["res_m"])
    slope = slope_deg(window).values
    rough = roughness_m(window, max(baseline, 3.0 * res)).values
    psr = dark0["psr"].values.astype(bool)
    drillable = np.isin(th["ice_class"].values, (0, 1))
    passable = np.isfinite(slope) & (slope <= rover_slope)
    return {
        "slope_deg": slope,
        "roughness_m": rough,
        "mean_illumination": lit["mean_illumination"].values,
        "longest_darkness_h": lit["longest_darkness_h"].values,
        "earth_visibility": lit["earth_visibility"].values,
        "longest_earth_outage_h": lit["longest_earth_outage_h"].values,
        "psr": psr.astype(np.float32),
        "distance_to_psr_m": euclidean_distance_m(psr, res),
        "distance_to_ice_m": euclidean_distance_m(drillable, res),
        "rover_path_to_ice_m": path_distance_m(drillable, passable, res),
        "t_max_K": th["t_max_K"].values,
        "t_mean_K": th["t_mean_K"].values,
        "t_min_K": th["t_min_K"].values,
        "ice_stability_depth_m": th["ice_stability_depth_m"].values,
    }


def _metrics_dataset(
    dem: xr.DataArray, where: tuple[slice, slice, NDArray[np.bool_]], maps: dict[str, np.ndarray],
    thermal: xr.Dataset, lit: xr.Dataset, dark0: xr.Dataset, options: dict[str, Any],
) -> xr.Dataset:  # fmt: skip
    """The metric maps on the whole DEM grid (NaN outside the region) with the run's attributes."""
    rows, cols, mask = where
    data: dict[str, Any] = {}
    for name, values in maps.items():
        full = np.full(dem.shape, np.nan, dtype=np.float32)
        full[rows, cols] = np.where(mask, values, np.nan)
        data[name] = (("y", "x"), full)
    in_region = np.zeros(dem.shape, dtype=bool)
    in_region[rows, cols] = mask
    data["in_region"] = (("y", "x"), in_region)
    data["ice_class"] = (("y", "x"), thermal["ice_class"].values)
    attrs = {
        "crs": dem.attrs.get("crs", ""),
        "res_m": float(dem.attrs["res_m"]),
        "source": dem.attrs.get("source", ""),
        "start_utc": lit.attrs["start_utc"],
        "end_utc": lit.attrs["end_utc"],
        "psr_period_utc": dark0.attrs.get("psr_period_utc", ""),
        **options,
        "thermal_step_s": thermal.attrs["step_s"],
        "defaults_used": ",".join(
            [
                "solar_panel_height_m",
                "lander_footprint_m",
                "rover_max_slope_deg",
                *thermal.attrs["defaults_used"].split(","),
            ]
        ),
    }
    return xr.Dataset(data, coords={"y": dem["y"], "x": dem["x"]}, attrs=attrs)


def site_metrics(
    dem: xr.DataArray,
    start: Any,
    end: Any,
    step: Any = "2h",
    *,
    region: tuple[float, float, float] | None = None,
    panel_height_m: float | None = None,
    footprint_m: float | None = None,
    rover_max_slope_deg: float | None = None,
    n_azimuth: int = 360,
    psr_years: float | None = 18.6,
    thermal_step: Any = "1h",
    cache: bool = True,
    progress: Any = None,
    executor: Executor | None = None,
) -> xr.Dataset:
    """Per-cell landing-site metrics on a DEM (NaN outside ``region``).

    Parameters
    ----------
    dem : xarray.DataArray
        lupex DEM.
    start, end, step :
        Period and time step of the illumination statistics (UTC).
    region : (lat_deg, lon_deg, radius_km), optional
        Disc of candidate cells (and of the thermal run); horizons still see the whole DEM and its far field.
    panel_height_m : float, optional
        Height of the solar panels (illumination metrics) [m]; default ``solar_panel_height_m``.
    footprint_m : float, optional
        Slope baseline [m]; default ``lander_footprint_m``, raised to the DEM pixel when that is coarser.
    rover_max_slope_deg : float, optional
        Steepest slope the rover drives [deg]; default ``rover_max_slope_deg``.
    n_azimuth : int
        Horizon azimuths.
    psr_years : float or None
        PSR period (18.6-year cycle by default; None = the period itself).
    thermal_step :
        Time step of the thermal model (at most 6 h).
    cache : bool
        Reuse cached horizon maps.
    progress : tqdm-like, optional
        Passed to the thermal model (the longest stage); with ``executor``, one step per finished product.
    executor : concurrent.futures.Executor, optional
        Runs the three independent products (the thermal model, the illumination statistics at the panel height and
        at the surface) as three tasks, e.g. ``Scheduler.executor()`` of :mod:`lupex.cluster` (Dask workers); the
        result is the same as without it (each product is a pure function of its inputs).

    Returns
    -------
    xarray.Dataset
        Maps ``slope_deg``, ``roughness_m``, ``mean_illumination``, ``longest_darkness_h``,
        ``earth_visibility``, ``longest_earth_outage_h``, ``psr`` (surface), ``distance_to_psr_m``,
        ``distance_to_ice_m``, ``rover_path_to_ice_m`` (inf = unreachable), ``t_max_K``, ``t_mean_K``,
        ``t_min_K``, ``ice_stability_depth_m``, ``ice_class`` and ``in_region``; attrs hold the parameters.
    """
    dem = check_dem(dem)
    panel, foot, rover_slope = _site_options(panel_height_m, footprint_m, rover_max_slope_deg)
    res = float(dem.attrs["res_m"])
    rows, cols, mask = region_window(dem, region, 0)
    window = dem.isel(y=rows, x=cols)
    fields = [dem, *far_field_for(dem)] if region is not None else far_field_for(dem)
    calls: list[tuple[Callable[..., xr.Dataset], tuple[Any, ...], dict[str, Any]]] = [
        (thermal_map, (dem, start, end, thermal_step), {"region": region, "n_azimuth": n_azimuth, "cache": cache}),
        (_window_stats, (window, fields, start, end, step, panel, n_azimuth, True, None, cache), {}),
        (_window_stats, (window, fields, start, end, step, 0.0, n_azimuth, False, psr_years, cache), {}),
    ]
    thermal, lit, dark0 = _run_products(calls, executor, progress)
    baseline = max(foot, res)
    maps = _metric_maps(window, thermal.isel(y=rows, x=cols), lit, dark0, baseline, rover_slope)
    options = {"panel_height_m": panel, "slope_baseline_m": baseline, "rover_max_slope_deg": rover_slope,
               "region": "" if region is None else ",".join(f"{v:g}" for v in region)}  # fmt: skip
    return _metrics_dataset(dem, (rows, cols, mask), maps, thermal, lit, dark0, options)


def _constraints(overrides: dict[str, Any] | None) -> dict[str, float | bool]:
    values: dict[str, float | bool] = {
        "max_slope_deg": default("lander_max_slope_deg"),
        "min_mean_illumination": default("min_mean_illumination"),
        "max_longest_darkness_h": default("max_longest_darkness_h"),
        "min_earth_visibility": default("min_earth_visibility"),
        "require_rover_access": True,
    }
    for key, value in (overrides or {}).items():
        if key not in values:
            raise InputError(f"unknown constraint {key!r}; known: {', '.join(values)}")
        values[key] = value
    checks = {
        "max_slope_deg": (0.0, 90.0),
        "min_mean_illumination": (0.0, 1.0),
        "max_longest_darkness_h": (0.0, 1e6),
        "min_earth_visibility": (0.0, 1.0),
    }
    for key, (lo, hi) in checks.items():
        v = values[key]
        if isinstance(v, bool) or not (isinstance(v, (int, float)) and math.isfinite(v) and lo <= v <= hi):
            raise InputError(f"constraint {key} = {v!r} is impossible; it must lie in [{lo:g}, {hi:g}]")
    return values


def _weights(overrides: dict[str, float] | None) -> dict[str, float]:
    if overrides is None:
        return {name: default(wname) for name, (_b, wname) in CRITERIA.items()}
    unknown = set(overrides) - set(CRITERIA)
    if unknown:
        raise InputError(f"unknown weight(s) {sorted(unknown)}; known criteria: {', '.join(CRITERIA)}")
    weights = {name: float(overrides.get(name, 0.0)) for name in CRITERIA}
    total = sum(weights.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise InputError(
            f"weights sum to {total:g}, not 1; scale them so they add up to 1 (e.g. divide each by {total:g})"
        )
    return weights


def select_sites(
    metrics: xr.Dataset,
    *,
    top: int = 20,
    constraints: dict[str, Any] | None = None,
    weights: dict[str, float] | None = None,
    ellipse_radius_m: float | None = None,
    min_separation_m: float = 1000.0,
) -> SiteSelection:
    """Rank landing-site candidates from :func:`site_metrics` maps.

    Parameters
    ----------
    metrics : xarray.Dataset
        Output of :func:`site_metrics`.
    top : int, default 20
        Number of candidates to report.
    constraints : dict, optional
        Overrides of the hard constraints ``max_slope_deg``, ``min_mean_illumination``,
        ``max_longest_darkness_h``, ``min_earth_visibility``, ``require_rover_access`` (defaults from
        :mod:`lupex.defaults`).
    weights : dict, optional
        TOPSIS weights per criterion of :data:`CRITERIA` (missing ones are 0); must sum to 1.
    ellipse_radius_m : float, optional
        3-sigma landing ellipse radius [m]; each cell is scored on the worst value of each metric within it.
        Default ``landing_ellipse_3sigma_m``.
    min_separation_m : float, default 1000
        Reported candidates are at least this far apart [m].

    Returns
    -------
    SiteSelection

    Raises
    ------
    NoFeasibleSiteError
        When no cell passes the constraints (the message names the one that removed the most cells).
    """
    cons = _constraints(constraints)
    wts = _weights(weights)
    ellipse, res = _selection_options(metrics, top, min_separation_m, ellipse_radius_m)
    worst = _worst_over_ellipse(metrics, ellipse, res)
    considered, feasible, removed = _feasible_cells(worst, metrics["in_region"].values.astype(bool), cons)
    n_feasible = int(feasible.sum())
    iy, ix = np.nonzero(feasible)
    matrix = _criteria_matrix(worst, iy, ix)
    benefit = np.array([CRITERIA[n][0] for n in CRITERIA])
    score = topsis_closeness(matrix, np.array([wts[n] for n in CRITERIA]), benefit)
    pareto = pareto_front(matrix, benefit) if matrix.shape[0] <= 20_000 else np.zeros(matrix.shape[0], dtype=bool)
    xs = metrics["x"].values
    ys = metrics["y"].values
    picked = _separated(np.argsort(-score, kind="stable"), xs[ix], ys[iy], min_separation_m, top)
    rows = [_candidate_row(rank, float(xs[ix[o]]), float(ys[iy[o]]), float(score[o]), bool(pareto[o]), worst, iy[o],
                           ix[o]) for rank, o in enumerate(picked, start=1)]  # fmt: skip
    names = [
        "lander_max_slope_deg", "min_mean_illumination", "max_longest_darkness_h", "min_earth_visibility",
        "landing_ellipse_3sigma_m", *[w for _n, (_b, w) in CRITERIA.items()],
        *metrics.attrs.get("defaults_used", "").split(","),
    ]  # fmt: skip
    return SiteSelection(
        candidates=rows,
        n_cells=int(considered.sum()),
        n_feasible=n_feasible,
        n_pareto=int(pareto.sum()),
        removed_by=removed,
        constraints=cons,
        weights=wts,
        ellipse_radius_m=ellipse,
        min_separation_m=float(min_separation_m),
        placeholders=sorted(set(used_placeholders(names))),
        feasible=xr.DataArray(feasible.astype(np.uint8), dims=("y", "x"), coords={"y": ys, "x": xs}),
    )


def _selection_options(
    metrics: xr.Dataset, top: int, min_separation_m: float, ellipse_radius_m: float | None
) -> tuple[float, float]:
    """Check ``top`` and ``min_separation_m``; the landing ellipse radius [m] (default filled in, smaller than half
    the DEM) and the DEM pixel [m]."""
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= 10_000:
        raise InputError(f"top {top!r} must be an integer from 1 to 10000")
    if not (math.isfinite(min_separation_m) and min_separation_m >= 0.0):
        raise InputError(f"min_separation_m {min_separation_m!r} must be >= 0 metres")
    ellipse = default("landing_ellipse_3sigma_m") if ellipse_radius_m is None else float(ellipse_radius_m)
    res = float(metrics.attrs["res_m"])
    ny, nx = metrics["slope_deg"].shape
    extent = min(ny, nx) * res
    if not (math.isfinite(ellipse) and 0.0 <= ellipse < extent / 2.0):
        raise InputError(
            f"ellipse_radius_m {ellipse!r} must be >= 0 and smaller than half the DEM ({extent / 2:.0f} m); "
            "use a smaller landing ellipse or a larger DEM"
        )
    return ellipse, res


def _worst_over_ellipse(metrics: xr.Dataset, ellipse_m: float, res_m: float) -> dict[str, NDArray[np.float64]]:
    """Each metric's worst value within the landing ellipse [m] around every cell."""
    worst: dict[str, NDArray[np.float64]] = {}
    for name in COLUMNS:
        values = np.asarray(metrics[name].values, dtype=np.float64)
        if name == "rover_path_to_ice_m":
            values = np.where(np.isinf(values), 1e30, values)  # unreachable stays worst, not NaN
        worst[name] = footprint_extreme(values, ellipse_m, res_m, "min" if name in _BENEFIT else "max")
    return worst


def _feasible_cells(
    worst: dict[str, NDArray[np.float64]], in_region: NDArray[np.bool_], cons: dict[str, float | bool]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], dict[str, int]]:
    """Cells considered (in the region, every criterion defined), those meeting every hard constraint, and how many
    each constraint removed; :class:`NoFeasibleSiteError` naming the constraint that removed the most when none."""
    considered = in_region & np.all([np.isfinite(worst[n]) for n in CRITERIA], axis=0)
    breaks = {
        "max_slope_deg": worst["slope_deg"] > float(cons["max_slope_deg"]),
        "min_mean_illumination": worst["mean_illumination"] < float(cons["min_mean_illumination"]),
        "max_longest_darkness_h": worst["longest_darkness_h"] > float(cons["max_longest_darkness_h"]),
        "min_earth_visibility": worst["earth_visibility"] < float(cons["min_earth_visibility"]),
    }
    if cons["require_rover_access"]:
        breaks["require_rover_access"] = worst["rover_path_to_ice_m"] >= 1e29
    removed = {k: int((v & considered).sum()) for k, v in breaks.items()}
    feasible = considered.copy()
    for v in breaks.values():
        feasible &= ~v
    if not feasible.any():
        if not removed:
            raise NoFeasibleSiteError("no cell of the region has every metric defined; check the DEM and region")
        worst_key = max(removed, key=lambda k: removed[k])
        raise NoFeasibleSiteError(
            f"no cell meets every constraint: {worst_key} removed the most ({removed[worst_key]} of "
            f"{int(considered.sum())} cells, value {cons[worst_key]}); relax it (e.g. --constraint "
            f"{worst_key}=...) or widen the region"
        )
    return considered, feasible, removed


def _criteria_matrix(worst: dict[str, NDArray[np.float64]], iy: NDArray[Any], ix: NDArray[Any]) -> NDArray[Any]:
    """The TOPSIS decision matrix of the feasible cells; unreachable ice (allowed when rover access is not required)
    scores as twice the farthest reachable."""
    matrix = np.column_stack([worst[n][iy, ix] for n in CRITERIA])
    matrix = np.where(matrix >= 1e29, np.nan, matrix)
    for j in range(matrix.shape[1]):
        col = matrix[:, j]
        if np.isnan(col).any():
            col[np.isnan(col)] = np.nanmax(col) * 2.0 if np.isfinite(col).any() else 1.0
    return matrix


def _separated(
    order: NDArray[Any], x_m: NDArray[Any], y_m: NDArray[Any], min_separation_m: float, top: int
) -> list[int]:
    """The best cells in ``order``, skipping any closer than ``min_separation_m`` [m] to one already picked."""
    picked: list[int] = []
    for o in order:
        if all(math.hypot(x_m[o] - x_m[p], y_m[o] - y_m[p]) >= min_separation_m for p in picked):
            picked.append(int(o))
            if len(picked) == top:
                break
    return picked


def _candidate_row(
    rank: int, x: float, y: float, score: float, pareto: bool, worst: dict[str, NDArray[np.float64]], i: int, j: int
) -> dict[str, Any]:
    """One candidate: rank, position, TOPSIS score, Pareto flag and its worst-case metrics over the ellipse."""
    lat, lon = xy_to_latlon(x, y)
    row: dict[str, Any] = {
        "rank": rank,
        "lat_deg": round(float(lat), 6),
        "lon_deg": round(float(lon), 6),
        "x_m": x,
        "y_m": y,
        "topsis_score": round(score, 6),
        "pareto": pareto,
    }
    for name, column in COLUMNS.items():
        val = float(worst[name][i, j])
        row[column] = None if (not math.isfinite(val) or val >= 1e29) else round(val, 4)
    return row
