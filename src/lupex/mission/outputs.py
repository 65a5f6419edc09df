"""Everything a run writes into its folder: report, summary, maps, figures, route files and dashboard assets."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lupex.io import write_geotiff
from lupex.io.tables import write_bytes, write_csv, write_json, write_text
from lupex.mission.pipeline import SITES_DEM, MissionResult
from lupex.mission.report import mission_figures, mission_report_html, mission_summary
from lupex.reporting import hillshade, overlay_png
from lupex.terrain import builtin_dem
from lupex.traverse.export import route_czml, route_geojson, steps_records

__all__ = ["RUN_LAYERS", "WEB_LAYERS", "write_run_outputs"]

#: Metric maps of a run written as COGs.
RUN_LAYERS = ("mean_illumination", "psr", "earth_visibility", "longest_darkness_h", "slope_deg", "t_max_K", "t_mean_K",
              "ice_stability_depth_m")  # fmt: skip
#: Dashboard overlays: name -> (title, variable or "hillshade", colour map, vmin, vmax, unit).
WEB_LAYERS: dict[str, tuple[str, str, str, float, float, str]] = {
    "hillshade": ("Hillshade", "hillshade", "gray", 0.0, 1.0, ""),
    "illumination": ("Mean illumination", "mean_illumination", "viridis", 0.0, 1.0, "fraction"),
    "psr": ("Permanent shadow", "psr", "Blues", 0.0, 1.0, "PSR"),
    "earth": ("Earth visibility", "earth_visibility", "cividis", 0.0, 1.0, "fraction"),
    "ice": ("Ice stability depth", "ice_stability_depth_m", "viridis_r", 0.0, 1.5, "m"),
}


def _web_assets(result: MissionResult, out: Path) -> list[str]:
    """Overlay PNGs (one pixel per 240 m cell), their bounds, candidates and the route for the dashboard."""
    m = result.metrics
    inside = np.asarray(m["in_region"].values, dtype=bool)
    rows = np.nonzero(inside.any(axis=1))[0]
    cols = np.nonzero(inside.any(axis=0))[0]
    pad = 6
    r0, r1 = max(int(rows[0]) - pad, 0), min(int(rows[-1]) + pad + 1, inside.shape[0])
    c0, c1 = max(int(cols[0]) - pad, 0), min(int(cols[-1]) + pad + 1, inside.shape[1])
    crop = m.isel(y=slice(r0, r1), x=slice(c0, c1))
    res = float(m.attrs.get("res_m", 240.0))
    x = crop["x"].values
    y = crop["y"].values
    bounds = [[float(y[-1] - res / 2), float(x[0] - res / 2)], [float(y[0] + res / 2), float(x[-1] + res / 2)]]
    files = []
    layers = []
    dem = builtin_dem(SITES_DEM).sel(x=crop["x"], y=crop["y"])
    for name, (title, var, cmap, vmin, vmax, unit) in WEB_LAYERS.items():
        if var == "hillshade":
            png = overlay_png(hillshade(np.asarray(dem.values, dtype=np.float64), res), cmap, -0.2, 1.0, alpha=1.0)
        else:
            values = np.asarray(crop[var].values, dtype=np.float64)
            if var == "psr":
                values = np.where(values > 0.5, 1.0, np.nan)
            png = overlay_png(values, cmap, vmin, vmax)
        files.append(str(write_bytes(png, out / "web" / f"{name}.png")))
        layers.append({"name": name, "title": title, "unit": unit, "vmin": vmin, "vmax": vmax, "cmap": cmap})
    plan = result.traverse.plan
    route: dict[str, Any] = {"available": plan is not None}
    if plan is not None:
        s = plan.steps
        keep = np.unique(np.linspace(0, s["x_m"].size - 1, min(s["x_m"].size, 800)).round().astype(int))
        t0 = s["time_utc"][0]
        route.update(
            {
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
        )
    manifest = {
        "scenario": result.scenario.name,
        "title": result.scenario.title,
        "bounds": bounds,
        "layers": layers,
        "candidates": [
            {"rank": c["rank"], "x_m": c["x_m"], "y_m": c["y_m"], "lat_deg": c["lat_deg"], "lon_deg": c["lon_deg"]}
            for c in result.selection.candidates
        ],
        "route": route,
    }
    files.append(str(write_json(manifest, out / "web" / "layers.json")))
    return files


def write_run_outputs(result: MissionResult, out: str | Path, began: float | None = None) -> dict[str, Any]:
    """Write a run's files into ``out`` (atomically, file by file) and return its summary."""
    out = Path(out)
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    figures = mission_figures(result)
    files: list[str] = []
    for name, png in figures.items():
        files.append(str(write_bytes(png, out / "figures" / name)))
    m = result.metrics
    for name in RUN_LAYERS:
        layer = m[name].astype(np.float32)
        layer.attrs["crs"] = m.attrs["crs"]
        files.append(str(write_geotiff(layer, out / "maps" / f"{name}.tif")))
    if result.selection.candidates:
        files.append(str(write_csv(result.selection.candidates, out / "candidates.csv")))
    plan = result.traverse.plan
    if plan is not None:
        files.append(str(write_csv(steps_records(plan), out / "steps.csv")))
        files.append(str(write_json(route_geojson(plan), out / "route.geojson")))
        files.append(str(write_json(route_czml(plan), out / "route.czml")))
    files += _web_assets(result, out)
    files.append(str(write_text(mission_report_html(result, figures, generated), out / "report.html")))
    summary = mission_summary(result, generated, files)
    if began is not None:
        summary["elapsed_s"] = round(time.perf_counter() - began, 2)
    files.append(str(write_json(summary, out / "summary.json")))
    return summary
