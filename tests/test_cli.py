"""The lupex command: results on stdout, one-line errors on stderr, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json

import pytest

from lupex.cli.main import main
from tests.conftest import arcsec


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sun_json_single_time(capsys):
    code, out, err = run(capsys, "sun", "--lat", "-89.9", "--lon", "0", "--time", "2028-01-01T00:00:00Z", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"time_utc", "site", "sun", "earth"}
    assert data["time_utc"] == "2028-01-01T00:00:00Z"
    assert set(data["site"]) == {"lat_deg", "lon_deg", "height_m"}
    assert (
        set(data["sun"]) == set(data["earth"]) == {"elevation_deg", "azimuth_deg", "distance_km", "angular_radius_deg"}
    )
    assert data["sun"]["elevation_deg"] == pytest.approx(0.5607, abs=0.0001)  # SPICE value in issue #2
    assert data["earth"]["azimuth_deg"] == pytest.approx(358.8373, abs=0.0001)


def test_sun_json_table_and_repeated_time(capsys):
    code, out, _ = run(
        capsys,
        "sun",
        "--lat",
        "-89.45",
        "--lon",
        "222.5",
        "--start",
        "2028-01-01",
        "--end",
        "2028-01-02",
        "--step",
        "6h",
        "--json",
        "--height-m",
        "2",
    )
    rows = json.loads(out)
    assert code == 0 and len(rows) == 5 and rows[-1]["time_utc"] == "2028-01-02T00:00:00Z"
    assert rows[0]["site"]["height_m"] == 2.0
    code, out, _ = run(
        capsys,
        "sun",
        "--lat",
        "-89.45",
        "--lon",
        "222.5",
        "--time",
        "2028-01-01T00:00:00Z",
        "--time",
        "2028-01-01T01:00:00+00:00",
        "--json",
    )
    assert code == 0 and len(json.loads(out)) == 2


def test_sun_human_table(capsys):
    code, out, _ = run(capsys, "sun", "--lat", "-89.45", "--lon", "222.5", "--time", "2028-01-01")
    assert code == 0 and "earth" in out and "elevation_deg" in out


def test_dem_info_json_builtin(capsys):
    code, out, _ = run(capsys, "dem", "info", "builtin:south_pole_240m", "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["n_cols"], data["n_rows"], data["res_m"]) == (1536, 1536, 240.0)
    assert data["height_min_m"] == pytest.approx(-5490, abs=10)
    assert data["height_max_m"] == pytest.approx(7020, abs=10)
    assert data["void_count"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dem", "info", "builtin:nope"), "unknown builtin DEM 'nope'; available:"),
        (("dem", "info", "/no/such/file.tif"), "does not exist"),
        (("sun", "--lat", "-91", "--lon", "0", "--time", "2028-01-01"), "lat_deg -91.0 is outside [-90, 90]"),
        (("sun", "--lat", "-89", "--lon", "0", "--time", "2028-01-01T00:00"), "has no time zone"),
        (("sun", "--lat", "-89", "--lon", "0", "--time", "2060-01-01"), "outside the ephemeris range"),
        (
            ("sun", "--lat", "-89", "--lon", "0", "--start", "2028-01-01", "--end", "2028-01-02", "--step", "2 hours"),
            "is not a duration",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_1(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_unreadable_file_is_one_line(capsys, tmp_path):
    junk = tmp_path / "junk.tif"
    junk.write_text("nope")
    code, _, err = run(capsys, "dem", "info", str(junk))
    assert code == 1 and err.count("\n") == 1 and "cannot read DEM" in err


def test_verbose_shows_traceback(capsys):
    code, _, err = run(capsys, "-v", "dem", "info", "builtin:nope")
    assert code == 1 and "Traceback" in err


@pytest.mark.parametrize(
    "args",
    [
        ("sun", "--lat", "abc", "--lon", "0", "--time", "2028-01-01"),
        ("sun", "--lat", "-89", "--lon", "0"),
        ("sun", "--lat", "-89", "--lon", "0", "--time", "2028-01-01", "--start", "2028-01-01"),
        ("frobnicate",),
    ],
)
def test_usage_errors_exit_2(capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("lupex: usage error: ") and "--help'" in err


def test_demo_runs(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "connecting ridge" in out and "1536 x 1536" in out


def test_cli_matches_library_to_an_arcsecond(capsys):
    from lupex.ephemeris import sky_positions

    _, out, _ = run(capsys, "sun", "--lat", "-85", "--lon", "10", "--time", "2031-05-05T05:05:05Z", "--json")
    lib = sky_positions(-85, 10, "2031-05-05T05:05:05Z")
    assert json.loads(out)["sun"]["elevation_deg"] == pytest.approx(lib.sun.elevation_deg[0], abs=arcsec / 1000)
