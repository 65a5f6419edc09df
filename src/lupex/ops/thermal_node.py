"""Lumped (single-node) thermal model of the rover's warm electronics box (docs/models/rover_thermal_node.md).

Energy balance of the node, SI units, constant forcing over a call:

    ``C dT/dt = P_int + P_h + alpha S0 / d^2 f A_sun - eps sigma A_rad (T^4 - T_sink^4) - G (T - T_ground)``

* ``C`` heat capacity [J K-1], ``P_int`` electronics dissipation kept in the box [W], ``P_h`` thermostat heater
  power [W] in ``[0, heater_max_W]``;
* ``alpha`` solar absorptivity, ``A_sun`` area projected toward the Sun [m2], ``f`` visible fraction of the solar
  disk, ``S0 = 1361 W m-2`` total solar irradiance at 1 au (Kopp & Lean 2011, ``solar_constant_W_m2`` in
  :mod:`lupex.defaults`), ``d`` Sun distance [au];
* ``eps`` infrared emissivity and ``A_rad`` area of the radiator, ``sigma`` Stefan-Boltzmann constant (CODATA 2018);
* ``G`` conductance of the leak to the ground [W K-1].

Environment (:func:`sink_temperature_K`). The regolith around the rover is in instantaneous radiative
equilibrium with the Sun (low thermal inertia; the skin boundary of Hayne et al. 2017, JGR Planets 122:2371,
without conduction), floored at a shadowed-regolith temperature:

    ``T_ground = max( ((1 - A(i)) S0 / d^2 sin(e) f / (eps_r sigma))^(1/4), T_shadow )``

with ``e`` the Sun's elevation, ``i = 90 deg - e`` the incidence on level ground, ``A(i)`` the incidence-dependent
bolometric albedo of Hayne et al. 2017 Eq. A5 (``A0 = 0.12``, ``a = 0.06``, ``b = 0.25``;
:func:`lupex.core.thermal.albedo_at_incidence`), ``eps_r = 0.95`` (Hayne et al. 2017 Table A1) and
``T_shadow = 70 K`` (:data:`SHADOWED_REGOLITH_K`; Diviner: shadowed polar regolith 40-100 K, Paige et al. 2010,
Science 330:479; Williams et al. 2017, Icarus 283:300). A vertical radiator sees half ground and half cold sky
(view factor :data:`GROUND_VIEW_FACTOR` ``F = 0.5``; the 2.7 K sky is taken as 0 K):

    ``T_sink^4 = F T_ground^4``

Integration (:func:`step_temperature`): TR-BDF2 (Bank et al. 1985, IEEE Trans. CAD 4:436; Hosea & Shampine 1996,
Appl. Numer. Math. 20:21), a second-order, L-stable one-step scheme, in equal substeps no longer than
``max_substep_s``. Each implicit stage is the scalar equation ``T + beta (k T^4 + G T) = r`` (increasing and
convex), solved by Newton's method from an upper bound (monotone convergence). The exact solution of this
autonomous scalar equation moves monotonically toward equilibrium without crossing it; a substep that would not
(very long substeps compared with the time constant) is redone by backward Euler, which always does. The
thermostat picks a constant heater power per substep: 0 if the node ends the substep at or above the setpoint
without it, else the power that ends it exactly at the setpoint (:func:`scipy.optimize.brentq`), capped at
``heater_max_W``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import NamedTuple

from scipy.optimize import brentq

from lupex.core.thermal import STEFAN_BOLTZMANN_W_M2_K4, albedo_at_incidence
from lupex.defaults import default
from lupex.errors import InputError

__all__ = [
    "GROUND_VIEW_FACTOR",
    "SHADOWED_REGOLITH_K",
    "ThermalNode",
    "ThermalStep",
    "equilibrium_temperature_K",
    "heater_power_to_hold_W",
    "sink_temperature_K",
    "step_temperature",
]

#: View factor from a vertical radiator to level ground [-] (half space; the rest is cold sky). Estimate.
GROUND_VIEW_FACTOR = 0.5
#: Temperature of shadowed regolith seen by the rover [K]: the floor of the ground temperature. Estimate within the
#: 40-100 K of shadowed polar regolith measured by Diviner (Paige et al. 2010; Williams et al. 2017); the cold end
#: is chosen (conservative for heater sizing).
SHADOWED_REGOLITH_K = 70.0

#: TR-BDF2 parameter gamma = 2 - sqrt(2) (Hosea & Shampine 1996) and the derived stage weights.
_GAMMA = 2.0 - math.sqrt(2.0)
_W_STAGE = 1.0 / (_GAMMA * (2.0 - _GAMMA))
_W_OLD = (1.0 - _GAMMA) ** 2 / (_GAMMA * (2.0 - _GAMMA))
_H_BDF = (1.0 - _GAMMA) / (2.0 - _GAMMA)
#: Newton iterations allowed per implicit stage (convergence is quadratic; ~5 are used).
_MAX_NEWTON = 100
#: Most halvings of a substep where TR-BDF2 is not monotone (then backward Euler).
_MAX_SPLIT = 8
#: Distance from the setpoint [K] below which a node is taken to be holding it (steady heater shortcut).
_HOLD_TOL_K = 1e-6


def _number(name: str, value: float, low: float, high: float, *, open_low: bool, hint: str) -> float:
    """``value`` as a finite float in ``(low, high]`` (``open_low``) or ``[low, high]``, else :class:`InputError`."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} {value!r} is not a number; {hint}") from None
    inside = (low < x if open_low else low <= x) and x <= high
    if not (math.isfinite(x) and inside):
        lo = "(" if open_low else "["
        hi = "inf)" if math.isinf(high) else f"{high:g}]"
        raise InputError(f"{name} {value!r} is outside {lo}{low:g}, {hi}; {hint}")
    return x


