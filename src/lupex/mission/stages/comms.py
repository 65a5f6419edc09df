"""The ``comms`` stage: contact windows of the landing site, data volume per day, and the lander relay."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import xarray as xr

from lupex.comms.budget import CODINGS, Receiver, Transmitter, band_rates_bps, link_budget
from lupex.comms.relay import RelayRoute, relay_along_route, relay_coverage
from lupex.comms.stations import GroundStation
from lupex.comms.windows import ContactWindows, contact_windows, true_runs
from lupex.ephemeris import format_utc, parse_time
from lupex.io.tables import write_csv
from lupex.mission.quantity import Parameter, SectionModel, choice, number
from lupex.mission.scenario import GroundStationsSection, Scenario
from lupex.mission.stage import MapLayer, OutputContext, Stage, StageContext, StageReport, Validation
from lupex.mission.stages.traverse import TraverseResult, relay_heights_m, relay_link
from lupex.reporting.comms_figures import daily_volume_png, relay_map_png, windows_gantt_png
from lupex.reporting.html import Section, image_html, table_html
from lupex.reporting.writers import write_geotiff_layers
from lupex.terrain import latlon_to_xy, read_dem

__all__ = ["CommsResult", "CommsSection", "CommsStage"]

P = Parameter | None


class CommsSection(SectionModel):
    """``[comms]``: the lander's direct-to-Earth link."""

    band: Annotated[P, choice("s", "x", "ka")] = None
    coding: Annotated[P, choice(*CODINGS)] = None
    lander_tx_power_W: Annotated[P, number("W", 0.1, 10_000.0)] = None
    lander_antenna_m: Annotated[P, number("m", 0.05, 20.0)] = None
    lander_antenna_height_m: Annotated[P, number("m", 0.0, 50.0)] = None
    availability_pct: Annotated[P, number("percent", 50.0, 99.999)] = None
    window_step_min: Annotated[P, number("min", 1.0, 60.0)] = None
    days: Annotated[P, number("d", 1.0, 3650.0)] = None


@dataclass(frozen=True)
class CommsResult:
    """The ``comms`` stage's result.

    Attributes
    ----------
    windows : ContactWindows
        Per-station and network windows of the landing site over the surface mission.
    station_rate_bps : dict of str -> ndarray
        Highest closing downlink rate per station and sample (0 outside its windows) [bps].
    network_rate_bps : ndarray
        The best station's rate per sample (the lander talks to one station at a time) [bps].
    day_utc : list of str
        UTC days of the period.
    volume_per_day_GB : ndarray
        Data brought home per day [GB] (1 GB = 1e9 bytes).
    relay : xarray.Dataset or None
        Relay coverage around the lander (:func:`lupex.comms.relay.relay_coverage`).
    route_relay : RelayRoute or None
        Relay along the traverse route.
    route_dte : ndarray of bool or None
        The rover sees the Earth at each route step.
    route_lander_dte : ndarray of bool or None
        Some station is in contact with the lander at each route step.
    site_lat_deg, site_lon_deg : float
    """

    windows: ContactWindows
    station_rate_bps: dict[str, np.ndarray]
    network_rate_bps: np.ndarray
    day_utc: list[str]
    volume_per_day_GB: np.ndarray
    relay: xr.Dataset | None
    route_relay: RelayRoute | None
    route_dte: np.ndarray | None
    route_lander_dte: np.ndarray | None
    site_lat_deg: float
    site_lon_deg: float

    def route_state(self) -> list[str] | None:
        """Per route step: ``dte``, ``relay`` (line of sight to a lander in contact) or ``none``."""
        if self.route_relay is None or self.route_dte is None or self.route_lander_dte is None:
            return None
        relay_ok = self.route_relay.available & self.route_lander_dte
        return ["dte" if d else ("relay" if r else "none") for d, r in zip(self.route_dte, relay_ok, strict=True)]


def _station_rates(sc: Scenario, cw: ContactWindows, stations: list[GroundStation]) -> dict[str, np.ndarray]:
    band, coding = str(sc.get("comms.band", "x")), str(sc.get("comms.coding", "turbo_r1/2_k8920"))
    tx = Transmitter(power_W=float(sc.get("comms.lander_tx_power_W", 20.0)),
                     diameter_m=float(sc.get("comms.lander_antenna_m", 0.5)))  # fmt: skip
    availability = float(sc.get("comms.availability_pct", 95.0))
    ladder = band_rates_bps(band, coding)
    out: dict[str, np.ndarray] = {}
    for st, sw in zip(stations, cw.stations, strict=True):
        rate = np.zeros(sw.visible.size)
        if band in st.bands and sw.visible.any():
            b = st.bands[band]
            rx = Receiver(g_over_t_dB_K=b.g_over_t_dB_K, reference_elevation_deg=b.reference_elevation_deg,
                          diameter_m=st.diameter_m)  # fmt: skip
            idx = np.flatnonzero(sw.visible)
            lb = link_budget(
                tx, rx, coding, b.downlink_frequency_Hz, sw.look.range_m[idx], sw.look.elevation_deg[idx],
                st.lat_deg, st.lon_deg, st.height_m, availability_pct=availability, rates_bps=ladder,
            )  # fmt: skip
            rate[idx] = lb.max_rate_bps
        out[st.name] = rate
    return out


