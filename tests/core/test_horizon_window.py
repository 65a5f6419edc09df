"""A tile of the horizon kernel (``window``) equals that window of the whole map.

Reference: the whole-map kernel itself, whose accuracy against the dense float64 reference is tested in
test_horizon_kernel.py. A tile samples the whole of each line that crosses it (the line's projective frame is the
whole map's) and serves only its own cells, so the values are bit-identical.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lupex.core.horizon import horizon_map_cpu
from lupex.terrain.synthetic import cratered_field


@pytest.fixture(scope="module")
def terrain():
    dem = cratered_field(61, 240.0, n_craters=25, seed=7)
    z = np.ascontiguousarray(dem.values, dtype=np.float64)
    z[10, 12] = np.nan
    z[40:42, 30] = np.nan
    res = float(dem.attrs["res_m"])
    x0 = float(dem["x"].values[0]) - res / 2
    y0 = float(dem["y"].values[0]) + res / 2
    # a far field around it: a 150 m high plain of 960 m cells, 160 km wide
    far = (np.full((167, 167), 150.0), x0 - 80e3, y0 + 80e3, 960.0)
    return z, x0, y0, res, [far]


def _azimuths():
    return np.radians(np.arange(24) * 15.0 + 2.5)


def test_tiles_equal_the_whole_map(terrain):
    z, x0, y0, res, far = terrain
    az = _azimuths()
    whole, whole_edge = horizon_map_cpu(z, x0, y0, res, az, 2.0, 1737400.0, 30e3, far)
    for i0, i1, j0, j1 in [(0, 17, 0, 23), (17, 61, 23, 61), (0, 61, 40, 41), (60, 61, 0, 61), (25, 36, 5, 50)]:
        tile, edge = horizon_map_cpu(z, x0, y0, res, az, 2.0, 1737400.0, 30e3, far, window=(i0, i1, j0, j1))
        ref = whole[:, i0:i1, j0:j1]
        assert tile.shape == ref.shape and edge.shape == (i1 - i0, j1 - j0)
        np.testing.assert_array_equal(tile, ref)
        np.testing.assert_array_equal(edge, whole_edge[i0:i1, j0:j1])


def test_full_window_is_the_whole_map(terrain):
    z, x0, y0, res, far = terrain
    az = _azimuths()[:6]
    whole, _ = horizon_map_cpu(z, x0, y0, res, az, 0.0, 1737400.0, 30e3, far)
    same, _ = horizon_map_cpu(z, x0, y0, res, az, 0.0, 1737400.0, 30e3, far, window=(0, z.shape[0], 0, z.shape[1]))
    np.testing.assert_array_equal(whole, same)


@pytest.mark.parametrize("window", [(0, 0, 0, 5), (5, 3, 0, 5), (0, 62, 0, 5), (-1, 3, 0, 5)])
def test_bad_window_is_refused(terrain, window):
    z, x0, y0, res, far = terrain
    with pytest.raises(ValueError, match="window"):
        horizon_map_cpu(z, x0, y0, res, [0.0], 0.0, 1737400.0, 30e3, far, window=window)


def test_horizon_map_window_px_names_the_argument():
    from lupex.errors import InputError
    from lupex.illumination import horizon_map

    dem = cratered_field(20, 240.0, n_craters=8, seed=1)
    with pytest.raises(InputError, match="window_px"):
        horizon_map(dem, 8, far_field=None, window_px=(0, 30, 0, 5), cache=False)
    part = horizon_map(dem, 8, far_field=None, window_px=(2, 9, 3, 20), cache=False)
    whole = horizon_map(dem, 8, far_field=None, cache=False)
    assert part.sizes == {"azimuth": 8, "y": 7, "x": 17}
    np.testing.assert_array_equal(part["x"].values, whole["x"].values[3:20])
    np.testing.assert_array_equal(part.values, whole.values[:, 2:9, 3:20])
    assert math.isfinite(float(part.max()))


def test_out_receives_the_map(terrain):
    """``out=`` (a slice of a larger map) gets exactly the values the kernel returns without it."""
    z, x0, y0, res, far = terrain
    az = _azimuths()
    whole, whole_edge = horizon_map_cpu(z, x0, y0, res, az, 2.0, 1737400.0, 30e3, far, window=(3, 40, 5, 60))
    big = np.full((az.size + 4, 37, 55), 7.0, dtype=np.float32)
    got, edge = horizon_map_cpu(
        z, x0, y0, res, az, 2.0, 1737400.0, 30e3, far, window=(3, 40, 5, 60), out=big[2 : 2 + az.size]
    )
    assert np.shares_memory(got, big)
    np.testing.assert_array_equal(big[2 : 2 + az.size], whole)
    np.testing.assert_array_equal(edge, whole_edge)
    assert (big[:2] == 7.0).all() and (big[2 + az.size :] == 7.0).all()


@pytest.mark.parametrize(
    "bad",
    [
        np.empty((24, 61, 60), dtype=np.float32),  # one column short
        np.empty((24, 61, 61), dtype=np.float64),
        np.empty((24, 61, 122), dtype=np.float32)[:, :, ::2],  # not contiguous
        [[0.0]],
    ],
)
def test_bad_out_is_refused(terrain, bad):
    z, x0, y0, res, far = terrain
    with pytest.raises(ValueError, match="out must be"):
        horizon_map_cpu(z, x0, y0, res, _azimuths(), 0.0, 1737400.0, 30e3, far, out=bad)
