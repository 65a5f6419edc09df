"""Direct Earth-Moon transfer by patched conics: TLI, lunar orbit insertion, deorbit, powered descent.

The trans-lunar leg is a geocentric Lambert arc (``lamberthub.izzo2015``, Izzo 2015) from the parking orbit to the
Moon's centre at the arrival instant (DE421). The departure point is chosen in the Moon's orbital plane (the
parking orbit is assumed coplanar, i.e. the launch time is chosen for it) at the transfer angle that minimises
TLI + LOI. The hyperbolic excess velocity at the Moon is the Lambert arrival velocity minus the Moon's velocity;
LOI is a single periapsis burn from that hyperbola into a circular polar orbit. See ``docs/models/transfer.md``.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lupex.constants import EARTH_RADIUS_KM, MOON_RADIUS_M
from lupex.defaults import default
from lupex.ephemeris import format_utc, parse_time
from lupex.errors import InputError

_log = logging.getLogger(__name__)

__all__ = [
    "EARTH_GM_KM3_S2",
    "MOON_GM_KM3_S2",
    "Burn",
    "TransLunarArc",
    "TransferBudget",
    "circular_speed_km_s",
    "hohmann_dv_km_s",
    "hyperbolic_periapsis_speed_km_s",
    "lambert_velocities_km_s",
    "lunar_orbit_insertion_dv_km_s",
    "moon_state_km",
    "periapsis_lowering_dv_km_s",
    "plane_change_dv_km_s",
    "propellant_mass_kg",
    "trans_lunar_arc",
    "transfer_budget",
]

#: Earth GM [km^3/s^2]. Source: DE421 header (GM_EARTH = 398600.436 km^3/s^2; Folkner et al. 2008, IPN PR 42-178).
EARTH_GM_KM3_S2 = 398_600.436
#: Moon GM [km^3/s^2]. Source: DE421 (GM_MOON = 4902.800 km^3/s^2; Folkner et al. 2008).
MOON_GM_KM3_S2 = 4_902.800
#: Standard gravity for the rocket equation [m/s^2] (exact, CGPM 1901).
G0_M_S2 = 9.80665
#: Lunar north pole in ICRF, constant terms of the IAU WGCCRE 2009 model (Archinal et al. 2011): RA, Dec [deg].
MOON_POLE_RA_DEC_DEG = (269.9949, 66.5392)

_MOON_RADIUS_KM = MOON_RADIUS_M / 1000.0


@dataclass(frozen=True)
class Burn:
    """One impulsive manoeuvre of the budget.

    Attributes
    ----------
    name : str
        What the burn does.
    dv_m_s : float
        Velocity change. [m/s]
    propellant_kg : float
        Propellant from the rocket equation at the budget's Isp (0 for burns by the launcher). [kg]
    mass_after_kg : float
        Spacecraft mass after the burn. [kg]
    by : str
        ``"launcher"`` or ``"spacecraft"``.
    """

    name: str
    dv_m_s: float
    propellant_kg: float
    mass_after_kg: float
    by: str


@dataclass(frozen=True)
class TransLunarArc:
    """The optimised geocentric Lambert arc from the parking orbit to the Moon.

    Attributes
    ----------
    tli_dv_km_s : float
        Impulsive TLI from the circular parking orbit (coplanar). [km/s]
    c3_km2_s2 : float
        Geocentric characteristic energy after TLI (negative: bound). [km^2/s^2]
    v_inf_km_s : float
        Hyperbolic excess speed at the Moon (Lambert arrival minus Moon velocity). [km/s]
    v_inf_vec_km_s : ndarray (3,)
        Excess velocity vector, ICRF axes. [km/s]
    transfer_angle_deg : float
        Angle swept from departure to arrival. [deg]
    asymptote_declination_deg : float
        Declination of the arrival asymptote from the lunar equator (IAU pole). [deg]
    """

    tli_dv_km_s: float
    c3_km2_s2: float
    v_inf_km_s: float
    v_inf_vec_km_s: NDArray[np.float64] = field(repr=False)
    transfer_angle_deg: float
    asymptote_declination_deg: float


@dataclass(frozen=True)
class TransferBudget:
    """Delta-v and propellant from the parking orbit to the lunar surface for one arrival date.

    Attributes
    ----------
    arrival_utc : numpy.datetime64
        Arrival at the Moon (LOI). [UTC]
    tof_days : float
        Trans-lunar time of flight. [d]
    burns : tuple of Burn
        Every burn in order: TLI, LOI, plane change, deorbit, powered descent, descent reserve.
    c3_km2_s2, v_inf_km_s : float
        Geocentric C3 after TLI [km^2/s^2]; hyperbolic excess speed at the Moon [km/s].
    plane_change_dv_m_s : float
        Plane change spent (0: the B-plane is targeted so the hyperbola lies in a polar plane). [m/s]
    untargeted_plane_change_dv_m_s : float
        Cost of turning a circular LLO from the minimum-inclination arrival plane (inclination = |asymptote
        declination|) to polar, had the B-plane not been targeted. [m/s]
    asymptote_declination_deg : float
        Arrival asymptote declination from the lunar equator. [deg]
    site_max_offset_km : float
        Largest distance from the site to the ground track of any polar orbit (its colatitude arc). [km]
    wet_mass_kg, final_mass_kg : float
        Spacecraft mass at the start of its first burn and on the surface. [kg]
    isp_s : float
        Specific impulse used for every spacecraft burn. [s]
    """

    arrival_utc: np.datetime64
    tof_days: float
    burns: tuple[Burn, ...]
    c3_km2_s2: float
    v_inf_km_s: float
    plane_change_dv_m_s: float
    untargeted_plane_change_dv_m_s: float
    asymptote_declination_deg: float
    site_max_offset_km: float
    wet_mass_kg: float
    final_mass_kg: float
    isp_s: float

    @property
    def total_dv_m_s(self) -> float:
        """Sum of all burns, launcher TLI included. [m/s]"""
        return float(sum(b.dv_m_s for b in self.burns))

    @property
    def spacecraft_dv_m_s(self) -> float:
        """Sum of the spacecraft's burns. [m/s]"""
        return float(sum(b.dv_m_s for b in self.burns if b.by == "spacecraft"))

    @property
    def propellant_kg(self) -> float:
        """Total spacecraft propellant. [kg]"""
        return float(sum(b.propellant_kg for b in self.burns))

    def dv_m_s(self, name_prefix: str) -> float:
        """Delta-v of the burns whose name starts with ``name_prefix``. [m/s]"""
        return float(sum(b.dv_m_s for b in self.burns if b.name.startswith(name_prefix)))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary with every burn."""
        return {
            "arrival_utc": format_utc(self.arrival_utc),
            "tof_days": self.tof_days,
            "c3_km2_s2": round(self.c3_km2_s2, 4),
            "v_inf_km_s": round(self.v_inf_km_s, 4),
            "plane_change_dv_m_s": round(self.plane_change_dv_m_s, 2),
            "untargeted_plane_change_dv_m_s": round(self.untargeted_plane_change_dv_m_s, 2),
            "asymptote_declination_deg": round(self.asymptote_declination_deg, 3),
            "site_max_offset_km": round(self.site_max_offset_km, 3),
            "isp_s": self.isp_s,
            "wet_mass_kg": self.wet_mass_kg,
            "final_mass_kg": round(self.final_mass_kg, 2),
            "total_dv_m_s": round(self.total_dv_m_s, 2),
            "spacecraft_dv_m_s": round(self.spacecraft_dv_m_s, 2),
            "propellant_kg": round(self.propellant_kg, 2),
            "burns": [
                {"name": b.name, "by": b.by, "dv_m_s": round(b.dv_m_s, 2), "propellant_kg": round(b.propellant_kg, 2),
                 "mass_after_kg": round(b.mass_after_kg, 2)}
                for b in self.burns
            ],
        }  # fmt: skip


def _positive(name: str, value: float, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise InputError(f"{name} {value!r} must be a finite number > 0; {hint}")
    return float(value)


def circular_speed_km_s(mu_km3_s2: float, radius_km: float) -> float:
    """Circular orbit speed sqrt(mu / r). [km/s]"""
    return math.sqrt(mu_km3_s2 / radius_km)


def hohmann_dv_km_s(mu_km3_s2: float, r1_km: float, r2_km: float) -> tuple[float, float]:
    """The two impulses of a Hohmann transfer between coplanar circular orbits r1 -> r2. [km/s]"""
    a = 0.5 * (r1_km + r2_km)
    v_p = math.sqrt(mu_km3_s2 * (2.0 / r1_km - 1.0 / a))
    v_a = math.sqrt(mu_km3_s2 * (2.0 / r2_km - 1.0 / a))
    return abs(v_p - circular_speed_km_s(mu_km3_s2, r1_km)), abs(circular_speed_km_s(mu_km3_s2, r2_km) - v_a)


def hyperbolic_periapsis_speed_km_s(mu_km3_s2: float, v_inf_km_s: float, radius_km: float) -> float:
    """Speed at periapsis radius ``radius_km`` of a hyperbola with excess speed ``v_inf_km_s`` (vis-viva). [km/s]"""
    return math.sqrt(v_inf_km_s**2 + 2.0 * mu_km3_s2 / radius_km)


def lunar_orbit_insertion_dv_km_s(v_inf_km_s: float, llo_radius_km: float, mu_km3_s2: float = MOON_GM_KM3_S2) -> float:
    """Periapsis burn from an arrival hyperbola into a circular orbit of radius ``llo_radius_km``. [km/s]"""
    return hyperbolic_periapsis_speed_km_s(mu_km3_s2, v_inf_km_s, llo_radius_km) - circular_speed_km_s(
        mu_km3_s2, llo_radius_km
    )


def periapsis_lowering_dv_km_s(mu_km3_s2: float, r_circular_km: float, r_periapsis_km: float) -> float:
    """Burn at radius ``r_circular_km`` that lowers the opposite apsis to ``r_periapsis_km`` (deorbit). [km/s]"""
    a = 0.5 * (r_circular_km + r_periapsis_km)
    v_apo = math.sqrt(mu_km3_s2 * (2.0 / r_circular_km - 1.0 / a))
    return circular_speed_km_s(mu_km3_s2, r_circular_km) - v_apo


def plane_change_dv_km_s(speed_km_s: float, angle_deg: float) -> float:
    """Impulsive plane change 2 v sin(angle / 2) at constant speed. [km/s]"""
    return 2.0 * speed_km_s * math.sin(math.radians(abs(angle_deg)) / 2.0)


def propellant_mass_kg(mass_before_kg: float, dv_m_s: float, isp_s: float) -> float:
    """Propellant burnt for ``dv_m_s`` at ``isp_s`` from the rocket equation m0 (1 - exp(-dv / (Isp g0))). [kg]"""
    return mass_before_kg * -math.expm1(-dv_m_s / (isp_s * G0_M_S2))


def lambert_velocities_km_s(
    r1_km: NDArray[np.float64], r2_km: NDArray[np.float64], tof_s: float, mu_km3_s2: float = EARTH_GM_KM3_S2
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Departure and arrival velocities of the zero-revolution prograde Lambert arc (``lamberthub.izzo2015``).

    Parameters
    ----------
    r1_km, r2_km : ndarray (3,)
        Position at departure and at arrival. [km]
    tof_s : float
        Time of flight. [s]
    mu_km3_s2 : float
        GM of the central body. [km^3/s^2]

    Returns
    -------
    v1, v2 : ndarray (3,)
        Velocities at r1 and r2. [km/s]
    """
    v1, v2 = _izzo2015()(mu_km3_s2, np.asarray(r1_km, dtype=np.float64), np.asarray(r2_km, dtype=np.float64), tof_s)
    return np.asarray(v1, dtype=np.float64), np.asarray(v2, dtype=np.float64)


