"""The ``ops`` stage: the surface mission played as a discrete-event campaign, then repeated as a Monte Carlo.

One campaign (faults drawn from ``ops.seed``) plans every sortie with the traverse planner and re-checks it with
the independent replay; the Monte Carlo replays those planned sorties ``ops.runs`` times under faults, landing
dispersion (the flight stage's safe touchdowns) and the uncertain parameters, and gives P(success).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any, ClassVar

import numpy as np
import xarray as xr

from lupex.defaults import DEFAULTS, default
from lupex.ephemeris import parse_time, valid_time_range
from lupex.errors import InputError
from lupex.mission.quantity import Parameter, SectionModel, choice, number
from lupex.mission.scenario import Scenario
from lupex.mission.stage import OutputContext, Stage, StageContext, StageReport, Validation
from lupex.ops.campaign import CampaignInputs, CampaignResult, simulate_campaign
from lupex.ops.haven import Haven, safe_haven
from lupex.ops.montecarlo import MonteCarloResult, Uncertainty, monte_carlo
from lupex.ops.params import FAULT_KINDS, FaultModel, OpsParams, SuccessCriteria
from lupex.ops.setup import CampaignWorld, downlink_MB_per_hour, library_inputs, planner_inputs
from lupex.ops.sorties import TraversePlanner
from lupex.ops.thermal_node import ThermalNode
from lupex.reporting.ops_report import campaign_days, ops_report, ops_summary, write_ops_files
from lupex.terrain import read_dem
from lupex.traverse import window_around

__all__ = ["OpsResult", "OpsSection", "OpsStage", "campaign_world", "ops_params"]

P = Parameter | None


class OpsSection(SectionModel):
    """``[ops]``: the campaign's length, data, faults and fault policy, success criteria and the Monte Carlo."""

    days: Annotated[P, number("d", 0.5, 3650.0)] = None
    start_state_of_charge: Annotated[P, number("1", 0.0, 1.0)] = None
    sortie_days: Annotated[P, number("d", 0.25, 30.0)] = None
    storage_MB: Annotated[P, number("MB", 0.0, 1e9)] = None
    survey_MB_h: Annotated[P, number("MB/h", 0.0, 1e7)] = None
    sample_MB: Annotated[P, number("MB", 0.0, 1e6)] = None
    housekeeping_MB_h: Annotated[P, number("MB/h", 0.0, 1e6)] = None
    hibernate_W: Annotated[P, number("W", 0.0, 1e4)] = None
    haven_max_distance_m: Annotated[P, number("m", 0.0, 5000.0)] = None
    drill_jam_per_h: Annotated[P, number("1/h", 0.0, 100.0)] = None
    wheel_slip_per_h: Annotated[P, number("1/h", 0.0, 100.0)] = None
    comms_dropout_per_h: Annotated[P, number("1/h", 0.0, 100.0)] = None
    safe_mode_per_h: Annotated[P, number("1/h", 0.0, 100.0)] = None
    heater_failure_per_h: Annotated[P, number("1/h", 0.0, 100.0)] = None
    drill_jam_recovery_h: Annotated[P, number("h", 0.0, 8760.0)] = None
    wheel_slip_recovery_h: Annotated[P, number("h", 0.0, 8760.0)] = None
    comms_dropout_recovery_h: Annotated[P, number("h", 0.0, 8760.0)] = None
    safe_mode_recovery_h: Annotated[P, number("h", 0.0, 8760.0)] = None
    heater_failure_recovery_h: Annotated[P, number("h", 0.0, 8760.0)] = None
    fault_policy: Annotated[P, choice("retry", "skip", "return")] = None
    max_retries: Annotated[P, number("", 0, 100, integer=True)] = None
    success_min_drill_samples: Annotated[P, number("", 0, 1_000_000, integer=True)] = None
    success_min_km: Annotated[P, number("km", 0.0, 10_000.0)] = None
    success_min_data_GB: Annotated[P, number("GB", 0.0, 1e6)] = None
    success_alive_at_end: Annotated[P, choice("yes", "no")] = None
    runs: Annotated[P, number("", 1, 100_000, integer=True)] = None
    workers: Annotated[P, number("", 1, 4096, integer=True)] = None
    seed: Annotated[P, number("", 0, 2**31 - 1, integer=True)] = None
    battery_fade_max: Annotated[P, number("1", 0.0, 0.99)] = None
    panel_efficiency_sd: Annotated[P, number("1", 0.0, 1.0)] = None
    speed_sd: Annotated[P, number("1", 0.0, 1.0)] = None


