"""``lupex traverse``: plan a rover route under sunlight, battery, slope and Earth contact."""

from __future__ import annotations

import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from lupex.cli.progress import RichProgress
from lupex.errors import LupexError

if TYPE_CHECKING:
    import xarray as xr

    from lupex.traverse import Rover, TraverseEnvironment, TraversePlan


class NoTraverseError(LupexError, RuntimeError):
    """No route meets the constraints (the partial route was written)."""


_ORDERS = ("given", "best")
#: Widest map margin ``--margin-m`` takes [m] (the window is also clipped to the DEM).
_MAX_MARGIN_M = 100_000.0


def _parse_point(text: str, option: str) -> tuple[float, ...]:
    """``LAT,LON`` (``--from``, ``--to``) or ``LAT,LON[:DWELL_H]`` (``--via``), checked for range.

    Raises
    ------
    typer.BadParameter
        Not of that form (usage error, exit 2).
    InputError
        A latitude outside [-90, 0), a longitude or dwell that is not finite, or a dwell over 720 h.
    """
    from lupex.errors import InputError

    example = "-89.45,222.5:4" if option == "--via" else "-89.45,222.5"
    point, sep, dwell = text.partition(":")
    parts = point.split(",")
    try:
        values = [float(p) for p in parts]
        if len(values) != 2:
            raise ValueError
        if sep:
            values.append(float(dwell))
    except ValueError:
        hint = "LAT,LON[:DWELL_H]" if option == "--via" else "LAT,LON"
        raise typer.BadParameter(f"{option} {text!r} must be {hint}, e.g. {example}") from None
    lat, lon = values[0], values[1]
    if not (math.isfinite(lat) and -90.0 <= lat < 0.0):
        raise InputError(
            f"{option} {text!r}: latitude must be in [-90, 0) degrees (the maps are south polar), e.g. {example}"
        )
    if not (math.isfinite(lon) and abs(lon) <= 360.0):
        raise InputError(f"{option} {text!r}: longitude must be in [-360, 360] degrees east, e.g. {example}")
    if len(values) == 3 and not (math.isfinite(values[2]) and 0.0 <= values[2] <= 720.0):
        raise InputError(f"{option} {text!r}: the dwell after ':' must be in [0, 720] hours, e.g. {example}")
    return tuple(values)


def _parse_points(from_: str, to: str, via: list[str] | None) -> dict[str, tuple[str, tuple[float, ...]]]:
    """The planner's point names (``start``, ``station 1`` ..., ``goal``) -> (flag as typed, parsed point)."""
    named = {"start": (f"--from {from_!r}", _parse_point(from_, "--from"))}
    named.update({f"station {i + 1}": (f"--via {v!r}", _parse_point(v, "--via")) for i, v in enumerate(via or [])})
    named["goal"] = (f"--to {to!r}", _parse_point(to, "--to"))
    return named


