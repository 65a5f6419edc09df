"""Ground stations: the bundled catalogue (``lupex/data/ground_stations.toml``) and stations users add.

Every number of a station is a table ``{value, unit, source, confidence}``; units are converted by pint to the
field's unit (``8.45 GHz`` -> ``8.45e9 Hz``, ``20 kW`` -> ``20000 W``); G/T is in dB/K. A station has a
geodetic (WGS84) position, an elevation mask (a minimum elevation, optionally raised by an azimuth profile) and
one or more bands, each with its downlink frequency and G/T at a reference elevation, and optionally an
uplink frequency and transmitter power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.errors import InputError
from lupex.io.tables import read_package_data_text, read_toml_text
from lupex.units import UnitError, canonical_value

__all__ = ["Band", "GroundStation", "StationError", "catalogue", "parse_station", "station_named", "stations_named"]

_CONFIDENCES = ("published", "estimate", "placeholder")
#: field -> (canonical unit, low, high, required)
_STATION_FIELDS: dict[str, tuple[str, float, float, bool]] = {
    "lat_deg": ("deg", -90.0, 90.0, True),
    "lon_deg": ("deg", -180.0, 360.0, True),
    "height_m": ("m", -500.0, 9000.0, True),
    "diameter_m": ("m", 0.5, 200.0, True),
    "min_elevation_deg": ("deg", 0.0, 45.0, True),
}
_BAND_FIELDS: dict[str, tuple[str, float, float, bool]] = {
    "downlink_frequency_Hz": ("Hz", 1e8, 1e11, True),
    "g_over_t_dB_K": ("dB/K", -50.0, 80.0, True),
    "reference_elevation_deg": ("deg", 0.0, 90.0, True),
    "uplink_frequency_Hz": ("Hz", 1e8, 1e11, False),
    "uplink_power_W": ("W", 0.0, 1e6, False),
}
BANDS = ("uhf", "s", "x", "ka")


class StationError(InputError):
    """A ground station is unknown, or one of its fields cannot be used."""


@dataclass(frozen=True)
class Band:
    """One band of a station.

    Attributes
    ----------
    name : str
        ``uhf``, ``s``, ``x`` or ``ka``.
    downlink_frequency_Hz : float
    g_over_t_dB_K : float
        Receive figure of merit at ``reference_elevation_deg`` [dB/K].
    reference_elevation_deg : float
    uplink_frequency_Hz, uplink_power_W : float or None
        Uplink carrier and transmitter power (None: no uplink in this band).
    """

    name: str
    downlink_frequency_Hz: float
    g_over_t_dB_K: float
    reference_elevation_deg: float
    uplink_frequency_Hz: float | None = None
    uplink_power_W: float | None = None


@dataclass(frozen=True)
class GroundStation:
    """A ground station (see the module docstring).

    Attributes
    ----------
    name, title, network : str
    lat_deg, lon_deg, height_m : float
        Geodetic WGS84 position [deg, deg, m].
    diameter_m : float
        Antenna diameter [m].
    min_elevation_deg : float
        Elevation below which the station does not track [deg].
    mask_azimuth_deg, mask_elevation_deg : tuple of float
        Optional horizon mask profile (azimuth from north, clockwise), interpolated periodically; the mask is the
        larger of it and ``min_elevation_deg``.
    bands : dict of str -> Band
    provenance : list of dict
        One row per number: field, value, unit, source, confidence.
    """

    name: str
    title: str
    network: str
    lat_deg: float
    lon_deg: float
    height_m: float
    diameter_m: float
    min_elevation_deg: float
    bands: dict[str, Band]
    mask_azimuth_deg: tuple[float, ...] = ()
    mask_elevation_deg: tuple[float, ...] = ()
    provenance: list[dict[str, Any]] = field(default_factory=list, compare=False)

    def band(self, name: str) -> Band:
        """A band of this station; an unknown one is refused naming the bands it has."""
        try:
            return self.bands[name]
        except KeyError:
            raise StationError(
                f"station {self.name} has no {name!r} band; it has {', '.join(self.bands)}"
            ) from None

    def mask_deg(self, azimuth_deg: ArrayLike) -> NDArray[np.float64]:
        """Elevation mask at the given azimuths [deg]."""
        az = np.asarray(azimuth_deg, dtype=np.float64)
        base = np.full_like(az, self.min_elevation_deg)
        if not self.mask_azimuth_deg:
            return base
        profile = np.interp(az % 360.0, self.mask_azimuth_deg, self.mask_elevation_deg, period=360.0)
        return np.maximum(base, profile)

    def ecef_m(self) -> NDArray[np.float64]:
        """Earth-fixed (ITRS) position from the WGS84 geodetic coordinates [m]."""
        a, f = 6378137.0, 1.0 / 298.257223563
        e2 = f * (2.0 - f)
        lat, lon = math.radians(self.lat_deg), math.radians(self.lon_deg)
        n = a / math.sqrt(1.0 - e2 * math.sin(lat) ** 2)
        return np.array([
            (n + self.height_m) * math.cos(lat) * math.cos(lon),
            (n + self.height_m) * math.cos(lat) * math.sin(lon),
            (n * (1.0 - e2) + self.height_m) * math.sin(lat),
        ])  # fmt: skip

    def enu_basis(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """East, north and up unit vectors (geodetic normal) in the Earth-fixed frame."""
        lat, lon = math.radians(self.lat_deg), math.radians(self.lon_deg)
        east = np.array([-math.sin(lon), math.cos(lon), 0.0])
        north = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)])
        up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
        return east, north, up


def _number(table: dict[str, Any], key: str, spec: tuple[str, float, float, bool], path: str,
            rows: list[dict[str, Any]]) -> float | None:  # fmt: skip
    unit, low, high, required = spec
    raw = table.get(key)
    if raw is None:
        if required:
            raise StationError(f"{path}.{key}: required ({unit}); e.g. {key} = {{ value = ..., unit = \"{unit}\" }}")
        return None
    if not isinstance(raw, dict) or "value" not in raw:
        raise StationError(f"{path}.{key}: must be a table {{ value = ..., unit = \"{unit}\", source = ..., "
                           "confidence = ... }")  # fmt: skip
    extra = sorted(set(raw) - {"value", "unit", "source", "confidence"})
    if extra:
        raise StationError(f"{path}.{key}.{extra[0]}: unknown key; use value, unit, source, confidence")
    confidence = raw.get("confidence", "placeholder")
    if confidence not in _CONFIDENCES:
        raise StationError(f"{path}.{key}.confidence: {confidence!r} is not one of {', '.join(_CONFIDENCES)}")
    try:
        value = canonical_value(raw["value"], raw.get("unit", ""), unit)
    except UnitError as err:
        part = "value" if "number" in str(err) else "unit"
        raise StationError(f"{path}.{key}.{part}: {err}") from None
    if not low <= value <= high:
        raise StationError(f"{path}.{key}.value: {raw['value']!r} is outside the accepted range {low:g}..{high:g} "
                           f"{unit}")  # fmt: skip
    rows.append({"field": f"{path}.{key}", "value": value, "unit": unit, "source": str(raw.get("source", "")),
                 "confidence": confidence})  # fmt: skip
    return value


def _band(name: str, table: Any, path: str, rows: list[dict[str, Any]]) -> Band:
    if name not in BANDS:
        raise StationError(f"{path}: unknown band {name!r}; bands: {', '.join(BANDS)}")
    if not isinstance(table, dict):
        raise StationError(f"{path}: must be a table of band fields ({', '.join(_BAND_FIELDS)})")
    unknown = sorted(set(table) - set(_BAND_FIELDS))
    if unknown:
        raise StationError(f"{path}.{unknown[0]}: unknown band field; known: {', '.join(_BAND_FIELDS)}")
    v = {k: _number(table, k, spec, path, rows) for k, spec in _BAND_FIELDS.items()}
    return Band(name, v["downlink_frequency_Hz"], v["g_over_t_dB_K"], v["reference_elevation_deg"],  # type: ignore[arg-type]
                v["uplink_frequency_Hz"], v["uplink_power_W"])  # fmt: skip


def _mask(table: dict[str, Any], path: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    raw = table.get("mask")
    if raw is None:
        return (), ()
    try:
        pairs = [(float(a), float(e)) for a, e in raw]
    except (TypeError, ValueError):
        raise StationError(f"{path}.mask: must be a list of [azimuth_deg, elevation_deg] pairs") from None
    if len(pairs) < 2 or not all(0.0 <= a < 360.0 and 0.0 <= e <= 90.0 for a, e in pairs):
        raise StationError(f"{path}.mask: give at least two [azimuth_deg 0..360, elevation_deg 0..90] pairs")
    pairs.sort()
    return tuple(a for a, _ in pairs), tuple(e for _, e in pairs)


def parse_station(name: str, table: Any, path: str | None = None) -> GroundStation:
    """A :class:`GroundStation` from its TOML table (see ``lupex/data/ground_stations.toml`` for the form).

    Raises
    ------
    StationError
        Naming the field's path, what is accepted and how to fix it.
    """
    where = path or name
    if not isinstance(table, dict):
        raise StationError(f"{where}: must be a table with lat_deg, lon_deg, height_m, diameter_m, bands ...")
    known = {"title", "network", "bands", "mask", *_STATION_FIELDS}
    unknown = sorted(set(table) - known)
    if unknown:
        raise StationError(f"{where}.{unknown[0]}: unknown station field; known: {', '.join(sorted(known))}")
    rows: list[dict[str, Any]] = []
    v = {k: _number(table, k, spec, where, rows) for k, spec in _STATION_FIELDS.items()}
    bands_raw = table.get("bands")
    if not isinstance(bands_raw, dict) or not bands_raw:
        raise StationError(f"{where}.bands: give at least one band, e.g. [{where}.bands.x]")
    bands = {b: _band(b, t, f"{where}.bands.{b}", rows) for b, t in bands_raw.items()}
    mask_az, mask_el = _mask(table, where)
    return GroundStation(
        name, str(table.get("title", name)), str(table.get("network", "")), v["lat_deg"], v["lon_deg"],  # type: ignore[arg-type]
        v["height_m"], v["diameter_m"], v["min_elevation_deg"], bands, mask_az, mask_el, rows,  # type: ignore[arg-type]
    )  # fmt: skip


@lru_cache(maxsize=1)
def catalogue() -> dict[str, GroundStation]:
    """The bundled stations, by name (ISRO IDSN, JAXA, NASA DSN, ESA ESTRACK)."""
    data = read_toml_text(read_package_data_text("ground_stations.toml"), "ground_stations.toml")
    return {name: parse_station(name, table) for name, table in data.items()}


def station_named(name: str, extra: dict[str, GroundStation] | None = None) -> GroundStation:
    """A station by name from the catalogue (or ``extra``); an unknown name lists the known ones."""
    known = {**catalogue(), **(extra or {})}
    try:
        return known[name]
    except KeyError:
        raise StationError(f"unknown ground station {name!r}; known: {', '.join(known)}") from None


def stations_named(names: str | list[str], extra: dict[str, GroundStation] | None = None) -> list[GroundStation]:
    """Stations from a comma-separated list (or a list) of names; ``all`` means every known station."""
    items = [n.strip() for n in names.split(",")] if isinstance(names, str) else [str(n).strip() for n in names]
    items = [n for n in items if n]
    if not items:
        raise StationError("no ground station named; give e.g. idsn32,misasa54 or all")
    if items == ["all"]:
        return list({**catalogue(), **(extra or {})}.values())
    return [station_named(n, extra) for n in dict.fromkeys(items)]
