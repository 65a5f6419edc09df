"""The ops stage's summary, report section, dashboard timeline and files (events CSV, runs CSV, campaign CZML).

Functions take the stage's result by duck type (``campaign``, ``montecarlo``, ``haven``, ``window``, ``params``,
``note``): reporting sits below the mission layer.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from lupex.ephemeris import format_utc
from lupex.io.tables import write_csv, write_json
from lupex.ops.campaign import CampaignResult
from lupex.ops.clock import NS_PER_H, NS_PER_S, utc_at
from lupex.ops.export import campaign_czml
from lupex.reporting.html import Section, image_html, table_html
from lupex.reporting.ops_figures import campaign_gantt_png, campaign_state_png, montecarlo_png, tornado_png
from lupex.terrain import xy_to_latlon

__all__ = [
    "campaign_days",
    "events_records",
    "montecarlo_json",
    "ops_report",
    "ops_summary",
    "runs_records",
    "track_of",
    "write_ops_files",
]


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else 0.0


def ops_summary(result: Any) -> dict[str, Any]:
    """``summary.json`` keys of the ops stage (``ops.p_success``, ``ops.p_success_ci``, ... and the campaign)."""
    mc, c, hv = result.montecarlo, result.campaign, result.haven
    e = c.energy
    throughput = max(e["in_Wh"], e["out_Wh"], 1e-9)
    return {
        **montecarlo_json(mc),
        "energy_balance_error_Wh": float(e["closure_error_Wh"]),
        "energy_balance_error_fraction": float(abs(e["closure_error_Wh"]) / throughput),
        "campaign": {
            "drill_samples": c.drill_samples, "km": round(c.distance_m / 1000.0, 3),
            "data_GB": round(c.data_GB, 3), "data_lost_MB": round(c.data_lost_MB, 1), "alive": c.alive,
            "loss_reason": c.loss_reason, "success": c.success, "sorties": len(c.sorties),
            "sorties_replay_ok": all(s["replay_ok"] for s in c.sorties), "faults": len(c.faults),
            "reserve_breaches": c.reserve_breaches, "min_margin_Wh": round(c.min_margin_Wh, 1),
            "energy_in_Wh": round(e["in_Wh"], 1), "energy_out_Wh": round(e["out_Wh"], 1),
            "energy_spilled_Wh": round(e["spilled_Wh"], 1),
        },
        "haven": {"lat_deg": round(hv.lat_deg, 6), "lon_deg": round(hv.lon_deg, 6),
                  "distance_m": round(hv.distance_m, 1), "longest_night_h": hv.longest_night_h,
                  "lit_fraction": round(hv.lit_fraction, 4), "site_longest_night_h": hv.site_longest_night_h,
                  "site_lit_fraction": round(hv.site_lit_fraction, 4)},
        "success_criteria": {"min_drill_samples": result.params.success.min_drill_samples,
                             "min_km": result.params.success.min_km,
                             "min_data_GB": result.params.success.min_data_GB,
                             "alive_at_end": result.params.success.alive_at_end},
        "note": result.note,
    }  # fmt: skip


def events_records(c: CampaignResult) -> list[dict[str, Any]]:
    """Rows of ``ops_events.csv``: ``time_utc, activity, end_utc, energy_Wh`` (net into the battery, so the column
    sums to the change of stored energy), ``data_MB`` (net into storage), ``battery_Wh``, ``note``."""
    return [{"time_utc": format_utc(utc_at(c.start_utc, e["start_ns"])), "activity": e["activity"],
             "end_utc": format_utc(utc_at(c.start_utc, e["end_ns"])), "energy_Wh": round(e["energy_Wh"], 6),
             "data_MB": round(e["data_MB"], 6), "battery_Wh": round(e["battery_Wh"], 6), "note": e["note"]}
            for e in c.events]  # fmt: skip


def _latlon_of_cells(window: Any, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(window["x"].values)[np.asarray(cols, int)]
    y = np.asarray(window["y"].values)[np.asarray(rows, int)]
    lat, lon = xy_to_latlon(x, y)
    return np.asarray(lat, float), np.asarray(lon, float)


def track_of(c: CampaignResult, window: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Hourly rover track of a campaign: time, lat, lon [deg], activity, height (the window's DEM) [m]."""
    h = c.hourly
    t = np.array([utc_at(c.start_utc, int(v)) for v in h["t_ns"]], dtype="datetime64[ns]")
    lat, lon = _latlon_of_cells(window, h["row"], h["col"])
    height = np.asarray(window.values)[np.asarray(h["row"], int), np.asarray(h["col"], int)]
    return t, lat, lon, [str(a) for a in h["activity"]], np.asarray(height, float)