def _daily_volume(cw: ContactWindows, rate_bps: np.ndarray) -> tuple[list[str], np.ndarray]:
    days = cw.geometry.time_utc.astype("datetime64[D]")
    labels, index = np.unique(days, return_inverse=True)
    bits = np.bincount(index, weights=rate_bps * cw.geometry.step_s, minlength=labels.size)
    return [str(d) for d in labels], bits / 8.0 / 1e9


class CommsStage(Stage):
    """Contact windows with the scenario's stations, downlink rates and volume, and the rover-lander relay."""

    name: ClassVar[str] = "comms"
    title: ClassVar[str] = "Communications"
    version: ClassVar[str] = "1"
    reads: ClassVar[tuple[str, ...]] = ("ground_stations", "comms", "relay", "launch", "period", "terrain")
    needs: ClassVar[tuple[str, ...]] = ("sites", "traverse")
    sections: ClassVar[dict[str, type[SectionModel]]] = {"comms": CommsSection}
    validations: ClassVar[tuple[Validation, ...]] = (
        Validation("Station look angles", "astropy AltAz (IERS-B), within 0.01 deg", "tests/comms/test_windows.py"),
        Validation("Link budget", "every term by hand (0.01 dB); ITU-R P.618 validation cases via itur",
                   "tests/comms/test_budget.py"),
        Validation("Relay line of sight", "bare-sphere horizon sqrt(2Rh), wall shadow, symmetry",
                   "tests/comms/test_relay.py"),
    )  # fmt: skip

    def cache_inputs(self, scenario: Scenario) -> tuple[Any, ...]:
        gs = scenario.sections.get("ground_stations")
        return (scenario.dem_key("traverse"), gs.custom if isinstance(gs, GroundStationsSection) else {})

    def run(self, ctx: StageContext) -> CommsResult:
        sc, trav = ctx.scenario, ctx.result("traverse")
        site = self._site(ctx)
        gs = sc.sections.get("ground_stations")
        stations = gs.stations() if isinstance(gs, GroundStationsSection) else GroundStationsSection().stations()
        start = parse_time(sc.value("period.start_utc"), "period.start_utc")
        days = float(sc.get("comms.days", sc.get("launch.surface_days", 100.0)))
        end = start + np.timedelta64(int(round(days * 86400)), "s")
        dem = read_dem(sc.dem("traverse"))
        step = f"{float(sc.get('comms.window_step_min', 10.0))}min"
        height = float(sc.get("comms.lander_antenna_height_m", 3.0))
        cw = contact_windows(*site, start, end, step, stations, antenna_height_m=height, dem=dem)
        rates = _station_rates(sc, cw, stations)
        network = np.max(np.stack(list(rates.values())), axis=0)
        labels, volume = _daily_volume(cw, network)
        relay, route, dte, lander_dte = self._relay(sc, dem, site, trav, cw)
        return CommsResult(cw, rates, network, labels, volume, relay, route, dte, lander_dte, *site)

    def _site(self, ctx: StageContext) -> tuple[float, float]:
        trav: TraverseResult = ctx.result("traverse")
        if trav.site_lat_deg is not None and trav.site_lon_deg is not None:
            return trav.site_lat_deg, trav.site_lon_deg
        cands = ctx.result("sites").selection.candidates
        if not cands:
            from lupex.errors import InputError

            raise InputError("no landing candidate: the comms stage needs a landing site; relax [sites] constraints")
        return float(cands[0]["lat_deg"]), float(cands[0]["lon_deg"])

    def _relay(self, sc: Scenario, dem: xr.DataArray, site: tuple[float, float], trav: TraverseResult,
               cw: ContactWindows) -> tuple[Any, Any, Any, Any]:  # fmt: skip
        if trav.site_lat_deg is None:
            return None, None, None, None
        lander_m, rover_m = relay_heights_m(sc)
        link = relay_link(sc)
        cover = relay_coverage(dem, *site, lander_antenna_m=lander_m, rover_antenna_m=rover_m, link=link,
                               radius_m=float(sc.get("relay.radius_m", 1500.0)))  # fmt: skip
        plan = trav.trip.plan
        if plan is None:
            return cover, None, None, None
        s = plan.steps
        route = relay_along_route(dem, *site, s["x_m"], s["y_m"], lander_antenna_m=lander_m, rover_antenna_m=rover_m,
                                  link=link)  # fmt: skip
        t = cw.geometry.time_utc
        idx = np.clip(np.searchsorted(t, s["time_utc"], side="right") - 1, 0, t.size - 1)
        return cover, route, np.asarray(s["earth_visible"], dtype=bool), cw.network_visible[idx]

    def summary(self, result: CommsResult, ctx: OutputContext) -> dict[str, Any]:
        cw = result.windows
        out: dict[str, Any] = {
            "site_lat_deg": result.site_lat_deg, "site_lon_deg": result.site_lon_deg,
            "start_utc": format_utc(cw.geometry.time_utc[0]), "end_utc": format_utc(cw.geometry.time_utc[-1]),
            "earth_visible_fraction": round(cw.earth_visible_fraction, 4),
            "network_visible_fraction": round(cw.network_visible_fraction, 4),
            "longest_outage_h": round(cw.longest_outage_h, 2),
            "mean_volume_per_day_GB": round(float(np.mean(result.volume_per_day_GB)), 3),
            "total_volume_GB": round(float(np.sum(result.volume_per_day_GB)), 2),
            "stations": [_station_row(s.name, s.visible_fraction, len(s.windows), result.station_rate_bps[s.name],
                                      cw.geometry.step_s) for s in cw.stations],
        }  # fmt: skip
        if result.relay is not None:
            out["relay_line_of_sight_fraction"] = round(float(result.relay["line_of_sight"].mean()), 4)
            out["relay_available_fraction"] = round(float(result.relay["available"].mean()), 4)
        states = result.route_state()
        if states is not None:
            out["route_steps"] = {k: states.count(k) for k in ("dte", "relay", "none")}
        return out

    def kpis(self, result: CommsResult, ctx: OutputContext) -> list[tuple[str, str]]:
        s = self.summary(result, ctx)
        out = [("ground network in contact", f"{s['network_visible_fraction']:.0%}"),
               ("longest outage [h]", f"{s['longest_outage_h']:.0f}"),
               ("data home per day [GB]", f"{s['mean_volume_per_day_GB']:.2f}")]  # fmt: skip
        if "relay_available_fraction" in s:
            out.append(("relay coverage around the lander", f"{s['relay_available_fraction']:.0%}"))
        return out

    def placeholders(self, result: CommsResult, ctx: OutputContext) -> list[str]:
        return [
            r["field"] for st in _stations_of(ctx.scenario) for r in st.provenance if r["confidence"] != "published"
        ]

    def report(self, result: CommsResult, ctx: OutputContext) -> StageReport:
        figs = _figures(result, ctx)
        return StageReport([_comms_section(self, result, ctx, figs)], figs)

    def layers(self, result: CommsResult, ctx: OutputContext) -> list[MapLayer]:
        if result.relay is None:
            return []
        rate = result.relay["rate_bps"]
        shown = xr.where(rate > 0, np.log10(np.maximum(rate, 1.0)), np.nan)
        top = float(np.log10(max(float(rate.max()), 10.0)))
        return [MapLayer("relay", "Relay rate to the lander [log10 bps]", shown, "viridis", 0.0, top, "log10 bps")]

    def web_data(self, result: CommsResult, ctx: OutputContext) -> dict[str, Any]:
        return {"comms": {"stations": [{"name": st.name, "windows": [[w.start_utc, w.end_utc] for w in st.windows]}
                                       for st in result.windows.stations]}}  # fmt: skip

    def write_files(self, result: CommsResult, ctx: OutputContext, out: Path) -> list[str]:
        files = [str(write_csv(_window_rows(result), out / "comms" / "windows.csv"))]
        volume = [{"day_utc": d, "volume_GB": round(float(v), 4)}
                  for d, v in zip(result.day_utc, result.volume_per_day_GB, strict=True)]  # fmt: skip
        files.append(str(write_csv(volume, out / "comms" / "volume_per_day.csv")))
        route = _route_rows(result, ctx)
        if route:
            files.append(str(write_csv(route, out / "comms" / "route_contact.csv")))
        if result.relay is not None:
            files += write_geotiff_layers(result.relay, {"rate_bps": "relay_rate_bps"}, out / "comms")
        return files


