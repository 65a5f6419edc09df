"""Published illumination numbers on the bundled real LOLA terrain (240 m, with the 1.79 km far field).

References: Bussey et al. 2010 (Icarus 208:558): most illuminated point 86 % of 2020, on Shackleton's rim;
Gläser et al. 2018 (PSS 162:170): 77-88 % at 2 m over 2017-2037, maximum on the ridge between Shackleton and
de Gerlache; Gläser et al. 2014 (Icarus 243:78): connecting ridge, 92.27 % at 2 m, longest darkness 3-5 days;
Mazarico et al. 2011 (Icarus 211:1066): Shackleton's floor is permanently shadowed. Issue #3 accepts 80-92 %
for the best-lit cell within 20 km of the pole in 2028 at 2 m.
"""

from __future__ import annotations

import numpy as np
import pytest

from lupex.illumination import horizon_map, illumination_stats
from lupex.terrain import builtin_dem

SHACKLETON_CENTRE_XY_M = (7689.0, -6404.0)  # 89.67 S, 129.78 E


@pytest.fixture(scope="module")
def stats_2028(dem240, tmp_path_factory):
    crop = dem240.sel(x=slice(-25_000, 25_000), y=slice(25_000, -25_000))
    far = [dem240, builtin_dem("far_field_1787m")]
    horizon = horizon_map(crop, 360, 2.0, far, cache_dir=tmp_path_factory.mktemp("hz"))
    ds = illumination_stats(crop, "2028-01-01", "2028-12-31T23:00:00Z", "1h", observer_height_m=2.0, horizon=horizon)
    return crop, ds


def test_best_lit_cell_near_the_pole(stats_2028):
    crop, ds = stats_2028
    xx, yy = np.meshgrid(crop.x.values, crop.y.values)
    within = np.hypot(xx, yy) <= 20_000.0
    mean = np.where(within, ds.mean_illumination.values, -1.0)
    i, j = np.unravel_index(int(np.argmax(mean)), mean.shape)
    best = float(mean[i, j])
    assert 0.80 <= best <= 0.92
    x, y = float(crop.x[j]), float(crop.y[i])
    on_ridge = -19_000 <= x <= -3_000 and -20_000 <= y <= -4_000  # the PGDA Site01 connecting-ridge footprint
    rim_distance = np.hypot(x - SHACKLETON_CENTRE_XY_M[0], y - SHACKLETON_CENTRE_XY_M[1])
    assert on_ridge or 9_000 <= rim_distance <= 14_000
    # Gläser et al. 2014: longest darkness of the best ridge points typically 3-5 days
    assert 48.0 <= float(ds.longest_darkness_h[i, j]) <= 240.0
    # a high, well-lit ridge point sees the Earth a good part of the time (Bryant 2009: best DTE ~51 %)
    assert 0.3 <= float(ds.earth_visibility[i, j]) <= 0.9


def test_shackleton_floor_is_permanently_shadowed(stats_2028):
    _, ds = stats_2028
    floor = ds.sel(x=SHACKLETON_CENTRE_XY_M[0], y=SHACKLETON_CENTRE_XY_M[1], method="nearest")
    assert int(floor.psr) == 1
    assert float(floor.mean_illumination) == 0.0
    assert np.isnat(floor.first_sunlit_utc.values)
    # the floor is a few km across: several tens of 240 m cells are PSR around it
    near = ds.psr.sel(x=slice(4000, 11500), y=slice(-2700, -10100))
    assert int(near.sum()) > 100
    # and every PSR cell is dark during 2028 too (the 18.6-year envelope contains every 2028 direction)
    assert float(ds.mean_illumination.where(ds.psr == 1).max()) == 0.0
