"""Fuel-optimal powered descent guidance by lossless convexification (G-FOLD).

The landing problem (a lander with throttleable engines, constant gravity, flat ground) is posed as second-order
cone programs and solved with cvxpy and the Clarabel interior-point solver:

* Acikmese, B. & Ploen, S. R. (2007), "Convex programming approach to powered descent guidance for Mars
  landing", J. Guidance, Control, and Dynamics 30(5), 1353-1366: the non-convex thrust bound
  ``rho1 <= |T_c| <= rho2`` relaxed with the slack ``Gamma >= |T_c|`` (lossless: at the optimum
  ``|T_c| = Gamma``), the change of variables ``z = ln m``, ``u = T_c / m``, ``sigma = Gamma / m``, and the
  first-order (upper) and second-order (lower) Taylor bounds of ``rho exp(-z)`` about
  ``z0(t) = ln(m_wet - alpha rho2 t)``.
* Blackmore, L., Acikmese, B. & Scharf, D. P. (2010), "Minimum-landing-error powered-descent guidance for Mars
  landing using convex optimization", JGCD 33(4), 1161-1171: the minimum-landing-error problem (P3), then the
  minimum-fuel problem (P4) constrained to land no farther from the target than P3 found, and a line search
  over the time of flight.

Frame: surface-fixed, x (index 0) up, y and z horizontal, the landing target at ``(0, target_m[0],
target_m[1])``. Discretisation: ``n_nodes`` equal intervals, acceleration ``u`` and ``sigma`` held constant over
each interval (exact double-integrator and ``z`` updates), thrust bounds applied at the interval start.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from lupex.defaults import default
from lupex.errors import InputError

__all__ = [
    "G0_M_S2",
    "DescentProblem",
    "DescentSolution",
    "Lander",
    "acikmese_ploen_2007_problem",
    "lunar_terminal_descent_problem",
    "optimal_time_of_flight",
    "solve_descent",
    "time_of_flight_bounds_s",
]

#: Standard gravity used in the definition of specific impulse [m/s2] (CGPM 1901, exact).
G0_M_S2 = 9.80665

_FloatArray = NDArray[np.float64]
_FAMILIES = ("glide_slope", "pointing", "max_speed", "fuel", "thrust_max", "thrust_min")


def _finite(name: str, value: float, fix: str, *, positive: bool = False) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or (positive and value <= 0.0):
        accepted = "a finite number > 0" if positive else "a finite number"
        raise InputError(f"{name} {value!r} is not accepted; give {accepted}, {fix}")
    return float(value)


@dataclass(frozen=True)
class Lander:
    """A lander with ``n_engines`` identical throttleable engines canted ``cant_deg`` off the thrust axis.

    Attributes
    ----------
    wet_mass_kg : float
        Mass at the start of the descent [kg].
    dry_mass_kg : float
        Lowest mass allowed at touchdown (the fuel floor) [kg]; below ``wet_mass_kg``.
    isp_s : float
        Specific impulse of one engine [s].
    n_engines : int
        Number of engines firing together (>= 1).
    engine_thrust_max_N : float
        Full thrust of one engine along its own axis [N].
    throttle_min, throttle_max : float
        Throttle range, ``0 < throttle_min < throttle_max <= 1`` [1].
    cant_deg : float
        Cant of each engine from the net thrust axis, ``[0, 90)`` [deg]; the net thrust is
        ``n T cos(cant)`` while every engine burns fuel at ``T / (Isp g0)``.
    """

    wet_mass_kg: float
    dry_mass_kg: float
    isp_s: float
    n_engines: int
    engine_thrust_max_N: float
    throttle_min: float
    throttle_max: float
    cant_deg: float = 0.0

    def __post_init__(self) -> None:
        _finite("wet_mass_kg", self.wet_mass_kg, "the mass at descent start in kg, e.g. 1905", positive=True)
        _finite("dry_mass_kg", self.dry_mass_kg, "the lowest touchdown mass in kg, e.g. 1505", positive=True)
        if self.dry_mass_kg >= self.wet_mass_kg:
            raise InputError(
                f"dry_mass_kg {self.dry_mass_kg:g} is not below wet_mass_kg {self.wet_mass_kg:g}; "
                "give a dry mass below the wet mass (wet = dry + usable fuel)"
            )
        _finite("isp_s", self.isp_s, "the specific impulse in s, e.g. 225", positive=True)
        if isinstance(self.n_engines, bool) or not isinstance(self.n_engines, int) or not 1 <= self.n_engines <= 1000:
            raise InputError(f"n_engines {self.n_engines!r} is not accepted; give a whole number 1..1000, e.g. 6")
        _finite("engine_thrust_max_N", self.engine_thrust_max_N, "one engine's thrust in N, e.g. 3100", positive=True)
        lo, hi = self.throttle_min, self.throttle_max
        _finite("throttle_min", lo, "a fraction, e.g. 0.3")
        _finite("throttle_max", hi, "a fraction, e.g. 0.8")
        if not 0.0 < lo < hi <= 1.0:
            raise InputError(
                f"throttle_min {lo:g} and throttle_max {hi:g} are not accepted; give 0 < min < max <= 1, e.g. 0.3, 0.8"
            )
        cant = _finite("cant_deg", self.cant_deg, "the engine cant in degrees, e.g. 27")
        if not 0.0 <= cant < 90.0:
            raise InputError(f"cant_deg {cant:g} is outside [0, 90); give the engine cant from the thrust axis")

    @property
    def thrust_max_N(self) -> float:
        """Largest net thrust ``n T_max throttle_max cos(cant)`` [N] (rho2 of the papers)."""
        return self.n_engines * self.engine_thrust_max_N * self.throttle_max * math.cos(math.radians(self.cant_deg))

    @property
    def thrust_min_N(self) -> float:
        """Smallest net thrust with the engines on, ``n T_max throttle_min cos(cant)`` [N] (rho1)."""
        return self.n_engines * self.engine_thrust_max_N * self.throttle_min * math.cos(math.radians(self.cant_deg))

    @property
    def alpha_s_m(self) -> float:
        """Fuel use per unit net thrust, ``1 / (Isp g0 cos(cant))`` [s/m]: ``dm/dt = -alpha |T_c|``."""
        return 1.0 / (self.isp_s * G0_M_S2 * math.cos(math.radians(self.cant_deg)))


def _vector3(name: str, value: Any, fix: str) -> tuple[float, float, float]:
    try:
        out = tuple(float(x) for x in value)
    except (TypeError, ValueError):
        raise InputError(f"{name} {value!r} is not three numbers; give {fix}") from None
    if len(out) != 3 or not all(math.isfinite(x) for x in out):
        raise InputError(f"{name} {value!r} is not three finite numbers; give {fix}")
    return out[0], out[1], out[2]


@dataclass(frozen=True)
class DescentProblem:
    """A powered descent to a flat surface in constant gravity (x up).

    Attributes
    ----------
    lander : Lander
        Vehicle.
    gravity_m_s2 : float
        Surface gravity magnitude [m/s2] (> 0), acting along -x.
    r0_m : tuple of 3 float
        Initial position (altitude x > 0, horizontal y, z) [m].
    v0_m_s : tuple of 3 float
        Initial velocity [m/s].
    glide_slope_deg : float or None
        Smallest elevation of the lander seen from the landing point, ``[0, 90)`` [deg]; ``0`` keeps the lander
        above the ground plane; ``None`` imposes no state constraint (the trajectory may dip below the surface, as
        in the unconstrained example of Acikmese & Ploen 2007).
    pointing_max_deg : float or None
        Largest tilt of the thrust from vertical, ``(0, 180]`` [deg]; ``None`` for none.
    max_speed_m_s : float or None
        Speed limit [m/s] (> 0, at least the initial speed); ``None`` for none.
    target_m : tuple of 2 float
        Horizontal (y, z) of the landing target [m].

    Raises
    ------
    InputError
        A value out of range, or a lander that cannot hover even when empty (``thrust_max_N`` not above the weight
        at dry mass).
    """

    lander: Lander
    gravity_m_s2: float
    r0_m: tuple[float, float, float]
    v0_m_s: tuple[float, float, float]
    glide_slope_deg: float | None = None
    pointing_max_deg: float | None = None
    max_speed_m_s: float | None = None
    target_m: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        g = _finite("gravity_m_s2", self.gravity_m_s2, "the surface gravity in m/s2, e.g. 1.62", positive=True)
        r0 = _vector3("r0_m", self.r0_m, "(altitude, y, z) in m, e.g. (1500, 0, 2000)")
        object.__setattr__(self, "r0_m", r0)
        object.__setattr__(self, "v0_m_s", _vector3("v0_m_s", self.v0_m_s, "(vx, vy, vz) in m/s, e.g. (-75, 0, 100)"))
        if r0[0] <= 0.0:
            raise InputError(f"r0_m altitude {r0[0]:g} m is not above the ground; give an initial x (up) > 0")
        target = tuple(float(x) for x in self.target_m)
        if len(target) != 2 or not all(math.isfinite(x) for x in target):
            raise InputError(f"target_m {self.target_m!r} is not two finite numbers; give (y, z) in m, e.g. (0, 0)")
        object.__setattr__(self, "target_m", target)
        if self.glide_slope_deg is not None:
            gs = _finite("glide_slope_deg", self.glide_slope_deg, "an angle in degrees, e.g. 4")
            if not 0.0 <= gs < 90.0:
                raise InputError(f"glide_slope_deg {gs:g} is outside [0, 90); give the cone's elevation, e.g. 4")
        if self.pointing_max_deg is not None:
            pt = _finite("pointing_max_deg", self.pointing_max_deg, "an angle in degrees, e.g. 90")
            if not 0.0 < pt <= 180.0:
                raise InputError(f"pointing_max_deg {pt:g} is outside (0, 180]; give the largest thrust tilt from up")
        if self.max_speed_m_s is not None:
            vmax = _finite("max_speed_m_s", self.max_speed_m_s, "a speed in m/s, e.g. 150", positive=True)
            speed0 = math.hypot(*self.v0_m_s)
            if speed0 > vmax:
                raise InputError(
                    f"max_speed_m_s {vmax:g} is below the initial speed {speed0:.1f} m/s; raise it or drop the limit"
                )
        weight_dry = self.lander.dry_mass_kg * g
        if self.lander.thrust_max_N <= weight_dry:
            raise InputError(
                f"cannot hover: max thrust {self.lander.thrust_max_N:.0f} N is not above the weight at dry mass "
                f"{weight_dry:.0f} N; add engines, thrust or throttle_max, or lower the dry mass"
            )


@dataclass(frozen=True)
class DescentSolution:
    """Result of a powered descent solve (P3 then P4) at one time of flight.

    Attributes
    ----------
    feasible : bool
        A trajectory that lands (anywhere; see ``landing_error_m``) exists and was found.
    status : str
        cvxpy/Clarabel status of the last problem solved, or ``"precheck"`` when a physical check decided.
    binding_constraint : str or None
        When infeasible: the constraint family that binds (``time_of_flight_short``, ``time_of_flight_long``,
        ``fuel``, ``glide_slope``, ``pointing``, ``max_speed``, ``thrust_max``, ``thrust_min`` or ``unknown``).
    message : str
        One-line diagnosis (empty when the landing is on target).
    tf_s : float
        Time of flight [s].
    t_s : ndarray, shape (N+1,)
        Node times [s].
    r_m, v_m_s : ndarray, shape (N+1, 3)
        Position [m] and velocity [m/s] at the nodes (x up).
    thrust_N : ndarray, shape (N, 3)
        Net thrust vector over each interval [N] (``u m`` at the interval start).
    mass_kg : ndarray, shape (N+1,)
        Mass at the nodes [kg].
    fuel_kg : float
        Fuel used [kg] (NaN when infeasible).
    landing_error_m : float
        Horizontal distance from touchdown to the target [m] (NaN when infeasible).
    sigma_gap : float
        Largest relative gap ``(sigma - |u|) / sigma`` over the nodes [1]: ~0 when the relaxation is lossless.
    solve_time_s : float
        Wall-clock time of the solves [s].
    """

    feasible: bool
    status: str
    binding_constraint: str | None
    message: str
    tf_s: float
    t_s: _FloatArray = field(repr=False)
    r_m: _FloatArray = field(repr=False)
    v_m_s: _FloatArray = field(repr=False)
    thrust_N: _FloatArray = field(repr=False)
    mass_kg: _FloatArray = field(repr=False)
    fuel_kg: float = math.nan
    landing_error_m: float = math.nan
    sigma_gap: float = math.nan
    solve_time_s: float = 0.0


def _infeasible(tf_s: float, status: str, binding: str, message: str, solve_time_s: float = 0.0) -> DescentSolution:
    empty3 = np.zeros((0, 3))
    return DescentSolution(
        feasible=False, status=status, binding_constraint=binding, message=message, tf_s=tf_s,
        t_s=np.zeros(0), r_m=empty3, v_m_s=empty3, thrust_N=empty3, mass_kg=np.zeros(0), solve_time_s=solve_time_s,
    )  # fmt: skip


def _delta_v_max_m_s(lander: Lander, tf_s: float) -> float:
    """Largest speed change [m/s] full thrust gives in ``tf_s`` (rocket equation, stopped at dry mass)."""
    m_end = max(lander.wet_mass_kg - lander.alpha_s_m * lander.thrust_max_N * tf_s, lander.dry_mass_kg)
    return math.log(lander.wet_mass_kg / m_end) / lander.alpha_s_m


def _precheck(problem: DescentProblem, tf_s: float) -> DescentSolution | None:
    """Necessary conditions that decide infeasibility without a solver (None when all pass)."""
    lander = problem.lander
    burn_min_s = (lander.wet_mass_kg - lander.dry_mass_kg) / (lander.alpha_s_m * lander.thrust_min_N)
    if tf_s >= burn_min_s:
        return _infeasible(tf_s, "precheck", "time_of_flight_long",
                           f"time of flight {tf_s:g} s too long: at minimum thrust the fuel lasts {burn_min_s:.1f} s; "
                           "shorten tf_s")  # fmt: skip
    need = math.hypot(problem.v0_m_s[0] - problem.gravity_m_s2 * tf_s, *problem.v0_m_s[1:])
    fuel_dv = math.log(lander.wet_mass_kg / lander.dry_mass_kg) / lander.alpha_s_m
    if need > fuel_dv:
        return _infeasible(tf_s, "precheck", "fuel",
                           f"not enough fuel: stopping in {tf_s:g} s needs at least {need:.0f} m/s, the fuel gives "
                           f"{fuel_dv:.0f} m/s; shorten tf_s or add fuel")  # fmt: skip
    dv_max = _delta_v_max_m_s(lander, tf_s)
    if need > dv_max:
        return _infeasible(tf_s, "precheck", "time_of_flight_short",
                           f"time of flight {tf_s:g} s too short to stop: needs at least {need:.0f} m/s, max thrust "
                           f"gives {dv_max:.0f} m/s; lengthen tf_s")  # fmt: skip
    return None


class _Program:
    """The discretised P3 and P4 of one problem and node count, with the time of flight as a cvxpy parameter.

    Built once (DPP), so re-solving at another time of flight skips cvxpy's compilation. ``relax`` drops
    constraint families (used only to diagnose an infeasible problem).
    """

    def __init__(self, problem: DescentProblem, n_nodes: int, relax: frozenset[str] = frozenset()) -> None:
        lander, n = problem.lander, n_nodes
        self.problem, self.n_nodes = problem, n
        self.dt = cp.Parameter(nonneg=True)
        self.half_dt2 = cp.Parameter(nonneg=True)
        self.z0 = cp.Parameter(n)
        self.mu1 = cp.Parameter(n, nonneg=True)
        self.mu2 = cp.Parameter(n, nonneg=True)
        self.w_max = cp.Parameter(n)
        self.d_max = cp.Parameter(nonneg=True)
        self.r, self.v = cp.Variable((n + 1, 3)), cp.Variable((n + 1, 3))
        self.z, self.u, self.s = cp.Variable(n + 1), cp.Variable((n, 3)), cp.Variable(n)
        w = cp.Variable(n)  # z - z0 at the interval starts
        r, v, z, u, s = self.r, self.v, self.z, self.u, self.s
        acc = u + np.tile([-problem.gravity_m_s2, 0.0, 0.0], (n, 1))
        cons = [
            r[0] == np.array(problem.r0_m), v[0] == np.array(problem.v0_m_s), z[0] == math.log(lander.wet_mass_kg),
            v[1:] == v[:-1] + self.dt * acc,
            r[1:] == r[:-1] + self.dt * v[:-1] + self.half_dt2 * acc,
            z[1:] == z[:-1] - lander.alpha_s_m * self.dt * s,
            w == z[:-1] - self.z0,
            cp.norm(u, 2, axis=1) <= s,
            r[n, 0] == 0.0, v[n] == 0.0,
        ]  # fmt: skip
        if "thrust_min" not in relax:
            cons += [s >= cp.multiply(self.mu1, 1.0 - w + 0.5 * cp.square(w)), w <= self.w_max]
        if "thrust_max" not in relax:
            cons += [s <= cp.multiply(self.mu2, 1.0 - w), w >= 0.0]
        if "fuel" not in relax:
            cons.append(z[n] >= math.log(lander.dry_mass_kg))
        if problem.glide_slope_deg is not None and "glide_slope" not in relax:
            tan_gs = math.tan(math.radians(problem.glide_slope_deg))
            cons.append(tan_gs * cp.norm(r[:, 1:] - cp.reshape(r[n, 1:], (1, 2), order="C"), 2, axis=1) <= r[:, 0])
        if problem.pointing_max_deg is not None and "pointing" not in relax:
            cons.append(u[:, 0] >= math.cos(math.radians(problem.pointing_max_deg)) * s)
        if problem.max_speed_m_s is not None and "max_speed" not in relax:
            cons.append(cp.norm(v, 2, axis=1) <= problem.max_speed_m_s)
        miss = cp.norm(r[n, 1:] - np.array(problem.target_m))
        self.p3 = cp.Problem(cp.Minimize(miss), cons)
        self.p4 = cp.Problem(cp.Maximize(z[n]), [*cons, miss <= self.d_max])

    def set_tf(self, tf_s: float) -> None:
        """Set the time-of-flight parameters: step, Taylor reference ``z0(t)`` and the bound coefficients."""
        lander, n = self.problem.lander, self.n_nodes
        dt = tf_s / n
        t = dt * np.arange(n)
        m_ref = np.maximum(lander.wet_mass_kg - lander.alpha_s_m * lander.thrust_max_N * t, lander.dry_mass_kg)
        m_light = lander.wet_mass_kg - lander.alpha_s_m * lander.thrust_min_N * t  # > dry: see _precheck
        self.dt.value, self.half_dt2.value = dt, 0.5 * dt * dt
        self.z0.value = np.log(m_ref)
        self.mu1.value = lander.thrust_min_N / m_ref
        self.mu2.value = lander.thrust_max_N / m_ref
        self.w_max.value = np.log(m_light) - np.log(m_ref)

    def solve(self, which: cp.Problem) -> str:
        """Solve P3 or P4 with Clarabel; the status (``"solver_error"`` if Clarabel fails)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "solution may be inaccurate": the status says so
            try:
                which.solve(solver=cp.CLARABEL)
            except cp.error.SolverError:
                return "solver_error"
        return str(which.status)


