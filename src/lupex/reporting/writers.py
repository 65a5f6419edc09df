"""Output writers shared by the CLI commands and the mission stages (one copy of each file format).

Bytes and records come from :mod:`lupex.reporting.figures` and the domain packages' exporters; every file is
written atomically through :mod:`lupex.io`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lupex.io import write_geotiff
from lupex.io.tables import write_csv, write_json
from lupex.reporting.figures import route_map_png, timeline_png
from lupex.traverse import TraversePlan
from lupex.traverse.export import route_czml, route_geojson, steps_records

__all__ = ["candidates_geojson", "route_figures", "write_candidate_files", "write_geotiff_layers", "write_route_files"]


def write_geotiff_layers(ds: xr.Dataset, layers: Mapping[str, str], folder: Path) -> list[str]:
    """Write variables of ``ds`` as float32 GeoTIFFs ``folder/<stem>.tif`` (``layers``: variable -> stem)."""
    files = []
    for name, stem in layers.items():
        layer = ds[name].astype(np.float32)
        layer = layer.where(np.isfinite(layer))
        layer.attrs["crs"] = ds.attrs["crs"]
        files.append(str(write_geotiff(layer, folder / f"{stem}.tif")))
    return files


def candidates_geojson(candidates: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Landing candidates as a GeoJSON FeatureCollection (lunar planetocentric lon/lat)."""
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c["lon_deg"], c["lat_deg"]]},
         "properties": dict(c)}
        for c in candidates
    ]  # fmt: skip
    return {
        "type": "FeatureCollection",
        "name": "lupex landing-site candidates",
        "crs_note": "coordinates are planetocentric lon/lat in degrees on the Moon (IAU 2015 sphere), not WGS84",
        "features": features,
    }


def write_candidate_files(candidates: Sequence[dict[str, Any]], folder: Path, geojson: bool = True) -> list[str]:
    """``candidates.csv`` (and ``candidates.geojson``) in ``folder`` (an empty list gives empty tables)."""
    files = [str(write_csv(list(candidates), folder / "candidates.csv"))]
    if geojson:
        files.append(str(write_json(candidates_geojson(candidates), folder / "candidates.geojson")))
    return files


def route_figures(
    plan: TraversePlan, window: xr.DataArray, sun_fraction_mean: np.ndarray, title: str
) -> dict[str, bytes]:
    """``route.png`` (the route over the mean Sun fraction) and ``timeline.png`` (battery, Sun, Earth)."""
    s = plan.steps
    rover = plan.rover
    return {
        "route.png": route_map_png(window, sun_fraction_mean, s["x_m"], s["y_m"], plan.waypoints, title),
        "timeline.png": timeline_png(
            s["time_utc"], s["battery_Wh"], rover.battery_Wh * rover.min_state_of_charge, s["sun_fraction"],
            s["earth_visible"], s["action"], title,
        ),
    }  # fmt: skip


def write_route_files(plan: TraversePlan, folder: Path) -> list[str]:
    """``steps.csv``, ``route.geojson`` (per-vertex times) and ``route.czml`` (Cesium) in ``folder``."""
    return [
        str(write_csv(steps_records(plan), folder / "steps.csv")),
        str(write_json(route_geojson(plan), folder / "route.geojson")),
        str(write_json(route_czml(plan), folder / "route.czml")),
    ]
