"""Regolith temperatures: the 1-D thermal model at a site and over real terrain (docs/models/thermal.md)."""

from lupex.thermal.point import PointThermalResult, absorbed_flux_W_m2, point_temperature
from lupex.thermal.terrain import ICE_CLASSES, ice_stability_depth_m, region_window, thermal_map, thermal_reach_px

__all__ = [
    "ICE_CLASSES",
    "PointThermalResult",
    "absorbed_flux_W_m2",
    "ice_stability_depth_m",
    "point_temperature",
    "region_window",
    "thermal_map",
    "thermal_reach_px",
]
