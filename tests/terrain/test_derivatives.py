"""Slope, aspect and roughness against analytic surfaces and an independent loop implementation."""

from __future__ import annotations

import numpy as np
import pytest

from lupex.terrain import aspect_deg, roughness_m, slope_deg
from lupex.terrain.synthetic import bowl_crater, cone, cratered_field, flat_plane, grid_dem, tilted_plane
from tests.conftest import deg, one_m


@pytest.mark.parametrize(("slope", "azimuth"), [(5.0, 0.0), (17.0, 135.0), (33.0, 250.0)])
def test_tilted_plane_slope_and_grid_aspect_are_exact(slope, azimuth):
    dem = tilted_plane(41, 20.0, slope, azimuth)
    s = slope_deg(dem, true_scale=False).values[1:-1, 1:-1]  # edge cells use replicated neighbours
    a = aspect_deg(dem, reference="grid").values[1:-1, 1:-1]
    np.testing.assert_allclose(s, slope, atol=1e-9 * deg)
    np.testing.assert_allclose(a, azimuth, atol=1e-9 * deg)


def test_cone_slope_is_exact_away_from_apex():
    dem = cone(101, 10.0, 25.0)
    s = slope_deg(dem, true_scale=False)
    r = np.hypot(*np.meshgrid(np.arange(101) - 50, np.arange(101) - 50))
    ring = (r > 20) & (r < 45)
    # Horn's 3x3 operator on a cone deviates by about 5.3 deg * (res/r)^2 (the cone's curvature);
    # beyond 20 cells that is below 0.014 deg
    np.testing.assert_allclose(s.values[ring], 25.0, atol=0.015 * deg)


def test_cone_aspect_points_away_from_apex_in_local_frame():
    dem = cone(61, 10.0, 20.0, center_xy_m=(0.0, 5000.0))  # on the lon-0 meridian: grid = local there
    a = aspect_deg(dem, reference="grid").values
    assert a[5, 30] == pytest.approx(0.0, abs=1e-6) or a[5, 30] == pytest.approx(360.0, abs=1e-6)
    assert a[30, 55] == pytest.approx(90.0, abs=1e-6)


def test_local_aspect_rotates_by_longitude():
    """Plane facing grid azimuth 90 at longitude 90 E faces local north (0) there."""
    dem = tilted_plane(21, 10.0, 10.0, 90.0, center_xy_m=(50_000.0, 0.0))
    local = aspect_deg(dem, reference="local").values[10, 10]
    assert min(local, 360.0 - local) < 0.02 * deg


def horn_slope_loop(z, res):
    """Independent per-cell implementation of gdaldem's default slope (Horn 1981), interior cells only."""
    ny, nx = z.shape
    out = np.full((ny, nx), np.nan)
    for i in range(1, ny - 1):
        for j in range(1, nx - 1):
            w = z[i - 1 : i + 2, j - 1 : j + 2]
            dzdx = ((w[0, 2] + 2 * w[1, 2] + w[2, 2]) - (w[0, 0] + 2 * w[1, 0] + w[2, 0])) / (8 * res)
            dzdy = ((w[2, 0] + 2 * w[2, 1] + w[2, 2]) - (w[0, 0] + 2 * w[0, 1] + w[0, 2])) / (8 * res)
            out[i, j] = np.degrees(np.arctan(np.sqrt(dzdx * dzdx + dzdy * dzdy)))
    return out


def test_real_dem_slope_matches_independent_horn(dem240):
    crop = dem240.isel(y=slice(700, 780), x=slice(740, 820))  # Shackleton rim and floor
    ours = slope_deg(crop, true_scale=False).values
    ref = horn_slope_loop(crop.values, 240.0)
    np.testing.assert_allclose(ours[1:-1, 1:-1], ref[1:-1, 1:-1], atol=1e-9 * deg)
    assert np.nanmax(ours) > 20.0  # Shackleton's walls are steep (~30 deg at 240 m)


def test_true_scale_steepens_by_the_scale_factor(dem240):
    crop = dem240.isel(y=slice(0, 40), x=slice(0, 40))  # corner of the DEM, ~81.5 S, k ~ 1.0056
    grid = np.tan(np.radians(slope_deg(crop, true_scale=False).values))
    true = np.tan(np.radians(slope_deg(crop, true_scale=True).values))
    ratio = np.nanmedian(true / grid)
    assert 1.004 < ratio < 1.007


def test_roughness_of_plane_is_zero_and_of_checkerboard_is_its_amplitude():
    plane = tilted_plane(40, 5.0, 12.0, 30.0)
    assert np.nanmax(roughness_m(plane, 25.0).values) < 1e-4 * one_m  # cumulative-sum rounding
    n = 40
    checker = 0.3 * (np.indices((n, n)).sum(axis=0) % 2 * 2 - 1)
    dem = grid_dem(checker + plane.values, 5.0)
    rough = roughness_m(dem, 55.0).values  # 11 x 11 window
    # 121 cells: 61 of one sign, 60 of the other; residual std ~ 0.3 m (plane fit absorbs ~nothing)
    assert np.nanmedian(rough) == pytest.approx(0.3, abs=0.005 * one_m)


def test_roughness_matches_direct_least_squares():
    dem = cratered_field(30, 20.0, n_craters=20, seed=3)
    rough = roughness_m(dem, 100.0).values  # 5 x 5 window
    z = dem.values
    i, j = 12, 17
    w = z[i - 2 : i + 3, j - 2 : j + 3].ravel()
    rr, cc = np.meshgrid(np.arange(-2, 3), np.arange(-2, 3), indexing="ij")
    design = np.column_stack([np.ones(25), rr.ravel(), cc.ravel()])
    coef, *_ = np.linalg.lstsq(design, w, rcond=None)
    assert rough[i, j] == pytest.approx(np.std(w - design @ coef), abs=1e-6 * one_m)


def test_bowl_crater_geometry():
    dem = bowl_crater(201, 10.0, diameter_m=1500.0, depth_ratio=0.2)
    assert dem.values.min() == pytest.approx(-300.0, abs=0.5 * one_m)
    assert dem.values[100, 0] == 0.0 and dem.values[0, 100] == 0.0
    assert np.all(flat_plane(5, 10.0).values == 0.0)
