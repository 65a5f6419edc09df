"""UTC time and duration parsing shared by every lupex interface.

Rules (see docs/nomenclature.md):

* instants are UTC-aware: ISO 8601 strings must carry ``Z`` or an offset (``+00:00``); a date alone
  (``2028-01-01``) means 00:00 UTC; a date-time without a zone is rejected;
* :class:`datetime.datetime` objects must be timezone-aware; ``numpy.datetime64`` values are UTC by
  definition (numpy has no zones);
* durations are written ``30s``, ``30min``, ``2h``, ``1d`` (also ``1.5h``, ``1w``);
* every instant must lie inside the ephemeris range (:func:`lupex.ephemeris.valid_time_range`, 1900 .. 2050),
  whatever its form: years that ``datetime64[ns]`` cannot hold are refused before any conversion (numpy would
  wrap them around silently), and :func:`time_range` counts its instants before allocating them.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lupex.errors import TimeError, TimeOutsideEphemerisError

__all__ = [
    "MAX_TIME_STEPS",
    "TimeOutsideEphemerisError",
    "format_utc",
    "parse_duration_s",
    "parse_time",
    "parse_times",
    "time_range",
]

#: Default cap on the number of instants :func:`time_range` builds (16 MB of ``datetime64[ns]``).
MAX_TIME_STEPS = 2_000_000

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HAS_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|min|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# whole years datetime64[ns] can hold (1677-09-21 .. 2262-04-11); numpy wraps years outside silently
_NS_YEARS = (1678, 2261)


@functools.lru_cache(maxsize=1)
def _ephemeris_range() -> tuple[np.datetime64, np.datetime64]:
    from lupex.ephemeris.sky import valid_time_range  # sky imports this module

    return valid_time_range()


def _outside(name: str, shown: str) -> TimeOutsideEphemerisError:
    first, last = (format_utc(t) for t in _ephemeris_range())
    return TimeOutsideEphemerisError(
        f"{name} {shown} is outside the ephemeris range {first} .. {last} "
        "(DE421 and moon_pa_de421_1900-2050.bpc); give a UTC time inside it",
        first,
        last,
    )


def _check_year(year: int, name: str, shown: str) -> None:
    """Refuse a year datetime64[ns] cannot hold, before any conversion could wrap it around."""
    if not _NS_YEARS[0] <= year <= _NS_YEARS[1]:
        raise _outside(name, shown)


def _in_ephemeris(value: np.datetime64, name: str, shown: str) -> np.datetime64:
    first, last = _ephemeris_range()
    if not first <= value <= last:
        raise _outside(name, shown)
    return value


def _checked_ns(values: NDArray[np.datetime64], name: str) -> NDArray[np.datetime64]:
    """``datetime64`` of any unit to ``datetime64[ns]``, refusing NaT and instants outside the ephemeris."""
    if np.isnat(values).any():
        raise TimeError(f"{name} contains NaT; give valid UTC instants such as 2028-01-01T00:00:00Z")
    years = values.astype("datetime64[Y]").astype(np.int64) + 1970  # coarsening never overflows
    bad = (years < _NS_YEARS[0]) | (years > _NS_YEARS[1])
    if bad.any():
        raise _outside(name, str(np.datetime_as_string(values[bad][0])))
    out = values.astype("datetime64[ns]")
    first, last = _ephemeris_range()
    bad = (out < first) | (out > last)
    if bad.any():
        raise _outside(name, format_utc(out[bad][0]))
    return out


def _datetime_ns(value: dt.datetime, name: str, shown: str) -> np.datetime64:
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimeError(
            f"{name} {value.isoformat()!r} has no time zone; lupex needs UTC-aware times, "
            "e.g. datetime(..., tzinfo=timezone.utc)"
        )
    _check_year(value.year, name, shown)
    utc = value.astimezone(dt.UTC).replace(tzinfo=None)
    return _in_ephemeris(np.datetime64(utc, "ns"), name, shown)


def parse_time(value: Any, name: str = "time") -> np.datetime64:
    """Parse one UTC instant into ``numpy.datetime64[ns]``.

    Parameters
    ----------
    value : str, datetime.datetime, datetime.date or numpy.datetime64
        ISO 8601 with ``Z``/offset, a date alone (00:00 UTC), an aware datetime, or datetime64 (UTC, any unit).
    name : str
        Argument name used in error messages (a CLI passes the flag, e.g. ``"--start"``).

    Raises
    ------
    TimeError
        For a naive date-time or a malformed string; :class:`TimeOutsideEphemerisError` (also an
        ``EphemerisRangeError``) for an instant outside the ephemeris range, however it is written.
    """
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise TimeError(f"{name} is NaT; give a UTC instant such as 2028-01-01T00:00:00Z")
        return _checked_ns(np.asarray(value).reshape(1), name)[0]
    if isinstance(value, dt.datetime):
        return _datetime_ns(value, name, repr(value.isoformat()))
    if isinstance(value, dt.date):
        _check_year(value.year, name, repr(value.isoformat()))
        return _in_ephemeris(np.datetime64(value.isoformat(), "ns"), name, repr(value.isoformat()))
    if not isinstance(value, str):
        raise TimeError(f"{name} {value!r} is not a time; give an ISO 8601 UTC string like 2028-01-01T00:00:00Z")
    text = value.strip()
    if _DATE_ONLY.match(text):
        _check_year(int(text[:4]), name, repr(value))
        try:
            parsed_date = np.datetime64(text, "ns")
        except ValueError as err:
            raise TimeError(f"{name} {value!r} is not a valid date; use YYYY-MM-DD") from err
        return _in_ephemeris(parsed_date, name, repr(value))
    if not _HAS_ZONE.search(text):
        raise TimeError(
            f"{name} {value!r} has no time zone; write UTC explicitly, e.g. {text}Z or {text}+00:00 "
            "(a date alone means 00:00 UTC)"
        )
    try:
        parsed = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as err:
        raise TimeError(f"{name} {value!r} is not ISO 8601; use e.g. 2028-01-01T00:00:00Z") from err
    return _datetime_ns(parsed, name, repr(value))


def parse_times(values: Any, name: str = "times") -> NDArray[np.datetime64]:
    """Parse one instant or a sequence of instants into a 1-D ``datetime64[ns]`` array (UTC).

    Raises
    ------
    TimeError
        As :func:`parse_time`, for any element (NaT, naive, malformed or outside the ephemeris range).
    """
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return _checked_ns(values.ravel(), name)
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
        For malformed, non-finite or non-positive durations, and for durations under 1 ns (the time resolution).
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
    if not (math.isfinite(seconds) and seconds > 0):
        raise TimeError(f"{name} {value!r} must be a positive duration, e.g. 1h")
    if seconds < 1e-9:
        raise TimeError(f"{name} {value!r} is shorter than 1 ns, the finest time step lupex resolves; give e.g. 1s")
    return seconds


def _step_hint(seconds: float) -> str:
    """A duration string of at least ``seconds``, in the largest whole unit (``6min``, ``2h``, ``0.16s``)."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            return f"{math.ceil(seconds / size)}{unit}"
    quantum = 10.0 ** (math.floor(math.log10(seconds)) - 1)
    return np.format_float_positional(math.ceil(seconds / quantum) * quantum, precision=12, trim="-") + "s"


