"""lupex horizon maps beside GRASS GIS r.horizon (independent tool) on the real 240 m DEM.

GRASS hard-codes Earth's radius for the curvature drop, so both run with body_radius_m = 6371000 and the same
15 km reach (tests/reference/grass_horizon.py documents r.horizon's conventions). r.horizon samples the nearest
cell and stops searching where terrain could only appear below 0.5 deg, so the comparison uses cell-azimuths
whose GRASS horizon is at least 0.5 deg, and judges both tools against the dense float64 reference
(lupex.core.horizon_reference): lupex must agree with GRASS within GRASS's own error, and be at least as accurate.
"""

from __future__ import annotations

import numpy as np
import pytest

from lupex.core.horizon_reference import horizon_reference
from lupex.illumination import horizon_map
from tests.reference.grass_horizon import ensure_grass, grass_horizon_map

EARTH_R = 6_371_000.0
REACH = 15_000.0


@pytest.mark.grass
def test_horizon_agrees_with_grass_r_horizon_within_its_accuracy(dem240):
    if ensure_grass() is None:
        pytest.skip("GRASS GIS (Debian grass-core) cannot be installed here")
    n = 160
    crop = dem240.isel(y=slice(768 - n // 2, 768 + n // 2), x=slice(768 - n // 2, 768 + n // 2))
    az = np.arange(0.0, 360.0, 10.0)
    x0, y0 = float(crop.x[0]) - 120.0, float(crop.y[0]) + 120.0
    grass = grass_horizon_map(crop.values, x0, y0, 240.0, az, REACH)
    ours = horizon_map(crop, az.size, 0.0, None, body_radius_m=EARTH_R, max_distance_m=REACH, cache=False).values
    margin = int(REACH / 240.0) + 1  # cells whose full 15 km reach lies inside the crop
    cells = [(i, j) for i in range(margin, n - margin, 3) for j in range(margin, n - margin, 3)]
    ref = np.degrees(horizon_reference(crop.values, x0, y0, 240.0, np.radians(az), 0.0, EARTH_R, REACH, [], cells))
    g = np.array([grass[:, i, j] for i, j in cells]).T
    ours_c = np.array([ours[:, i, j] for i, j in cells]).T
    valid = g >= 0.5
    assert valid.sum() > 500
    err_grass = np.abs(g - ref)[valid]
    err_ours = np.abs(ours_c - ref)[valid]
    agreement = np.abs(ours_c - g)[valid]
    assert np.median(err_ours) <= np.median(err_grass)
    assert np.percentile(err_ours, 95) <= np.percentile(err_grass, 95)
    assert np.median(agreement) <= 1.5 * np.median(err_grass)