_OK = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


def _diagnose(problem: DescentProblem, n_nodes: int, tf_s: float, status: str) -> tuple[str, str]:
    """Constraint family whose removal makes P3 feasible (tried one by one), and a one-line message."""
    active = [f for f in _FAMILIES if f not in ("glide_slope", "pointing", "max_speed")
              or getattr(problem, {"glide_slope": "glide_slope_deg", "pointing": "pointing_max_deg",
                                   "max_speed": "max_speed_m_s"}[f]) is not None]  # fmt: skip
    hints = {
        "glide_slope": "the glide-slope cone; lower glide_slope_deg or change tf_s",
        "pointing": "the thrust-pointing cone; raise pointing_max_deg",
        "max_speed": "the speed limit; raise max_speed_m_s",
        "fuel": "the fuel (dry-mass floor); shorten tf_s or add fuel",
        "thrust_max": f"the maximum thrust: time of flight {tf_s:g} s too short to stop; lengthen tf_s",
        "thrust_min": f"the minimum thrust: time of flight {tf_s:g} s too long (cannot throttle low enough to stay "
        "airborne); shorten tf_s",
    }
    for family in active:
        relaxed = _Program(problem, n_nodes, frozenset({family}))
        relaxed.set_tf(tf_s)
        if relaxed.solve(relaxed.p3) in _OK:
            return family, f"infeasible ({status}) at tf {tf_s:g} s; binding: {hints[family]}"
    return "unknown", f"infeasible ({status}) at tf {tf_s:g} s; no single constraint family explains it"