_INF = math.inf
#: ThermalNode fields: (low, high, low is open, hint).
_NODE_RANGES: dict[str, tuple[float, float, bool, str]] = {
    "heat_capacity_J_K": (0.0, _INF, True, "pass the box's lumped heat capacity, e.g. 3e5 J/K"),
    "radiator_area_m2": (0.0, _INF, True, "pass the radiator area, e.g. 0.6 m2"),
    "emissivity": (0.0, 1.0, True, "pass the radiator's infrared emissivity, a fraction such as 0.8"),
    "absorptivity": (0.0, 1.0, True, "pass the solar absorptivity, a fraction such as 0.3"),
    "sunlit_area_m2": (0.0, _INF, True, "pass the area projected toward the Sun, e.g. 0.5 m2"),
    "internal_W": (0.0, _INF, False, "pass the electronics dissipation kept in the box, e.g. 40 W (0 allowed)"),
    "conductance_W_K": (0.0, _INF, True, "pass the conductance to the ground, e.g. 0.5 W/K (1e-9 for none)"),
    "setpoint_K": (0.0, _INF, True, "pass the heater thermostat temperature in kelvin, e.g. 253.15"),
    "survival_K": (0.0, _INF, True, "pass the survival temperature in kelvin, e.g. 233.15"),
    "heater_max_W": (0.0, _INF, False, "pass the heater's maximum power, e.g. 60 W (0 for no heater)"),
}


@dataclass(frozen=True)
class ThermalNode:
    """Lumped thermal node of the rover's warm box; every value is an engineering estimate (model card).

    Attributes
    ----------
    heat_capacity_J_K : float
        Lumped heat capacity of the box and its contents. [J K-1]
    radiator_area_m2 : float
        Radiating area. [m2]
    emissivity : float
        Infrared emissivity of the radiator, in (0, 1]. [-]
    absorptivity : float
        Solar absorptivity of the surface facing the Sun, in (0, 1]. [-]
    sunlit_area_m2 : float
        Area projected toward the Sun. [m2]
    internal_W : float
        Electronics dissipation that stays in the box (hotel load), >= 0. [W]
    conductance_W_K : float
        Conductance of the leak to the ground. [W K-1]
    setpoint_K : float
        Heater thermostat temperature. [K]
    survival_K : float
        Below this temperature the rover is lost; must be below ``setpoint_K``. [K]
    heater_max_W : float
        Maximum heater power, >= 0. [W]

    Raises
    ------
    InputError
        A value is not finite or outside its range, or ``survival_K >= setpoint_K``.
    """

    heat_capacity_J_K: float = 1.0e5
    radiator_area_m2: float = 0.25
    emissivity: float = 0.8
    absorptivity: float = 0.2
    sunlit_area_m2: float = 0.2
    internal_W: float = 40.0
    conductance_W_K: float = 0.1
    setpoint_K: float = 253.15
    survival_K: float = 233.15
    heater_max_W: float = 60.0

    def __post_init__(self) -> None:
        for f in fields(self):
            low, high, open_low, hint = _NODE_RANGES[f.name]
            value = _number(f"ThermalNode.{f.name}", getattr(self, f.name), low, high, open_low=open_low, hint=hint)
            object.__setattr__(self, f.name, value)
        if not self.survival_K < self.setpoint_K:
            raise InputError(
                f"ThermalNode.survival_K {self.survival_K!r} must be below setpoint_K {self.setpoint_K!r}; "
                "lower survival_K or raise setpoint_K"
            )


