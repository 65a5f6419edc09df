"""Plans as records and documents: per-step rows (``steps.csv``), GeoJSON and CZML (no file paths here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lupex.constants import MOON_RADIUS_M
from lupex.ephemeris import format_utc
from lupex.traverse.planner import TraversePlan

__all__ = ["STEP_COLUMNS", "route_czml", "route_geojson", "steps_records"]

#: Columns of ``steps.csv``, in order.
STEP_COLUMNS = (
    "time_utc",
    "x_m",
    "y_m",
    "lat_deg",
    "lon_deg",
    "action",
    "sun_fraction",
    "earth_visible",
    "power_in_W",
    "power_out_W",
    "battery_Wh",
    "slope_deg",
)
_DECIMALS = {"x_m": 2, "y_m": 2, "lat_deg": 7, "lon_deg": 7, "sun_fraction": 4, "power_in_W": 2,
             "power_out_W": 2, "battery_Wh": 2, "slope_deg": 2}  # fmt: skip


def steps_records(plan: TraversePlan) -> list[dict[str, Any]]:
    """One dict per row of the plan's step table (units in the keys, times ISO 8601 UTC)."""
    s = plan.steps
    times = [format_utc(t) for t in s["time_utc"]]
    out = []
    for i in range(len(times)):
        row: dict[str, Any] = {"time_utc": times[i]}
        for key in STEP_COLUMNS[1:]:
            value = s[key][i]
            if key == "action":
                row[key] = str(value)
            elif key == "earth_visible":
                row[key] = bool(value)
            else:
                row[key] = round(float(value), _DECIMALS[key])
        out.append(row)
    return out


def _vertices(plan: TraversePlan) -> tuple[np.ndarray, ...]:
    """Route vertices: the start and the end of every state change where the rover moved or stopped."""
    s = plan.steps
    x, y = s["x_m"], s["y_m"]
    moved = np.ones(x.size, dtype=bool)
    # keep a row when the position changes or the action changes (so waits show as a vertex pair)
    same = (np.diff(x) == 0) & (np.diff(y) == 0) & (s["action"][1:] == s["action"][:-1])
    moved[1:-1] = ~(same[:-1] & same[1:])
    idx = np.nonzero(moved)[0]
    lon = np.where(s["lon_deg"][idx] > 180.0, s["lon_deg"][idx] - 360.0, s["lon_deg"][idx])
    return idx, lon, s["lat_deg"][idx], s["time_utc"][idx]


def route_geojson(plan: TraversePlan) -> dict[str, Any]:
    """The route as a GeoJSON FeatureCollection: a LineString with per-vertex times, and the waypoints."""
    idx, lon, lat, times = _vertices(plan)
    line = {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)],
        },
        "properties": {
            "name": "lupex traverse",
            "times": [format_utc(t) for t in times],
            "actions": [str(plan.steps["action"][i]) for i in idx],
            "battery_Wh": [round(float(plan.steps["battery_Wh"][i]), 2) for i in idx],
            **{k: v for k, v in plan.summary().items() if k not in ("waypoints", "search")},
        },
    }
    points = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [w["lon_deg"] - 360.0 * (w["lon_deg"] > 180), w["lat_deg"]]},
            "properties": w,
        }
        for w in plan.waypoints
    ]
    return {
        "type": "FeatureCollection",
        "name": "lupex traverse",
        "crs_note": "coordinates are planetocentric lon/lat in degrees on the Moon (IAU 2015 sphere), not WGS84",
        "features": [line, *points],
    }


_ORANGE = {"rgba": [255, 165, 0, 255]}


def route_czml(plan: TraversePlan) -> list[dict[str, Any]]:
    """The route as CZML for Cesium playback (view it on a Moon ellipsoid, ``Cesium.Ellipsoid.MOON``).

    Positions are cartographic degrees with height above the reference sphere, sampled at the route vertices
    (linear interpolation in between).
    """
    idx, lon, lat, times = _vertices(plan)
    t0 = times[0]
    seconds = (times - t0) / np.timedelta64(1, "s")
    height = np.zeros(idx.size)
    samples: list[float] = []
    for t, a, b, h in zip(seconds, lon, lat, height, strict=True):
        samples += [round(float(t), 1), round(float(a), 7), round(float(b), 7), float(h)]
    start, end = format_utc(times[0]), format_utc(times[-1])
    return [
        {
            "id": "document",
            "name": "lupex traverse",
            "version": "1.0",
            "clock": {"interval": f"{start}/{end}", "currentTime": start, "multiplier": 3600, "range": "CLAMPED"},
            "description": f"Moon-fixed positions (IAU 2015 sphere, radius {MOON_RADIUS_M:.0f} m)",
        },
        {
            "id": "rover",
            "name": "rover",
            "availability": f"{start}/{end}",
            "position": {"epoch": start, "interpolationAlgorithm": "LINEAR", "cartographicDegrees": samples},
            "path": {
                "width": 2,
                "leadTime": 0,
                "trailTime": 1e9,
                "material": {"solidColor": {"color": {"rgba": [255, 165, 0, 255]}}},
            },
            "point": {"pixelSize": 8, "color": {"rgba": [255, 165, 0, 255]}},
        },
        *[
            {
                "id": f"waypoint-{i}",
                "name": w["name"],
                "position": {"cartographicDegrees": [w["lon_deg"] - 360.0 * (w["lon_deg"] > 180), w["lat_deg"], 0.0]},
                "point": {"pixelSize": 10, "color": {"rgba": [0, 200, 255, 255]}},
                "label": {"text": w["name"], "pixelOffset": {"cartesian2": [8, -8]}},
            }
            for i, w in enumerate(plan.waypoints)
        ],
    ]
