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
    assert main(["scenario", "show", "viper-like", "--toml"]) == 0
    assert 'name = "viper-like"' in capsys.readouterr().out
    target = tmp_path / "mine.toml"
    assert main(["scenario", "new", "mine", "--out", str(target)]) == 0
    assert load_scenario(str(target)).name == "mine"
    assert main(["scenario", "new", "mine", "--out", str(target)]) == 1  # no silent overwrite
    assert "exists" in capsys.readouterr().err
    assert main(["scenario", "show", "nosuch"]) == 1
    assert "built-in preset" in capsys.readouterr().err


def _with(old: str, new: str) -> str:
    text = preset_text("chandrayaan5")
    assert old in text, old
    return text.replace(old, new, 1)


BATTERY = 'battery_Wh = { value = 3000.0, unit = "Wh"'


@pytest.mark.parametrize(
    ("value", "unit", "expected_Wh"),
    [("3", "kWh", 3000.0), ("3000", "Wh", 3000.0), ("10.8", "MJ", 3000.0), ("2500", "", 2500.0)],
)
def test_units_are_converted_by_pint_not_compared_as_text(value, unit, expected_Wh):
    sc = parse_scenario(_with(BATTERY, f'battery_Wh = {{ value = {value}, unit = "{unit}"'), "my.toml")
    assert sc.value("rover.battery_Wh") == pytest.approx(expected_Wh, rel=1e-12)
    assert sc.rover().battery_Wh == pytest.approx(expected_Wh, rel=1e-12)
    assert sc.parameters["rover.battery_Wh"].unit == "Wh"


def test_other_quantities_convert_too():
    text = _with('radius_km = { value = 6.0, unit = "km"', 'radius_km = { value = 6000, unit = "m"')
    text = text.replace('speed_m_s = { value = 0.05, unit = "m/s"', 'speed_m_s = { value = 18, unit = "cm/min"', 1)
    text = text.replace('days = { value = 14.0, unit = "d"', 'days = { value = 2, unit = "week"', 1)
    sc = parse_scenario(text, "my.toml")
    assert sc.value("search_region.radius_km") == pytest.approx(6.0)
    assert sc.value("rover.speed_m_s") == pytest.approx(0.003)
    assert sc.value("traverse.days") == pytest.approx(14.0)
    assert sc.parameters["rover.speed_m_s"].given == "18 cm/min"


@pytest.mark.parametrize(
    ("new", "path", "needle"),
    [
        ('battery_Wh = { value = 3, unit = "kg"', "rover.battery_Wh.unit", "wrong dimension"),
        ('battery_Wh = { value = 3, unit = 5', "rover.battery_Wh.unit", "string"),
        ('battery_Wh = { value = 3, unit = "kWhh"', "rover.battery_Wh.unit", "not a unit"),
        ('battery_Wh = { value = 1e300, unit = "Wh"', "rover.battery_Wh.value", "10..1e+06 Wh"),
        ('battery_Wh = { value = 2000, unit = "MWh"', "rover.battery_Wh.value", "10..1e+06 Wh"),
        ('battery_Wh = { value = "lots", unit = "Wh"', "rover.battery_Wh.value", "number"),
        ('battery_Wh = { value = nan, unit = "Wh"', "rover.battery_Wh.value", "number"),
        ('battery_Wh = { value = true, unit = "Wh"', "rover.battery_Wh.value", "number"),
    ],
)
def test_bad_units_and_ranges_are_refused_with_the_field_path(new, path, needle):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_with(BATTERY, new), "my.toml")
    message = str(err.value)
    assert message.startswith(path + ":"), message
    assert needle in message and "my.toml" in message and "\n" not in message


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('panel_area_m2 = { value = 1.5, unit = "m2"', 'panel_area_m2 = { value = -1.5, unit = "m2"',
         "rover.panel_area_m2.value"),
        ('lat_deg = { value = -89.45, unit = "deg"', 'lat_deg = { value = -89.45, unit = "1"',
         "search_region.lat_deg.unit"),
        ('min_mean_illumination = { value = 0.5, unit = "1"', 'min_mean_illumination = { value = 0.5, unit = "deg"',
         "sites.min_mean_illumination.unit"),
        ('min_mean_illumination = { value = 0.5, unit = "1"', 'min_mean_illumination = { value = 50, unit = "%"',
         None),
        ('start_utc = { value = "2027-12-29"', 'start_utc = { value = "2600-01-01T00:00:00Z"',
         "period.start_utc.value"),
        ('start_utc = { value = "2027-12-29"', 'start_utc = { value = "1400-01-01"', "period.start_utc.value"),
        ('start_utc = { value = "2027-12-29"', 'start_utc = { value = "2050-06-01"', "period.start_utc.value"),
        ('start_utc = { value = "2027-12-29", unit = "UTC"', 'start_utc = { value = "2027-12-29", unit = "s"',
         "period.start_utc.unit"),
        ('vehicle = { value = "H3-24L"', 'vehicle = { value = 3', "launch.vehicle.value"),
    ],
)
def test_more_bad_fields_are_named_by_their_path(old, new, path):
    text = _with(old, new)
    if path is None:
        assert parse_scenario(text, "my.toml").value("sites.min_mean_illumination") == pytest.approx(0.5)
        return
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "my.toml")
    assert str(err.value).startswith(path + ":"), str(err.value)


