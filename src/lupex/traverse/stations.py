"""Drill stations: cells dark for the whole traverse period at the edge of shadow, and the round trip to them.

A drill station is a cell that the Sun never reaches at mast height during the traverse period, next to a cell
it does reach (the edge of a shadow a solar rover can dip into), on ground gentle enough to drill. Stations
are ranked by ice in a thermal map (stable at the surface first, then buried within the drill depth), then by
nearness to the landing site, and kept at least ``drill_station_spacing_m`` apart. The round trip tries the
wanted number of stations (the planner chooses the order), then each station alone, each with a bounded
search budget so a set that cannot be reached costs seconds before the next is tried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from lupex.defaults import default
from lupex.errors import LupexError
from lupex.terrain.projection import xy_to_latlon
from lupex.traverse.environment import TraverseEnvironment
from lupex.traverse.planner import TraversePlan, plan_traverse
from lupex.traverse.rover import Rover

__all__ = ["DrillStation", "StationAttempt", "StationTrip", "drill_station_candidates", "plan_station_round_trip"]


@dataclass(frozen=True)
class DrillStation:
    """A drill-station candidate.

    Attributes
    ----------
    lat_deg, lon_deg : float
        Position [deg].
    distance_m : float
        Straight distance from the landing site [m].
    ice_class : int
        Ice in the thermal map there: 0 stable at the surface, 1 buried within the drill depth, 2 none.
    row, col : int
        Cell in the traverse environment's window.
    """

    lat_deg: float
    lon_deg: float
    distance_m: float
    ice_class: int
    row: int
    col: int


@dataclass(frozen=True)
class StationAttempt:
    """One station set the round trip tried: its size, its nearest station [m], and the outcome."""

    stations: int
    nearest_m: float
    feasible: bool
    reason: str


@dataclass(frozen=True)
class StationTrip:
    """The round trip landing site -> drill stations -> landing site.

    Attributes
    ----------
    plan : TraversePlan or None
        The feasible plan, else the best partial one, else None (every search failed).
    stations : list of DrillStation
        The stations of ``plan``.
    attempts : list of StationAttempt
        Station sets tried, in order.
    """

    plan: TraversePlan | None
    stations: list[DrillStation] = field(default_factory=list)
    attempts: list[StationAttempt] = field(default_factory=list)


def _edge_of_shadow(env: TraverseEnvironment, max_slope_deg: float) -> np.ndarray:
    dark = env.sun_fraction.max(axis=0) == 0.0
    lit_near = np.zeros_like(dark)
    lit_near[1:-1, 1:-1] = ~(dark[:-2, 1:-1] & dark[2:, 1:-1] & dark[1:-1, :-2] & dark[1:-1, 2:])
    return dark & lit_near & (env.slope_deg <= max_slope_deg)


def drill_station_candidates(
    env: TraverseEnvironment,
    site: tuple[float, float],
    ice_class: xr.DataArray,
    reach_m: float,
    rover: Rover,
) -> list[DrillStation]:
    """Drill-station candidates within ``reach_m`` of ``site``, best first (see the module docstring).

    Parameters
    ----------
    env : TraverseEnvironment
        Terrain and sky over the traverse period.
    site : (lat_deg, lon_deg)
        Landing site [deg].
    ice_class : xarray.DataArray
        Ice class map (dims ``y, x``; 0 surface, 1 buried within the drill depth, 2 none), sampled nearest.
    reach_m : float
        Largest straight distance from the site [m].
    rover : Rover
        Its nominal slope limit also bounds the station's slope.

    Returns
    -------
    list of DrillStation
        At most ``drill_station_candidates`` stations (lupex.defaults).
    """
    max_slope = min(rover.slope_nominal_deg, default("drill_station_max_slope_deg"))
    rows, cols = np.nonzero(_edge_of_shadow(env, max_slope))
    si, sj = env.cell_of(*site)
    dist = np.hypot(rows - si, cols - sj) * env.res_m
    order = np.argsort(dist)
    order = order[(dist[order] >= default("drill_station_min_distance_m")) & (dist[order] <= reach_m)]
    if order.size == 0:
        return []
    xs, ys = env.dem["x"].values, env.dem["y"].values
    ice = (
        ice_class.sel(x=xr.DataArray(xs[cols[order]], dims="p"), y=xr.DataArray(ys[rows[order]], dims="p"),
                      method="nearest")
        .values.astype(int)
    )  # fmt: skip
    ranked = sorted(range(order.size), key=lambda k: (min(int(ice[k]), 2), float(dist[order[k]])))
    spacing, wanted = default("drill_station_spacing_m"), int(default("drill_station_candidates"))
    out: list[DrillStation] = []
    for k in ranked:
        r, c = int(rows[order[k]]), int(cols[order[k]])
        if any(math.hypot(r - q.row, c - q.col) * env.res_m < spacing for q in out):
            continue
        lat, lon = xy_to_latlon(xs[c], ys[r])
        out.append(DrillStation(float(lat), float(lon), round(float(dist[order[k]]), 1), int(ice[k]), r, c))
        if len(out) == wanted:
            break
    return out


def plan_station_round_trip(
    env: TraverseEnvironment,
    site: tuple[float, float],
    candidates: list[DrillStation],
    n_stations: int,
    dwell_h: float,
    rover: Rover,
) -> StationTrip:
    """Plan site -> stations -> site: the first ``n_stations`` candidates, then each alone, until one is feasible.

    Returns
    -------
    StationTrip
        The first feasible plan; else the first partial plan found; else no plan.
    """
    attempts: list[StationAttempt] = []
    best: tuple[TraversePlan, list[DrillStation]] | None = None
    budget = int(default("traverse_labels_per_try"))
    for group in [candidates[:n_stations]] + [[c] for c in candidates]:
        if not group:
            continue
        via = [(g.lat_deg, g.lon_deg, dwell_h) for g in group]
        try:
            plan = plan_traverse(env, site, site, via=via, rover=rover, order="best", max_labels=budget)
        except LupexError as err:
            attempts.append(StationAttempt(len(group), group[0].distance_m, False, str(err)))
            continue
        attempts.append(StationAttempt(len(group), group[0].distance_m, plan.feasible, plan.reason))
        if plan.feasible:
            return StationTrip(plan, group, attempts)
        if best is None:
            best = (plan, group)
    if best is None:
        return StationTrip(None, [], attempts)
    return StationTrip(best[0], best[1], attempts)