def _extract(prog: _Program, tf_s: float, status: str, elapsed_s: float) -> DescentSolution:
    n = prog.n_nodes
    z = np.asarray(prog.z.value, dtype=np.float64)
    u = np.asarray(prog.u.value, dtype=np.float64)
    s = np.asarray(prog.s.value, dtype=np.float64)
    r = np.asarray(prog.r.value, dtype=np.float64)
    mass = np.exp(z)
    target = np.array(prog.problem.target_m)
    miss = float(np.hypot(*(r[n, 1:] - target)))
    gap = float(np.max((s - np.linalg.norm(u, axis=1)) / np.maximum(s, 1e-12)))
    tol = default("gfold_landing_tolerance_m")
    message = "" if miss <= tol else f"target out of reach at tf {tf_s:g} s: lands {miss:.1f} m away"
    return DescentSolution(
        feasible=True, status=status, binding_constraint=None, message=message, tf_s=float(tf_s),
        t_s=np.linspace(0.0, tf_s, n + 1), r_m=r, v_m_s=np.asarray(prog.v.value, dtype=np.float64),
        thrust_N=u * mass[:-1, None], mass_kg=mass, fuel_kg=float(mass[0] - mass[-1]), landing_error_m=miss,
        sigma_gap=gap, solve_time_s=elapsed_s,
    )  # fmt: skip


