"""The campaign's integer-nanosecond clock (Basilisk's choice: exact sums, no drift over 100 days).

Simulation time is an ``int`` count of nanoseconds since the start of the surface mission; durations in seconds
are rounded to the nearest nanosecond once, when they enter the simulation, and never accumulated as floats.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from lupex.errors import InputError

__all__ = ["NS_PER_H", "NS_PER_S", "as_ns", "ns_from_s", "utc_at"]

NS_PER_S = 1_000_000_000
NS_PER_H = 3600 * NS_PER_S


def ns_from_s(seconds: float) -> int:
    """A duration [s] as integer nanoseconds (rounded once); NaN, infinite or negative durations are refused."""
    if isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"a duration of {seconds!r} s is not accepted; give a finite number of seconds >= 0")
    return int(round(float(seconds) * NS_PER_S))


def utc_at(start_utc: np.datetime64, t_ns: int) -> np.datetime64:
    """UTC instant ``t_ns`` nanoseconds after ``start_utc`` (exact, datetime64[ns])."""
    return as_ns(start_utc) + np.timedelta64(int(t_ns), "ns")


def as_ns(t: Any) -> np.datetime64:
    """A UTC instant as numpy ``datetime64[ns]``."""
    return cast(np.datetime64, np.asarray(t, dtype="datetime64[ns]").reshape(())[()])
