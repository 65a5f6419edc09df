"""UTC time and duration parsing shared by every lupex interface.

Rules (see docs/nomenclature.md):

* instants are UTC-aware: ISO 8601 strings must carry ``Z`` or an offset (``+00:00``); a date alone
  (``2028-01-01``) means 00:00 UTC; a date-time without a zone is rejected;
* :class:`datetime.datetime` objects must be timezone-aware; ``numpy.datetime64`` values are UTC by
  definition (numpy has no zones);
* durations are written ``30s``, ``30min``, ``2h``, ``1d`` (also ``1.5h``, ``1w``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lupex.errors import TimeError

__all__ = ["format_utc", "parse_duration_s", "parse_time", "parse_times", "time_range"]

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HAS_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|min|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_time(value: Any, name: str = "time") -> np.datetime64:
    """Parse one UTC instant into ``numpy.datetime64[ns]``.

    Parameters
    ----------
    value : str, datetime.datetime, datetime.date or numpy.datetime64
        ISO 8601 with ``Z``/offset, a date alone (00:00 UTC), an aware datetime, or datetime64 (UTC).
    name : str
        Argument name used in error messages.

    Raises
    ------
    TimeError
        For a naive date-time or a malformed string.
    """
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise TimeError(f"{name} is NaT; give a UTC instant such as 2028-01-01T00:00:00Z")
        return value.astype("datetime64[ns]")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimeError(
                f"{name} {value.isoformat()!r} has no time zone; lupex needs UTC-aware times, "
                "e.g. datetime(..., tzinfo=timezone.utc)"
            )
        utc = value.astimezone(dt.UTC).replace(tzinfo=None)
        return np.datetime64(utc, "ns")
    if isinstance(value, dt.date):
        return np.datetime64(value.isoformat(), "ns")
    if not isinstance(value, str):
        raise TimeError(f"{name} {value!r} is not a time; give an ISO 8601 UTC string like 2028-01-01T00:00:00Z")
    text = value.strip()
    if _DATE_ONLY.match(text):
        try:
            return np.datetime64(text, "ns")
        except ValueError as err:
            raise TimeError(f"{name} {value!r} is not a valid date; use YYYY-MM-DD") from err
    if not _HAS_ZONE.search(text):
        raise TimeError(
            f"{name} {value!r} has no time zone; write UTC explicitly, e.g. {text}Z or {text}+00:00 "
            "(a date alone means 00:00 UTC)"
        )
    try:
        parsed = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as err:
        raise TimeError(f"{name} {value!r} is not ISO 8601; use e.g. 2028-01-01T00:00:00Z") from err
    return parse_time(parsed, name)


def parse_times(values: Any, name: str = "times") -> NDArray[np.datetime64]:
    """Parse one instant or a sequence of instants into a 1-D ``datetime64[ns]`` array (UTC)."""
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        out = values.astype("datetime64[ns]").ravel()
        if np.isnat(out).any():
            raise TimeError(f"{name} contains NaT; give valid UTC instants")
        return out
    if isinstance(values, (str, dt.date, np.datetime64)):
        return np.array([parse_time(values, name)], dtype="datetime64[ns]")
    if hasattr(values, "tz") and hasattr(values, "to_numpy"):  # pandas DatetimeIndex / Series
        if getattr(values, "tz", None) is None and not hasattr(values, "dt"):
            raise TimeError(f"{name} is a naive DatetimeIndex; localise it to UTC with .tz_localize('UTC')")
    if isinstance(values, Iterable):
        return np.array([parse_time(v, name) for v in values], dtype="datetime64[ns]")
    raise TimeError(f"{name} {values!r} is not a time or a sequence of times")


def parse_duration_s(value: Any, name: str = "step") -> float:
    """Parse a duration such as ``30min``, ``2h``, ``1d`` or ``45s`` into seconds.

    Raises
    ------
    TimeError
        For malformed or non-positive durations.
    """
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise TimeError(f"{name} {value!r} is not a duration; write e.g. 30s, 30min, 2h or 1d")
        seconds = float(match.group(1)) * _UNIT_S[match.group(2).lower()]
    if not seconds > 0:
        raise TimeError(f"{name} {value!r} must be a positive duration, e.g. 1h")
    return seconds


def time_range(start: Any, end: Any, step: Any) -> NDArray[np.datetime64]:
    """Instants from ``start`` to ``end`` inclusive (when it falls on the grid) every ``step``.

    Parameters
    ----------
    start, end : time-like
        UTC instants (see :func:`parse_time`).
    step : str, float or timedelta
        Duration (``2h``) or seconds.
    """
    t0 = parse_time(start, "start")
    t1 = parse_time(end, "end")
    if t1 < t0:
        raise TimeError(f"end {format_utc(t1)} is before start {format_utc(t0)}; swap them")
    step_ns = round(parse_duration_s(step) * 1e9)
    count = int((t1 - t0).astype(np.int64) // step_ns) + 1
    return t0 + np.arange(count, dtype=np.int64) * np.timedelta64(step_ns, "ns")


def format_utc(value: np.datetime64) -> str:
    """ISO 8601 UTC with ``Z`` and whole seconds (or milliseconds where present)."""
    text = str(np.datetime_as_string(np.asarray(value).astype("datetime64[ms]"), unit="ms"))
    if text.endswith(".000"):
        text = text[:-4]
    return text + "Z"
