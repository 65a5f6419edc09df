"""Instrument models: neutron spectrometer, GPR, drill/analyser and observe_route.

Sources: Lunar Prospector WEH relation constants c0 30.75, a 0.0256, b 1.0990 (Lawrence et al. 2006, JGR 111,
E08001, as quoted in issue #14); CRIM and normal-incidence reflection (e.g. Daniels 2004, Ground Penetrating Radar);
Chang'e-5 regolith eps' 3.04 (issue #14); Hayne et al. 2017 density.
"""

from __future__ import annotations

import numpy as np
import pytest

from lupex.science.drill import drill_profile, sublimation_loss_fraction
from lupex.science.neutron import (
    column_epithermal_ratio,
    epithermal_ratio,
    neutron_track,
    two_layer_epithermal_ratio,
    weh_from_counts_wt_pct,
    weh_sd_from_counts_wt_pct,
)
from lupex.science.radar import (
    crim_permittivity,
    radar_picks,
    range_resolution_m,
    reflection_coefficient,
    sum_of_wavelets,
    two_way_time_ns,
)
from lupex.science.route import observe_route
from lupex.science.subsurface import subsurface_model

C0 = 30.75


def _uniform(burial_m: float, weh: float = 5.0, n: int = 20):
    x = np.arange(n, dtype=float)
    return subsurface_model(x, x, np.full((n, n), burial_m), seed=1, mean_weh_wt_pct=weh, sd_weh_wt_pct=0.0)


def test_lp_relation_round_trip_and_dry() -> None:
    w = np.array([0.0, 0.5, 1.5, 5.6, 20.0])
    np.testing.assert_allclose(weh_from_counts_wt_pct(C0 * epithermal_ratio(w), C0), w, atol=1e-9)
    assert epithermal_ratio(0.0) == 1.0  # zero WEH gives c0


def test_lp_relation_published_form_mass_fraction() -> None:
    # WEH fraction = (a (c0/C - 1))^b (Lawrence et al. 2006; NASA vipersci nss.uniform_weh returns the fraction):
    # half the dry rate -> 0.0256^1.099 = 0.0178 -> 1.78 wt%; 20 counts/s -> (0.0256 * 0.5375)^1.099 = 0.0089.
    assert float(weh_from_counts_wt_pct(C0 / 2, C0)) == pytest.approx(100 * 0.0256**1.099, rel=1e-9)
    assert float(weh_from_counts_wt_pct(C0 / 2, C0)) == pytest.approx(1.78, abs=0.01)
    assert float(weh_from_counts_wt_pct(20.0, C0)) == pytest.approx(100 * (0.0256 * (C0 / 20 - 1)) ** 1.099, rel=1e-9)
    assert float(weh_from_counts_wt_pct(C0, C0)) == 0.0
    # at ground level 1 wt% suppresses the epithermal rate by about a third
    assert float(epithermal_ratio(1.0)) == pytest.approx(0.63, abs=0.01)


def test_poisson_counts_sd_sqrt_n() -> None:
    n_exp = 1800.0
    counts = np.random.default_rng(0).poisson(n_exp, 20000)
    assert counts.std() == pytest.approx(np.sqrt(n_exp), rel=0.02)
    # propagated WEH sd equals the linearised dW/dC * sqrt(N) at moderate WEH (b = 1.099, a = 0.0256)
    c = C0 * 60 * epithermal_ratio(5.0)
    x = 0.0256 * (C0 * 60 / c - 1)
    linear = 100 * 1.099 * x**0.099 * 0.0256 * C0 * 60 / c**2 * np.sqrt(c)
    assert weh_sd_from_counts_wt_pct(c, C0 * 60) == pytest.approx(linear, rel=0.02)


def test_two_layer_and_column_model_agree() -> None:
    sub = _uniform(0.25)
    col = column_epithermal_ratio(sub.weh_wt_pct[0, 0], sub.depth_step_m)
    assert col == pytest.approx(float(two_layer_epithermal_ratio(5.0, 0.25)), abs=1e-6)
    assert float(two_layer_epithermal_ratio(5.0, np.nan)) == 1.0


def test_neutron_track_dry_ground_reads_near_zero() -> None:
    sub = _uniform(np.nan)
    track = neutron_track(sub, np.full(200, 10.0), np.full(200, 10.0), seed=3, integration_s=60.0)
    assert abs(track.epithermal_counts.mean() - C0 * 60) < 5 * np.sqrt(C0 * 60 / 200)
    assert np.all(track.weh_wt_pct < 3 * track.weh_sd_wt_pct + 1e-9)


