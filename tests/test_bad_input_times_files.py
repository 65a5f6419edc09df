"""Bad input on the command line: times out of range, steps and periods too fine, unreadable or oversized rasters,
folders given for files, and numeric options out of range. Each is one line on stderr naming the flag, exit 1,
refused before any long computation or large allocation."""

from __future__ import annotations

import logging
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from lupex.cli.main import main

STERE = "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs"
SUN = ("sun", "--lat", "-89.45", "--lon", "222.5")
PERIOD = ("--start", "2028-01-01", "--end", "2028-01-02")
SITE = ("illumination", "site", "--lat", "-89.45", "--lon", "222.5", *PERIOD)
THERMAL = ("thermal", "point", "--lat", "-85", "--lon", "20", *PERIOD)


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *args, within_s=20.0):
    """Run, check the one-line error and exit 1 (and that it came quickly), return the line."""
    began = time.perf_counter()
    code, out, err = run(capsys, *args)
    assert code == 1, err
    assert out == "" and err.count("\n") == 1 and err.startswith("lupex: error: ") and "Traceback" not in err
    assert time.perf_counter() - began < within_s
    return err


def map_args(tmp_path, *extra):
    return ("illumination", "map", "--dem", "builtin:south_pole_240m", *PERIOD, "--out", tmp_path / "map", *extra)


# --- 1. times outside the ephemeris range, however they are written


@pytest.mark.parametrize("value", ["2600-01-01T00:00:00Z", "1400-01-01", "2100-01-01", "1899-12-31T23:59:59+00:00"])
def test_sun_time_outside_the_ephemeris_is_refused(capsys, value):
    err = refused(capsys, *SUN, "--time", value)
    assert f"--time '{value}' is outside the ephemeris range 1900-01-02T00:00:00Z .. 2050-12-31T00:00:00Z" in err


@pytest.mark.parametrize("flag", ["--start", "--end"])
def test_sun_table_bounds_outside_the_ephemeris_are_refused(capsys, flag):
    dates = {"--start": "2028-01-01", "--end": "2028-01-02"} | {flag: "2600-01-01"}
    err = refused(capsys, *SUN, "--start", dates["--start"], "--end", dates["--end"], "--step", "1h")
    assert f"{flag} '2600-01-01' is outside the ephemeris range" in err


@pytest.mark.parametrize(
    "command",
    [
        ("illumination", "site", "--lat", "-89.45", "--lon", "222.5"),
        ("thermal", "point", "--lat", "-85", "--lon", "20"),
        ("sites",),
    ],
)
def test_other_commands_refuse_a_start_outside_the_ephemeris(capsys, tmp_path, command):
    extra = ("--out", tmp_path / "out") if command == ("sites",) else ()
    err = refused(capsys, *command, "--start", "1400-01-01", "--end", "2028-01-02", *extra)
    assert "--start '1400-01-01' is outside the ephemeris range" in err


def test_illumination_map_refuses_a_start_outside_the_ephemeris(capsys, tmp_path):
    args = list(map_args(tmp_path))
    args[args.index("--start") + 1] = "2600-01-01T00:00:00Z"
    err = refused(capsys, *args)
    assert "--start '2600-01-01T00:00:00Z' is outside the ephemeris range" in err
    assert not (tmp_path / "map").exists()


@pytest.mark.parametrize("start", ["2600-01-01", "1400-01-01"])
def test_scenario_start_outside_the_ephemeris_is_refused(capsys, tmp_path, start):
    code, text, _ = run(capsys, "scenario", "show", "chandrayaan5", "--toml")
    assert code == 0 and 'start_utc = { value = "' in text
    head, _, rest = text.partition('start_utc = { value = "')
    scenario = tmp_path / "late.toml"
    scenario.write_text(head + 'start_utc = { value = "' + start + rest[rest.index('"') :])
    err = refused(capsys, "scenario", "check", scenario)
    assert "period.start_utc" in err and f"'{start}' is outside the ephemeris range 1900-01-02" in err


# --- 2. steps that round to zero, and periods that would build huge arrays


@pytest.mark.parametrize("step", ["0.0000000001s", "0.0000000000001h"])
def test_step_rounding_to_zero_is_refused(capsys, step):
    err = refused(capsys, *SUN, *PERIOD, "--step", step)
    assert f"--step '{step}' is shorter than 1 ns" in err


