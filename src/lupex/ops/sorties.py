"""Sorties of the campaign: a round trip haven -> drill station -> haven planned by the traverse planner and
re-checked by its independent replay, broken into legs the campaign simulation executes."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import xarray as xr

from lupex.core.traverse import ACTION_DRILL, ACTION_MOVE
from lupex.defaults import default
from lupex.errors import LupexError
from lupex.traverse import (
    DrillStation,
    Rover,
    TraverseEnvironment,
    TraversePlan,
    check_plan,
    drill_station_candidates,
    plan_traverse,
    traverse_environment,
)

__all__ = ["Leg", "Sortie", "SortieSource", "TraversePlanner", "sortie_legs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Leg:
    """One leg of a sortie: a drive between neighbouring cells, a wait, or drilling, at the plan's pace.

    Attributes
    ----------
    action : str
        ``drive``, ``wait`` or ``drill``.
    a, b : tuple of int
        Start and end cells (row, col) in the window.
    duration_s : float
        Planned duration [s].
    extra_W : float
        Power beyond hotel and heaters [W] (driving on the slope, or drilling).
    distance_m : float
        Distance driven [m].
    """

    action: str
    a: tuple[int, int]
    b: tuple[int, int]
    duration_s: float
    extra_W: float
    distance_m: float


@dataclass(frozen=True)
class Sortie:
    """A planned sortie.

    Attributes
    ----------
    station : DrillStation or None
        None for a transfer (landing site -> haven).
    plan : TraversePlan
    replay_ok : bool
        :func:`lupex.traverse.check_plan` found no violation.
    violations : tuple of str
    legs : tuple of Leg
    env : TraverseEnvironment or None
        The environment it was planned in (None for a sortie reused from a library).
    """

    station: DrillStation | None
    plan: TraversePlan
    replay_ok: bool
    violations: tuple[str, ...]
    legs: tuple[Leg, ...]
    env: TraverseEnvironment | None = None

    @property
    def cells(self) -> list[tuple[int, int]]:
        """Every cell the sortie touches."""
        return sorted({c for leg in self.legs for c in (leg.a, leg.b)})


def sortie_legs(plan: TraversePlan, env: TraverseEnvironment, rover: Rover) -> tuple[Leg, ...]:
    """The plan's vertices as legs; consecutive waits at one cell merge into one leg."""
    v = plan.vertices
    q = float(plan.quantum_s)
    legs: list[Leg] = []
    for idx in range(1, v["row"].size):
        a = (int(v["row"][idx - 1]), int(v["col"][idx - 1]))
        b = (int(v["row"][idx]), int(v["col"][idx]))
        dt = (int(v["k"][idx]) - int(v["k"][idx - 1])) * q
        act = int(v["action"][idx])
        if dt <= 0:  # the goal's arrival marker, not an activity
            continue
        if act == ACTION_MOVE:
            slope = max(float(env.slope_deg[a]), float(env.slope_deg[b]))
            dist = math.hypot(a[0] - b[0], a[1] - b[1]) * env.res_m
            legs.append(Leg("drive", a, b, dt, float(rover.drive_power_W(slope)), dist))
        elif act == ACTION_DRILL and legs and legs[-1].action == "drill" and legs[-1].b == a == b:
            legs[-1] = replace(legs[-1], duration_s=legs[-1].duration_s + dt)
        elif act == ACTION_DRILL:
            legs.append(Leg("drill", a, b, dt, rover.drill_W, 0.0))
        elif legs and legs[-1].action == "wait" and legs[-1].b == a == b:
            legs[-1] = replace(legs[-1], duration_s=legs[-1].duration_s + dt)
        else:
            legs.append(Leg("wait", a, b, dt, 0.0, 0.0))
    return tuple(legs)


class SortieSource(Protocol):
    """Where the campaign gets its next sortie: ``next(now_utc, done)`` or None when none can be made now."""

    def next(self, now_utc: np.datetime64, done: Sequence[tuple[int, int]]) -> Sortie | None: ...