def test_two_way_time_and_resolution_closed_form() -> None:
    # 1 m in eps' 4: 2 * 1 * 2 / c = 13.3426 ns; resolution c / (2 * 500 MHz * 2) = 0.14990 m
    assert float(two_way_time_ns(1.0, 4.0)) == pytest.approx(13.342563807926082, abs=1e-9)
    assert float(range_resolution_m(5e8, 4.0)) == pytest.approx(0.149896229, abs=1e-9)


def test_crim_limits() -> None:
    assert float(crim_permittivity(0.0, 0.5, 7.0)) == pytest.approx(7.0)  # no pores: the grain
    assert float(crim_permittivity(1.0, 1.0, 7.0)) == pytest.approx(3.15)  # all ice
    assert float(crim_permittivity(1.0, 0.0, 7.0)) == pytest.approx(1.0)  # all vacuum
    assert float(crim_permittivity(0.5, 1.0, 4.0)) == pytest.approx((0.5 * 2 + 0.5 * np.sqrt(3.15)) ** 2)


def test_reflection_coefficient_known_contrast() -> None:
    assert float(reflection_coefficient(1.0, 9.0)) == pytest.approx(-0.5)  # (1 - 3) / (1 + 3)
    assert float(reflection_coefficient(4.0, 4.0)) == 0.0


@pytest.mark.parametrize("burial_m", [0.2, 0.5, 0.9])
def test_radar_pick_within_resolution(burial_m: float) -> None:
    sub = _uniform(burial_m)
    picks = radar_picks(sub, np.arange(20.0), np.full(20, 5.0), seed=2)
    res = float(range_resolution_m(5e8, 3.04))
    assert np.all(np.abs(picks.depth_m - burial_m) < res)
    np.testing.assert_allclose(picks.depth_sd_m, res)


@pytest.mark.parametrize("frequency_Hz", [5e8, 1.2e8])
def test_sum_of_wavelets_equals_the_dense_sum(frequency_Hz: float) -> None:
    # the support-limited sum against every wavelet evaluated at every sample (Ricker written out here), with delays
    # inside, at the edges of and beyond the time window; the dropped tails are < 4e-17 of each amplitude
    rng = np.random.default_rng(5)
    t = np.arange(-4.0, 40.0, 0.05)
    delay = rng.uniform(-15.0, 55.0, size=(300, 7))
    amp = rng.uniform(-0.5, 0.5, size=(300, 7))
    u = (np.pi * frequency_Hz * 1e-9 * (t[None, :, None] - delay[:, None, :])) ** 2
    dense = np.sum(amp[:, None, :] * (1 - 2 * u) * np.exp(-u), axis=2)
    np.testing.assert_allclose(sum_of_wavelets(t, delay, amp, frequency_Hz), dense, rtol=0, atol=1e-14)


def test_radar_no_ice_no_pick() -> None:
    picks = radar_picks(_uniform(np.nan), np.arange(20.0), np.full(20, 5.0), seed=2)
    assert np.all(np.isnan(picks.depth_m))


def test_drill_cold_sample_recovers_truth_within_analyser_sd() -> None:
    assert float(sublimation_loss_fraction(100.0)) < 1e-9
    assert float(sublimation_loss_fraction(200.0)) == pytest.approx(0.5)
    sub = _uniform(0.0, weh=4.0)
    prof = drill_profile(sub, 5.0, 5.0, seed=5, sample_temperature_K=100.0)
    assert prof.depth_top_m.size == 15
    assert np.all(np.abs(prof.weh_wt_pct - 4.0) < 4 * (0.1 * 4.0 + 0.05))
    assert not prof.below_detection.any()


def test_drill_detection_limit_flagged() -> None:
    prof = drill_profile(_uniform(0.75, weh=4.0), 5.0, 5.0, seed=5, sample_temperature_K=100.0)
    dry = prof.depth_bottom_m <= 0.75
    assert prof.below_detection[dry].all()
    np.testing.assert_allclose(prof.weh_wt_pct[dry], 0.1)
    assert not prof.below_detection[prof.depth_top_m >= 0.75].any()


def test_observe_route_samples_polyline() -> None:
    sub = _uniform(0.3, n=40)
    obs = observe_route(sub, [1.0, 31.0, 31.0], [1.0, 1.0, 21.0], [[10.0, 1.0], [31.0, 15.0]], seed=9)
    assert obs.neutron is not None and obs.radar is not None
    assert obs.neutron.x_m.size == 6  # 50 m of track every 10 m from the start
    assert obs.radar.x_m.size == 101  # every 0.5 m
    assert len(obs.drills) == 2
