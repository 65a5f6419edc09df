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


def test_a_prior_outside_0_100_is_refused_with_its_path(small, capsys):
    text = small.read_text() + '\n[science]\nprior_weh_wt_pct = { value = 120, unit = "%" }\n'
    small.write_text(text)
    assert main(["science", "estimate", str(small)]) == 1
    err = capsys.readouterr().err
    assert "science.prior_weh_wt_pct.value" in err and err.count("\n") == 1