@pytest.mark.parametrize("step", ["1s", "0.001s"])
def test_huge_sun_table_is_refused_before_allocating(capsys, step):
    """Ten years every second took 4.9 GB and 14 s before being refused; every millisecond, a 2.3 TiB traceback."""
    tracemalloc.start()
    try:
        err = refused(capsys, *SUN, "--start", "2020-01-01", "--end", "2030-01-01", "--step", step, within_s=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6
    assert f"--step '{step}' gives " in err and "instants from 2020-01-01T00:00:00Z to 2030-01-01T00:00:00Z" in err
    assert "more than the 1,000,000 allowed; use a larger --step (at least 6min)" in err


def test_millisecond_unit_is_not_a_duration(capsys):
    err = refused(capsys, *SUN, *PERIOD, "--step", "1ms")
    assert "--step '1ms' is not a duration; write e.g. 30s" in err


@pytest.mark.parametrize(
    ("command", "flag", "step", "limit"),
    [
        (SITE, "--step", "0.01s", "1,000,000"),
        (THERMAL, "--step", "0.01s", "2,000,000"),
        (("sites",), "--step", "1s", "2,000,000"),
        (("sites",), "--thermal-step", "0.001s", "2,000,000"),
        (("map",), "--step", "0.0000000001h", "2,000,000"),
    ],
)
def test_too_many_steps_are_refused_naming_the_step_flag(capsys, tmp_path, command, flag, step, limit):
    if command == ("map",):
        args = (*map_args(tmp_path), flag, step)
    elif command == ("sites",):
        args = ("sites", "--out", tmp_path / "sites", flag, step)
    else:
        args = (*command, flag, step)
    err = refused(capsys, *args)
    assert f"{flag} '{step}' gives " in err and f"more than the {limit} allowed; use a larger {flag}" in err
    assert not (tmp_path / "map").exists() and not (tmp_path / "sites").exists()


# --- 3. rasters: declared size, non-numeric PDS3 fields, GDAL warnings inside the one-line error


def test_sparse_geotiff_declaring_a_huge_grid_is_refused_before_reading(capsys, tmp_path):
    path = tmp_path / "huge.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=60000, height=60000, count=1, dtype="float32", crs=STERE,
        transform=from_origin(0.0, 0.0, 10.0, 10.0), tiled=True, sparse_ok=True, compress="deflate",
    ):  # fmt: skip
        pass  # nothing written: a small file declaring 3.6e9 cells
    assert path.stat().st_size < 2_000_000
    err = refused(capsys, "dem", "info", path)
    assert "declares 60000 x 60000 = 3,600,000,000 cells, more than the 100,000,000 lupex reads" in err


def test_pds3_label_with_a_non_numeric_field_is_one_line(capsys, tmp_path):
    from tests.io.test_dem_io import _write_lola

    err = refused(capsys, "dem", "info", _write_lola(tmp_path, MAP_SCALE="ten <METERS/PIXEL>"))
    assert "MAP_SCALE = 'ten <METERS/PIXEL>' is not a number; fix the label" in err


def _corrupt_geokeys(path):
    """Write a small valid GeoTIFF, then make its GeoKeyDirectory claim 40 keys (GDAL warns and ignores it)."""
    with rasterio.open(
        path, "w", driver="GTiff", width=8, height=8, count=1, dtype="float32", crs=STERE,
        transform=from_origin(-40.0, 40.0, 10.0, 10.0),
    ) as dst:  # fmt: skip
        dst.write(np.ones((8, 8), dtype="float32"), 1)
    data = bytearray(path.read_bytes())
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        tag, _, _count, value = struct.unpack_from("<HHII", data, ifd + 2 + 12 * i)
        if tag == 34735:  # GeoKeyDirectoryTag: version, revision, minor, number of keys, ...
            struct.pack_into("<H", data, value + 6, 40)
            path.write_bytes(bytes(data))
            return path
    raise AssertionError("no GeoKeyDirectory tag")


def test_gdal_warning_is_part_of_the_one_line_error(capsys, caplog, tmp_path):
    path = _corrupt_geokeys(tmp_path / "corrupt.tif")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        err = refused(capsys, "dem", "info", path)
    assert "has no CRS" in err and "(GDAL warned: " in err and "GeoTIFF tags apparently corrupt" in err
    assert not [r for r in caplog.records if r.name.startswith("rasterio") and r.levelno >= logging.WARNING]
    assert not [w for w in caught if "rasterio" in w.filename]


