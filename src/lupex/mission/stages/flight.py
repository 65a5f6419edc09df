"""The ``flight`` stage: the transfer and descent budgets, fuel-optimal terminal guidance, and the landing
dispersion whose ellipse and P(safe touchdown) the ``sites`` stage uses."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np

from lupex.errors import InputError
from lupex.flight.descent import DescentProfile, descent_profile
from lupex.flight.dispersion import LandingDispersion, default_dispersion_errors, ellipse_geojson, landing_dispersion
from lupex.flight.guidance import (
    DescentSolution,
    lunar_terminal_descent_problem,
    optimal_time_of_flight,
    time_of_flight_bounds_s,
)
from lupex.flight.launch import H3_24L_CURVE, mass_margin_kg
from lupex.flight.transfer import TransferBudget, transfer_budget
from lupex.io.tables import write_csv, write_json
from lupex.mission.quantity import Parameter, SectionModel, number
from lupex.mission.scenario import Scenario
from lupex.mission.stage import OutputContext, Stage, StageContext, StageReport, Validation
from lupex.reporting.flight_figures import dispersion_png
from lupex.reporting.html import Section, image_html, table_html
from lupex.terrain import read_dem

__all__ = ["FlightResult", "FlightSection", "FlightStage"]

P = Parameter | None


class FlightSection(SectionModel):
    """``[flight]``: transfer, spacecraft engine and the landing Monte Carlo."""

    tof_days: Annotated[P, number("d", 2.0, 10.0)] = None
    isp_s: Annotated[P, number("s", 100.0, 500.0)] = None
    dispersion_runs: Annotated[P, number("", 10, 20_000, integer=True)] = None
    dispersion_seed: Annotated[P, number("", 0, 2**31 - 1, integer=True)] = None
    nav_sigma_m: Annotated[P, number("m", 0.0, 5000.0)] = None


@dataclass(frozen=True)
class FlightResult:
    """The ``flight`` stage's result.

    Attributes
    ----------
    budget : TransferBudget
        Every burn from the parking orbit to the surface, with propellant.
    h3_margin_kg : float or None
        H3-24L payload at the transfer's C3 minus the stack's wet mass [kg] (None: C3 off the capability curve).
    h3_note : str
    descent : DescentSolution
        Fuel-optimal terminal descent (G-FOLD) at the best time of flight.
    profile : DescentProfile
        The Chandrayaan-3-like descent from the periselene.
    dispersion : LandingDispersion or None
        Touchdowns aimed at the search region's centre on the scenario's traverse DEM (None: centre off it).
    dispersion_note : str
    """

    budget: TransferBudget
    h3_margin_kg: float | None
    h3_note: str
    descent: DescentSolution
    profile: DescentProfile
    dispersion: LandingDispersion | None
    dispersion_note: str


def _h3_margin(budget: TransferBudget, wet_kg: float) -> tuple[float | None, str]:
    """Margin at the transfer's C3; beyond the published points, the margin at the curve's lunar-transfer point
    (the nearest published capability) with a note saying so."""
    try:
        return mass_margin_kg(budget.c3_km2_s2, wet_kg), ""
    except InputError:
        point = H3_24L_CURVE[-1]
        return point.payload_kg - wet_kg, (
            f"the transfer's C3 {budget.c3_km2_s2:.2f} km2/s2 lies beyond the published H3-24L points; margin "
            f"shown at the {point.label} point (C3 {point.c3_km2_s2:.2f} km2/s2, {point.payload_kg:.0f} kg, "
            f"{point.confidence})"
        )


def _dispersion(sc: Scenario) -> tuple[LandingDispersion | None, str]:
    dem = read_dem(sc.dem("traverse"))
    errors = default_dispersion_errors()
    if "flight.nav_sigma_m" in sc.parameters:
        errors = type(errors)(**{**vars(errors), "nav_sigma_m": float(sc.value("flight.nav_sigma_m"))})
    try:
        result = landing_dispersion(
            dem, float(sc.value("search_region.lat_deg")), float(sc.value("search_region.lon_deg")),
            runs=int(sc.get("flight.dispersion_runs", 1000)), seed=int(sc.get("flight.dispersion_seed", 0)),
            errors=errors,
        )  # fmt: skip
    except InputError as err:
        return None, f"no landing dispersion: {err}"
    return result, ""


class FlightStage(Stage):
    """Transfer budget, terminal guidance, descent profile and landing dispersion."""

    name: ClassVar[str] = "flight"
    title: ClassVar[str] = "Getting there"
    version: ClassVar[str] = "1"
    reads: ClassVar[tuple[str, ...]] = ("launch", "period", "search_region", "flight", "terrain")
    sections: ClassVar[dict[str, type[SectionModel]]] = {"flight": FlightSection}
    validations: ClassVar[tuple[Validation, ...]] = (
        Validation("Transfer budget", "Acta Astronautica 177 (2020) Table 4; Lambert vs Hohmann",
                   "tests/flight/test_transfer.py"),
        Validation("Powered-descent guidance", "Acikmese & Ploen 2007 Mars case (387.9 / 399.5 kg), lossless check",
                   "tests/flight/test_guidance.py"),
        Validation("Descent profile and dispersion", "Chandrayaan-3 phase figures; 3-sigma ellipse coverage over seeds",
                   "tests/flight/test_descent.py, tests/flight/test_dispersion.py"),
    )  # fmt: skip

    def cache_inputs(self, scenario: Scenario) -> tuple[Any, ...]:
        return scenario.dem_key("traverse")

    def run(self, ctx: StageContext) -> FlightResult:
        sc = ctx.scenario
        wet = float(sc.get("launch.stack_wet_mass_kg", 6350.0))
        budget = transfer_budget(
            sc.value("period.start_utc"), site_lat_deg=float(sc.value("search_region.lat_deg")), wet_mass_kg=wet,
            isp_s=sc.get("flight.isp_s", None), tof_days=sc.get("flight.tof_days", None),
        )  # fmt: skip
        margin, note = _h3_margin(budget, wet)
        problem = lunar_terminal_descent_problem()
        descent = optimal_time_of_flight(problem, *time_of_flight_bounds_s(problem))
        dispersion, d_note = _dispersion(sc)
        return FlightResult(budget, margin, note, descent, descent_profile(), dispersion, d_note)

    def summary(self, result: FlightResult, ctx: OutputContext) -> dict[str, Any]:
        b, d = result.budget, result.dispersion
        out: dict[str, Any] = {
            "total_dv_m_s": round(b.total_dv_m_s, 1), "spacecraft_dv_m_s": round(b.spacecraft_dv_m_s, 1),
            "propellant_kg": round(b.propellant_kg, 1), "c3_km2_s2": round(b.c3_km2_s2, 3),
            "h3_margin_kg": None if result.h3_margin_kg is None else round(result.h3_margin_kg, 1),
            "h3_note": result.h3_note,
            "terminal_descent": {"feasible": result.descent.feasible, "tf_s": round(result.descent.tf_s, 2),
                                 "fuel_kg": _r(result.descent.fuel_kg, 2),
                                 "binding_constraint": result.descent.binding_constraint},
            "descent_profile": {"propellant_kg": round(result.profile.propellant_kg, 1),
                                "delta_v_m_s": round(result.profile.delta_v_m_s, 1),
                                "budget_delta_v_m_s": round(_descent_dv_m_s(b), 1),
                                "touchdown_v_vertical_m_s": round(result.profile.touchdown_v_vertical_m_s, 3)},
        }  # fmt: skip
        if d is not None:
            out["dispersion"] = {"runs": int(d.x_m.size), "seed": d.seed, "semi_major_m": round(d.semi_major_m, 1),
                                 "semi_minor_m": round(d.semi_minor_m, 1),
                                 "p_safe_at_target": round(d.p_safe, 4)}  # fmt: skip
        else:
            out["dispersion_note"] = result.dispersion_note
        return out

    def kpis(self, result: FlightResult, ctx: OutputContext) -> list[tuple[str, str]]:
        out = [("spacecraft delta-v [m/s]", f"{result.budget.spacecraft_dv_m_s:.0f}")]
        if result.dispersion is not None:
            out.append(("landing ellipse 3-sigma semi-major [m]", f"{result.dispersion.semi_major_m:.0f}"))
        return out

    def report(self, result: FlightResult, ctx: OutputContext) -> StageReport:
        figs: dict[str, bytes] = {}
        if result.dispersion is not None:
            dem = read_dem(ctx.scenario.dem("traverse"))
            figs["flight_dispersion.png"] = dispersion_png(dem, result.dispersion)
        return StageReport([_flight_section(self, result, ctx, figs)], figs)

    def web_data(self, result: FlightResult, ctx: OutputContext) -> dict[str, Any]:
        d = result.dispersion
        if d is None:
            return {}
        keep = np.unique(np.linspace(0, d.x_m.size - 1, min(d.x_m.size, 500)).round().astype(int))
        cloud = {"x_m": [round(float(d.x_m[i]), 1) for i in keep], "y_m": [round(float(d.y_m[i]), 1) for i in keep],
                 "safe": [bool(d.safe[i]) for i in keep], "p_safe": round(float(d.p_safe), 4)}  # fmt: skip
        return {"touchdowns": cloud}

    def write_files(self, result: FlightResult, ctx: OutputContext, out: Path) -> list[str]:
        files = [str(write_json(result.budget.as_dict(), out / "flight" / "budget.json")),
                 str(write_csv(result.profile.rows(), out / "flight" / "descent_profile.csv"))]  # fmt: skip
        if result.dispersion is not None:
            files.append(str(write_csv(result.dispersion.rows(), out / "flight" / "touchdowns.csv")))
            files.append(str(write_json(ellipse_geojson(result.dispersion), out / "flight" / "ellipse.geojson")))
        return files


def _descent_dv_m_s(budget: TransferBudget) -> float:
    """Delta-v the transfer budget gives the descent from the periselene (with losses and reserve) [m/s]: the
    figure the simulated profile's delta-v is compared with."""
    return sum(b.dv_m_s for b in budget.burns if b.name.startswith(("powered descent", "descent reserve")))


