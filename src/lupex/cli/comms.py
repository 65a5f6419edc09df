"""``lupex comms``: contact windows of a lunar site with ground stations, and direct-to-Earth link budgets."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from lupex.cli.options import check_number
from lupex.errors import InputError

comms_app = typer.Typer(help="Ground stations, contact windows and link budgets.", no_args_is_help=True)

DEFAULT_STATIONS = "idsn32,misasa54,dss24-goldstone,dss54-madrid,dss34-canberra"


def _stations(text: str) -> list[Any]:
    from lupex.comms.stations import StationError, stations_named

    try:
        return stations_named(text)
    except StationError as err:
        raise InputError(f"--stations: {err}") from None


def _site_options(lat: float, lon: float, height_m: float) -> None:
    check_number("--lat", lat, -90.0, -60.0, hint="give a south-polar latitude in degrees (the bundled DEMs)")
    check_number("--lon", lon, -360.0, 360.0, hint="give the east longitude in degrees")
    check_number("--height-m", height_m, 0.0, 100.0, hint="give the antenna height above the terrain in metres")


@comms_app.command("windows")
def comms_windows(
    lat: Annotated[float, typer.Option("--lat", help="Lunar site latitude [deg].")],
    lon: Annotated[float, typer.Option("--lon", help="Lunar site east longitude [deg].")],
    start: Annotated[str, typer.Option("--start", help="Period start, UTC (a date means 00:00Z).")],
    end: Annotated[str, typer.Option("--end", help="Period end, UTC (inclusive).")],
    step: Annotated[str, typer.Option("--step", help="Sampling: 1min, 10min, 1h ...")] = "10min",
    height_m: Annotated[float, typer.Option("--height-m", help="Antenna height above the terrain [m].")] = 2.0,
    stations: Annotated[
        str, typer.Option("--stations", help="Comma-separated station names, or all.")
    ] = DEFAULT_STATIONS,
    as_json: Annotated[bool, typer.Option("--json", help="Print the windows as JSON.")] = False,
) -> None:
    """When each ground station sees the site AND the site sees the Earth over its terrain: windows and fractions."""
    from rich.console import Console
    from rich.table import Table

    from lupex.comms.windows import contact_windows
    from lupex.ephemeris import time_range

    _site_options(lat, lon, height_m)
    chosen = _stations(stations)
    time_range(start, end, step, max_count=2_000_000, names=("--start", "--end", "--step"))  # refuse early
    result = contact_windows(lat, lon, start, end, step, chosen, antenna_height_m=height_m).as_dict()
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, allow_nan=False) + "\n")
        return
    table = Table(title=f"Contact windows, site {lat:.4f}, {lon:.3f} ({result['start_utc']} .. {result['end_utc']})",
                  title_justify="left")  # fmt: skip
    for column in ("station", "in contact", "windows", "longest window [h]"):
        table.add_column(column, justify="left" if column == "station" else "right")
    for s in result["stations"]:
        longest = max((w["duration_h"] for w in s["windows"]), default=0.0)
        table.add_row(s["name"], f"{s['visible_fraction']:.1%}", str(len(s["windows"])), f"{longest:.1f}")
    net = result["network"]
    table.add_row("network", f"{net['visible_fraction']:.1%}", str(len(net["windows"])),
                  f"longest outage {net['longest_outage_h']:.1f} h")  # fmt: skip
    console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 140)
    console.print(table)
    console.print(f"Earth above the site's terrain horizon {result['earth_visible_fraction']:.1%} of the time.")


def _budget_inputs(station: str, band: str, tx_power_w: float, antenna_m: float, coding: str) -> tuple[Any, Any]:
    from lupex.comms.budget import CODINGS
    from lupex.comms.stations import StationError, station_named

    try:
        st = station_named(station)
    except StationError as err:
        raise InputError(f"--station: {err}") from None
    try:
        b = st.band(band)
    except StationError as err:
        raise InputError(f"--band: {err}") from None
    check_number("--tx-power-W", tx_power_w, 0.0, 1e4, hint="give the transmitter RF power in watts", low_open=True)
    check_number("--antenna-m", antenna_m, 0.05, 20.0, hint="give the lander antenna diameter in metres")
    if coding not in CODINGS:
        raise InputError(f"--coding {coding!r} is not known; use one of {', '.join(CODINGS)}")
    return st, b


@comms_app.command("budget")
def comms_budget(
    station: Annotated[str, typer.Option("--station", help="Ground station name (see lupex comms windows).")],
    lat: Annotated[float, typer.Option("--lat", help="Lunar site latitude [deg].")],
    lon: Annotated[float, typer.Option("--lon", help="Lunar site east longitude [deg].")],
    time: Annotated[str, typer.Option("--time", help="UTC instant, e.g. 2028-01-03T06:00:00Z.")],
    band: Annotated[str, typer.Option("--band", help="Station band: s, x or ka.")] = "x",
    tx_power_w: Annotated[float, typer.Option("--tx-power-W", help="Lander RF power [W].")] = 20.0,
    antenna_m: Annotated[float, typer.Option("--antenna-m", help="Lander antenna diameter [m].")] = 0.5,
    coding: Annotated[str, typer.Option("--coding", help="CCSDS coding (e.g. turbo_r1/2_k8920).")] = "turbo_r1/2_k8920",
    height_m: Annotated[float, typer.Option("--height-m", help="Antenna height above the terrain [m].")] = 3.0,
    availability_pct: Annotated[float, typer.Option("--availability-pct", help="Weather availability [%].")] = 95.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the budget as JSON.")] = False,
) -> None:
    """Direct-to-Earth downlink budget at one instant: every term in dB, the margin and the highest closing rate."""
    from lupex.comms.budget import Receiver, Transmitter, band_rates_bps, link_budget
    from lupex.comms.windows import site_geometry, station_look
    from lupex.ephemeris import format_utc, parse_time

    _site_options(lat, lon, height_m)
    st, b = _budget_inputs(station, band, tx_power_w, antenna_m, coding)
    check_number("--availability-pct", availability_pct, 50.0, 99.999, hint="give the weather availability in %")
    t = parse_time(time, "--time")
    geo = site_geometry(lat, lon, t, t, "1min", antenna_height_m=height_m)
    look = station_look(geo, st)
    el, rng = float(look.elevation_deg[0]), float(look.range_m[0])
    if el < 0.0:
        raise InputError(f"--time {format_utc(t)}: the site is {-el:.1f} deg below {st.name}'s horizon; choose a time "
                         "inside a contact window (lupex comms windows)")  # fmt: skip
    lb = link_budget(
        Transmitter(power_W=tx_power_w, diameter_m=antenna_m),
        Receiver(g_over_t_dB_K=b.g_over_t_dB_K, reference_elevation_deg=b.reference_elevation_deg,
                 diameter_m=st.diameter_m),
        coding, b.downlink_frequency_Hz, rng, el, st.lat_deg, st.lon_deg, st.height_m,
        availability_pct=availability_pct, rates_bps=band_rates_bps(band, coding),
    )  # fmt: skip
    out = {
        "station": st.name, "band": band, "time_utc": format_utc(t), "elevation_deg": round(el, 4),
        "azimuth_deg": round(float(look.azimuth_deg[0]), 4), "range_km": round(rng / 1e3, 3),
        "light_time_s": round(float(look.light_time_s[0]), 6),
        "above_mask": el >= float(st.mask_deg(look.azimuth_deg)[0]),
        "earth_above_site_horizon": bool(geo.earth_visible[0]), "coding": coding,
        "terms_dB": [{"name": k, "value_dB": round(float(v), 3)} for k, v in lb.terms_dB.items()],
        "eirp_dBW": round(float(lb.eirp_dBW), 3), "c_over_n0_dBHz": round(float(lb.c_over_n0_dBHz), 3),
        "margin_dB": round(float(lb.margin_dB), 3), "required_margin_dB": lb.required_margin_dB,
        "rate_bps": float(lb.max_rate_bps),
    }  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(out, indent=2, allow_nan=False) + "\n")
        return
    for term in out["terms_dB"]:
        sys.stdout.write(f"{term['name']:<28}{term['value_dB']:>10.2f}\n")
    sys.stdout.write(f"{'margin_dB':<28}{out['margin_dB']:>10.2f}   (required {lb.required_margin_dB:g})\n")
    sys.stdout.write(f"highest closing rate: {out['rate_bps']:,.0f} bps at elevation {el:.1f} deg, range "
                     f"{out['range_km']:,.0f} km\n")  # fmt: skip
