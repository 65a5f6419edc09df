"""The statistics kernel's exact block decisions (issue #17): outputs equal the step-by-step evaluation bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from lupex.core import visibility as vis
from lupex.ephemeris import moon_centred_vectors, time_range
from lupex.illumination import horizon_map
from lupex.illumination.stats import psr_envelope_directions

R = 1_737_400.0


def _args(crop, horizon_deg: np.ndarray, times, blocks: tuple[int, int, int]) -> tuple:
    v = moon_centred_vectors(times)
    dist = np.linalg.norm(v.sun_me_km, axis=1) * 1000.0
    sun = v.sun_me_km * 1000.0 / dist[:, None]
    earth = v.earth_me_km * 1000.0
    ta = vis.kernel_time_args(sun, 1 / dist, earth, R + 8000.0, *blocks)
    geometry = (np.radians(horizon_deg).astype(np.float32), crop.values, crop.x.values, crop.y.values, 2.0, R)
    return (*geometry, sun, 1 / dist, np.radians(v.sun_angular_radius_deg), *ta[:4], earth, *ta[4:], True)


@pytest.fixture(scope="module")
def shackleton(dem240):
    """Shackleton's floor, walls and rim: grazing Sun and Earth, PSR and sunlit cells."""
    crop = dem240.sel(x=slice(2_000, 14_000), y=slice(-600, -12_600))
    return crop, horizon_map(crop, 180, 2.0, "auto", cache=False).values


@pytest.mark.parametrize("blocks", [(9, 4, 36), (16, 8, 64), (3, 2, 5)])
def test_blocks_equal_step_by_step_bit_for_bit(shackleton, blocks):
    crop, h = shackleton
    times = time_range("2028-01-01", "2028-03-15", "1h")
    fast = vis.illumination_stats_kernel(*_args(crop, h, times, blocks))
    slow = vis.illumination_stats_kernel(*_args(crop, h, times, (1, 1, 1)))
    assert 0 < float((fast[6] > 0).mean()) < 1 and 0 < float((fast[4] > 0).mean()) <= 1
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)


def test_many_azimuths_take_the_general_sector_path(shackleton):
    """More profile samples than the CPU's sector cap: sectors span several samples, still exact."""
    crop, _ = shackleton
    crop = crop.isel(y=slice(0, 8), x=slice(0, 8))
    h = horizon_map(crop, vis._CPU_MAX_SECTORS + 80, 2.0, None, cache=False).values
    times = time_range("2028-01-01", "2028-02-01", "1h")
    fast = vis.illumination_stats_kernel(*_args(crop, h, times, (9, 4, 36)))
    slow = vis.illumination_stats_kernel(*_args(crop, h, times, (1, 1, 1)))
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)


def test_stop_at_first_lit_keeps_lit_at_all_and_first_lit(shackleton):
    """The PSR envelope's early exit: the same cells are lit at all, with the same first lit direction."""
    crop, h = shackleton
    env_dirs, env_radius, _, _ = psr_envelope_directions("2028-01-01", 1.0)
    env_inv = np.full(env_dirs.shape[0], 1.0 / 1.47e11)
    ta = vis.kernel_time_args(env_dirs, env_inv, np.array([[3.8e8, 0.0, 0.0]] * 2), R + 8000.0, 8)
    geometry = (np.radians(h).astype(np.float32), crop.values, crop.x.values, crop.y.values, 2.0, R)
    sky = (env_dirs, env_inv, np.full(env_dirs.shape[0], env_radius), *ta[:4])
    dummy = (np.array([[3.8e8, 0.0, 0.0]]), np.array([0, 1], dtype=np.int64), np.zeros(1), np.zeros((1, 4)), 1, False)
    full = vis.illumination_stats_kernel(*geometry, *sky, *dummy)
    early = vis.illumination_stats_kernel(*geometry, *sky, *dummy, True)
    assert 0 < int((full[0] <= 0).sum()) < full[0].size  # some PSR cells, some lit ones
    np.testing.assert_array_equal(early[0] > 0, full[0] > 0)
    np.testing.assert_array_equal(early[2], full[2])


