"""Parameters of the surface campaign: faults, data, success criteria and the Monte Carlo's uncertainties.

Every number defaults to a documented entry of :mod:`lupex.defaults` (unit, source, confidence); the scenario's
``[ops]`` section overrides them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from lupex.defaults import default
from lupex.errors import InputError

__all__ = ["FAULT_KINDS", "FAULT_POLICIES", "FaultModel", "OpsParams", "Perturbation", "SuccessCriteria"]

#: Subsystem faults: name -> (rate default, rate unit, recovery default, exposure). Exposure says when a fault
#: can strike: "drill" only while drilling, "drive" only while driving, "always" at any time.
FAULT_KINDS: dict[str, tuple[str, str, str]] = {
    "drill_jam": ("ops_drill_jam_per_h", "ops_drill_jam_recovery_h", "drill"),
    "wheel_slip": ("ops_wheel_slip_per_h", "ops_wheel_slip_recovery_h", "drive"),
    "comms_dropout": ("ops_comms_dropout_per_d", "ops_comms_dropout_recovery_h", "always"),
    "safe_mode": ("ops_safe_mode_per_d", "ops_safe_mode_recovery_h", "always"),
    "heater_failure": ("ops_heater_failure_per_d", "ops_heater_failure_recovery_h", "always"),
}
#: What the rover does after a drill jam: drill again (up to ``max_retries``), skip the station, or go home.
FAULT_POLICIES = ("retry", "skip", "return")


def _rate_per_h(kind: str) -> float:
    name = FAULT_KINDS[kind][0]
    return default(name) / (24.0 if name.endswith("_per_d") else 1.0)


def _check(name: str, value: float, low: float, high: float = math.inf) -> None:
    if isinstance(value, bool) or not (math.isfinite(value) and low <= value <= high):
        raise InputError(f"ops.{name} = {value!r} is outside [{low:g}, {high:g}]; give a finite value in that range")


@dataclass(frozen=True)
class FaultModel:
    """Fault rates per hour of exposure and recovery times.

    Attributes
    ----------
    rates_per_h : dict of str -> float
        Poisson rate of each kind of :data:`FAULT_KINDS` per hour of its exposure [1/h].
    recovery_h : dict of str -> float
        Time each kind takes to recover [h].
    policy : str
        After a drill jam: ``retry``, ``skip`` or ``return`` (:data:`FAULT_POLICIES`).
    max_retries : int
        Drill retries after a jam before the station is skipped.
    enabled : bool
        False: no faults at all (the deterministic campaign).
    """

    rates_per_h: dict[str, float] = field(default_factory=lambda: {k: _rate_per_h(k) for k in FAULT_KINDS})
    recovery_h: dict[str, float] = field(default_factory=lambda: {k: default(v[1]) for k, v in FAULT_KINDS.items()})
    policy: str = "retry"
    max_retries: int = int(default("ops_max_retries"))
    enabled: bool = True

    def __post_init__(self) -> None:
        for kind in FAULT_KINDS:
            if kind not in self.rates_per_h or kind not in self.recovery_h:
                known = ", ".join(FAULT_KINDS)
                raise InputError(f"fault kind {kind!r} needs a rate and a recovery time; known: {known}")
            _check(f"{kind} rate", self.rates_per_h[kind], 0.0, 100.0)
            _check(f"{kind} recovery_h", self.recovery_h[kind], 0.0, 24.0 * 365)
        if self.policy not in FAULT_POLICIES:
            raise InputError(f"ops.fault_policy {self.policy!r} is not known; use one of {', '.join(FAULT_POLICIES)}")
        _check("max_retries", self.max_retries, 0, 100)


@dataclass(frozen=True)
class SuccessCriteria:
    """What a successful campaign achieves.

    Attributes
    ----------
    min_drill_samples : int
        Drill samples analysed.
    min_km : float
        Distance driven [km].
    min_data_GB : float
        Data returned to Earth [GB] (1 GB = 1e9 bytes).
    alive_at_end : bool
        The rover must be alive when the mission ends.
    """

    min_drill_samples: int = int(default("ops_success_min_drill_samples"))
    min_km: float = default("ops_success_min_km")
    min_data_GB: float = default("ops_success_min_data_GB")
    alive_at_end: bool = True

    def met(self, drill_samples: int, km: float, data_GB: float, alive: bool) -> dict[str, bool]:
        """Each criterion, met or not."""
        return {
            "drill_samples": drill_samples >= self.min_drill_samples,
            "km": km >= self.min_km,
            "data_GB": data_GB >= self.min_data_GB,
            "alive": alive or not self.alive_at_end,
        }


@dataclass(frozen=True)
class Perturbation:
    """One Monte Carlo draw of the uncertain parameters (1 = nominal).

    Attributes
    ----------
    battery_capacity_factor : float
        Capacity at the end of the mission over nominal (fade is linear in time from 1) [1].
    panel_factor : float
        Array output over nominal [1].
    speed_factor : float
        Drive speed over nominal [1].
    touchdown_offset_m : tuple of float
        Touchdown minus the planned site, east and north on the map [m].
    """

    battery_capacity_factor: float = 1.0
    panel_factor: float = 1.0
    speed_factor: float = 1.0
    touchdown_offset_m: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        _check("battery_capacity_factor", self.battery_capacity_factor, 0.01, 10.0)
        _check("panel_factor", self.panel_factor, 0.0, 10.0)
        _check("speed_factor", self.speed_factor, 0.01, 10.0)


@dataclass(frozen=True)
class OpsParams:
    """The campaign's own parameters (the rover's are in :class:`lupex.traverse.Rover`).

    Attributes
    ----------
    duration_days : float
        Length of the surface mission [d].
    start_state_of_charge : float
        Battery fraction to wait for at the haven before a sortie [1].
    sortie_days : float
        Planning horizon of a sortie [d].
    replan_wait_h : float
        Wait before trying again when no station can be reached [h].
    return_margin_h : float
        Daylight the haven must still have after a sortie's planned return [h] (else the rover stays).
    storage_MB, survey_MB_h, sample_MB, housekeeping_MB_h : float
        Storage capacity [MB], survey data while driving [MB/h], data per analysed sample [MB], telemetry [MB/h].
    samples_per_hole : int
        Drill samples per station (drill depth / bite).
    drill_dwell_h : float
        Drilling time at a station [h].
    reach_m : float
        Largest distance of a station from the haven [m].
    hibernate_W : float
        Load while hibernating in darkness at the haven [W].
    louver_closed_emissivity : float
        Radiator emittance while hibernating (louvers closed) [1].
    faults : FaultModel
    success : SuccessCriteria
    """

    duration_days: float = 100.0
    start_state_of_charge: float = default("ops_start_state_of_charge")
    sortie_days: float = default("ops_sortie_days")
    replan_wait_h: float = default("ops_replan_wait_h")
    return_margin_h: float = default("ops_return_margin_h")
    storage_MB: float = default("ops_storage_MB")
    survey_MB_h: float = default("ops_survey_MB_h")
    sample_MB: float = default("ops_sample_MB")
    housekeeping_MB_h: float = default("ops_housekeeping_MB_h")
    samples_per_hole: int = 15
    drill_dwell_h: float = 4.0
    reach_m: float = 1500.0
    hibernate_W: float = default("ops_hibernate_W")
    louver_closed_emissivity: float = default("ops_louver_closed_emissivity")
    faults: FaultModel = field(default_factory=FaultModel)
    success: SuccessCriteria = field(default_factory=SuccessCriteria)

    def __post_init__(self) -> None:
        _check("duration_days", self.duration_days, 0.01, 3650.0)
        _check("start_state_of_charge", self.start_state_of_charge, 0.0, 1.0)
        _check("sortie_days", self.sortie_days, 0.25, 30.0)
        _check("replan_wait_h", self.replan_wait_h, 0.25, 720.0)
        _check("return_margin_h", self.return_margin_h, 0.0, 720.0)
        _check("louver_closed_emissivity", self.louver_closed_emissivity, 0.001, 1.0)
        for name in ("storage_MB", "survey_MB_h", "sample_MB", "housekeeping_MB_h", "drill_dwell_h", "reach_m",
                     "hibernate_W"):
            _check(name, getattr(self, name), 0.0)
        _check("samples_per_hole", self.samples_per_hole, 1, 1000)

    def without_faults(self) -> OpsParams:
        """The same parameters with every fault switched off."""
        return replace(self, faults=replace(self.faults, enabled=False))