@dataclass(frozen=True)
class ThermalStep:
    """Result of :func:`step_temperature`.

    Attributes
    ----------
    temperature_K : float
        Node temperature at the end of the interval. [K]
    heater_energy_Wh : float
        Heater energy used over the interval. [Wh]
    min_temperature_K : float
        Lowest node temperature within the interval (start included). [K]
    """

    temperature_K: float
    heater_energy_Wh: float
    min_temperature_K: float


class _Balance(NamedTuple):
    """``C dT/dt = gain + P_h - k T^4 - G T`` with the constant part of the forcing in ``gain`` [W]."""

    capacity_J_K: float
    gain_W: float  # P_int + absorbed sunlight + k T_sink^4 + G T_ground
    k_W_K4: float  # eps sigma A_rad
    conductance_W_K: float

    def net_W(self, temperature_K: float, heater_W: float) -> float:
        t2 = temperature_K * temperature_K
        return self.gain_W + heater_W - self.k_W_K4 * t2 * t2 - self.conductance_W_K * temperature_K


def _check_sun(sun_fraction: float, sun_elevation_deg: float, sun_distance_au: float) -> tuple[float, float, float]:
    f = _number("sun_fraction", sun_fraction, 0.0, 1.0, open_low=False, hint="pass the visible solar-disk fraction")
    e = _number(
        "sun_elevation_deg", sun_elevation_deg, -90.0, 90.0, open_low=False, hint="pass the Sun's elevation in degrees"
    )
    d = _number("sun_distance_au", sun_distance_au, 0.0, _INF, open_low=True, hint="pass the Sun distance, ~1 au")
    return f, e, d