def _check_nodes(n_nodes: int) -> int:
    lo, hi = int(default("gfold_min_nodes")), int(default("gfold_max_nodes"))
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int) or not lo <= n_nodes <= hi:
        raise InputError(f"n_nodes {n_nodes!r} is not accepted; give a whole number {lo}..{hi}, e.g. 80")
    return n_nodes


def _check_tf(name: str, tf_s: float) -> float:
    tf = _finite(name, tf_s, "the time of flight in s, e.g. 72", positive=True)
    limit = default("gfold_max_tf_s")
    if tf > limit:
        raise InputError(f"{name} {tf:g} is above {limit:g} s; give a time of flight in s, e.g. 72")
    return tf


def _solve_with(prog: _Program, tf_s: float, *, diagnose: bool = True) -> DescentSolution:
    """P3 then P4 on a built program (prechecks first); infeasible results carry the diagnosis if asked."""
    pre = _precheck(prog.problem, tf_s)
    if pre is not None:
        return pre
    start = time.perf_counter()
    prog.set_tf(tf_s)
    status = prog.solve(prog.p3)
    if status not in _OK:
        binding, message = ("unknown", f"infeasible ({status}) at tf {tf_s:g} s")
        if diagnose:
            binding, message = _diagnose(prog.problem, prog.n_nodes, tf_s, status)
        return _infeasible(tf_s, status, binding, message, time.perf_counter() - start)
    miss = float(prog.p3.value)
    prog.d_max.value = miss * (1.0 + 1e-6) + default("gfold_landing_tolerance_m")
    status4 = prog.solve(prog.p4)
    if status4 not in _OK:  # P4 contains P3's optimum, so this is a numerical failure: report P3's trajectory
        prog.solve(prog.p3)
        status4 = f"{status4} (P4); P3 trajectory"
    return _extract(prog, tf_s, status4, time.perf_counter() - start)


