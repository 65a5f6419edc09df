"""Tests of the ISRU extraction energy (lupex.science.isru).

Sources: regolith cp polynomial of Hayne et al. 2017 (JGR Planets 122, 2371, eq. A6); ice Ih cp from Giauque &
Stout 1936 (about 0.89 kJ/(kg K) at 100 K, 2.1 kJ/(kg K) at 273 K); latent heat of sublimation 2.83 MJ/kg
(Feistel & Wagner 2007). The hand calculation below integrates the polynomials term by term.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from lupex.errors import InputError
from lupex.science.estimate import EstimatePrior, resource_estimate
from lupex.science.isru import (
    ice_enthalpy_j_kg,
    isru_extraction,
    isru_extraction_from_estimate,
    regolith_enthalpy_j_kg,
    regolith_heat_capacity_j_kg_k,
)
from lupex.science.observations import Observations


def test_energy_per_kg_matches_a_hand_calculation() -> None:
    t0, t1 = 70.0, 240.0
    c = (-3.6125, 2.7431, 2.3616e-3, -1.2340e-5, 8.9093e-9)
    reg = sum(ci * (t1 ** (i + 1) - t0 ** (i + 1)) / (i + 1) for i, ci in enumerate(c))  # [J/kg]
    ice = 185.0 * (t1 - t0) + 7.037 / 2 * (t1**2 - t0**2)  # [J/kg]
    weh = 5.0  # wt%: 20 kg of dry regolith per kg of water
    per_kg = (20.0 * reg + ice + 2.83e6) / (0.5 * 0.7)
    res = isru_extraction(1000.0, weh, 2000.0, regolith_temperature_k=t0, sublimation_temperature_k=t1,
                          thermal_efficiency=0.5, recovery_fraction=0.7)  # fmt: skip
    assert res.regolith_heat_j_per_kg == pytest.approx(20.0 * reg, rel=1e-12)
    assert res.energy_j_per_kg == pytest.approx(per_kg, rel=1e-12)
    assert res.energy_kwh_per_kg == pytest.approx(per_kg / 3.6e6, rel=1e-12)
    assert res.extractable_water_kg == pytest.approx(700.0)
    assert res.extraction_days == pytest.approx(700.0 * per_kg / 2000.0 / 86400.0, rel=1e-12)
    # orders of magnitude: ~74 kJ/kg to warm regolith 70 -> 240 K; ~3.6 kWh per kg of water at 5 wt%
    assert 6e4 < reg < 9e4 and 2.0 < res.energy_kwh_per_kg < 6.0


def test_heat_capacities_against_literature_and_quadrature() -> None:
    assert regolith_heat_capacity_j_kg_k(250.0) == pytest.approx(672.0, abs=2.0)  # Hayne 2017 fig. A1 ~ 670
    assert regolith_enthalpy_j_kg(100.0, 250.0) == pytest.approx(quad(regolith_heat_capacity_j_kg_k, 100.0, 250.0)[0])
    assert ice_enthalpy_j_kg(100.0, 101.0) == pytest.approx(889.0, rel=0.02)  # Giauque & Stout: ~880 J/(kg K)
    assert ice_enthalpy_j_kg(272.0, 273.0) == pytest.approx(2100.0, rel=0.02)


def test_from_estimate_uses_the_p50_and_its_grade() -> None:
    x = np.arange(20) * 5.0
    mask = np.ones((20, 20), bool)
    est = resource_estimate(Observations(), x, x, mask, density_kg_m3=1500.0, n_realisations=100, seed=0)
    res = isru_extraction_from_estimate(est, 1000.0)
    assert res.water_in_place_kg == est.water_mass_p50_kg
    grade = 100 * est.water_mass_p50_kg / (1500.0 * est.volume_m3)
    assert res.weh_wt_pct == pytest.approx(grade)
    assert EstimatePrior().weh_median_wt_pct / 3 < grade < EstimatePrior().weh_median_wt_pct * 3
    empty = resource_estimate(Observations(), x, x, np.zeros((20, 20), bool))
    with pytest.raises(InputError, match="no water"):
        isru_extraction_from_estimate(empty, 1000.0)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((-1.0, 5.0, 1e3), {}),
        ((1.0, 0.0, 1e3), {}),
        ((1.0, 5.0, 0.0), {}),
        ((1.0, 5.0, 1e3), {"thermal_efficiency": 1.5}),
        ((1.0, 5.0, 1e3), {"regolith_temperature_k": 300.0, "sublimation_temperature_k": 250.0}),
    ],
)
def test_bad_arguments_raise_input_error(args: tuple, kwargs: dict) -> None:
    with pytest.raises(InputError):
        isru_extraction(*args, **kwargs)
