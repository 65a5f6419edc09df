"""Topocentric Sun and Earth positions for a lunar surface site (Skyfield + DE421 + MOON_ME_DE421).

Geometry follows SPICE ``spkcpo(..., 'MOON_ME', 'OBSERVER', 'LT+S', ...)``: the site is fixed in the
MOON_ME frame at radius 1737.4 km + ``height_m``; the target position is corrected for light time
(iterated) and for stellar aberration due to the observer's barycentric velocity (no gravitational
deflection); the MOON_ME orientation is taken at the observation time. See docs/models/ephemeris.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lupex.constants import EARTH_RADIUS_KM, MOON_RADIUS_M, SUN_RADIUS_KM
from lupex.core.geometry import enu_basis, unit_vector_latlon
from lupex.ephemeris.time import format_utc, parse_times
from lupex.errors import EphemerisRangeError, InputError
from lupex.io.kernels import load_ephemeris_kernels

__all__ = [
    "BodyPosition",
    "MoonCentredVectors",
    "Site",
    "SkyPositions",
    "earth_position",
    "moon_centred_vectors",
    "sky_positions",
    "sun_position",
]

_AU_KM = 149_597_870.700
_BODY_RADIUS_KM = {"sun": SUN_RADIUS_KM, "earth": EARTH_RADIUS_KM}
_FRAME = "MOON_ME_DE421"
_J2000_UNIX_DAYS = 10957.5  # days from 1970-01-01T00:00 to 2000-01-01T12:00


@dataclass(frozen=True)
class Site:
    """A place on the Moon: planetocentric latitude/longitude (MOON_ME) and height above the sphere.

    Attributes
    ----------
    lat_deg : float
        Latitude, -90 to 90. [deg]
    lon_deg : float
        East longitude, normalised to [0, 360). [deg]
    height_m : float
        Height above the 1737.4 km reference sphere (as LOLA heights). [m]
    """

    lat_deg: float
    lon_deg: float
    height_m: float = 0.0

    def __post_init__(self) -> None:
        lat = float(self.lat_deg)
        lon = float(self.lon_deg)
        height = float(self.height_m)
        if not (np.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise InputError(
                f"lat_deg {self.lat_deg!r} is outside [-90, 90]; give a planetocentric latitude in degrees"
            )
        if not np.isfinite(lon):
            raise InputError(f"lon_deg {self.lon_deg!r} is not finite; give an east longitude in degrees")
        if not (np.isfinite(height) and -20_000.0 <= height <= 100_000.0):
            raise InputError(
                f"height_m {self.height_m!r} is outside [-20000, 100000]; give metres above the 1737.4 km sphere"
            )
        object.__setattr__(self, "lat_deg", lat)
        object.__setattr__(self, "lon_deg", lon % 360.0)
        object.__setattr__(self, "height_m", height)

    def as_dict(self) -> dict[str, float]:
        """JSON-ready mapping with unit-suffixed keys."""
        return {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "height_m": self.height_m}


@dataclass(frozen=True)
class BodyPosition:
    """Apparent topocentric position of one body over a time series (arrays of length n).

    Attributes
    ----------
    elevation_deg : ndarray
        Angle of the body's centre above the local horizontal plane (sphere normal). [deg]
    azimuth_deg : ndarray
        Clockwise from local north toward east, [0, 360). [deg]
    distance_km : ndarray
        Observer-to-body-centre distance. [km]
    angular_radius_deg : ndarray
        Apparent angular radius of the disk. [deg]
    dir_enu : ndarray, shape (n, 3)
        Unit vector to the body in local East-North-Up. [-]
    dir_me : ndarray, shape (n, 3)
        Unit vector to the body in MOON_ME. [-]
    subpoint_lat_deg, subpoint_lon_deg : ndarray
        Planetocentric latitude/longitude where the body is at the zenith (sub-solar / sub-Earth point). [deg]
    """

    elevation_deg: NDArray[np.float64]
    azimuth_deg: NDArray[np.float64]
    distance_km: NDArray[np.float64]
    angular_radius_deg: NDArray[np.float64]
    dir_enu: NDArray[np.float64]
    dir_me: NDArray[np.float64]
    subpoint_lat_deg: NDArray[np.float64]
    subpoint_lon_deg: NDArray[np.float64]

    def row(self, index: int) -> dict[str, float]:
        """JSON-ready values at one time index."""
        return {
            "elevation_deg": float(self.elevation_deg[index]),
            "azimuth_deg": float(self.azimuth_deg[index]),
            "distance_km": float(self.distance_km[index]),
            "angular_radius_deg": float(self.angular_radius_deg[index]),
        }


@dataclass(frozen=True)
class SkyPositions:
    """Sun and Earth as seen from a site at each time (result of :func:`sky_positions`)."""

    time_utc: NDArray[np.datetime64]
    site: Site
    sun: BodyPosition
    earth: BodyPosition

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per time: ``time_utc``, ``site``, ``sun``, ``earth``."""
        return [
            {
                "time_utc": format_utc(self.time_utc[i]),
                "site": self.site.as_dict(),
                "sun": self.sun.row(i),
                "earth": self.earth.row(i),
            }
            for i in range(self.time_utc.size)
        ]


