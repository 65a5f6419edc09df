"""Chandrayaan-3-like powered descent, phase by phase, as a 3-DOF point-mass simulation (docs/models/descent.md).

Model
-----
* Point mass, throttleable thrust ``|F| <= n_engines * engine_thrust_N`` (and ``>= throttle_min`` of it),
  mass flow ``|F| / (Isp g0)``; no attitude dynamics (the thrust vector turns instantly).
* Braking phases (rough braking, attitude hold, fine braking): **curved, non-rotating Moon**, planar motion in
  polar coordinates (r, theta) about a point mass with ``GM = g R^2`` (``g`` = 1.62 m/s^2 at the mean radius).
  At 1.68 km/s the centrifugal term ``v^2 / r`` (1.60 m/s^2) nearly cancels gravity, so a flat Moon would be
  wrong here. The Moon's rotation (< 5 m/s, ~0 near the pole) is ignored.
* From the end of fine braking (~800 m, ~0 m/s): **flat Moon** (:mod:`lupex.core.descent`), curvature < 0.3 m
  over the final kilometre.

Guidance per phase
------------------
* Rough braking and fine braking: a closed-loop law on the local vertical/horizontal channels, re-evaluated
  every step. Horizontal: the free-position ZEV law ``a_h = (v_h,f - v_h) / tgo`` (constant-deceleration
  velocity-to-be-gained). Vertical: ZEM/ZEV (Guo, Hawkins & Wie 2013) on altitude with the current effective
  gravity ``GM / r^2 - v_h^2 / r``. The thrust is saturated in magnitude keeping its direction. The gates
  (altitude and velocities at the phase end) are inputs: the Chandrayaan-3 gate values are defaults, so the
  simulation shows that a lander of these characteristics can fly the published sequence and what it costs.
* Attitude hold: the last thrust vector of rough braking held constant (a constant-attitude segment).
* Vertical descent to the hover altitude, hover, and the terminal descent (after a hazard-avoidance retarget):
  ZEM/ZEV with saturation (:func:`lupex.core.descent.zem_zev_trajectory`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lupex.constants import MOON_RADIUS_M
from lupex.core.descent import G0_M_S2, zem_zev_trajectory
from lupex.defaults import default
from lupex.errors import InputError

__all__ = [
    "DescentPhase",
    "DescentPlan",
    "DescentProfile",
    "Lander",
    "chandrayaan3_plan",
    "descent_profile",
    "vikram_like_lander",
]

PHASES = ("rough_braking", "attitude_hold", "fine_braking", "vertical_descent", "hover", "terminal_descent")


@dataclass(frozen=True)
class Lander:
    """A throttleable point-mass lander.

    Attributes
    ----------
    mass_kg : float
        Mass at the start of powered descent [kg].
    thrust_max_N : float
        Largest total thrust [N].
    thrust_min_N : float
        Smallest total thrust while the engines burn [N].
    isp_s : float
        Specific impulse [s].
    """

    mass_kg: float
    thrust_max_N: float
    thrust_min_N: float
    isp_s: float


def vikram_like_lander() -> Lander:
    """Chandrayaan-3 Vikram-class lander from DEFAULTS (4 x 800 N, Isp and throttle range estimated)."""
    thrust = default("lunar_descent_n_engines") * default("lunar_descent_engine_thrust_N")
    return Lander(
        mass_kg=default("descent_start_mass_kg"),
        thrust_max_N=thrust,
        thrust_min_N=thrust * default("lunar_descent_throttle_min"),
        isp_s=default("lunar_descent_isp_s"),
    )


@dataclass(frozen=True)
class DescentPhase:
    """Summary of one phase.

    Attributes
    ----------
    name : str
        One of ``rough_braking``, ``attitude_hold``, ``fine_braking``, ``vertical_descent``, ``hover``,
        ``terminal_descent``.
    t_start_s, t_end_s : float
        Phase start and end since powered-descent start [s].
    altitude_end_m : float
        Altitude at the phase end [m].
    v_horizontal_end_m_s, v_vertical_end_m_s : float
        Horizontal speed and vertical velocity (up positive) at the phase end [m/s].
    propellant_kg : float
        Propellant burnt in the phase [kg].
    delta_v_m_s : float
        Ideal velocity change ``Isp g0 ln(m_start / m_end)`` of the phase [m/s].
    """

    name: str
    t_start_s: float
    t_end_s: float
    altitude_end_m: float
    v_horizontal_end_m_s: float
    v_vertical_end_m_s: float
    propellant_kg: float
    delta_v_m_s: float


@dataclass(frozen=True)
class DescentProfile:
    """Time series of a powered descent (one row per guidance step) and its phase summaries.

    Attributes
    ----------
    t_s : array
        Time since powered-descent start [s].
    altitude_m : array
        Altitude above the mean sphere (braking) / above the landing plane (final kilometre) [m].
    downrange_m : array
        Surface distance travelled along the ground track [m] (the retarget adds to it).
    v_horizontal_m_s, v_vertical_m_s : array
        Horizontal speed [m/s] and vertical velocity, up positive [m/s].
    mass_kg, thrust_N : array
        Mass [kg] and delivered thrust [N].
    phase : array of str
        Phase name of each row.
    phases : tuple of DescentPhase
        Per-phase summaries, in flight order.
    lander : Lander
        The vehicle flown.
    touchdown_v_vertical_m_s, touchdown_v_horizontal_m_s : float
        Sink rate (positive down) and horizontal speed at touchdown [m/s].
    propellant_kg : float
        Propellant burnt from powered-descent start to touchdown [kg].
    delta_v_m_s : float
        Ideal velocity change of the whole descent [m/s] (rocket equation on the burnt propellant).
    """

    t_s: NDArray[np.float64]
    altitude_m: NDArray[np.float64]
    downrange_m: NDArray[np.float64]
    v_horizontal_m_s: NDArray[np.float64]
    v_vertical_m_s: NDArray[np.float64]
    mass_kg: NDArray[np.float64]
    thrust_N: NDArray[np.float64]
    phase: NDArray[np.str_]
    phases: tuple[DescentPhase, ...]
    lander: Lander
    touchdown_v_vertical_m_s: float
    touchdown_v_horizontal_m_s: float
    propellant_kg: float
    delta_v_m_s: float

    def phase_summary(self, name: str) -> DescentPhase:
        """The summary of phase ``name``."""
        for p in self.phases:
            if p.name == name:
                return p
        raise InputError(f"name {name!r} is not a phase; choose one of {', '.join(PHASES)}")

    def rows(self) -> list[dict[str, float | str]]:
        """One record per time step, columns named with their units (for CSV)."""
        return [
            {
                "t_s": float(t),
                "altitude_m": float(h),
                "downrange_m": float(d),
                "v_horizontal_m_s": float(vh),
                "v_vertical_m_s": float(vv),
                "mass_kg": float(m),
                "thrust_N": float(f),
                "phase": str(p),
            }
            for t, h, d, vh, vv, m, f, p in zip(
                self.t_s,
                self.altitude_m,
                self.downrange_m,
                self.v_horizontal_m_s,
                self.v_vertical_m_s,
                self.mass_kg,
                self.thrust_N,
                self.phase,
                strict=True,
            )
        ]


# Rows of the braking integrator: t, r, theta, v_r, v_t, m, |F|.
_Track = list[tuple[float, float, float, float, float, float, float]]


def _polar_derivative(
    y: NDArray[np.float64], force: NDArray[np.float64], gm: float, isp_s: float
) -> NDArray[np.float64]:
    """d/dt of (r, theta, v_r, v_t, m) under a held force (F_r, F_t) [N] about a point mass ``gm``."""
    r, _, vr, vt, m = y
    return np.array(
        [
            vr,
            vt / r,
            vt * vt / r - gm / (r * r) + force[0] / m,
            -vr * vt / r + force[1] / m,
            -math.hypot(force[0], force[1]) / (isp_s * G0_M_S2),
        ]
    )


def _braking_force(
    y: NDArray[np.float64], tgo: float, gate: tuple[float, float, float], gm: float, lander: Lander
) -> NDArray[np.float64]:
    """Saturated thrust force (radial, tangential) [N]: ZEM/ZEV on altitude, free-position ZEV on speed."""
    r, _, vr, vt, m = y
    altitude_f, vh_f, vv_f = gate
    g_eff = gm / (r * r) - vt * vt / r
    zem = altitude_f - (r - MOON_RADIUS_M + vr * tgo - 0.5 * g_eff * tgo * tgo)
    zev = vv_f - (vr - g_eff * tgo)
    a = np.array([6.0 * zem / tgo**2 - 2.0 * zev / tgo, (vh_f - vt) / tgo + vr * vt / r])
    norm = float(np.hypot(a[0], a[1])) * m
    magnitude = min(max(norm, lander.thrust_min_N), lander.thrust_max_N)
    return a * m * magnitude / norm if norm > 0.0 else np.array([magnitude, 0.0])


def _fly_polar(
    y: NDArray[np.float64],
    t0: float,
    duration_s: float,
    dt: float,
    lander: Lander,
    gm: float,
    gate: tuple[float, float, float] | None,
    held: NDArray[np.float64] | None,
    track: _Track,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Integrate a braking phase (RK4, force held over each step); returns the end state and last force."""
    steps = max(1, round(duration_s / dt))
    h = duration_s / steps
    force = held if held is not None else np.zeros(2)
    for k in range(steps):
        if gate is not None:
            force = _braking_force(y, max(duration_s - k * h, default("descent_tgo_floor_s")), gate, gm, lander)
        track.append((t0 + k * h, *y, float(np.hypot(*force))))
        k1 = _polar_derivative(y, force, gm, lander.isp_s)
        k2 = _polar_derivative(y + 0.5 * h * k1, force, gm, lander.isp_s)
        k3 = _polar_derivative(y + 0.5 * h * k2, force, gm, lander.isp_s)
        k4 = _polar_derivative(y + h * k3, force, gm, lander.isp_s)
        y = y + h * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
    return y, force


