"""Illumination physics against independent references: analytic cases, published numbers, failure modes.

Each test names its reference. Tolerances are in physical units.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lupex.ephemeris import sky_positions, time_range
from lupex.illumination import horizon_map, illumination_stats, site_illumination, visible_fraction
from lupex.terrain import xy_to_latlon
from lupex.terrain.synthetic import bowl_crater, bowl_profile, flat_plane, grid_dem, tilted_plane
from tests.conftest import deg

R = 1_737_400.0


def _dip_deg(height_m: float) -> float:
    return -math.degrees(math.acos(R / (R + height_m)))


@pytest.fixture(scope="module")
def flat_stats():
    """A level plane 3 km from the pole, 2 m mast, Jan-Feb 2028 every 2 h."""
    dem = flat_plane(61, 240.0, center_xy_m=(0.0, 3000.0))
    ds = illumination_stats(
        dem, "2028-01-01", "2028-03-01", "2h", observer_height_m=2.0, far_field=None, psr_years=None, cache=False
    )
    return dem, ds


def test_flat_plane_illumination_matches_closed_form(flat_stats):
    """Closed form: a level plane sees the visible disk fraction f((e - dip)/a), dip = -acos(R/(R+h)); the
    reference uses the topocentric ephemeris at each cell's own lat/lon (independent of the map kernel)."""
    dem, ds = flat_stats
    times = time_range("2028-01-01", "2028-03-01", "2h")
    for i, j in [(30, 30), (20, 41), (42, 18)]:  # cells whose rays reach the 2.6 km dip distance in the DEM
        lat, lon = xy_to_latlon(float(dem.x[j]), float(dem.y[i]))
        sky = sky_positions(float(lat), float(lon), times, 2.0)
        expected = visible_fraction(sky.sun.elevation_deg, _dip_deg(2.0), sky.sun.angular_radius_deg)
        assert float(ds.mean_illumination[i, j]) == pytest.approx(expected.mean(), abs=0.002)
        earth_expected = (sky.earth.elevation_deg > _dip_deg(2.0)).mean()
        assert float(ds.earth_visibility[i, j]) == pytest.approx(earth_expected, abs=2.0 / times.size)
        dark = expected <= 0
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(int), [0]]))))[::2]
        longest = (runs.max() if runs.size else 0) * 2.0
        assert float(ds.longest_darkness_h[i, j]) == pytest.approx(longest, abs=2.0)
    assert int(ds.psr.sum()) == 0


def test_bowl_crater_shadow_matches_reflection_closed_form():
    """Spherical bowl (Buhl, Welch & Rea 1968; Ingersoll, Svitek & Murray 1992): a floor point P is in shadow
    iff its ray to the Sun re-enters the sphere below the rim plane; the re-entry point is P's mirror image
    in the plane through the sphere's centre normal to the Sun, Q = P - 2((P - O).s) s. Evaluated exactly at
    cell centres and compared with shadows from the horizon map (flat body, sun at grid azimuth 0)."""
    diameter, ratio, res, n = 1200.0, 0.2, 10.0, 161
    dem = bowl_crater(n, res, diameter, ratio)
    horizon = horizon_map(dem, 4, 0.0, None, body_radius_m=1e13, cache=False)  # azimuths 0, 90, 180, 270
    rc, d = diameter / 2, ratio * diameter
    rs = (rc**2 + d**2) / (2 * d)
    offsets = (np.arange(n) - (n - 1) / 2) * res
    px, py = np.meshgrid(offsets, -offsets)
    r = np.hypot(px, py)
    floor = r < 0.97 * rc
    pz = bowl_profile(r, diameter, ratio)
    beta = math.degrees(math.acos(1 - 2 * (4 * ratio**2 / (1 + 4 * ratio**2))))  # Ingersoll f -> half-angle
    for elevation in (5.0, 15.0, 30.0, beta - 3.0, beta + 3.0):
        e = math.radians(elevation)
        s = np.array([0.0, math.cos(e), math.sin(e)])
        rel = np.stack([px, py, pz - (rs - d)], axis=-1)
        t = -2 * rel @ s
        qz = pz + t * s[2]
        analytic = (t <= 0.0) | (qz < 0.0)  # facing away from the Sun, or the ray re-enters below the rim
        ours = horizon.values[0] > elevation
        frac_a = analytic[floor].mean()
        frac_o = ours[floor].mean()
        assert frac_o == pytest.approx(frac_a, abs=0.015), (elevation, frac_o, frac_a)
        assert (analytic[floor] == ours[floor]).mean() > 0.97
        if elevation > beta:
            assert frac_o == 0.0  # shadows vanish once the Sun is higher than the bowl's half-angle


