"""Visible fraction of a disk above a straight horizon, and the per-cell kernel's exactness."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lupex.core.visibility import (
    asin_accurate,
    asin_fast,
    atan2_fast,
    block_bounds,
    disk_fraction_array,
    earth_cone_bounds,
)
from lupex.errors import InputError
from lupex.illumination import visible_fraction
from tests.conftest import deg


def test_check_values_from_the_reference_note():
    """illumination-references.md 3.2: f(0) = 0.5, f(+1) = 1, f(-1) = 0."""
    np.testing.assert_allclose(visible_fraction([0.0, 0.2665, -0.2665], 0.0, 0.2665), [0.5, 1.0, 0.0], atol=1e-12)


def test_segment_area_matches_pixel_counting():
    """Independent check: count points of a fine grid over the unit disk above the line y = -x."""
    g = np.linspace(-1, 1, 2001)
    xx, yy = np.meshgrid(g, g)
    inside = xx**2 + yy**2 <= 1
    for x in (-0.8, -0.3, 0.0, 0.45, 0.9):
        counted = (inside & (yy >= -x)).sum() / inside.sum()
        assert visible_fraction(x, 0.0, 1.0) == pytest.approx(counted, abs=2e-3)


@settings(max_examples=100, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3))
def test_fraction_is_bounded_monotone_and_symmetric(e, h):
    f = float(visible_fraction(e, h, 0.27))
    assert 0.0 <= f <= 1.0
    assert float(visible_fraction(e + 0.01, h, 0.27)) >= f
    assert f + float(visible_fraction(2 * h - e, h, 0.27)) == pytest.approx(1.0, abs=1e-9)


def test_bad_radius():
    with pytest.raises(InputError, match="angular_radius_deg"):
        visible_fraction(0.0, 0.0, 0.0)


def test_fast_math_helpers():
    rng = np.random.default_rng(1)
    for a, b in rng.normal(size=(2000, 2)):
        ref = np.arctan2(a, b) % (2 * np.pi)
        diff = (atan2_fast(a, b) - ref + np.pi) % (2 * np.pi) - np.pi
        assert abs(diff) < 2e-5
    z = np.linspace(-1, 1, 4001)
    assert max(abs(asin_fast(v) - np.arcsin(v)) for v in z) < 1e-8
    assert disk_fraction_array(np.array([2.0]))[0] == 1.0


def test_asin_accurate_and_the_disk_fraction_match_libm():
    """The kernels' libm-free asin (no call per partly lit step) against numpy's arcsin, across the branch at 1/2,
    and the disk fraction against the acos form of illumination-references.md 3.2."""
    x = np.concatenate([np.linspace(-1.0, 1.0, 40001), [0.5, -0.5, np.nextafter(0.5, 1), 1.0, -1.0, 0.0]])
    got = np.array([asin_accurate(v) for v in x])
    np.testing.assert_allclose(got, np.arcsin(x), rtol=0, atol=2e-15)
    inside = x[np.abs(x) < 1]
    exact = 1.0 - (np.arccos(inside) - inside * np.sqrt(1.0 - inside**2)) / np.pi
    np.testing.assert_allclose(disk_fraction_array(inside), exact, rtol=0, atol=2e-15)


def test_block_bounds_deviation_is_exact_for_a_great_circle():
    """Unit vectors on a great circle: the chord's sagitta is 1 - cos(half angle) (analytic)."""
    angle = np.linspace(0, 0.2, 21)
    dirs = np.stack([np.cos(angle), np.sin(angle), 0 * angle], axis=1)
    starts, dev = block_bounds(dirs, 21)
    assert list(starts) == [0, 21]
    assert dev[0, 0] == pytest.approx(1 - np.cos(0.1), rel=1e-6)
    assert dev[0, 1] == 0.0  # the circle lies in the xy plane: its sag has no z part
    assert dev[0, 2] == pytest.approx(1 - np.cos(0.1), rel=1e-6)


def test_block_bounds_chords_end_at_the_next_block():
    """Consecutive blocks share a chord end: a block's bound covers the step after it. On a great circle tilted out
    of the xy plane by 30 deg, the chord's largest distance is the sag 1 - cos(half angle) and its z part is
    sin(tilt) max_tau (sin(a tau) - tau sin a) (circle minus chord, a the chord's angle)."""
    angle = np.linspace(0, 0.2, 21)
    tilt = np.radians(30.0)
    dirs = np.stack([np.cos(angle), np.sin(angle) * np.cos(tilt), np.sin(angle) * np.sin(tilt)], axis=1)
    starts, dev = block_bounds(dirs, 10)
    assert list(starts) == [0, 10, 20, 21]
    sag = 1 - np.cos(0.05)  # each of the first two chords spans 0.1 rad (11 steps)
    assert dev[0, 0] == pytest.approx(sag, rel=1e-6)
    assert dev[1, 0] == pytest.approx(sag, rel=1e-6)
    tau = np.arange(11) / 10.0
    z_part = np.sin(tilt) * np.max(np.sin(0.1 * tau) - tau * np.sin(0.1))
    assert dev[0, 1] == pytest.approx(z_part, rel=1e-6)
    assert dev[0, 2] <= dev[0, 0] <= np.hypot(dev[0, 1], dev[0, 2]) * (1 + 1e-12)
    assert dev[2, 0] == 0.0  # the last block: one step, no chord
    _ = deg


def test_earth_cones_hold_every_topocentric_direction():
    """Every surface point's exact Earth direction (normalised E - r up, numpy) lies within the cone's bound of the
    direction to its centre; the bound is no looser than the block's own spread plus the parallax (1 deg)."""
    from lupex.ephemeris import moon_centred_vectors, time_range

    times = time_range("2028-01-01", "2028-03-01", "1h")
    earth = moon_centred_vectors(times).earth_me_km * 1000.0
    r_max = 1_737_400.0 + 9_000.0
    cones = earth_cone_bounds(earth, 96, r_max)
    assert cones.shape == (-(-len(times) // 96), 4)
    rng = np.random.default_rng(7)
    colat = rng.uniform(0.0, np.radians(12.0), 40)
    lon = rng.uniform(0.0, 2 * np.pi, 40)
    ups = np.stack([np.sin(colat) * np.cos(lon), np.sin(colat) * np.sin(lon), -np.cos(colat)], axis=1)
    radii = rng.uniform(1_727_400.0, r_max, 40)
    unit = earth / np.linalg.norm(earth, axis=1)[:, None]
    worst = 0.0
    for b, (cx, cy, cz, bound) in enumerate(cones):
        t0 = 96 * b
        for up, r in zip(ups, radii, strict=True):
            d = earth[t0 : t0 + 96] - r * up
            d /= np.linalg.norm(d, axis=1)[:, None]
            c = np.array([cx, cy, cz]) - r * up
            c /= np.linalg.norm(c)
            worst = max(worst, float(np.linalg.norm(d - c, axis=1).max() / bound))
        spread = np.linalg.norm(unit[t0 : t0 + 96] - unit[t0 : t0 + 96].mean(axis=0), axis=1).max()
        assert bound <= spread + np.radians(1.0)
    assert 0.5 < worst <= 1.0  # holds, and is not vacuous
