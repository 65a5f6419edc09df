"""Radio link fundamentals shared by the direct-to-Earth budget and the lander relay (one copy of each formula).

All quantities in SI; decibel quantities carry ``_dB`` (ratios), ``_dBi`` (antenna gain over isotropic),
``_dBW`` (power re 1 W), ``_dB_K`` (G/T re 1 K^-1) or ``_dBHz`` in their names.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "BOLTZMANN_dBW_K_Hz",
    "antenna_gain_dBi",
    "db_to_linear",
    "free_space_loss_dB",
    "linear_to_db",
    "wavelength_m",
]

#: Speed of light in vacuum [m/s] (exact, SI).
SPEED_OF_LIGHT_M_S = 299_792_458.0
#: Boltzmann's constant, 10 log10(1.380649e-23 J/K) = -228.5991 [dBW/(K Hz)] (exact SI value of k).
BOLTZMANN_dBW_K_Hz = 10.0 * math.log10(1.380649e-23)


def wavelength_m(frequency_Hz: float) -> float:
    """Wavelength [m] of a carrier of ``frequency_Hz`` [Hz]."""
    return SPEED_OF_LIGHT_M_S / frequency_Hz


def free_space_loss_dB(distance_m: ArrayLike, frequency_Hz: float) -> NDArray[np.float64]:
    """Free-space path loss ``20 log10(4 pi d / lambda)`` [dB] at ``distance_m`` [m] and ``frequency_Hz`` [Hz]."""
    d = np.asarray(distance_m, dtype=np.float64)
    return 20.0 * np.log10(4.0 * np.pi * d / wavelength_m(frequency_Hz))


def antenna_gain_dBi(diameter_m: float, frequency_Hz: float, efficiency: float) -> float:
    """Gain of a circular aperture ``eta (pi D / lambda)^2`` [dBi] (diameter [m], frequency [Hz], efficiency [-])."""
    return 10.0 * math.log10(efficiency * (math.pi * diameter_m / wavelength_m(frequency_Hz)) ** 2)


def db_to_linear(value_dB: ArrayLike) -> NDArray[np.float64]:
    """``10^(x/10)``."""
    return np.power(10.0, np.asarray(value_dB, dtype=np.float64) / 10.0)


def linear_to_db(value: ArrayLike) -> NDArray[np.float64]:
    """``10 log10(x)``."""
    return 10.0 * np.log10(np.asarray(value, dtype=np.float64))
