"""Scenarios: presets load with provenance; bad fields are refused with their path in the file."""

from __future__ import annotations

import pytest

from lupex.cli.main import main
from lupex.mission import PRESETS, ScenarioError, load_scenario, preset_text
from lupex.mission.scenario import parse_scenario


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load_with_units_sources_and_confidence(name):
    sc = load_scenario(name)
    assert sc.name == name
    for path, p in sc.parameters.items():
        assert p.confidence in ("published", "estimate", "placeholder"), path
        assert p.source or p.confidence == "placeholder", path
    assert sc.placeholders()  # LUPEX has unpublished numbers; they must show
    rover = sc.rover()
    assert rover.mass_kg == sc.value("launch.rover_mass_kg")


def test_chandrayaan5_carries_the_published_lupex_figures():
    """mission-facts.md 1.1: H3-24L, ~350 kg rover, 1.5 m drill, ~100 days on the surface."""
    sc = load_scenario("chandrayaan5")
    assert sc.value("launch.vehicle") == "H3-24L"
    assert sc.value("launch.rover_mass_kg") == 350.0
    assert sc.value("launch.drill_depth_m") == 1.5
    assert sc.value("launch.surface_days") == 100.0
    assert sc.parameters["launch.rover_mass_kg"].confidence == "published"


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("battery_Wh = { value = 3000.0", "battery_Wh = { value = -3.0", "rover"),
        ("radius_km = { value = 6.0", "radius_km = { value = 0.0", "search_region.radius_km.value"),
        ('confidence = "published" }\nstack', 'confidence = "sure" }\nstack', "launch.vehicle.confidence"),
        ('start_utc = { value = "2027-12-29"', 'start_utc = { value = "2027-12-29T00:00"', "period.start_utc.value"),
        ("[traverse]\n", "[traverse]\nwheels = { value = 6 }\n", "traverse.wheels"),
        ("[sites]\n", "[site]\n", "site"),
        ("top = { value = 10,", "top = { value = 2.5,", "sites.top.value"),
    ],
)
def test_bad_fields_are_named_by_their_path(old, new, path):
    text = preset_text("chandrayaan5")
    assert old in text
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text.replace(old, new, 1), "my.toml")
    assert str(err.value).startswith(path), str(err.value)
    assert "my.toml" in str(err.value)


def test_toml_syntax_error_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname = 1\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "not valid TOML" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_scenario_show_and_new(tmp_path, capsys):
    assert main(["scenario", "show", "viper-like"]) == 0
    assert 'name = "viper-like"' in capsys.readouterr().out
    target = tmp_path / "mine.toml"
    assert main(["scenario", "new", "mine", "--out", str(target)]) == 0
    assert load_scenario(str(target)).name == "mine"
    assert main(["scenario", "new", "mine", "--out", str(target)]) == 1  # no silent overwrite
    assert "exists" in capsys.readouterr().err
    assert main(["scenario", "show", "nosuch"]) == 1
    assert "built-in preset" in capsys.readouterr().err