def valid_time_range() -> tuple[np.datetime64, np.datetime64]:
    """First and last UTC instants covered by both DE421 and the lunar orientation kernel (one-day margins)."""
    kernels = load_ephemeris_kernels()
    starts = [seg.spk_segment.start_jd for seg in kernels.planets.segments]
    ends = [seg.spk_segment.end_jd for seg in kernels.planets.segments]
    for segment in kernels.constants._segment_map.values():
        starts.append(segment.initial_jd)
        ends.append(segment.final_jd)
    first = max(starts) + 1.0
    last = min(ends) - 1.0
    epoch = np.datetime64("2000-01-01T12:00:00", "ns")
    to_ns = 86400e9
    return (
        epoch + np.timedelta64(round((first - 2451545.0) * to_ns), "ns"),
        epoch + np.timedelta64(round((last - 2451545.0) * to_ns), "ns"),
    )


def _skyfield_time(times: NDArray[np.datetime64]) -> Any:
    kernels = load_ephemeris_kernels()
    first, last = valid_time_range()
    bad = (times < first) | (times > last)
    if bad.any():
        example = format_utc(times[bad][0])
        start_text, end_text = format_utc(first), format_utc(last)
        raise EphemerisRangeError(
            f"time {example} is outside the ephemeris range {start_text} .. {end_text} "
            "(DE421 and moon_pa_de421_1900-2050.bpc); choose times inside it",
            start_text,
            end_text,
        )
    days = times.astype("datetime64[D]")
    day_index = (days - np.datetime64("1970-01-01", "D")).astype(np.int64)
    seconds = (times - days).astype("timedelta64[ns]").astype(np.int64) / 1e9
    return kernels.timescale.utc(1970, 1, 1 + day_index, 0, 0, seconds)