def _parse_rover(items: list[str] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """``--rover NAME=VALUE`` items -> (overrides, NAME -> the item as typed)."""
    from lupex.errors import InputError

    out: dict[str, Any] = {}
    typed: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise typer.BadParameter(f"--rover {item!r} must be NAME=VALUE, e.g. battery_Wh=2000")
        typed[key] = item
        if key == "panel":
            out[key] = value.strip()
            continue
        try:
            number = float(value)
        except ValueError:
            raise typer.BadParameter(f"--rover {item!r} must be NAME=NUMBER, e.g. battery_Wh=2000") from None
        if not math.isfinite(number):
            raise InputError(f"--rover {item}: the value must be a finite number, e.g. battery_Wh=2000")
        out[key] = number
    return out, typed


def _as_flags(err: LupexError, typed: dict[str, str], points: dict[str, str]) -> LupexError:
    """Re-word a library error about a rover parameter or a point with the command-line flag the user typed.

    Parameters
    ----------
    err : LupexError
        The library's error.
    typed : dict
        ``--rover`` parameter name -> the item as typed (``battery_Wh=1``).
    points : dict
        Library point name (``start``, ``goal``, ``station 1``) -> the flag and value typed (``--from '...'``).

    Returns
    -------
    LupexError
        An :class:`~lupex.errors.InputError` naming the flag, or ``err`` itself when it names none of them.
    """
    from lupex.errors import InputError

    message = str(err).splitlines()[0] if str(err) else type(err).__name__
    for name, flag in points.items():
        if message.startswith(name + " "):
            return InputError(f"{flag}: {message[len(name) + 1 :]}")
    named = [text for key, text in typed.items() if re.search(rf"\b{re.escape(key)}\b", message)]
    if named or (typed and message.startswith("rover ")):
        detail = message.removeprefix("rover ")
        return InputError(f"--rover {' '.join(named or list(typed.values()))}: {detail}")
    return err


def _prefixed(err: LupexError, flag: str) -> LupexError:
    """``err`` (same class where it can be rebuilt from a message) with ``flag: `` before its first line."""
    message = f"{flag}: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
    try:
        return type(err)(message)
    except TypeError:  # an error class with more constructor arguments
        from lupex.errors import InputError

        return InputError(message)


def _check_options(days: float, step: str, objective: str, order: str, margin_m: float, n_azimuth: int) -> None:
    """Refuse out-of-range values of the plain options of ``lupex traverse``, naming the flag."""
    from lupex.ephemeris.time import parse_duration_s
    from lupex.errors import InputError
    from lupex.traverse.planner import OBJECTIVES

    if not (math.isfinite(days) and 0 < days <= 60):
        raise InputError(f"--days {days!r} must be a number of days in (0, 60], e.g. 14")
    try:
        step_s = parse_duration_s(step, "--step")
    except InputError:
        step_s = math.nan
    if not 60.0 <= step_s <= 6 * 3600.0:
        raise InputError(f"--step {step!r} must be a duration from 1min to 6h, e.g. 1h or 30min")
    if objective not in OBJECTIVES:
        raise InputError(f"--objective {objective!r} must be one of {', '.join(OBJECTIVES)}")
    if order not in _ORDERS:
        raise InputError(f"--order {order!r} must be one of {', '.join(_ORDERS)}")
    if not (math.isfinite(margin_m) and 0 <= margin_m <= _MAX_MARGIN_M):
        raise InputError(f"--margin-m {margin_m!r} must be metres in [0, {_MAX_MARGIN_M:g}], e.g. 1000")
    if not 4 <= n_azimuth <= 7200:
        raise InputError(f"--n-azimuth {n_azimuth!r} must be an integer from 4 to 7200, e.g. 180")


def _check_on_dem(terrain: Any, points: dict[str, tuple[str, tuple[float, ...]]], margin_m: float) -> None:
    """Refuse a point outside the DEM, or a margin under one cell, naming the flag.

    ``points``: the planner's point name -> (flag as typed, point).
    """
    from lupex.errors import InputError
    from lupex.traverse import window_around

    res = float(terrain.attrs.get("res_m", 0.0))
    if margin_m < res:
        raise InputError(
            f"--margin-m {margin_m!r} is under one cell of this DEM; give metres in [{res:g}, {_MAX_MARGIN_M:g}], "
            "e.g. 1000"
        )
    for flag, p in points.values():
        try:
            window_around(terrain, [(p[0], p[1])], res)
        except InputError as err:
            raise InputError(f"{flag}: {str(err).splitlines()[0]}") from None


def traverse(
    from_: Annotated[str, typer.Option("--from", help="Start LAT,LON [deg].")],
    to: Annotated[str, typer.Option("--to", help="Goal LAT,LON [deg] (the start again for a round trip).")],
    start: Annotated[str, typer.Option("--start", help="Departure, UTC (a date means 00:00 UTC).")],
    dem: Annotated[str, typer.Option("--dem", help="DEM file or builtin:NAME.")] = "builtin:connecting_ridge_10m",
    days: Annotated[float, typer.Option("--days", help="Planning horizon [d].")] = 14.0,
    via: Annotated[
        list[str] | None, typer.Option("--via", help="Station LAT,LON[:DWELL_H] (repeatable, in order).")
    ] = None,
    step: Annotated[str, typer.Option("--step", help="Sky sampling step (<= 6h).")] = "1h",
    objective: Annotated[str, typer.Option("--objective", help="time, energy or weighted.")] = "time",
    order: Annotated[str, typer.Option("--order", help="given, or best (up to 8 stations).")] = "given",
    margin_m: Annotated[float, typer.Option("--margin-m", help="Map margin around the points [m].")] = 1000.0,
    rover: Annotated[
        list[str] | None, typer.Option("--rover", help="Rover parameter NAME=VALUE (repeatable), e.g. battery_Wh=2000.")
    ] = None,
    n_azimuth: Annotated[int, typer.Option("--n-azimuth", help="Horizon azimuths.")] = 180,
    exact: Annotated[bool, typer.Option(help="Exact search (small problems).")] = False,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("traverse"),
    cache: Annotated[bool, typer.Option(help="Reuse cached horizon maps.")] = True,
) -> None:
    """Plan a traverse: earliest (or least-energy) route that keeps the battery, Earth contact and slope limits."""
    from lupex.traverse import window_around

    began = time.perf_counter()
    named = _parse_points(from_, to, via)
    p_from, *p_via, p_to = (p for _, p in named.values())
    flags = {name: flag for name, (flag, _) in named.items()}
    _check_options(days, step, objective, order, margin_m, n_azimuth)
    t0, t1 = _period(start, days)
    the_rover, typed = _make_rover(rover, flags)
    terrain = _read_terrain(dem)
    _check_on_dem(terrain, named, margin_m)
    window = window_around(terrain, [(p[0], p[1]) for p in (p_from, p_to, *p_via)], margin_m)
    setup = _Setup(named, flags, t0, t1, the_rover, typed, terrain, window)
    env, plan = _plan(setup, step, n_azimuth, cache, objective, order, exact)
    summary = _write_outputs(setup, env, plan, dem, out, began)
    text = json.dumps(summary, indent=2, allow_nan=False, default=lambda v: None if not math.isfinite(v) else v)
    sys.stdout.write(text + "\n")
    if not plan.feasible:
        raise NoTraverseError(f"no traverse: {plan.reason} (partial route written to {out})")


@dataclass(frozen=True)
class _Setup:
    """The checked inputs of one ``lupex traverse``: points, period, rover, DEM and map window.

    ``points``: the planner's point name -> (flag as typed, point); ``flags``: point name -> flag as typed;
    ``typed``: ``--rover`` parameter name -> the item as typed.
    """

    points: dict[str, tuple[str, tuple[float, ...]]]
    flags: dict[str, str]
    t0: np.datetime64
    t1: np.datetime64
    rover: Rover
    typed: dict[str, str]
    terrain: xr.DataArray
    window: xr.DataArray


def _period(start: str, days: float) -> tuple[np.datetime64, np.datetime64]:
    """Departure and end of the planning period, refused when outside the ephemeris (before any long work)."""
    from lupex.ephemeris import moon_centred_vectors, parse_time

    t0 = parse_time(start, "--start")
    t1 = t0 + np.timedelta64(int(round(days * 86400)), "s")
    moon_centred_vectors(np.array([t0, t1]))  # refuse a period outside the ephemeris before any long work
    return t0, t1


def _make_rover(items: list[str] | None, flags: dict[str, str]) -> tuple[Rover, dict[str, str]]:
    """The rover of the ``--rover`` items, and NAME -> the item as typed; errors name the flag."""
    from lupex.errors import InputError
    from lupex.traverse import Rover

    overrides, typed = _parse_rover(items)
    try:
        return Rover.with_overrides(**overrides), typed
    except InputError as err:
        raise _as_flags(err, typed, flags) from None


def _read_terrain(dem: str) -> xr.DataArray:
    """The DEM of ``--dem``; errors name the flag."""
    from lupex.io import read_dem

    try:
        return read_dem(dem)
    except LupexError as err:
        raise _prefixed(err, f"--dem {dem!r}") from None


def _plan(
    setup: _Setup, step: str, n_azimuth: int, cache: bool, objective: str, order: str, exact: bool
) -> tuple[TraverseEnvironment, TraversePlan]:
    """The sky along the period over the window, and the plan; errors about points or the rover name the flag."""
    from lupex.errors import InputError
    from lupex.traverse import plan_traverse, traverse_environment

    p_from, *p_via, p_to = (p for _, p in setup.points.values())
    try:
        with RichProgress("sky along the period") as bar:
            env = traverse_environment(
                setup.terrain, setup.t0, setup.t1, step, window=setup.window, mast_height_m=setup.rover.mast_height_m,
                n_azimuth=n_azimuth, cache=cache, progress=bar,
            )  # fmt: skip
        with RichProgress("planning") as bar:
            plan = plan_traverse(
                env, p_from, p_to, via=p_via, rover=setup.rover, objective=objective,  # type: ignore[arg-type]
                order=order, exact=exact, progress=bar,  # type: ignore[arg-type]
            )  # fmt: skip
    except InputError as err:
        raise _as_flags(err, setup.typed, setup.flags) from None
    return env, plan


def _write_outputs(
    setup: _Setup, env: TraverseEnvironment, plan: TraversePlan, dem: str, out: Path, began: float
) -> dict[str, Any]:
    """Replay-check ``plan``, write the route files, figures and ``summary.json`` to ``out``; the summary.

    The summary's ``files`` lists ``summary.json`` too (the copy in ``summary.json`` does not).
    """
    from lupex.ephemeris import format_utc
    from lupex.io.tables import write_bytes, write_json
    from lupex.reporting.writers import route_figures, write_route_files
    from lupex.traverse import check_plan

    check = check_plan(plan, env)
    files = write_route_files(plan, out)
    source = setup.terrain.attrs.get("source", dem)
    title = f"lupex traverse: {source} from {format_utc(env.time_utc[0])}"
    figures = route_figures(plan, setup.window, env.sun_fraction.mean(axis=0), title)
    files += [str(write_bytes(png, out / name)) for name, png in figures.items()]
    summary = plan.summary()
    summary.update(
        {
            "dem": source,
            "window_cells": list(env.shape),
            "replay_check": {"ok": check.ok, "violations": check.violations,
                             "min_battery_Wh": round(check.min_battery_Wh, 2)},
            "rover": setup.rover.parameters(),
            "files": files,
            "elapsed_s": round(time.perf_counter() - began, 2),
        }
    )  # fmt: skip
    files.append(str(write_json(summary, out / "summary.json")))
    return summary
