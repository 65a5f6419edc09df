"""``lupex ops simulate`` (one campaign) and ``lupex ops montecarlo`` (N campaigns, P(success))."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from lupex.cli.mission import ScenarioSchedulerOpt, scheduler_spec
from lupex.cli.progress import RichProgress
from lupex.cli.scheduling import cli_scheduler

ops_app = typer.Typer(help="The surface campaign: one simulated campaign, or a Monte Carlo of many.",
                      no_args_is_help=True)  # fmt: skip

ScenarioArg = Annotated[str, typer.Argument(help="Preset name or .toml path.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder for the outputs (created if missing).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _scenario(scenario: str, seed: int | None) -> Any:
    """The scenario, with ``--seed`` as ``ops.seed``."""
    from lupex.errors import InputError
    from lupex.mission import Parameter, load_scenario

    sc = load_scenario(scenario)
    if seed is not None:
        if not 0 <= seed <= 2**31 - 1:
            raise InputError(f"--seed {seed} is outside 0..2147483647; give a non-negative integer")
        given = Parameter(value=seed, unit="", source="--seed", confidence="estimate")
        sc = replace(sc, parameters={**sc.parameters, "ops.seed": given})
    return sc


def _results(sc: Any, scheduler: Any = None) -> dict[str, Any]:
    """The chain's results up to the science stage (cached), its stages given ``scheduler`` (None: this process)."""
    from lupex.mission import run_mission

    return run_mission(sc, until="science", progress=lambda stage: RichProgress(stage), scheduler=scheduler).results


def _upstream(scenario: str, seed: int | None) -> tuple[Any, dict[str, Any]]:
    """The scenario (with ``--seed`` as ``ops.seed``) and the chain's results up to the science stage (cached)."""
    sc = _scenario(scenario, seed)
    return sc, _results(sc)


def _campaign_json(c: Any, haven: Any) -> dict[str, Any]:
    e = c.energy
    return {"drill_samples": c.drill_samples, "km": round(c.distance_m / 1000.0, 4), "data_GB": round(c.data_GB, 4),
            "data_lost_MB": round(c.data_lost_MB, 2), "alive": c.alive, "loss_reason": c.loss_reason,
            "success": c.success, "sorties": len(c.sorties),
            "sorties_replay_ok": all(s["replay_ok"] for s in c.sorties), "faults": len(c.faults),
            "reserve_breaches": c.reserve_breaches, "energy_balance_error_Wh": e["closure_error_Wh"],
            "energy_in_Wh": round(e["in_Wh"], 3), "energy_out_Wh": round(e["out_Wh"], 3),
            "energy_spilled_Wh": round(e["spilled_Wh"], 3), "battery_start_Wh": e["start_Wh"],
            "battery_end_Wh": round(e["end_Wh"], 3),
            "haven": {"lat_deg": haven.lat_deg, "lon_deg": haven.lon_deg, "distance_m": round(haven.distance_m, 1),
                      "longest_night_h": haven.longest_night_h}}  # fmt: skip


