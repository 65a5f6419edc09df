"""`lupex illumination map/site` end to end, and the horizon cache (atomic, corruption detected)."""

from __future__ import annotations

import importlib
import importlib.util
import json

import numpy as np
import pytest
import rasterio

from lupex.cli.main import main
from lupex.errors import InputError, LupexError
from lupex.illumination import available_backends, horizon_map
from lupex.io import write_geotiff
from lupex.terrain.synthetic import bowl_crater


@pytest.fixture(scope="module")
def crop_tif(tmp_path_factory, dem240):
    path = tmp_path_factory.mktemp("dem") / "shackleton.tif"
    crop = dem240.sel(x=slice(2000, 13000), y=slice(-1000, -12000))  # Shackleton, 46 x 46 cells
    write_geotiff(crop, path)
    return path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_map_writes_cogs_pngs_and_json_summary(capsys, tmp_path, crop_tif, monkeypatch):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    out_dir = tmp_path / "maps"
    code, out, err = run(
        capsys,
        "illumination",
        "map",
        "--dem",
        str(crop_tif),
        "--start",
        "2028-01-01",
        "--end",
        "2028-02-01",
        "--step",
        "6h",
        "--height-m",
        "2",
        "--out",
        str(out_dir),
        "--n-azimuth",
        "90",
        "--psr-years",
        "0",
    )
    assert code == 0, err
    summary = json.loads(out)
    names = [
        "mean_illumination",
        "sunlit_fraction",
        "psr",
        "longest_darkness_h",
        "earth_visibility",
        "longest_earth_outage_h",
    ]
    for name in names:
        with rasterio.open(out_dir / f"{name}.tif") as src:
            assert src.crs is not None and "South Polar" in src.crs.to_wkt()
            assert src.width == 46 and src.height == 46
            assert src.overviews(1) is not None  # written as a COG
            data = src.read(1)
        assert np.isfinite(data).all()
        assert (out_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with rasterio.open(out_dir / "mean_illumination.tif") as a, rasterio.open(out_dir / "sunlit_fraction.tif") as b:
        # any part of the disk visible is at least the mean visible fraction of the disk
        assert (b.read(1) >= a.read(1) - 1e-6).all()
    assert summary["sunlit_fraction_there"] >= summary["max_mean_illumination"]
    assert summary["n_times"] == 125 and summary["observer_height_m"] == 2.0
    assert summary["psr_area_km2"] > 10  # Shackleton's floor (about 6 km across) never sees the Sun in a month
    assert json.loads((out_dir / "summary.json").read_text())["n_times"] == 125
    assert not list(out_dir.glob(".*.tmp"))


def test_site_csv_json_and_plot(capsys, tmp_path):
    code, out, _ = run(
        capsys,
        "illumination",
        "site",
        "--lat",
        "-89.45",
        "--lon",
        "222.5",
        "--start",
        "2028-01-01",
        "--end",
        "2028-01-03",
        "--step",
        "12h",
        "--height-m",
        "2",
        "--json",
        "--plot",
        str(tmp_path / "p.png"),
        "--out",
        str(tmp_path / "s.csv"),
    )
    assert code == 0
    data = json.loads(out)
    assert len(data["series"]) == 5
    row = data["series"][0]
    assert set(row) >= {
        "sun_elevation_deg",
        "sun_horizon_deg",
        "sun_visible_fraction",
        "earth_elevation_deg",
        "earth_visible",
    }
    assert 0.0 <= row["sun_visible_fraction"] <= 1.0
    assert (tmp_path / "s.csv").read_text().splitlines()[0].startswith("time_utc,sun_elevation_deg")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "illumination",
                "map",
                "--dem",
                "builtin:nope",
                "--start",
                "2028-01-01",
                "--end",
                "2028-01-02",
                "--out",
                "x",
            ),
            "unknown builtin DEM",
        ),
        (
            (
                "illumination",
                "map",
                "--dem",
                "builtin:south_pole_240m",
                "--start",
                "2028-01-02T00:00",
                "--end",
                "2028-01-03",
                "--out",
                "x",
            ),
            "has no time zone",
        ),
        (
            (
                "illumination",
                "site",
                "--lat",
                "-89.45",
                "--lon",
                "222.5",
                "--start",
                "2028-01-01",
                "--end",
                "2028-01-02",
                "--height-m",
                "-3",
            ),
            "observer_height_m",
        ),
        (
            ("illumination", "site", "--lat", "-10", "--lon", "0", "--start", "2028-01-01", "--end", "2028-01-02"),
            "south polar region",
        ),
        (
            ("illumination", "site", "--lat", "-80", "--lon", "0", "--start", "2028-01-01", "--end", "2028-01-02"),
            "outside the bundled DEMs",
        ),
    ],
)
def test_bad_input_one_line_exit_1(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 1 and out == "" and err.count("\n") == 1 and message in err


def test_bad_output_suffix_is_usage_error(capsys, tmp_path):
    code, _, _ = run(
        capsys,
        "illumination",
        "site",
        "--lat",
        "-89.45",
        "--lon",
        "222.5",
        "--start",
        "2028-01-01",
        "--end",
        "2028-01-02",
        "--out",
        str(tmp_path / "x.txt"),
    )
    assert code == 2


def test_cache_hit_and_corruption_recovery(tmp_path, caplog):
    dem = bowl_crater(40, 20.0, 400.0)
    first = horizon_map(dem, 16, 0.0, None, cache_dir=tmp_path)
    entries = list(tmp_path.glob("*.lhz"))
    assert len(entries) == 1
    again = horizon_map(dem, 16, 0.0, None, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.values, again.values)
    # a different parameter is a different entry
    horizon_map(dem, 16, 2.0, None, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.lhz"))) == 2
    # flip one payload byte: detected by the checksum, recomputed, and rewritten
    raw = bytearray(entries[0].read_bytes())
    raw[-5] ^= 0xFF
    entries[0].write_bytes(bytes(raw))
    recovered = horizon_map(dem, 16, 0.0, None, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.values, recovered.values)
    assert "corrupt" in caplog.text
    # truncated entry (a partial write that somehow got the final name)
    entries[0].write_bytes(entries[0].read_bytes()[:700])
    np.testing.assert_array_equal(first.values, horizon_map(dem, 16, 0.0, None, cache_dir=tmp_path).values)


def test_backend_errors():
    dem = bowl_crater(10, 20.0, 100.0)
    with pytest.raises(InputError, match="backend 'gpu'"):
        horizon_map(dem, 8, backend="gpu", cache=False)  # type: ignore[arg-type]
    from lupex.illumination.horizon import available_backends as backends_now

    if "cuda" not in backends_now("horizon"):  # no usable GPU: asking for CUDA is refused with a message saying so
        with pytest.raises(LupexError, match=r"backend 'cuda' was asked for but no usable CUDA GPU.*backend='cpu'"):
            horizon_map(dem, 8, backend="cuda", cache=False)
        assert horizon_map(dem, 8, 0.0, None, backend="auto", cache=False).attrs["backend"] == "cpu"


def test_available_backends_lists_only_implemented_backends(monkeypatch):
    import lupex.core.visibility_cuda as visibility_cuda
    from lupex.illumination.horizon import _IMPLEMENTATIONS

    # every backend that can be listed has its function
    for kernel, backends in _IMPLEMENTATIONS.items():
        for backend, where in backends.items():
            module, name = where.split(":")
            assert callable(getattr(importlib.import_module(module), name)), (kernel, backend)
    monkeypatch.setattr(visibility_cuda, "cuda_available", lambda: True)  # as on a machine with a GPU
    assert available_backends() == available_backends("horizon") == ["cpu", "cuda"]
    assert available_backends("stats") == ["cpu", "cuda"]
    monkeypatch.setattr(visibility_cuda, "cuda_available", lambda: False)
    assert available_backends("horizon") == ["cpu"]
    assert available_backends("stats") == ["cpu"]
    with pytest.raises(InputError, match="kernel 'thermal' is not known"):
        available_backends("thermal")  # type: ignore[arg-type]


def test_stats_on_cuda_computes_the_horizon_on_the_cpu(monkeypatch):
    """backend='cuda' of illumination_stats is the statistics kernel's; the horizon map takes its own "auto" (the
    CPU here, where the horizon kernel sees no GPU)."""
    import lupex.illumination.stats as stats

    dem = bowl_crater(12, 240.0, 1000.0)
    args = (dem, "2028-01-01", "2028-01-03", "6h")
    kwargs = {"observer_height_m": 2.0, "n_azimuth": 16, "far_field": None, "psr_years": None, "cache": False}
    expected = stats.illumination_stats(*args, backend="cpu", **kwargs)
    calls = []

    def fake_gpu_kernel(*a):
        calls.append(a[0].shape)
        return stats.illumination_stats_kernel(*a)

    monkeypatch.setattr(stats, "resolve_backend", lambda backend, flag=None: "cuda")  # a GPU for the statistics only
    monkeypatch.setattr(stats, "illumination_stats_cuda", fake_gpu_kernel)
    got = stats.illumination_stats(*args, backend="cuda", **kwargs)
    assert calls and calls[0][0] == 16  # the statistics ran through the "GPU" kernel
    for name in expected.data_vars:
        np.testing.assert_array_equal(got[name].values, expected[name].values)


def test_gpu_maps_are_keyed_by_the_cuda_march_version(monkeypatch):
    """A map made on the GPU is cached under the CUDA march's own version, so a change of the march (not of the CPU
    sweep) recomputes GPU maps and leaves CPU maps cached."""
    import lupex.illumination.horizon as hz

    dem = bowl_crater(10, 20.0, 100.0)

    def keys() -> tuple[str, str]:
        return tuple(hz._horizon_job(dem, [], 8, 2.0, 1737400.0, 5000.0, b).key for b in ("cpu", "cuda"))

    cpu, gpu = keys()
    assert cpu != gpu
    monkeypatch.setattr(hz, "CUDA_MARCH_VERSION", "another-march")
    cpu2, gpu2 = keys()
    assert cpu2 == cpu and gpu2 != gpu
