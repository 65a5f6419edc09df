"""1-D regolith heat conduction (Hayne et al. 2017, JGR Planets 122:2371, Appendix A): grid, properties, kernel.

Physics (SI units, depth ``z`` positive downward; docs/models/thermal.md):

* density ``rho(z) = rho_d - (rho_d - rho_s) exp(-z / H)``, contact conductivity
  ``Kc(z) = K_d - (K_d - K_s) exp(-z / H)``;
* conductivity ``K = Kc (1 + chi (T / 350 K)^3)`` (radiative conductivity between grains);
* heat capacity ``cp(T) = c0 + c1 T + c2 T^2 + c3 T^3 + c4 T^4`` [J kg-1 K-1] (:data:`HEAT_CAPACITY_COEFFS`);
* the surface is a skin without heat capacity in energy balance, ``eps sigma Ts^4 = Q + K dT/dz|0``;
* the geothermal flux ``Q_b`` enters the column at the bottom.

Numerics (finite volumes on a non-uniform grid):

* node 0 is the surface skin; node ``i >= 1`` stores heat in a control volume of thickness ``thickness_m[i]``
  (by default the layer ``[0, (z_1 + z_2) / 2]`` for node 1, so no heat capacity is lost near the surface,
  and half of the last layer for the bottom node, where ``Q_b`` enters);
* the conductive flux between nodes ``i`` and ``i + 1`` is ``k_{i+1/2} (T_{i+1} - T_i) / (z_{i+1} - z_i)`` with
  ``k_{i+1/2}`` the mean of the two nodes' conductivities;
* time stepping is Crank-Nicolson for the subsurface nodes, with ``K`` and ``cp`` lagged at the old time
  level; the surface balance is imposed fully implicitly at the new time level: eliminating the tridiagonal
  system from the bottom up leaves one scalar equation ``eps sigma Ts^4 + a Ts = c`` for the new surface
  temperature, solved exactly by Newton's method from an upper bound (monotone convergence), then the profile is
  back-substituted downward. No linearisation error at sunrise, and the surface (no heat capacity) cannot ring.

The kernel :func:`advance_columns` processes many independent columns. The state is laid out ``(nz, n_cells)``
(structure of arrays): every thread takes blocks of :data:`BLOCK_CELLS` columns and runs the Thomas sweeps with
the innermost loop over the block's columns (unit stride, vectorised by LLVM).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numba
import numpy as np
from numba.core.extending import register_jitable
from numpy.typing import ArrayLike, NDArray

from lupex.errors import InputError

__all__ = [
    "BLOCK_CELLS",
    "HEAT_CAPACITY_COEFFS",
    "LIVE_DEPTH_M",
    "PROPERTY_REFRESH_S",
    "RADIATIVE_REFERENCE_K",
    "STEFAN_BOLTZMANN_W_M2_K4",
    "SYNODIC_MONTH_S",
    "ColumnStatistics",
    "RegolithGrid",
    "advance_columns",
    "albedo_at_incidence",
    "correct_mean_profile",
    "equilibrium_mean_profile_K",
    "heat_capacity_J_kg_K",
    "initial_profile_K",
    "integrate_columns",
    "radiative_potential_K",
    "regolith_grid",
    "spin_up_columns",
]

#: Stefan-Boltzmann constant [W m-2 K-4] (CODATA 2018, exact).
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8
#: Mean synodic month, the lunar solar day [s] (29.530589 d; Meeus, Astronomical Algorithms, ch. 49).
SYNODIC_MONTH_S = 29.530589 * 86400.0
#: Coefficients c0..c4 of the regolith heat capacity polynomial [J kg-1 K-1 / K^k] (Hayne et al. 2017 App. A,
#: fit to Ledlow et al. 1992 and Hemingway et al. 1981; valid above ~10 K).
HEAT_CAPACITY_COEFFS = np.array([-3.6125, 2.7431, 2.3616e-3, -1.2340e-5, 8.9093e-9])
#: Reference temperature of the radiative conductivity term [K] (Hayne et al. 2017 App. A).
RADIATIVE_REFERENCE_K = 350.0
#: Heat capacity used only to size the grid's skin depth [J kg-1 K-1] (``cp0`` of heat1d's planets.Moon).
GRID_HEAT_CAPACITY_J_KG_K = 600.0
#: Columns per block in :func:`advance_columns` (one thread works on one block at a time).
BLOCK_CELLS = 64
#: Nodes at or below this depth keep their conductivity and heat capacity for :data:`PROPERTY_REFRESH_S` [m]:
#: there the diurnal temperature swing is below ~1 K, so the properties change by < 1 % over a day.
LIVE_DEPTH_M = 0.3
#: Interval at which the properties of the deep nodes are recomputed (and at the start of every call) [s].
PROPERTY_REFRESH_S = 86400.0
#: Newton iterations of the surface balance. They start from the smaller of two upper bounds of the root
#: (radiation alone, conduction alone), at most 1.38 times the root; the relative error after 4 iterations is
#: below 1e-7 (Newton converges monotonically from above on this convex function).
_SURFACE_NEWTON_ITERATIONS = 4


class RegolithGrid(NamedTuple):
    """Nodes and depth-dependent properties of a regolith column (result of :func:`regolith_grid`).

    Attributes
    ----------
    z_m : float64 (nz,)
        Node depths, ``z_m[0] = 0`` (the surface skin), increasing. [m]
    thickness_m : float64 (nz,)
        Thickness of each node's control volume (heat storage); 0 for the surface skin. [m]
    density_kg_m3 : float64 (nz,)
        Bulk density at the nodes. [kg m-3]
    conductivity_W_m_K : float64 (nz,)
        Contact (phonon) conductivity ``Kc`` at the nodes, before the radiative factor. [W m-1 K-1]
    skin_depth_m : float
        Diurnal skin depth ``sqrt(kappa P / pi)`` with surface properties, which set the top layer. [m]
    """

    z_m: NDArray[np.float64]
    thickness_m: NDArray[np.float64]
    density_kg_m3: NDArray[np.float64]
    conductivity_W_m_K: NDArray[np.float64]
    skin_depth_m: float


def _positive(name: str, value: float, hint: str) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise InputError(f"{name} {value!r} must be a positive finite number; {hint}")
    return value


def regolith_grid(
    h_param_m: float,
    density_surface_kg_m3: float,
    density_deep_kg_m3: float,
    conductivity_surface_W_m_K: float,
    conductivity_deep_W_m_K: float,
    period_s: float = SYNODIC_MONTH_S,
    bottom_m: float = 2.5,
    layers_per_skin: int = 10,
    growth: float = 1.2,
    skin_depths: float = 20.0,
) -> RegolithGrid:
    """Non-uniform node grid and depth profiles of density and contact conductivity (Hayne et al. 2017, App. A).

    Parameters
    ----------
    h_param_m : float
        e-folding depth ``H`` of density and conductivity. [m]
    density_surface_kg_m3, density_deep_kg_m3 : float
        ``rho_s`` at the surface and ``rho_d`` at depth (z >> H). [kg m-3]
    conductivity_surface_W_m_K, conductivity_deep_W_m_K : float
        Contact conductivity ``K_s`` at the surface and ``K_d`` at depth. [W m-1 K-1]
    period_s : float, default one synodic month
        Forcing period that sets the skin depth ``zs = sqrt(kappa P / pi)``, ``kappa = K_s / (rho_s 600)``. [s]
    bottom_m : float, default 2.5
        Minimum depth of the bottom node. [m]
    layers_per_skin : int, default 10
        The top layer is ``zs / layers_per_skin`` thick.
    growth : float, default 1.2
        Ratio of consecutive layer thicknesses (``1 + 1/5`` as in Hayne et al. 2017).
    skin_depths : float, default 20
        The bottom node also lies at least this many skin depths deep.

    Returns
    -------
    RegolithGrid
        Nodes ``z_m`` (the bottom is the first node at or below ``max(bottom_m, skin_depths zs)``), control
        volume thicknesses, density and contact conductivity at the nodes, and ``zs``.
    """
    h = _positive("h_param_m", h_param_m, "give the e-folding depth of density and conductivity in metres")
    rho_s = _positive("density_surface_kg_m3", density_surface_kg_m3, "give kg/m3 (e.g. 1100)")
    rho_d = _positive("density_deep_kg_m3", density_deep_kg_m3, "give kg/m3 (e.g. 1800)")
    k_s = _positive("conductivity_surface_W_m_K", conductivity_surface_W_m_K, "give W/(m K) (e.g. 7.4e-4)")
    k_d = _positive("conductivity_deep_W_m_K", conductivity_deep_W_m_K, "give W/(m K) (e.g. 3.4e-3)")
    period = _positive("period_s", period_s, "give the forcing period in seconds")
    bottom = _positive("bottom_m", bottom_m, "give the depth of the lowest node in metres")
    if int(layers_per_skin) != layers_per_skin or layers_per_skin < 1:
        raise InputError(f"layers_per_skin {layers_per_skin!r} must be a positive integer (e.g. 10)")
    if not (math.isfinite(growth) and 1.0 <= growth <= 2.0):
        raise InputError(f"growth {growth!r} must lie in [1, 2]; 1.2 is the usual layer thickness ratio")
    skin_depths = _positive("skin_depths", skin_depths, "give the minimum bottom depth in skin depths (e.g. 20)")
    kappa = k_s / (rho_s * GRID_HEAT_CAPACITY_J_KG_K)
    zs = math.sqrt(kappa * period / math.pi)
    z_bottom = max(bottom, skin_depths * zs)
    dz = zs / layers_per_skin
    depths = [0.0]
    while depths[-1] < z_bottom or len(depths) < 4:
        depths.append(depths[-1] + dz)
        dz *= growth
    z = np.array(depths)
    gaps = np.diff(z)
    thickness = np.zeros_like(z)
    thickness[1] = gaps[0] + 0.5 * gaps[1]
    thickness[2:-1] = 0.5 * (gaps[1:-1] + gaps[2:])
    thickness[-1] = 0.5 * gaps[-1]
    decay = np.exp(-z / h)
    return RegolithGrid(
        z_m=z,
        thickness_m=thickness,
        density_kg_m3=rho_d - (rho_d - rho_s) * decay,
        conductivity_W_m_K=k_d - (k_d - k_s) * decay,
        skin_depth_m=zs,
    )


@register_jitable
def albedo_at_incidence(theta_rad: float, a0: float, a: float, b: float) -> float:
    """Bolometric albedo at solar incidence angle ``theta_rad`` [-] (Hayne et al. 2017 Eq. A5; Keihm 1984).

    ``A = a0 + a (theta / (pi/4))^3 + b (theta / (pi/2))^8`` with ``theta`` in [rad] (0 = Sun at the normal).
    """
    x = theta_rad * (4.0 / math.pi)
    y = theta_rad * (2.0 / math.pi)
    y2 = y * y
    y4 = y2 * y2
    return a0 + a * x * x * x + b * y4 * y4


@register_jitable
def heat_capacity_J_kg_K(temperature_K: float, coeffs: NDArray[np.float64]) -> float:
    """``cp(T) = c0 + c1 T + ... + c4 T^4`` [J kg-1 K-1] for coefficients ``coeffs`` (c0..c4)."""
    t = temperature_K
    return coeffs[0] + t * (coeffs[1] + t * (coeffs[2] + t * (coeffs[3] + t * coeffs[4])))


# work array slots: per node i, W[i, slot, j] for the block's column j
_T = 0  # temperature [K]
_P = 1  # elimination: T_i = P_i + S_i T_{i-1}
_S = 2
_K = 3  # conductivity K_i [W m-1 K-1]
_H = 4  # h_{i-1} = k_{i-1/2} / (2 (z_i - z_{i-1})) of row i [W m-2 K-1]
_M = 5  # deep rows: storage rho cp V / dt [W m-2 K-1]
_INV = 6  # deep rows: 1 / pivot
_ZMAX_A = 7  # running maximum of T_i (two slots, written alternately)
_ZMAX_B = 8
_ZSUM = 9  # running sum of T_i over this call
_N_SLOTS = 10
# slots of the extra row ``n_nodes`` of the work array: surface temperature statistics
_MIN_A = 0
_MIN_B = 1
_MAX_A = 2
_MAX_B = 3
_SUM = 4


@numba.njit(cache=True, parallel=True, fastmath=True)
def advance_columns(
    T_K: NDArray[np.floating],
    absorbed_W_m2: NDArray[np.floating],
    dt_s: float,
    z_m: NDArray[np.float64],
    thickness_m: NDArray[np.float64],
    density_kg_m3: NDArray[np.float64],
    conductivity_W_m_K: NDArray[np.float64],
    heat_capacity_coeffs: NDArray[np.float64],
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
    accumulate: bool,
    ts_min_K: NDArray[np.float64],
    ts_max_K: NDArray[np.float64],
    ts_sum_K: NDArray[np.float64],
    tz_max_K: NDArray[np.float64],
    tz_sum_K: NDArray[np.float64],
    ts_series_K: NDArray[np.floating],
    live_depth_m: float,
) -> None:
    n_nodes, n_cells = T_K.shape
    n_steps = absorbed_W_m2.shape[1]
    want_series = ts_series_K.shape[0] > 0
    # nodes n_live.. (z >= live_depth_m) keep their K and cp, and so their elimination coefficients, for
    # refresh_steps steps (about a day); the nodes above are recomputed every step
    n_live = 1
    while n_live < n_nodes - 1 and z_m[n_live] < live_depth_m:
        n_live += 1
    refresh_steps = max(1, int(PROPERTY_REFRESH_S / dt_s)) if math.isfinite(live_depth_m) else 1
    # scalar constants in the state's precision (float32 or float64), so that no expression is widened
    cst = np.empty(12, dtype=T_K.dtype)
    cst[0] = heat_capacity_coeffs[0]
    cst[1] = heat_capacity_coeffs[1]
    cst[2] = heat_capacity_coeffs[2]
    cst[3] = heat_capacity_coeffs[3]
    cst[4] = heat_capacity_coeffs[4]
    cst[5] = emissivity * STEFAN_BOLTZMANN_W_M2_K4
    cst[6] = 1.0 / (emissivity * STEFAN_BOLTZMANN_W_M2_K4)
    cst[7] = 1.0 / RADIATIVE_REFERENCE_K
    cst[8] = geothermal_W_m2
    cst[9] = chi
    cst[10] = 1.0
    cst[11] = 0.0
    c0, c1, c2, c3, c4 = cst[0], cst[1], cst[2], cst[3], cst[4]
    eps_sigma, inv_eps_sigma, inv_ref, qb, chi_ = cst[5], cst[6], cst[7], cst[8], cst[9]
    one, zero = cst[10], cst[11]
    two = one + one
    four = two + two
    half_cond = np.empty(n_nodes, dtype=T_K.dtype)  # h_i = half_cond[i] (K_i + K_{i+1}) = k_{i+1/2} / (2 dz_i)
    storage = np.empty(n_nodes, dtype=T_K.dtype)  # m_i = storage[i] cp(T_i) [W m-2 K-1]
    kcon = np.empty(n_nodes, dtype=T_K.dtype)
    for i in range(n_nodes - 1):
        half_cond[i] = 0.25 / (z_m[i + 1] - z_m[i])
    half_cond[n_nodes - 1] = 0.0
    for i in range(n_nodes):
        storage[i] = density_kg_m3[i] * thickness_m[i] / dt_s
        kcon[i] = conductivity_W_m_K[i]
    block = BLOCK_CELLS
    n_blocks = (n_cells + block - 1) // block
    last = n_nodes - 1
    stats = n_nodes  # extra row of the work array: surface statistics
    for blk in numba.prange(n_blocks):
        j0 = blk * block
        nb = min(block, n_cells - j0)
        w = np.zeros((n_nodes + 1, _N_SLOTS, block), dtype=T_K.dtype)
        flux = np.zeros((n_steps, block), dtype=T_K.dtype)
        for i in range(n_nodes):
            for j in range(nb):
                w[i, _T, j] = T_K[i, j0 + j]
        for j in range(nb, block):  # padding columns: a benign copy of the first column
            for i in range(n_nodes):
                w[i, _T, j] = w[i, _T, 0]
        for k in range(n_steps):
            for j in range(nb):
                flux[k, j] = absorbed_W_m2[j0 + j, k]
        if accumulate:  # sums restart at 0 (added to the caller's float64 sums at the end)
            for i in range(n_nodes):
                for j in range(nb):
                    w[i, _ZMAX_A, j] = tz_max_K[i, j0 + j]
            for j in range(nb):
                w[stats, _MIN_A, j] = ts_min_K[j0 + j]
                w[stats, _MAX_A, j] = ts_max_K[j0 + j]
        for k in range(n_steps):
            if k % refresh_steps == 0:
                # deep rows: storage, conductances and elimination coefficients from the current profile
                kc = kcon[last]
                for j in range(block):
                    x = w[last, _T, j] * inv_ref
                    w[last, _K, j] = kc * (one + chi_ * x * x * x)
                for i in range(last, n_live - 1, -1):
                    kc = kcon[i - 1]
                    hc = half_cond[i - 1]
                    st = storage[i]
                    for j in range(block):
                        ti = w[i, _T, j]
                        x = w[i - 1, _T, j] * inv_ref
                        ka = kc * (one + chi_ * x * x * x)
                        w[i - 1, _K, j] = ka
                        ha = hc * (w[i, _K, j] + ka)
                        hb = w[i + 1, _H, j] if i < last else zero
                        sb = w[i + 1, _S, j] if i < last else zero
                        m = st * (c0 + ti * (c1 + ti * (c2 + ti * (c3 + ti * c4))))
                        inv = one / (m + ha + hb * (one - sb))
                        w[i, _M, j] = m
                        w[i, _H, j] = ha
                        w[i, _INV, j] = inv
                        w[i, _S, j] = ha * inv
            # deep rows, upward elimination T_i = P_i + S_i T_{i-1} with the frozen coefficients
            for j in range(block):
                ti = w[last, _T, j]
                w[last, _P, j] = (w[last, _M, j] * ti + qb - w[last, _H, j] * (ti - w[last - 1, _T, j])) * w[
                    last, _INV, j
                ]
            for i in range(last - 1, n_live - 1, -1):
                for j in range(block):
                    ti = w[i, _T, j]
                    hb = w[i + 1, _H, j]
                    r = w[i, _M, j] * ti + hb * (w[i + 1, _T, j] - ti) - w[i, _H, j] * (ti - w[i - 1, _T, j])
                    w[i, _P, j] = (r + hb * w[i + 1, _P, j]) * w[i, _INV, j]
            # live rows: K, cp and the coefficients from the current profile
            kc = kcon[n_live - 1]
            for j in range(block):
                x = w[n_live - 1, _T, j] * inv_ref
                w[n_live - 1, _K, j] = kc * (one + chi_ * x * x * x)
            for i in range(n_live - 1, 0, -1):
                kc = kcon[i - 1]
                hc = half_cond[i - 1]
                st = storage[i]
                for j in range(block):
                    ti = w[i, _T, j]
                    ta = w[i - 1, _T, j]
                    x = ta * inv_ref
                    ka = kc * (one + chi_ * x * x * x)
                    w[i - 1, _K, j] = ka
                    ha = hc * (w[i, _K, j] + ka)
                    hb = w[i + 1, _H, j]
                    m = st * (c0 + ti * (c1 + ti * (c2 + ti * (c3 + ti * c4))))
                    r = m * ti + hb * (w[i + 1, _T, j] - ti) - ha * (ti - ta)
                    inv = one / (m + ha + hb * (one - w[i + 1, _S, j]))
                    w[i, _P, j] = (r + hb * w[i + 1, _P, j]) * inv
                    w[i, _S, j] = ha * inv
                    w[i, _H, j] = ha
            # surface skin: eps sigma Ts^4 = Q + g0 (T_1 - Ts) with T_1 = P_1 + S_1 Ts; Newton from an upper bound
            for j in range(block):
                g0 = two * w[1, _H, j]
                a = g0 * (one - w[1, _S, j])
                c = g0 * w[1, _P, j] + flux[k, j]
                x = min(math.sqrt(math.sqrt(c * inv_eps_sigma)), c / a)
                for _ in range(_SURFACE_NEWTON_ITERATIONS):
                    x3 = eps_sigma * x * x * x
                    x -= (x3 * x + a * x - c) / (four * x3 + a)
                w[0, _T, j] = x
            # back substitution and the running statistics; the maxima and minima are written to the other of two
            # slots every step (a select stored back in place would be compiled into slow masked stores)
            if accumulate:
                if k % 2 == 0:
                    for j in range(block):
                        v = w[0, _T, j]
                        old = w[stats, _MIN_A, j]
                        w[stats, _MIN_B, j] = old if old < v else v
                        old = w[stats, _MAX_A, j]
                        w[stats, _MAX_B, j] = old if old > v else v
                        w[stats, _SUM, j] += v
                        old = w[0, _ZMAX_A, j]
                        w[0, _ZMAX_B, j] = old if old > v else v
                        w[0, _ZSUM, j] += v
                    for i in range(1, n_nodes):
                        for j in range(block):
                            v = w[i, _P, j] + w[i, _S, j] * w[i - 1, _T, j]
                            w[i, _T, j] = v
                            old = w[i, _ZMAX_A, j]
                            w[i, _ZMAX_B, j] = old if old > v else v
                            w[i, _ZSUM, j] += v
                else:
                    for j in range(block):
                        v = w[0, _T, j]
                        old = w[stats, _MIN_B, j]
                        w[stats, _MIN_A, j] = old if old < v else v
                        old = w[stats, _MAX_B, j]
                        w[stats, _MAX_A, j] = old if old > v else v
                        w[stats, _SUM, j] += v
                        old = w[0, _ZMAX_B, j]
                        w[0, _ZMAX_A, j] = old if old > v else v
                        w[0, _ZSUM, j] += v
                    for i in range(1, n_nodes):
                        for j in range(block):
                            v = w[i, _P, j] + w[i, _S, j] * w[i - 1, _T, j]
                            w[i, _T, j] = v
                            old = w[i, _ZMAX_B, j]
                            w[i, _ZMAX_A, j] = old if old > v else v
                            w[i, _ZSUM, j] += v
            else:
                for i in range(1, n_nodes):
                    for j in range(block):
                        w[i, _T, j] = w[i, _P, j] + w[i, _S, j] * w[i - 1, _T, j]
            if want_series:
                for j in range(nb):
                    ts_series_K[j0 + j, k] = w[0, _T, j]
        for i in range(n_nodes):
            for j in range(nb):
                T_K[i, j0 + j] = w[i, _T, j]
        if accumulate:
            zmax = _ZMAX_B if n_steps % 2 == 1 else _ZMAX_A
            smin = _MIN_B if n_steps % 2 == 1 else _MIN_A
            smax = _MAX_B if n_steps % 2 == 1 else _MAX_A
            for i in range(n_nodes):
                for j in range(nb):
                    tz_max_K[i, j0 + j] = max(tz_max_K[i, j0 + j], w[i, zmax, j])
                    tz_sum_K[i, j0 + j] += w[i, _ZSUM, j]
            for j in range(nb):
                ts_min_K[j0 + j] = min(ts_min_K[j0 + j], w[stats, smin, j])
                ts_max_K[j0 + j] = max(ts_max_K[j0 + j], w[stats, smax, j])
                ts_sum_K[j0 + j] += w[stats, _SUM, j]


advance_columns.__doc__ = """Advance many independent regolith columns by ``n_steps`` steps of ``dt_s`` (in place).

    Parameters
    ----------
    T_K : float32 or float64 (nz, n_cells), C-contiguous
        Temperature state at the nodes ``z_m`` [K], updated in place; node 0 is the surface. float32 halves the
        memory traffic and doubles the SIMD width (about 1.7 times faster); every other array may stay float64.
    absorbed_W_m2 : (n_cells, n_steps), C-contiguous
        Absorbed surface flux (already multiplied by ``1 - albedo``) at the *end* of each step, i.e. at the
        instant whose temperatures step ``k`` produces [W m-2].
    dt_s : float
        Time step [s].
    z_m, thickness_m, density_kg_m3, conductivity_W_m_K : float64 (nz,)
        Grid and properties, as returned by :func:`regolith_grid` (any arrays of that form may be passed, e.g.
        uniform properties for a test) [m, m, kg m-3, W m-1 K-1].
    heat_capacity_coeffs : float64 (5,)
        c0..c4 of ``cp(T)`` [J kg-1 K-1]; :data:`HEAT_CAPACITY_COEFFS`, or ``[c, 0, 0, 0, 0]`` for a constant.
    emissivity : float
        Infrared emissivity [-].
    geothermal_W_m2 : float
        Heat flux entering the bottom of the column (upward) [W m-2].
    chi : float
        Radiative conductivity parameter (``K = Kc (1 + chi (T/350)^3)``; 0 for a constant K) [-].
    accumulate : bool
        Update the running statistics below (otherwise they are not touched).
    ts_min_K, ts_max_K, ts_sum_K : float64 (n_cells,)
        Running minimum, maximum and sum of the surface temperature over the steps [K]; start them at
        ``+inf``, ``-inf`` and ``0``.
    tz_max_K, tz_sum_K : float64 (nz, n_cells)
        Running maximum (start at ``-inf``) and sum of every node's temperature [K] (the annual maximum per depth
        gives the depth of ice stability). Within one call the sums are formed in the state's precision, then added.
    ts_series_K : (n_cells, n_steps), or shape (0, 0) for none
        Receives the surface temperature at the end of every step [K].
    live_depth_m : float
        Nodes at or below this depth keep their ``K`` and ``cp`` (hence their elimination coefficients) for
        :data:`PROPERTY_REFRESH_S` and from the start of the call; ``inf`` recomputes every node every step
        (:data:`LIVE_DEPTH_M` is the model's value). Required, like every argument of this compiled kernel: an
        omitted argument is another numba type, so another compilation.

    Notes
    -----
    Crank-Nicolson for nodes 1..nz-1 (properties at the old time level), the surface balance
    ``eps sigma Ts^4 = Q + k_{1/2} (T_1 - Ts) / z_1`` at the new level, solved exactly after eliminating the
    tridiagonal system from the bottom up; the bottom node receives ``geothermal_W_m2``. Columns are processed
    in blocks of :data:`BLOCK_CELLS` per thread with the inner loops over the block (unit stride, SIMD); the
    tail block is padded. Call it repeatedly over chunks of some tens of steps so the block stays in cache.
    """


def radiative_potential_K(temperature_K: ArrayLike, chi: float) -> NDArray[np.float64]:
    """Kirchhoff potential ``phi(T) = T + chi T^4 / (4 * 350^3)`` [K], so that ``K dT/dz = Kc dphi/dz``."""
    t = np.asarray(temperature_K, dtype=np.float64)
    return t + chi * t**4 / (4.0 * RADIATIVE_REFERENCE_K**3)


def _inverse_radiative_potential_K(phi_K: NDArray[np.float64], chi: float) -> NDArray[np.float64]:
    """Temperature whose :func:`radiative_potential_K` is ``phi_K`` (Newton from the upper bound ``phi``)."""
    c = chi / (4.0 * RADIATIVE_REFERENCE_K**3)
    t = np.array(phi_K, dtype=np.float64)
    for _ in range(60):
        step = (t + c * t**4 - phi_K) / (1.0 + 4.0 * c * t**3)
        t = t - step
        if np.all(np.abs(step) < 1e-10):
            break
    return t


def equilibrium_mean_profile_K(
    grid: RegolithGrid,
    surface_mean_K: ArrayLike,
    mean_absorbed_W_m2: ArrayLike,
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
) -> NDArray[np.float64]:
    """Time-mean temperature profile of a column in periodic equilibrium with its forcing.

    In a periodic steady state the time-mean conductive flux through every depth is the geothermal flux, and
    because ``K = Kc(z) f(T)`` that flux is ``Kc d<phi>/dz`` with the potential :func:`radiative_potential_K`.
    Time-averaging the surface balance gives ``eps sigma <Ts^4> = <Q> + Q_b``. So

        ``<phi>(z) = <Ts> + chi <Ts^4> / (4 * 350^3) + Q_b * int_0^z dz' / Kc(z')``

    and below the depth of the periodic wave ``T(z) = phi^-1(<phi>(z))``. Near the surface the result is the
    mean *potential*, not the mean temperature (the solid-state greenhouse makes them differ by tens of K).

    Parameters
    ----------
    grid : RegolithGrid
        Nodes and contact conductivities.
    surface_mean_K : array_like (n_cells,) or scalar
        Time-mean surface temperature ``<Ts>`` [K].
    mean_absorbed_W_m2 : array_like (n_cells,) or scalar
        Time-mean absorbed flux ``<Q>`` [W m-2].
    emissivity, geothermal_W_m2, chi : float
        As in :func:`advance_columns`.

    Returns
    -------
    ndarray (nz, n_cells)
        ``phi^-1(<phi>(z))`` at every node [K].
    """
    ts = np.atleast_1d(np.asarray(surface_mean_K, dtype=np.float64))
    q = np.atleast_1d(np.asarray(mean_absorbed_W_m2, dtype=np.float64))
    ts, q = np.broadcast_arrays(ts, q)
    t4 = (np.maximum(q, 0.0) + geothermal_W_m2) / (emissivity * STEFAN_BOLTZMANN_W_M2_K4)
    phi_surface = ts + chi * t4 / (4.0 * RADIATIVE_REFERENCE_K**3)
    kc = grid.conductivity_W_m_K
    resistance = np.concatenate([[0.0], np.cumsum(np.diff(grid.z_m) / (0.5 * (kc[1:] + kc[:-1])))])
    phi = phi_surface[None, :] + geothermal_W_m2 * resistance[:, None]
    return _inverse_radiative_potential_K(phi, chi)


def initial_profile_K(
    mean_absorbed_W_m2: ArrayLike,
    grid: RegolithGrid,
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
    surface_mean_K: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Starting profile for the spin-up: :func:`equilibrium_mean_profile_K` at every node.

    Without ``surface_mean_K`` the mean surface temperature is estimated by the radiative equilibrium
    temperature of the mean flux, ``((<Q> + Q_b) / (eps sigma))^(1/4)``, an upper bound of ``<Ts>`` (tight
    where the temperature varies little, as in polar shadow; about 70 K high at the equator). The spin-up
    (:func:`spin_up_columns`) then replaces the deep mean with the one implied by the computed ``<Ts>``.

    Returns
    -------
    ndarray (nz, n_cells)
        Temperatures [K].
    """
    q = np.atleast_1d(np.asarray(mean_absorbed_W_m2, dtype=np.float64))
    if surface_mean_K is None:
        surface_mean_K = ((np.maximum(q, 0.0) + geothermal_W_m2) / (emissivity * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
    return equilibrium_mean_profile_K(grid, surface_mean_K, q, emissivity, geothermal_W_m2, chi)


def correct_mean_profile(
    T_K: NDArray[np.floating],
    node_mean_K: NDArray[np.float64],
    target_mean_K: NDArray[np.float64],
    z_m: NDArray[np.float64],
    from_depth_m: float = LIVE_DEPTH_M,
) -> None:
    """Shift a profile so that its deep time mean becomes ``target_mean_K`` (in place; spin-up acceleration).

    Below ``from_depth_m`` each node is shifted by ``target - node_mean``; the nodes above are shifted by the
    correction of the first node at or below that depth, which keeps the near-surface periodic wave intact.

    Parameters
    ----------
    T_K : (nz, n_cells)
        Current state [K].
    node_mean_K, target_mean_K : (nz, n_cells)
        Time mean of each node over the last forcing cycle, and the equilibrium mean
        (:func:`equilibrium_mean_profile_K`) [K].
    z_m : (nz,)
        Node depths [m].
    from_depth_m : float
        Depth from which the mean is corrected node by node [m].
    """
    first = int(np.searchsorted(z_m, from_depth_m))
    first = min(max(first, 1), z_m.size - 1)
    shift = np.asarray(target_mean_K, dtype=np.float64) - np.asarray(node_mean_K, dtype=np.float64)
    T_K[first:] += shift[first:].astype(T_K.dtype)
    T_K[:first] += shift[first][None, :].astype(T_K.dtype)


class ColumnStatistics(NamedTuple):
    """Statistics of a run of :func:`integrate_columns` (over the steps of that run).

    Attributes
    ----------
    t_surface_min_K, t_surface_max_K, t_surface_mean_K : float64 (n_cells,)
        Surface temperature minimum, maximum and mean [K].
    t_max_K, t_mean_K : float64 (nz, n_cells)
        Maximum and mean temperature of every node [K].
    t_surface_series_K : float64 (n_cells, n_steps) or None
        Surface temperature at the end of every step [K] (when asked for).
    """

    t_surface_min_K: NDArray[np.float64]
    t_surface_max_K: NDArray[np.float64]
    t_surface_mean_K: NDArray[np.float64]
    t_max_K: NDArray[np.float64]
    t_mean_K: NDArray[np.float64]
    t_surface_series_K: NDArray[np.float64] | None


def integrate_columns(
    T_K: NDArray[np.floating],
    absorbed_W_m2: NDArray[np.floating],
    dt_s: float,
    grid: RegolithGrid,
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
    *,
    heat_capacity_coeffs: NDArray[np.float64] = HEAT_CAPACITY_COEFFS,
    series: bool = False,
    chunk_steps: int | None = None,
    progress: Callable[[int], None] | None = None,
    live_depth_m: float = LIVE_DEPTH_M,
) -> ColumnStatistics:
    """Run :func:`advance_columns` over a whole forcing array in chunks of ``chunk_steps``; ``T_K`` in place.

    Parameters
    ----------
    T_K : float32 or float64 (nz, n_cells)
        State [K].
    absorbed_W_m2 : (n_cells, n_steps)
        Absorbed flux at the end of each step [W m-2].
    dt_s, grid, emissivity, geothermal_W_m2, chi, heat_capacity_coeffs, live_depth_m :
        As in :func:`advance_columns`.
    series : bool
        Also return the surface temperature at every step.
    chunk_steps : int, optional
        Steps per kernel call; by default 48 for large maps (the block's forcing stays in cache), up to 4096 for
        few columns (a parallel launch can cost milliseconds on a busy machine).
    progress : callable, optional
        Called with the number of steps done after every kernel call.

    Returns
    -------
    ColumnStatistics
    """
    n_nodes, n_cells = T_K.shape
    n_steps = absorbed_W_m2.shape[1]
    if absorbed_W_m2.shape[0] != n_cells or n_steps < 1:
        raise InputError(
            f"absorbed_W_m2 has shape {absorbed_W_m2.shape}; give (n_cells, n_steps) with n_cells = {n_cells}"
        )
    ts_min = np.full(n_cells, np.inf)
    ts_max = np.zeros(n_cells)
    ts_sum = np.zeros(n_cells)
    tz_max = np.zeros((n_nodes, n_cells))
    tz_sum = np.zeros((n_nodes, n_cells))
    out = np.empty((n_cells, n_steps)) if series else None
    no_series = np.empty((0, 0), dtype=T_K.dtype)
    if chunk_steps is None:
        chunk_steps = max(48, min(4096, 2**20 // n_cells))
    for a in range(0, n_steps, chunk_steps):
        b = min(a + chunk_steps, n_steps)
        chunk = np.ascontiguousarray(absorbed_W_m2[:, a:b], dtype=T_K.dtype)
        chunk_series = np.empty((n_cells, b - a), dtype=T_K.dtype) if series else no_series
        advance_columns(
            T_K,
            chunk,
            float(dt_s),
            grid.z_m,
            grid.thickness_m,
            grid.density_kg_m3,
            grid.conductivity_W_m_K,
            heat_capacity_coeffs,
            float(emissivity),
            float(geothermal_W_m2),
            float(chi),
            True,
            ts_min,
            ts_max,
            ts_sum,
            tz_max,
            tz_sum,
            chunk_series,
            float(live_depth_m),
        )
        if out is not None:
            out[:, a:b] = chunk_series
        if progress is not None:
            progress(b - a)
    return ColumnStatistics(ts_min, ts_max, ts_sum / n_steps, tz_max, tz_sum / n_steps, out)


def spin_up_columns(
    T_K: NDArray[np.floating],
    absorbed_W_m2: NDArray[np.floating],
    dt_s: float,
    grid: RegolithGrid,
    emissivity: float,
    geothermal_W_m2: float,
    chi: float,
    *,
    passes: int = 3,
    heat_capacity_coeffs: NDArray[np.float64] = HEAT_CAPACITY_COEFFS,
    correct_from_m: float = LIVE_DEPTH_M,
    chunk_steps: int | None = None,
    progress: Callable[[int], None] | None = None,
    live_depth_m: float = LIVE_DEPTH_M,
) -> ColumnStatistics:
    """Spin a state up to periodic equilibrium with a forcing cycle (in place).

    The forcing ``absorbed_W_m2`` (one cycle, e.g. the lunation or the year before the period of interest) is
    run ``passes`` times. After every pass but the last, the deep time-mean profile is replaced by the
    equilibrium mean implied by that pass's mean surface temperature and mean flux
    (:func:`equilibrium_mean_profile_K`, :func:`correct_mean_profile`): the metres below the diurnal skin,
    whose own time constant is decades, start at equilibrium instead of drifting toward it. The state at the
    end is the one at the end of the last pass.

    Parameters are those of :func:`integrate_columns`, plus ``passes`` (runs of the forcing) and
    ``correct_from_m`` (see :func:`correct_mean_profile`).

    Returns
    -------
    ColumnStatistics
        Statistics of the last pass.
    """
    if int(passes) != passes or passes < 1:
        raise InputError(f"passes {passes!r} must be a positive integer (e.g. 3)")
    mean_flux = np.asarray(absorbed_W_m2, dtype=np.float64).mean(axis=1)
    stats = None
    for done in range(1, passes + 1):
        stats = integrate_columns(
            T_K,
            absorbed_W_m2,
            dt_s,
            grid,
            emissivity,
            geothermal_W_m2,
            chi,
            heat_capacity_coeffs=heat_capacity_coeffs,
            chunk_steps=chunk_steps,
            progress=progress,
            live_depth_m=live_depth_m,
        )
        if done < passes:
            target = equilibrium_mean_profile_K(
                grid, stats.t_surface_mean_K, mean_flux, emissivity, geothermal_W_m2, chi
            )
            correct_mean_profile(T_K, stats.t_mean_K, target, grid.z_m, correct_from_m)
    assert stats is not None
    return stats