def _ground_temperature_K(sun_fraction: float, sun_elevation_deg: float, sun_distance_au: float) -> float:
    """Level regolith in radiative equilibrium with the Sun, floored at :data:`SHADOWED_REGOLITH_K` [K]."""
    mu = math.sin(math.radians(sun_elevation_deg))
    if mu <= 0.0 or sun_fraction <= 0.0:
        return SHADOWED_REGOLITH_K
    incidence_rad = math.radians(90.0 - sun_elevation_deg)
    albedo = albedo_at_incidence(
        incidence_rad, default("albedo_normal"), default("albedo_coeff_a"), default("albedo_coeff_b")
    )
    absorbed_W_m2 = (1.0 - min(albedo, 1.0)) * default("solar_constant_W_m2") / sun_distance_au**2 * mu * sun_fraction
    sunlit_K = (absorbed_W_m2 / (default("emissivity") * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
    return max(sunlit_K, SHADOWED_REGOLITH_K)


def sink_temperature_K(sun_fraction: float, sun_elevation_deg: float, *, sun_distance_au: float = 1.0) -> float:
    """Radiative sink temperature of the environment seen by a vertical radiator on level ground.

    ``T_sink = (F T_ground^4)^(1/4)`` with ``F`` = :data:`GROUND_VIEW_FACTOR` and ``T_ground`` the regolith's
    radiative equilibrium temperature under the Sun (Hayne et al. 2017 albedo, emissivity 0.95), floored at
    :data:`SHADOWED_REGOLITH_K`; the sky counts as 0 K.

    Parameters
    ----------
    sun_fraction : float
        Visible fraction of the solar disk, in [0, 1]. [-]
    sun_elevation_deg : float
        Elevation of the Sun's centre above the local horizontal, in [-90, 90]. [deg]
    sun_distance_au : float, optional
        Sun distance. [au]

    Returns
    -------
    float
        Sink temperature. [K]
    """
    f, e, d = _check_sun(sun_fraction, sun_elevation_deg, sun_distance_au)
    return float((GROUND_VIEW_FACTOR * _ground_temperature_K(f, e, d) ** 4) ** 0.25)


def _balance(
    node: ThermalNode, sun_fraction: float, sun_elevation_deg: float, sun_distance_au: float, internal_W: float | None
) -> _Balance:
    f, e, d = _check_sun(sun_fraction, sun_elevation_deg, sun_distance_au)
    p_int = node.internal_W if internal_W is None else internal_W
    p_int = _number("internal_W", p_int, 0.0, _INF, open_low=False, hint="pass the dissipation in watts, or None")
    t_ground = _ground_temperature_K(f, e, d)
    t_sink4 = GROUND_VIEW_FACTOR * t_ground**4
    k = node.emissivity * STEFAN_BOLTZMANN_W_M2_K4 * node.radiator_area_m2
    solar_W = node.absorptivity * default("solar_constant_W_m2") / d**2 * f * node.sunlit_area_m2
    gain = p_int + solar_W + k * t_sink4 + node.conductance_W_K * t_ground
    return _Balance(node.heat_capacity_J_K, gain, k, node.conductance_W_K)


def _solve_stage(rhs_K: float, beta_s_J: float, bal: _Balance) -> float:
    """Root of ``T + beta (k T^4 + G T) = rhs`` by Newton from an upper bound (``beta = h / C``); NaN if <= 0."""
    if not rhs_K > 0.0:
        return math.nan
    k = beta_s_J * bal.k_W_K4
    g = beta_s_J * bal.conductance_W_K
    t = min(rhs_K / (1.0 + g), (rhs_K / k) ** 0.25) if k > 0.0 else rhs_K / (1.0 + g)
    for _ in range(_MAX_NEWTON):
        t3 = t * t * t
        step = (t + k * t3 * t + g * t - rhs_K) / (1.0 + 4.0 * k * t3 + g)
        t -= step
        if abs(step) <= 1e-13 * t:
            break
    return t


def _trbdf2(bal: _Balance, t0: float, heater_W: float, dt_s: float) -> float:
    """One TR-BDF2 step (Hosea & Shampine 1996 Eq. 1) of ``dt_s`` at constant heater power; NaN if it fails."""
    c = bal.capacity_J_K
    a = bal.gain_W + heater_W
    b1 = 0.5 * _GAMMA * dt_s / c
    t_stage = _solve_stage(t0 + b1 * (bal.net_W(t0, heater_W) + a), b1, bal)
    b2 = _H_BDF * dt_s / c
    return _solve_stage(_W_STAGE * t_stage - _W_OLD * t0 + b2 * a, b2, bal)


def _substep(bal: _Balance, t0: float, heater_W: float, dt_s: float, depth: int = 0) -> float:
    """Advance ``dt_s`` at constant heater power: TR-BDF2, halved where it is not monotone, backward Euler last.

    The exact solution moves toward equilibrium without crossing it. A TR-BDF2 step that moves the other way or
    crosses (only for steps much longer than the time constant) is split in two, at most :data:`_MAX_SPLIT`
    times; below that, backward Euler, which is monotone for any step.
    """
    q0 = bal.net_W(t0, heater_W)
    tol_W = 1e-12 * (abs(bal.gain_W + heater_W) + bal.k_W_K4 * t0**4 + bal.conductance_W_K * t0)
    t1 = _trbdf2(bal, t0, heater_W, dt_s)
    if abs(q0) <= tol_W and math.isfinite(t1):
        return t1  # at equilibrium to rounding
    sign = 1.0 if q0 > 0.0 else -1.0
    if math.isfinite(t1) and (t1 - t0) * sign >= 0.0 and bal.net_W(t1, heater_W) * sign >= -tol_W:
        return t1
    if depth < _MAX_SPLIT:
        half = 0.5 * dt_s
        return _substep(bal, _substep(bal, t0, heater_W, half, depth + 1), heater_W, half, depth + 1)
    c = bal.capacity_J_K
    return _solve_stage(t0 + dt_s / c * (bal.gain_W + heater_W), dt_s / c, bal)  # backward Euler


def _thermostat_substep(
    bal: _Balance, node: ThermalNode, t0: float, dt_s: float, heater_ok: bool
) -> tuple[float, float]:
    """End temperature [K] and heater power [W] of one substep under the thermostat."""
    t_free = _substep(bal, t0, 0.0, dt_s)
    target = node.setpoint_K
    if not heater_ok or t_free >= target or node.heater_max_W == 0.0:
        return t_free, 0.0
    hold_W = -bal.net_W(target, 0.0)
    if abs(t0 - target) <= _HOLD_TOL_K and hold_W <= node.heater_max_W:
        return target, max(hold_W, 0.0)  # steady hold: the setpoint is a fixed point of the scheme at this power
    t_full = _substep(bal, t0, node.heater_max_W, dt_s)
    if t_full <= target:
        return t_full, node.heater_max_W
    power = float(brentq(lambda p: _substep(bal, t0, p, dt_s) - target, 0.0, node.heater_max_W, xtol=1e-9))
    return _substep(bal, t0, power, dt_s), power


def step_temperature(
    node: ThermalNode,
    temperature_K: float,
    duration_s: float,
    *,
    sun_fraction: float,
    sun_elevation_deg: float,
    sun_distance_au: float = 1.0,
    heater_ok: bool = True,
    internal_W: float | None = None,
    max_substep_s: float = 600.0,
) -> ThermalStep:
    """Advance the node temperature over an interval of constant forcing, with the thermostat heater.

    Parameters
    ----------
    node : ThermalNode
        The rover's thermal node.
    temperature_K : float
        Temperature at the start of the interval, > 0. [K]
    duration_s : float
        Length of the interval, >= 0 (0 returns the start temperature and no heater energy). [s]
    sun_fraction : float
        Visible fraction of the solar disk, in [0, 1]. [-]
    sun_elevation_deg : float
        Elevation of the Sun's centre, in [-90, 90]. [deg]
    sun_distance_au : float, optional
        Sun distance. [au]
    heater_ok : bool, optional
        False forces the heater off (failed heater or no power).
    internal_W : float or None, optional
        Dissipation kept in the box over this interval, >= 0; None uses ``node.internal_W``. [W]
    max_substep_s : float, optional
        Longest integration substep; the interval is split into equal substeps no longer than this. [s]

    Returns
    -------
    ThermalStep
        End temperature [K], heater energy [Wh] and lowest temperature [K] of the interval.

    Raises
    ------
    InputError
        An argument is negative, not finite or out of range.
    """
    t = _number("temperature_K", temperature_K, 0.0, _INF, open_low=True, hint="pass a temperature in kelvin")
    duration = _number("duration_s", duration_s, 0.0, _INF, open_low=False, hint="pass a duration in seconds >= 0")
    max_dt = _number("max_substep_s", max_substep_s, 0.0, _INF, open_low=True, hint="pass a substep in seconds > 0")
    bal = _balance(node, sun_fraction, sun_elevation_deg, sun_distance_au, internal_W)
    if duration == 0.0:
        return ThermalStep(t, 0.0, t)
    n = max(1, math.ceil(duration / max_dt))
    dt = duration / n
    energy_J = 0.0
    t_min = t
    for _ in range(n):
        t, power_W = _thermostat_substep(bal, node, t, dt, bool(heater_ok))
        energy_J += power_W * dt
        t_min = min(t_min, t)  # a scalar autonomous ODE is monotone within a substep: extremes at its ends
    return ThermalStep(float(t), energy_J / 3600.0, float(t_min))


def equilibrium_temperature_K(
    node: ThermalNode,
    *,
    sun_fraction: float,
    sun_elevation_deg: float,
    sun_distance_au: float = 1.0,
    heater_W: float = 0.0,
    internal_W: float | None = None,
) -> float:
    """Steady-state node temperature under constant forcing and heater power.

    The net power ``gain + P_h - k T^4 - G T`` falls monotonically with ``T``; its root lies between 0 (net > 0)
    and ``((gain + P_h) / k)^(1/4)`` (net = ``-G T`` < 0) and is found by :func:`scipy.optimize.brentq`.

    Parameters
    ----------
    node : ThermalNode
        The rover's thermal node.
    sun_fraction, sun_elevation_deg, sun_distance_au : float
        As in :func:`step_temperature`. [-], [deg], [au]
    heater_W : float, optional
        Constant heater power, >= 0 (not capped by ``node.heater_max_W``). [W]
    internal_W : float or None, optional
        Dissipation kept in the box; None uses ``node.internal_W``. [W]

    Returns
    -------
    float
        Equilibrium temperature. [K]
    """
    bal = _balance(node, sun_fraction, sun_elevation_deg, sun_distance_au, internal_W)
    p_h = _number("heater_W", heater_W, 0.0, _INF, open_low=False, hint="pass the heater power in watts >= 0")
    t_high = ((bal.gain_W + p_h) / bal.k_W_K4) ** 0.25
    root = brentq(lambda t: bal.net_W(t, p_h), 0.0, t_high, xtol=1e-10, rtol=1e-14)
    return float(root)


def heater_power_to_hold_W(
    node: ThermalNode,
    *,
    sun_fraction: float,
    sun_elevation_deg: float,
    sun_distance_au: float = 1.0,
    internal_W: float | None = None,
) -> float:
    """Steady heater power that holds the node at ``node.setpoint_K`` (not capped by ``heater_max_W``).

    Parameters
    ----------
    node : ThermalNode
        The rover's thermal node.
    sun_fraction, sun_elevation_deg, sun_distance_au : float
        As in :func:`step_temperature`. [-], [deg], [au]
    internal_W : float or None, optional
        Dissipation kept in the box; None uses ``node.internal_W``. [W]

    Returns
    -------
    float
        Heater power, 0 where the node equilibrates at or above the setpoint; above ``node.heater_max_W`` where
        the heater cannot hold it (the shortfall). [W]
    """
    bal = _balance(node, sun_fraction, sun_elevation_deg, sun_distance_au, internal_W)
    return max(0.0, -bal.net_W(node.setpoint_K, 0.0))
