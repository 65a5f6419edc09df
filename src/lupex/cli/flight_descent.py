"""``lupex flight descent``: fuel-optimal powered descent (lossless convexification, cvxpy + Clarabel).

Registers on :data:`lupex.cli.flight.flight_app`; ``lupex.cli.main`` must import this module.
"""

from __future__ import annotations

import io
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from lupex.cli.flight import flight_app
from lupex.cli.options import check_number, check_out_dir
from lupex.defaults import DEFAULTS, default, used_placeholders
from lupex.errors import InputError

if TYPE_CHECKING:
    from lupex.flight.guidance import DescentProblem, DescentSolution

CASES = ("acikmese2007", "lunar")


def _case_problem(case: str, glide_slope_deg: float | None) -> DescentProblem:
    from lupex.flight.guidance import acikmese_ploen_2007_problem, lunar_terminal_descent_problem

    if case not in CASES:
        raise InputError(f"--case {case!r} is not a known case; choose one of {', '.join(CASES)}")
    if case == "acikmese2007":
        return acikmese_ploen_2007_problem(glide_slope_deg)
    return lunar_terminal_descent_problem(glide_slope_deg)


def _with_overrides(problem: DescentProblem, wet_mass_kg: float | None, dry_mass_kg: float | None) -> DescentProblem:
    """The case's problem with the mass overrides, each refused with its flag."""
    from lupex.flight.guidance import Lander

    lander = problem.lander
    wet = lander.wet_mass_kg if wet_mass_kg is None else wet_mass_kg
    dry = lander.dry_mass_kg if dry_mass_kg is None else dry_mass_kg
    check_number("--wet-mass-kg", wet, 0.0, 1e7, low_open=True, hint="give the mass at descent start in kg")
    check_number("--dry-mass-kg", dry, 0.0, 1e7, low_open=True, hint="give the lowest touchdown mass in kg")
    if dry >= wet:
        raise InputError(f"--dry-mass-kg {dry:g} is not below the wet mass {wet:g} kg; give a dry mass below it "
                         "or raise --wet-mass-kg")  # fmt: skip
    new_lander: Lander = replace(lander, wet_mass_kg=wet, dry_mass_kg=dry)
    weight_N = dry * problem.gravity_m_s2
    if new_lander.thrust_max_N <= weight_N:
        raise InputError(f"--dry-mass-kg {dry:g}: cannot hover: max thrust {new_lander.thrust_max_N:.0f} N is not "
                         f"above the weight at dry mass {weight_N:.0f} N; give a lighter lander")  # fmt: skip
    out: DescentProblem = replace(problem, lander=new_lander)  # re-validated by DescentProblem.__post_init__
    return out


def _flags(message: str) -> str:
    """A library message with the Python argument names replaced by the matching flags."""
    for api, flag in (("tf_s", "--tf-s"), ("glide_slope_deg", "--glide-slope-deg")):
        message = message.replace(api, flag)
    return message


def _solve(problem: DescentProblem, tf_s: float | None, search: bool, nodes: int) -> DescentSolution:
    from lupex.flight.guidance import optimal_time_of_flight, solve_descent, time_of_flight_bounds_s

    if tf_s is not None and search:
        raise InputError("--tf-s and --search were both given; give --tf-s SECONDS or --search, not both")
    lo, hi = int(default("gfold_min_nodes")), int(default("gfold_max_nodes"))
    check_number("--nodes", nodes, lo, hi, hint=f"give the number of time intervals, e.g. 80 ({lo}..{hi})")
    if tf_s is not None:
        check_number("--tf-s", tf_s, 0.0, default("gfold_max_tf_s"), low_open=True,
                     hint="give the time of flight in s, e.g. 72")  # fmt: skip
        solution = solve_descent(problem, tf_s, nodes)
        if not solution.feasible:
            raise InputError(f"--tf-s {tf_s:g} is infeasible: {_flags(solution.message)}")
        return solution
    solution = optimal_time_of_flight(problem, *time_of_flight_bounds_s(problem), nodes)
    if not solution.feasible:
        raise InputError(f"--search found no feasible time of flight: {_flags(solution.message)}")
    return solution