def test_sector_thresholds_bound_the_interpolated_horizon():
    """Every azimuth in a sector has its interpolated horizon within the sector's bounds (any sector count)."""
    rng = np.random.default_rng(3)
    for n_az, n_sec in [(360, 360), (360, 72), (100, 72), (1000, 720), (7, 360)]:
        prof = rng.normal(0.02, 0.03, (n_az, 1, 1))
        upper = np.empty(n_sec)
        lower = np.empty(n_sec)
        vis.sector_thresholds(prof, 0, 0, 0.004, upper, lower)
        az = rng.uniform(0.0, 2 * np.pi, 4000)
        sector = np.floor(az / (2 * np.pi / n_sec)).astype(int) % n_sec
        h = np.array([vis.horizon_at(prof, 0, 0, a) for a in az])
        assert np.all(h + 0.004 <= upper[sector] + 1e-15)
        assert np.all(h - 0.004 >= lower[sector] - 1e-15)


def test_only_cells_evaluates_the_chosen_cells_alone(shackleton):
    """Cells outside ``only_cells`` keep the initial outputs; the chosen ones equal the whole-grid run."""
    crop, h = shackleton
    times = time_range("2028-01-01", "2028-01-20", "2h")
    args = _args(crop, h, times, (9, 4, 36))
    whole = vis.illumination_stats_kernel(*args)
    chosen = np.random.default_rng(5).random(crop.shape) < 0.3
    part = vis.illumination_stats_kernel(*args, False, chosen)
    initial = (0, 0, -1, -1, 0, 0, 0)
    for a, b, init in zip(whole, part, initial, strict=True):
        np.testing.assert_array_equal(b[chosen], a[chosen])
        assert np.all(b[~chosen] == init)


def test_earth_coarse_cones_decide_and_keep_results(shackleton):
    """The Earth's coarse cones (factors 2, 3 and 8 over 36-step chords) leave every output bit-identical to the
    step-by-step walk, on a crop whose Earth is grazing (partly visible) for part of its cells."""
    crop, h = shackleton
    times = time_range("2028-01-01", "2028-04-01", "1h")
    slow = vis.illumination_stats_kernel(*_args(crop, h, times, (1, 1, 1)))
    visible = slow[4] / len(times)
    assert 0.02 < float(((visible > 0) & (visible < 1)).mean()) < 0.95
    v = moon_centred_vectors(times)
    earth = v.earth_me_km * 1000.0
    for factor in (2, 3, 8):
        args = list(_args(crop, h, times, (9, 4, 36)))
        cones = vis.earth_cone_bounds(earth, 36 * factor, R + 8000.0)
        args[-3], args[-2] = cones, factor
        fast = vis.illumination_stats_kernel(*args)
        np.testing.assert_array_equal(fast[4], slow[4])
        np.testing.assert_array_equal(fast[5], slow[5])


@pytest.mark.parametrize("n_az", [360, 720, 180, 100])
def test_cell_thresholds_equal_three_sector_passes(n_az):
    """The fused one-pass thresholds (360 and 720 azimuths) and the fallback equal sector_thresholds bit for bit."""
    rng = np.random.default_rng(n_az)
    prof = rng.normal(0.02, 0.03, (n_az, 1, 1))
    n_sec = min(n_az, vis._CPU_MAX_SECTORS)
    got = [np.empty(n_sec), np.empty(n_sec), np.empty(72), np.empty(72), np.empty(n_sec), np.empty(n_sec)]
    vis.cell_thresholds(prof, 0.0046, *got)
    want = [np.empty(n_sec), np.empty(n_sec), np.empty(72), np.empty(72), np.empty(n_sec), np.empty(n_sec)]
    vis.sector_thresholds(prof, 0, 0, 0.0046, want[0], want[1])
    vis.sector_thresholds(prof, 0, 0, 0.0046, want[2], want[3])
    vis.sector_thresholds(prof, 0, 0, 0.0, want[4], want[5])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_sine_thresholds_imply_the_elevation_decision():
    """A sine at or beyond the Earth walk's threshold gives an asin_fast elevation that clears the bound by more than
    the comparison margin, so deciding by the sine equals deciding by the elevation; beyond +-90 deg: never."""
    rng = np.random.default_rng(11)
    for elevation in np.concatenate([rng.uniform(-1.5, 1.5, 2000), [0.0, 1e-9, -1e-9]]):
        s_high = vis._sine_threshold(elevation, 1.0)
        s_low = vis._sine_threshold(elevation, -1.0)
        for x in (s_high, np.nextafter(s_high, 2.0)):
            assert vis.asin_fast(min(x, 1.0)) - vis._EPS_ELEV >= elevation
        for x in (s_low, np.nextafter(s_low, -2.0)):
            assert vis.asin_fast(max(x, -1.0)) + vis._EPS_ELEV <= elevation
    assert vis._sine_threshold(vis._NO_BOUND, 1.0) == 2.0
    assert vis._sine_threshold(-vis._NO_BOUND, -1.0) == -2.0


