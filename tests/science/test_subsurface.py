"""Subsurface truth model: conditioning on the ice-stability depth, prior statistics, density profile, water mass.

Sources: Hayne et al. 2017 (JGR Planets 122, 2371) density profile; LCROSS prior 5.6 +- 2.9 wt% (Colaprete et al.
2010, Science 330, 463).
"""

from __future__ import annotations

import numpy as np
import pytest

from lupex.errors import InputError
from lupex.science.subsurface import regolith_density_kg_m3, subsurface_model

X_M = np.arange(200, dtype=float)
Y_M = np.arange(200, dtype=float)[::-1]


def _burial() -> np.ndarray:
    b = np.full((200, 200), 0.32)
    b[:, :50] = np.nan
    return b


def test_ice_only_below_stability_depth_and_where_finite() -> None:
    sub = subsurface_model(X_M, Y_M, _burial(), seed=4)
    assert sub.weh_wt_pct.shape == (200, 200, 30)
    assert np.all(sub.weh_wt_pct[:, :50, :] == 0.0)
    assert np.all(sub.weh_wt_pct[:, 50:, sub.depth_m < 0.30] == 0.0)
    assert np.all(sub.weh_wt_pct[:, 50:, sub.depth_m > 0.35] > 0.0)


def test_seeded_reproducible_and_seed_matters() -> None:
    a = subsurface_model(X_M[:40], Y_M[:30], np.zeros((30, 40)), seed=7)
    b = subsurface_model(X_M[:40], Y_M[:30], np.zeros((30, 40)), seed=7)
    c = subsurface_model(X_M[:40], Y_M[:30], np.zeros((30, 40)), seed=8)
    np.testing.assert_array_equal(a.weh_wt_pct, b.weh_wt_pct)
    assert not np.array_equal(a.weh_wt_pct, c.weh_wt_pct)


def test_lognormal_field_matches_prior_mean() -> None:
    # Short correlation length on a large grid: the sample mean is close to the prior mean 5.6 wt% (LCROSS).
    sub = subsurface_model(X_M, Y_M, np.zeros((200, 200)), seed=1, correlation_length_m=3.0)
    w = sub.weh_wt_pct[:, :, -1]
    assert abs(w.mean() - 5.6) < 0.6
    assert w.min() > 0.0


def test_density_profile_hayne() -> None:
    rho = regolith_density_kg_m3([0.0, 0.06, 10.0])
    np.testing.assert_allclose(rho, [1100.0, 1800.0 - 700.0 / np.e, 1800.0], atol=0.01)


def test_water_mass_uniform_layer_closed_form() -> None:
    sub = subsurface_model(X_M[:10], Y_M[:10], np.zeros((10, 10)), seed=1, sd_weh_wt_pct=0.0, mean_weh_wt_pct=2.0)
    # closed form: 0.02 * integral of rho over 0..0.5 m * 100 m2, integral by fine quadrature
    z = np.linspace(0, 0.5, 200001)
    expected = 0.02 * np.trapezoid(regolith_density_kg_m3(z), z) * 100.0
    got = sub.water_mass_kg(depth_max_m=0.5)
    assert got == pytest.approx(expected, rel=0.01)  # bin-centre density on 5 cm bins
    mask = np.zeros((10, 10), dtype=bool)
    mask[:5] = True
    assert sub.water_mass_kg(mask, depth_max_m=0.5) == pytest.approx(got / 2, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [{"mean_weh_wt_pct": -1.0}, {"mean_weh_wt_pct": 101.0}, {"correlation_length_m": 0.0}, {"seed": 1.5}],
)
def test_refuses_bad_inputs(kwargs: dict) -> None:
    args = {"seed": 1} | kwargs
    with pytest.raises(InputError):
        subsurface_model(X_M[:5], Y_M[:5], np.zeros((5, 5)), **args)


def test_refuses_wrong_shape_and_negative_depth() -> None:
    with pytest.raises(InputError, match="ice_stability_depth_m"):
        subsurface_model(X_M[:5], Y_M[:5], np.zeros((4, 5)), seed=1)
    with pytest.raises(InputError, match="ice_stability_depth_m"):
        subsurface_model(X_M[:5], Y_M[:5], -np.ones((5, 5)), seed=1)