@dataclass(frozen=True)
class DescentPlan:
    """Gates and durations of the descent phases (defaults: the Chandrayaan-3 sequence, research notes 4.3).

    Attributes
    ----------
    altitude_m, v_horizontal_m_s : float
        Powered-descent start: altitude [m] and horizontal speed [m/s] (vertical speed 0, periselene).
    rough_braking_s : float
        Rough-braking duration [s].
    rough_gate : tuple of float
        Altitude [m], horizontal speed [m/s], vertical velocity (up positive) [m/s] at the end of rough braking.
    attitude_hold_s, fine_braking_s : float
        Durations [s].
    fine_gate_altitude_m : float
        Altitude at the end of fine braking [m] (velocity 0 there).
    vertical_descent_s, hover_altitude_m, hover_s : float
        Descent to the hover altitude [s], hover altitude [m], hover duration [s].
    retarget_m : float
        Hazard-avoidance retarget, horizontal [m].
    terminal_s, gate_altitude_m, gate_v_m_s : float
        Planned ZEM/ZEV time to the terminal gate [s], gate altitude [m] and sink rate there and after [m/s].
    """

    altitude_m: float
    v_horizontal_m_s: float
    rough_braking_s: float
    rough_gate: tuple[float, float, float]
    attitude_hold_s: float
    fine_braking_s: float
    fine_gate_altitude_m: float
    vertical_descent_s: float
    hover_altitude_m: float
    hover_s: float
    retarget_m: float
    terminal_s: float
    gate_altitude_m: float
    gate_v_m_s: float


