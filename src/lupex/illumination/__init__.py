"""Illumination: horizon maps, Sun and Earth visibility, statistics maps and site time series."""

from lupex.illumination.horizon import available_backends, far_field_for, horizon_map, horizon_profile_at
from lupex.illumination.stats import PRECESSION_PERIOD_YEARS, illumination_stats, psr_envelope_directions
from lupex.illumination.visibility import SiteIllumination, site_illumination, visible_fraction

__all__ = [
    "PRECESSION_PERIOD_YEARS",
    "SiteIllumination",
    "available_backends",
    "far_field_for",
    "horizon_map",
    "horizon_profile_at",
    "illumination_stats",
    "psr_envelope_directions",
    "site_illumination",
    "visible_fraction",
]