@functools.cache
def _izzo2015() -> Any:
    """``lamberthub.izzo2015`` with numba's on-disk cache turned on.

    lamberthub jit-compiles its solvers without ``cache=True``, which costs every new process ~6-7 s of compiling
    (the flight stage's first Lambert arc); with the cache only the first process on a machine pays it, as for
    lupex's own kernels. Where no cache folder is writable numba says so and the solver is compiled as before.
    """
    from lamberthub import izzo2015

    try:
        izzo2015.enable_caching()
    except RuntimeError as err:  # numba: no writable cache locator for the package's files
        _log.info("lamberthub's Lambert solver compiles in this process (no numba cache: %s)", err)
    return izzo2015


def moon_state_km(time_utc: np.datetime64) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Geocentric position [km] and velocity [km/s] of the Moon (DE421, ICRF axes) at one UTC instant."""
    from lupex.ephemeris.sky import _skyfield_time
    from lupex.io.kernels import load_ephemeris_kernels

    kernels = load_ephemeris_kernels()
    t = _skyfield_time(np.array([time_utc], dtype="datetime64[ns]"))
    state = (kernels.planets["moon"] - kernels.planets["earth"]).at(t)
    position = np.asarray(state.position.km, dtype=np.float64)[:, 0]
    return position, np.asarray(state.velocity.km_per_s, dtype=np.float64)[:, 0]


def _moon_pole_unit() -> NDArray[np.float64]:
    ra, dec = (math.radians(a) for a in MOON_POLE_RA_DEC_DEG)
    return np.array([math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)])


def _rotate(vector: NDArray[np.float64], axis: NDArray[np.float64], angle_rad: float) -> NDArray[np.float64]:
    """Rodrigues rotation of ``vector`` about unit ``axis``."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return vector * c + np.cross(axis, vector) * s + axis * float(axis @ vector) * (1.0 - c)