def solve_descent(problem: DescentProblem, tf_s: float, n_nodes: int = 80) -> DescentSolution:
    """Minimum-fuel descent at a fixed time of flight: P3 (closest landing), then P4 (least fuel there).

    Parameters
    ----------
    problem : DescentProblem
        Lander, gravity, initial state and constraints.
    tf_s : float
        Time of flight [s] (> 0).
    n_nodes : int
        Number of time intervals (``gfold_min_nodes`` .. ``gfold_max_nodes``).

    Returns
    -------
    DescentSolution
        ``feasible`` False with ``binding_constraint`` and ``message`` when no landing exists at ``tf_s``.

    Raises
    ------
    InputError
        ``tf_s`` or ``n_nodes`` out of range.
    """
    tf = _check_tf("tf_s", tf_s)
    return _solve_with(_Program(problem, _check_nodes(n_nodes)), tf)


def _rank(sol: DescentSolution) -> float:
    """Search cost: fuel [kg] on target; +1e6 plus the miss [m] off target; inf when infeasible."""
    if not sol.feasible:
        return math.inf
    miss = sol.landing_error_m
    return sol.fuel_kg if miss <= default("gfold_landing_tolerance_m") else 1e6 + miss


def optimal_time_of_flight(
    problem: DescentProblem,
    tf_min_s: float,
    tf_max_s: float,
    n_nodes: int = 80,
    *,
    n_grid: int = 10,
    tf_tol_s: float = 0.1,
) -> DescentSolution:
    """Minimum-fuel descent over the time of flight: a coarse grid, then golden-section search around its best.

    The fuel of P4 is unimodal in ``tf`` (Blackmore et al. 2010, Sec. IV); the grid brackets the minimum (and
    the feasible range) before the golden-section search narrows it to ``tf_tol_s``.

    Parameters
    ----------
    problem : DescentProblem
        The descent.
    tf_min_s, tf_max_s : float
        Time-of-flight range searched [s].
    n_nodes : int
        Number of time intervals.
    n_grid : int
        Points of the coarse grid (3..100).
    tf_tol_s : float
        Width of the final bracket [s] (> 0).

    Returns
    -------
    DescentSolution
        The best solution found; infeasible (with the diagnosis at the grid point closest to feasible) when no
        grid time lands.

    Raises
    ------
    InputError
        A range, grid size or tolerance out of bounds.
    """
    lo, hi = _check_tf("tf_min_s", tf_min_s), _check_tf("tf_max_s", tf_max_s)
    if hi <= lo:
        raise InputError(f"tf_max_s {hi:g} is not above tf_min_s {lo:g}; give a range, e.g. 40..120 s")
    if isinstance(n_grid, bool) or not isinstance(n_grid, int) or not 3 <= n_grid <= 100:
        raise InputError(f"n_grid {n_grid!r} is not accepted; give a whole number 3..100, e.g. 8")
    tol = _finite("tf_tol_s", tf_tol_s, "a bracket width in s, e.g. 0.1", positive=True)
    prog = _Program(problem, _check_nodes(n_nodes))
    grid = np.linspace(lo, hi, n_grid)
    sols = [_solve_with(prog, float(t), diagnose=False) for t in grid]
    costs = [_rank(s) for s in sols]
    best = int(np.argmin(costs))
    if not math.isfinite(costs[best]):
        return _closest_failure(prog, sols, grid)
    a, b = float(grid[max(best - 1, 0)]), float(grid[min(best + 1, n_grid - 1)])
    return _golden(prog, a, b, tol, sols[best])


