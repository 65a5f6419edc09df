"""Pin the conventions of the GRASS ``r.horizon`` reference wrapper against analytic cases.

All cases include Earth curvature with GRASS's hard-coded radius (R = 6371000 m): a target at
horizontal distance d and height H above a flat datum at the observer's height appears at
atan((H - d**2 / (2 R)) / d).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.reference.grass_horizon import GRASS_EARTH_RADIUS_M, ensure_grass, grass_horizon_map

pytestmark = pytest.mark.grass

deg = 1.0  # results are in degrees
m = 1.0  # lengths are in metres
km = 1000.0 * m
R = GRASS_EARTH_RADIUS_M * m

N = 60  # cells per side: small grids keep each GRASS session around a second
MARGIN = 2  # r.horizon gives -90 deg where the first ray step leaves the grid; stay clear of the edges


@pytest.fixture(scope="module", autouse=True)
def _grass() -> str:
    path = ensure_grass()
    if path is None:
        pytest.skip("GRASS GIS (r.horizon) is not installed and could not be installed (see the log)")
    return path


def seen_angle_deg(height: float, distance: float) -> float:
    """Elevation angle of a point `height` above the observer's datum, `distance` away, on GRASS's Earth."""
    return math.degrees(math.atan((height - distance**2 / (2.0 * R)) / distance))


def test_flat_plane_horizon_is_first_sample_curvature_dip() -> None:
    res = 100.0 * m
    z = np.zeros((N, N))
    az = [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0]
    h = grass_horizon_map(z, 0.0, N * res, res, az, max_distance_m=5.0 * km)
    assert h.shape == (len(az), N, N)
    assert h.dtype == np.float64

    # What GRASS does: the search stops once the remaining terrain could only appear below 0.5 deg
    # (maxlength = (zmax - z0) / tan 0.5deg = 0 on a flat plane), so only the first ray sample counts:
    # one cell away for cardinal azimuths, one cell diagonal for the diagonals.  Its curvature dip is
    # -atan(L1 / 2R), which is also the maximum over all distances of -atan(L / 2R).
    tol = 1e-5 * deg  # float32 output of a ~5e-4 deg value
    inner = (slice(MARGIN, N - MARGIN), slice(MARGIN, N - MARGIN))
    for k, a in enumerate(az):
        first_sample = res * (math.sqrt(2.0) if a % 90.0 else 1.0)
        expected = -math.degrees(math.atan(first_sample / (2.0 * R)))
        np.testing.assert_allclose(h[k][inner], expected, rtol=0.0, atol=tol, err_msg=f"azimuth {a}")
        assert abs(expected) < 0.001 * deg

    # Rays leaving the grid at once give -90 deg: azimuth 0 (north) on row 0, azimuth 90 (east) on the
    # last column -- this also pins row 0 = north and column 0 = west.
    assert np.all(h[az.index(0.0)][0, :] == -90.0 * deg)
    assert np.all(h[az.index(90.0)][:, -1] == -90.0 * deg)
    assert np.all(h[az.index(180.0)][MARGIN : N - MARGIN, 0] > -0.01 * deg)


def test_wall_to_the_east_pins_azimuth_90_and_curvature() -> None:
    res = 2.0 * km
    height = 3.0 * km
    wall_col = 55
    z = np.zeros((N, N))
    z[:, wall_col] = height
    h = grass_horizon_map(z, 0.0, 0.0, res, [90.0, 270.0], max_distance_m=150.0 * km)
    east, west = h

    # Along a cardinal azimuth the ray visits cell centres exactly, so GRASS reproduces the formula to
    # float32 precision; 0.3 deg is the looser bound the reference promises for terrain in general.
    tol = 0.3 * deg
    tight = 0.01 * deg
    rows = range(MARGIN, N - MARGIN)
    cols = range(MARGIN, wall_col)
    expected = np.array([[seen_angle_deg(height, (wall_col - j) * res) for j in cols] for _ in rows])
    got = east[MARGIN : N - MARGIN, MARGIN:wall_col]
    np.testing.assert_allclose(got, expected, rtol=0.0, atol=tight)
    np.testing.assert_allclose(got, expected, rtol=0.0, atol=tol)

    # The far cells (100 km) only agree when curvature is included: the flat-Earth angle is > tol off.
    far = (wall_col - MARGIN) * res
    flat_earth = math.degrees(math.atan(height / far))
    assert abs(flat_earth - seen_angle_deg(height, far)) > tol
    assert abs(got[0, 0] - flat_earth) > tol

    # Looking west (azimuth 270) the wall is behind: only the flat-ground first-sample dip remains.
    dip = -math.degrees(math.atan(res / (2.0 * R)))
    np.testing.assert_allclose(west[MARGIN : N - MARGIN, MARGIN:wall_col], dip, rtol=0.0, atol=1e-4 * deg)
    # ... and east of the wall it is the other way round.
    assert np.all(east[MARGIN : N - MARGIN, wall_col + 1 : N - 1] < 0.01 * deg)
    np.testing.assert_allclose(
        west[MARGIN : N - MARGIN, wall_col + 1], seen_angle_deg(height, res), rtol=0.0, atol=tight
    )


def test_wall_to_the_north_pins_azimuth_0() -> None:
    res = 2.0 * km
    height = 3.0 * km
    wall_row = 5
    z = np.zeros((N, N))
    z[wall_row, :] = height
    # Not equally spaced in GRASS's angles (60, 90, 270), so this also runs the one-call-per-direction path.
    az = [0.0, 180.0, 30.0]
    h = grass_horizon_map(z, 500.0 * km, -1200.0 * km, res, az, max_distance_m=150.0 * km)
    north, south, oblique = h

    tol = 0.3 * deg
    tight = 0.01 * deg
    col = 10
    for i in range(wall_row + 1, N - MARGIN):
        d = (i - wall_row) * res
        assert north[i, col] == pytest.approx(seen_angle_deg(height, d), abs=tight), f"row {i}"
        assert north[i, N // 2] == pytest.approx(seen_angle_deg(height, d), abs=tight), f"row {i}"
        # Looking south the wall is behind.
        assert south[i, col] == pytest.approx(-math.degrees(math.atan(res / (2.0 * R))), abs=1e-4 * deg)
        # Azimuth 30 (east of north) meets the wall at d / cos 30; nearest-cell sampling moves the hit by up
        # to half a cell sideways, which stays within tol once the wall is >= 40 km away.
        if d / math.cos(math.radians(30.0)) >= 40.0 * km:
            slant = d / math.cos(math.radians(30.0))
            assert oblique[i, col] == pytest.approx(seen_angle_deg(height, slant), abs=tol), f"row {i}"
    # North of the wall nothing is raised looking north.
    assert np.all(north[MARGIN:wall_row, MARGIN : N - MARGIN] < 0.01 * deg)


def test_observer_height_is_refused() -> None:
    with pytest.raises(ValueError, match="observer"):
        grass_horizon_map(np.zeros((4, 4)), 0.0, 0.0, 1.0, [0.0], 10.0, observer_height_m=2.0)
