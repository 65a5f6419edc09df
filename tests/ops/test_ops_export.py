"""Campaign CZML: packet structure, positions that round-trip, times that match, and the input checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lupex.errors import InputError
from lupex.ops.export import campaign_czml

T0 = np.datetime64("2028-01-01T00:00:00", "ns")


def _track(n: int = 25) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    times = T0 + (np.cumsum(rng.integers(1, 7_200, n)) * 1_000_000_000).astype("timedelta64[ns]")
    lat = rng.uniform(-89.9, -85.0, n)
    lon = rng.uniform(-179.9, 179.9, n)
    height = rng.uniform(-500.0, 500.0, n)
    return times, lat, lon, height


def _samples(packet: dict[str, Any]) -> np.ndarray:
    return np.asarray(packet["position"]["cartographicDegrees"], dtype=np.float64).reshape(-1, 4)


def _iso(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value, unit="s")) + "Z"


def test_packet_structure() -> None:
    times, lat, lon, height = _track()
    doc = campaign_czml(times, lat, lon, height, "rover-1")
    assert [p["id"] for p in doc] == ["document", "rover"]
    head, rover = doc
    assert head["version"] == "1.0"
    assert set(head["clock"]) >= {"interval", "currentTime", "multiplier"}
    assert {"availability", "position", "path", "point"} <= set(rover)
    assert rover["name"] == "rover-1"
    assert rover["properties"]["body"] == "Moon"
    assert rover["properties"]["reference_radius_m"] == 1_737_400.0
    assert "activity" not in rover["properties"]


def test_positions_round_trip() -> None:
    times, lat, lon, height = _track()
    lon[0], lon[1] = 200.0, -190.0  # outside (-180, 180]: written wrapped
    rover = campaign_czml(times, lat, lon, height, "r")[1]
    samples = _samples(rover)
    epoch = np.datetime64(rover["position"]["epoch"].rstrip("Z"), "ns")
    back = epoch + np.round(samples[:, 0] * 1e9).astype("timedelta64[ns]")
    np.testing.assert_array_equal(back, times)
    np.testing.assert_allclose(samples[:, 2], lat, rtol=0, atol=1e-9)
    dlon = (samples[:, 1] - lon + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(dlon, 0.0, atol=1e-9)
    assert np.all((samples[:, 1] > -180.0) & (samples[:, 1] <= 180.0))
    np.testing.assert_allclose(samples[:, 3], height, rtol=0, atol=1e-9)


def test_times_match() -> None:
    times, lat, lon, _ = _track()
    head, rover = campaign_czml(times, lat, lon, None, "r")
    start, end = _iso(times[0]), _iso(times[-1])
    assert head["clock"]["interval"] == f"{start}/{end}"
    assert head["clock"]["currentTime"] == start
    assert rover["availability"] == f"{start}/{end}"
    assert rover["position"]["epoch"] == start
    assert np.all(_samples(rover)[:, 3] == 0.0)
    assert _samples(rover)[0, 0] == 0.0


def test_activity_intervals() -> None:
    times, lat, lon, height = _track(6)
    activity = ["drive", "drive", "drill", "drill", "drill", "downlink"]
    rover = campaign_czml(times, lat, lon, height, "r", activity=activity)[1]
    intervals = rover["properties"]["activity"]
    assert [i["string"] for i in intervals] == ["drive", "drill", "downlink"]
    assert [i["interval"] for i in intervals] == [
        f"{_iso(times[0])}/{_iso(times[2])}",
        f"{_iso(times[2])}/{_iso(times[5])}",
        f"{_iso(times[5])}/{_iso(times[5])}",
    ]


def test_single_sample() -> None:
    doc = campaign_czml(T0[None], np.array([-89.5]), np.array([45.0]), None, "r", activity=["wait"])
    assert doc[1]["availability"] == f"{_iso(T0)}/{_iso(T0)}"
    assert doc[1]["position"]["cartographicDegrees"] == [0.0, 45.0, -89.5, 0.0]


def test_bad_inputs() -> None:
    times, lat, lon, height = _track(5)
    with pytest.raises(InputError, match="lat_deg"):
        campaign_czml(times, lat[:4], lon, height, "r")
    with pytest.raises(InputError, match="lon_deg"):
        campaign_czml(times, lat, lon[:3], height, "r")
    with pytest.raises(InputError, match="height_m"):
        campaign_czml(times, lat, lon, height[:2], "r")
    with pytest.raises(InputError, match="activity"):
        campaign_czml(times, lat, lon, height, "r", activity=["drive"])
    with pytest.raises(InputError, match="time_utc"):
        campaign_czml(times[:0], lat[:0], lon[:0], None, "r")
    with pytest.raises(InputError, match=r"time_utc.*increasing"):
        campaign_czml(times[::-1], lat, lon, height, "r")
    repeated = times.copy()
    repeated[2] = repeated[1]
    with pytest.raises(InputError, match="time_utc"):
        campaign_czml(repeated, lat, lon, height, "r")
    with pytest.raises(InputError, match="time_utc"):
        campaign_czml(np.arange(5.0), lat, lon, height, "r")
    bad = lat.copy()
    bad[0] = np.nan
    with pytest.raises(InputError, match="lat_deg"):
        campaign_czml(times, bad, lon, height, "r")
    with pytest.raises(ValueError, match="lat_deg"):  # InputError is a ValueError
        campaign_czml(times, lat + 200.0, lon, height, "r")