def _closest_failure(prog: _Program, sols: list[DescentSolution], grid: _FloatArray) -> DescentSolution:
    """The grid failure to report (diagnosed): the longest tf not refused by the long-tf check, else the first."""
    candidates = [s for s in sols if s.binding_constraint != "time_of_flight_long"]
    other = candidates[-1] if candidates else sols[0]
    if other.status != "precheck":
        other = _solve_with(prog, other.tf_s)
    message = f"no time of flight in {grid[0]:g}..{grid[-1]:g} s lands; at {other.tf_s:g} s: {other.message}"
    return replace(other, message=message)


def _golden(prog: _Program, a: float, b: float, tol: float, best: DescentSolution) -> DescentSolution:
    """Golden-section search of the P4 fuel on ``[a, b]``; the best solution seen (``best`` included)."""
    inv_phi = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    sc, sd = _solve_with(prog, c), _solve_with(prog, d)
    seen = [best, sc, sd]
    while b - a > tol:
        rc, rd = _rank(sc), _rank(sd)
        both_fail = math.isinf(rc) and math.isinf(rd)
        if rc < rd or (rc == rd and not (both_fail and best.tf_s > d)):  # both infeasible: step towards the best
            b, d, sd = d, c, sc
            c = b - inv_phi * (b - a)
            sc = _solve_with(prog, c)
            seen.append(sc)
        else:
            a, c, sc = c, d, sd
            d = a + inv_phi * (b - a)
            sd = _solve_with(prog, d)
            seen.append(sd)
    return min(seen, key=_rank)