@dataclass(frozen=True)
class OpsResult:
    """The ``ops`` stage's result.

    Attributes
    ----------
    campaign : CampaignResult
        The campaign played with the scenario's seed.
    montecarlo : MonteCarloResult
    haven : Haven
    window : xarray.DataArray
        The rover's window (cells of the campaign).
    params : OpsParams
    note : str
    """

    campaign: CampaignResult
    montecarlo: MonteCarloResult
    haven: Haven
    window: xr.DataArray
    params: OpsParams
    note: str


def _fault_model(sc: Scenario) -> FaultModel:
    base = FaultModel()
    rates = {k: float(sc.get(f"ops.{k}_per_h", base.rates_per_h[k])) for k in FAULT_KINDS}
    recovery = {k: float(sc.get(f"ops.{k}_recovery_h", base.recovery_h[k])) for k in FAULT_KINDS}
    return FaultModel(rates, recovery, str(sc.get("ops.fault_policy", "retry")),
                      int(sc.get("ops.max_retries", base.max_retries)))  # fmt: skip


def ops_params(sc: Scenario) -> OpsParams:
    """The campaign's parameters from the scenario (``[ops]``, ``launch.surface_days``, ``[traverse]``)."""
    base = OpsParams()
    days = float(sc.get("ops.days", sc.get("launch.surface_days", 100.0)))
    drill_m = float(sc.get("launch.drill_depth_m", default("science_drill_depth_m")))
    success = SuccessCriteria(
        int(sc.get("ops.success_min_drill_samples", base.success.min_drill_samples)),
        float(sc.get("ops.success_min_km", base.success.min_km)),
        float(sc.get("ops.success_min_data_GB", base.success.min_data_GB)),
        str(sc.get("ops.success_alive_at_end", "yes")) == "yes",
    )  # fmt: skip
    values = {k: float(sc.get(f"ops.{k}", getattr(base, k))) for k in (
        "start_state_of_charge", "sortie_days", "storage_MB", "survey_MB_h", "sample_MB", "housekeeping_MB_h",
        "hibernate_W")}  # fmt: skip
    return replace(base, duration_days=days, **values,
                   samples_per_hole=max(int(round(drill_m / default("science_drill_bite_m"))), 1),
                   drill_dwell_h=float(sc.get("traverse.drill_dwell_h", 4.0)),
                   reach_m=float(sc.get("traverse.max_station_distance_m", 1500.0)),
                   faults=_fault_model(sc), success=success)  # fmt: skip


