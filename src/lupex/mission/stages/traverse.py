"""The ``traverse`` stage: a round trip from the best landing site to drill stations at the edge of shadow."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from lupex.comms.relay import RelayLink, relay_coverage
from lupex.ephemeris import parse_time
from lupex.mission.scenario import Scenario
from lupex.mission.stage import MapLayer, OutputContext, Stage, StageContext, StageReport, Validation
from lupex.mission.stages.sites import SitesResult
from lupex.reporting.html import Section, image_html, table_html
from lupex.reporting.writers import route_figures, write_route_files
from lupex.terrain import latlon_to_xy, read_dem
from lupex.traverse import (
    StationTrip,
    TraverseEnvironment,
    check_plan,
    drill_station_candidates,
    plan_station_round_trip,
    traverse_environment,
    window_around,
)

__all__ = ["TraverseResult", "TraverseStage"]

#: Horizon azimuths of the traverse sky, and the distance a landing site must keep from the DEM's edge [m].
N_AZIMUTH = 90
EDGE_MARGIN_M = 500.0
_SUMMARY_KEYS = ("feasible", "duration_h", "distance_m", "drive_h", "wait_h", "drill_h", "min_battery_Wh", "reserve_Wh",
                 "longest_blackout_h", "longest_shadow_h", "max_slope_deg", "energy_drawn_Wh")  # fmt: skip


@dataclass(frozen=True)
class TraverseResult:
    """The ``traverse`` stage's result.

    Attributes
    ----------
    trip : StationTrip
        The plan (or None), its drill stations and the station sets tried.
    note : str
        What was done, or why there is no plan.
    dem_source : str
    window : xarray.DataArray or None
        The traverse window's DEM [m] (maps).
    sun_fraction_mean : ndarray or None
        Mean visible Sun fraction over the traverse period on the window [-].
    replay_ok : bool
        Whether the independent replay (:func:`lupex.traverse.check_plan`) passed.
    replay_violations : list of str
    site_lat_deg, site_lon_deg : float or None
        The landing site the round trip starts from [deg] (None: no site inside the DEM).
    contact_mode : str
        ``dte`` (the Earth above the rover's horizon) or ``dte_or_relay`` (or a line of sight to the lander while
        the lander sees the Earth).
    relay_cells_fraction : float or None
        With ``dte_or_relay``: the fraction of the window's cells with a usable relay to the lander.
    """

    trip: StationTrip
    note: str
    dem_source: str
    window: xr.DataArray | None = None
    sun_fraction_mean: np.ndarray | None = None
    replay_ok: bool = False
    replay_violations: list[str] = field(default_factory=list)
    site_lat_deg: float | None = None
    site_lon_deg: float | None = None
    contact_mode: str = "dte"
    relay_cells_fraction: float | None = None


def _landing_site(sites: SitesResult, dem: xr.DataArray) -> tuple[float, float] | None:
    xs, ys = dem["x"].values, dem["y"].values
    for cand in sites.selection.candidates:
        x, y = latlon_to_xy(cand["lat_deg"], cand["lon_deg"])
        m = EDGE_MARGIN_M
        if xs.min() + m <= x <= xs.max() - m and ys.min() + m <= y <= ys.max() - m:
            return float(cand["lat_deg"]), float(cand["lon_deg"])
    return None


def relay_link(sc: Scenario) -> RelayLink:
    """The scenario's rover-lander link (``[relay]``: band, optional transmitter power)."""
    link = RelayLink.sband() if sc.get("relay.band", "sband") == "sband" else RelayLink.uhf()
    power = sc.get("relay.tx_power_W", None)
    return link if power is None else replace(link, tx_power_W=float(power))


def relay_heights_m(sc: Scenario) -> tuple[float, float]:
    """Lander and rover antenna heights above the terrain [m] (``[relay]``)."""
    return float(sc.get("relay.lander_antenna_m", 3.0)), float(sc.get("relay.rover_antenna_m", 2.0))


def _with_relay(env: TraverseEnvironment, site: tuple[float, float], sc: Scenario) -> tuple[TraverseEnvironment, float]:
    """The environment with contact = the Earth over the rover's horizon, or a usable relay to the lander while the
    lander's cell sees the Earth; and the fraction of cells with a usable relay."""
    lander_m, rover_m = relay_heights_m(sc)
    cover = relay_coverage(env.dem, *site, lander_antenna_m=lander_m, rover_antenna_m=rover_m, link=relay_link(sc))
    usable = np.asarray(cover["available"].values, dtype=bool)
    si, sj = env.cell_of(*site)
    lander_dte = env.earth_visible[:, si, sj]
    contact = env.earth_visible | (usable[None, :, :] & lander_dte[:, None, None])
    return replace(env, earth_visible=contact), float(usable.mean())