@pytest.mark.parametrize("kind", ["corrupt", "plain"])
def test_gdal_warnings_print_no_extra_stderr_lines(tmp_path, kind):
    """The real console script: GDAL's warnings used to print before the error line."""
    path = tmp_path / f"{kind}.tif"
    if kind == "corrupt":
        _corrupt_geokeys(path)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32") as dst:
                dst.write(np.ones((4, 4), dtype="float32"), 1)
    proc = subprocess.run(
        [sys.executable, "-m", "lupex.cli.main", "dem", "info", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("lupex: error: DEM ")
    assert "GDAL warned: " in proc.stderr


# --- 4. --out / --plot naming a folder where a file is expected (and the reverse)


@pytest.mark.parametrize(("flag", "name"), [("--out", "series.csv"), ("--out", "series.json"), ("--plot", "sky.png")])
def test_site_output_file_that_is_a_folder(capsys, tmp_path, flag, name):
    (tmp_path / name).mkdir()
    err = refused(capsys, *SITE, flag, tmp_path / name)
    assert f"{flag} '{tmp_path / name}' is a folder; give a file name, e.g. '{tmp_path / name}/" in err


def test_site_output_below_a_file(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    err = refused(capsys, *SITE, "--out", tmp_path / "notes.txt" / "series.csv")
    assert f"--out '{tmp_path / 'notes.txt' / 'series.csv'}': '{tmp_path / 'notes.txt'}' is a file, not a folder" in err


@pytest.mark.parametrize("command", ["map", "sites"])
def test_output_folder_that_is_a_file(capsys, tmp_path, command):
    target = tmp_path / "results"
    target.write_text("not a folder")
    if command == "map":
        args = list(map_args(tmp_path))
        args[args.index("--out") + 1] = target
    else:
        args = ["sites", "--out", target]
    err = refused(capsys, *args)
    assert f"--out '{target}' is a file; give a folder" in err


# --- 5. numeric options: NaN, infinite, out of range -- the message names the flag and what is accepted


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1000", "0.01"])
def test_map_psr_years(capsys, tmp_path, value):
    err = refused(capsys, *map_args(tmp_path, "--psr-years", value))
    assert f"--psr-years {value} is not accepted; give 0 (the map period) or 0.1..100 years" in err
    assert not (tmp_path / "map").exists()


def test_sites_psr_years(capsys, tmp_path):
    err = refused(capsys, "sites", "--out", tmp_path / "sites", "--psr-years", "-1")
    assert "--psr-years -1 is not accepted; give 0 (the period itself) or 0.1..100 years" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--height-m", "nan"), "--height-m nan is not a finite number"),
        (("--height-m", "-1"), "--height-m -1 is outside [0, 10000]"),
        (("--n-azimuth", "2"), "--n-azimuth 2 is outside [4, 7200]"),
    ],
)
def test_map_numeric_options(capsys, tmp_path, options, message):
    assert message in refused(capsys, *map_args(tmp_path, *options))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((*SUN[:2], "nan", "--lon", "0", "--time", "2028-01-01"), "--lat: lat_deg nan is outside [-90, 90]"),
        ((*SUN[:4], "inf", "--time", "2028-01-01"), "--lon: lon_deg inf is not finite"),
        ((*SUN, "--height-m", "nan", "--time", "2028-01-01"), "--height-m: height_m nan is outside"),
        ((*SITE, "--height-m", "inf"), "--height-m inf is not a finite number"),
        (("illumination", "site", "--lat", "nan", "--lon", "0", *PERIOD), "--lat nan is not a finite number"),
        (("illumination", "site", "--lat", "-89", "--lon", "inf", *PERIOD), "--lon inf is not a finite number"),
        (("illumination", "site", "--lat", "-95", "--lon", "0", *PERIOD), "--lat -95 is outside [-90, -60)"),
        (("thermal", "point", "--lat", "nan", "--lon", "0", *PERIOD), "--lat nan is not a finite number"),
        (("thermal", "point", "--lat", "-85", "--lon", "-inf", *PERIOD), "--lon -inf is not a finite number"),
        ((*THERMAL, "--slope-deg", "nan"), "--slope-deg nan is not a finite number"),
        ((*THERMAL, "--slope-deg", "90"), "--slope-deg 90 is outside [0, 90)"),
        ((*THERMAL, "--aspect-deg", "inf"), "--aspect-deg inf is not a finite number"),
        ((*THERMAL, "--albedo", "nan"), "--albedo nan is not a finite number"),
        ((*THERMAL, "--albedo", "1"), "--albedo 1 is outside [0, 1)"),
        ((*THERMAL, "--h-param", "0"), "--h-param 0 must be > 0"),
        ((*THERMAL, "--h-param", "inf"), "--h-param inf is not a finite number"),
    ],
)
def test_numeric_options_name_the_flag(capsys, args, message):
    assert message in refused(capsys, *args)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--top", "0"), "--top 0 is outside [1, 10000]"),
        (("--n-azimuth", "1"), "--n-azimuth 1 is outside [4, 7200]"),
        (("--ellipse-m", "nan"), "--ellipse-m nan is not a finite number"),
        (("--ellipse-m", "-5"), "--ellipse-m -5 must be >= 0"),
        (("--ellipse-m", "1e9"), "--ellipse-m 1e+09 must be smaller than half the DEM (184320 m)"),
        (("--region", "-89,0,-1"), "--region '-89,0,-1': RADIUS_KM must be > 0"),
        (("--region", "-89,nan,5"), "--region '-89,nan,5': LAT must be in [-90, -60]"),
        (("--region", "-10,0,5"), "--region '-10,0,5': LAT must be in [-90, -60]"),
        (("--constraint", "max_slope_deg=nan"), "--constraint 'max_slope_deg=nan': the number is not finite"),
        (("--constraint", "max_slope_deg=95"), "--constraint: constraint max_slope_deg = 95.0 is impossible"),
        (("--constraint", "bogus=1"), "--constraint: unknown constraint 'bogus'"),
        (("--weight", "bogus=1"), "--weight: unknown weight(s) ['bogus']"),
        (("--weight", "mean_illumination=0.5"), "--weight: weights sum to 0.5, not 1"),
        (("--thermal-step", "7h"), "--thermal-step '7h' is too coarse for the surface temperature; use at most 6h"),
    ],
)
def test_sites_options_are_checked_before_the_long_work(capsys, tmp_path, options, message):
    assert message in refused(capsys, "sites", "--out", tmp_path / "sites", *options)
    assert not (tmp_path / "sites").exists()
