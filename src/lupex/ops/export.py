"""Campaign documents: the rover's simulated track over the campaign as CZML (no file paths here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lupex.constants import MOON_RADIUS_M
from lupex.ephemeris import format_utc
from lupex.errors import InputError

__all__ = ["campaign_czml"]

_FRAME = (
    f"Moon: selenographic (IAU Moon, mean Earth / polar axis) latitude and longitude [deg], height [m] above the "
    f"reference sphere of radius {MOON_RADIUS_M:.0f} m (view on Cesium.Ellipsoid.MOON)"
)


def _check_inputs(time_utc: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray, height_m: np.ndarray | None,
                  activity: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Validated 1-D copies: times [ns], lat, lon [deg], height [m]."""
    times = np.asarray(time_utc)
    if not np.issubdtype(times.dtype, np.datetime64):
        raise InputError(f"time_utc: expected datetime64 values (UTC), got dtype {times.dtype}")
    times = times.astype("datetime64[ns]").ravel()
    n = times.size
    if n < 1:
        raise InputError("time_utc: at least 1 sample is needed, got 0")
    if np.any(np.isnat(times)):
        raise InputError("time_utc: contains NaT; give every sample a time")
    if n > 1 and np.any(np.diff(times) <= np.timedelta64(0, "ns")):
        raise InputError("time_utc: times must be strictly increasing")
    arrays = {"lat_deg": lat_deg, "lon_deg": lon_deg, "height_m": np.zeros(n) if height_m is None else height_m}
    out: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        array = np.asarray(value, dtype=np.float64).ravel()
        if array.size != n:
            raise InputError(f"{name}: expected {n} values (one per time_utc sample), got {array.size}")
        if not np.all(np.isfinite(array)):
            raise InputError(f"{name}: contains non-finite values")
        out[name] = array
    if np.any(np.abs(out["lat_deg"]) > 90.0):
        raise InputError("lat_deg: latitudes must lie in [-90, 90] deg")
    if activity is not None and len(activity) != n:
        raise InputError(f"activity: expected {n} labels (one per time_utc sample), got {len(activity)}")
    return times, out["lat_deg"], out["lon_deg"], out["height_m"]


def _activity_intervals(times: np.ndarray, activity: Sequence[str]) -> list[dict[str, str]]:
    """Runs of equal consecutive labels as CZML time intervals, each from its first sample to the next run's."""
    labels = [str(a) for a in activity]
    starts = [0] + [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]]
    ends = [*starts[1:], len(labels) - 1]
    return [
        {"interval": f"{format_utc(times[i])}/{format_utc(times[j])}", "string": labels[i]}
        for i, j in zip(starts, ends, strict=True)
    ]


def campaign_czml(time_utc: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray, height_m: np.ndarray | None,
                  name: str, activity: Sequence[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The rover's campaign track as CZML for Cesium playback (view it on a Moon ellipsoid).

    Parameters
    ----------
    time_utc
        Sample times, ``datetime64`` (UTC), strictly increasing; at least one.
    lat_deg, lon_deg
        Selenographic (IAU Moon) latitude and longitude per sample [deg]; longitudes are written in (-180, 180].
    height_m
        Height above the 1737.4 km reference sphere per sample [m]; ``None`` for 0.
    name
        Name of the rover entity (and of the document).
    activity
        Optional activity label per sample (e.g. ``drive``, ``drill``); runs of equal labels become the
        time-dynamic custom property ``properties.activity``, each from its first sample to the next run's.

    Returns
    -------
    list of dict
        The CZML packets: the ``document`` packet (clock over the samples), then the ``rover`` packet with its
        ``availability``, ``position`` (``cartographicDegrees`` samples ``[s since epoch, lon, lat, height, ...]``,
        linear interpolation), ``path`` and ``point``.

    Raises
    ------
    lupex.errors.InputError
        When the arrays differ in length, are empty or non-finite, or the times are not strictly increasing.
    """
    times, lat, lon, height = _check_inputs(time_utc, lat_deg, lon_deg, height_m, activity)
    outside = (lon > 180.0) | (lon <= -180.0)
    lon = np.where(outside, 180.0 - np.mod(180.0 - lon, 360.0), lon)  # into (-180, 180]; in-range values kept as given
    epoch = times[0].astype("datetime64[ms]")  # format_utc writes milliseconds; offsets count from what it writes
    seconds = (times - epoch.astype("datetime64[ns]")) / np.timedelta64(1, "s")
    samples: list[float] = []
    for t, a, b, h in zip(seconds, lon, lat, height, strict=True):
        samples += [float(t), float(a), float(b), float(h)]
    start, end = format_utc(epoch), format_utc(times[-1])
    rover: dict[str, Any] = {
        "id": "rover",
        "name": name,
        "availability": f"{start}/{end}",
        "description": f"{name}: simulated campaign track. {_FRAME}.",
        "properties": {"body": "Moon", "frame": _FRAME, "reference_radius_m": MOON_RADIUS_M},
        "position": {"epoch": start, "interpolationAlgorithm": "LINEAR", "cartographicDegrees": samples},
        "path": {
            "width": 2,
            "leadTime": 0,
            "trailTime": 1e9,
            "material": {"solidColor": {"color": {"rgba": [255, 165, 0, 255]}}},
        },
        "point": {"pixelSize": 8, "color": {"rgba": [255, 165, 0, 255]}},
    }
    if activity is not None:
        rover["properties"]["activity"] = _activity_intervals(times, activity)
    document = {
        "id": "document",
        "name": "lupex campaign",
        "version": "1.0",
        "clock": {"interval": f"{start}/{end}", "currentTime": start, "multiplier": 3600, "range": "CLAMPED"},
        "description": _FRAME,
    }
    return [document, rover]
