"""cell_sky_series: the campaign's sky at chosen cells equals the whole-window environment at those cells."""

from __future__ import annotations

import numpy as np
import pytest

from lupex.errors import InputError
from lupex.terrain import builtin_dem
from lupex.traverse import cell_sky_series, traverse_environment, window_around


def test_cells_equal_the_window_environment() -> None:
    dem = builtin_dem("connecting_ridge_10m")
    win = window_around(dem, [(-89.4455, 222.686)], 150.0)
    kw = {"window": win, "mast_height_m": 2.0, "n_azimuth": 36}
    env = traverse_environment(dem, "2027-12-30T00:00Z", "2028-01-01T00:00Z", "2h", **kw)
    cells = np.array([[0, 0], [5, 7], [win.shape[0] - 1, win.shape[1] - 1]])
    sky = cell_sky_series(dem, "2027-12-30T00:00Z", "2028-01-01T00:00Z", "2h", cells=cells, **kw)
    assert sky.time_utc.tolist() == env.time_utc.tolist()
    for k, (i, j) in enumerate(cells):
        np.testing.assert_array_equal(sky.sun_fraction[:, k], env.sun_fraction[:, i, j])
        np.testing.assert_array_equal(sky.earth_visible[:, k], env.earth_visible[:, i, j])
        np.testing.assert_allclose(sky.sun_elevation_deg[:, k], env.sun_elevation_deg[:, i, j], atol=1e-5)
    assert sky.column(5, 7) == 1
    with pytest.raises(InputError, match="not among"):
        sky.column(1, 1)
    with pytest.raises(InputError, match="inside the"):
        cell_sky_series(dem, "2027-12-30T00:00Z", "2027-12-31T00:00Z", cells=np.array([[10_000, 0]]), **kw)
