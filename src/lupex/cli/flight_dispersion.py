"""``lupex flight dispersion`` and ``lupex flight profile``: the powered descent and the landing Monte Carlo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lupex.cli.flight import flight_app
from lupex.cli.options import check_number, check_out_dir
from lupex.errors import InputError

if TYPE_CHECKING:

    from lupex.flight.descent import DescentProfile
    from lupex.flight.dispersion import LandingDispersion

DEM_NAME = "connecting_ridge_10m"


def _site(scenario: str, lat: float | None, lon: float | None) -> tuple[float, float]:
    """Site from --lat/--lon, else from the scenario's search_region."""
    if lat is not None:
        check_number("--lat", lat, -90.0, -60.0, hint="give a south-polar latitude in degrees")
    if lon is not None:
        check_number("--lon", lon, -360.0, 360.0, hint="give an east longitude in degrees")
    if lat is not None and lon is not None:
        return lat, lon
    from lupex.mission import load_scenario

    sc = load_scenario(scenario)
    return (
        float(sc.value("search_region.lat_deg")) if lat is None else lat,
        float(sc.value("search_region.lon_deg")) if lon is None else lon,
    )


def _summary(result: LandingDispersion, lat: float, lon: float) -> dict[str, Any]:
    return {
        "site_lat_deg": lat,
        "site_lon_deg": lon,
        "runs": len(result.x_m),
        "seed": result.seed,
        "p_safe": result.p_safe,
        "p_safe_ci95": [result.p_safe_low, result.p_safe_high],
        "landed_fraction": float(result.landed.mean()),
        "ellipse_semi_major_m": result.semi_major_m,
        "ellipse_semi_minor_m": result.semi_minor_m,
        "ellipse_orientation_grid_azimuth_deg": result.orientation_deg,
        "errors": dict(result.errors.__dict__),
    }


@flight_app.command("dispersion")
def flight_dispersion(
    scenario: Annotated[str, typer.Argument(help="Preset name or scenario .toml (gives the site).")] = "chandrayaan5",
    runs: Annotated[int, typer.Option("--runs", help="Monte Carlo runs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (created if missing).")] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="Site latitude [deg] (overrides the scenario).")] = None,
    lon: Annotated[float | None, typer.Option("--lon", help="Site east longitude [deg].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Landing dispersion at a site: touchdowns, 3-sigma ellipse and probability of a safe touchdown."""
    from lupex.defaults import default
    from lupex.flight.dispersion import ellipse_geojson, landing_dispersion
    from lupex.io.tables import write_bytes, write_csv, write_json
    from lupex.reporting.flight_figures import dispersion_png
    from lupex.terrain import builtin_dem

    if not 1 <= runs <= int(default("dispersion_max_runs")):
        raise InputError(f"--runs {runs} must be an integer in [1, {int(default('dispersion_max_runs')):,}]")
    if seed < 0:
        raise InputError(f"--seed {seed} must be an integer >= 0")
    if out is None:
        raise InputError("--out is required; give the output folder")
    check_out_dir("--out", out)
    site_lat, site_lon = _site(scenario, lat, lon)
    dem = builtin_dem(DEM_NAME)
    try:
        result = landing_dispersion(dem, site_lat, site_lon, runs=runs, seed=seed)
    except InputError as err:
        if "site_l" in str(err):
            raise InputError(f"--lat/--lon (or the scenario's search_region): {err}") from None
        raise
    summary = _summary(result, site_lat, site_lon)
    write_csv(result.rows(), out / "touchdowns.csv")
    write_json(ellipse_geojson(result), out / "ellipse.geojson")
    write_json(summary, out / "dispersion.json")
    write_bytes(dispersion_png(dem, result), out / "dispersion.png")
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    sys.stdout.write(
        f"{runs} runs at ({site_lat:g}, {site_lon:g}): p_safe {result.p_safe:.3f} "
        f"[{result.p_safe_low:.3f}, {result.p_safe_high:.3f}], 3-sigma ellipse {result.semi_major_m:.1f} m x "
        f"{result.semi_minor_m:.1f} m at grid azimuth {result.orientation_deg:.0f} deg; files in {out}\n"
    )


def _phase_table(profile: DescentProfile) -> list[dict[str, Any]]:
    return [
        {
            "phase": p.name,
            "t_start_s": p.t_start_s,
            "t_end_s": p.t_end_s,
            "altitude_end_m": p.altitude_end_m,
            "v_horizontal_end_m_s": p.v_horizontal_end_m_s,
            "v_vertical_end_m_s": p.v_vertical_end_m_s,
            "propellant_kg": p.propellant_kg,
            "delta_v_m_s": p.delta_v_m_s,
        }
        for p in profile.phases
    ]


@flight_app.command("profile")
def flight_profile(
    out: Annotated[Path | None, typer.Option("--out", help="Folder for profile.csv and phases.json.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the phase table as JSON.")] = False,
) -> None:
    """Chandrayaan-3-like powered descent, phase by phase (3-DOF point mass)."""
    from lupex.flight.descent import descent_profile
    from lupex.io.tables import write_csv, write_json

    if out is not None:
        check_out_dir("--out", out)
    profile = descent_profile()
    table = _phase_table(profile)
    summary = {
        "phases": table,
        "propellant_kg": profile.propellant_kg,
        "delta_v_m_s": profile.delta_v_m_s,
        "touchdown_v_vertical_m_s": profile.touchdown_v_vertical_m_s,
        "touchdown_v_horizontal_m_s": profile.touchdown_v_horizontal_m_s,
    }
    if out is not None:
        write_csv(profile.rows(), out / "profile.csv")
        write_json(summary, out / "phases.json")
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    for row in table:
        sys.stdout.write(
            f"{row['phase']:<17} {row['t_start_s']:7.1f}-{row['t_end_s']:7.1f} s  h {row['altitude_end_m']:8.1f} m  "
            f"v_h {row['v_horizontal_end_m_s']:7.2f} m/s  v_v {row['v_vertical_end_m_s']:7.2f} m/s  "
            f"prop {row['propellant_kg']:6.1f} kg\n"
        )
    sys.stdout.write(f"propellant {profile.propellant_kg:.1f} kg, delta-v {profile.delta_v_m_s:.0f} m/s\n")