def time_of_flight_bounds_s(problem: DescentProblem) -> tuple[float, float]:
    """A time-of-flight range [s] that holds every feasible landing time, for :func:`optimal_time_of_flight`.

    The upper end is when the fuel runs out at minimum thrust (the engines cannot be shut down); the lower end is
    5 % of it (shorter times are refused by the solver or by the stopping check).
    """
    lander = problem.lander
    burn_min_s = (lander.wet_mass_kg - lander.dry_mass_kg) / (lander.alpha_s_m * lander.thrust_min_N)
    high = min(0.999 * burn_min_s, default("gfold_max_tf_s"))
    return 0.05 * high, high


def acikmese_ploen_2007_problem(glide_slope_deg: float | None = None) -> DescentProblem:
    """The Mars landing example of Acikmese & Ploen (2007), Sec. V (also Blackmore et al. 2010).

    g = 3.7114 m/s2; wet 1905 kg, dry 1505 kg; Isp 225 s; six 3100 N engines canted 27 deg, throttle 0.3-0.8;
    r0 = (1500, 0, 2000) m, v0 = (-75, 0, 100) m/s (x up). The paper's minimum-fuel solution: 387.9 kg at
    t_f = 72 s without state constraints, 399.5 kg at t_f = 81 s with a 4 deg glide slope.
    """
    lander = Lander(wet_mass_kg=1905.0, dry_mass_kg=1505.0, isp_s=225.0, n_engines=6, engine_thrust_max_N=3100.0,
                    throttle_min=0.3, throttle_max=0.8, cant_deg=27.0)  # fmt: skip
    return DescentProblem(lander, 3.7114, (1500.0, 0.0, 2000.0), (-75.0, 0.0, 100.0), glide_slope_deg=glide_slope_deg)