def chandrayaan3_plan() -> DescentPlan:
    """The Chandrayaan-3 descent sequence from DEFAULTS (``descent_*``)."""
    d = default
    return DescentPlan(
        altitude_m=d("descent_start_altitude_m"),
        v_horizontal_m_s=d("descent_start_v_horizontal_m_s"),
        rough_braking_s=d("descent_rough_braking_s"),
        rough_gate=(
            d("descent_rough_end_altitude_m"),
            d("descent_rough_end_v_horizontal_m_s"),
            -d("descent_rough_end_v_sink_m_s"),
        ),
        attitude_hold_s=d("descent_attitude_hold_s"),
        fine_braking_s=d("descent_fine_braking_s"),
        fine_gate_altitude_m=d("descent_fine_end_altitude_m"),
        vertical_descent_s=d("descent_vertical_descent_s"),
        hover_altitude_m=d("descent_hover_altitude_m"),
        hover_s=d("descent_hover_s"),
        retarget_m=d("descent_retarget_m"),
        terminal_s=d("descent_terminal_s"),
        gate_altitude_m=d("descent_gate_altitude_m"),
        gate_v_m_s=d("descent_gate_v_m_s"),
    )


def _check_plan(plan: DescentPlan, lander: Lander, dt_s: float) -> None:
    for name, value in (
        ("lander.mass_kg", lander.mass_kg),
        ("lander.thrust_max_N", lander.thrust_max_N),
        ("lander.isp_s", lander.isp_s),
        ("dt_s", dt_s),
        ("plan.altitude_m", plan.altitude_m),
        ("plan.rough_braking_s", plan.rough_braking_s),
        ("plan.fine_braking_s", plan.fine_braking_s),
        ("plan.vertical_descent_s", plan.vertical_descent_s),
        ("plan.terminal_s", plan.terminal_s),
        ("plan.hover_altitude_m", plan.hover_altitude_m),
        ("plan.gate_v_m_s", plan.gate_v_m_s),
    ):
        if not (math.isfinite(value) and value > 0.0):
            raise InputError(f"{name} {value!r} must be a positive finite number")
    if not 0.0 <= lander.thrust_min_N <= lander.thrust_max_N:
        raise InputError(f"lander.thrust_min_N {lander.thrust_min_N!r} must lie in [0, thrust_max_N]")
    if not (plan.hover_s >= 0.0 and plan.attitude_hold_s >= 0.0 and plan.retarget_m >= 0.0):
        raise InputError("plan.hover_s, plan.attitude_hold_s and plan.retarget_m must be >= 0")