def _arc_at_angle(
    angle_rad: float, moon_r: NDArray[np.float64], moon_v: NDArray[np.float64], r_park_km: float, tof_s: float
) -> tuple[float, float, NDArray[np.float64]]:
    """TLI [km/s], C3 [km^2/s^2] and v_inf vector [km/s] for a departure ``angle_rad`` behind the Moon's arrival."""
    h_hat = np.cross(moon_r, moon_v)
    h_hat /= np.linalg.norm(h_hat)
    r1 = _rotate(moon_r / np.linalg.norm(moon_r), h_hat, -angle_rad) * r_park_km
    v1, v2 = lambert_velocities_km_s(r1, moon_r, tof_s)
    v_park = np.cross(h_hat, r1 / r_park_km) * circular_speed_km_s(EARTH_GM_KM3_S2, r_park_km)
    c3 = float(v1 @ v1) - 2.0 * EARTH_GM_KM3_S2 / r_park_km
    return float(np.linalg.norm(v1 - v_park)), c3, v2 - moon_v


def trans_lunar_arc(
    arrival_utc: Any, *, parking_altitude_km: float, llo_altitude_km: float, tof_days: float
) -> TransLunarArc:
    """The Lambert arc to the Moon that minimises TLI + LOI over the transfer angle (140 to 179.5 deg).

    Raises
    ------
    InputError
        Non-positive altitudes or time of flight outside [1, 10] days; ``EphemerisRangeError`` outside DE421.
    """
    from scipy.optimize import minimize_scalar

    t_arrival = parse_time(arrival_utc, "arrival_utc")
    if not (isinstance(tof_days, (int, float)) and 1.0 <= tof_days <= 10.0):
        raise InputError(f"tof_days {tof_days!r} is outside [1, 10] days; give a direct-transfer time, e.g. 4.5")
    r_park = EARTH_RADIUS_KM + _positive("parking_altitude_km", parking_altitude_km, "give e.g. 200")
    r_llo = _MOON_RADIUS_KM + _positive("llo_altitude_km", llo_altitude_km, "give e.g. 100")
    moon_r, moon_v = moon_state_km(t_arrival)
    tof_s = tof_days * 86400.0

    def cost(angle_rad: float) -> float:
        tli, _, v_inf = _arc_at_angle(angle_rad, moon_r, moon_v, r_park, tof_s)
        return tli + lunar_orbit_insertion_dv_km_s(float(np.linalg.norm(v_inf)), r_llo)

    best = minimize_scalar(cost, bounds=(math.radians(140.0), math.radians(179.5)), method="bounded",
                           options={"xatol": 1e-5})  # fmt: skip
    tli, c3, v_inf = _arc_at_angle(float(best.x), moon_r, moon_v, r_park, tof_s)
    v_inf_norm = float(np.linalg.norm(v_inf))
    declination = math.degrees(math.asin(float(np.clip(v_inf @ _moon_pole_unit() / v_inf_norm, -1.0, 1.0))))
    return TransLunarArc(tli, c3, v_inf_norm, v_inf, math.degrees(float(best.x)), declination)


