"""The mission report: figures, a self-contained HTML page and the JSON summary of a run."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from lupex import __version__
from lupex.mission.pipeline import SITES_DEM, TRAVERSE_DEM, MissionResult, key_numbers
from lupex.reporting import map_quicklook_png, route_map_png, sites_map_png, timeline_png
from lupex.reporting.html import Section, image_html, render_report, table_html
from lupex.terrain import builtin_dem

__all__ = ["VALIDATIONS", "mission_figures", "mission_report_html", "mission_summary"]

#: The validations a run relies on: what is checked, against which reference, where.
VALIDATIONS = [
    ("Sun and Earth directions", "SPICE (spiceypy) with the same kernels, sub-arcsecond", "tests/ephemeris"),
    ("Horizons and illumination", "GRASS GIS r.horizon / r.sun and analytic craters; PSR areas vs Mazarico et al. "
     "2011", "tests/illumination, docs/models/illumination.md"),
    ("Regolith temperatures", "Hayne et al. 2017 Table A2 (+-5 K), heat1d 0.3.2 (2 K), Ingersoll et al. 1992 bowl "
     "(1.5 K)", "tests/thermal, scripts/validate_heat1d.py"),
    ("Terrain thermal map", "point model on level ground (1 K surface, 1.5 K at depth)",
     "tests/thermal/test_terrain_map.py"),
    ("Landing sites", "Shackleton floor PSR and ice-stable; top candidates on the rim / connecting ridge",
     "tests/sites/test_sites_real.py"),
    ("Traverse planner", "brute-force Dijkstra over the time-expanded graph (exact cost), scikit-image "
     "MCP_Geometric (static case), independent replay of every plan", "tests/traverse"),
]  # fmt: skip


def _crop(ds: xr.Dataset) -> xr.Dataset:
    inside = np.asarray(ds["in_region"].values, dtype=bool)
    rows = np.nonzero(inside.any(axis=1))[0]
    cols = np.nonzero(inside.any(axis=0))[0]
    if rows.size == 0:
        return ds
    pad = 4
    r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, inside.shape[0])
    c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, inside.shape[1])
    return ds.isel(y=slice(r0, r1), x=slice(c0, c1))


def mission_figures(result: MissionResult) -> dict[str, bytes]:
    """PNG figures of a run, by file name."""
    m = _crop(result.metrics)
    dem = builtin_dem(SITES_DEM).sel(x=m["x"], y=m["y"])
    figs = {
        "mean_illumination.png": map_quicklook_png(m["mean_illumination"], "Mean illumination at 2 m", "fraction",
                                                   vmin=0.0, vmax=1.0),
        "psr.png": map_quicklook_png(m["psr"], "Permanently shadowed (18.6-year cycle)", "1 = PSR", cmap="Blues",
                                     vmin=0.0, vmax=1.0),
        "earth_visibility.png": map_quicklook_png(m["earth_visibility"], "Earth visibility", "fraction",
                                                  cmap="cividis", vmin=0.0, vmax=1.0),
        "longest_darkness_h.png": map_quicklook_png(m["longest_darkness_h"], "Longest darkness", "h", cmap="magma_r"),
        "ice_stability_depth_m.png": map_quicklook_png(
            m["ice_stability_depth_m"], "Ice stability depth (blank: none within the drill depth)", "m",
            cmap="viridis_r", vmin=0.0, vmax=1.5),
        "t_max_K.png": map_quicklook_png(m["t_max_K"], "Maximum surface temperature", "K", cmap="inferno"),
        "sites.png": sites_map_png(dem, m, result.selection.candidates, f"Landing candidates, {result.scenario.name}"),
    }  # fmt: skip
    t = result.traverse
    if t.plan is not None and t.window is not None and t.sun_fraction_mean is not None:
        s = t.plan.steps
        title = f"Traverse, {result.scenario.name} ({TRAVERSE_DEM})"
        figs["route.png"] = route_map_png(t.window, t.sun_fraction_mean, s["x_m"], s["y_m"], t.plan.waypoints, title)
        figs["timeline.png"] = timeline_png(
            s["time_utc"], s["battery_Wh"], t.plan.rover.battery_Wh * t.plan.rover.min_state_of_charge,
            s["sun_fraction"], s["earth_visible"], s["action"], title,
        )  # fmt: skip
    return figs


def mission_summary(result: MissionResult, generated_utc: str, files: list[str]) -> dict[str, Any]:
    """The JSON summary of a run (units in the keys)."""
    sc = result.scenario
    return _finite(
        {
            "scenario": sc.name,
            "title": sc.title,
            "origin": sc.origin,
            "generated_utc": generated_utc,
            "lupex_version": __version__,
            "dems": {"sites": SITES_DEM, "traverse": TRAVERSE_DEM},
            "key_numbers": key_numbers(result),
            "candidates": result.selection.candidates,
            "removed_by_constraint": result.selection.removed_by,
            "placeholders": {
                "scenario": sc.placeholders(),
                "site_selection_defaults": result.selection.placeholders,
                "rover": [r["name"] for r in sc.rover_provenance() if r["confidence"] in ("placeholder", "estimate")],
            },
            "stage_seconds": result.stage_seconds,
            "stage_cached": result.cached,
            "traverse_stations_tried": result.traverse.tried,
            "files": files,
        }
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _finite(value.item())
    return value


def _kpis(numbers: dict[str, Any]) -> str:
    items = []
    site = numbers.get("landing_site") or {}
    trav = numbers.get("traverse") or {}

    def add(value: Any, label: str, fmt: str = "{}") -> None:
        if value is not None:
            items.append(f"<div><b>{fmt.format(value)}</b><span>{label}</span></div>")

    if site:
        add(f"{site['lat_deg']:.4f}, {site['lon_deg']:.3f}", "landing site lat, lon [deg]")
    add(site.get("mean_illumination_fraction"), "mean illumination at the site", "{:.0%}")
    add(site.get("earth_visibility_fraction"), "Earth visibility at the site", "{:.0%}")
    add(site.get("longest_darkness_h"), "longest darkness at the site [h]", "{:.0f}")
    add(numbers.get("ice_buried_drillable_cells"), "cells with drillable buried ice (240 m)")
    add(trav.get("duration_h"), "traverse duration [h]", "{:.1f}")
    add(trav.get("distance_m"), "traverse distance [m]", "{:.0f}")
    add(trav.get("wait_h"), "waiting out darkness / charging [h]", "{:.1f}")
    add(trav.get("min_battery_Wh"), "lowest battery [Wh]", "{:.0f}")
    return '<div class="kpi">' + "".join(items) + "</div>"


def mission_report_html(result: MissionResult, figures: dict[str, bytes], generated_utc: str) -> str:
    """The self-contained HTML report of a run."""
    sc = result.scenario
    numbers = key_numbers(result)
    sel = result.selection
    placeholders = sc.placeholders()
    sections = [
        Section("overview", "Overview", [
            f"<p>{sc.description}</p>", _kpis(numbers),
            f'<p class="note">{result.traverse.note}.</p>',
        ]),
        Section("scenario", "Scenario and provenance", [
            f"<p>{len(sc.parameters)} parameters from <code>{sc.origin}</code>; "
            f"<b>{len(placeholders)} are placeholders</b> (no published value), shown in red.</p>",
            table_html(sc.provenance(), ["parameter", "value", "unit", "confidence", "source"]),
            "<h3>Rover model</h3>",
            table_html(sc.rover_provenance(), ["name", "value", "unit", "confidence", "source"]),
        ]),
        Section("illumination", "Illumination, PSRs and Earth visibility", [
            f'<p class="note">Search region: {sc.value("search_region.radius_km")} km around '
            f'{sc.value("search_region.lat_deg")}, {sc.value("search_region.lon_deg")} on the {SITES_DEM} DEM; '
            f'{sc.value("period.illumination_days")} days from {sc.value("period.start_utc")} at '
            f'{sc.value("period.illumination_step_h")} h.</p>',
            '<div class="figures">' + "".join(image_html(figures[n], c) for n, c in (
                ("mean_illumination.png", "Mean fraction of the Sun visible at 2 m"),
                ("psr.png", "Permanently shadowed regions over the 18.6-year precession cycle"),
                ("earth_visibility.png", "Fraction of time Earth is above the horizon"),
                ("longest_darkness_h.png", "Longest continuous darkness [h]"),
            )) + "</div>",
        ]),
        Section("ice", "Temperatures and ice stability", [
            '<p class="note">Hayne et al. (2017) regolith model under the terrain\'s shadows, scattered light and '
            "infrared; ice is stable where the maximum temperature stays below 110 K (Schorghofer-style).</p>",
            '<div class="figures">' + image_html(figures["ice_stability_depth_m.png"], "Ice stability depth [m]")
            + image_html(figures["t_max_K.png"], "Maximum surface temperature [K]") + "</div>",
        ]),
        Section("sites", "Landing sites", [
            f"<p>{sel.n_cells} cells considered, {sel.n_feasible} meet every hard constraint, {sel.n_pareto} on the "
            f"Pareto front; landing ellipse {sel.ellipse_radius_m:g} m (3 sigma), scored on its worst cell.</p>",
            '<div class="figures">' + image_html(figures["sites.png"], "Candidates (orange, by rank), PSRs (blue), "
                                                  "ice-stable ground (cyan)") + "</div>",
            table_html(sel.candidates, [c for c in (
                "rank", "lat_deg", "lon_deg", "topsis_score", "mean_illumination_fraction", "longest_darkness_h",
                "earth_visibility_fraction", "slope_deg", "rover_path_to_ice_m", "pareto") if sel.candidates and
                c in sel.candidates[0]]),
            "<h3>Cells removed by each constraint</h3>",
            table_html([{"constraint": k, "cells removed": v} for k, v in sel.removed_by.items()]),
        ]),
    ]  # fmt: skip
    trav = result.traverse
    parts = [f"<p>{trav.note}.</p>"]
    if trav.plan is not None:
        s = trav.plan.summary()
        rows = [
            {"quantity": k, "value": v} for k, v in s.items() if k not in ("waypoints", "search", "rover_placeholders")
        ]
        parts += [
            '<div class="figures">'
            + image_html(figures["route.png"], "Route over the mean Sun fraction")
            + image_html(figures["timeline.png"], "Battery, Sun and Earth contact along the route")
            + "</div>",
            table_html(rows),
            "<h3>Waypoints</h3>",
            table_html(trav.plan.waypoints),
            f"<p>Independent replay: <b>{'passed' if trav.replay_ok else 'FAILED'}</b> "
            f"{'; '.join(trav.replay_violations)}</p>",
        ]
    if trav.stations:
        parts += [
            "<h3>Drill stations</h3>",
            '<p class="note">Cells dark for the whole traverse period at the edge of shadow, ranked by ice in the '
            "240 m thermal map (ice_class 0: stable at the surface, 1: buried within the drill depth), then by "
            "distance; the planner picks the visiting order.</p>",
            table_html(trav.stations),
        ]
    if trav.tried:
        parts += ["<h3>Station sets tried</h3>", table_html(trav.tried)]
    sections.append(Section("traverse", "Traverse", parts))
    sections.append(Section("validation", "Validations this run relies on", [
        table_html([{"model": a, "reference": b, "where": c} for a, b, c in VALIDATIONS]),
    ]))  # fmt: skip
    sections.append(Section("run", "Run details", [
        table_html([{"stage": k, "seconds": result.stage_seconds.get(k, 0.0), "from cache": result.cached.get(k)}
                    for k in result.stage_seconds]),
        f'<p class="note">lupex {__version__}; generated {generated_utc}; DEMs {SITES_DEM} (sites) and '
        f"{TRAVERSE_DEM} (traverse); ephemeris DE421 with MOON_ME_DE421.</p>",
    ]))  # fmt: skip
    return render_report(
        f"lupex mission report: {sc.title}",
        [f"Scenario {sc.name} ({sc.origin})", f"Generated {generated_utc} by lupex {__version__}"],
        sections,
    )