def _flat_segment(
    state: NDArray[np.float64],
    target: tuple[float, float, float],
    v_f: tuple[float, float, float],
    tgo_s: float,
    lander: Lander,
    dt_s: float,
    to_ground: bool,
) -> NDArray[np.float64]:
    """Rows (t, x, y, z, vx, vy, vz, m, thrust) of one ZEM/ZEV segment of the final kilometre."""
    t_max = tgo_s + (default("descent_terminal_margin_s") if to_ground else 0.0)
    params = np.array(
        [
            default("lunar_descent_gravity_m_s2"),
            tgo_s,
            dt_s,
            lander.thrust_min_N,
            lander.thrust_max_N,
            lander.isp_s,
            default("descent_tgo_floor_s"),
            t_max,
        ]
    )
    rows, landed = zem_zev_trajectory(state, np.array(target), np.array(v_f), params, not to_ground)
    if to_ground and not landed:
        raise InputError(f"plan.terminal_s {tgo_s!r}: the lander did not reach the ground; give a longer time")
    return np.asarray(rows)


def _final_kilometre(
    y: NDArray[np.float64], plan: DescentPlan, lander: Lander, dt_s: float
) -> list[tuple[str, NDArray[np.float64]]]:
    """Vertical descent, hover and terminal descent in the flat frame (x downrange from the fine-braking end)."""
    state = np.array([0.0, 0.0, y[0] - MOON_RADIUS_M, y[3], 0.0, y[2], y[4]])
    out: list[tuple[str, NDArray[np.float64]]] = []
    legs = (
        ("vertical_descent", plan.vertical_descent_s, False),
        ("hover", plan.hover_s, False),
        ("terminal_descent", plan.terminal_s, True),
    )
    for name, tgo, to_ground in legs:
        if tgo <= 0.0:
            continue
        x, yy = state[0], state[1]
        if name == "vertical_descent":
            target, v_f = (x, yy, plan.hover_altitude_m), (0.0, 0.0, 0.0)
        elif name == "hover":
            target, v_f = (x, yy, state[2]), (0.0, 0.0, 0.0)
        else:
            target, v_f = (x + plan.retarget_m, yy, plan.gate_altitude_m), (0.0, 0.0, -plan.gate_v_m_s)
        rows = _flat_segment(state, target, v_f, tgo, lander, dt_s, to_ground)
        out.append((name, rows))
        state = rows[-1, 1:8].copy()
    return out


