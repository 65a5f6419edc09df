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
