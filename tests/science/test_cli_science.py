"""``lupex science estimate``: the documented JSON keys, seeds, and bad input in one line."""

from __future__ import annotations

import json

import pytest

from lupex.cli.main import main
from lupex.mission import preset_text
from tests.mission.test_run import _small


@pytest.fixture()
def small(tmp_path, small_run_cache, monkeypatch):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    path = tmp_path / "small.toml"
    path.write_text(_small(preset_text("chandrayaan5"), '3000.0, unit = "Wh"'))
    return path


def test_estimate_json_keys_and_seeds(small, capsys):
    assert main(["science", "estimate", str(small), "--seed", "3", "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    for key in ("water_mass_kg", "truth_water_mass_kg", "volume_m3", "n_drill_samples", "ns_integrations",
                "estimate_class"):  # fmt: skip
        assert key in a
    assert set(a["water_mass_kg"]) == {"p10", "p50", "p90"}
    assert a["water_mass_kg"]["p10"] <= a["water_mass_kg"]["p50"] <= a["water_mass_kg"]["p90"]
    assert main(["science", "estimate", str(small), "--seed", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == a  # seeded: reproducible
    assert main(["science", "estimate", str(small), "--seed", "4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["truth_water_mass_kg"] != a["truth_water_mass_kg"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seed", "-3"], "--seed -3 is outside"),
        (["--seed", "1.5"], "--seed"),
    ],
)
def test_bad_seed_is_one_line(small, capsys, args, needle):
    code = main(["science", "estimate", str(small), *args])
    err = capsys.readouterr().err
    assert code in (1, 2) and err.count("\n") == 1 and needle in err


def test_out_naming_a_file_is_refused_before_any_work(small, tmp_path, capsys):
    target = tmp_path / "report.txt"
    target.write_text("keep me")
    assert main(["science", "estimate", str(small), "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "is a file" in err
    assert target.read_text() == "keep me"


def test_a_prior_outside_0_100_is_refused_with_its_path(small, capsys):
    text = small.read_text() + '\n[science]\nprior_weh_wt_pct = { value = 120, unit = "%" }\n'
    small.write_text(text)
    assert main(["science", "estimate", str(small)]) == 1
    err = capsys.readouterr().err
    assert "science.prior_weh_wt_pct.value" in err and err.count("\n") == 1


ROUTE = "-89.445,222.68;-89.446,222.70"


@pytest.mark.parametrize(("instrument", "key"), [("ns", "rows"), ("radar", "rows"), ("drill", "holes")])
def test_one_instrument_along_a_route(capsys, instrument, key):
    assert main(["science", "instruments", "--instrument", instrument, "--route", ROUTE, "--json", "--seed", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["instrument"] == instrument and data[key]
    if instrument == "radar":  # ice topped at the default 0.1 m burial: picks within the 0.17 m resolution
        depths = [r["depth_m"] for r in data["rows"] if r["depth_m"] is not None]
        assert depths and abs(sum(depths) / len(depths) - 0.1) < 0.172
    if instrument == "drill":
        assert len(data["holes"]) == 2 and len(data["holes"][0]["weh_wt_pct"]) == 15  # 1.5 m in 10 cm bites


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--instrument", "xray", "--route", ROUTE], "--instrument 'xray' is not known"),
        (["--instrument", "ns", "--route", "-89.445,222.68"], "needs at least two points"),
        (["--instrument", "ns", "--route", "a,b;c,d"], "--route 'a,b;c,d': each point is LAT,LON"),
        (["--instrument", "ns", "--route", ROUTE, "--prior-weh", "120"], "--prior-weh 120 is outside [0, 100]"),
        (["--instrument", "ns", "--route", ROUTE, "--burial-m", "-1"], "--burial-m -1"),
        (["--instrument", "radar", "--route", ROUTE, "--frequency-MHz", "0"], "--frequency-MHz 0"),
        (["--instrument", "radar", "--route", ROUTE, "--bandwidth-MHz", "-5"], "--bandwidth-MHz -5"),
    ],
)
def test_instruments_bad_input_is_one_line(capsys, args, needle):
    code = main(["science", "instruments", *args])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and needle in err, err


@pytest.mark.parametrize(
    ("block", "path"),
    [
        ('radar_frequency_Hz = { value = 0, unit = "Hz" }', "science.radar_frequency_Hz.value"),
        ('correlation_length_m = { value = 0, unit = "m" }', "science.correlation_length_m.value"),
        ('correlation_length_m = { value = -3, unit = "m" }', "science.correlation_length_m.value"),
        ('prior_weh_wt_pct = { value = -1, unit = "%" }', "science.prior_weh_wt_pct.value"),
        ("seed = { value = 2.5 }", "science.seed.value"),
    ],
)
def test_bad_science_parameters_are_one_line_naming_the_field(small, capsys, block, path):
    small.write_text(small.read_text() + f"\n[science]\n{block}\n")
    assert main(["science", "estimate", str(small)]) == 1
    err = capsys.readouterr().err
    assert path in err and err.count("\n") == 1, err


def test_radar_bandwidth_sets_the_pick_resolution():
    # range resolution c / (2 B sqrt(eps')) with eps' = 3.04 (Chang'e-5): 250 MHz -> 0.344 m, 1 GHz -> 0.086 m
    import numpy as np

    from lupex.science.radar import radar_picks
    from lupex.science.subsurface import subsurface_model

    x = np.arange(30.0)
    truth = subsurface_model(x, x, np.full((30, 30), 0.3), seed=1, mean_weh_wt_pct=5.0)
    for bw, res in ((250e6, 0.344), (1e9, 0.086)):
        r = radar_picks(truth, x[5:10], x[5:10], seed=2, frequency_Hz=5e8, bandwidth_Hz=bw)
        sd = r.depth_sd_m[np.isfinite(r.depth_sd_m)]
        assert sd.size and np.allclose(sd, res, atol=0.001)


def test_a_volume_without_ice_stable_ground_is_zero_with_a_reason(small, capsys, monkeypatch):
    import numpy as np

    import lupex.mission.stages.science as stage

    # the thermal map keeps ice nowhere within reach (forced here; a unique seed keeps the cache entry apart)
    monkeypatch.setattr(stage, "_volume_mask", lambda truth, trav, reach: np.zeros(truth.weh_wt_pct.shape[:2], bool))
    small.write_text(small.read_text() + "\n[science]\nseed = { value = 918273 }\n")
    assert main(["science", "estimate", str(small), "--json"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no ice-stable cell" in err and "science.reach_m" in err, err
    assert "nan" not in err.lower()
