"""Ephemeris: Sun and Earth as seen from lunar sites (Skyfield, DE421, MOON_ME_DE421), and UTC time parsing."""

from lupex.ephemeris.sky import (
    BodyPosition,
    MoonCentredVectors,
    Site,
    SkyPositions,
    earth_position,
    moon_centred_vectors,
    sky_positions,
    sun_position,
    valid_time_range,
)
from lupex.ephemeris.time import (
    MAX_TIME_STEPS,
    TimeOutsideEphemerisError,
    format_utc,
    parse_duration_s,
    parse_time,
    parse_times,
    time_range,
)

__all__ = [
    "MAX_TIME_STEPS",
    "BodyPosition",
    "MoonCentredVectors",
    "Site",
    "SkyPositions",
    "TimeOutsideEphemerisError",
    "earth_position",
    "format_utc",
    "moon_centred_vectors",
    "parse_duration_s",
    "parse_time",
    "parse_times",
    "sky_positions",
    "sun_position",
    "time_range",
    "valid_time_range",
]
