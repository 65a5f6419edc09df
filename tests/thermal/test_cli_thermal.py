"""`lupex thermal point` end to end: JSON keys and values, the human summary, bad input."""

from __future__ import annotations

import json

import pytest

from lupex.cli.main import main
from lupex.thermal import point_temperature

ARGS = ("thermal", "point", "--lat", "-85", "--lon", "20", "--start", "2028-02-01", "--end", "2028-02-02")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_keys_and_values_match_the_library(capsys):
    code, out, err = run(
        capsys,
        *ARGS,
        "--step",
        "6h",
        "--slope-deg",
        "20",
        "--aspect-deg",
        "0",
        "--albedo",
        "0.1",
        "--h-param",
        "0.07",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert {"t_min_K", "t_mean_K", "t_max_K", "series", "parameters", "site", "depths"} <= set(data)
    assert [row["time_utc"] for row in data["series"]] == [
        "2028-02-01T00:00:00Z",
        "2028-02-01T06:00:00Z",
        "2028-02-01T12:00:00Z",
        "2028-02-01T18:00:00Z",
        "2028-02-02T00:00:00Z",
    ]
    assert set(data["series"][0]) == {"time_utc", "t_surface_K"}
    assert data["parameters"]["albedo_normal"] == 0.1 and data["parameters"]["h_parameter_m"] == 0.07
    assert data["slope_deg"] == 20.0 and data["placeholder_defaults"] == []
    ref = point_temperature(-85, 20, "2028-02-01", "2028-02-02", "6h", slope_deg=20, albedo=0.1, h_param_m=0.07)
    assert data["t_max_K"] == pytest.approx(ref.t_max_K, abs=1e-3)
    assert [row["t_surface_K"] for row in data["series"]] == pytest.approx(list(ref.t_surface_K), abs=1e-3)
    assert data["t_min_K"] <= data["t_mean_K"] <= data["t_max_K"]


def test_human_summary(capsys):
    code, out, _ = run(capsys, *ARGS, "--step", "12h")
    assert code == 0
    assert "surface T min / mean / max [K]" in out and "T at 1.5 m" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lat", "95"), "lat_deg"),
        (("--slope-deg", "95"), "slope_deg"),
        (("--albedo", "1.5"), "albedo"),
        (("--h-param", "-1"), "h_param_m"),
        (("--step", "0h"), "step"),
    ],
)
def test_bad_input_one_line_exit_1(capsys, args, message):
    code, out, err = run(capsys, *ARGS, *args)
    assert code == 1 and out == "" and err.count("\n") == 1 and message in err


def test_usage_error_exit_2(capsys):
    code, _, err = run(
        capsys, "thermal", "point", "--lat", "abc", "--lon", "0", "--start", "2028-01-01", "--end", "2028-01-02"
    )
    assert code == 2 and err