@ops_app.command("simulate")
def ops_simulate(
    out: OutOpt,
    scenario: ScenarioArg = "chandrayaan5",
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the faults (default: ops.seed).")] = None,
    no_faults: Annotated[bool, typer.Option("--no-faults", help="Switch every fault off.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """One campaign over the surface mission: sorties planned and replay-checked, faults, energy, heat, data."""
    from lupex.cli.options import check_out_dir
    from lupex.io.tables import write_bytes, write_csv, write_json
    from lupex.mission.stages.ops import play
    from lupex.ops.clock import NS_PER_S
    from lupex.ops.export import campaign_czml
    from lupex.reporting.ops_figures import campaign_gantt_png, campaign_state_png
    from lupex.reporting.ops_report import events_records, track_of

    check_out_dir("--out", out)
    sc, up = _upstream(scenario, seed)
    with RichProgress("ops campaign"):
        c, _inputs, world, haven = play(sc, up, faults=not no_faults)
    summary = _campaign_json(c, haven)
    write_csv(events_records(c), out / "ops_events.csv")
    t, lat, lon, act, height = track_of(c, world.window)
    write_json(campaign_czml(t, lat, lon, height, "rover campaign", act), out / "campaign.czml")
    spans = [{"activity": e["activity"], "start_s": e["start_ns"] / NS_PER_S, "end_s": e["end_ns"] / NS_PER_S}
             for e in c.events]  # fmt: skip
    h = c.hourly
    write_bytes(campaign_gantt_png(spans, c.start_utc, f"Campaign timeline, {sc.name}"), out / "ops_gantt.png")
    write_bytes(campaign_state_png(h["t_ns"] / NS_PER_S, h["battery_Wh"], c.capacity_Wh, c.reserve_Wh,
                                   h["temperature_K"], c.survival_K, h["storage_MB"], world.params.storage_MB,
                                   f"Battery, temperature and storage, {sc.name}"), out / "ops_state.png")  # fmt: skip
    write_json(summary, out / "ops_campaign.json")
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    sys.stdout.write(f"{summary['drill_samples']} samples, {summary['km']:.2f} km, {summary['data_GB']:.2f} GB; rover "
                     f"{'alive' if c.alive else 'lost: ' + c.loss_reason}; success: {c.success['all']}; "
                     f"outputs in {out}\n")  # fmt: skip


def _clamped_workers(workers: int | None) -> int | None:
    """``--workers`` clamped to the cores, with one warning line on stderr."""
    if workers is None:
        return None
    cores = os.cpu_count() or 1
    if workers > cores:
        sys.stderr.write(f"lupex: --workers {workers} is more than the {cores} cores; using {cores}\n")
        return cores
    return workers


def _check_workers_scheduler(workers: int | None, spec: Any, source: str) -> None:
    """Refuse ``--workers`` (the local process pool) together with a cluster scheduler, naming both."""
    from lupex.errors import InputError

    if workers is not None and spec.distributed:
        raise InputError(
            f"--workers {workers} and {source} {spec.text} cannot be combined: --workers sizes the local process "
            "pool, a cluster runs the campaigns on its own workers; drop --workers (local:N sets the cluster's "
            "size) or use --scheduler threads"
        )


@ops_app.command("montecarlo")
def ops_montecarlo(
    out: OutOpt,
    runs: Annotated[int, typer.Option("--runs", help="Number of campaigns.")],
    scenario: ScenarioArg = "chandrayaan5",
    workers: Annotated[
        int | None, typer.Option("--workers", help="Processes (default 2; clamped to the cores).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="First seed (default: ops.seed).")] = None,
    scheduler: ScenarioSchedulerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """N campaigns over faults, landing dispersion and uncertain parameters: P(success) and what moves it.

    With --scheduler local:N or tcp://HOST:PORT the campaigns run as batches of seeds on a Dask cluster (the same
    runs, seed for seed, as in this process).
    """
    from lupex.cli.options import check_number, check_out_dir
    from lupex.cluster import executor_of
    from lupex.io.tables import write_bytes, write_csv, write_json
    from lupex.mission.stages.ops import play, replay_inputs, uncertainty_of
    from lupex.ops.montecarlo import monte_carlo
    from lupex.reporting.ops_figures import montecarlo_png, tornado_png
    from lupex.reporting.ops_report import montecarlo_json, runs_records

    check_number("--runs", runs, 1, 100_000, hint="give the number of campaigns, e.g. 200")
    if workers is not None:
        check_number("--workers", workers, 1, 4096, hint="give the number of processes, e.g. 2")
    if scheduler is not None:  # refused before anything runs
        _check_workers_scheduler(workers, scheduler_spec(scheduler, None), "--scheduler")
    check_out_dir("--out", out)
    sc = _scenario(scenario, seed)
    spec = scheduler_spec(scheduler, sc)
    _check_workers_scheduler(workers, spec, "--scheduler" if scheduler is not None else "scenario.scheduler")
    workers = _clamped_workers(workers)
    with cli_scheduler(spec) as sched:
        up = _results(sc, sched)
        with RichProgress("ops campaign (planning)"):
            _c, inputs, world, _haven = play(sc, up)
        with RichProgress("Monte Carlo campaigns") as bar:
            bar.total = runs
            mc = monte_carlo(replay_inputs(inputs, world), runs, seed=int(sc.get("ops.seed", 0)) + 1,
                             workers=workers, uncertainty=uncertainty_of(sc, up.get("flight")), progress=bar.update,
                             executor=executor_of(sched))  # fmt: skip
    s = world.params.success
    summary = montecarlo_json(mc)
    write_csv(runs_records(mc), out / "ops_runs.csv")
    write_bytes(montecarlo_png({k: mc.metric(k) for k in ("drill_samples", "km", "data_GB")},
                               {"drill_samples": s.min_drill_samples, "km": s.min_km, "data_GB": s.min_data_GB},
                               f"{runs} campaigns, {sc.name}"), out / "ops_montecarlo.png")  # fmt: skip
    write_bytes(tornado_png([(lab, lo, hi) for _, lab, lo, hi in mc.sensitivity], mc.p_success,
                            f"What moves P(success), {sc.name}"), out / "ops_tornado.png")  # fmt: skip
    write_json(summary, out / "ops_montecarlo.json")
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return
    lo, hi = mc.p_success_ci
    sys.stdout.write(f"P(success) {mc.p_success:.3f} (95 % {lo:.3f}-{hi:.3f}) over {runs} campaigns; outputs in "
                     f"{out}\n")  # fmt: skip