def runs_records(mc: Any) -> list[dict[str, Any]]:
    """Rows of ``ops_runs.csv``: one per Monte Carlo campaign, with its drawn parameters."""
    return [{"seed": r.seed, "success": r.success["all"], "drill_samples": r.drill_samples, "km": round(r.km, 4),
             "data_GB": round(r.data_GB, 4), "alive": r.alive, "loss_reason": r.loss_reason,
             **{k: round(v, 6) for k, v in r.parameters.items()}} for r in mc.runs]  # fmt: skip


def montecarlo_json(mc: Any) -> dict[str, Any]:
    """P(success), its interval, the medians, the criteria shares and the sensitivity rows."""
    return {
        "p_success": round(mc.p_success, 4),
        "p_success_ci": [round(mc.p_success_ci[0], 4), round(mc.p_success_ci[1], 4)],
        "runs": len(mc.runs),
        "median_drill_samples": _median(mc.metric("drill_samples")),
        "median_km": round(_median(mc.metric("km")), 3),
        "median_data_GB": round(_median(mc.metric("data_GB")), 3),
        "criteria_met_fraction": {k: round(v, 4) for k, v in mc.criteria.items()},
        "sensitivity": [{"parameter": k, "label": lab, "p_success_low_third": round(lo, 4),
                         "p_success_high_third": round(hi, 4)} for k, lab, lo, hi in mc.sensitivity],
    }  # fmt: skip


def write_ops_files(result: Any, out: Path) -> list[str]:
    """``ops_events.csv``, ``ops_runs.csv``, ``ops_sorties.csv``, ``campaign.czml``; the names written."""
    out = Path(out)
    c, mc = result.campaign, result.montecarlo
    write_csv(events_records(c), out / "ops_events.csv")
    write_csv(runs_records(mc), out / "ops_runs.csv")
    sorties = [{k: v for k, v in s.items() if k != "violations"} | {"violations": "; ".join(s["violations"])}
               for s in c.sorties]  # fmt: skip
    write_csv(sorties, out / "ops_sorties.csv")
    t, lat, lon, act, height = track_of(c, result.window)
    write_json(campaign_czml(t, lat, lon, height, "rover campaign", act), out / "campaign.czml")
    return ["ops_events.csv", "ops_runs.csv", "ops_sorties.csv", "campaign.czml"]


def campaign_days(result: Any) -> dict[str, Any]:
    """Day-by-day state for the dashboard's campaign slider: position, battery, activity hours, cumulative
    samples / km / GB at the end of each mission day."""
    c = result.campaign
    h = c.hourly
    n_days = int(np.ceil(h["t_ns"][-1] / (24 * NS_PER_H))) if h["t_ns"].size else 0
    ends = [min(24 * (d + 1), h["t_ns"].size - 1) for d in range(n_days)]
    lat, lon = _latlon_of_cells(result.window, h["row"], h["col"])
    x = np.asarray(result.window["x"].values)[np.asarray(h["col"], int)]
    y = np.asarray(result.window["y"].values)[np.asarray(h["row"], int)]
    days = []
    per_hole = int(result.params.samples_per_hole)
    for d, k in enumerate(ends):
        acts = [str(a) for a in h["activity"][24 * d : k + 1]]
        hours = {a: acts.count(a) for a in sorted(set(acts))}
        done = [e for e in c.events if e["end_ns"] <= k * NS_PER_H]
        days.append({"day": d + 1, "x_m": float(x[k]), "y_m": float(y[k]), "lat_deg": float(lat[k]),
                     "lon_deg": float(lon[k]), "battery_Wh": round(float(h["battery_Wh"][k]), 1),
                     "temperature_K": round(float(h["temperature_K"][k]), 1), "activity_hours": hours,
                     "samples": sum(1 for e in done if e["activity"] == "analyse") * per_hole,
                     "data_returned_MB": round(-sum(e["data_MB"] for e in done if e["activity"] == "downlink"), 1)})
    return {"start_utc": format_utc(c.start_utc), "days": days, "haven": {"lat_deg": result.haven.lat_deg,
            "lon_deg": result.haven.lon_deg}}  # fmt: skip


