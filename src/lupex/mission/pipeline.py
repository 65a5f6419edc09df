"""The mission run: scenario -> illumination, thermal and ice -> landing sites -> traverse -> report.

Each computing stage is cached under ``<cache>/runs`` by a content hash of its inputs (the scenario values it
reads, the DEM, the lupex version and the previous stage's key), so a rerun with a changed rover parameter
recomputes only the traverse. Cache entries and outputs are written atomically: an interrupted run leaves no
corrupt file, and the next run recomputes what is missing.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lupex import __version__
from lupex.ephemeris import parse_time
from lupex.errors import LupexError
from lupex.io.cache import content_key, default_cache_dir
from lupex.io.tables import read_pickle, write_pickle
from lupex.mission.scenario import Scenario
from lupex.sites import SiteSelection, select_sites, site_metrics
from lupex.terrain import builtin_dem
from lupex.terrain.projection import latlon_to_xy, xy_to_latlon
from lupex.traverse import TraversePlan, check_plan, plan_traverse, traverse_environment, window_around

__all__ = ["SITES_DEM", "STAGES", "TRAVERSE_DEM", "MissionResult", "StageError", "TraverseOutcome", "run_mission"]

log = logging.getLogger(__name__)

SITES_DEM = "south_pole_240m"
TRAVERSE_DEM = "connecting_ridge_10m"
STAGES = ("sites", "traverse")
#: Search budget of each station set the traverse stage tries (about 10 s and 250 MB on 2 cores).
_LABELS_PER_TRY = 3_000_000


class StageError(LupexError, RuntimeError):
    """A stage of the mission run failed; the message names the stage and the reason."""


@dataclass(frozen=True)
class TraverseOutcome:
    """The traverse stage's result (small enough to cache).

    Attributes
    ----------
    plan : TraversePlan or None
        The round trip landing site -> drill stations -> landing site (None: no station or no DEM coverage).
    note : str
        What was done, or why there is no plan.
    stations : list of dict
        The drill stations planned: lat_deg, lon_deg, distance_m from the site, ice_class of the 240 m thermal
        map there (0 stable at the surface, 1 buried within the drill depth, 2 none).
    window : xarray.DataArray or None
        The traverse window's DEM (for the map).
    sun_fraction_mean : ndarray or None
        Mean visible Sun fraction over the traverse period on the window.
    replay_ok : bool
        Whether the independent replay (:func:`lupex.traverse.check_plan`) passed.
    replay_violations : list of str
    tried : list of dict
        Stations tried, with the outcome of each.
    """

    plan: TraversePlan | None
    note: str
    stations: list[dict[str, Any]] = field(default_factory=list)
    window: xr.DataArray | None = None
    sun_fraction_mean: np.ndarray | None = None
    replay_ok: bool = False
    replay_violations: list[str] = field(default_factory=list)
    tried: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class MissionResult:
    """Everything a mission run produced (the report and the dashboard read this).

    Attributes
    ----------
    scenario : Scenario
    metrics : xarray.Dataset
        Landing-site metrics (illumination, PSR, Earth, thermal, ice) on the 240 m grid within the region.
    selection : SiteSelection
    traverse : TraverseOutcome
    stage_seconds : dict of str -> float
        Wall time per stage (0 when read from the cache).
    cached : dict of str -> bool
        Whether each stage came from the cache.
    """

    scenario: Scenario
    metrics: xr.Dataset
    selection: SiteSelection
    traverse: TraverseOutcome
    stage_seconds: dict[str, float]
    cached: dict[str, bool]


ProgressFactory = Callable[[str], Any]


def _sites_stage(scenario: Scenario, progress: Any) -> tuple[xr.Dataset, SiteSelection]:
    start = scenario.value("period.start_utc")
    days = float(scenario.value("period.illumination_days"))
    t0 = parse_time(start, "period.start_utc")
    end = t0 + np.timedelta64(int(round(days * 86400)), "s")
    region = (
        float(scenario.value("search_region.lat_deg")),
        float(scenario.value("search_region.lon_deg")),
        float(scenario.value("search_region.radius_km")),
    )
    metrics = site_metrics(
        builtin_dem(SITES_DEM), t0, end, f"{float(scenario.value('period.illumination_step_h'))}h",
        region=region, n_azimuth=180, thermal_step=f"{float(scenario.value('period.thermal_step_h'))}h",
        progress=progress,
    )  # fmt: skip
    s = scenario.section("sites")
    constraints: dict[str, Any] = {}
    if "lander_max_slope_deg" in s:
        constraints["max_slope_deg"] = float(s["lander_max_slope_deg"])
    if "min_mean_illumination" in s:
        constraints["min_mean_illumination"] = float(s["min_mean_illumination"])
    selection = select_sites(
        metrics, top=int(s.get("top", 10)), constraints=constraints,
        ellipse_radius_m=s.get("landing_ellipse_3sigma_m"),
    )  # fmt: skip
    return metrics, selection


def _traverse_stage(
    scenario: Scenario, metrics: xr.Dataset, selection: SiteSelection, progress: Any
) -> TraverseOutcome:
    ridge = builtin_dem(TRAVERSE_DEM)
    xs, ys = ridge["x"].values, ridge["y"].values
    site = None
    for cand in selection.candidates:
        x, y = latlon_to_xy(cand["lat_deg"], cand["lon_deg"])
        if xs[0] + 500 <= x <= xs[-1] - 500 and ys[-1] + 500 <= y <= ys[0] - 500:
            site = cand
            break
    if site is None:
        return TraverseOutcome(None, f"no landing candidate lies inside the {TRAVERSE_DEM} DEM; no traverse planned")
    t = scenario.section("traverse")
    reach = float(t.get("max_station_distance_m", 1500.0))
    days = float(t.get("days", 14.0))
    dwell = float(t.get("drill_dwell_h", 4.0))
    rover = scenario.rover()
    start = parse_time(scenario.value("period.start_utc"), "period.start_utc")
    end = start + np.timedelta64(int(round(days * 86400)) - 3600, "s")
    point = (float(site["lat_deg"]), float(site["lon_deg"]))
    window = window_around(ridge, [point], reach + 200.0)
    env = traverse_environment(
        ridge, start, end, "1h", window=window, mast_height_m=rover.mast_height_m, n_azimuth=90, progress=progress
    )
    sun_mean = env.sun_fraction.mean(axis=0)
    dark = env.sun_fraction.max(axis=0) == 0.0
    lit_near = np.zeros_like(dark)
    lit_near[1:-1, 1:-1] = ~(dark[:-2, 1:-1] & dark[2:, 1:-1] & dark[1:-1, :-2] & dark[1:-1, 2:])
    edge = dark & lit_near & (env.slope_deg <= min(rover.slope_nominal_deg, 12.0))
    si, sj = env.cell_of(*point)
    rows, cols = np.nonzero(edge)
    dist = np.hypot(rows - si, cols - sj) * env.res_m
    order = np.argsort(dist)
    order = order[(dist[order] >= 50.0) & (dist[order] <= reach)]
    if order.size == 0:
        return TraverseOutcome(
            None,
            f"no cell dark for the whole traverse period lies within {reach:g} m of the landing site",
            stations=[],
            window=window,
            sun_fraction_mean=sun_mean,
        )
    # rank the dark cells: ice in the 240 m thermal map first (stable at the surface, then buried within the
    # drill depth), then nearness; keep candidates at least 100 m apart
    xs_w = env.dem["x"].values
    ys_w = env.dem["y"].values
    ice = (
        metrics["ice_class"]
        .sel(x=xr.DataArray(xs_w[cols[order]], dims="p"), y=xr.DataArray(ys_w[rows[order]], dims="p"), method="nearest")
        .values.astype(int)
    )
    ranked = sorted(range(order.size), key=lambda k: (min(int(ice[k]), 2), float(dist[order[k]])))
    candidates: list[dict[str, Any]] = []
    for k in ranked:
        r, c = int(rows[order[k]]), int(cols[order[k]])
        if any(math.hypot(r - q["row"], c - q["col"]) * env.res_m < 100.0 for q in candidates):
            continue
        lat, lon = xy_to_latlon(xs_w[c], ys_w[r])
        candidates.append({"row": r, "col": c, "lat_deg": float(lat), "lon_deg": float(lon),
                           "distance_m": round(float(dist[order[k]]), 1), "ice_class": int(ice[k])})  # fmt: skip
        if len(candidates) == 4:
            break
    n_want = int(t.get("n_stations", 2))
    tried: list[dict[str, Any]] = []
    attempts = [candidates[:n_want]] + [[c] for c in candidates]
    best: tuple[TraversePlan, list[dict[str, Any]]] | None = None
    for group in attempts:
        if not group:
            continue
        public = [{k: v for k, v in g.items() if k not in ("row", "col")} for g in group]
        via = [(g["lat_deg"], g["lon_deg"], dwell) for g in group]
        try:
            # a bounded budget per attempt: a set that cannot be done costs seconds, not minutes, before the next
            plan = plan_traverse(env, point, point, via=via, rover=rover, order="best", max_labels=_LABELS_PER_TRY)
        except LupexError as err:
            tried.append({"stations": len(group), "nearest_m": public[0]["distance_m"], "feasible": False,
                          "reason": str(err)})  # fmt: skip
            continue
        tried.append({"stations": len(group), "nearest_m": public[0]["distance_m"], "feasible": plan.feasible,
                      "reason": plan.reason})  # fmt: skip
        if plan.feasible:
            best = (plan, public)
            break
        if best is None:
            best = (plan, public)
    if best is None:
        return TraverseOutcome(None, "every station search failed", [], window, sun_mean, tried=tried)
    plan, stations = best
    check = check_plan(plan, env)
    with_ice = sum(1 for s in stations if s["ice_class"] in (0, 1))
    note = (
        f"round trip through {len(stations)} drill station(s) dark for the whole {days:g}-day period "
        f"({with_ice} with ice stable within the drill depth in the 240 m thermal map), "
        f"{max(s['distance_m'] for s in stations):.0f} m from the site at most"
        if plan.feasible
        else "no feasible round trip to the stations tried; the best partial route is shown"
    )
    return TraverseOutcome(plan, note, stations, window, sun_mean, check.ok, check.violations, tried)


def run_mission(
    scenario: Scenario,
    *,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: ProgressFactory | None = None,
) -> MissionResult:
    """Run the computing stages of a scenario (see the module docstring); the report is made from the result.

    Parameters
    ----------
    scenario : Scenario
    cache : bool
        Read and write the stage cache (and the horizon cache).
    cache_dir : path, optional
        Cache root; default :func:`lupex.io.cache.default_cache_dir`.
    progress : callable, optional
        ``progress(stage_name)`` returns a tqdm-like object for that stage (``total``, ``update``) and may be a
        context manager.

    Raises
    ------
    StageError
        Naming the stage that failed and why.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    runs = root / "runs"
    seconds: dict[str, float] = {}
    cached: dict[str, bool] = {}

    def stage(name: str, key: str, compute: Callable[[Any], Any]) -> Any:
        path = runs / f"{name}-{key}.pkl"
        if cache:
            hit = read_pickle(path)
            if hit is not None:
                log.info("stage %s: from the cache (%s)", name, path.name)
                if progress is not None:  # still report the stage, as done
                    bar = progress(f"{name} (cached)")
                    if hasattr(bar, "__enter__"):
                        with bar:
                            pass
                seconds[name], cached[name] = 0.0, True
                return hit
        began = time.perf_counter()
        bar = progress(name) if progress is not None else None
        try:
            if bar is not None and hasattr(bar, "__enter__"):
                with bar:
                    value = compute(bar)
            else:
                value = compute(bar)
        except LupexError as err:
            raise StageError(f"stage '{name}' failed: {err}") from err
        seconds[name], cached[name] = round(time.perf_counter() - began, 2), False
        if cache:
            write_pickle(value, path)
        return value

    sites_keys = ["period", "search_region", "sites"]
    sites_key = content_key(
        "sites", __version__, SITES_DEM, {k: scenario.section(k) for k in sites_keys},
    )  # fmt: skip
    metrics, selection = stage("sites", sites_key, lambda bar: _sites_stage(scenario, bar))
    traverse_key = content_key(
        "traverse", __version__, TRAVERSE_DEM, sites_key, scenario.value("period.start_utc"),
        scenario.section("traverse"), scenario.rover().parameters(),
    )  # fmt: skip
    outcome = stage("traverse", traverse_key, lambda bar: _traverse_stage(scenario, metrics, selection, bar))
    return MissionResult(scenario, metrics, selection, outcome, seconds, cached)