class TraversePlanner:
    """Plans each sortie with the traverse planner in an environment built for the sortie's period.

    Parameters
    ----------
    dem, window : xarray.DataArray
        The traverse DEM and the window the rover may drive on.
    site : tuple of float
        The haven (lat, lon) [deg] sorties leave from and return to.
    rover : Rover
        Planning starts with the battery at ``start_state_of_charge``.
    ice_class : xarray.DataArray
        The thermal map's ice classes (:func:`lupex.traverse.drill_station_candidates`).
    value : xarray.DataArray or None
        Value of one more drill per map cell (the science stage's map); stations with more value go first.
    sortie_days, dwell_h, reach_m : float
        Planning horizon [d], drilling time [h], largest station distance [m].
    n_azimuth : int
    cache : bool
    """

    def __init__(
        self, dem: xr.DataArray, window: xr.DataArray, site: tuple[float, float], rover: Rover,
        ice_class: xr.DataArray, value: xr.DataArray | None, *, sortie_days: float, dwell_h: float, reach_m: float,
        n_azimuth: int = 90, cache: bool = True, tries: int = 3,
    ) -> None:  # fmt: skip
        self.dem, self.window, self.site, self.rover = dem, window, site, rover
        self.ice_class, self.value = ice_class, value
        self.sortie_days, self.dwell_h, self.reach_m = sortie_days, dwell_h, reach_m
        self.n_azimuth, self.cache, self.tries = n_azimuth, cache, tries
        self.planned: list[Sortie] = []
        self._env: TraverseEnvironment | None = None

    def _environment(self, now_utc: np.datetime64) -> TraverseEnvironment:
        """The sortie's environment from ``now_utc``: the last one cut in time while it still covers half the
        planning horizon, else a new one (building one is the costly part of planning)."""
        horizon = np.timedelta64(int(round(self.sortie_days * 86400)), "s")
        env = self._env
        if env is not None and env.time_utc[0] <= now_utc and now_utc + horizon // 2 <= env.end_utc:
            s = int((now_utc - env.time_utc[0]) // np.timedelta64(int(round(env.step_s)), "s"))
            if env.time_utc[s] == now_utc:
                return replace(env, time_utc=env.time_utc[s:], sun_fraction=env.sun_fraction[s:],
                               sun_elevation_deg=env.sun_elevation_deg[s:], earth_visible=env.earth_visible[s:],
                               sun_distance_au=env.sun_distance_au[s:])  # fmt: skip
        self._env = traverse_environment(self.dem, now_utc, now_utc + horizon - np.timedelta64(3600, "s"), "1h",
                                         window=self.window, mast_height_m=self.rover.mast_height_m,
                                         n_azimuth=self.n_azimuth, cache=self.cache)  # fmt: skip
        return self._env

    def _ranked(self, env: TraverseEnvironment, done: Sequence[tuple[int, int]]) -> list[DrillStation]:
        cands = drill_station_candidates(env, self.site, self.ice_class, self.reach_m, self.rover)
        fresh = [c for c in cands if all(max(abs(c.row - r), abs(c.col - k)) > 2 for r, k in done)]
        if self.value is None or not fresh:
            return fresh
        xs, ys = env.xy_of(np.array([c.row for c in fresh], int), np.array([c.col for c in fresh], int))
        v = self.value.sel(x=xr.DataArray(xs), y=xr.DataArray(ys), method="nearest").values
        v = np.where(np.isfinite(v), v, 0.0)
        order = sorted(range(len(fresh)), key=lambda k: (-float(v[k]), fresh[k].distance_m))
        return [fresh[k] for k in order]

    def transfer(self, now_utc: np.datetime64, origin: tuple[float, float]) -> Sortie | None:
        """Plan the drive from ``origin`` (the landing site) to the haven, or None when none is feasible."""
        env = self._environment(now_utc)
        budget = int(default("traverse_labels_per_try"))
        try:
            plan = plan_traverse(env, origin, self.site, rover=self.rover, order="given", max_labels=budget)
        except LupexError as err:
            log.info("no transfer to the haven: %s", err)
            return None
        if not plan.feasible:
            return None
        check = check_plan(plan, env)
        return Sortie(None, plan, check.ok, tuple(check.violations), sortie_legs(plan, env, self.rover), env)

    def next(self, now_utc: np.datetime64, done: Sequence[tuple[int, int]]) -> Sortie | None:
        """Plan a round trip to the most valuable reachable station not drilled yet, or None."""
        env = self._environment(now_utc)
        budget = int(default("traverse_labels_per_try"))
        for c in self._ranked(env, done)[: self.tries]:
            try:
                plan = plan_traverse(env, self.site, self.site, via=[(c.lat_deg, c.lon_deg, self.dwell_h)],
                                     rover=self.rover, order="best", max_labels=budget)  # fmt: skip
            except LupexError as err:
                log.info("sortie to (%.5f, %.5f) not planned: %s", c.lat_deg, c.lon_deg, err)
                continue
            if not plan.feasible:
                continue
            check = check_plan(plan, env)
            sortie = Sortie(c, plan, check.ok, tuple(check.violations), sortie_legs(plan, env, self.rover), env)
            self.planned.append(sortie)
            return sortie
        return None


class LibraryPlanner:
    """Replays sorties planned before (a deterministic campaign's), in their order, at whatever time they start.

    The Monte Carlo uses it: each campaign re-times the same routes under its own faults and parameters.
    """

    def __init__(self, sorties: Sequence[Sortie]) -> None:
        self.sorties = [replace(s, env=None) for s in sorties]

    def next(self, now_utc: np.datetime64, done: Sequence[tuple[int, int]]) -> Sortie | None:
        """The first library sortie whose station is not done, or None."""
        for s in self.sorties:
            if s.station is not None and (s.station.row, s.station.col) not in done:
                return s
        return None
