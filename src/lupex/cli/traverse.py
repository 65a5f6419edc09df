"""``lupex traverse``: plan a rover route under sunlight, battery, slope and Earth contact."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from lupex.cli.progress import RichProgress
from lupex.errors import LupexError


class NoTraverseError(LupexError, RuntimeError):
    """No route meets the constraints (the partial route was written)."""


def _parse_point(text: str, option: str) -> tuple[float, ...]:
    point, sep, dwell = text.partition(":")
    parts = point.split(",")
    try:
        values = [float(p) for p in parts]
        if len(values) != 2:
            raise ValueError
        if sep:
            values.append(float(dwell))
    except ValueError:
        example = "-89.45,222.5:4" if option == "--via" else "-89.45,222.5"
        hint = "LAT,LON[:DWELL_H]" if option == "--via" else "LAT,LON"
        raise typer.BadParameter(f"{option} {text!r} must be {hint}, e.g. {example}") from None
    return tuple(values)


def _parse_rover(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--rover {item!r} must be NAME=VALUE, e.g. battery_Wh=2000")
        key = key.strip()
        if key == "panel":
            out[key] = value.strip()
            continue
        try:
            out[key] = float(value)
        except ValueError:
            raise typer.BadParameter(f"--rover {item!r} must be NAME=NUMBER, e.g. battery_Wh=2000") from None
    return out


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
    from lupex.ephemeris import format_utc, moon_centred_vectors, parse_time
    from lupex.errors import InputError
    from lupex.io import read_dem
    from lupex.io.tables import write_bytes, write_csv, write_json
    from lupex.reporting import route_map_png, timeline_png
    from lupex.traverse import Rover, check_plan, plan_traverse, traverse_environment, window_around
    from lupex.traverse.export import route_czml, route_geojson, steps_records

    began = time.perf_counter()
    p_from = _parse_point(from_, "--from")
    p_to = _parse_point(to, "--to")
    p_via = [_parse_point(v, "--via") for v in via or []]
    if not (math.isfinite(days) and 0 < days <= 60):
        raise InputError(f"--days {days!r} must be in (0, 60]")
    t0 = parse_time(start, "--start")
    t1 = t0 + np.timedelta64(int(round(days * 86400)), "s")
    moon_centred_vectors(np.array([t0, t1]))  # refuse a period outside the ephemeris before any long work
    the_rover = Rover.with_overrides(**_parse_rover(rover))
    terrain = read_dem(dem)
    window = window_around(terrain, [(p[0], p[1]) for p in (p_from, p_to, *p_via)], margin_m)
    with RichProgress("sky along the period") as bar:
        env = traverse_environment(
            terrain, t0, t1, step, window=window, mast_height_m=the_rover.mast_height_m, n_azimuth=n_azimuth,
            cache=cache, progress=bar,
        )  # fmt: skip
    with RichProgress("planning") as bar:
        plan = plan_traverse(
            env, p_from, p_to, via=p_via, rover=the_rover, objective=objective,  # type: ignore[arg-type]
            order=order, exact=exact, progress=bar,  # type: ignore[arg-type]
        )  # fmt: skip
    check = check_plan(plan, env)
    files = [
        str(write_csv(steps_records(plan), out / "steps.csv")),
        str(write_json(route_geojson(plan), out / "route.geojson")),
        str(write_json(route_czml(plan), out / "route.czml")),
    ]
    title = f"lupex traverse: {terrain.attrs.get('source', dem)} from {format_utc(env.time_utc[0])}"
    sun_mean = env.sun_fraction.mean(axis=0)
    png = route_map_png(window, sun_mean, plan.steps["x_m"], plan.steps["y_m"], plan.waypoints, title)
    files.append(str(write_bytes(png, out / "route.png")))
    s = plan.steps
    png = timeline_png(
        s["time_utc"], s["battery_Wh"], the_rover.battery_Wh * the_rover.min_state_of_charge, s["sun_fraction"],
        s["earth_visible"], s["action"], title,
    )  # fmt: skip
    files.append(str(write_bytes(png, out / "timeline.png")))
    summary = plan.summary()
    summary.update(
        {
            "dem": terrain.attrs.get("source", dem),
            "window_cells": list(env.shape),
            "replay_check": {"ok": check.ok, "violations": check.violations,
                             "min_battery_Wh": round(check.min_battery_Wh, 2)},
            "rover": the_rover.parameters(),
            "files": files,
            "elapsed_s": round(time.perf_counter() - began, 2),
        }
    )  # fmt: skip
    files.append(str(write_json(summary, out / "summary.json")))
    text = json.dumps(summary, indent=2, allow_nan=False, default=lambda v: None if not math.isfinite(v) else v)
    sys.stdout.write(text + "\n")
    if not plan.feasible:
        raise NoTraverseError(f"no traverse: {plan.reason} (partial route written to {out})")
