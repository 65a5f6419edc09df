"""ISRU view of a resource estimate: energy and time to extract the water thermally.

The regolith (dry mass ``1 / w`` per kg of water at grade ``w = WEH / 100``, the convention of
:mod:`lupex.science.estimate`) and its ice are heated from the cold-trap temperature to the sublimation
temperature, the ice sublimates (latent heat), and an efficiency covers the heat that does not reach the
regolith and the water that is not captured. Model card: ``docs/models/ice_estimate.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lupex.defaults import DEFAULTS
from lupex.errors import InputError
from lupex.science.estimate import ResourceEstimate

__all__ = [
    "IsruExtraction",
    "ice_enthalpy_j_kg",
    "isru_extraction",
    "isru_extraction_from_estimate",
    "regolith_enthalpy_j_kg",
    "regolith_heat_capacity_j_kg_k",
]

# Hayne et al. (2017, JGR Planets 122, 2371, eq. A6): cp(T) = sum c_i T^i of lunar regolith [J/(kg K)],
# a fit to Hemingway et al. (1981) and Ledlow et al. (1992) laboratory data; coefficients c0..c4.
_HAYNE_CP = (-3.6125, 2.7431, 2.3616e-3, -1.2340e-5, 8.9093e-9)
# Ice Ih: cp ~ 185 + 7.037 T [J/(kg K)], a linear fit (ours) to Giauque & Stout (1936) between 100 and 273 K.
_ICE_CP = (185.0, 7.037)
_SECONDS_PER_DAY = 86400.0
_J_PER_KWH = 3.6e6


def _d(name: str) -> float:
    return float(DEFAULTS[name].value)


@dataclass(frozen=True)
class IsruExtraction:
    """Energy and time to extract water thermally.

    Attributes
    ----------
    weh_wt_pct : float
        Grade of the feed [wt%, water per dry regolith].
    regolith_temperature_k, sublimation_temperature_k : float
        Start and end temperatures [K].
    regolith_heat_j_per_kg : float
        Sensible heat of the dry regolith per kg of water present [J/kg].
    ice_heat_j_per_kg : float
        Sensible heat of the ice per kg of water present [J/kg].
    latent_heat_j_per_kg : float
        Latent heat of sublimation [J/kg].
    energy_j_per_kg, energy_kwh_per_kg : float
        Input energy per kg of water extracted, efficiencies included [J/kg], [kWh/kg].
    thermal_efficiency, recovery_fraction : float
        Fraction of the input energy that heats the feed; fraction of the water present that is captured [1].
    water_in_place_kg, extractable_water_kg : float
        Water in place and the part captured [kg].
    energy_total_j : float
        Input energy to extract ``extractable_water_kg`` [J].
    power_w : float
        Power available to the plant or rover [W].
    extraction_days : float
        Days of continuous operation at ``power_w`` [d].
    """

    weh_wt_pct: float
    regolith_temperature_k: float
    sublimation_temperature_k: float
    regolith_heat_j_per_kg: float
    ice_heat_j_per_kg: float
    latent_heat_j_per_kg: float
    energy_j_per_kg: float
    energy_kwh_per_kg: float
    thermal_efficiency: float
    recovery_fraction: float
    water_in_place_kg: float
    extractable_water_kg: float
    energy_total_j: float
    power_w: float
    extraction_days: float


def regolith_heat_capacity_j_kg_k(temperature_k: float) -> float:
    """Specific heat of lunar regolith, Hayne et al. (2017) polynomial [J/(kg K)].

    Parameters
    ----------
    temperature_k : float
        Temperature [K] (the fit is for about 20-400 K).

    Returns
    -------
    float [J/(kg K)]
    """
    return float(np.polynomial.polynomial.polyval(temperature_k, _HAYNE_CP))


def _integral(coeffs: tuple[float, ...], t0: float, t1: float) -> float:
    poly = np.polynomial.Polynomial(coeffs).integ()
    return float(poly(t1) - poly(t0))


def _check_temperatures(t0_k: float, t1_k: float) -> None:
    if not (np.isfinite(t0_k) and np.isfinite(t1_k) and 20.0 <= t0_k <= t1_k <= 400.0):
        raise InputError(f"temperatures: need 20 K <= start <= end <= 400 K, got {t0_k} K and {t1_k} K")


def regolith_enthalpy_j_kg(t0_k: float, t1_k: float) -> float:
    """Heat to warm 1 kg of dry regolith from ``t0_k`` to ``t1_k`` (integral of the Hayne cp) [J/kg]."""
    _check_temperatures(t0_k, t1_k)
    return _integral(_HAYNE_CP, t0_k, t1_k)


def ice_enthalpy_j_kg(t0_k: float, t1_k: float) -> float:
    """Heat to warm 1 kg of ice Ih from ``t0_k`` to ``t1_k`` (linear cp fit to Giauque & Stout 1936) [J/kg]."""
    _check_temperatures(t0_k, t1_k)
    return _integral(_ICE_CP, t0_k, t1_k)


def isru_extraction(
    water_mass_kg: float,
    weh_wt_pct: float,
    power_w: float,
    *,
    regolith_temperature_k: float = _d("estimate_isru_regolith_temperature_k"),
    sublimation_temperature_k: float = _d("estimate_isru_sublimation_temperature_k"),
    latent_heat_j_kg: float = _d("estimate_isru_latent_heat_j_kg"),
    thermal_efficiency: float = _d("estimate_isru_thermal_efficiency"),
    recovery_fraction: float = _d("estimate_isru_recovery_fraction"),
) -> IsruExtraction:
    """Energy per kg and days to extract water from ice-bearing regolith by heating.

    Parameters
    ----------
    water_mass_kg : float
        Water in place [kg] (e.g. the P50 of a resource estimate).
    weh_wt_pct : float
        Grade [wt%, water per dry regolith].
    power_w : float
        Power available [W].
    regolith_temperature_k, sublimation_temperature_k : float
        Start and end temperatures [K].
    latent_heat_j_kg : float
        Latent heat of sublimation [J/kg].
    thermal_efficiency, recovery_fraction : float
        In (0, 1] [1].

    Returns
    -------
    IsruExtraction
    """
    if not (np.isfinite(water_mass_kg) and water_mass_kg >= 0):
        raise InputError(f"water_mass_kg must be >= 0, got {water_mass_kg}")
    if not (np.isfinite(weh_wt_pct) and weh_wt_pct > 0):
        raise InputError(f"weh_wt_pct must be > 0, got {weh_wt_pct}")
    if not (np.isfinite(power_w) and power_w > 0):
        raise InputError(f"power_w must be > 0, got {power_w}")
    if not (0 < thermal_efficiency <= 1 and 0 < recovery_fraction <= 1):
        raise InputError("thermal_efficiency and recovery_fraction must be in (0, 1]")
    if not latent_heat_j_kg > 0:
        raise InputError(f"latent_heat_j_kg must be > 0, got {latent_heat_j_kg}")
    regolith = regolith_enthalpy_j_kg(regolith_temperature_k, sublimation_temperature_k) * 100.0 / weh_wt_pct
    ice = ice_enthalpy_j_kg(regolith_temperature_k, sublimation_temperature_k)
    per_kg = (regolith + ice + latent_heat_j_kg) / (thermal_efficiency * recovery_fraction)
    extractable = recovery_fraction * water_mass_kg
    total = per_kg * extractable
    return IsruExtraction(
        weh_wt_pct, regolith_temperature_k, sublimation_temperature_k, regolith, ice, latent_heat_j_kg, per_kg,
        per_kg / _J_PER_KWH, thermal_efficiency, recovery_fraction, float(water_mass_kg), extractable, total,
        power_w, total / power_w / _SECONDS_PER_DAY,
    )  # fmt: skip


def isru_extraction_from_estimate(estimate: ResourceEstimate, power_w: float, **kwargs: float) -> IsruExtraction:
    """:func:`isru_extraction` of the P50 water mass at the volume's mean grade (P50 over its regolith mass).

    Parameters
    ----------
    estimate : ResourceEstimate
        With a P50 above zero.
    power_w : float
        Power available [W].
    **kwargs
        Temperatures and efficiencies passed on to :func:`isru_extraction`.

    Returns
    -------
    IsruExtraction
    """
    regolith_kg = estimate.mean_density_kg_m3 * estimate.volume_m3
    if not (estimate.water_mass_p50_kg > 0 and regolith_kg > 0):
        raise InputError(f"estimate: no water to extract ({estimate.upgrade_note})")
    weh = 100.0 * estimate.water_mass_p50_kg / regolith_kg
    return isru_extraction(estimate.water_mass_p50_kg, weh, power_w, **kwargs)