def test_scenario_check_and_show_print_canonical_units_and_badges(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(_with(BATTERY, 'battery_Wh = { value = 3, unit = "kWh"'))
    assert main(["scenario", "check", str(good)]) == 0
    assert capsys.readouterr().out.startswith("ok: chandrayaan5")
    assert main(["scenario", "show", str(good), "--json"]) == 0
    import json

    rows = {r["parameter"]: r for r in json.loads(capsys.readouterr().out)["parameters"]}
    assert rows["rover.battery_Wh"]["value"] == 3000.0 and rows["rover.battery_Wh"]["unit"] == "Wh"
    assert rows["rover.battery_Wh"]["given"] == "3 kWh" and rows["rover.battery_Wh"]["confidence"] == "placeholder"
    assert main(["scenario", "show", str(good)]) == 0
    out = capsys.readouterr().out
    assert "rover.battery_Wh" in out and "3 kWh" in out and "placeholder" in out and "published" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(_with(BATTERY, 'battery_Wh = { value = 3, unit = "kg"'))
    assert main(["scenario", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rover.battery_Wh.unit" in err


def test_scenario_new_out_folder_and_existing_directory(tmp_path, capsys):
    folder = tmp_path / "mine"
    assert main(["scenario", "new", "alpha", "--out", f"{folder}/"]) == 0
    assert load_scenario(str(folder / "alpha.toml")).name == "alpha"
    capsys.readouterr()
    assert main(["scenario", "new", "beta", "--out", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "is a directory" in err
    assert sorted(p.name for p in folder.iterdir()) == ["alpha.toml"]


def test_a_user_dem_in_the_scenario_is_used(tmp_path):
    """A scenario names its own GeoTIFF (relative to the file); the sites stage runs on it."""
    from lupex.io import write_geotiff
    from lupex.mission import run_mission
    from lupex.terrain import builtin_dem, latlon_to_xy

    x0, y0 = latlon_to_xy(-89.45, 222.5)
    crop = builtin_dem("south_pole_240m").sel(x=slice(x0 - 12_000, x0 + 12_000), y=slice(y0 + 12_000, y0 - 12_000))
    crop.attrs["crs"] = crop.attrs.get("crs", "IAU_2015:30135")
    write_geotiff(crop, tmp_path / "dems" / "ridge.tif")
    text = _with('[traverse]\n', '[terrain]\nsites_dem = { value = "dems/ridge.tif", unit = "", source = "crop", '
                 'confidence = "estimate" }\n\n[traverse]\n')
    text = text.replace("illumination_days = { value = 365.0", "illumination_days = { value = 3.0", 1)
    text = text.replace("radius_km = { value = 6.0", "radius_km = { value = 1.0", 1)
    (tmp_path / "mine.toml").write_text(text)
    sc = load_scenario(str(tmp_path / "mine.toml"))
    assert sc.dem("sites") == str(tmp_path / "dems" / "ridge.tif")
    result = run_mission(sc, stages=["sites"], cache_dir=tmp_path / "cache")
    sites = result["sites"]
    assert sites.dem_source == str(tmp_path / "dems" / "ridge.tif")
    assert sites.metrics.sizes["x"] <= crop.sizes["x"] and sites.selection.candidates
    (tmp_path / "mine.toml").write_text(text.replace("dems/ridge.tif", "dems/none.tif"))
    with pytest.raises(ScenarioError, match=r"^terrain.sites_dem.value: .*none.tif' is not a file"):
        load_scenario(str(tmp_path / "mine.toml"))