def test_failure_mode_no_curvature_drop_gives_spurious_horizon():
    """Research log failure 1: a 3 km ridge 72 km away must sit at atan(3000/72000) - 72000/(2R) = +1.20 deg
    (curvature drop 1.19 deg at 72 km), not +2.39 deg."""
    dem = flat_plane(9, 240.0, center_xy_m=(0.0, 10_000.0))
    far = np.zeros((200, 200))
    far[:, 172:175] = 3000.0  # ridge at x ~ +72.5 km, along y
    far_dem = grid_dem(far, 1000.0, center_xy_m=(0.0, 10_000.0))
    h = horizon_map(dem, 360, 0.0, [far_dem], cache=False)
    d = 72_500.0 - 500.0  # nearest ridge cell edge, as the bilinear far-field profile rises there
    expected = math.degrees(math.atan(3000 / d) - d / (2 * R))
    assert float(h.sel(azimuth=90.0)[4, 4]) == pytest.approx(expected, abs=0.05 * deg)
    flat = horizon_map(dem, 360, 0.0, [far_dem], body_radius_m=1e15, cache=False)
    assert float(flat.sel(azimuth=90.0)[4, 4]) == pytest.approx(math.degrees(math.atan(3000 / d)), abs=0.05 * deg)


def test_failure_mode_horizons_not_clamped_at_zero(dem240):
    """Research log failure 2: ridge crests see depressed (negative) horizons; a clamp at 0 would hide them."""
    crop = dem240.sel(x=slice(-12_000, 0), y=slice(-6_000, -18_000))  # connecting ridge
    h = horizon_map(crop, 36, 2.0, "auto", cache=False)
    crest = np.unravel_index(int(np.argmax(crop.values)), crop.shape)
    assert float(h.values[:, crest[0], crest[1]].min()) < -0.5


@pytest.mark.parametrize("facing", [0.0, 180.0])
def test_failure_mode_inverted_normal(facing):
    """Research log failure 3: a slope facing grid north is lit by a low Sun in the north and self-shadowed by
    a Sun in the south at elevations below its slope (and conversely)."""
    slope = 10.0
    dem = tilted_plane(81, 20.0, slope, facing)
    h = horizon_map(dem, 4, 0.0, None, body_radius_m=1e13, max_distance_m=400.0, cache=False)  # rays stay inside
    downhill = float(h.sel(azimuth=facing)[40, 40])
    uphill = float(h.sel(azimuth=(facing + 180.0) % 360)[40, 40])
    assert downhill == pytest.approx(-slope, abs=0.05 * deg)
    assert uphill == pytest.approx(slope, abs=0.05 * deg)


def test_failure_mode_azimuth_registration():
    """Research log failure 4: a wall 2 km east of the centre raises azimuth 90 only (not 0/180/270)."""
    z = np.zeros((101, 101))
    z[:, 70:73] = 500.0
    dem = grid_dem(z, 100.0)
    h = horizon_map(dem, 4, 0.0, None, body_radius_m=1e13, cache=False)
    centre = h.values[:, 50, 50]
    assert centre[1] == pytest.approx(math.degrees(math.atan(500 / 2000)), abs=0.2)  # cell edge at 1950..2050 m
    assert np.all(np.abs(centre[[0, 2, 3]]) < 0.01)


def test_failure_mode_grid_rotation_of_sun_azimuth():
    """Research log failure 5: on the polar grid the Sun's grid azimuth is its local azimuth plus the longitude.
    A wall to grid north of a site at 90 E lies at local azimuth 270 (west): the Sun must be hidden there when
    its *local* azimuth is ~270, and visible when ~0 (grid east: no wall)."""
    z = np.zeros((121, 121))
    z[10:15, 40:81] = 3000.0  # wall ~2.3 km to grid north (+y) of the centre
    dem = grid_dem(z, 50.0, center_xy_m=(50_000.0, 0.0))
    result = site_illumination(
        *[float(v) for v in xy_to_latlon(50_000.0, 0.0)],
        "2028-01-01",
        "2028-02-01",
        "1h",
        dem=dem,
        far_field=None,
        n_azimuth=360,
    )
    up = result.sun_elevation_deg > 0.5
    west = up & (np.abs(((result.sun_azimuth_deg - 270.0) + 180) % 360 - 180) < 15)
    north = up & (np.abs(((result.sun_azimuth_deg - 0.0) + 180) % 360 - 180) < 15)
    assert west.sum() > 5 and north.sum() > 5
    assert np.all(result.sun_visible_fraction[west] == 0.0)
    assert np.all(result.sun_visible_fraction[north] == 1.0)
    # the map kernel uses its own frame arithmetic: it must agree with the site series
    ds = illumination_stats(
        dem, "2028-01-01", "2028-02-01", "1h", far_field=None, psr_years=None, earth=False, cache=False
    )
    assert float(ds.mean_illumination[60, 60]) == pytest.approx(result.sun_visible_fraction.mean(), abs=0.01)