def descent_profile(
    plan: DescentPlan | None = None, lander: Lander | None = None, *, dt_s: float | None = None
) -> DescentProfile:
    """Simulate the phase-by-phase powered descent from periselene to touchdown.

    Parameters
    ----------
    plan : DescentPlan, optional
        Gates and durations [m, m/s, s]; default :func:`chandrayaan3_plan`.
    lander : Lander, optional
        Vehicle; default :func:`vikram_like_lander`.
    dt_s : float, optional
        Guidance and integration step [s]; default ``descent_guidance_dt_s`` (0.1 s).

    Returns
    -------
    DescentProfile
        Time series and per-phase summaries.

    Raises
    ------
    InputError
        A non-positive mass, thrust, Isp, duration or step (the message names it), or a terminal descent that
        does not reach the ground.
    """
    plan = plan or chandrayaan3_plan()
    lander = lander or vikram_like_lander()
    dt = default("descent_guidance_dt_s") if dt_s is None else float(dt_s)
    _check_plan(plan, lander, dt)
    gm = default("lunar_descent_gravity_m_s2") * MOON_RADIUS_M**2
    y = np.array([MOON_RADIUS_M + plan.altitude_m, 0.0, 0.0, plan.v_horizontal_m_s, lander.mass_kg])
    segments: list[tuple[str, NDArray[np.float64]]] = []
    t = 0.0
    force: NDArray[np.float64] | None = None
    for name, duration, gate in (
        ("rough_braking", plan.rough_braking_s, plan.rough_gate),
        ("attitude_hold", plan.attitude_hold_s, None),
        ("fine_braking", plan.fine_braking_s, (plan.fine_gate_altitude_m, 0.0, 0.0)),
    ):
        if duration <= 0.0:
            continue
        track: _Track = []
        y, force = _fly_polar(y, t, duration, dt, lander, gm, gate, force, track)
        t += duration
        track.append((t, *y, float(np.hypot(*force))))
        rows = np.array(track)  # t, r, theta, vr, vt, m, F
        flat = np.column_stack(
            [
                rows[:, 0],
                rows[:, 2] * MOON_RADIUS_M,
                np.zeros(len(rows)),
                rows[:, 1] - MOON_RADIUS_M,
                rows[:, 4],
                np.zeros(len(rows)),
                rows[:, 3],
                rows[:, 5],
                rows[:, 6],
            ]
        )
        segments.append((name, flat))
    x0 = y[1] * MOON_RADIUS_M
    for name, rows in _final_kilometre(y, plan, lander, dt):
        rows = rows.copy()
        rows[:, 0] += t
        rows[:, 1] += x0
        t = float(rows[-1, 0])
        segments.append((name, rows))
    return _assemble(segments, lander)


def _assemble(segments: list[tuple[str, NDArray[np.float64]]], lander: Lander) -> DescentProfile:
    """Concatenate the segments' rows (t, x, y, z, vx, vy, vz, m, thrust) into a profile."""
    phases = []
    for name, rows in segments:
        m0, m1 = float(rows[0, 7]), float(rows[-1, 7])
        phases.append(
            DescentPhase(
                name,
                float(rows[0, 0]),
                float(rows[-1, 0]),
                float(rows[-1, 3]),
                float(np.hypot(rows[-1, 4], rows[-1, 5])),
                float(rows[-1, 6]),
                m0 - m1,
                lander.isp_s * G0_M_S2 * math.log(m0 / m1),
            )
        )
    # drop each segment's last row but the final one (it repeats the next segment's first)
    parts = [rows[:-1] for _, rows in segments[:-1]] + [segments[-1][1]]
    names = [np.full(len(rows) - 1, name) for name, rows in segments[:-1]] + [
        np.full(len(segments[-1][1]), segments[-1][0])
    ]
    data = np.concatenate(parts)
    end = data[-1]
    return DescentProfile(
        t_s=data[:, 0],
        altitude_m=data[:, 3],
        downrange_m=np.hypot(data[:, 1], data[:, 2]),
        v_horizontal_m_s=np.hypot(data[:, 4], data[:, 5]),
        v_vertical_m_s=data[:, 6],
        mass_kg=data[:, 7],
        thrust_N=data[:, 8],
        phase=np.concatenate(names),
        phases=tuple(phases),
        lander=lander,
        touchdown_v_vertical_m_s=float(-end[6]),
        touchdown_v_horizontal_m_s=float(np.hypot(end[4], end[5])),
        propellant_kg=lander.mass_kg - float(end[7]),
        delta_v_m_s=lander.isp_s * G0_M_S2 * math.log(lander.mass_kg / float(end[7])),
    )
