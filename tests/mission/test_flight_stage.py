"""The flight stage feeds site selection: candidates re-ranked by P(safe touchdown) of the landing dispersion."""

from __future__ import annotations

import numpy as np
import pytest

from lupex.flight.dispersion import DispersionErrors, landing_dispersion, safe_fraction_at
from lupex.mission.stages.sites import _ranked_by_safe_touchdown
from lupex.sites.selection import SiteSelection
from lupex.terrain import latlon_to_xy, xy_to_latlon
from lupex.terrain.synthetic import grid_dem


@pytest.fixture(scope="module")
def terrain_and_dispersion():
    """Level ground in the west half, a 25 deg slope (over the 12 deg touchdown limit) in the east half."""
    x0, y0 = latlon_to_xy(-89.45, 222.5)
    n, res = 201, 10.0
    x = (np.arange(n) - n // 2) * res
    height = np.where(x > 0.0, np.tan(np.radians(25.0)) * x, 0.0)[None, :].repeat(n, axis=0)
    dem = grid_dem(height, res, (x0, y0))
    west = (x0 - 500.0, y0)
    lat, lon = xy_to_latlon(*west)
    errors = DispersionErrors(nav_sigma_m=15.0, thrust_sigma_frac=0.0, isp_sigma_frac=0.0, position_sigma_m=0.0,
                              velocity_sigma_m_s=0.0)  # fmt: skip
    return dem, landing_dispersion(dem, float(lat), float(lon), runs=200, seed=1, errors=errors), (x0, y0)


def test_p_safe_where_the_ground_is_level_or_steep(terrain_and_dispersion):
    dem, d, (x0, y0) = terrain_and_dispersion
    assert d.p_safe == 1.0
    assert safe_fraction_at(d, dem, x0 + 500.0, y0)[0] == 0.0  # the same errors aimed at the 25 deg slope
    assert np.isnan(safe_fraction_at(d, dem, x0 + 5000.0, y0)[0])  # off the DEM: unknown


def test_candidates_are_reranked_by_topsis_times_p_safe(terrain_and_dispersion):
    dem, d, (x0, y0) = terrain_and_dispersion
    cands = [
        {"rank": 1, "x_m": x0 + 500.0, "y_m": y0, "topsis_score": 0.9},  # on the slope
        {"rank": 2, "x_m": x0 - 500.0, "y_m": y0, "topsis_score": 0.7},  # level
        {"rank": 3, "x_m": x0 + 9000.0, "y_m": y0, "topsis_score": 0.8},  # off the DEM
    ]
    sel = SiteSelection(cands, 3, 3, 3, {}, {}, {}, 100.0, 0.0)
    ranked = _ranked_by_safe_touchdown(sel, d, dem).candidates
    assert [c["topsis_rank"] for c in ranked] == [2, 1, 3]
    assert [c["rank"] for c in ranked] == [1, 2, 3]
    assert ranked[0]["p_safe"] == 1.0 and ranked[0]["landing_score"] == pytest.approx(0.7)
    assert ranked[1]["p_safe"] == 0.0 and ranked[1]["landing_score"] == 0.0
    assert ranked[2]["p_safe"] is None and ranked[2]["landing_score"] is None