def _r(value: float, digits: int) -> float | None:
    return None if not math.isfinite(value) else round(value, digits)


def _flight_section(stage: FlightStage, result: FlightResult, ctx: OutputContext, figs: dict[str, bytes]) -> Section:
    s = stage.summary(result, ctx)
    b = result.budget
    burns = [{"burn": x.name, "by": x.by, "dv_m_s": round(x.dv_m_s, 1), "propellant_kg": round(x.propellant_kg, 1),
              "mass_after_kg": round(x.mass_after_kg, 1)} for x in b.burns]  # fmt: skip
    margin = "off the capability curve" if s["h3_margin_kg"] is None else f"{s['h3_margin_kg']:.0f} kg"
    parts = [
        f'<p class="note">{html.escape(ctx.scenario.get("launch.vehicle", "H3-24L"))} at C3 {b.c3_km2_s2:.2f} km2/s2: '
        f"mass margin {html.escape(margin)}. Spacecraft delta-v {b.spacecraft_dv_m_s:.0f} m/s, propellant "
        f"{b.propellant_kg:.0f} kg (Isp {b.isp_s:g} s).</p>",
        table_html(burns),
        "<h3>Terminal descent (G-FOLD) and the descent profile</h3>",
        table_html([{**s["terminal_descent"], **{f"profile_{k}": v for k, v in s["descent_profile"].items()}}]),
        table_html([{"phase": p.name, "t_end_s": round(p.t_end_s, 1), "altitude_end_m": round(p.altitude_end_m, 1),
                     "v_horizontal_end_m_s": round(p.v_horizontal_end_m_s, 2),
                     "v_vertical_end_m_s": round(p.v_vertical_end_m_s, 2)} for p in result.profile.phases]),
    ]  # fmt: skip
    if "flight_dispersion.png" in figs:
        parts += ["<h3>Landing dispersion</h3>", '<div class="figures">'
                  + image_html(figs["flight_dispersion.png"], "Touchdowns and the 3-sigma ellipse (search centre)")
                  + "</div>", table_html([s["dispersion"]])]  # fmt: skip
    else:
        parts.append(f"<p>{html.escape(result.dispersion_note)}</p>")
    return Section("flight", "Getting there: transfer, descent and landing dispersion", parts)
