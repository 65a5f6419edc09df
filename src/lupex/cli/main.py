"""The ``lupex`` command.

Results go to stdout (a rich table, or ``--json`` from the same result model); progress and errors go to
stderr. Every :class:`~lupex.errors.LupexError` is caught here, once, and printed as one line (exit 1);
usage errors exit 2; ``-v`` adds the traceback.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from lupex.cli.comms import comms_app
from lupex.cli.flight import flight_app
from lupex.cli.illumination import illumination_app
from lupex.cli.mission import run, scenario_app
from lupex.cli.ops import ops_app
from lupex.cli.qkd import qkd_app
from lupex.cli.science import science_app
from lupex.cli.sites import sites
from lupex.cli.sweep import sweep
from lupex.cli.thermal import thermal_app
from lupex.cli.traverse import traverse
from lupex.cli.web import serve
from lupex.defaults import default
from lupex.errors import InputError, LupexError

app = typer.Typer(
    name="lupex",
    help="Lunar south-pole mission toolkit: terrain, Sun/Earth ephemeris, illumination.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
dem_app = typer.Typer(help="Inspect DEMs (files or builtin:NAME).", no_args_is_help=True)
app.add_typer(dem_app, name="dem")
app.add_typer(illumination_app, name="illumination")
app.add_typer(thermal_app, name="thermal")
app.command("sites")(sites)
app.command("traverse")(traverse)
app.add_typer(scenario_app, name="scenario")
app.add_typer(qkd_app, name="qkd")
app.add_typer(comms_app, name="comms")
app.add_typer(flight_app, name="flight")
app.add_typer(science_app, name="science")
app.add_typer(ops_app, name="ops")
app.command("run")(run)
app.command("sweep")(sweep)
app.command("serve")(serve)

_STATE: dict[str, int] = {"verbosity": 0}

#: The connecting-ridge site (PGDA Site01 centre; Barker et al. 2021) used by `lupex demo`.
RIDGE_SITE = {
    "lat_deg": default("demo_site_lat_deg"),
    "lon_deg": default("demo_site_lon_deg"),
    "height_m": default("demo_site_height_m"),
}


def _stdout() -> Console:
    return Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 140)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")


@app.callback()
def _root(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output; -v shows tracebacks.")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
) -> None:
    _STATE["verbosity"] = verbose
    level = logging.ERROR if quiet else max(10, 30 - 10 * verbose)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def _sky_table(result: Any, title: str) -> Table:
    from lupex.ephemeris import format_utc

    table = Table(title=title, title_justify="left")
    for column in ("time (UTC)", "body", "elevation_deg", "azimuth_deg", "distance_km", "angular_radius_deg"):
        table.add_column(column, justify="right" if column not in ("time (UTC)", "body") else "left")
    for i, t in enumerate(result.time_utc):
        for name in ("sun", "earth"):
            body = getattr(result, name)
            table.add_row(
                format_utc(t) if name == "sun" else "",
                name,
                f"{body.elevation_deg[i]:+.4f}",
                f"{body.azimuth_deg[i]:.4f}",
                f"{body.distance_km[i]:,.1f}",
                f"{body.angular_radius_deg[i]:.4f}",
            )
    return table


@app.command()
def sun(
    lat: Annotated[float, typer.Option("--lat", help="Site latitude [deg], -90..90 (MOON_ME, planetocentric).")],
    lon: Annotated[float, typer.Option("--lon", help="Site east longitude [deg].")],
    time: Annotated[
        list[str] | None, typer.Option("--time", help="UTC instant, e.g. 2028-01-01T00:00:00Z (repeatable).")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="Table start (UTC; a date means 00:00Z).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Table end (UTC, inclusive).")] = None,
    step: Annotated[str | None, typer.Option("--step", help="Table step: 30min, 2h, 1d ...")] = None,
    height_m: Annotated[float, typer.Option("--height-m", help="Height above the 1737.4 km sphere [m].")] = 0.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (object for one time, list for several).")
    ] = False,
) -> None:
    """Sun and Earth elevation, azimuth, distance and angular radius seen from a lunar site."""
    from lupex.ephemeris import Site, parse_times, sky_positions, time_range

    if time and (start or end or step):
        raise typer.BadParameter("give either --time (repeatable) or --start/--end/--step, not both")
    if time:
        times = parse_times(time, "--time")
    elif start and end and step:
        # counted before anything is allocated: at most 1,000,000 table rows
        times = time_range(start, end, step, max_count=1_000_000, names=("--start", "--end", "--step"))
    elif start or end or step:
        raise typer.BadParameter("a table needs all three of --start, --end and --step")
    else:
        raise typer.BadParameter("give --time or --start/--end/--step")
    for flag, site_args in (("--lat", (lat, 0.0)), ("--lon", (0.0, lon)), ("--height-m", (0.0, 0.0, height_m))):
        try:
            Site(*site_args)
        except InputError as err:
            raise InputError(f"{flag}: {err}") from None
    result = sky_positions(lat, lon, times, height_m)
    records = result.records()
    if as_json:
        _print_json(records[0] if len(records) == 1 else records)
        return
    site = result.site
    _stdout().print(
        _sky_table(
            result,
            f"Sun and Earth from lat {site.lat_deg:.4f}, lon {site.lon_deg:.4f}, "
            f"height {site.height_m:.1f} m (apparent, LT+S, MOON_ME)",
        )
    )


@dem_app.command("info")
def dem_info(
    path: Annotated[str, typer.Argument(help="GeoTIFF, PDS3 IMG/LBL, or builtin:NAME.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Size, resolution, CRS, bounds, height range and voids of a DEM."""
    from lupex.terrain import dem_summary, read_dem

    summary = dem_summary(read_dem(path, fill_voids=False))
    if as_json:
        _print_json(summary.as_dict())
        return
    table = Table(title=f"DEM {summary.source}", title_justify="left", show_header=False)
    table.add_row("size", f"{summary.n_cols} x {summary.n_rows} cells of {summary.res_m:g} m")
    table.add_row("CRS", summary.crs_name)
    table.add_row("x range [m]", f"{summary.x_min_m:,.0f} .. {summary.x_max_m:,.0f}")
    table.add_row("y range [m]", f"{summary.y_min_m:,.0f} .. {summary.y_max_m:,.0f}")
    table.add_row("latitude [deg]", f"{summary.lat_min_deg:.3f} .. {summary.lat_max_deg:.3f}")
    table.add_row(
        "height [m]", f"{summary.height_min_m:,.1f} .. {summary.height_max_m:,.1f} (mean {summary.height_mean_m:,.1f})"
    )
    table.add_row("voids", f"{summary.void_count}")
    _stdout().print(table)


