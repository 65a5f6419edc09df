"""UTC parsing rules (house style: aware times only; a date alone is 00:00 UTC) and range errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lupex.ephemeris import parse_duration_s, parse_time, sky_positions, time_range
from lupex.errors import EphemerisRangeError, InputError, TimeError


def test_date_alone_means_midnight_utc():
    assert parse_time("2028-01-01") == np.datetime64("2028-01-01T00:00:00", "ns")


@pytest.mark.parametrize("text", ["2028-01-01T06:00:00Z", "2028-01-01T06:00:00+00:00", "2028-01-01T08:00:00+02:00"])
def test_zoned_strings_are_converted_to_utc(text):
    assert parse_time(text) == np.datetime64("2028-01-01T06:00:00", "ns")


def test_naive_datetime_string_is_rejected_with_a_fix():
    with pytest.raises(TimeError, match=r"no time zone.*2028-01-01T06:00Z"):
        parse_time("2028-01-01T06:00")


def test_naive_datetime_object_is_rejected():
    with pytest.raises(TimeError, match="no time zone"):
        parse_time(dt.datetime(2028, 1, 1, 6))
    assert parse_time(dt.datetime(2028, 1, 1, 6, tzinfo=dt.UTC)) == np.datetime64("2028-01-01T06:00", "ns")


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("30min", 1800), ("2h", 7200), ("1d", 86400), ("1.5h", 5400)]
)
def test_durations(text, seconds):
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize("text", ["2 hours", "-1h", "0min", "h"])
def test_bad_durations(text):
    with pytest.raises(TimeError, match="duration"):
        parse_duration_s(text)


def test_time_range_is_inclusive():
    times = time_range("2028-01-01", "2028-01-02", "6h")
    assert times.size == 5
    assert times[-1] == np.datetime64("2028-01-02", "ns")


def test_time_outside_kernels_raises_range_error_with_valid_range():
    with pytest.raises(EphemerisRangeError, match="outside the ephemeris range 1900") as info:
        sky_positions(-89.0, 0.0, "2060-01-01")
    assert info.value.start_utc.startswith("1900-01")
    assert info.value.end_utc.startswith("2050-12")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("lat", [-90.5, 91.0, float("nan")])
def test_bad_latitude(lat):
    with pytest.raises(InputError, match=r"lat_deg .* \[-90, 90\]"):
        sky_positions(lat, 0.0, "2028-01-01")