def _summary(case: str, problem: DescentProblem, sol: DescentSolution) -> dict[str, Any]:
    lander = problem.lander
    speed = np.linalg.norm(sol.v_m_s, axis=1)
    estimates = [n for n in DEFAULTS if n.startswith("lunar_descent_")] if case == "lunar" else []
    return {
        "case": case,
        "feasible": sol.feasible,
        "on_target": sol.landing_error_m <= default("gfold_landing_tolerance_m"),
        "status": sol.status,
        "binding_constraint": sol.binding_constraint,
        "message": sol.message,
        "tf_s": round(sol.tf_s, 4),
        "fuel_kg": round(sol.fuel_kg, 4),
        "landing_error_m": round(sol.landing_error_m, 4),
        "touchdown_mass_kg": round(float(sol.mass_kg[-1]), 4),
        "max_speed_m_s": round(float(speed.max()), 4),
        "min_altitude_m": round(float(sol.r_m[:, 0].min()), 4),
        "sigma_gap": float(f"{sol.sigma_gap:.3g}"),
        "n_nodes": int(sol.thrust_N.shape[0]),
        "glide_slope_deg": problem.glide_slope_deg,
        "thrust_min_N": round(lander.thrust_min_N, 3),
        "thrust_max_N": round(lander.thrust_max_N, 3),
        "alpha_s_m": lander.alpha_s_m,
        "solve_time_s": round(sol.solve_time_s, 4),
        "estimated_defaults": used_placeholders(estimates),
    }


def trajectory_rows(sol: DescentSolution) -> list[dict[str, Any]]:
    """Rows of ``trajectory.csv``: one per node; the thrust held over the interval that starts there."""
    thrust = np.vstack([sol.thrust_N, np.full((1, 3), np.nan)])
    rows = []
    for k in range(sol.t_s.size):
        tx, ty, tz = (float(x) for x in thrust[k])
        row: dict[str, Any] = {"t_s": float(sol.t_s[k])}
        row.update(zip(("x_m", "y_m", "z_m"), (float(x) for x in sol.r_m[k]), strict=True))
        row.update(zip(("vx_m_s", "vy_m_s", "vz_m_s"), (float(x) for x in sol.v_m_s[k]), strict=True))
        last = math.isnan(tx)
        row.update({"thrust_x_N": "" if last else tx, "thrust_y_N": "" if last else ty,
                    "thrust_z_N": "" if last else tz, "thrust_N": "" if last else math.hypot(tx, ty, tz),
                    "mass_kg": float(sol.mass_kg[k])})  # fmt: skip
        rows.append(row)
    return rows