def check_criteria(params: OpsParams, speed_m_s: float, downlink_MB_h: np.ndarray) -> None:
    """Refuse success criteria no campaign could meet, naming each."""
    p, s = params, params.success
    hours = p.duration_days * 24.0
    problems = []
    if s.min_km > speed_m_s * hours * 3.6:
        problems.append(f"ops.success_min_km {s.min_km:g} km is more than the rover covers driving non-stop for "
                        f"{p.duration_days:g} d ({speed_m_s * hours * 3.6:.1f} km)")  # fmt: skip
    most_samples = int(hours // max(p.drill_dwell_h, 1e-9)) * p.samples_per_hole
    if s.min_drill_samples > most_samples:
        problems.append(f"ops.success_min_drill_samples {s.min_drill_samples} is more than drilling non-stop "
                        f"gives ({most_samples})")  # fmt: skip
    most_GB = float(np.sum(downlink_MB_h)) / 1000.0
    if s.min_data_GB > most_GB:
        problems.append(f"ops.success_min_data_GB {s.min_data_GB:g} GB is more than the network can take in "
                        f"{p.duration_days:g} d ({most_GB:.1f} GB)")  # fmt: skip
    if problems:
        raise InputError("success criteria that can never be met: " + "; ".join(problems)
                         + "; lower them in [ops]")  # fmt: skip


def campaign_world(sc: Scenario, upstream: dict[str, Any], cache: bool = True) -> tuple[CampaignWorld, Haven]:
    """The scenario's campaign world (window, haven, value map, downlink) from the upstream stages' results."""
    trav, sites, comms, sci = (upstream[k] for k in ("traverse", "sites", "comms", "science"))
    if trav.site_lat_deg is None or trav.site_lon_deg is None:
        raise InputError("the ops stage needs a landing site inside the traverse DEM; the traverse found none")
    params = ops_params(sc)
    start = parse_time(sc.value("period.start_utc"), "period.start_utc")
    end = start + np.timedelta64(int(round(params.duration_days * 86400)), "s")
    hi = valid_time_range()[1]
    if end > hi:
        raise InputError(f"ops.days {params.duration_days:g} d from {sc.value('period.start_utc')} runs past the "
                         f"ephemeris (ends {np.datetime_as_string(hi, unit='D')}); shorten it")  # fmt: skip
    site = (float(trav.site_lat_deg), float(trav.site_lon_deg))
    dem = read_dem(sc.dem("traverse"))
    window = window_around(dem, [site], params.reach_m + 200.0)
    rover = sc.rover()
    geo = comms.windows.geometry
    covered_d = float((geo.time_utc[-1] - start) / np.timedelta64(1, "s")) / 86400.0 + geo.step_s / 86400.0
    if params.duration_days > covered_d + 1e-6:
        raise InputError(
            f"ops.days {params.duration_days:g} d is longer than the comms stage's period "
            f"({covered_d:.4g} d): the downlink is known only over it; set comms.days >= ops.days"
        )
    hours = int(np.ceil(params.duration_days * 24))
    downlink = downlink_MB_per_hour(geo.time_utc, comms.network_rate_bps, start, hours)
    check_criteria(params, float(rover.speed_m_s), downlink)
    dv = sci.drill_value
    value = None if dv is None else xr.DataArray(dv.mass_variance_reduction_kg2, dims=("y", "x"),
                                                 coords={"y": dv.y_m, "x": dv.x_m})  # fmt: skip
    node = ThermalNode(heater_max_W=max(rover.heater_W, 0.0))
    world = CampaignWorld(dem, window, site, start, rover, params, sites.metrics["ice_class"], value, downlink, node,
                          cache)  # fmt: skip
    haven = safe_haven(dem, window, world.site_cell(), start, end, rover, cache=cache,
                       max_distance_m=float(sc.get("ops.haven_max_distance_m", 500.0)))  # fmt: skip
    return replace(world, haven=(haven.lat_deg, haven.lon_deg)), haven


def uncertainty_of(sc: Scenario, flight: Any) -> Uncertainty:
    """The Monte Carlo's spreads (``[ops]``) and the flight stage's safe touchdowns as offsets from the site."""
    disp = getattr(flight, "dispersion", None)
    touch = None
    if disp is not None:
        ok = np.asarray(disp.safe, dtype=bool)
        touch = np.stack([disp.x_m[ok] - disp.site_x_m, disp.y_m[ok] - disp.site_y_m], axis=1) if ok.any() else None
    return Uncertainty(float(sc.get("ops.battery_fade_max", default("ops_battery_fade_max"))),
                       float(sc.get("ops.panel_efficiency_sd", default("ops_panel_efficiency_sd"))),
                       float(sc.get("ops.speed_sd", default("ops_speed_sd"))), touch)  # fmt: skip


def play(sc: Scenario, upstream: dict[str, Any], *, faults: bool = True,
         cache: bool = True) -> tuple[CampaignResult, CampaignInputs, CampaignWorld, Haven]:  # fmt: skip
    """One campaign with the scenario's seed (sorties planned as it goes)."""
    world, haven = campaign_world(sc, upstream, cache)
    if not faults:
        world = replace(world, params=world.params.without_faults())
    inputs = planner_inputs(world)
    result = simulate_campaign(inputs, seed=int(sc.get("ops.seed", 0)))
    return result, inputs, world, haven


def replay_inputs(inputs: CampaignInputs, world: CampaignWorld) -> CampaignInputs:
    """The Monte Carlo's inputs: the sorties the played campaign planned, replayed."""
    source = inputs.source
    planned = source.planned if isinstance(source, TraversePlanner) else []
    return library_inputs(world, planned, inputs.transfer)


class OpsStage(Stage):
    """The surface campaign and its Monte Carlo."""

    name: ClassVar[str] = "ops"
    title: ClassVar[str] = "The 100 days on the surface"
    version: ClassVar[str] = "1"
    reads: ClassVar[tuple[str, ...]] = ("ops", "rover", "launch", "period", "traverse", "terrain")
    needs: ClassVar[tuple[str, ...]] = ("flight", "sites", "traverse", "comms", "science")
    sections: ClassVar[dict[str, type[SectionModel]]] = {"ops": OpsSection}
    validations: ClassVar[tuple[Validation, ...]] = (
        Validation("Campaign", "energy closes to round-off; SoC never below the reserve without a recorded failure; "
                   "deterministic without faults, every sortie passes the replay check; integer-ns clock",
                   "tests/ops/test_campaign.py"),
        Validation("Monte Carlo", "exact binomial interval; P(success) falls with half the battery and rises with "
                   "twice (fixed seeds)", "tests/ops/test_montecarlo.py"),
    )  # fmt: skip

    def run(self, ctx: StageContext) -> OpsResult:
        sc = ctx.scenario
        result, inputs, world, haven = play(sc, ctx.upstream, cache=ctx.cache)
        runs = int(sc.get("ops.runs", default("ops_default_runs")))
        workers = sc.get("ops.workers", None)
        progress = ctx.progress
        if progress is not None:
            progress.total = runs
        mc = monte_carlo(replay_inputs(inputs, world), runs, seed=int(sc.get("ops.seed", 0)) + 1,
                         workers=None if workers is None else int(workers),
                         uncertainty=uncertainty_of(sc, ctx.upstream.get("flight")),
                         progress=None if progress is None else progress.update,
                         executor=ctx.executor())  # fmt: skip
        note = (f"{runs} Monte Carlo campaigns (ops.runs; `lupex ops montecarlo --runs N` for more); the haven is "
                f"{haven.distance_m:.0f} m from the landing site")  # fmt: skip
        return OpsResult(result, mc, haven, world.window, world.params, note)

    def summary(self, result: OpsResult, ctx: OutputContext) -> dict[str, Any]:
        return ops_summary(result)

    def kpis(self, result: OpsResult, ctx: OutputContext) -> list[tuple[str, str]]:
        mc, c = result.montecarlo, result.campaign
        lo, hi = mc.p_success_ci
        return [("P(success)", f"{mc.p_success:.2f} ({lo:.2f}-{hi:.2f}, {len(mc.runs)} runs)"),
                ("campaign: samples / km / GB", f"{c.drill_samples} / {c.distance_m / 1000:.1f} / {c.data_GB:.1f}"),
                ("rover alive at the end", "yes" if c.alive else f"no: {c.loss_reason}")]  # fmt: skip

    def placeholders(self, result: OpsResult, ctx: OutputContext) -> list[str]:
        return [n for n, d in DEFAULTS.items() if n.startswith("ops_") and d.confidence != "published"]

    def report(self, result: OpsResult, ctx: OutputContext) -> StageReport:
        sections, figs = ops_report(result, ctx.scenario.name)
        return StageReport(sections, figs)

    def web_data(self, result: OpsResult, ctx: OutputContext) -> dict[str, Any]:
        return {"campaign": campaign_days(result)}

    def write_files(self, result: OpsResult, ctx: OutputContext, out: Any) -> list[str]:
        return write_ops_files(result, out)