@pytest.mark.parametrize("n", [1, 2, 3, 7, 100, 162, 1536, 4096])
def test_row_stride_visits_every_row_once(n):
    stride = vis.row_stride(n)
    assert sorted((p * stride) % n for p in range(n)) == list(range(n))


def test_atan2_select_equals_atan2_fast_bit_for_bit():
    """The branch-free azimuth of the vectorised chord-end tables is the scalar one (octants, axes, zeros)."""
    rng = np.random.default_rng(5)
    pairs = list(rng.normal(0.0, 1.0, (5000, 2)))
    for a in (0.0, -0.0, 1.0, -1.0, 1e-300):
        for b in (0.0, -0.0, 1.0, -1.0, 1e-300):
            pairs.append((a, b))
    pairs += [(x, x) for x in (0.3, -0.3)] + [(x, -x) for x in (0.3, -0.3)]
    for a, b in pairs:
        assert vis.atan2_select(a, b) == vis.atan2_fast(a, b)
        assert abs(vis.atan2_fast(a, b) - np.arctan2(a, b) % (2 * np.pi)) < 2e-6 or abs(a) + abs(b) < 1e-200


def test_chord_end_tables_equal_the_per_cell_chord_ends():
    """The lanes' tables (eight cells at once) hold each cell's own chord ends: the Sun's at every coarse boundary
    (first order in the parallax) and the Earth's exact directions at its cones and block boundaries, to rounding."""
    rng = np.random.default_rng(8)
    times = time_range("2028-01-01", "2028-02-15", "1h")
    v = moon_centred_vectors(times)
    dist = np.linalg.norm(v.sun_me_km, axis=1) * 1000.0
    sun, inv = v.sun_me_km * 1000.0 / dist[:, None], 1 / dist
    earth = v.earth_me_km * 1000.0
    starts, _, _, per_coarse, e_starts, _, cones, _ = vis.kernel_time_args(sun, inv, earth, R + 8000.0, 7, 3, 20)
    x = rng.uniform(-150e3, 150e3, 5)
    y = rng.uniform(-150e3, 150e3)
    z = rng.uniform(-4000.0, 4000.0, 5)
    lanes = (
        np.zeros((9, 8)),
        np.zeros(8),
        np.empty((4, (starts.size - 1 + per_coarse - 1) // per_coarse + 1, 8)),
        np.empty((4, cones.shape[0], 8)),
        np.empty((4, e_starts.size, 8)),
    )
    points = (cones, vis.earth_boundary_points(earth, e_starts))
    vis._fill_lanes(lanes, (x, y, z, 0, R, 2.0), (sun, inv, starts, per_coarse), points, True)
    last_sun, last_earth = starts[-1] - 1, e_starts[-1] - 1
    for lane in range(x.size):  # five cells: a row's last, partial group
        frame = vis.cell_frame(x[lane], y, R)
        r_cell = R + z[lane] + 2.0
        for c in range(lanes[2].shape[1]):
            t = min(starts[min(c * per_coarse, starts.size - 1)], last_sun)
            want = vis._chord_end(*sun[t], inv[t], r_cell, frame)
            np.testing.assert_allclose(lanes[2][:, c, lane], want, rtol=0, atol=1e-14)
        for c in range(cones.shape[0]):
            want = vis._earth_end(cones, c, r_cell, frame)
            np.testing.assert_allclose(lanes[3][:, c, lane], want, rtol=0, atol=1e-14)
        for b in range(e_starts.size):
            want = vis._earth_end(earth, min(e_starts[b], last_earth), r_cell, frame)
            np.testing.assert_allclose(lanes[4][:, b, lane], want, rtol=0, atol=1e-14)


def test_kernel_refuses_a_horizon_without_the_chunks_rows(shackleton):
    """horizon_row0 must leave ny rows of the map: a map too short (or a negative row) is refused, not read past."""
    from lupex.errors import InputError

    crop, h = shackleton
    times = time_range("2028-01-01", "2028-01-02", "6h")
    args = _args(crop, h, times, (4, 2, 8))
    for row0 in (1, -1):
        with pytest.raises(InputError, match="horizon_row0"):
            vis.illumination_stats_kernel(*args, False, None, 1.0, row0)
