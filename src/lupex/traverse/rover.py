"""The rover model: mobility, power and operational limits, with every parameter's unit, source and confidence."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.defaults import DEFAULTS, default
from lupex.errors import InputError

__all__ = ["PANEL_MODES", "Rover"]

#: Solar array orientations: ``vertical`` (a flat vertical panel turned to face the Sun's azimuth, gain
#: ``cos(elevation)``; mission-facts.md 1.7), ``tracking`` (two-axis, gain 1), ``horizontal`` (gain
#: ``sin(elevation)``).
PANEL_MODES = ("vertical", "tracking", "horizontal")
LUNAR_GRAVITY_M_S2 = 1.62

# Rover field -> lupex.defaults name
_FIELD_DEFAULTS = {
    "mass_kg": "rover_mass_kg",
    "speed_m_s": "rover_speed_m_s",
    "slope_nominal_deg": "rover_max_slope_deg",
    "slope_max_deg": "rover_hard_slope_deg",
    "steep_speed_factor": "rover_steep_speed_factor",
    "panel_area_m2": "rover_panel_area_m2",
    "panel_efficiency": "rover_panel_efficiency",
    "battery_Wh": "rover_battery_Wh",
    "min_state_of_charge": "rover_min_state_of_charge",
    "hotel_W": "rover_hotel_W",
    "drive_W": "rover_drive_W",
    "drivetrain_efficiency": "rover_drivetrain_efficiency",
    "heater_W": "rover_heater_W",
    "drill_W": "rover_drill_W",
    "drill_dwell_h": "rover_drill_dwell_h",
    "max_blackout_h": "rover_max_blackout_h",
    "mast_height_m": "rover_mast_height_m",
}

# Largest accepted values: far beyond any rover, small enough for the planner's integer bookkeeping (energy in
# 0.01 Wh units, time in quanta of a few seconds) and for its time quantum (set by the speed).
_AT_MOST = {
    "mass_kg": 1e6,
    "speed_m_s": 10.0,
    "panel_area_m2": 1000.0,
    "battery_Wh": 1e7,
    "drill_dwell_h": 720.0,
    "max_blackout_h": 1e5,
    "hotel_W": 1e6,
    "drive_W": 1e6,
    "heater_W": 1e6,
    "drill_W": 1e6,
    "mast_height_m": 100.0,
}


def _d(name: str) -> Any:
    return field(default_factory=lambda: default(_FIELD_DEFAULTS[name]))


@dataclass(frozen=True)
class Rover:
    """A solar-powered rover (defaults: LUPEX-class, see :mod:`lupex.defaults` for sources and confidence).

    Attributes
    ----------
    mass_kg : float
        Mass [kg] (climbing power).
    speed_m_s : float
        Drive speed on slopes up to ``slope_nominal_deg`` [m/s].
    slope_nominal_deg, slope_max_deg : float
        Slope up to which the rover drives at full speed, and beyond which it may not drive [deg];
        in between it drives at ``steep_speed_factor`` of its speed.
    steep_speed_factor : float
        Speed factor on steep ground (between the two limits) [-].
    panel_area_m2, panel_efficiency : float
        Solar array area [m2] and conversion efficiency [-].
    panel : {"vertical", "tracking", "horizontal"}
        Array orientation (see :data:`PANEL_MODES`).
    battery_Wh : float
        Battery capacity [Wh].
    min_state_of_charge : float
        Reserve fraction the battery never goes below [-].
    initial_state_of_charge : float
        Charge at the start of a plan [-] (default full).
    hotel_W, drive_W, heater_W, drill_W : float
        Power always drawn, added while driving on level ground, added in shadow, added while drilling [W].
    drivetrain_efficiency : float
        Efficiency of turning electrical power into climbing power [-].
    drill_dwell_h : float
        Default dwell at a drill station [h].
    max_blackout_h : float
        Longest allowed time without direct-to-Earth contact [h].
    max_shadow_h : float or None
        Longest allowed time in shadow per excursion [h]; ``None`` derives it from the battery and heaters:
        ``battery_Wh (1 - min_state_of_charge) / (hotel_W + heater_W)``, at most 1e5 h.
    mast_height_m : float
        Height of the solar array and antenna above the ground (sets horizons) [m].
    """

    mass_kg: float = _d("mass_kg")
    speed_m_s: float = _d("speed_m_s")
    slope_nominal_deg: float = _d("slope_nominal_deg")
    slope_max_deg: float = _d("slope_max_deg")
    steep_speed_factor: float = _d("steep_speed_factor")
    panel_area_m2: float = _d("panel_area_m2")
    panel_efficiency: float = _d("panel_efficiency")
    panel: Literal["vertical", "tracking", "horizontal"] = "vertical"
    battery_Wh: float = _d("battery_Wh")
    min_state_of_charge: float = _d("min_state_of_charge")
    initial_state_of_charge: float = 1.0
    hotel_W: float = _d("hotel_W")
    drive_W: float = _d("drive_W")
    drivetrain_efficiency: float = _d("drivetrain_efficiency")
    heater_W: float = _d("heater_W")
    drill_W: float = _d("drill_W")
    drill_dwell_h: float = _d("drill_dwell_h")
    max_blackout_h: float = _d("max_blackout_h")
    max_shadow_h: float | None = None
    mast_height_m: float = _d("mast_height_m")
    overrides: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        positive = {
            "mass_kg": self.mass_kg,
            "speed_m_s": self.speed_m_s,
            "panel_area_m2": self.panel_area_m2,
            "battery_Wh": self.battery_Wh,
            "drill_dwell_h": self.drill_dwell_h,
            "max_blackout_h": self.max_blackout_h,
        }
        for name, value in positive.items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value <= _AT_MOST[name]):
                raise InputError(
                    f"rover {name} {value!r} must be a positive number up to {_AT_MOST[name]:g} "
                    f"(e.g. {default(_FIELD_DEFAULTS[name])})"
                )
        for name in ("hotel_W", "drive_W", "heater_W", "drill_W", "mast_height_m"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value <= _AT_MOST[name]):
                raise InputError(f"rover {name} {value!r} must be a number in [0, {_AT_MOST[name]:g}]")
        for name in ("panel_efficiency", "drivetrain_efficiency", "steep_speed_factor"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 < value <= 1):
                raise InputError(f"rover {name} {value!r} must be in (0, 1]")
        if not 0 <= self.min_state_of_charge < self.initial_state_of_charge <= 1:
            raise InputError(
                f"rover state of charge: need 0 <= min_state_of_charge ({self.min_state_of_charge!r}) < "
                f"initial_state_of_charge ({self.initial_state_of_charge!r}) <= 1"
            )
        if not 0 < self.slope_nominal_deg <= self.slope_max_deg < 90:
            raise InputError(
                f"rover slopes: need 0 < slope_nominal_deg ({self.slope_nominal_deg!r}) <= slope_max_deg "
                f"({self.slope_max_deg!r}) < 90 degrees"
            )
        if self.panel not in PANEL_MODES:
            raise InputError(f"rover panel {self.panel!r} is not one of {', '.join(PANEL_MODES)}")
        limit = _AT_MOST["max_blackout_h"]
        if self.max_shadow_h is not None and not (math.isfinite(self.max_shadow_h) and 0 < self.max_shadow_h <= limit):
            raise InputError(
                f"rover max_shadow_h {self.max_shadow_h!r} must be hours in (0, {limit:g}], or None to derive it"
            )

    @classmethod
    def with_overrides(cls, **overrides: Any) -> Rover:
        """A rover with some parameters changed; unknown names are refused with the list of known ones."""
        known = {f for f in cls.__dataclass_fields__ if f != "overrides"}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(f"unknown rover parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**overrides, overrides=tuple(sorted(overrides)))

    @property
    def usable_Wh(self) -> float:
        """Energy between full charge and the reserve [Wh]."""
        return self.battery_Wh * (1.0 - self.min_state_of_charge)

    @property
    def shadow_limit_h(self) -> float:
        """Longest allowed time in shadow per excursion [h] (``max_shadow_h`` or derived, see the class)."""
        if self.max_shadow_h is not None:
            return float(self.max_shadow_h)
        # capped (at 11 years, beyond any plan) so that a rover without shadow loads keeps a finite count
        return min(self.usable_Wh / max(self.hotel_W + self.heater_W, 1e-9), _AT_MOST["max_blackout_h"])

    def speed_on_slope_m_s(self, slope_deg: ArrayLike) -> NDArray[np.float64]:
        """Drive speed on ground of the given slope [m/s]; 0 beyond ``slope_max_deg`` (or no data)."""
        s = np.asarray(slope_deg, dtype=np.float64)
        v = np.where(s <= self.slope_nominal_deg, self.speed_m_s, self.speed_m_s * self.steep_speed_factor)
        return np.where(np.isfinite(s) & (s <= self.slope_max_deg), v, 0.0)

    def drive_power_W(self, slope_deg: ArrayLike) -> NDArray[np.float64]:
        """Power drawn by driving on the slope, hotel excluded [W]: ``drive_W + m g v sin(slope) / eta``."""
        s = np.radians(np.nan_to_num(np.asarray(slope_deg, dtype=np.float64), nan=90.0))
        v = self.speed_on_slope_m_s(np.degrees(s))
        return self.drive_W + self.mass_kg * LUNAR_GRAVITY_M_S2 * v * np.sin(s) / self.drivetrain_efficiency

    def panel_gain(self, sun_elevation_deg: ArrayLike) -> NDArray[np.float64]:
        """Cosine of the Sun's incidence on the array for its orientation [-]."""
        e = np.radians(np.asarray(sun_elevation_deg, dtype=np.float64))
        if self.panel == "tracking":
            return np.ones_like(e)
        if self.panel == "horizontal":
            return np.clip(np.sin(e), 0.0, 1.0)
        return np.clip(np.cos(e), 0.0, 1.0)

    def solar_power_W(
        self, sun_fraction: ArrayLike, sun_elevation_deg: ArrayLike, sun_distance_au: ArrayLike = 1.0
    ) -> NDArray[np.float64]:
        """Electrical power from the array [W]: ``area eff S0 / d^2 x fraction x gain``."""
        s0 = default("solar_constant_W_m2")
        d = np.asarray(sun_distance_au, dtype=np.float64)
        f = np.asarray(sun_fraction, dtype=np.float64)
        return self.panel_area_m2 * self.panel_efficiency * s0 / d**2 * f * self.panel_gain(sun_elevation_deg)

    def parameters(self) -> dict[str, Any]:
        """Every parameter (field name -> value), ``max_shadow_h`` resolved."""
        out = asdict(self)
        out.pop("overrides")
        out["max_shadow_h"] = self.shadow_limit_h
        return out

    def provenance(self) -> list[dict[str, Any]]:
        """One row per parameter: name, value, unit, source, confidence (``user`` for overrides)."""
        rows: list[dict[str, Any]] = []
        for name, value in self.parameters().items():
            key = _FIELD_DEFAULTS.get(name)
            if name in self.overrides:
                rows.append({"name": name, "value": value, "unit": "", "source": "user", "confidence": "user"})
            elif key is not None:
                d = DEFAULTS[key]
                rows.append(
                    {"name": name, "value": value, "unit": d.unit, "source": d.source, "confidence": d.confidence}
                )
        return rows

    def placeholders_used(self) -> list[str]:
        """Parameters this rover takes from placeholder or estimate defaults."""
        return [r["name"] for r in self.provenance() if r["confidence"] in ("placeholder", "estimate")]
