"""Rover-lander relay: line of sight on the curved Moon, link budget, coverage map and route (lupex.comms.relay)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lupex.comms.relay import (
    RelayLink,
    relay_along_route,
    relay_coverage,
    relay_margin_dB,
    relay_rate_bps,
)
from lupex.constants import MOON_RADIUS_M
from lupex.defaults import DEFAULTS
from lupex.errors import InputError
from lupex.terrain.projection import xy_to_latlon
from lupex.terrain.synthetic import flat_plane, grid_dem

R = MOON_RADIUS_M
CENTER = (0.0, 10_000.0)  # synthetic DEMs are centred 10 km from the pole


def _unit_vectors(x_m, y_m):
    """Moon-fixed unit vectors from lat/lon (independent of the kernel's closed form)."""
    lat, lon = xy_to_latlon(x_m, y_m)
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _ground_distance_m(x1, y1, x2, y2):
    """Great-circle distance on the 1737.4 km sphere [m], from lat/lon."""
    u1, u2 = _unit_vectors(x1, y1), _unit_vectors(x2, y2)
    return R * 2.0 * np.arcsin(np.linalg.norm(u1 - u2, axis=-1) / 2.0)


def _lat_lon(x_m, y_m):
    lat, lon = xy_to_latlon(x_m, y_m)
    return float(lat), float(lon)


# --------------------------------------------------------------------------------------- bare sphere


@pytest.mark.parametrize(("lander_m", "rover_m"), [(2.0, 3.0), (10.0, 0.5)])
def test_bare_sphere_horizon_map(lander_m, rover_m):
    """Level ground on the sphere: visible iff D <= sqrt(2 R h_A) + sqrt(2 R h_B), to one 25 m cell.

    The kernel samples the line at grid-line crossings (<= 35 m apart); near the grazing point the line is
    s^2 / (8 R) < 0.1 mm above its continuous minimum, which moves the boundary by < 0.1 m: one cell is ample.
    """
    res = 25.0
    dem = flat_plane(501, res, 0.0, CENTER)
    ds = relay_coverage(dem, *_lat_lon(*CENTER), lander_antenna_m=lander_m, rover_antenna_m=rover_m, link=RelayLink())
    d_max = math.sqrt(2 * R * lander_m) + math.sqrt(2 * R * rover_m)
    xx, yy = np.meshgrid(ds.x.values, ds.y.values)
    ground = _ground_distance_m(CENTER[0], CENTER[1], xx, yy)
    los = ds.line_of_sight.values
    assert los[ground < d_max - res].all()
    assert not los[ground > d_max + res].any()
    # the boundary itself lies between the farthest visible and the nearest blocked cell, within 1 m
    assert ground[los].max() <= d_max + 1.0
    assert ground[~los].min() >= d_max - 1.0


def test_bare_sphere_horizon_route_to_a_metre():
    """Route points 1 m inside / outside the horizon sum, along 8 azimuths: visible / blocked exactly."""
    dem = flat_plane(501, 25.0, 0.0, CENTER)
    d_max = math.sqrt(2 * R * 2.0) + math.sqrt(2 * R * 3.0)  # 5865 m
    az = np.radians(np.arange(8) * 45.0 + 10.0)
    out = []
    for d in (d_max - 1.0, d_max + 1.0):
        # grid distance = ground distance * scale factor (k - 1 < 2e-5 here, i.e. < 0.12 m: recomputed below)
        x = CENTER[0] + d * np.sin(az)
        y = CENTER[1] + d * np.cos(az)
        ground = _ground_distance_m(CENTER[0], CENTER[1], x, y)
        x = CENTER[0] + d * d / ground * np.sin(az)
        y = CENTER[1] + d * d / ground * np.cos(az)
        np.testing.assert_allclose(_ground_distance_m(CENTER[0], CENTER[1], x, y), d, atol=1e-3)
        route = relay_along_route(
            dem, *_lat_lon(*CENTER), x, y, lander_antenna_m=2.0, rover_antenna_m=3.0, link=RelayLink()
        )
        out.append(route.line_of_sight)
    assert out[0].all()
    assert not out[1].any()


def test_slant_distance_is_the_chord_between_antennas():
    dem = flat_plane(201, 25.0, 0.0, CENTER)
    ds = relay_coverage(dem, *_lat_lon(*CENTER), lander_antenna_m=4.0, rover_antenna_m=1.5, link=RelayLink())
    xx, yy = np.meshgrid(ds.x.values, ds.y.values)
    chord = np.linalg.norm((R + 4.0) * _unit_vectors(CENTER[0], CENTER[1]) - (R + 1.5) * _unit_vectors(xx, yy), axis=-1)
    np.testing.assert_allclose(ds.distance_m.values, chord, atol=1e-3)


# -------------------------------------------------------------------------------------------- ridge


def test_wall_casts_the_analytic_shadow():
    """A 5 m wall 3 cells thick on level ground; lander mast 10 m, rover mast 2 m.

    The line from the lander's antenna over the far edge of the wall's top (ground distance d1' along each ray)
    is blocked iff H > h_A + (h_B - h_A) d1'/D - d1'(D - d1')/(2R). The shadow is the band right behind the
    wall; straight east (d1 = 204 m) it ends where the line from the antenna over the wall top comes down to the
    rover's antenna, D = d1 (h_A - h_B)/(h_A - H) = 326.4 m (+0.4 m from curvature). Cells whose analytic
    boundary is within 1.5 cells along their ray are not judged.
    """
    res, n, wall_h, mast_a, mast_b = 2.0, 301, 5.0, 10.0, 2.0
    height = np.zeros((n, n))
    height[:, 150:153] = wall_h  # plateau from column 150 to 152; ramps to 0 at 149 and 153
    dem = grid_dem(height, res, CENTER)
    li, lj = 150, 50
    lander = (float(dem.x[lj]), float(dem.y[li]))
    ds = relay_coverage(dem, *_lat_lon(*lander), lander_antenna_m=mast_a, rover_antenna_m=mast_b, link=RelayLink())
    los = ds.line_of_sight.values
    jj = np.broadcast_to(np.arange(n), (n, n))
    xx, yy = np.meshgrid(ds.x.values, ds.y.values)
    big_d = _ground_distance_m(lander[0], lander[1], xx, yy)
    assert los[:, :149].all()  # between the lander and the wall: level ground, masts >= 2 m
    beyond = jj >= 154
    t_edge = np.where(beyond, (152 - lj) / np.maximum(jj - lj, 1), 0.0)  # grid fraction at the wall's far edge
    d1 = t_edge * big_d
    line_m = mast_a + (mast_b - mast_a) * t_edge - d1 * (big_d - d1) / (2 * R)
    blocked = wall_h > line_m
    # |d(line - H)/dD| along the ray [m/m]
    slope = np.abs((mast_b - mast_a) * d1 / np.maximum(big_d, res) ** 2 + d1 / (2 * R))
    judged = beyond & (np.abs(line_m - wall_h) > 1.5 * res * slope)
    assert judged.sum() > 0.8 * beyond.sum()
    np.testing.assert_array_equal(los[judged], ~blocked[judged])
    # straight east: the shadow's end falls between the last blocked and the first visible cell
    d1_east = float(_ground_distance_m(lander[0], lander[1], float(dem.x[152]), lander[1]))
    a, b, c = d1_east / (2 * R), wall_h - mast_a - d1_east**2 / (2 * R), -(mast_b - mast_a) * d1_east
    d_shadow = 2 * c / (-b + math.sqrt(b * b - 4 * a * c))  # the near root, in its stable form
    assert d_shadow == pytest.approx(204.0 * 8.0 / 5.0, abs=1.0)
    row = los[li, 154:]
    first_visible = 154 + int(np.argmax(row))
    assert not row[: first_visible - 154].any() and row[first_visible - 154 :].all()
    assert big_d[li, first_visible - 1] <= d_shadow <= big_d[li, first_visible]


# ----------------------------------------------------------------------------------------- symmetry


def _random_terrain(n: int, res: float, seed: int) -> np.ndarray:
    """Smooth random relief (sum of 12 random plane waves, wavelengths 60-400 m, +-15 m)."""
    rng = np.random.default_rng(seed)
    c = (np.arange(n) - (n - 1) / 2.0) * res
    xx, yy = np.meshgrid(c, -c)
    z = np.zeros((n, n))
    for _ in range(12):
        k = 2 * np.pi / rng.uniform(60.0, 400.0)
        az = rng.uniform(0, 2 * np.pi)
        z += rng.uniform(0.5, 2.5) * np.sin(k * (xx * np.sin(az) + yy * np.cos(az)) + rng.uniform(0, 2 * np.pi))
    return z


def test_line_of_sight_is_symmetric_on_random_terrain():
    res, n = 10.0, 81
    dem = grid_dem(_random_terrain(n, res, 7), res, CENTER)
    rng = np.random.default_rng(3)
    cells = [(int(i), int(j)) for i, j in rng.integers(2, n - 2, size=(14, 2))]
    seen = np.zeros((len(cells), len(cells)), dtype=bool)
    for a, (i, j) in enumerate(cells):
        lander = (float(dem.x[j]), float(dem.y[i]))
        ds = relay_coverage(dem, *_lat_lon(*lander), lander_antenna_m=2.0, rover_antenna_m=2.0, link=RelayLink())
        seen[a] = [ds.line_of_sight.values[p, q] for p, q in cells]
    np.testing.assert_array_equal(seen, seen.T)
    off = seen[~np.eye(len(cells), dtype=bool)]
    assert 0.15 < off.mean() < 0.85  # both outcomes occur: the test is not trivial


def test_route_matches_the_map_at_cell_centres():
    res, n = 10.0, 81
    dem = grid_dem(_random_terrain(n, res, 11), res, CENTER)
    lander = (float(dem.x[30]), float(dem.y[45]))
    kw = {"lander_antenna_m": 3.0, "rover_antenna_m": 1.0, "link": RelayLink.sband()}
    ds = relay_coverage(dem, *_lat_lon(*lander), **kw)
    xx, yy = np.meshgrid(dem.x.values, dem.y.values)
    route = relay_along_route(dem, *_lat_lon(*lander), xx.ravel(), yy.ravel(), **kw)
    np.testing.assert_array_equal(route.line_of_sight, ds.line_of_sight.values.ravel())
    np.testing.assert_allclose(route.distance_m, ds.distance_m.values.ravel(), rtol=1e-12)
    np.testing.assert_array_equal(route.rate_bps, ds.rate_bps.values.ravel())
    assert 0.0 < route.available_fraction < 1.0


# -------------------------------------------------------------------------------------- link budget


def test_link_budget_by_hand():
    """Every term written out, at a cell 1 km east of the lander on level ground (within 0.01 dB)."""
    link = RelayLink(
        frequency_Hz=401.585625e6,
        tx_power_W=1e-6,
        tx_gain_dBi=1.5,
        rx_gain_dBi=-0.5,
        system_noise_temperature_K=450.0,
        required_ebn0_dB=4.4,
        implementation_loss_dB=2.0,
        required_margin_dB=3.0,
        standard_rates_bps=tuple(1000.0 * 2**k for k in range(12)),
    )
    dem = flat_plane(121, 25.0, 0.0, CENTER)
    ds = relay_coverage(dem, *_lat_lon(*CENTER), lander_antenna_m=3.0, rover_antenna_m=2.0, link=link)
    i, j = 60, 100  # 40 cells = 1 km east
    x, y = float(ds.x[j]), float(ds.y[i])
    d = float(np.linalg.norm((R + 3.0) * _unit_vectors(*CENTER) - (R + 2.0) * _unit_vectors(x, y)))
    p_tx_dBW = 10 * math.log10(1e-6)  # -60 dBW
    fspl_dB = 20 * math.log10(4 * math.pi * d * 401.585625e6 / 299_792_458.0)  # ~84.5 dB
    k_dBW_K_Hz = 10 * math.log10(1.380649e-23)  # -228.6
    t_sys_dB_K = 10 * math.log10(450.0)
    cn0_dBHz = p_tx_dBW + 1.5 + (-0.5) - fspl_dB - 2.0 - (k_dBW_K_Hz + t_sys_dB_K)
    margins = {r: cn0_dBHz - 10 * math.log10(r) - 4.4 for r in link.standard_rates_bps}
    rate = max(r for r, m in margins.items() if m >= 3.0)
    assert rate == 64_000.0  # mid-list (C/N0 ~ 56.6 dBHz): 128 kbps misses the 3 dB margin
    assert bool(ds.available.values[i, j])
    assert float(ds.rate_bps.values[i, j]) == rate
    assert float(ds.margin_dB.values[i, j]) == pytest.approx(margins[rate], abs=0.01)
    assert float(relay_margin_dB(d, rate, link)) == pytest.approx(margins[rate], abs=0.01)


def test_rate_is_zero_when_no_rate_closes():
    link = RelayLink(tx_power_W=1e-12)
    assert float(relay_rate_bps(50_000.0, link)) == 0.0
    assert float(relay_rate_bps(10.0, RelayLink())) == RelayLink().standard_rates_bps[-1]


def test_presets_come_from_defaults():
    uhf, sband = RelayLink.uhf(), RelayLink.sband()
    assert uhf.frequency_Hz == DEFAULTS["relay_uhf_frequency_Hz"].value
    assert uhf.standard_rates_bps[0] == DEFAULTS["relay_uhf_rate_min_bps"].value
    assert uhf.standard_rates_bps[-1] == DEFAULTS["relay_uhf_rate_max_bps"].value
    assert len(uhf.standard_rates_bps) == 12  # 1 .. 2048 kbps
    assert sband.frequency_Hz == DEFAULTS["relay_sband_frequency_Hz"].value
    assert sband.standard_rates_bps[-1] == DEFAULTS["relay_sband_rate_max_bps"].value
    assert sband.required_margin_dB == DEFAULTS["relay_required_margin_dB"].value


# ---------------------------------------------------------------------------------------- real DEM


class _Progress:
    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n


@pytest.fixture(scope="module")
def ridge10():
    from lupex.terrain import builtin_dem

    return builtin_dem("connecting_ridge_10m")


def test_connecting_ridge_coverage(ridge10):
    """Lander on the connecting ridge's summit plateau (ground 1955 m, 4 m under the DEM's top), masts 3 m / 2 m.

    Measured (2026): line of sight to every cell within 100 m, 96 % within 200 m, 26 % within 500 m and
    7.4 % of the 1 km disc (the plateau's rounded edges and metre-scale relief cut grazing lines; the
    bare-sphere bound would be 5.9 km). Bound asserted: 3-20 % of the 1 km disc.
    """
    progress = _Progress()
    ds = relay_coverage(
        ridge10, -89.4455, 222.686, lander_antenna_m=3.0, rover_antenna_m=2.0, link=RelayLink.uhf(), radius_m=1000.0,
        progress=progress,
    )  # fmt: skip
    assert progress.total == ds.sizes["y"] and progress.done == progress.total
    assert 195 <= ds.sizes["y"] <= 215 and 195 <= ds.sizes["x"] <= 215
    inside = np.isfinite(ds.distance_m.values)
    near = ds.distance_m.values < 100.0
    assert ds.line_of_sight.values[near].all()
    fraction = float(ds.line_of_sight.values[inside].mean())
    assert 0.03 < fraction < 0.20
    assert not ds.line_of_sight.values[~inside].any()
    # UHF at 5 W closes at the top rate wherever the line of sight is clear within 1 km
    np.testing.assert_array_equal(ds.available.values, ds.line_of_sight.values)
    assert set(np.unique(ds.rate_bps.values)) == {0.0, 2_048_000.0}
    assert ds.attrs["lander_ground_height_m"] == pytest.approx(1955.2, abs=0.5)
    assert ds.attrs["link_frequency_Hz"] == pytest.approx(401.585625e6)


# -------------------------------------------------------------------------------------- bad inputs


@pytest.fixture(scope="module")
def small_dem():
    return flat_plane(21, 10.0, 0.0, CENTER)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lander_lat_deg": -89.0}, "outside the DEM"),
        ({"lander_lat_deg": 10.0}, "lander_lat_deg"),
        ({"lander_lon_deg": math.nan}, "lander_lon_deg"),
        ({"lander_antenna_m": -1.0}, "lander_antenna_m"),
        ({"rover_antenna_m": math.nan}, "rover_antenna_m"),
        ({"rover_antenna_m": "tall"}, "rover_antenna_m"),
        ({"radius_m": 0.0}, "radius_m"),
        ({"link": "uhf"}, "RelayLink"),
    ],
)
def test_bad_coverage_inputs_refused(small_dem, kwargs, match):
    args = {
        "lander_lat_deg": _lat_lon(*CENTER)[0],
        "lander_lon_deg": _lat_lon(*CENTER)[1],
        "lander_antenna_m": 2.0,
        "rover_antenna_m": 2.0,
        "link": RelayLink(),
        "radius_m": 50.0,
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=match) as err:
        relay_coverage(small_dem, args.pop("lander_lat_deg"), args.pop("lander_lon_deg"), **args)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tx_power_W": 0.0}, "tx_power_W"),
        ({"tx_power_W": -5.0}, "tx_power_W"),
        ({"tx_power_W": "5 W"}, "tx_power_W"),
        ({"frequency_Hz": math.inf}, "frequency_Hz"),
        ({"system_noise_temperature_K": 0.0}, "system_noise_temperature_K"),
        ({"implementation_loss_dB": -1.0}, "implementation_loss_dB"),
        ({"required_margin_dB": math.nan}, "required_margin_dB"),
        ({"tx_gain_dBi": math.inf}, "tx_gain_dBi"),
        ({"standard_rates_bps": ()}, "standard_rates_bps"),
        ({"standard_rates_bps": (1000.0, -1.0)}, "standard_rates_bps"),
    ],
)
def test_bad_link_refused(kwargs, match):
    with pytest.raises(InputError, match=match):
        RelayLink(**kwargs)


def test_lander_on_the_border_cell_is_accepted(small_dem):
    corner = (float(small_dem.x[0]), float(small_dem.y[-1]))
    ds = relay_coverage(small_dem, *_lat_lon(*corner), lander_antenna_m=2.0, rover_antenna_m=2.0, link=RelayLink())
    assert ds.line_of_sight.values.all()  # level ground, 200 m across


def test_bad_route_refused(small_dem):
    lat, lon = _lat_lon(*CENTER)
    kw = {"lander_antenna_m": 2.0, "rover_antenna_m": 2.0, "link": RelayLink()}
    with pytest.raises(InputError, match="outside the DEM"):
        relay_along_route(small_dem, lat, lon, [0.0, 5000.0], [10_000.0, 10_000.0], **kw)
    with pytest.raises(InputError, match="route_x_m"):
        relay_along_route(small_dem, lat, lon, [0.0, 1.0], [10_000.0], **kw)
