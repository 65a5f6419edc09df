"""``lupex sites``: rank landing sites (power, Earth, slope, ice within rover reach)."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lupex.cli.options import check_number, check_out_dir, check_thermal_step, psr_years_option
from lupex.cli.progress import RichProgress
from lupex.cli.scheduling import SchedulerOpt, cli_scheduler, parse_scheduler_option
from lupex.errors import InputError

#: Metric maps written as COGs: name in the metrics dataset -> file stem.
SITE_LAYERS = {
    "slope_deg": "slope_deg",
    "t_max_K": "t_max_K",
    "t_mean_K": "t_mean_K",
    "ice_stability_depth_m": "ice_stability_depth_m",
    "mean_illumination": "mean_illumination",
    "longest_darkness_h": "longest_darkness_h",
    "earth_visibility": "earth_visibility",
    "psr": "psr",
    "distance_to_ice_m": "distance_to_ice_m",
    "rover_path_to_ice_m": "rover_path_to_ice_m",
}


def _parse_region(text: str | None) -> tuple[float, float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        lat, lon, radius = (float(p) for p in parts)
    except ValueError:
        raise typer.BadParameter(f"--region {text!r} must be LAT,LON,RADIUS_KM, e.g. -89.45,222.5,15") from None
    if not (math.isfinite(lat) and -90.0 <= lat <= -60.0 and math.isfinite(lon)):
        raise InputError(
            f"--region {text!r}: LAT must be in [-90, -60] (the south polar region) and LON finite; "
            "give LAT,LON,RADIUS_KM, e.g. -89.45,222.5,15"
        )
    if not (math.isfinite(radius) and radius > 0.0):
        raise InputError(f"--region {text!r}: RADIUS_KM must be > 0; give LAT,LON,RADIUS_KM, e.g. -89.45,222.5,15")
    return lat, lon, radius


def _parse_pairs(items: list[str] | None, what: str) -> dict[str, float] | None:
    if not items:
        return None
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"--{what} {item!r} must be NAME=NUMBER, e.g. mean_illumination=0.4") from None
        if not sep:
            raise typer.BadParameter(f"--{what} {item!r} must be NAME=NUMBER")
        if not math.isfinite(out[key.strip()]):
            raise InputError(f"--{what} {item!r}: the number is not finite; give NAME=NUMBER, e.g. max_slope_deg=10")
    return out


def _parse_selection(
    constraint: list[str] | None, weight: list[str] | None
) -> tuple[dict[str, Any] | None, dict[str, float] | None]:
    """``--constraint`` and ``--weight`` values, refused (naming the flag) when unknown or impossible, before the
    long metrics stage."""
    from lupex.sites.selection import _constraints, _weights

    constraints: dict[str, Any] | None = _parse_pairs(constraint, "constraint")
    if constraints and "require_rover_access" in constraints:
        constraints["require_rover_access"] = bool(constraints["require_rover_access"])
    weights = _parse_pairs(weight, "weight")
    try:
        _constraints(constraints)
    except InputError as err:
        raise InputError(f"--constraint: {err}") from None
    try:
        _weights(weights)
    except InputError as err:
        raise InputError(f"--weight: {err}") from None
    return constraints, weights


def _check_options(
    start: str, end: str, step: str, thermal_step: str, top: int, ellipse_m: float | None, n_azimuth: int, out: Path
) -> None:
    """Refuse bad ``lupex sites`` options, naming the flags, before any long work."""
    from lupex.ephemeris import time_range

    time_range(start, end, step, names=("--start", "--end", "--step"))  # counted before it is built
    check_thermal_step(thermal_step, start, end)
    check_number("--top", top, 1, 10_000, hint="give the number of candidates, e.g. 20")
    if ellipse_m is not None:
        check_number("--ellipse-m", ellipse_m, 0.0, hint="give the 3-sigma landing ellipse radius in metres")
    check_number("--n-azimuth", n_azimuth, 4, 7200, hint="give the number of horizon azimuths, e.g. 360")
    check_out_dir("--out", out)


def _check_ellipse(ellipse_m: float | None, terrain: Any) -> None:
    """``--ellipse-m`` must be smaller than half the DEM (checked once the DEM is read, before the metrics)."""
    if ellipse_m is None:
        return
    half = min(terrain.shape) * float(terrain.attrs["res_m"]) / 2.0
    if ellipse_m >= half:
        raise InputError(
            f"--ellipse-m {ellipse_m:g} must be smaller than half the DEM ({half:.0f} m); "
            "use a smaller landing ellipse or a larger DEM"
        )


def sites(
    dem: Annotated[str, typer.Option("--dem", help="DEM file or builtin:NAME.")] = "builtin:south_pole_240m",
    start: Annotated[str, typer.Option("--start", help="Period start, UTC.")] = "2028-01-01",
    end: Annotated[str, typer.Option("--end", help="Period end, UTC.")] = "2029-01-01",
    step: Annotated[str, typer.Option("--step", help="Illumination time step.")] = "2h",
    thermal_step: Annotated[str, typer.Option("--thermal-step", help="Thermal model time step (<= 6h).")] = "1h",
    top: Annotated[int, typer.Option("--top", help="Number of candidates.")] = 20,
    region: Annotated[
        str | None, typer.Option("--region", help="LAT,LON,RADIUS_KM: candidates (and thermal run) in a disc.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("sites"),
    constraint: Annotated[
        list[str] | None,
        typer.Option("--constraint", help="Override a hard constraint: NAME=VALUE (repeatable)."),
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option("--weight", help="TOPSIS weight NAME=VALUE (repeatable; must sum to 1).")
    ] = None,
    ellipse_m: Annotated[float | None, typer.Option("--ellipse-m", help="3-sigma landing ellipse radius [m].")] = None,
    n_azimuth: Annotated[int, typer.Option("--n-azimuth", help="Horizon azimuths.")] = 360,
    psr_years: Annotated[float, typer.Option("--psr-years", help="PSR period in years (0 = the period).")] = 18.6,
    cache: Annotated[bool, typer.Option(help="Reuse cached horizon maps.")] = True,
    scheduler: SchedulerOpt = "threads",
) -> None:
    """Rank landing sites: hard constraints, landing-ellipse worst case, TOPSIS and Pareto set."""
    from lupex.io import read_dem
    from lupex.io.tables import write_bytes, write_json
    from lupex.reporting import sites_map_png
    from lupex.reporting.writers import write_candidate_files, write_geotiff_layers
    from lupex.sites import select_sites, site_metrics

    began = time.perf_counter()
    reg = _parse_region(region)
    constraints, weights = _parse_selection(constraint, weight)
    _check_options(start, end, step, thermal_step, top, ellipse_m, n_azimuth, out)
    psr_period = psr_years_option(psr_years, "the period itself")
    spec = parse_scheduler_option(scheduler)
    terrain = read_dem(dem)
    _check_ellipse(ellipse_m, terrain)
    with cli_scheduler(spec) as sched, RichProgress("site products" if spec.distributed else "thermal model") as bar:
        metrics = site_metrics(
            terrain,
            start,
            end,
            step,
            region=reg,
            n_azimuth=n_azimuth,
            psr_years=psr_period,
            thermal_step=thermal_step,
            cache=cache,
            progress=bar,
            executor=sched.executor(),
        )
    selection = select_sites(metrics, top=top, constraints=constraints, weights=weights, ellipse_radius_m=ellipse_m)
    files = write_candidate_files(selection.candidates, out)
    files += write_geotiff_layers(metrics, SITE_LAYERS, out)
    title = f"lupex sites: {metrics.attrs['source']} {metrics.attrs['start_utc']} .. {metrics.attrs['end_utc']}"
    files.append(str(write_bytes(sites_map_png(terrain, metrics, selection.candidates, title), out / "sites.png")))
    summary = {
        "dem": metrics.attrs["source"],
        "start_utc": metrics.attrs["start_utc"],
        "end_utc": metrics.attrs["end_utc"],
        "region": metrics.attrs["region"] or None,
        "cells_considered": selection.n_cells,
        "cells_feasible": selection.n_feasible,
        "cells_pareto": selection.n_pareto,
        "removed_by_constraint": selection.removed_by,
        "constraints": selection.constraints,
        "weights": selection.weights,
        "ellipse_radius_m": selection.ellipse_radius_m,
        "placeholders_used": selection.placeholders,
        "top": selection.candidates[: min(5, len(selection.candidates))],
        "n_candidates": len(selection.candidates),
        "files": files,
        "elapsed_s": round(time.perf_counter() - began, 2),
    }
    files.append(str(write_json(summary, out / "summary.json")))
    text = json.dumps(summary, indent=2, allow_nan=False, default=lambda v: None if not math.isfinite(v) else v)
    sys.stdout.write(text + "\n")
