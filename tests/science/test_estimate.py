"""Tests of the resource estimate (lupex.science.estimate).

Sources: the prior (5.6 +- 2.9 wt%) is LCROSS, Colaprete et al. 2010 (Science 330, 463); the density profile is
Hayne et al. 2017 (JGR Planets 122, 2371, rho(z) = rho_d - (rho_d - rho_s) exp(-z/H)); the calibration check
follows the usual coverage test of a Bayesian interval (e.g. Cook, Gelman & Rubin 2006): truths drawn from the
prior, observations with the stated noise, the 10-90 % interval must hold the truth in 80 % of trials. The
truth's covariance comes from gstools' Exponential model, independent of the module's own covariance code.
"""

from __future__ import annotations

import gstools as gs
import numpy as np
import pytest

from lupex.errors import InputError
from lupex.science.estimate import (
    DensityProfile,
    EstimatePrior,
    ResourceEstimate,
    column_mass_kg_m2,
    hayne_density_profile,
    resource_estimate,
    value_of_drill_map,
)
from lupex.science.observations import DrillProfile, NeutronTrack, Observations, RadarPicks

PRIOR = EstimatePrior()
CELL_M = 4.0
N = 24
X_M = np.arange(N) * CELL_M
Y_M = np.arange(N) * CELL_M
MASK = np.zeros((N, N), bool)
MASK[4:20, 4:20] = True
DENSITY = 1500.0
DEPTH_M = 1.0
NS_LOG_SD = 0.3
RADAR_SD_M = 0.05


def _truth_factors() -> tuple[np.ndarray, np.ndarray]:
    gx, gy = np.meshgrid(X_M, Y_M)
    r = np.hypot(gx.ravel()[:, None] - gx.ravel()[None, :], gy.ravel()[:, None] - gy.ravel()[None, :])
    out = []
    for var, length in (
        (PRIOR.weh_log_sd**2, PRIOR.weh_corr_length_m),
        (PRIOR.burial_sd_m**2, PRIOR.burial_corr_length_m),
    ):
        model = gs.Exponential(dim=2, var=var, len_scale=length)
        out.append(np.linalg.cholesky(model.covariance(r) + 1e-10 * np.eye(r.shape[0])))
    return out[0], out[1]


L_WEH, L_BURIAL = _truth_factors()