def _kernel_on(crop, horizon, times, sun_block, coarse, earth_block):
    """Run the map kernel directly on a crop: returns its outputs and the time series it was given."""
    from lupex.core import visibility as vis
    from lupex.ephemeris import moon_centred_vectors

    v = moon_centred_vectors(times)
    dist = np.linalg.norm(v.sun_me_km, axis=1) * 1000.0
    sun = v.sun_me_km * 1000.0 / dist[:, None]
    earth = v.earth_me_km * 1000.0
    ta = vis.kernel_time_args(sun, 1 / dist, earth, R + 8000, sun_block, coarse, earth_block)
    args = (
        np.radians(horizon.values).astype(np.float32),
        crop.values,
        crop.x.values,
        crop.y.values,
        2.0,
        R,
        sun,
        1 / dist,
        np.radians(v.sun_angular_radius_deg),
        *ta[:4],
        earth,
        *ta[4:],
        True,
    )
    return vis.illumination_stats_kernel(*args), sun, dist, earth, v


def test_block_decisions_do_not_change_results(dem240):
    """The block shortcut in the map kernel is exact: same result as evaluating every step."""
    crop = dem240.sel(x=slice(-6000, 6000), y=slice(6000, -6000))
    h = horizon_map(crop, 180, 2.0, "auto", cache=False)
    times = time_range("2028-01-01", "2028-03-01", "1h")
    fast = _kernel_on(crop, h, times, 9, 4, 64)[0]
    slow = _kernel_on(crop, h, times, 1, 1, 1)[0]
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_tile_with_far_field_matches_the_whole_map(dem240):
    """Tiling design: a tile computed on its own, with the full DEM as far field, matches the same cells of a
    larger map (what a Dask run over DEMs larger than memory relies on)."""
    from lupex.terrain import builtin_dem

    far = [dem240, builtin_dem("far_field_1787m")]
    whole = dem240.isel(y=slice(704, 832), x=slice(704, 832))
    tile = whole.isel(y=slice(32, 96), x=slice(32, 96))
    h_whole = horizon_map(whole, 72, 2.0, far, cache=False).isel(y=slice(32, 96), x=slice(32, 96))
    h_tile = horizon_map(tile, 72, 2.0, far, cache=False)
    diff = np.abs(h_whole.values - h_tile.values)
    assert np.median(diff) < 0.01 * deg
    assert np.percentile(diff, 99) < 0.1 * deg
    assert not h_tile.edge_limited.any()


def test_map_kernel_equals_plain_numpy_evaluation(dem240):
    """Independent per-step evaluation in numpy (no blocks, no shortcuts) at floor, wall and ridge cells."""
    crop = dem240.sel(x=slice(2_000, 14_000), y=slice(-600, -12_600))  # Shackleton: floor, walls, rim
    h = horizon_map(crop, 180, 2.0, "auto", cache=False)
    times = time_range("2028-01-01", "2028-04-01", "1h")
    outputs, sun, dist, earth, v = _kernel_on(crop, h, times, 9, 4, 36)
    sums, dark, first, _, seen, outage, lit_steps = outputs
    az_grid = np.append(h.azimuth.values, 360.0)
    for i, j in [(26, 24), (5, 5), (40, 45), (12, 30), (49, 0)]:
        x, y = float(crop.x[j]), float(crop.y[i])
        c = 2 * np.arctan(np.hypot(x, y) / (2 * R))
        lon = np.arctan2(x, y)
        up = np.array([np.sin(c) * np.cos(lon), np.sin(c) * np.sin(lon), -np.cos(c)])
        north = np.array([np.cos(c) * np.cos(lon), np.cos(c) * np.sin(lon), np.sin(c)])
        east = np.array([-np.sin(lon), np.cos(lon), 0.0])
        r = R + float(crop.values[i, j]) + 2.0
        prof = np.append(h.values[:, i, j], h.values[0, i, j])
        to_sun = sun * dist[:, None] - r * up
        to_earth = earth - r * up
        results = []
        for vec in (to_sun, to_earth):
            unit = vec / np.linalg.norm(vec, axis=1)[:, None]
            elev = np.degrees(np.arcsin(unit @ up))
            local_az = np.degrees(np.arctan2(unit @ east, unit @ north))
            grid_az = np.mod(local_az + np.degrees(lon), 360.0)
            results.append((elev, np.interp(grid_az, az_grid, prof)))
        f = visible_fraction(results[0][0], results[0][1], v.sun_angular_radius_deg)
        visible = results[1][0] > results[1][1]
        assert sums[i, j] / times.size == pytest.approx(f.mean(), abs=2e-5)
        assert seen[i, j] / times.size == pytest.approx(visible.mean(), abs=1.5 / times.size)
        dark_runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], (f <= 0).astype(int), [0]]))))[::2]
        assert dark[i, j] == (dark_runs.max() if dark_runs.size else 0)
        assert first[i, j] == (np.flatnonzero(f > 0)[0] if (f > 0).any() else -1)
        assert lit_steps[i, j] == int((f > 0).sum())
        _ = outage
