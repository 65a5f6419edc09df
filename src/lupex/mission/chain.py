"""The mission run: the registered stages of a scenario, in chain order, each cached by a content key.

A stage's cache key is made of its name, its algorithm version, the values of the scenario sections it reads,
its extra cache inputs (a DEM file's fingerprint) and the keys of the stages it needs, not the package version:
a rover change recomputes only the traverse, and a new lupex release reuses stages whose algorithm did not
change. Entries are pickles under ``<cache>/runs/<stage>-<key>.pkl``, written atomically; a truncated entry is
recomputed with a warning, and temporary files left by a killed run are removed on the next start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lupex.errors import InputError, LupexError
from lupex.io.atomic import clean_stale_temp_files
from lupex.io.cache import content_key, default_cache_dir
from lupex.io.tables import read_pickle, write_pickle
from lupex.mission.scenario import Scenario
from lupex.mission.stage import Stage, StageContext, chain_order, registered_stages

__all__ = ["MissionResult", "ProgressFactory", "StageError", "run_mission", "select_stages", "stage_keys"]

log = logging.getLogger(__name__)

ProgressFactory = Callable[[str], Any]


class StageError(LupexError, RuntimeError):
    """A stage of the mission run failed; the message names the stage and the reason."""


@dataclass(frozen=True)
class MissionResult:
    """Everything a mission run produced (the report, summary and dashboard read this).

    Attributes
    ----------
    scenario : Scenario
    stages : list of Stage
        The stages run, in chain order.
    results : dict of str -> Any
        Each stage's result dataclass, by stage name.
    keys : dict of str -> str
        Each stage's cache key.
    stage_seconds : dict of str -> float
        Wall time per stage [s] (0 when read from the cache).
    cached : dict of str -> bool
        Whether each stage came from the cache.
    """

    scenario: Scenario
    stages: list[Stage]
    results: dict[str, Any]
    keys: dict[str, str]
    stage_seconds: dict[str, float]
    cached: dict[str, bool]

    def __getitem__(self, name: str) -> Any:
        try:
            return self.results[name]
        except KeyError:
            raise KeyError(f"stage {name!r} was not run; stages run: {', '.join(self.results)}") from None


def select_stages(stages: Iterable[str] | None = None, until: str | None = None) -> list[Stage]:
    """The stages to run: ``stages`` (and what they need), or the chain up to ``until``, or the whole chain.

    Raises
    ------
    InputError
        For an unknown stage name (the message lists the registered ones).
    """
    chain = registered_stages()
    by_name = {s.name: s for s in chain}
    names = list(stages) if stages is not None else None
    for n in [*(names or []), *([until] if until else [])]:
        if n not in by_name:
            raise InputError(f"no stage {n!r}; stages: {', '.join(by_name)}")
    if until is not None:
        upto = [s.name for s in chain][: [s.name for s in chain].index(until) + 1]
        names = upto if names is None else [n for n in names if n in upto] or [until]
    return chain_order(by_name, names)


def stage_keys(scenario: Scenario, stages: list[Stage]) -> dict[str, str]:
    """The cache key of each stage (see the module docstring); ``stages`` in chain order."""
    keys: dict[str, str] = {}
    for s in stages:
        keys[s.name] = content_key(
            s.name, s.version, {sec: scenario.section(sec) for sec in s.reads}, s.cache_inputs(scenario),
            [keys[n] for n in s.needs],
        )  # fmt: skip
    return keys


def _report_cached(progress: ProgressFactory | None, name: str) -> None:
    if progress is not None:  # still report the stage, as done
        bar = progress(f"{name} (cached)")
        if hasattr(bar, "__enter__"):
            with bar:
                pass


def _compute(stage: Stage, ctx: StageContext, progress: ProgressFactory | None) -> Any:
    bar = progress(stage.name) if progress is not None else None
    ctx.progress = bar
    try:
        if bar is not None and hasattr(bar, "__enter__"):
            with bar:
                return stage.run(ctx)
        return stage.run(ctx)
    except LupexError as err:
        raise StageError(f"stage '{stage.name}' failed: {str(err).splitlines()[0] if str(err) else err}") from err


def run_mission(
    scenario: Scenario,
    *,
    stages: Iterable[str] | None = None,
    until: str | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: ProgressFactory | None = None,
    scheduler: Any = None,
) -> MissionResult:
    """Run a scenario's stages (see the module docstring); the report is made from the result.

    Parameters
    ----------
    scenario : Scenario
    stages : iterable of str, optional
        Run only these stages (and the stages they need); default all registered stages.
    until : str, optional
        Run the chain up to and including this stage.
    cache : bool
        Read and write the stage cache (and the horizon cache).
    cache_dir : path, optional
        Cache root; default :func:`lupex.io.cache.default_cache_dir`.
    progress : callable, optional
        ``progress(stage_name)`` returns a tqdm-like object for that stage (``total``, ``update``) and may be a
        context manager.
    scheduler : lupex.cluster.Scheduler, optional
        An open scheduler (:func:`lupex.cluster.scheduler.open_scheduler`) every stage gets as
        ``StageContext.scheduler``; default None (this process). It is not part of any cache key: a stage
        computes the same result wherever it runs.

    Raises
    ------
    StageError
        Naming the stage that failed and why.
    """
    chain = select_stages(stages, until)
    keys = stage_keys(scenario, chain)
    runs = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "runs"
    if cache:
        clean_stale_temp_files(runs)
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    cached: dict[str, bool] = {}
    for stage in chain:
        path = runs / f"{stage.name}-{keys[stage.name]}.pkl"
        hit = read_pickle(path) if cache else None
        if hit is not None:
            log.info("stage %s: from the cache (%s)", stage.name, path.name)
            _report_cached(progress, stage.name)
            results[stage.name], seconds[stage.name], cached[stage.name] = hit, 0.0, True
            continue
        began = time.perf_counter()
        ctx = StageContext(scenario, {n: results[n] for n in stage.needs}, cache=cache, scheduler=scheduler)
        results[stage.name] = _compute(stage, ctx, progress)
        seconds[stage.name], cached[stage.name] = round(time.perf_counter() - began, 2), False
        if cache:
            write_pickle(results[stage.name], path)
    return MissionResult(scenario, chain, results, keys, seconds, cached)
