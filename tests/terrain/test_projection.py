"""Polar stereographic conversions against the closed form in the data's .source.txt, and azimuth rotation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lupex.errors import InputError
from lupex.terrain import (
    grid_to_local_azimuth_deg,
    latlon_to_xy,
    local_to_grid_azimuth_deg,
    scale_factor,
    xy_to_latlon,
)
from tests.conftest import deg, one_mm

R = 1_737_400.0


def closed_form_xy(lat_deg, lon_deg):
    """x = 2R tan((90+lat)/2) sin(lon), y = 2R tan((90+lat)/2) cos(lon) (LOLA polar stereographic)."""
    rho = 2 * R * np.tan(np.radians(90.0 + np.asarray(lat_deg)) / 2)
    return rho * np.sin(np.radians(lon_deg)), rho * np.cos(np.radians(lon_deg))


def test_forward_and_inverse_match_pyproj():
    """Independent tool: PROJ through pyproj with the grid's PROJ string (IAU_2015:30135 equivalent)."""
    from pyproj import CRS, Transformer

    crs = CRS.from_proj4("+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs")
    forward = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    rng = np.random.default_rng(2)
    lat = rng.uniform(-90.0, -75.0, 500)
    lon = rng.uniform(0.0, 360.0, 500)
    px, py = forward.transform(lon, lat)
    x, y = latlon_to_xy(lat, lon)
    np.testing.assert_allclose(x, px, atol=one_mm)
    np.testing.assert_allclose(y, py, atol=one_mm)
    lat2, lon2 = xy_to_latlon(px, py)
    np.testing.assert_allclose(lat2, lat, atol=1e-9)
    np.testing.assert_allclose((lon2 - lon + 180.0) % 360.0 - 180.0, 0.0, atol=1e-9)


def test_forward_matches_closed_form():
    lat = np.array([-89.45, -85.0, -80.0, -89.999])
    lon = np.array([222.5, 0.0, 90.0, 300.0])
    x, y = latlon_to_xy(lat, lon)
    xc, yc = closed_form_xy(lat, lon)
    np.testing.assert_allclose(x, xc, atol=one_mm)
    np.testing.assert_allclose(y, yc, atol=one_mm)


@settings(max_examples=200, deadline=None)
@given(st.floats(-200_000, 200_000), st.floats(-200_000, 200_000))
def test_round_trip_xy_latlon_below_one_millimetre(x, y):
    lat, lon = xy_to_latlon(x, y)
    x2, y2 = latlon_to_xy(lat, lon)
    assert abs(x2 - x) < one_mm and abs(y2 - y) < one_mm


def test_lon_zero_is_up_and_90e_is_right():
    x, y = latlon_to_xy(-89.0, 0.0)
    assert abs(x) < one_mm and y > 0
    x, y = latlon_to_xy(-89.0, 90.0)
    assert x > 0 and abs(y) < one_mm


def test_northern_latitudes_are_refused():
    with pytest.raises(InputError, match=r"\[-90, 0\)"):
        latlon_to_xy(10.0, 0.0)


@pytest.mark.parametrize("lon", [0.0, 37.0, 135.0, 222.5, 300.0])
def test_local_north_has_grid_azimuth_equal_to_longitude(lon):
    """Independent check by finite differences: step toward increasing latitude along the meridian."""
    x0, y0 = latlon_to_xy(-88.0, lon)
    x1, y1 = latlon_to_xy(-87.99, lon)
    grid_az = np.degrees(np.arctan2(x1 - x0, y1 - y0)) % 360.0
    assert grid_az == pytest.approx(lon % 360.0, abs=1e-6 * deg)
    assert grid_to_local_azimuth_deg(grid_az, x0, y0) == pytest.approx(
        0.0, abs=1e-6 * deg
    ) or grid_to_local_azimuth_deg(grid_az, x0, y0) == pytest.approx(360.0, abs=1e-6 * deg)


@pytest.mark.parametrize("lon", [10.0, 222.5])
def test_local_east_is_ninety_degrees_clockwise(lon):
    x0, y0 = latlon_to_xy(-88.0, lon)
    x1, y1 = latlon_to_xy(-88.0, lon + 0.01)
    grid_az = np.degrees(np.arctan2(x1 - x0, y1 - y0)) % 360.0
    assert grid_to_local_azimuth_deg(grid_az, x0, y0) == pytest.approx(90.0, abs=0.01 * deg)
    assert local_to_grid_azimuth_deg(90.0, x0, y0) == pytest.approx(grid_az, abs=0.01 * deg)


def test_scale_factor_matches_finite_difference():
    lat, lon = -84.0, 33.0
    x0, y0 = latlon_to_xy(lat, lon)
    x1, y1 = latlon_to_xy(lat + 1e-4, lon)
    ground = R * np.radians(1e-4)
    assert float(np.hypot(x1 - x0, y1 - y0) / ground) == pytest.approx(float(scale_factor(x0, y0)), rel=1e-6)
