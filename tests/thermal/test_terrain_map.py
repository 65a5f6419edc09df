"""Terrain thermal map (lupex.thermal.thermal_map) on level ground.

On a level plain there is no shadowing by terrain, no scattered light and no terrain infrared (sky view 1),
so every cell is the 1-D column of the point model. The reference is :func:`lupex.thermal.point_temperature`,
which is checked against Hayne et al. (2017) Table A2 and heat1d 0.3.2 in ``test_point.py`` and
``scripts/validate_heat1d.py``, and which spins up on 13 full lunations (a year of real forcing, four passes).
The map spins up on one lunation run three times with the deep mean reset to the equilibrium of the year
before ``start``; this test is what holds that shortcut to the long spin-up, in kelvin.
"""

from __future__ import annotations

import numpy as np
import pytest

from lupex.terrain.projection import latlon_to_xy
from lupex.terrain.synthetic import flat_plane
from lupex.thermal import point_temperature, thermal_map
from tests.conftest import one_K

SURFACE_TOL = 1.0 * one_K
DEPTH_TOL = 1.5 * one_K

# a polar site in the warm half of the lunar year, where a one-lunation spin-up alone puts the deep layers
# ~10 K above the annual mean that sets them
LAT, LON = -80.0, 30.0
START, END = "2028-01-01", "2028-01-30"


@pytest.fixture(scope="module")
def pair():
    x, y = latlon_to_xy(LAT, LON)
    dem = flat_plane(5, 240.0, center_xy_m=(float(x), float(y)))
    ds = thermal_map(dem, START, END, "1h", n_azimuth=32, far_field=[], scatter_radius_m=0.0, cache=False)
    point = point_temperature(LAT, LON, START, END, "1h")
    return ds.isel(y=2, x=2), point


def test_level_ground_surface_matches_point_model(pair):
    cell, point = pair
    assert float(cell.t_max_K) == pytest.approx(point.t_max_K, abs=SURFACE_TOL)
    assert float(cell.t_mean_K) == pytest.approx(point.t_mean_K, abs=SURFACE_TOL)
    assert float(cell.t_min_K) == pytest.approx(point.t_min_K, abs=SURFACE_TOL)
    assert float(cell.sky_view_factor) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("depth_m", [0.1, 0.25, 0.5, 1.0, 1.5])
def test_level_ground_deep_temperatures_match_year_long_spin_up(pair, depth_m):
    """Mean and maximum temperature at depth: below ~0.3 m they are set by the mean of the year before the
    period, not by the period's own (warmer) lunation."""
    cell, point = pair
    ref_mean = float(np.interp(depth_m, point.depth_m, point.t_depth_mean_K))
    ref_max = float(np.interp(depth_m, point.depth_m, point.t_depth_max_K))
    assert float(cell.t_mean_at_depth_K.sel(depth_m=depth_m)) == pytest.approx(ref_mean, abs=DEPTH_TOL)
    assert float(cell.t_max_at_depth_K.sel(depth_m=depth_m)) == pytest.approx(ref_max, abs=DEPTH_TOL)
