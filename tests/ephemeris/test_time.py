"""UTC parsing rules (house style: aware times only; a date alone is 00:00 UTC) and range errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lupex.ephemeris import parse_duration_s, parse_time, parse_times, sky_positions, time_range
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


# --- instants outside the ephemeris range, however they are written (datetime64[ns] would wrap them around)

OUTSIDE = [
    "2600-01-01T00:00:00Z",
    "1400-01-01",
    "2100-01-01T00:00:00+02:00",
    "1899-12-31",
    dt.date(1400, 1, 1),
    dt.datetime(2600, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # astimezone would overflow
    np.datetime64("2600-01-01", "D"),
    np.datetime64("1400-01-01T00:00:00", "s"),
    np.datetime64("2100-01-01T00:00:00", "us"),
    np.datetime64(10**18, "s"),
]


@pytest.mark.parametrize("value", OUTSIDE, ids=repr)
def test_time_outside_the_ephemeris_is_refused_whatever_its_form(value):
    with pytest.raises(TimeError, match=r"^--start .* is outside the ephemeris range 1900-01-02.* 2050-12-31") as info:
        parse_time(value, "--start")
    assert isinstance(info.value, EphemerisRangeError)  # carries the range, as sky_positions' error does
    assert info.value.start_utc.startswith("1900-01-02") and info.value.end_utc.startswith("2050-12-31")


@pytest.mark.parametrize("unit", ["D", "s", "us", "ns"])
def test_arrays_outside_the_ephemeris_are_refused(unit):
    times = np.array(["2028-01-01", "2600-01-01" if unit != "ns" else "2060-01-01"], dtype=f"datetime64[{unit}]")
    with pytest.raises(TimeError, match=r"^times .*(2600|2060)-01-01.* is outside the ephemeris range"):
        parse_times(times)
    with pytest.raises(TimeError, match="outside the ephemeris range"):
        parse_times(list(times))


def test_times_inside_the_range_keep_their_value_in_any_unit():
    times = np.array(["1900-01-02", "2050-12-31"], dtype="datetime64[D]")
    np.testing.assert_array_equal(parse_times(times), times.astype("datetime64[ns]"))
    assert parse_time(np.datetime64("2028-01-01T06:00", "m")) == np.datetime64("2028-01-01T06:00", "ns")


@pytest.mark.parametrize("step", ["0.0000000001s", 1e-10, dt.timedelta(microseconds=0)])
def test_step_rounding_to_zero_is_refused(step):
    with pytest.raises(TimeError, match=r"^--step .*(shorter than 1 ns|positive duration)"):
        time_range("2028-01-01", "2028-01-02", step, names=("--start", "--end", "--step"))


@pytest.mark.parametrize("step", [float("inf"), float("nan"), -1.0])
def test_non_finite_steps_are_refused(step):
    with pytest.raises(TimeError, match="must be a positive duration"):
        parse_duration_s(step)


def test_time_range_counts_before_allocating():
    """Ten years every millisecond would be 2.5 TB of datetime64; the count is refused first, with a step to use."""
    with pytest.raises(
        TimeError,
        match=r"^--step '0\.001s' gives 315,619,200,001 instants from 2020-01-01T00:00:00Z to 2030-01-01T00:00:00Z, "
        r"more than the 1,000,000 allowed; use a larger --step \(at least 6min\)",
    ):
        time_range("2020-01-01", "2030-01-01", "0.001s", max_count=1_000_000, names=("--start", "--end", "--step"))
    with pytest.raises(TimeError, match=r"^step '1s' gives .* more than the 2,000,000 allowed; use a larger step"):
        time_range("2020-01-01", "2030-01-01", "1s")  # the default cap
    assert time_range("2020-01-01", "2030-01-01", "6min", max_count=1_000_000).size <= 1_000_000  # the hint fits
    assert time_range("2028-01-01", "2028-01-02", "1h", max_count=25).size == 25


def test_time_range_with_a_step_longer_than_the_period():
    times = time_range("2028-01-01", "2028-01-02", 1e30)
    np.testing.assert_array_equal(times, np.array(["2028-01-01"], dtype="datetime64[ns]"))


def test_time_range_names_the_arguments_it_was_given():
    with pytest.raises(TimeError, match=r"^--end 2028-01-01T00:00:00Z is before --start 2028-01-02T00:00:00Z"):
        time_range("2028-01-02", "2028-01-01", "1h", names=("--start", "--end", "--step"))
    with pytest.raises(TimeError, match=r"^--thermal-step '2 hours' is not a duration"):
        time_range("2028-01-01", "2028-01-02", "2 hours", names=("--start", "--end", "--thermal-step"))
