"""``lupex comms windows`` and ``lupex comms budget``: JSON from the same result models; bad input in one line."""

from __future__ import annotations

import json

import pytest

from lupex.cli.main import main

SITE = ["--lat", "-89.4455", "--lon", "222.686"]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_windows_json_has_the_documented_keys(capsys):
    code, out, err = run(capsys, "comms", "windows", *SITE, "--start", "2028-01-01", "--end", "2028-01-04",
                         "--step", "10min", "--stations", "idsn32,misasa54", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert [s["name"] for s in data["stations"]] == ["idsn32", "misasa54"]
    for s in data["stations"]:
        assert 0.0 < s["visible_fraction"] < 1.0
        assert s["windows"] and {"start_utc", "end_utc"} <= set(s["windows"][0])
    assert 0.0 < data["network"]["visible_fraction"] <= 1.0
    assert data["network"]["longest_outage_h"] >= 0.0
    # the network is in contact exactly when some station is (same 10-minute samples)
    assert data["network"]["visible_fraction"] >= max(s["visible_fraction"] for s in data["stations"])


def test_budget_json_lists_every_term_and_the_margin_adds_up(capsys):
    code, out, err = run(capsys, "comms", "budget", "--station", "misasa54", *SITE, "--time", "2028-01-03T06:00:00Z",
                         "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    names = [t["name"] for t in data["terms_dB"]]
    assert names[:5] == ["tx_power_dBW", "tx_line_loss_dB", "tx_antenna_gain_dBi", "tx_pointing_loss_dB",
                         "free_space_loss_dB"]  # fmt: skip
    assert sum(t["value_dB"] for t in data["terms_dB"]) == pytest.approx(data["margin_dB"], abs=0.01)
    assert data["terms_dB"][0]["value_dB"] == pytest.approx(13.01, abs=0.01)  # 20 W
    assert 3.6e5 < data["range_km"] < 4.1e5 and 1.2 < data["light_time_s"] < 1.37
    assert data["rate_bps"] > 0 and data["margin_dB"] >= data["required_margin_dB"]
    # the X-band allocation (50 MHz, QPSK, rate 1/2, roll-off 0.5) caps the rate at 33 Mbps
    assert data["rate_bps"] <= 50e6 / 1.5 * 2 * 0.5


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["windows", *SITE, "--start", "2028-01-01", "--end", "2028-01-02", "--stations", "idsn64"],
         "--stations: unknown ground station 'idsn64'; known: idsn32"),
        (["windows", *SITE, "--start", "2028-01-01", "--end", "2028-01-02", "--stations", ","],
         "--stations: no ground station named"),
        (["windows", "--lat", "-95", "--lon", "0", "--start", "2028-01-01", "--end", "2028-01-02"], "--lat -95"),
        (["windows", *SITE, "--start", "2028-01-01", "--end", "2038-01-02", "--step", "1s"], "--step"),
        (["windows", *SITE, "--start", "2028-01-02", "--end", "2028-01-01"], "before"),
        (["budget", "--station", "idsn18", "--band", "ka", *SITE, "--time", "2028-01-03T06:00:00Z"],
         "--band: station idsn18 has no 'ka' band; it has x, s"),
        (["budget", "--station", "idsn32", *SITE, "--time", "2028-01-03T06:00:00Z", "--tx-power-W", "-3"],
         "--tx-power-W -3"),
        (["budget", "--station", "nowhere", *SITE, "--time", "2028-01-03T06:00:00Z"], "--station: unknown ground"),
        (["budget", "--station", "idsn32", *SITE, "--time", "2028-01-03T06:00:00Z", "--coding", "magic"],
         "--coding 'magic' is not known"),
        (["budget", "--station", "idsn32", *SITE, "--time", "2028-01-03T06:00:00Z", "--antenna-m", "nan"],
         "--antenna-m nan is not a finite number"),
        (["budget", "--station", "idsn32", *SITE, "--time", "2028-01-10T12:00:00"], "--time"),
    ],
)
def test_bad_input_is_one_line_naming_the_flag(capsys, args, needle):
    code, out, err = run(capsys, "comms", *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and needle in err, err


def test_a_time_when_the_station_cannot_see_the_site_is_refused(capsys):
    """At 2028-01-03T18:00Z the Moon is below the horizon at Byalalu (the windows say so)."""
    code, _, err = run(capsys, "comms", "budget", "--station", "idsn32", *SITE, "--time", "2028-01-03T18:00:00Z")
    assert code == 1 and "below idsn32's horizon" in err and "lupex comms windows" in err