@app.command()
def demo() -> None:
    """What `make run` shows: Sun, Earth and sunlight at the connecting ridge, and the bundled DEMs."""
    from lupex.ephemeris import sky_positions
    from lupex.terrain import builtin_dem, dem_summary

    now = np.datetime64("now", "s").astype("datetime64[ns]")
    result = sky_positions(RIDGE_SITE["lat_deg"], RIDGE_SITE["lon_deg"], now, RIDGE_SITE["height_m"])
    console = _stdout()
    console.print(
        "[bold]lupex[/bold]: Shackleton - de Gerlache connecting ridge (PGDA Site01 centre, "
        "lat -89.45, lon 222.5, LOLA height 1944.8 m)"
    )
    console.print(_sky_table(result, "Sun and Earth now (apparent, LT+S, MOON_ME; DE421)"))
    from lupex.illumination import site_illumination

    mast = default("rover_mast_height_m")
    start = now.astype("datetime64[h]").astype("datetime64[ns]")
    light = site_illumination(
        RIDGE_SITE["lat_deg"],
        RIDGE_SITE["lon_deg"],
        start,
        start + np.timedelta64(30, "D"),
        "1h",
        observer_height_m=mast,
    ).summary()
    console.print(
        f"Next 30 days on a {mast:g} m mast (10 m LOLA terrain + far field): Sun visible "
        f"{light['mean_sun_visible_fraction'] * 100:.1f} % of the time (longest darkness "
        f"{light['longest_darkness_h']:.0f} h), Earth visible {light['earth_visibility'] * 100:.1f} % "
        f"(longest outage {light['longest_earth_outage_h']:.0f} h)."
    )
    table = Table(title="Bundled real terrain (LOLA)", title_justify="left")
    for column in ("DEM", "cells", "res [m]", "lat range [deg]", "height range [m]"):
        table.add_column(column)
    for name in ("south_pole_240m", "connecting_ridge_10m", "far_field_1787m"):
        s = dem_summary(builtin_dem(name))
        table.add_row(
            f"builtin:{name}",
            f"{s.n_cols} x {s.n_rows}",
            f"{s.res_m:g}",
            f"{s.lat_min_deg:.2f} .. {s.lat_max_deg:.2f}",
            f"{s.height_min_m:,.0f} .. {s.height_max_m:,.0f}",
        )
    console.print(table)


