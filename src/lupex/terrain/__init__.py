"""Terrain: the DEM contract, bundled DEMs, derivatives, projection helpers and synthetic terrain."""

from lupex.io.dem import read_dem
from lupex.terrain.dem import DemSummary, builtin_dem, check_dem, dem_summary
from lupex.terrain.derivatives import aspect_deg, gradient, roughness_m, slope_deg
from lupex.terrain.projection import (
    grid_to_local_azimuth_deg,
    latlon_to_xy,
    local_to_grid_azimuth_deg,
    scale_factor,
    xy_to_latlon,
)

__all__ = [
    "DemSummary",
    "aspect_deg",
    "builtin_dem",
    "check_dem",
    "dem_summary",
    "gradient",
    "grid_to_local_azimuth_deg",
    "latlon_to_xy",
    "local_to_grid_azimuth_deg",
    "read_dem",
    "roughness_m",
    "scale_factor",
    "slope_deg",
    "xy_to_latlon",
]
