"""Closed-loop ZEM/ZEV terminal descent of a point-mass lander over a flat Moon (numba), one or many runs.

SI units throughout. Frame: local flat-Moon Cartesian ``(x, y, z)``, ``z`` up from the landing plane, uniform
gravity ``(0, 0, -g)``. Over the final kilometre the curvature of the Moon lowers the ground by
``d^2 / (2 R)`` < 0.3 m for ``d`` < 1 km of horizontal travel (ignored); the centrifugal relief ``v_h^2 / R``
is < 1e-4 m/s^2 at the few m/s of the terminal phase (ignored).

Guidance (Guo, Hawkins & Wie 2013, JGCD 36(3), the unconstrained energy-optimal case): with time to go ``tgo``,
target position ``r_f`` and velocity ``v_f``,

* ``ZEM = r_f - (r + v tgo + g tgo^2 / 2)``, ``ZEV = v_f - (v + g tgo)``,
* commanded thrust acceleration ``a = 6 ZEM / tgo^2 - 2 ZEV / tgo``.

The law is evaluated at the guidance rate ``1 / dt`` (10 Hz by default) on the *estimated* state (true position
plus a constant terrain-relative-navigation knowledge error) and held over the step (zero-order hold, as a
flight computer does). The commanded force ``m_est a`` (``m_est``: the guidance's mass estimate from the nominal
thrust and Isp) is saturated to ``[thrust_min_N, thrust_max_N]`` in magnitude, keeping its direction; the engine
delivers it times ``(1 + thrust error)``, burning ``|F| / (Isp_true g0)``. Within a step the plant (position,
velocity, true mass) is integrated by classical RK4 under the held force, so the only discretisation error is
the hold of the command (a step of 0.1 s against a descent of ~1 minute; the test against the analytic
continuous-time solution bounds it). RK4 rather than semi-implicit Euler: for the same step its error in the
plant is ~1e-6 of Euler's, at four force evaluations, which costs nothing next to the guidance law here.

``tgo`` counts down from the phase's planned duration. In the last ``tgo_floor_s`` (the gains ``6 / tgo^2``
would otherwise diverge) the law becomes the ZEV-only law with ``tgo`` held at the floor,
``a = (v_f - v) / tgo_floor + (0, 0, g)``: a constant-rate final descent at ``v_f`` until touchdown (the
position is no longer steered, as in flown landers' last metres).
Touchdown is the first crossing of ``z = 0``, linearly interpolated inside the step.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["G0_M_S2", "zem_zev_acceleration", "zem_zev_touchdowns", "zem_zev_trajectory"]

#: Standard gravity for Isp [m/s^2].
G0_M_S2 = 9.80665


@numba.njit(cache=True)
def zem_zev_acceleration(
    r: NDArray[np.float64],
    v: NDArray[np.float64],
    r_f: NDArray[np.float64],
    v_f: NDArray[np.float64],
    g: float,
    tgo: float,
    out: NDArray[np.float64],
    free_position: bool = False,
) -> None:
    """Write the ZEM/ZEV thrust acceleration [m/s^2] for gravity ``(0, 0, -g)`` into ``out`` (3,).

    With ``free_position`` the ZEV-only law ``a = ZEV / tgo`` (optimal when the final position is free).
    """
    for k in range(3):
        gk = -g if k == 2 else 0.0
        zem = r_f[k] - (r[k] + v[k] * tgo + 0.5 * gk * tgo * tgo)
        zev = v_f[k] - (v[k] + gk * tgo)
        out[k] = zev / tgo if free_position else 6.0 * zem / (tgo * tgo) - 2.0 * zev / tgo


@numba.njit(cache=True)
def _derivative(
    state: NDArray[np.float64], force: NDArray[np.float64], mdot: float, g: float, out: NDArray[np.float64]
) -> None:
    """d/dt of (x, y, z, vx, vy, vz, m) under a held thrust force [N]."""
    m = state[6]
    for k in range(3):
        out[k] = state[3 + k]
        out[3 + k] = force[k] / m
    out[5] -= g
    out[6] = -mdot


@numba.njit(cache=True)
def _rk4_step(state: NDArray[np.float64], force: NDArray[np.float64], mdot: float, g: float, dt: float) -> None:
    """Advance ``state`` (x, y, z, vx, vy, vz, m) by ``dt`` in place (classical RK4, held force)."""
    k1 = np.empty(7)
    k2 = np.empty(7)
    k3 = np.empty(7)
    k4 = np.empty(7)
    tmp = np.empty(7)
    _derivative(state, force, mdot, g, k1)
    for i in range(7):
        tmp[i] = state[i] + 0.5 * dt * k1[i]
    _derivative(tmp, force, mdot, g, k2)
    for i in range(7):
        tmp[i] = state[i] + 0.5 * dt * k2[i]
    _derivative(tmp, force, mdot, g, k3)
    for i in range(7):
        tmp[i] = state[i] + dt * k3[i]
    _derivative(tmp, force, mdot, g, k4)
    for i in range(7):
        state[i] += dt * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0


@numba.njit(cache=True)
def _command(
    state: NDArray[np.float64],
    nav_err: NDArray[np.float64],
    m_est: float,
    r_f: NDArray[np.float64],
    v_f: NDArray[np.float64],
    g: float,
    tgo: float,
    thrust_min: float,
    thrust_max: float,
    force: NDArray[np.float64],
    free_position: bool,
) -> float:
    """Saturated commanded thrust force [N] into ``force``; returns its magnitude [N]."""
    r_est = np.empty(3)
    for k in range(3):
        r_est[k] = state[k] + nav_err[k]
    acc = np.empty(3)
    zem_zev_acceleration(r_est, state[3:6], r_f, v_f, g, tgo, acc, free_position)
    norm = math.sqrt(acc[0] ** 2 + acc[1] ** 2 + acc[2] ** 2) * m_est
    mag = min(max(norm, thrust_min), thrust_max)
    for k in range(3):
        if norm > 0.0:
            force[k] = acc[k] * m_est * mag / norm
        else:
            force[k] = mag if k == 2 else 0.0
    return mag


@numba.njit(cache=True)
def _run(
    state: NDArray[np.float64],
    nav_err: NDArray[np.float64],
    thrust_scale: float,
    isp_true_s: float,
    r_f: NDArray[np.float64],
    v_f: NDArray[np.float64],
    params: NDArray[np.float64],
    history: NDArray[np.float64],
    record: bool,
) -> tuple[float, float, int]:
    """Fly one run in place; ``params`` = (g, tgo0, dt, thrust_min, thrust_max, isp_nominal, tgo_floor, t_max).

    Returns (time of touchdown or of stop [s], 1.0 if touched down else 0.0, number of recorded rows).
    ``history`` rows (when ``record``): t, x, y, z, vx, vy, vz, m, |F|.
    """
    g, tgo0, dt, thrust_min, thrust_max, isp_nom, tgo_floor, t_max = (
        params[0],
        params[1],
        params[2],
        params[3],
        params[4],
        params[5],
        params[6],
        params[7],
    )
    m_est = state[6]
    force = np.empty(3)
    prev = np.empty(7)
    t = 0.0
    rows = 0
    while t < t_max - 1e-12:
        tgo = max(tgo0 - t, tgo_floor)
        free = tgo0 - t < tgo_floor
        mag = _command(state, nav_err, m_est, r_f, v_f, g, tgo, thrust_min, thrust_max, force, free)
        if record and rows < history.shape[0]:
            history[rows, 0] = t
            history[rows, 1:8] = state
            history[rows, 8] = mag * thrust_scale
            rows += 1
        for k in range(3):
            force[k] *= thrust_scale
        mdot = mag * thrust_scale / (isp_true_s * G0_M_S2)
        prev[:] = state
        _rk4_step(state, force, mdot, g, dt)
        m_est -= mag / (isp_nom * G0_M_S2) * dt
        if state[2] <= 0.0:
            frac = prev[2] / (prev[2] - state[2]) if prev[2] > state[2] else 1.0
            for i in range(7):
                state[i] = prev[i] + frac * (state[i] - prev[i])
            t += frac * dt
            if record and rows < history.shape[0]:
                history[rows, 0] = t
                history[rows, 1:8] = state
                history[rows, 8] = mag * thrust_scale
                rows += 1
            return t, 1.0, rows
        t += dt
    return t, 0.0, rows


@numba.njit(cache=True)
def zem_zev_trajectory(
    state0: NDArray[np.float64],
    r_f: NDArray[np.float64],
    v_f: NDArray[np.float64],
    params: NDArray[np.float64],
    stop_at_tgo: bool,
) -> tuple[NDArray[np.float64], bool]:
    """One noise-free run, recorded: rows (t, x, y, z, vx, vy, vz, m, thrust) and whether it touched down.

    ``params`` as for :func:`zem_zev_touchdowns`; with ``stop_at_tgo`` the run ends at ``tgo0`` (a phase that
    ends in the air, e.g. a descent to a hover gate), otherwise at touchdown or ``t_max``.
    """
    p = params.copy()
    if stop_at_tgo:
        p[7] = p[1]
    n = int(math.ceil(p[7] / p[2])) + 2
    history = np.zeros((n, 9))
    state = state0.copy()
    nav = np.zeros(3)
    t, landed, rows = _run(state, nav, 1.0, p[5], r_f, v_f, p, history, True)
    if rows < n and landed == 0.0:
        history[rows, 0] = t
        history[rows, 1:8] = state
        history[rows, 8] = history[rows - 1, 8]
        rows += 1
    return history[:rows], landed > 0.5


@numba.njit(cache=True, parallel=True)
def zem_zev_touchdowns(
    state0: NDArray[np.float64],
    nav_err: NDArray[np.float64],
    thrust_scale: NDArray[np.float64],
    isp_true_s: NDArray[np.float64],
    r_f: NDArray[np.float64],
    v_f: NDArray[np.float64],
    params: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Many closed-loop terminal descents in parallel (prange over runs).

    Parameters
    ----------
    state0 : (n, 7)
        True initial x, y, z [m], vx, vy, vz [m/s], mass [kg] per run.
    nav_err : (n, 3)
        Constant position knowledge error [m] (estimate minus truth) per run.
    thrust_scale : (n,)
        Delivered / commanded thrust [-] per run.
    isp_true_s : (n,)
        True specific impulse [s] per run.
    r_f, v_f : (3,)
        Target position [m] and velocity [m/s].
    params : (8,)
        g [m/s^2], tgo0 [s], dt [s], thrust_min [N], thrust_max [N], nominal Isp [s], tgo floor [s], t_max [s].

    Returns
    -------
    final : (n, 7)
        State at touchdown (or at ``t_max``).
    t_s : (n,)
        Time of touchdown [s].
    landed : (n,)
        1.0 where the run reached the ground before ``t_max``.
    """
    n = state0.shape[0]
    final = np.empty((n, 7))
    t_s = np.empty(n)
    landed = np.empty(n)
    dummy = np.zeros((1, 9))
    for i in numba.prange(n):
        state = state0[i].copy()
        t, ok, _ = _run(state, nav_err[i], thrust_scale[i], isp_true_s[i], r_f, v_f, params, dummy, False)
        final[i] = state
        t_s[i] = t
        landed[i] = ok
    return final, t_s, landed
