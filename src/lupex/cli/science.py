"""``lupex science estimate``: the water-ice resource estimate along a scenario's planned route."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from lupex.cli.progress import RichProgress

science_app = typer.Typer(help="What the mission will find: instruments along the route and the ice estimate.",
                          no_args_is_help=True)  # fmt: skip


@science_app.command("estimate")
def science_estimate(
    scenario: Annotated[str, typer.Argument(help="Preset name or .toml path.")] = "chandrayaan5",
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the synthetic subsurface (default: the scenario's).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the run's outputs to this folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
) -> None:
    """Run the chain up to the science stage (cached stages are reused) and report P10/P50/P90 of the water."""
    from lupex.cli.options import check_out_dir
    from lupex.errors import InputError
    from lupex.mission import Parameter, load_scenario, run_mission
    from lupex.mission.outputs import write_run_outputs
    from lupex.mission.stage import OutputContext, get_stage

    if out is not None:
        check_out_dir("--out", out)
    sc = load_scenario(scenario)
    if seed is not None:
        if not 0 <= seed <= 2**31 - 1:
            raise InputError(f"--seed {seed} is outside 0..2147483647; give a non-negative integer")
        given = Parameter(value=seed, unit="", source="--seed", confidence="estimate")
        sc = replace(sc, parameters={**sc.parameters, "science.seed": given})
    result = run_mission(sc, stages=["science"], progress=lambda stage: RichProgress(stage))
    summary = get_stage("science").summary(result["science"], OutputContext(sc, result.results))
    if out is not None:
        write_run_outputs(result, out)
    if summary["estimate_class"] == "none":  # the estimate is zero with a reason: say it and fail (issue #14)
        reach = sc.get("science.reach_m", 300.0)
        raise InputError(f"{scenario}: {summary['upgrade_note']} (science.reach_m = {reach:g} m around the site); "
                         "widen science.reach_m or choose a site with ice-stable ground")  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    p = summary["water_mass_kg"]
    sys.stdout.write(f"water in {summary['volume_m3']:,.0f} m3: P10 {p['p10']:,.0f} kg, P50 {p['p50']:,.0f} kg, "
                     f"P90 {p['p90']:,.0f} kg ({summary['estimate_class']}); synthetic truth "
                     f"{summary['truth_water_mass_kg']:,.0f} kg\n")  # fmt: skip


def _route_points(text: str) -> list[tuple[float, float]]:
    from lupex.errors import InputError

    points = []
    for item in text.split(";"):
        parts = item.split(",")
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise InputError(f"--route {text!r}: each point is LAT,LON, points separated by ';' "
                             "(e.g. -89.445,222.68;-89.447,222.70)") from None  # fmt: skip
        if not (-90.0 <= lat <= -60.0 and -360.0 <= lon <= 360.0):
            raise InputError(f"--route point {item!r} is outside the south-polar region (lat -90..-60 deg)")
        points.append((lat, lon))
    if len(points) < 2:
        raise InputError(f"--route {text!r} needs at least two points (LAT,LON;LAT,LON)")
    return points


def _instrument_returns(
    instrument: str, truth: Any, xy: Any, seed: int, radar_hz: tuple[float, float]
) -> dict[str, object]:
    """The returns of one instrument along the route points ``xy`` [m] over ``truth``, as JSON-ready rows."""
    import numpy as np

    from lupex.science.drill import drill_profile
    from lupex.science.neutron import neutron_track
    from lupex.science.radar import radar_picks
    from lupex.science.route import points_along_route_m

    if instrument == "drill":
        holes = [drill_profile(truth, float(x), float(y), seed=seed + k) for k, (x, y) in enumerate(xy)]
        return {"holes": [{"x_m": h.x_m, "y_m": h.y_m, "depth_top_m": h.depth_top_m.tolist(),
                           "weh_wt_pct": h.weh_wt_pct.tolist(), "weh_sd_wt_pct": h.weh_sd_wt_pct.tolist()}
                          for h in holes]}  # fmt: skip
    px, py = points_along_route_m(xy[:, 0], xy[:, 1], 10.0 if instrument == "ns" else 0.5)
    if instrument == "ns":
        n = neutron_track(truth, px, py, seed=seed)
        cols = zip(n.x_m, n.y_m, n.epithermal_counts, n.weh_wt_pct, n.weh_sd_wt_pct, strict=True)
        return {"rows": [{"x_m": float(a), "y_m": float(b), "counts": float(c), "weh_wt_pct": float(w),
                          "weh_sd_wt_pct": float(e)} for a, b, c, w, e in cols]}  # fmt: skip
    r = radar_picks(truth, px, py, seed=seed, frequency_Hz=radar_hz[0], bandwidth_Hz=radar_hz[1])
    return {"rows": [{"x_m": float(a), "y_m": float(b), "depth_m": float(d) if np.isfinite(d) else None}
                     for a, b, d in zip(r.x_m, r.y_m, r.depth_m, strict=True)]}  # fmt: skip


@science_app.command("instruments")
def science_instruments(
    instrument: Annotated[str, typer.Option("--instrument", help="ns (neutron spectrometer), radar or drill.")],
    route: Annotated[str, typer.Option("--route", help="LAT,LON;LAT,LON;... (a drill at each point for drill).")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic subsurface and the noise.")] = 0,
    prior_weh: Annotated[float, typer.Option("--prior-weh", help="Mean WEH of the subsurface [wt%].")] = 5.6,
    burial_m: Annotated[float, typer.Option("--burial-m", help="Depth of the top of the ice [m].")] = 0.1,
    frequency_mhz: Annotated[
        float, typer.Option("--frequency-MHz", help="Radar centre frequency [MHz] (radar only).")
    ] = 500.0,
    bandwidth_mhz: Annotated[
        float | None, typer.Option("--bandwidth-MHz", help="Radar bandwidth [MHz] (default: the centre frequency).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the returns as JSON.")] = False,
) -> None:
    """One instrument along a route over a seeded synthetic subsurface (uniform burial depth): its returns."""
    import numpy as np

    from lupex.cli.options import check_number
    from lupex.errors import InputError
    from lupex.science.subsurface import subsurface_model
    from lupex.terrain import latlon_to_xy

    if instrument not in ("ns", "radar", "drill"):
        raise InputError(f"--instrument {instrument!r} is not known; use ns, radar or drill")
    check_number("--prior-weh", prior_weh, 0.0, 100.0, hint="give the mean water-equivalent hydrogen in wt%")
    check_number("--burial-m", burial_m, 0.0, 1.5, hint="give the depth of the ice's top in metres")
    check_number("--frequency-MHz", frequency_mhz, 1.0, 10000.0, hint="give the GPR centre frequency, e.g. 500")
    bw_mhz = frequency_mhz if bandwidth_mhz is None else bandwidth_mhz
    check_number("--bandwidth-MHz", bw_mhz, 1.0, 10000.0, hint="give the GPR bandwidth, e.g. 500")
    if not 0 <= seed <= 2**31 - 1:
        raise InputError(f"--seed {seed} is outside 0..2147483647; give a non-negative integer")
    xy = np.array([latlon_to_xy(lat, lon) for lat, lon in _route_points(route)], dtype=float)
    if np.hypot(*(xy.max(axis=0) - xy.min(axis=0))) > 5000.0:
        raise InputError("--route spans more than 5 km; give a shorter route (the subsurface grid is 1 m)")
    gx = np.arange(xy[:, 0].min() - 20.0, xy[:, 0].max() + 20.0, 1.0)
    gy = np.arange(xy[:, 1].max() + 20.0, xy[:, 1].min() - 20.0, -1.0)
    truth = subsurface_model(gx, gy, np.full((gy.size, gx.size), burial_m), seed=seed, mean_weh_wt_pct=prior_weh)
    radar_hz = (frequency_mhz * 1e6, bw_mhz * 1e6)
    out: dict[str, object] = {"instrument": instrument, "seed": seed, "prior_weh_wt_pct": prior_weh,
                              **_instrument_returns(instrument, truth, xy, seed, radar_hz)}  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(out, indent=2, allow_nan=False) + "\n")
        return
    rows = out.get("rows", out.get("holes", []))
    count = len(rows) if isinstance(rows, list) else 0
    sys.stdout.write(f"{instrument}: {count} returns over a synthetic subsurface (seed {seed}); --json for all\n")
