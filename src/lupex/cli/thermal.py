"""``lupex thermal``: regolith temperatures from the 1-D thermal model."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lupex.cli.options import check_number
from lupex.cli.progress import RichProgress

thermal_app = typer.Typer(help="Surface and subsurface regolith temperatures.", no_args_is_help=True)


def _summary_table(summary: dict[str, Any]) -> Table:
    site = summary["site"]
    table = Table(
        title=(
            f"Regolith temperature at lat {site['lat_deg']:.4f}, lon {site['lon_deg']:.4f} "
            f"(slope {summary['slope_deg']:g} deg toward {summary['aspect_deg']:g} deg; no terrain shadowing)"
        ),
        title_justify="left",
        show_header=False,
    )
    table.add_row("period (UTC)", f"{summary['start_utc']} .. {summary['end_utc']}, {summary['n_times']} steps")
    table.add_row(
        "surface T min / mean / max [K]",
        f"{summary['t_min_K']:.1f} / {summary['t_mean_K']:.1f} / {summary['t_max_K']:.1f}",
    )
    for row in summary["depths"][1:]:
        table.add_row(f"T at {row['depth_m']:g} m, mean / max [K]", f"{row['t_mean_K']:.1f} / {row['t_max_K']:.1f}")
    params = summary["parameters"]
    table.add_row(
        "albedo A0, H-parameter",
        f"{params['albedo_normal']:g}, {params['h_parameter_m']:g} m",
    )
    table.add_row("spin-up", f"{summary['spinup_lunations']} lunations from {summary['spinup_start_utc']}")
    if summary["placeholder_defaults"]:
        table.add_row("placeholder / estimated defaults", ", ".join(summary["placeholder_defaults"]))
    return table


def _check_point_options(
    lat: float,
    lon: float,
    start: str,
    end: str,
    step: str,
    slope_deg: float,
    aspect_deg: float,
    albedo: float | None,
    h_param: float | None,
) -> None:
    """Refuse bad ``thermal point`` options, naming the flags, before the spin-up."""
    from lupex.ephemeris import time_range

    check_number("--lat", lat, -90.0, 90.0, hint="give a planetocentric latitude in degrees", api="lat_deg")
    check_number("--lon", lon, hint="give an east longitude in degrees", api="lon_deg")
    check_number(
        "--slope-deg", slope_deg, 0.0, 90.0, high_open=True, hint="give the surface tilt in degrees", api="slope_deg"
    )
    check_number("--aspect-deg", aspect_deg, hint="give degrees clockwise from local north", api="aspect_deg")
    if albedo is not None:
        check_number("--albedo", albedo, 0.0, 1.0, high_open=True, hint="give the normal-incidence albedo, e.g. 0.12")
    if h_param is not None:
        check_number(
            "--h-param", h_param, 0.0, low_open=True, hint="give the H-parameter in metres, e.g. 0.06", api="h_param_m"
        )
    time_range(start, end, step, names=("--start", "--end", "--step"))  # counted before it is built


@thermal_app.command("point")
def thermal_point(
    lat: Annotated[float, typer.Option("--lat", help="Site latitude [deg], -90..90.")],
    lon: Annotated[float, typer.Option("--lon", help="Site east longitude [deg].")],
    start: Annotated[str, typer.Option("--start", help="Period start, UTC (a date means 00:00Z).")],
    end: Annotated[str, typer.Option("--end", help="Period end, UTC (inclusive).")],
    step: Annotated[str, typer.Option("--step", help="Output step: 30min, 1h, 6h ... (model steps <= 1 h).")] = "1h",
    slope_deg: Annotated[float, typer.Option("--slope-deg", help="Surface tilt [deg], 0..<90.")] = 0.0,
    aspect_deg: Annotated[
        float, typer.Option("--aspect-deg", help="Downhill direction [deg] clockwise from local north.")
    ] = 0.0,
    albedo: Annotated[
        float | None, typer.Option("--albedo", help="Normal-incidence albedo A0 (default 0.12, highlands).")
    ] = None,
    h_param: Annotated[
        float | None, typer.Option("--h-param", help="Density/conductivity e-folding depth H [m] (default 0.06).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {t_min_K, t_mean_K, t_max_K, series, parameters, ...} as JSON.")
    ] = False,
) -> None:
    """Surface temperature series and depth profile at a site (1-D regolith model; the Sun without terrain)."""
    from lupex.thermal import point_temperature

    _check_point_options(lat, lon, start, end, step, slope_deg, aspect_deg, albedo, h_param)
    with RichProgress("thermal model") as bar:
        result = point_temperature(
            lat,
            lon,
            start,
            end,
            step,
            slope_deg=slope_deg,
            aspect_deg=aspect_deg,
            albedo=albedo,
            h_param_m=h_param,
            progress=bar,
        )
    summary = result.summary()
    if as_json:
        summary["series"] = [{"time_utc": r["time_utc"], "t_surface_K": r["t_surface_K"]} for r in result.records()]
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 140)
    console.print(_summary_table(summary))