def _burn_rows(
    named_dv_m_s: list[tuple[str, float, str]], wet_mass_kg: float, isp_s: float
) -> tuple[tuple[Burn, ...], float]:
    mass = wet_mass_kg
    burns = []
    for name, dv, by in named_dv_m_s:
        propellant = propellant_mass_kg(mass, dv, isp_s) if by == "spacecraft" else 0.0
        mass -= propellant
        burns.append(Burn(name, dv, propellant, mass, by))
    return tuple(burns), mass


def descent_budget_m_s(
    llo_altitude_km: float, periselene_altitude_km: float, gravity_loss_m_s: float, reserve_fraction: float
) -> tuple[float, float, float]:
    """Deorbit, powered descent (periselene speed + losses) and reserve from a circular LLO. [m/s]

    The powered descent cancels the periselene speed of the ``llo x periselene`` ellipse (the surface speed of
    rotation, under 5 m/s, is neglected) and adds ``gravity_loss_m_s``; the reserve is ``reserve_fraction`` of
    deorbit + descent (the 5 % of Acta Astronautica 177, Table 4).
    """
    r_llo = _MOON_RADIUS_KM + llo_altitude_km
    r_peri = _MOON_RADIUS_KM + periselene_altitude_km
    if not 0.0 < periselene_altitude_km < llo_altitude_km:
        raise InputError(
            f"periselene_altitude_km {periselene_altitude_km!r} must be > 0 and below llo_altitude_km "
            f"{llo_altitude_km!r}; give e.g. 15"
        )
    if not (math.isfinite(gravity_loss_m_s) and gravity_loss_m_s >= 0 and 0.0 <= reserve_fraction < 1.0):
        raise InputError(
            f"gravity_loss_m_s {gravity_loss_m_s!r} / reserve_fraction {reserve_fraction!r}: give a loss >= 0 m/s "
            "and a reserve fraction in [0, 1), e.g. 300 and 0.05"
        )
    deorbit = periapsis_lowering_dv_km_s(MOON_GM_KM3_S2, r_llo, r_peri) * 1000.0
    a = 0.5 * (r_llo + r_peri)
    v_peri = math.sqrt(MOON_GM_KM3_S2 * (2.0 / r_peri - 1.0 / a)) * 1000.0
    descent = v_peri + gravity_loss_m_s
    return deorbit, descent, reserve_fraction * (deorbit + descent)


