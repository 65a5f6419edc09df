"""``lupex illumination map`` tile by tile: the same files as one piece, and one-line errors for bad tiling flags."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from lupex.cli.main import main
from lupex.io import write_geotiff
from lupex.terrain.dem import builtin_dem

ARGS = ["--start", "2027-01-01", "--end", "2027-01-10", "--step", "6h", "--n-azimuth", "16", "--psr-years", "1",
        "--no-cache"]  # fmt: skip


@pytest.fixture(scope="module")
def dem_file(tmp_path_factory):
    dem = builtin_dem("south_pole_240m")
    c = dem.sizes["y"] // 2
    path = tmp_path_factory.mktemp("dem") / "crop.tif"
    write_geotiff(dem.isel(y=slice(c - 20, c + 21), x=slice(c - 20, c + 19)), path, cloud_optimized=False)
    return path


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--tile-px", "8"], "--tile-px 8 must be a whole number of cells >= 16"),
        (["--tile-px", "64", "--halo-px", "128"], "--tile-px 64 is smaller than the halo (--halo-px 128)"),
        (["--halo-px", "16"], "--halo-px 16 needs a tiled run"),
        (["--tile-px", "64", "--halo-px", "-5"], "--halo-px -5 must be -1 (auto)"),
        (["--scheduler", "local:0"], "--scheduler 'local:0': a local cluster needs 1 to 256 workers"),
        (["--scheduler", "tcp://nowhere"], "--scheduler 'tcp://nowhere' is not accepted"),
        (["--thermal-step", "1h"], "--thermal-step needs a tiled run"),
        (["--tile-px", "64", "--thermal-step", "12h"], "--thermal-step '12h' is too coarse"),
        (["--tile-px", "64", "--no-far-field"], "--no-far-field is not available tile by tile"),
    ],
)
def test_bad_tiling_flags_are_one_line(capsys, tmp_path, dem_file, flags, says):
    out_dir = tmp_path / "maps"
    code, out, err = _run(capsys, "illumination", "map", "--dem", dem_file, "--out", out_dir, *ARGS, *flags)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and says in err
    assert not out_dir.exists()


def test_tiled_map_on_a_cluster_writes_the_same_maps(capsys, tmp_path, dem_file):
    code, out, err = _run(capsys, "illumination", "map", "--dem", dem_file, "--out", tmp_path / "one", *ARGS)
    assert code == 0, err
    code, out, err = _run(capsys, "illumination", "map", "--dem", dem_file, "--out", tmp_path / "tiles", *ARGS,
                          "--scheduler", "local:2", "--tile-px", "16")  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["tiles"] == 9 and summary["scheduler"] == "local:2" and summary["workers"] == 2
    assert (tmp_path / "tiles" / "terrain.zarr").is_dir()
    assert "Dask dashboard: http" in err and "INFO" not in err
    one = json.loads((tmp_path / "one" / "summary.json").read_text())
    for key in ("max_mean_illumination", "psr_area_km2", "edge_limited_cells", "mean_earth_visibility"):
        assert summary[key] == one[key]
    for name in ("mean_illumination", "psr", "longest_darkness_h", "earth_visibility"):
        with (
            rasterio.open(tmp_path / "one" / f"{name}.tif") as a,
            rasterio.open(tmp_path / "tiles" / f"{name}.tif") as b,
        ):
            np.testing.assert_array_equal(a.read(1), b.read(1))
            assert a.transform == b.transform