def _note(trip: StationTrip, days: float) -> str:
    if trip.plan is None:
        return "every station search failed"
    if not trip.plan.feasible:
        return "no feasible round trip to the stations tried; the best partial route is shown"
    with_ice = sum(1 for s in trip.stations if s.ice_class in (0, 1))
    return (
        f"round trip through {len(trip.stations)} drill station(s) dark for the whole {days:g}-day period "
        f"({with_ice} with ice stable within the drill depth in the thermal map), "
        f"{max(s.distance_m for s in trip.stations):.0f} m from the site at most"
    )


class TraverseStage(Stage):
    """Drill stations ranked by ice, then the rover's round trip under sunlight, battery, slope and Earth contact."""

    name: ClassVar[str] = "traverse"
    title: ClassVar[str] = "Traverse"
    version: ClassVar[str] = "2"
    reads: ClassVar[tuple[str, ...]] = ("period", "traverse", "rover", "launch", "terrain", "relay")
    needs: ClassVar[tuple[str, ...]] = ("sites",)
    validations: ClassVar[tuple[Validation, ...]] = (
        Validation("Traverse planner", "brute-force Dijkstra over the time-expanded graph (exact cost), "
                   "scikit-image MCP_Geometric (static case), independent replay of every plan", "tests/traverse"),
    )  # fmt: skip

    def cache_inputs(self, scenario: Scenario) -> tuple[Any, ...]:
        return scenario.dem_key("traverse")

    def run(self, ctx: StageContext) -> TraverseResult:
        sc, sites = ctx.scenario, ctx.result("sites")
        spec = sc.dem("traverse")
        dem = read_dem(spec)
        site = _landing_site(sites, dem)
        if site is None:
            return TraverseResult(StationTrip(None), f"no landing candidate lies inside the {spec} DEM; no traverse "
                                  "planned", spec)  # fmt: skip
        days = float(sc.get("traverse.days", 14.0))
        reach = float(sc.get("traverse.max_station_distance_m", 1500.0))
        rover = sc.rover()
        start = parse_time(sc.value("period.start_utc"), "period.start_utc")
        end = start + np.timedelta64(int(round(days * 86400)) - 3600, "s")
        window = window_around(dem, [site], reach + 200.0)
        env = traverse_environment(
            dem, start, end, "1h", window=window, mast_height_m=rover.mast_height_m, n_azimuth=N_AZIMUTH,
            cache=ctx.cache, progress=ctx.progress,
        )  # fmt: skip
        sun_mean = env.sun_fraction.mean(axis=0)
        mode = str(sc.get("traverse.contact_mode", "dte"))
        env, relay_fraction = (_with_relay(env, site, sc) if mode == "dte_or_relay" else (env, None))
        common = {"site_lat_deg": site[0], "site_lon_deg": site[1], "contact_mode": mode,
                  "relay_cells_fraction": relay_fraction}  # fmt: skip
        candidates = drill_station_candidates(env, site, sites.metrics["ice_class"], reach, rover)
        if not candidates:
            note = f"no cell dark for the whole traverse period lies within {reach:g} m of the landing site"
            return TraverseResult(StationTrip(None), note, spec, window, sun_mean, **common)  # type: ignore[arg-type]
        n_want = int(sc.get("traverse.n_stations", 2))
        trip = plan_station_round_trip(env, site, candidates, n_want, float(sc.get("traverse.drill_dwell_h", 4.0)),
                                       rover)  # fmt: skip
        check = check_plan(trip.plan, env) if trip.plan is not None else None
        return TraverseResult(trip, _note(trip, days), spec, window, sun_mean, bool(check and check.ok),
                              list(check.violations) if check else [], **common)  # type: ignore[arg-type]

    def summary(self, result: TraverseResult, ctx: OutputContext) -> dict[str, Any]:
        out: dict[str, Any] = {"dem": result.dem_source, "note": result.note, "contact_mode": result.contact_mode,
                               "site_lat_deg": result.site_lat_deg, "site_lon_deg": result.site_lon_deg}  # fmt: skip
        if result.relay_cells_fraction is not None:
            out["relay_cells_fraction"] = round(result.relay_cells_fraction, 4)
        plan = result.trip.plan
        if plan is not None:
            s = plan.summary()
            out.update({k: s[k] for k in _SUMMARY_KEYS})
            out["replay_ok"] = result.replay_ok
        out["stations"] = [_station_row(s) for s in result.trip.stations]
        out["stations_tried"] = [vars(a) for a in result.trip.attempts]
        return out

    def kpis(self, result: TraverseResult, ctx: OutputContext) -> list[tuple[str, str]]:
        plan = result.trip.plan
        if plan is None:
            return [("traverse", "none planned")]
        s = plan.summary()
        return [
            ("traverse duration [h]", f"{s['duration_h']:.1f}"),
            ("traverse distance [m]", f"{s['distance_m']:.0f}"),
            ("waiting out darkness / charging [h]", f"{s['wait_h']:.1f}"),
            ("lowest battery [Wh]", f"{s['min_battery_Wh']:.0f}"),
        ]

    def placeholders(self, result: TraverseResult, ctx: OutputContext) -> list[str]:
        rows = ctx.scenario.rover_provenance()
        return [f"rover.{r['name']}" for r in rows if r["confidence"] in ("placeholder", "estimate")]

    def report(self, result: TraverseResult, ctx: OutputContext) -> StageReport:
        figs = self._figures(result, ctx)
        return StageReport([_traverse_section(result, figs)], figs)

    def _figures(self, result: TraverseResult, ctx: OutputContext) -> dict[str, bytes]:
        plan = result.trip.plan
        if plan is None or result.window is None or result.sun_fraction_mean is None:
            return {}
        title = f"Traverse, {ctx.scenario.name} ({result.dem_source})"
        return route_figures(plan, result.window, result.sun_fraction_mean, title)

    def layers(self, result: TraverseResult, ctx: OutputContext) -> list[MapLayer]:
        if result.window is None or result.sun_fraction_mean is None:
            return []
        sun = xr.DataArray(result.sun_fraction_mean, coords=result.window.coords, dims=result.window.dims)
        return [MapLayer("traverse_sun", "Sun fraction over the traverse (10 m)", sun, "inferno", 0.0, 1.0,
                         "fraction")]  # fmt: skip

    def web_data(self, result: TraverseResult, ctx: OutputContext) -> dict[str, Any]:
        return {"route": _route_manifest(result)}

    def write_files(self, result: TraverseResult, ctx: OutputContext, out: Path) -> list[str]:
        return write_route_files(result.trip.plan, out) if result.trip.plan is not None else []