def lunar_terminal_descent_problem(glide_slope_deg: float | None = None) -> DescentProblem:
    """A Chandrayaan-3-class terminal descent from the end of fine braking (``lunar_descent_*`` defaults).

    Four 800 N throttleable engines (published); mass, Isp, throttle range, the thrust-tilt limit and the initial
    offset and sink rate are labelled estimates in :data:`lupex.defaults.DEFAULTS`.
    """
    lander = Lander(
        wet_mass_kg=default("lunar_descent_wet_mass_kg"), dry_mass_kg=default("lunar_descent_dry_mass_kg"),
        isp_s=default("lunar_descent_isp_s"), n_engines=int(default("lunar_descent_n_engines")),
        engine_thrust_max_N=default("lunar_descent_engine_thrust_N"),
        throttle_min=default("lunar_descent_throttle_min"), throttle_max=default("lunar_descent_throttle_max"),
    )  # fmt: skip
    r0 = (default("lunar_descent_altitude_m"), 0.0, default("lunar_descent_downrange_m"))
    v0 = (-default("lunar_descent_vertical_speed_m_s"), 0.0, 0.0)
    return DescentProblem(lander, default("lunar_descent_gravity_m_s2"), r0, v0, glide_slope_deg=glide_slope_deg,
                          pointing_max_deg=default("lunar_descent_pointing_max_deg"))  # fmt: skip
