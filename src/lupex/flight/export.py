"""Descent trajectories as CZML for Cesium playback on the Moon (``Cesium.Ellipsoid.MOON``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lupex.constants import MOON_RADIUS_M
from lupex.ephemeris import format_utc, parse_time
from lupex.flight.guidance import DescentSolution
from lupex.terrain.projection import latlon_to_xy, xy_to_latlon

__all__ = ["descent_czml"]


def descent_czml(
    solution: DescentSolution, site_lat_deg: float, site_lon_deg: float, site_height_m: float, start_utc: Any
) -> list[dict[str, Any]]:
    """A G-FOLD descent flown into ``site`` as CZML (cartographic degrees, height above the 1737.4 km sphere).

    The guidance frame (x up, y and z horizontal, landing at the origin) is laid onto the polar stereographic grid
    at the site: y along grid +x, z along grid +y. Over the few kilometres of a terminal descent the grid's scale
    error (below 1e-5 near the pole) and the Moon's curvature (under 3 m of drop at 3 km) are neglected.

    Parameters
    ----------
    solution : DescentSolution
        A feasible solution (``r_m`` in the guidance frame) [m].
    site_lat_deg, site_lon_deg : float
        Landing site [deg].
    site_height_m : float
        Terrain height of the site above the 1737.4 km sphere [m].
    start_utc : time-like
        UTC instant of the first node.
    """
    t0 = parse_time(start_utc, "start_utc")
    x0, y0 = latlon_to_xy(site_lat_deg, site_lon_deg)
    r = np.asarray(solution.r_m, dtype=np.float64)
    lat, lon = xy_to_latlon(x0 + r[:, 1], y0 + r[:, 2])
    lon = (np.asarray(lon) + 180.0) % 360.0 - 180.0
    samples: list[float] = []
    for t, a, b, h in zip(solution.t_s, lon, lat, site_height_m + r[:, 0], strict=True):
        samples += [round(float(t), 3), round(float(a), 8), round(float(b), 8), round(float(h), 2)]
    start = format_utc(t0)
    end = format_utc(t0 + np.timedelta64(int(round(float(solution.t_s[-1]) * 1e9)), "ns"))
    return [
        {"id": "document", "name": "lupex powered descent", "version": "1.0",
         "clock": {"interval": f"{start}/{end}", "currentTime": start, "multiplier": 1, "range": "CLAMPED"},
         "description": f"Moon-fixed positions (IAU 2015 sphere, radius {MOON_RADIUS_M:.0f} m)"},
        {"id": "lander", "name": "lander", "availability": f"{start}/{end}",
         "position": {"epoch": start, "interpolationAlgorithm": "LAGRANGE", "interpolationDegree": 3,
                      "cartographicDegrees": samples},
         "path": {"width": 2, "leadTime": 0, "trailTime": 1e9,
                  "material": {"solidColor": {"color": {"rgba": [255, 80, 80, 255]}}}},
         "point": {"pixelSize": 8, "color": {"rgba": [255, 80, 80, 255]}}},
    ]  # fmt: skip