def _window_rows(result: CommsResult) -> list[dict[str, Any]]:
    """One row per station window, with the data it brings home at the station's closing rates [GB]."""
    step_s = result.windows.geometry.step_s
    rows = []
    for s in result.windows.stations:
        for w, (a, b) in zip(s.windows, true_runs(s.visible), strict=True):
            volume_GB = float(np.sum(result.station_rate_bps[s.name][a:b])) * step_s / 8e9
            rows.append({"station": s.name, "start_utc": w.start_utc, "end_utc": w.end_utc,
                         "duration_h": round(w.duration_h, 4), "max_elevation_deg": round(w.max_elevation_deg, 3),
                         "volume_GB": round(volume_GB, 4)})  # fmt: skip
    return rows


def _route_rows(result: CommsResult, ctx: OutputContext) -> list[dict[str, Any]]:
    """Per route step: time, position, the contact state (dte / relay / none) and the relay rate [bps]."""
    states = result.route_state()
    trav = ctx.results.get("traverse")
    plan = trav.trip.plan if isinstance(trav, TraverseResult) else None
    if states is None or plan is None or result.route_relay is None:
        return []
    s = plan.steps
    return [{"time_utc": format_utc(s["time_utc"][i]), "x_m": float(s["x_m"][i]), "y_m": float(s["y_m"][i]),
             "contact": states[i], "relay_line_of_sight": bool(result.route_relay.line_of_sight[i]),
             "relay_rate_bps": float(result.route_relay.rate_bps[i])} for i in range(len(states))]  # fmt: skip