def time_range(
    start: Any,
    end: Any,
    step: Any,
    *,
    max_count: int = MAX_TIME_STEPS,
    names: tuple[str, str, str] = ("start", "end", "step"),
) -> NDArray[np.datetime64]:
    """Instants from ``start`` to ``end`` inclusive (when it falls on the grid) every ``step``.

    Parameters
    ----------
    start, end : time-like
        UTC instants (see :func:`parse_time`), inside the ephemeris range.
    step : str, float or timedelta
        Duration (``2h``) or seconds.
    max_count : int, default :data:`MAX_TIME_STEPS`
        Most instants accepted; the count is checked before anything is allocated.
    names : (str, str, str), default ("start", "end", "step")
        Names of the three arguments in error messages (a CLI passes its flags, e.g. ``("--start", "--end",
        "--step")``).

    Raises
    ------
    TimeError
        Malformed or reversed times, a bad step, or more than ``max_count`` instants
        (:class:`TimeOutsideEphemerisError` for times outside the ephemeris range).
    """
    start_name, end_name, step_name = names
    if isinstance(max_count, bool) or not isinstance(max_count, (int, np.integer)) or max_count < 1:
        raise TimeError(f"max_count {max_count!r} must be a positive integer, e.g. {MAX_TIME_STEPS}")
    t0 = parse_time(start, start_name)
    t1 = parse_time(end, end_name)
    if t1 < t0:
        raise TimeError(f"{end_name} {format_utc(t1)} is before {start_name} {format_utc(t0)}; swap them")
    step_ns = round(parse_duration_s(step, step_name) * 1e9)
    span_ns = int((t1 - t0).astype(np.int64))
    count = span_ns // step_ns + 1
    if count > max_count:
        hint = _step_hint(span_ns / 1e9 / max(int(max_count) - 1, 1))
        raise TimeError(
            f"{step_name} {step!r} gives {count:,} instants from {format_utc(t0)} to {format_utc(t1)}, more than "
            f"the {int(max_count):,} allowed; use a larger {step_name} (at least {hint}) or a shorter period"
        )
    if count == 1:
        return np.array([t0], dtype="datetime64[ns]")
    return t0 + np.arange(count, dtype=np.int64) * np.timedelta64(step_ns, "ns")


def format_utc(value: np.datetime64) -> str:
    """ISO 8601 UTC with ``Z`` and whole seconds (or milliseconds where present)."""
    text = str(np.datetime_as_string(np.asarray(value).astype("datetime64[ms]"), unit="ms"))
    if text.endswith(".000"):
        text = text[:-4]
    return text + "Z"