def sky_positions(lat_deg: float, lon_deg: float, times: Any, height_m: float = 0.0) -> SkyPositions:
    """Apparent (LT+S) topocentric positions of the Sun and the Earth from a lunar site.

    Parameters
    ----------
    lat_deg : float
        Site planetocentric latitude (MOON_ME). [deg]
    lon_deg : float
        Site east longitude. [deg]
    times : time-like or sequence
        UTC instants: ISO strings with ``Z``/offset, dates, aware datetimes or ``datetime64`` (UTC).
    height_m : float, default 0
        Height above the 1737.4 km sphere (LOLA heights; add a mast height for an observer above ground). [m]

    Returns
    -------
    SkyPositions
        ``sun`` and ``earth`` :class:`BodyPosition` arrays over ``time_utc``.

    Raises
    ------
    InputError
        Latitude outside [-90, 90] or an implausible height.
    TimeError
        Naive or malformed times.
    EphemerisRangeError
        Times outside the kernels' range (carries the valid range).

    Notes
    -----
    At exactly the pole (``lat_deg = -90``) "north" is the direction of longitude ``lon_deg``
    seen from the pole (the limit approaching the pole along that meridian).
    """
    from skyfield.relativity import add_aberration

    site = Site(lat_deg, lon_deg, height_m)
    time_utc = parse_times(times)
    if time_utc.size == 0:
        raise InputError("times is empty; give at least one UTC instant")
    kernels = load_ephemeris_kernels()
    t = _skyfield_time(time_utc)
    frame = kernels.constants.build_frame_named(_FRAME)
    topos = kernels.constants.build_latlon_degrees(frame, site.lat_deg, site.lon_deg, site.height_m)
    observer = kernels.planets["moon"] + topos
    observer_at = observer.at(t)
    rotation = frame.rotation_at(t)  # ICRF -> MOON_ME at the observation time, shape (3, 3, n)
    if rotation.ndim == 2:
        rotation = rotation[:, :, None]
    east, north, up = enu_basis(np.radians(site.lat_deg), np.radians(site.lon_deg))
    site_me_km = unit_vector_latlon(np.radians(site.lat_deg), np.radians(site.lon_deg)) * (
        (MOON_RADIUS_M + site.height_m) / 1000.0
    )
    observer_ssb_km = np.asarray(observer_at.position.km, dtype=np.float64).reshape(3, -1)
    velocity = np.asarray(observer_at.velocity.au_per_d, dtype=np.float64).reshape(3, -1)
    bodies = {}
    for name in ("sun", "earth"):
        position_au, light_time = _light_time_corrected(kernels.planets, name, t, observer_ssb_km)
        add_aberration(position_au, velocity, light_time)
        vec_me_km = np.einsum("ijn,jn->ni", rotation, position_au) * _AU_KM
        bodies[name] = _body_position(vec_me_km, east, north, up, site_me_km, _BODY_RADIUS_KM[name])
    return SkyPositions(time_utc=time_utc, site=site, sun=bodies["sun"], earth=bodies["earth"])


_SPK_CHAINS = {"sun": ((0, 10),), "earth": ((0, 3), (3, 399))}
_C_KM_PER_DAY = 299_792.458 * 86400.0


