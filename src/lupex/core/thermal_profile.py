"""Starting temperature profiles for the regolith column model (spin-up), SI units."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["equilibrium_profile_K"]

_SIGMA = 5.670374419e-8  # Stefan-Boltzmann constant [W m-2 K-4] (CODATA 2018)
_RADIATIVE_REFERENCE_K = 350.0


def equilibrium_profile_K(
    mean_absorbed_W_m2: NDArray[np.float64],
    z_m: NDArray[np.float64],
    conductivity_W_m_K: NDArray[np.float64],
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
) -> NDArray[np.float64]:
    """Temperature profile (n_nodes, n_cells) in equilibrium with a mean absorbed flux and the geothermal flux.

    The surface is at the radiative equilibrium ``eps sigma T0^4 = Q_mean + Q_b``; below it the steady
    conduction profile carries ``Q_b`` upward: ``T(z) = T0 + Q_b int_0^z dz' / K(z')`` with
    ``K = Kc(z) (1 + chi (T0/350)^3)``. This neglects the diurnal rectification (the mean temperature at depth
    exceeds the surface mean by up to ~40 K at the equator, a few K where the Sun stays low), which the
    spin-up removes in the layers it reaches.

    Parameters
    ----------
    mean_absorbed_W_m2 : (n_cells,)
        Mean absorbed flux per cell [W m-2] (NaN allowed: gives NaN columns).
    z_m, conductivity_W_m_K : (n_nodes,)
        Node depths [m] and contact conductivity ``Kc`` [W m-1 K-1].
    emissivity, geothermal_W_m2, chi : float
        Emissivity [-], basal heat flow [W m-2], radiative conductivity parameter [-].
    """
    q = np.maximum(np.asarray(mean_absorbed_W_m2, dtype=np.float64), 0.0)
    t0 = ((q + geothermal_W_m2) / (emissivity * _SIGMA)) ** 0.25
    z = np.asarray(z_m, dtype=np.float64)
    kc = np.asarray(conductivity_W_m_K, dtype=np.float64)
    k = kc[:, None] * (1.0 + chi * (t0[None, :] / _RADIATIVE_REFERENCE_K) ** 3)
    inv_k = 1.0 / k
    dz = np.diff(z)[:, None]
    resistance = np.vstack([np.zeros((1, q.size)), np.cumsum(0.5 * (inv_k[1:] + inv_k[:-1]) * dz, axis=0)])
    return np.ascontiguousarray(t0[None, :] + geothermal_W_m2 * resistance)
