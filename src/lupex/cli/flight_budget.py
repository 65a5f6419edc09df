"""``lupex flight budget`` and ``lupex flight windows``: transfer delta-v table, mass margin, launch windows."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lupex.cli.flight import flight_app
from lupex.cli.options import check_number
from lupex.errors import InputError

__all__ = ["budget", "windows"]


def _scenario_site(name: str) -> tuple[Any, float, float]:
    from lupex.mission import load_scenario

    scenario = load_scenario(name)
    return scenario, float(scenario.value("search_region.lat_deg")), float(scenario.value("search_region.lon_deg"))


def _write_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")


def _margin(c3_km2_s2: float, stack_kg: float) -> dict[str, Any]:
    from lupex.flight.launch import H3_24L_CURVE, mass_margin_kg

    lto = H3_24L_CURVE[-1]
    out: dict[str, Any] = {"stack_wet_mass_kg": stack_kg, "lto_payload_kg_estimate": lto.payload_kg,
                           "lto_margin_kg": lto.payload_kg - stack_kg}  # fmt: skip
    try:
        out["margin_at_transfer_c3_kg"] = round(mass_margin_kg(c3_km2_s2, stack_kg), 1)
    except InputError as err:
        out["margin_at_transfer_c3_kg"] = None
        out["note"] = str(err)
    return out


@flight_app.command("budget")
def budget(
    scenario: Annotated[str, typer.Argument(help="Preset name or scenario .toml.")] = "chandrayaan5",
    arrival: Annotated[
        str | None, typer.Option("--arrival", help="Arrival at the Moon, UTC (default period.start_utc).")
    ] = None,
    tof_days: Annotated[float | None, typer.Option("--tof-days", help="Trans-lunar time of flight [d].")] = None,
    isp_s: Annotated[float | None, typer.Option("--isp-s", help="Spacecraft engine Isp [s].")] = None,
    llo_km: Annotated[float | None, typer.Option("--llo-km", help="Circular polar LLO altitude [km].")] = None,
    parking_km: Annotated[float | None, typer.Option("--parking-km", help="Parking orbit altitude [km].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """Every burn from the parking orbit to the surface, propellant, and the H3-24L mass margin."""
    from lupex.flight.transfer import transfer_budget

    checks = (("--tof-days", tof_days, 1.0, 10.0), ("--isp-s", isp_s, 100.0, 500.0),
              ("--llo-km", llo_km, 10.0, 5000.0), ("--parking-km", parking_km, 150.0, 2000.0))  # fmt: skip
    for flag, value, low, high in checks:
        if value is not None:
            check_number(flag, value, low, high, hint=f"give a value in [{low:g}, {high:g}]")
    sc, lat, _ = _scenario_site(scenario)
    stack = float(sc.value("launch.stack_wet_mass_kg"))
    when = arrival if arrival is not None else sc.value("period.start_utc")
    from lupex.ephemeris import parse_time

    when = parse_time(when, "--arrival" if arrival is not None else "period.start_utc")
    result = transfer_budget(when, parking_altitude_km=parking_km, llo_altitude_km=llo_km, tof_days=tof_days,
                             site_lat_deg=lat, isp_s=isp_s, wet_mass_kg=stack)  # fmt: skip
    data = {
        **result.as_dict(),
        "vehicle": sc.get("launch.vehicle", "H3-24L"),
        "launch": _margin(result.c3_km2_s2, stack),
    }
    if as_json:
        _write_json(data)
        return
    table = Table(title=f"Transfer budget, arrival {data['arrival_utc']} ({sc.name})", title_justify="left")
    for column in ("burn", "by", "dv [m/s]", "propellant [kg]", "mass after [kg]"):
        table.add_column(escape(column), justify="left" if column in ("burn", "by") else "right")
    for b in data["burns"]:
        table.add_row(
            b["name"], b["by"], f"{b['dv_m_s']:.1f}", f"{b['propellant_kg']:.1f}", f"{b['mass_after_kg']:.1f}"
        )
    console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 140)
    console.print(table)
    launch = data["launch"]
    console.print(f"total {data['total_dv_m_s']:.1f} m/s; C3 {data['c3_km2_s2']:.3f} km2/s2; v_inf "
                  f"{data['v_inf_km_s']:.3f} km/s; H3 margin at lunar transfer (estimate) "
                  f"{launch['lto_margin_kg']:.0f} kg; "
                  f"at transfer C3: {launch['margin_at_transfer_c3_kg']}")  # fmt: skip


@flight_app.command("windows")
def windows(
    scenario: Annotated[str, typer.Argument(help="Preset name or scenario .toml.")] = "chandrayaan5",
    start: Annotated[str, typer.Option("--start", help="First arrival, UTC.")] = "",
    end: Annotated[str, typer.Option("--end", help="Last arrival, UTC.")] = "",
    step_days: Annotated[float, typer.Option("--step-days", help="Spacing of arrivals [d].")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """Total delta-v and the site's Sun and Earth over the 14 days after each arrival day."""
    from lupex.ephemeris import parse_time
    from lupex.flight.launch_windows import launch_window_calendar

    if not start or not end:
        raise InputError("--start and --end are required; give UTC dates, e.g. --start 2028-01-01 --end 2028-12-31")
    check_number("--step-days", step_days, 0.25, 366.0, hint="give the spacing of arrival days, e.g. 1")
    t0, t1 = parse_time(start, "--start"), parse_time(end, "--end")
    if t1 < t0:
        raise InputError(f"--end {end} is before --start {start}; swap them")
    _, lat, lon = _scenario_site(scenario)
    calendar = launch_window_calendar(t0, t1, site_lat_deg=lat, site_lon_deg=lon, step_days=step_days)
    rows = calendar.rows()
    if as_json:
        _write_json({"site_lat_deg": lat, "site_lon_deg": lon, "surface_days": calendar.surface_days, "rows": rows})
        return
    table = Table(title=f"Launch windows (arrival days), site {lat:g}, {lon:g}", title_justify="left")
    for column in ("arrival", "total dv [m/s]", "TLI [m/s]", "LOI [m/s]", "Sun 14 d", "Earth 14 d"):
        table.add_column(escape(column), justify="right")
    for r in rows:
        table.add_row(r["arrival_utc"], f"{r['total_dv_m_s']:.1f}", f"{r['tli_dv_m_s']:.1f}", f"{r['loi_dv_m_s']:.1f}",
                      f"{r['mean_sun_fraction_14d']:.2f}", f"{r['earth_visible_fraction_14d']:.2f}")  # fmt: skip
    Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 140).print(table)