def _png(t_s: Any, series: list[tuple[Any, str]], ylabel: str, title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    for values, label in series:
        ax.plot(t_s[: len(values)], values, lw=1.4, label=label)
    ax.set_xlabel("time [s]")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if len(series) > 1:
        ax.legend(loc="best", fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def figures_png(sol: DescentSolution, problem: DescentProblem) -> dict[str, bytes]:
    """Altitude, velocity, thrust and mass figures (PNG bytes by file name)."""
    t, v, thrust = sol.t_s, sol.v_m_s, np.linalg.norm(sol.thrust_N, axis=1)
    lander = problem.lander
    bounds = [(np.full(thrust.size, lander.thrust_min_N), "min thrust"),
              (np.full(thrust.size, lander.thrust_max_N), "max thrust")]  # fmt: skip
    speeds = [(v[:, 0], "vx (up)"), (v[:, 1], "vy"), (v[:, 2], "vz"), (np.linalg.norm(v, axis=1), "speed")]
    return {
        "altitude.png": _png(t, [(sol.r_m[:, 0], "altitude")], "altitude x [m]", "Powered descent: altitude"),
        "velocity.png": _png(t, speeds, "velocity [m/s]", "Velocity"),
        "thrust.png": _png(t, [(thrust, "|T|"), *bounds], "net thrust [N]", "Thrust magnitude (held per interval)"),
        "mass.png": _png(t, [(sol.mass_kg, "mass")], "mass [kg]", f"Mass (fuel used {sol.fuel_kg:.1f} kg)"),
    }


def _write_out(out: Path, sol: DescentSolution, problem: DescentProblem, case: str) -> None:
    from lupex.io.tables import write_bytes, write_csv, write_json

    write_csv(trajectory_rows(sol), out / "trajectory.csv")
    for name, data in figures_png(sol, problem).items():
        write_bytes(data, out / name)
    if case == "lunar" and sol.feasible:  # a Mars example has no place on the Moon
        from lupex.defaults import default
        from lupex.flight.export import descent_czml

        site = (default("demo_site_lat_deg"), default("demo_site_lon_deg"))
        czml = descent_czml(sol, *site, default("demo_site_height_m"), "2028-01-01T00:00:00Z")
        write_json(czml, out / "descent.czml")


def _table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"Powered descent ({summary['case']})", title_justify="left", show_header=False)
    table.add_row("time of flight", f"{summary['tf_s']:.2f} s")
    table.add_row("fuel", f"{summary['fuel_kg']:.2f} kg")
    table.add_row("landing error", f"{summary['landing_error_m']:.3f} m")
    table.add_row("touchdown mass", f"{summary['touchdown_mass_kg']:.1f} kg")
    table.add_row("thrust range", f"{summary['thrust_min_N']:.0f}..{summary['thrust_max_N']:.0f} N")
    table.add_row("lowest altitude", f"{summary['min_altitude_m']:.1f} m")
    table.add_row("lossless gap max(sigma-|u|)/sigma", f"{summary['sigma_gap']:.1e}")
    table.add_row("solver status", summary["status"])
    if summary["message"]:
        table.add_row("note", summary["message"])
    if summary["estimated_defaults"]:
        table.add_row("estimated values", ", ".join(summary["estimated_defaults"]))
    return table


@flight_app.command("descent")
def flight_descent(
    case: Annotated[str, typer.Option("--case", help="acikmese2007 (Mars example) or lunar.")] = "acikmese2007",
    glide_slope_deg: Annotated[
        float | None, typer.Option("--glide-slope-deg", help="Glide-slope cone elevation [deg], 0..90.")
    ] = None,
    tf_s: Annotated[float | None, typer.Option("--tf-s", help="Time of flight [s] (default: --search).")] = None,
    search: Annotated[bool, typer.Option("--search", help="Search the minimum-fuel time of flight.")] = False,
    nodes: Annotated[int, typer.Option("--nodes", help="Time intervals of the discretisation.")] = 80,
    wet_mass_kg: Annotated[float | None, typer.Option("--wet-mass-kg", help="Override the wet mass [kg].")] = None,
    dry_mass_kg: Annotated[float | None, typer.Option("--dry-mass-kg", help="Override the dry mass [kg].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for trajectory.csv and PNG figures.")] = None,
) -> None:
    """Fuel-optimal powered descent by lossless convexification (P3 then P4, cvxpy + Clarabel)."""
    if glide_slope_deg is not None:
        check_number("--glide-slope-deg", glide_slope_deg, 0.0, 90.0, high_open=True,
                     hint="give the cone's elevation above the ground in degrees, e.g. 4")  # fmt: skip
    if out is not None:
        check_out_dir("--out", out)
    problem = _with_overrides(_case_problem(case, glide_slope_deg), wet_mass_kg, dry_mass_kg)
    solution = _solve(problem, tf_s, search, nodes)
    summary = _summary(case, problem, solution)
    if out is not None:
        _write_out(out, solution, problem, case)
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 140).print(_table(summary))