def _truth(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    f = np.log(PRIOR.weh_median_wt_pct) + (L_WEH @ rng.standard_normal(N * N)).reshape(N, N)
    b = PRIOR.burial_mean_m + (L_BURIAL @ rng.standard_normal(N * N)).reshape(N, N)
    return f, b


def _true_mass_kg(f: np.ndarray, b: np.ndarray) -> float:
    thick = DEPTH_M - np.clip(b, 0.0, DEPTH_M)
    return float(np.sum((np.exp(f) / 100.0 * DENSITY * CELL_M**2 * thick)[MASK]))


def _observe(f: np.ndarray, b: np.ndarray, rng: np.random.Generator, drills: list[tuple[int, int]]) -> Observations:
    iy = np.full(N, N // 2)
    ix = np.arange(N)
    weh = np.exp(f[iy, ix] + NS_LOG_SD * rng.standard_normal(N))
    ns = NeutronTrack(X_M[ix], Y_M[iy], weh, NS_LOG_SD * weh, np.ones(N), 60.0)
    depth = b[iy, ix] + RADAR_SD_M * rng.standard_normal(N)
    radar = RadarPicks(X_M[ix], Y_M[iy], depth, np.full(N, RADAR_SD_M))
    profiles = []
    top = np.arange(20) * 0.05
    for jy, jx in drills:
        wet = top + 0.05 > b[jy, jx]
        w = np.where(wet, np.exp(f[jy, jx]) * (1 + 0.05 * rng.standard_normal(20)), 0.05)
        sd = np.where(wet, 0.05 * w, 0.05)
        profiles.append(DrillProfile(X_M[jx], Y_M[jy], top, top + 0.05, w, sd, ~wet))
    return Observations(ns, radar, profiles)


def _estimate(obs: Observations, seed: int, n: int = 200) -> ResourceEstimate:
    return resource_estimate(
        obs, X_M, Y_M, MASK, drill_depth_m=DEPTH_M, density_kg_m3=DENSITY, n_realisations=n, seed=seed
    )


def test_p10_p90_interval_is_calibrated() -> None:
    # 100 truths from the prior: coverage ~ Binomial(100, 0.8), sd 0.04; accept 0.8 +- 3 sd = [0.68, 0.92].
    hits = 0
    n_seeds = 100
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        f, b = _truth(rng)
        est = _estimate(_observe(f, b, rng, []), seed)
        hits += est.water_mass_p10_kg <= _true_mass_kg(f, b) <= est.water_mass_p90_kg
    assert 0.68 <= hits / n_seeds <= 0.92, hits


def test_drill_holes_narrow_the_interval_on_average() -> None:
    drills = [(6, 6), (6, 17), (17, 6), (17, 17)]
    ratios = []
    for seed in range(15):
        rng = np.random.default_rng(1000 + seed)
        f, b = _truth(rng)
        obs0 = _observe(f, b, np.random.default_rng(seed), [])
        obs1 = _observe(f, b, np.random.default_rng(seed), drills)
        e0, e1 = _estimate(obs0, seed), _estimate(obs1, seed)
        ratios.append((e1.water_mass_p90_kg - e1.water_mass_p10_kg) / (e0.water_mass_p90_kg - e0.water_mass_p10_kg))
    assert np.mean(ratios) < 0.9


def test_no_observations_gives_the_prior() -> None:
    est = _estimate(Observations(), 0, n=2000)
    assert np.allclose(est.log_weh_mean, np.log(PRIOR.weh_median_wt_pct))
    assert np.allclose(est.log_weh_sd, PRIOR.weh_log_sd)
    assert np.allclose(est.burial_depth_mean_m, PRIOR.burial_mean_m)
    assert np.allclose(est.burial_depth_sd_m, PRIOR.burial_sd_m)
    assert est.n_weh_observations == 0 and est.n_burial_observations == 0
    # prior expectation of the mass: E[exp f] = median * exp(s^2/2); E[thickness] ~ D - mu (P(b<0) ~ 9 %, small)
    expected = PRIOR.weh_median_wt_pct * np.exp(PRIOR.weh_log_sd**2 / 2) / 100 * DENSITY * MASK.sum() * CELL_M**2
    assert np.mean(est.realisations_kg) == pytest.approx(expected * (DEPTH_M - PRIOR.burial_mean_m), rel=0.1)
    assert est.estimate_class == "inferred" or est.relative_spread > 0.3


def test_observations_pull_the_posterior_towards_the_truth() -> None:
    rng = np.random.default_rng(7)
    f, b = _truth(rng)
    est = _estimate(_observe(f, b, rng, [(12, 12)]), 7)
    row = N // 2
    assert np.all(est.log_weh_sd[row] < PRIOR.weh_log_sd)
    assert np.abs(est.log_weh_mean[row] - f[row]).mean() < np.abs(np.log(PRIOR.weh_median_wt_pct) - f[row]).mean()
    assert np.abs(est.burial_depth_mean_m[row] - b[row]).mean() < 0.05


def test_empty_volume_is_zero_with_a_reason() -> None:
    est = resource_estimate(Observations(), X_M, Y_M, np.zeros((N, N), bool))
    assert est.water_mass_p50_kg == 0.0 and est.water_mass_p10_kg == 0.0 and est.water_mass_p90_kg == 0.0
    assert est.volume_m3 == 0.0 and np.all(est.realisations_kg == 0.0)
    assert est.estimate_class == "none" and "no ice-stable cell" in est.upgrade_note
    vmap = value_of_drill_map(Observations(), X_M, Y_M, np.zeros((N, N), bool))
    assert np.all(vmap.mass_variance_reduction_kg2 == 0.0)


def test_class_labels_follow_the_relative_spread() -> None:
    rng = np.random.default_rng(3)
    f, b = _truth(rng)
    est = _estimate(_observe(f, b, rng, []), 3)
    spread = (est.water_mass_p90_kg - est.water_mass_p10_kg) / est.water_mass_p50_kg
    assert est.relative_spread == pytest.approx(spread)
    expected = "inferred" if spread > 1 else ("indicated" if spread >= 0.3 else "measured")
    assert est.estimate_class == expected and est.upgrade_note


def test_value_of_drill_is_low_at_a_drilled_cell_and_high_away_from_data() -> None:
    rng = np.random.default_rng(11)
    f, b = _truth(rng)
    obs = _observe(f, b, rng, [(6, 6)])
    vmap = value_of_drill_map(obs, X_M, Y_M, MASK, drill_depth_m=DEPTH_M, density_kg_m3=DENSITY)
    red = vmap.mass_variance_reduction_kg2
    assert red.shape == (N, N) and np.all(red >= 0) and np.all(red <= vmap.mass_sd_kg**2 + 1e-6)
    assert red[6, 6] < 0.2 * red.max()  # already drilled
    assert red[N // 2, 12] < red.max()  # on the neutron/radar line
    iy, _ = np.unravel_index(np.argmax(red), red.shape)
    assert abs(iy - N // 2) > 2  # the best new hole is off the track
    assert np.all(vmap.p10_p90_width_reduction_kg >= 0)


def test_thinning_keeps_at_most_the_limit() -> None:
    n = 2000
    t = np.linspace(0.0, 1.0, n)
    x, y = 90 * t, 40 + 10 * np.sin(5 * t)
    weh = np.full(n, 5.0)
    obs = Observations(
        NeutronTrack(x, y, weh, 0.5 * weh, np.ones(n), 10.0), RadarPicks(x, y, np.full(n, 0.3), np.full(n, 0.1))
    )
    est = resource_estimate(obs, X_M, Y_M, MASK, max_track_observations=100, n_realisations=50, seed=0)
    assert est.n_weh_observations == 100 and est.n_burial_observations == 100
    # 2000 observations of ln 5 with sd 0.5 averaged: the track is pinned near ln 5
    assert est.log_weh_mean[10, 10] == pytest.approx(np.log(5.0), abs=0.05)


def test_default_size_case_gives_ordered_percentiles_of_200_realisations() -> None:
    # its time is benchmarks/bench_science.py's (the whole stage), not a timed test
    rng = np.random.default_rng(0)
    x = np.arange(150) * 2.0
    mask = np.zeros((150, 150), bool)
    mask[20:130, 20:130] = True
    t = np.linspace(0.0, 1.0, 1500)
    tx, ty = 10 + 280 * t, 150 + 80 * np.sin(6 * t)
    weh = np.exp(np.log(5.6) + 0.3 * rng.standard_normal(t.size))
    obs = Observations(
        NeutronTrack(tx, ty, weh, 0.3 * weh, np.ones(t.size), 10.0),
        RadarPicks(tx, ty, 0.2 + 0.05 * rng.standard_normal(t.size), np.full(t.size, 0.05)),
    )
    est = resource_estimate(obs, x, x, mask, seed=0)
    assert est.realisations_kg.size == 200 and est.water_mass_p10_kg < est.water_mass_p50_kg < est.water_mass_p90_kg


def test_density_profile_column_mass_matches_the_hayne_integral() -> None:
    rho_s, rho_d, h = 1100.0, 1800.0, 0.07
    prof = hayne_density_profile(rho_s, rho_d, h)
    z = np.array([0.0, 0.05, 0.5, 1.0, 6.0])
    exact = rho_d * z - (rho_d - rho_s) * h * (1 - np.exp(-z / h))
    assert np.allclose(column_mass_kg_m2(prof, z), exact, rtol=1e-4)
    assert np.allclose(column_mass_kg_m2(1500.0, z), 1500.0 * z)


@pytest.mark.parametrize(
    "kwargs",
    [{"drill_depth_m": 0.0}, {"n_realisations": 5}, {"density_kg_m3": -1.0}, {"prior": EstimatePrior(weh_log_sd=0.0)}],
)
def test_bad_arguments_raise_input_error(kwargs: dict) -> None:
    with pytest.raises(InputError):
        resource_estimate(Observations(), X_M, Y_M, MASK, **kwargs)


def test_bad_grid_and_profile_raise_input_error() -> None:
    with pytest.raises(InputError, match="volume_mask"):
        resource_estimate(Observations(), X_M, Y_M, MASK.astype(int))
    with pytest.raises(InputError, match="density profile"):
        column_mass_kg_m2(DensityProfile(np.array([0.1, 0.2]), np.array([1.0, 2.0])), [0.5])