def transfer_budget(
    arrival_utc: Any,
    *,
    parking_altitude_km: float | None = None,
    llo_altitude_km: float | None = None,
    tof_days: float | None = None,
    site_lat_deg: float,
    isp_s: float | None = None,
    wet_mass_kg: float,
    periselene_altitude_km: float | None = None,
    descent_gravity_loss_m_s: float | None = None,
    descent_reserve_fraction: float | None = None,
    tli_by_launcher: bool = True,
) -> TransferBudget:
    """Delta-v table, propellant and masses from the parking orbit to the lunar surface, arriving ``arrival_utc``.

    Parameters
    ----------
    arrival_utc : time-like
        Arrival at the Moon (LOI), UTC.
    parking_altitude_km, llo_altitude_km, tof_days, periselene_altitude_km : float, optional
        Parking orbit [km], circular polar LLO [km], trans-lunar time of flight [d], deorbit periselene [km];
        defaults ``transfer_*`` in :data:`lupex.defaults.DEFAULTS`.
    site_lat_deg : float
        Landing-site latitude; a polar orbit overflies every latitude. [deg]
    isp_s : float, optional
        Specific impulse of the spacecraft's engine (default ``transfer_spacecraft_isp_s``). [s]
    wet_mass_kg : float
        Spacecraft mass before its first burn (after TLI when the launcher performs it). [kg]
    descent_gravity_loss_m_s, descent_reserve_fraction : float, optional
        Powered-descent losses [m/s] and reserve [1] (defaults ``transfer_descent_*``).
    tli_by_launcher : bool, default True
        TLI by the launcher's upper stage (no spacecraft propellant), as for H3 to lunar transfer orbit.

    Raises
    ------
    InputError
        Any argument out of range (the message names it).
    """
    park = default("transfer_parking_altitude_km") if parking_altitude_km is None else parking_altitude_km
    llo = default("transfer_llo_altitude_km") if llo_altitude_km is None else llo_altitude_km
    tof = default("transfer_tof_days") if tof_days is None else tof_days
    isp = _positive("isp_s", default("transfer_spacecraft_isp_s") if isp_s is None else isp_s, "give e.g. 315")
    mass = _positive("wet_mass_kg", wet_mass_kg, "give the spacecraft mass in kg, e.g. 6350")
    if not (isinstance(site_lat_deg, (int, float)) and -90.0 <= site_lat_deg <= 90.0):
        raise InputError(f"site_lat_deg {site_lat_deg!r} is outside [-90, 90]; give the latitude in degrees")
    arc = trans_lunar_arc(arrival_utc, parking_altitude_km=park, llo_altitude_km=llo, tof_days=tof)
    r_llo = _MOON_RADIUS_KM + llo
    deorbit, descent, reserve = descent_budget_m_s(
        llo,
        default("transfer_periselene_altitude_km") if periselene_altitude_km is None else periselene_altitude_km,
        default("transfer_descent_gravity_loss_m_s") if descent_gravity_loss_m_s is None else descent_gravity_loss_m_s,
        default("transfer_descent_reserve_fraction") if descent_reserve_fraction is None else descent_reserve_fraction,
    )
    untargeted = plane_change_dv_km_s(circular_speed_km_s(MOON_GM_KM3_S2, r_llo), 90.0 - abs(
        arc.asymptote_declination_deg)) * 1000.0  # fmt: skip
    tli_by = "launcher" if tli_by_launcher else "spacecraft"
    rows = [
        ("TLI (parking orbit -> trans-lunar)", arc.tli_dv_km_s * 1000.0, tli_by),
        ("LOI (hyperbola -> circular polar LLO)", lunar_orbit_insertion_dv_km_s(arc.v_inf_km_s, r_llo) * 1000.0,
         "spacecraft"),
        ("plane change (B-plane targeted: none)", 0.0, "spacecraft"),
        ("deorbit (LLO -> periselene ellipse)", deorbit, "spacecraft"),
        ("powered descent (periselene -> surface, with losses)", descent, "spacecraft"),
        ("descent reserve", reserve, "spacecraft"),
    ]  # fmt: skip
    burns, final = _burn_rows(rows, mass, isp)
    colatitude_rad = math.radians(90.0 - abs(site_lat_deg))
    return TransferBudget(
        parse_time(arrival_utc, "arrival_utc"), float(tof), burns, arc.c3_km2_s2, arc.v_inf_km_s, 0.0, untargeted,
        arc.asymptote_declination_deg, colatitude_rad * _MOON_RADIUS_KM, mass, final, isp,
    )  # fmt: skip
