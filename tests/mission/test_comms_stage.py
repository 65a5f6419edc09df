"""The comms stage's scenario sections, and the traverse's "DTE or relay" contact mode."""

from __future__ import annotations

import numpy as np
import pytest

from lupex.mission import ScenarioError, load_scenario, parse_scenario, preset_text
from lupex.mission.stages.traverse import _with_relay
from tests.traverse.scenes import latlon_of, random_scene

CUSTOM = """
[ground_stations.custom.mystation]
title = "A university dish"
lat_deg = { value = 52.2, unit = "deg", source = "site survey", confidence = "published" }
lon_deg = { value = 0.09, unit = "deg", source = "site survey", confidence = "published" }
height_m = { value = 20, unit = "m" }
diameter_m = { value = 12, unit = "m" }
min_elevation_deg = { value = 15, unit = "deg" }
[ground_stations.custom.mystation.bands.x]
downlink_frequency_Hz = { value = 8450, unit = "MHz" }
g_over_t_dB_K = { value = 33, unit = "dB/K" }
reference_elevation_deg = { value = 45, unit = "deg" }
"""


def _with_custom(use: str, station: str = CUSTOM) -> str:
    text = preset_text("chandrayaan5")
    old = text[text.index('use = { value = "'): text.index("\n", text.index('use = { value = "'))]
    new = f'use = {{ value = "{use}", unit = "", source = "test", confidence = "estimate" }}'
    return text.replace(old, new, 1) + station


def test_a_user_station_in_the_scenario_is_used():
    sc = parse_scenario(_with_custom("idsn32,mystation"), "my.toml")
    stations = sc.sections["ground_stations"].stations()
    assert [s.name for s in stations] == ["idsn32", "mystation"]
    mine = stations[1]
    assert mine.band("x").downlink_frequency_Hz == pytest.approx(8.45e9)  # 8450 MHz by pint
    assert mine.min_elevation_deg == 15.0 and mine.title == "A university dish"


@pytest.mark.parametrize(
    ("use", "station", "needle"),
    [
        ("idsn32,nosuch", CUSTOM, "ground_stations: unknown ground station 'nosuch'; known: idsn32"),
        ("mystation", CUSTOM.replace("value = 52.2", "value = 152.2"),
         "custom.mystation.lat_deg.value: 152.2 is outside the accepted range -90..90 deg"),
        ("mystation", CUSTOM.replace('value = 33, unit = "dB/K"', 'value = 33, unit = "K"'),
         "custom.mystation.bands.x.g_over_t_dB_K.unit"),
        ("mystation", CUSTOM.replace("value = 12, unit", "value = -12, unit"), "custom.mystation.diameter_m.value"),
    ],
)
def test_impossible_or_unknown_stations_are_refused_with_their_path(use, station, needle):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_with_custom(use, station), "my.toml")
    assert needle in str(err.value) and "my.toml" in str(err.value) and "\n" not in str(err.value)


def test_comms_section_units_and_choices():
    text = preset_text("chandrayaan5")
    ok = parse_scenario(text.replace('window_step_min = { value = 10.0, unit = "min"',
                                     'window_step_min = { value = 600, unit = "s"', 1), "x.toml")  # fmt: skip
    assert ok.value("comms.window_step_min") == pytest.approx(10.0)
    for old, new, path in (
        ('band = { value = "x"', 'band = { value = "q"', "comms.band.value"),
        ('lander_tx_power_W = { value = 20.0', 'lander_tx_power_W = { value = -2.0', "comms.lander_tx_power_W.value"),
        ('availability_pct = { value = 95.0, unit = "%"', 'availability_pct = { value = 0.95, unit = "%"',
         "comms.availability_pct.value"),
        ('contact_mode = { value = "dte"', 'contact_mode = { value = "telepathy"', "traverse.contact_mode.value"),
    ):  # fmt: skip
        with pytest.raises(ScenarioError, match=rf"^{path}:"):
            parse_scenario(text.replace(old, new, 1), "x.toml")


def test_dte_or_relay_adds_the_cells_that_see_the_lander_while_the_lander_sees_the_earth():
    env = random_scene(3, 15, 12, earth_p=0.4)
    site = latlon_of(env, 7, 7)
    sc = load_scenario("chandrayaan5")
    relayed, fraction = _with_relay(env, site, sc)
    lander_dte = env.earth_visible[:, 7, 7]
    # a flat plain: every cell within the 15 x 20 m window sees the lander's mast
    assert fraction == 1.0
    assert np.all(relayed.earth_visible >= env.earth_visible)
    expected = env.earth_visible | lander_dte[:, None, None]
    np.testing.assert_array_equal(relayed.earth_visible, expected)
    assert relayed.earth_visible.sum() > env.earth_visible.sum()
