"""The surface campaign as a discrete-event simulation (SimPy) on an integer-nanosecond clock.

Processes: the rover (sorties from the haven to drill stations, waiting for charge, light and Earth at the haven,
recovering from faults), the downlink (the site's network capacity hour by hour, when the rover can reach it),
the faults (a Poisson source per subsystem, thinned to its exposure) and an hourly monitor. Energy goes through
one ledger (:class:`lupex.ops.energy.Battery`), heat through the lumped node
(:mod:`lupex.ops.thermal_node`). See ``docs/models/campaign.md``.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import simpy

from lupex.errors import InputError
from lupex.ops.clock import NS_PER_H, NS_PER_S, as_ns, ns_from_s, utc_at
from lupex.ops.energy import Battery
from lupex.ops.params import FAULT_KINDS, OpsParams, Perturbation
from lupex.ops.sky import EnvSkyLookup, SkyLookup
from lupex.ops.sorties import Leg, Sortie, SortieSource
from lupex.ops.thermal_node import ThermalNode, step_temperature
from lupex.traverse import Rover

__all__ = ["CampaignInputs", "CampaignResult", "simulate_campaign"]

_Gen = Generator[Any, Any, Any]


@dataclass(frozen=True)
class CampaignInputs:
    """Everything one campaign needs.

    Attributes
    ----------
    start_utc : datetime64
        Start of the surface mission.
    site_cell : tuple of int
        The haven's cell in the window (where sorties start and end, and the rover waits out darkness).
    sky : SkyLookup
        Sun and Earth at the cells the rover can be in (the haven at least).
    rover : Rover
    params : OpsParams
    downlink_MB_h : ndarray
        Data the network can take from the site in each mission hour [MB/h] (the comms stage's windows and rates).
    source : SortieSource
        Where sorties come from (the traverse planner, or a library of planned sorties).
    node : ThermalNode
    cell_size_m : float
        Window cell size [m] (the approach drive from a displaced touchdown).
    landing_cell : tuple of int or None
        Where the rover starts (default: the haven).
    transfer : Sortie or None
        The planned drive from the landing cell to the haven, executed first.
    """

    start_utc: np.datetime64
    site_cell: tuple[int, int]
    sky: SkyLookup
    rover: Rover
    params: OpsParams
    downlink_MB_h: np.ndarray
    source: SortieSource
    node: ThermalNode = field(default_factory=ThermalNode)
    cell_size_m: float = 10.0
    landing_cell: tuple[int, int] | None = None
    transfer: Sortie | None = None


@dataclass(frozen=True)
class CampaignResult:
    """One campaign.

    Attributes
    ----------
    start_utc : datetime64
    events : list of dict
        ``start_ns, end_ns, activity, energy_Wh`` (net into the battery), ``data_MB`` (net into storage),
        ``battery_Wh`` (at the end), ``note``, ``row, col`` (where it ended).
    hourly : dict of str -> ndarray
        ``t_ns, battery_Wh, temperature_K, storage_MB, row, col`` and ``activity`` at each mission hour.
    sorties : list of dict
        Station, start, replay result and outcome of each sortie begun.
    faults : list of dict
        ``t_ns, kind, note`` of every fault that struck.
    drill_samples, distance_m, data_returned_MB, data_lost_MB : number
    alive : bool
    loss_reason : str
    energy : dict of str -> float
        ``in_Wh, out_Wh, spilled_Wh, short_Wh, start_Wh, end_Wh, closure_error_Wh``.
    min_margin_Wh : float
        Lowest (battery - reserve) seen [Wh].
    reserve_breaches : int
        Episodes below the reserve (each recorded as a ``failure`` event).
    success : dict of str -> bool
        Each criterion and ``all``.
    capacity_Wh : float
    reserve_Wh : float
    survival_K : float
        The rover's survival temperature [K].
    """

    start_utc: np.datetime64
    events: list[dict[str, Any]]
    hourly: dict[str, np.ndarray]
    sorties: list[dict[str, Any]]
    faults: list[dict[str, Any]]
    drill_samples: int
    distance_m: float
    data_returned_MB: float
    data_lost_MB: float
    alive: bool
    loss_reason: str
    energy: dict[str, float]
    min_margin_Wh: float
    reserve_breaches: int
    success: dict[str, bool]
    capacity_Wh: float
    reserve_Wh: float
    survival_K: float = 233.15

    @property
    def data_GB(self) -> float:
        """Data returned [GB] (1e9 bytes)."""
        return self.data_returned_MB / 1000.0


class _Lost(Exception):
    """The rover is lost (battery empty or below its survival temperature)."""


class _Struck(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _Campaign:
    """State and processes of one campaign (see the module docstring)."""

    def __init__(self, inp: CampaignInputs, perturbation: Perturbation, seed: int) -> None:
        self.inp, self.pert, self.p = inp, perturbation, inp.params
        self.rng = np.random.default_rng(seed)
        self.env = simpy.Environment(initial_time=0)
        self.end_ns = ns_from_s(self.p.duration_days * 86400.0)
        r = inp.rover
        self.battery = Battery(r.battery_Wh, r.battery_Wh * r.initial_state_of_charge, r.min_state_of_charge,
                               end_capacity_factor=perturbation.battery_capacity_factor,
                               fade_duration_h=self.p.duration_days * 24.0)  # fmt: skip
        self.temperature_K = inp.node.setpoint_K
        self.cell = inp.landing_cell or inp.site_cell
        self.activity = "wait"
        self.storage_MB = self.returned_MB = self.lost_MB = self.distance_m = 0.0
        self.samples = 0
        self.alive, self.loss_reason = True, ""
        self.events: list[dict[str, Any]] = []
        self.downlinks: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.sorties: list[dict[str, Any]] = []
        self.done: list[tuple[int, int]] = []
        self.hourly: dict[str, list[Any]] = {k: [] for k in ("t_ns", "battery_Wh", "temperature_K", "storage_MB",
                                                                 "row", "col", "activity")}  # fmt: skip
        self.heater_ok_from_ns = 0
        self.comms_ok_from_ns = 0
        self.recovering = False
        self.below_reserve = False
        self.breaches = 0
        self.min_margin_Wh = math.inf
        self.proc: simpy.Process | None = None
        self.sky: SkyLookup = inp.sky
        node = inp.node
        self.hibernation_node = replace(node, emissivity=self.p.louver_closed_emissivity,
                                        setpoint_K=node.survival_K + 5.0, internal_W=self.p.hibernate_W)  # fmt: skip

    @property
    def now(self) -> int:
        """Simulation time [ns] (an int: every timeout is an int of ns)."""
        return int(self.env.now)

    # -- bookkeeping ---------------------------------------------------------------------------------------------
    def _log(self, events: list[dict[str, Any]], t0: int, t1: int, activity: str, e_Wh: float, d_MB: float,
             note: str = "") -> None:  # fmt: skip
        last = events[-1] if events else None
        if last is not None and last["activity"] == activity and last["end_ns"] == t0 and last["note"] == note:
            last["end_ns"], last["energy_Wh"], last["data_MB"] = t1, last["energy_Wh"] + e_Wh, last["data_MB"] + d_MB
            last["battery_Wh"], last["row"], last["col"] = self.battery.stored_Wh, *self.cell
            return
        events.append({"start_ns": t0, "end_ns": t1, "activity": activity, "energy_Wh": e_Wh, "data_MB": d_MB,
                       "battery_Wh": self.battery.stored_Wh, "note": note, "row": self.cell[0],
                       "col": self.cell[1]})  # fmt: skip

    def _store(self, mb: float) -> float:
        room = max(self.p.storage_MB - self.storage_MB, 0.0)
        kept = min(mb, room)
        self.storage_MB += kept
        self.lost_MB += mb - kept
        return kept

    def _account(self, activity: str, a: tuple[int, int], b: tuple[int, int], t0: int, t1: int, extra_W: float,
                 note: str = "") -> None:  # fmt: skip
        """Energy, heat and data of ``[t0, t1)`` spent on ``activity`` between cells ``a`` and ``b``."""
        dt_s = (t1 - t0) / NS_PER_S
        if dt_s <= 0:
            return
        sky = self.sky
        fa, ea, _, dist = sky.at(t0, a)
        fb, eb, _, _ = sky.at(t0, b)
        rover = self.inp.rover
        p_in = min(float(rover.solar_power_W(fa, ea, dist)), float(rover.solar_power_W(fb, eb, dist)))
        p_in *= self.pert.panel_factor
        f_sun, elev = (fa, ea) if fa <= fb else (fb, eb)
        asleep = activity == "hibernate"
        load_W = self.p.hibernate_W if asleep else rover.hotel_W
        heat = step_temperature(self.hibernation_node if asleep else self.inp.node, self.temperature_K, dt_s,
                                sun_fraction=f_sun, sun_elevation_deg=elev, sun_distance_au=dist,
                                heater_ok=t0 >= self.heater_ok_from_ns, internal_W=load_W)  # fmt: skip
        self.temperature_K = heat.temperature_K
        p_out = load_W + extra_W + heat.heater_energy_Wh * 3600.0 / dt_s
        step = self.battery.apply(p_in, p_out, dt_s, t1 / NS_PER_H)
        mb = self.p.housekeeping_MB_h * dt_s / 3600.0 + (self.p.survey_MB_h * dt_s / 3600.0 if activity == "drive"
                                                          else 0.0)  # fmt: skip
        kept = self._store(mb)
        self._log(self.events, t0, t1, activity, step.net_Wh, kept, note)
        self._check_limits(t1, step.short_Wh, heat.min_temperature_K)

    def _check_limits(self, t_ns: int, short_Wh: float, min_temperature_K: float) -> None:
        if short_Wh > 1e-9:
            self._lose(t_ns, f"battery empty ({short_Wh:.1f} Wh short)")
        if min_temperature_K < self.inp.node.survival_K:
            self._lose(t_ns, f"rover below its survival temperature ({min_temperature_K:.1f} K)")
        margin = self.battery.stored_Wh - self.battery.reserve_Wh(t_ns / NS_PER_H)
        self.min_margin_Wh = min(self.min_margin_Wh, margin)
        if margin < -1e-6 and not self.below_reserve:
            self.below_reserve = True
            self.breaches += 1
            self._log(self.events, t_ns, t_ns, "failure", 0.0, 0.0, f"battery below the reserve by {-margin:.1f} Wh")
        elif margin >= 0:
            self.below_reserve = False

    def _lose(self, t_ns: int, reason: str) -> None:
        self.alive, self.loss_reason = False, reason
        self._log(self.events, t_ns, t_ns, "failure", 0.0, 0.0, f"rover lost: {reason}")
        raise _Lost(reason)

    # -- pieces of activity --------------------------------------------------------------------------------------
    def _piece(self, activity: str, a: tuple[int, int], b: tuple[int, int], dt_ns: int, extra_W: float,
               note: str = "") -> _Gen:  # fmt: skip
        """One interruptible stretch of ``activity`` (split at hour boundaries so the sky is one sample)."""
        env = self.env
        t_end = min(self.now + dt_ns, self.end_ns)
        while self.now < t_end:
            t0 = self.now
            t1 = min(t_end, (t0 // NS_PER_H + 1) * NS_PER_H)
            self.activity = activity
            try:
                yield env.timeout(t1 - t0)
            except simpy.Interrupt as stop:
                self._account(activity, a, b, t0, self.now, extra_W, note)
                raise _Struck(str(stop.cause)) from None
            self._account(activity, a, b, t0, t1, extra_W, note)

    def _recover(self, kind: str) -> _Gen:
        """Sit out a fault's recovery time where the rover is (faults in the meantime are not counted twice)."""
        self.recovering = True
        try:
            hours = self.p.faults.recovery_h[kind]
            activity = "safe_mode" if kind == "safe_mode" else "fault"
            yield from self._piece(activity, self.cell, self.cell, int(round(hours * NS_PER_H)), 0.0, kind)
        finally:
            self.recovering = False

    def _stay(self, activity_of: Any, dt_ns: int, note: str = "") -> _Gen:
        """Stay in the current cell for ``dt_ns`` (activity chosen per hour by ``activity_of(t_ns)``), sitting out
        any fault that strikes."""
        t_end = min(self.now + dt_ns, self.end_ns)
        while self.now < t_end:
            t1 = min(t_end, (self.now // NS_PER_H + 1) * NS_PER_H)
            try:
                yield from self._piece(activity_of(self.now), self.cell, self.cell, t1 - self.now, 0.0, note)
            except _Struck as hit:
                yield from self._recover(hit.kind)

    def _ready(self, t_ns: int) -> bool:
        f, _, earth, _ = self.sky.at(t_ns, self.cell)
        cap = self.battery.capacity_Wh(t_ns / NS_PER_H)
        return f > 0 and earth and self.battery.stored_Wh >= self.p.start_state_of_charge * cap - 1e-9

    def _daylight_ahead_h(self) -> float:
        """Hours from now until the haven's next darkness (capped at the mission's end)."""
        t, n = self.now, 0
        while t < self.end_ns and self.sky.at(t, self.inp.site_cell)[0] > 0:
            t += NS_PER_H
            n += 1
        return float(n) if t < self.end_ns else math.inf

    def _haven_activity(self, t_ns: int) -> str:
        """``hibernate`` when the array cannot carry the awake load, ``charge`` below full, else ``wait``."""
        f, elev, _, dist = self.sky.at(t_ns, self.cell)
        p_in = float(self.inp.rover.solar_power_W(f, elev, dist)) * self.pert.panel_factor
        if p_in < self.inp.rover.hotel_W:
            return "hibernate"
        cap = self.battery.capacity_Wh(t_ns / NS_PER_H)
        return "charge" if self.battery.stored_Wh < cap - 1e-6 else "wait"

    def _wait_until_ready(self) -> _Gen:
        while self.now < self.end_ns and not self._ready(self.now):
            yield from self._stay(self._haven_activity, NS_PER_H - self.now % NS_PER_H)

    def _approach(self) -> _Gen:
        dx, dy = self.pert.touchdown_offset_m
        dist = math.hypot(dx, dy)
        if dist <= 0:
            return
        rover = self.inp.rover
        speed = float(rover.speed_on_slope_m_s(0.0)) * self.pert.speed_factor
        dt_ns = ns_from_s(dist / max(speed, 1e-9))
        t0 = self.now
        try:
            yield from self._piece("approach", self.cell, self.cell, dt_ns, float(rover.drive_power_W(0.0)),
                                   f"{dist:.0f} m from the touchdown point to the haven")  # fmt: skip
        except _Struck as hit:
            yield from self._recover(hit.kind)
            yield from self._piece("approach", self.cell, self.cell, max(dt_ns - (self.now - t0), 0),
                                   float(rover.drive_power_W(0.0)), "approach, after a fault")  # fmt: skip
        self.distance_m += dist

    def _leg(self, leg: Leg, rec: dict[str, Any]) -> _Gen:
        """Execute one leg; returns False when a drill jam ends drilling at this station."""
        full_ns = ns_from_s(leg.duration_s / (self.pert.speed_factor if leg.action == "drive" else 1.0))
        left, retries = full_ns, 0
        while left > 0 and self.now < self.end_ns:
            t0 = self.now
            try:
                yield from self._piece(leg.action, leg.a, leg.b, left, leg.extra_W)
                left = 0
            except _Struck as hit:
                left -= self.now - t0
                yield from self._recover(hit.kind)
                if hit.kind == "drill_jam" and leg.action == "drill":
                    policy = self.p.faults.policy
                    if policy == "retry" and retries < self.p.faults.max_retries:
                        retries, left = retries + 1, full_ns  # the hole is started again
                        continue
                    rec["outcome"] = f"drill jam: station {'skipped' if policy != 'return' else 'left for later'}"
                    return False
        if left > 0:
            return False
        if leg.action == "drive":
            self.distance_m += leg.distance_m
            self.cell = leg.b
        elif leg.action == "drill":
            self.samples += self.p.samples_per_hole
            kept = self._store(self.p.samples_per_hole * self.p.sample_MB)
            self._log(self.events, self.now, self.now, "analyse", 0.0, kept,
                      f"{self.p.samples_per_hole} samples analysed")  # fmt: skip
            rec["samples"] = rec.get("samples", 0) + self.p.samples_per_hole
        return True

    def _sortie(self, sortie: Sortie) -> _Gen:
        st = sortie.station
        rec: dict[str, Any] = {"kind": "transfer" if st is None else "station", "start_ns": self.now,
                               "station_lat_deg": None if st is None else st.lat_deg,
                               "station_lon_deg": None if st is None else st.lon_deg,
                               "station_distance_m": None if st is None else st.distance_m,
                               "station_cell": None if st is None else [st.row, st.col],
                               "replay_ok": sortie.replay_ok, "violations": list(sortie.violations),
                               "planned_h": sortie.plan.duration_h, "outcome": "", "samples": 0}  # fmt: skip
        self.sorties.append(rec)
        start_utc = utc_at(self.inp.start_utc, self.now)
        if sortie.env is not None:
            self.sky = EnvSkyLookup(sortie.env, self.inp.start_utc, fallback=self.inp.sky)
        drilling = True
        try:
            for leg in sortie.legs:
                if leg.action == "drill" and not drilling:
                    continue
                ok = yield from self._leg(leg, rec)
                if leg.action == "drill" and not ok:
                    drilling = False
                if self.now >= self.end_ns:
                    rec["outcome"] = rec["outcome"] or "the mission ended during the sortie"
                    return
        finally:
            self.sky = self.inp.sky
        if st is not None and (drilling or self.p.faults.policy != "return"):
            self.done.append((st.row, st.col))
        rec["outcome"] = rec["outcome"] or "completed"
        rec["end_ns"] = self.now
        rec["start_utc"] = str(start_utc)

    def rover(self) -> _Gen:
        """The rover's process: approach, then sorties from the haven until the mission ends or the rover does."""
        try:
            yield from self._approach()
            if self.inp.transfer is not None:
                yield from self._wait_until_ready()
                if self.now % NS_PER_H:
                    yield from self._stay(self._haven_activity, NS_PER_H - self.now % NS_PER_H)
                yield from self._sortie(self.inp.transfer)
            while self.now < self.end_ns:
                yield from self._wait_until_ready()
                if self.now % NS_PER_H:  # sorties leave on the hour, the sky's sampling
                    yield from self._stay(self._haven_activity, NS_PER_H - self.now % NS_PER_H)
                if self.now >= self.end_ns:
                    break
                sortie = self.inp.source.next(utc_at(self.inp.start_utc, self.now), self.done)
                left_h = (self.end_ns - self.now) / NS_PER_H
                if sortie is None or sortie.plan.duration_h > left_h:
                    yield from self._stay(self._haven_activity, int(self.p.replan_wait_h * NS_PER_H),
                                          "no station reachable now" if sortie is None else "too little time left")
                    continue
                if self._daylight_ahead_h() < sortie.plan.duration_h + self.p.return_margin_h:
                    yield from self._stay(self._haven_activity, NS_PER_H, "night ahead: no sortie")
                    continue
                yield from self._sortie(sortie)
            yield from self._stay(self._haven_activity, self.end_ns - self.now)
        except _Lost:
            return

    def downlink(self) -> _Gen:
        """Each hour: what the site's network can take, when the rover can reach it (at the haven, or the Earth in
        its view while away) and no drop-out is on."""
        rates = self.inp.downlink_MB_h
        h = 0
        while h * NS_PER_H < self.end_ns:
            t = h * NS_PER_H
            yield self.env.timeout(t - self.now)
            if not self.alive:  # a lost rover sends nothing (and may lie where no sky series was kept)
                return
            reach = self.cell == self.inp.site_cell or self.sky.at(t, self.cell)[2]
            cap = float(rates[h]) if h < rates.size and reach and t >= self.comms_ok_from_ns else 0.0
            sent = min(self.storage_MB, cap * min(1.0, (self.end_ns - t) / NS_PER_H))
            if sent > 0:
                self.storage_MB -= sent
                self.returned_MB += sent
                self._log(self.downlinks, t, min(t + NS_PER_H, self.end_ns), "downlink", 0.0, -sent)
            h += 1

    def faults_of(self, kind: str) -> _Gen:
        """A Poisson source of ``kind`` at its rate per hour, thinned to its exposure (driving, drilling, always)."""
        rate = self.p.faults.rates_per_h[kind]
        exposure = FAULT_KINDS[kind][2]
        if not self.p.faults.enabled or rate <= 0:
            return
        while self.alive:
            gap = max(int(self.rng.exponential(1.0 / rate) * NS_PER_H), 1)
            if self.now + gap >= self.end_ns:
                return
            yield self.env.timeout(gap)
            if not self.alive or (exposure != "always" and self.activity != exposure):
                continue
            rec_ns = int(round(self.p.faults.recovery_h[kind] * NS_PER_H))
            self.faults.append({"t_ns": self.now, "kind": kind, "activity": self.activity})
            if kind == "comms_dropout":
                self.comms_ok_from_ns = max(self.comms_ok_from_ns, self.now + rec_ns)
            elif kind == "heater_failure":
                self.heater_ok_from_ns = max(self.heater_ok_from_ns, self.now + rec_ns)
            elif self.proc is not None and self.proc.is_alive and not self.recovering:
                self.proc.interrupt(kind)

    def monitor(self) -> _Gen:
        """The state at every mission hour."""
        h = 0
        while h * NS_PER_H <= self.end_ns:
            yield self.env.timeout(h * NS_PER_H - self.now)
            for key, value in (("t_ns", self.now), ("battery_Wh", self.battery.stored_Wh),
                               ("temperature_K", self.temperature_K), ("storage_MB", self.storage_MB),
                               ("row", self.cell[0]), ("col", self.cell[1]),
                               ("activity", self.activity if self.alive else "lost")):  # fmt: skip
                self.hourly[key].append(value)
            h += 1


def simulate_campaign(
    inputs: CampaignInputs, *, seed: int = 0, perturbation: Perturbation | None = None
) -> CampaignResult:
    """Play one surface campaign.

    Parameters
    ----------
    inputs : CampaignInputs
    seed : int
        Seed of the faults.
    perturbation : Perturbation, optional
        The Monte Carlo's draw of the uncertain parameters (default: nominal).

    Returns
    -------
    CampaignResult
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    c = _Campaign(inputs, perturbation or Perturbation(), int(seed))
    c.proc = c.env.process(c.rover())
    c.env.process(c.downlink())
    c.env.process(c.monitor())
    for kind in FAULT_KINDS:
        c.env.process(c.faults_of(kind))
    c.env.run()
    return _result(c)


def _result(c: _Campaign) -> CampaignResult:
    b = c.battery
    energy = {"in_Wh": b.in_Wh, "out_Wh": b.out_Wh, "spilled_Wh": b.spilled_Wh, "short_Wh": b.short_Wh,
              "start_Wh": b.start_Wh, "end_Wh": b.stored_Wh, "closure_error_Wh": b.closure_error_Wh}  # fmt: skip
    events = sorted(c.events + c.downlinks, key=lambda e: (e["start_ns"], e["end_ns"]))
    hourly = {k: np.asarray(v) for k, v in c.hourly.items()}
    ok = c.p.success.met(c.samples, c.distance_m / 1000.0, c.returned_MB / 1000.0, c.alive)
    ok["all"] = all(ok.values())
    return CampaignResult(
        start_utc=as_ns(c.inp.start_utc), events=events, hourly=hourly, sorties=c.sorties,
        faults=c.faults, drill_samples=c.samples, distance_m=c.distance_m, data_returned_MB=c.returned_MB,
        data_lost_MB=c.lost_MB, alive=c.alive, loss_reason=c.loss_reason, energy=energy,
        min_margin_Wh=float(c.min_margin_Wh) if math.isfinite(c.min_margin_Wh) else b.stored_Wh - b.reserve_Wh(0.0),
        reserve_breaches=c.breaches, success=ok,
        capacity_Wh=c.inp.rover.battery_Wh, reserve_Wh=c.inp.rover.battery_Wh * c.inp.rover.min_state_of_charge,
        survival_K=c.inp.node.survival_K,
    )  # fmt: skip
