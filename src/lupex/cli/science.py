"""``lupex science estimate``: the water-ice resource estimate along a scenario's planned route."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

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
    from lupex.errors import InputError
    from lupex.mission import Parameter, load_scenario, run_mission
    from lupex.mission.outputs import write_run_outputs
    from lupex.mission.stage import OutputContext, get_stage

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
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    p = summary["water_mass_kg"]
    sys.stdout.write(f"water in {summary['volume_m3']:,.0f} m3: P10 {p['p10']:,.0f} kg, P50 {p['p50']:,.0f} kg, "
                     f"P90 {p['p90']:,.0f} kg ({summary['estimate_class']}); synthetic truth "
                     f"{summary['truth_water_mass_kg']:,.0f} kg\n")  # fmt: skip