def _light_time_corrected(
    planets: Any, name: str, t: Any, observer_ssb_km: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Observer-to-target vector (ICRF, au) and one-way light time (days), target at ``t - light_time``.

    The target's barycentric state is evaluated once at ``t`` and moved back to ``t - light_time`` along
    its velocity; the neglected acceleration term (a * lt^2 / 2) is below 1 cm for the Sun (lt ~ 500 s)
    and far below that for the Earth (lt ~ 1.3 s). Light time is iterated to convergence (< 1e-9 s).
    """
    whole = np.asarray(t.whole, dtype=np.float64).reshape(-1)
    fraction = np.asarray(t.tdb_fraction, dtype=np.float64).reshape(-1)
    position = np.zeros_like(observer_ssb_km)
    velocity = np.zeros_like(observer_ssb_km)
    for pair in _SPK_CHAINS[name]:
        p_km, v_km_per_day = planets.spk[pair].compute_and_differentiate(whole, fraction)
        position += np.asarray(p_km).reshape(3, -1)
        velocity += np.asarray(v_km_per_day).reshape(3, -1)
    relative = position - observer_ssb_km
    light_time = np.linalg.norm(relative, axis=0) / _C_KM_PER_DAY
    for _ in range(3):
        vector = relative - velocity * light_time
        light_time = np.linalg.norm(vector, axis=0) / _C_KM_PER_DAY
    vector = relative - velocity * light_time
    return vector / _AU_KM, light_time


def _body_position(
    vec_me_km: NDArray[np.float64],
    east: NDArray[np.float64],
    north: NDArray[np.float64],
    up: NDArray[np.float64],
    site_me_km: NDArray[np.float64],
    radius_km: float,
) -> BodyPosition:
    distance = np.linalg.norm(vec_me_km, axis=1)
    dir_me = vec_me_km / distance[:, None]
    dir_enu = np.stack([dir_me @ east, dir_me @ north, dir_me @ up], axis=1)
    elevation = np.degrees(np.arcsin(np.clip(dir_enu[:, 2], -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(dir_enu[:, 0], dir_enu[:, 1])) % 360.0
    from_centre = vec_me_km + site_me_km
    sub_lat = np.degrees(np.arctan2(from_centre[:, 2], np.hypot(from_centre[:, 0], from_centre[:, 1])))
    sub_lon = np.degrees(np.arctan2(from_centre[:, 1], from_centre[:, 0])) % 360.0
    return BodyPosition(
        elevation_deg=elevation,
        azimuth_deg=azimuth,
        distance_km=distance,
        angular_radius_deg=np.degrees(np.arcsin(radius_km / distance)),
        dir_enu=dir_enu,
        dir_me=dir_me,
        subpoint_lat_deg=sub_lat,
        subpoint_lon_deg=sub_lon,
    )


@dataclass(frozen=True)
class MoonCentredVectors:
    """Apparent Sun and Earth positions relative to the Moon's centre in MOON_ME, over time.

    Attributes
    ----------
    time_utc : ndarray of datetime64[ns]
    sun_me_km, earth_me_km : ndarray, shape (n, 3)
        Body centre minus Moon centre, MOON_ME [km] (light time and aberration for an observer at the
        south pole; the difference for any other surface point is below 0.01 arcsec).
    sun_angular_radius_deg, earth_angular_radius_deg : ndarray
        Apparent angular radii [deg].
    """

    time_utc: NDArray[np.datetime64]
    sun_me_km: NDArray[np.float64]
    earth_me_km: NDArray[np.float64]
    sun_angular_radius_deg: NDArray[np.float64]
    earth_angular_radius_deg: NDArray[np.float64]

    def sun_kernel_arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """The Sun as the map kernels take it: unit vectors (MOON_ME) [-], 1 / distance [1/m], radius [rad]."""
        return _kernel_arrays(self.sun_me_km, self.sun_angular_radius_deg)

    def earth_kernel_arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Earth as the map kernels take it: unit vectors (MOON_ME) [-], 1 / distance [1/m], radius [rad]."""
        return _kernel_arrays(self.earth_me_km, self.earth_angular_radius_deg)


def _kernel_arrays(
    vec_me_km: NDArray[np.float64], angular_radius_deg: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Unit vectors [-], 1 / distance [1/m] and angular radius [rad] of a body, as C-contiguous float64 arrays.

    C order whatever the ephemeris gave: a numba kernel is compiled once per array layout, so a Fortran-ordered
    (transposed) table would cost every kernel that takes it a second compilation.
    """
    dist_m = np.linalg.norm(vec_me_km, axis=1) * 1000.0
    unit = np.ascontiguousarray(vec_me_km * 1000.0 / dist_m[:, None], dtype=np.float64)
    return unit, np.ascontiguousarray(1.0 / dist_m), np.ascontiguousarray(np.radians(angular_radius_deg))


def moon_centred_vectors(times: Any) -> MoonCentredVectors:
    """Sun and Earth positions relative to the Moon's centre in MOON_ME (for whole-map illumination).

    Computed as the apparent topocentric positions at the south pole plus the pole's position vector;
    cells of a map then add their own parallax (see :mod:`lupex.core.visibility`).
    """
    sky = sky_positions(-90.0, 0.0, times, 0.0)
    pole_km = np.array([0.0, 0.0, -MOON_RADIUS_M / 1000.0])
    return MoonCentredVectors(
        time_utc=sky.time_utc,
        # C order (the ephemeris's tables are transposed): kernels take these without a second compilation
        sun_me_km=np.ascontiguousarray(sky.sun.dir_me * sky.sun.distance_km[:, None] + pole_km),
        earth_me_km=np.ascontiguousarray(sky.earth.dir_me * sky.earth.distance_km[:, None] + pole_km),
        sun_angular_radius_deg=sky.sun.angular_radius_deg,
        earth_angular_radius_deg=sky.earth.angular_radius_deg,
    )


def sun_position(lat_deg: float, lon_deg: float, times: Any, height_m: float = 0.0) -> BodyPosition:
    """Apparent topocentric Sun position; see :func:`sky_positions`."""
    return sky_positions(lat_deg, lon_deg, times, height_m).sun


def earth_position(lat_deg: float, lon_deg: float, times: Any, height_m: float = 0.0) -> BodyPosition:
    """Apparent topocentric Earth position; see :func:`sky_positions`."""
    return sky_positions(lat_deg, lon_deg, times, height_m).earth
