"""Reporting: figures and tables from results (no physics, no file paths: bytes and records out)."""

from lupex.reporting.figures import (
    hillshade,
    horizon_polar_png,
    map_quicklook_png,
    overlay_png,
    route_map_png,
    sites_map_png,
    timeline_png,
)

__all__ = [
    "hillshade",
    "horizon_polar_png",
    "map_quicklook_png",
    "overlay_png",
    "route_map_png",
    "sites_map_png",
    "timeline_png",
]