def _station_row(name: str, fraction: float, n_windows: int, rate_bps: np.ndarray, step_s: float) -> dict[str, Any]:
    volume_GB = float(np.sum(rate_bps) * step_s / 8e9)
    return {"name": name, "visible_fraction": round(fraction, 4), "windows": n_windows,
            "volume_GB": round(volume_GB, 2)}  # fmt: skip


def _stations_of(sc: Scenario) -> list[GroundStation]:
    gs = sc.sections.get("ground_stations")
    return gs.stations() if isinstance(gs, GroundStationsSection) else GroundStationsSection().stations()


def _figures(result: CommsResult, ctx: OutputContext) -> dict[str, bytes]:
    cw = result.windows
    name, band = ctx.scenario.name, ctx.scenario.get("comms.band", "x")
    figs = {
        "comms_windows.png": windows_gantt_png(
            [s.name for s in cw.stations], [s.visible for s in cw.stations], cw.geometry.time_utc,
            f"Contact windows, {name}",
        ),
        "comms_volume.png": daily_volume_png(
            result.day_utc, result.volume_per_day_GB, f"Data volume per day, {name} ({band} band)"
        ),
    }  # fmt: skip
    if result.relay is not None:
        trav = ctx.results.get("traverse")
        plan = trav.trip.plan if isinstance(trav, TraverseResult) else None
        route = (plan.steps["x_m"], plan.steps["y_m"]) if plan is not None else None
        dem = read_dem(ctx.scenario.dem("traverse"))
        lander = latlon_to_xy(result.site_lat_deg, result.site_lon_deg)
        figs["comms_relay.png"] = relay_map_png(
            dem, result.relay["rate_bps"], (float(lander[0]), float(lander[1])), route, f"Relay to the lander, {name}"
        )
    return figs


def _comms_section(stage: CommsStage, result: CommsResult, ctx: OutputContext, figs: dict[str, bytes]) -> Section:
    s = stage.summary(result, ctx)
    note = (f"Landing site {result.site_lat_deg:.4f}, {result.site_lon_deg:.3f}; {s['start_utc']} .. {s['end_utc']}. "
            f"The Earth is above the site's terrain horizon {s['earth_visible_fraction']:.0%} of the time; the network "
            f"is in contact {s['network_visible_fraction']:.0%} (longest outage {s['longest_outage_h']:.0f} h). "
            "Rates: the highest standard rate that closes with the required margin (ITU-R atmosphere at the "
            "scenario's availability, the Moon's noise in the station beam, the band's allocation).")  # fmt: skip
    parts = [f'<p class="note">{html.escape(note)}</p>', '<div class="figures">'
             + "".join(image_html(figs[n], c) for n, c in (("comms_windows.png", "Contact windows per station"),
                                                           ("comms_volume.png", "Data volume per day [GB]"),
                                                           ("comms_relay.png", "Relay coverage and the route"))
                       if n in figs) + "</div>",
             table_html(s["stations"], ["name", "visible_fraction", "windows", "volume_GB"])]  # fmt: skip
    if "route_steps" in s:
        parts.append(
            f"<p>Route steps with direct-to-Earth contact: {s['route_steps']['dte']}, through the lander "
            f"relay only: {s['route_steps']['relay']}, without contact: {s['route_steps']['none']}.</p>"
        )
    rows = [r for st in _stations_of(ctx.scenario) for r in st.provenance]
    parts += ["<h3>Ground stations used</h3>", table_html(rows, ["field", "value", "unit", "confidence", "source"])]
    return Section("comms", "Communications", parts)