def _command_path(exc: Exception, args: list[str]) -> str:
    """``lupex sub command`` the user was typing, from the parser's context or else from ``args``."""
    ctx: Any = getattr(exc, "ctx", None)
    if ctx is not None and ctx.command_path:
        return str(ctx.command_path)
    path = ["lupex"]
    group: Any = typer.main.get_command(app)
    for token in args:
        if token.startswith("-"):
            continue  # -v / -q before the command
        commands = getattr(group, "commands", None)
        if not commands or token not in commands:
            break
        path.append(token)
        group = commands[token]
    return " ".join(path)


def _typed_value(args: list[str], opts: list[str]) -> str | None:
    """The value the user gave to one of the option names ``opts`` (last occurrence), if any."""
    value = None
    for i, token in enumerate(args):
        name, sep, inline = token.partition("=")
        if name in opts:
            value = inline if sep else (args[i + 1] if i + 1 < len(args) else None)
    return value


def _usage_line(exc: Exception, args: list[str]) -> str:
    """One line for a command-line usage error: what was wrong, with the flag, and where the help is.

    Parameters
    ----------
    exc : typer.TyperException
        The parser's error (unknown option or command, missing or malformed value, or a
        ``typer.BadParameter`` raised by a command).
    args : list of str
        The command line, without the program name.

    Returns
    -------
    str
        ``lupex: usage error: MESSAGE; see 'lupex COMMAND --help'`` (no newline).
    """
    format_message = getattr(exc, "format_message", None)
    message = str(format_message() if callable(format_message) else exc)
    message = " ".join(message.split()).rstrip(".")  # one line, whatever the parser wrapped
    param = getattr(exc, "param", None)
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    if param is None and message.startswith("Invalid value: "):
        message = message[len("Invalid value: ") :]  # a command's own BadParameter already names its flag
    elif opts and message.startswith("Invalid value for "):
        value = _typed_value(args, opts)
        detail = message.partition(": ")[2] or message
        message = f"{opts[0]} {value!r}: {detail}" if value is not None else f"{opts[0]}: {detail}"
    return f"lupex: usage error: {message}; see '{_command_path(exc, args)} --help'"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lupex`` console script; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    _STATE["verbosity"] = 0
    try:
        code = app(args=args, prog_name="lupex", standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into exit code 130
            raise KeyboardInterrupt
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("lupex: aborted\n")
        return 1
    except KeyboardInterrupt:
        # outputs and cache entries are written atomically: what exists is complete, the rest is recomputed
        sys.stderr.write("lupex: interrupted; files already written are complete, nothing partial was left\n")
        return 130
    except typer.TyperException as exc:  # usage errors from the command-line parser: exit 2
        show = getattr(exc, "show", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and callable(show):
            show(file=sys.stderr)  # `lupex dem` alone: the command's help, as asked
        else:
            sys.stderr.write(_usage_line(exc, args) + "\n")
        return int(getattr(exc, "exit_code", 2))
    except LupexError as exc:
        if _STATE["verbosity"] > 0:
            traceback.print_exc(file=sys.stderr)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"lupex: error: {message}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