def _figures(result: Any, name: str) -> dict[str, bytes]:
    c, mc = result.campaign, result.montecarlo
    spans = [{"activity": e["activity"], "start_s": e["start_ns"] / NS_PER_S, "end_s": e["end_ns"] / NS_PER_S}
             for e in c.events]  # fmt: skip
    h = c.hourly
    s = result.params.success
    return {
        "ops_gantt.png": campaign_gantt_png(spans, c.start_utc, f"Campaign timeline, {name}"),
        "ops_state.png": campaign_state_png(h["t_ns"] / NS_PER_S, h["battery_Wh"], c.capacity_Wh, c.reserve_Wh,
                                            h["temperature_K"], c.survival_K, h["storage_MB"], result.params.storage_MB,
                                            f"Battery, temperature and storage, {name}"),
        "ops_montecarlo.png": montecarlo_png({"drill_samples": mc.metric("drill_samples"), "km": mc.metric("km"),
                                              "data_GB": mc.metric("data_GB")},
                                             {"drill_samples": s.min_drill_samples, "km": s.min_km,
                                              "data_GB": s.min_data_GB}, f"{len(mc.runs)} campaigns, {name}"),
        "ops_tornado.png": tornado_png([(lab, lo, hi) for _, lab, lo, hi in mc.sensitivity], mc.p_success,
                                       f"What moves P(success), {name}"),
    }  # fmt: skip


def ops_report(result: Any, name: str) -> tuple[list[Section], dict[str, bytes]]:
    """The report section of the ops stage and its figures."""
    figs = _figures(result, name)
    sm = ops_summary(result)
    c = sm["campaign"]
    lo, hi = sm["p_success_ci"]
    text = (f"P(success) {sm['p_success']:.2f} (95 % interval {lo:.2f}-{hi:.2f}) over {sm['runs']} campaigns. "
            f"The campaign played with the scenario's seed: {c['drill_samples']} samples, {c['km']:.1f} km, "
            f"{c['data_GB']:.1f} GB returned, {c['sorties']} sorties (replay check "
            f"{'passed for all' if c['sorties_replay_ok'] else 'FAILED for some'}), {c['faults']} faults; rover "
            f"{'alive at the end' if c['alive'] else 'lost: ' + c['loss_reason']}. Energy closes to "
            f"{sm['energy_balance_error_Wh']:.2e} Wh. Haven {sm['haven']['distance_m']:.0f} m from the site: "
            f"longest night {sm['haven']['longest_night_h']:.0f} h (site {sm['haven']['site_longest_night_h']:.0f} h). "
            f"{result.note}.")  # fmt: skip
    caps = (("ops_gantt.png", "Campaign timeline by activity"), ("ops_state.png", "Battery, temperature, storage"),
            ("ops_montecarlo.png", "Monte Carlo distributions"), ("ops_tornado.png", "Sensitivity of P(success)"))
    parts = [f'<p class="note">{html.escape(text)}</p>',
             '<div class="figures">' + "".join(image_html(figs[n], cap) for n, cap in caps) + "</div>",
             table_html(sm["sensitivity"], ["label", "p_success_low_third", "p_success_high_third"])]  # fmt: skip
    return [Section("ops", "The 100 days on the surface", parts)], figs