def key_numbers(result: MissionResult) -> dict[str, Any]:
    """Headline numbers of a run, units in the keys (for summary.json and the report)."""
    m = result.metrics
    inside = np.asarray(m["in_region"].values, dtype=bool)
    out: dict[str, Any] = {
        "region_cells": int(inside.sum()),
        "region_cell_size_m": float(m.attrs.get("res_m", 240.0)),
        "psr_fraction_of_region": round(float(np.nanmean(np.asarray(m["psr"].values)[inside] > 0.5)), 4),
        "max_mean_illumination": round(float(np.nanmax(np.asarray(m["mean_illumination"].values)[inside])), 4),
        "ice_stable_at_surface_cells": int((np.asarray(m["ice_class"].values)[inside] == 0).sum()),
        "ice_buried_drillable_cells": int((np.asarray(m["ice_class"].values)[inside] == 1).sum()),
        "candidates": len(result.selection.candidates),
        "cells_feasible_for_landing": result.selection.n_feasible,
    }
    if result.selection.candidates:
        top = result.selection.candidates[0]
        out["landing_site"] = dict(top)
    plan = result.traverse.plan
    if plan is not None:
        s = plan.summary()
        out["traverse"] = {
            k: s[k]
            for k in (
                "feasible", "duration_h", "distance_m", "drive_h", "wait_h", "drill_h", "min_battery_Wh",
                "reserve_Wh", "longest_blackout_h", "longest_shadow_h", "max_slope_deg", "energy_drawn_Wh",
            )
        }  # fmt: skip
        out["traverse"]["replay_ok"] = result.traverse.replay_ok
        out["traverse"]["stations"] = result.traverse.stations
    out["traverse_note"] = result.traverse.note
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}