def _station_row(s: Any) -> dict[str, Any]:
    return {"lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "distance_m": s.distance_m, "ice_class": s.ice_class}


def _route_manifest(result: TraverseResult) -> dict[str, Any]:
    plan = result.trip.plan
    if plan is None:
        return {"available": False}
    s = plan.steps
    keep = np.unique(np.linspace(0, s["x_m"].size - 1, min(s["x_m"].size, 800)).round().astype(int))
    t0 = s["time_utc"][0]
    return {
        "available": True,
        "start_utc": str(np.datetime_as_string(t0, unit="s")) + "Z",
        "hours": [round(float((s["time_utc"][i] - t0) / np.timedelta64(1, "s")) / 3600.0, 4) for i in keep],
        "x_m": [float(s["x_m"][i]) for i in keep],
        "y_m": [float(s["y_m"][i]) for i in keep],
        "action": [str(s["action"][i]) for i in keep],
        "sun_fraction": [round(float(s["sun_fraction"][i]), 3) for i in keep],
        "earth_visible": [bool(s["earth_visible"][i]) for i in keep],
        "battery_Wh": [round(float(s["battery_Wh"][i]), 1) for i in keep],
        "waypoints": plan.waypoints,
        "feasible": plan.feasible,
    }


def _traverse_section(result: TraverseResult, figs: dict[str, bytes]) -> Section:
    parts = [f"<p>{html.escape(result.note)}.</p>"]
    plan = result.trip.plan
    if plan is not None:
        rows = [{"quantity": k, "value": v} for k, v in plan.summary().items()
                if k not in ("waypoints", "search", "rover_placeholders")]  # fmt: skip
        parts += [
            '<div class="figures">' + image_html(figs["route.png"], "Route over the mean Sun fraction")
            + image_html(figs["timeline.png"], "Battery, Sun and Earth contact along the route") + "</div>",
            table_html(rows), "<h3>Waypoints</h3>", table_html(plan.waypoints),
            f"<p>Independent replay: <b>{'passed' if result.replay_ok else 'FAILED'}</b> "
            f"{html.escape('; '.join(result.replay_violations))}</p>",
        ]  # fmt: skip
    if result.trip.stations:
        parts += [
            "<h3>Drill stations</h3>",
            '<p class="note">Cells dark for the whole traverse period at the edge of shadow, ranked by ice in the '
            "thermal map (ice_class 0: stable at the surface, 1: buried within the drill depth), then by distance; "
            "the planner picks the visiting order.</p>",
            table_html([_station_row(s) for s in result.trip.stations]),
        ]
    if result.trip.attempts:
        parts += ["<h3>Station sets tried</h3>", table_html([vars(a) for a in result.trip.attempts])]
    return Section("traverse", "Traverse", parts)
