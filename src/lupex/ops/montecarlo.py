"""Monte Carlo of the campaign: N independent campaigns over faults, landing dispersion and uncertain parameters.

Each run draws its own :class:`lupex.ops.params.Perturbation` and fault stream from its seed
(``numpy.random.SeedSequence(seed).spawn``), replays the planned sorties (:class:`lupex.ops.sorties.LibraryPlanner`)
and reports whether it met the success criteria. P(success) comes with the exact (Clopper-Pearson) binomial
interval; the sensitivity ranking compares P(success) in the lowest and highest third of each drawn parameter
(the same runs, no extra simulations). Runs are independent tasks: a local process pool by default, or batches of
seeds on any :class:`concurrent.futures.Executor` (a Dask cluster's, from :mod:`lupex.cluster`); a run is a pure
function of its seed, so the results are the same wherever they ran.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.stats import beta

from lupex.defaults import default
from lupex.errors import InputError, LupexError
from lupex.ops.campaign import CampaignInputs, CampaignResult, simulate_campaign
from lupex.ops.params import Perturbation

__all__ = [
    "MonteCarloResult",
    "RunSummary",
    "Uncertainty",
    "binomial_interval",
    "monte_carlo",
    "one_run",
    "run_batch",
    "run_summary",
]

log = logging.getLogger(__name__)

#: Parameters of a run the sensitivity ranking looks at: key -> label.
SENSITIVITY = {
    "battery_capacity_factor": "battery capacity at the end (fade)",
    "panel_factor": "solar array output",
    "speed_factor": "drive speed",
    "touchdown_distance_m": "touchdown distance from the site",
    "faults": "faults that struck",
}


@dataclass(frozen=True)
class Uncertainty:
    """Spreads of the uncertain parameters.

    Attributes
    ----------
    battery_fade_max : float
        Capacity fade over the mission, uniform in ``[0, max]`` [1].
    panel_efficiency_sd, speed_sd : float
        Relative one-sigma spreads (normal, clipped to +-3 sigma) [1].
    touchdowns_m : ndarray (n, 2) or None
        Touchdown offsets from the site (east, north) [m] to draw from (the flight stage's dispersion).
    faults : bool
        Draw faults (False: only the parameters vary).
    """

    battery_fade_max: float = default("ops_battery_fade_max")
    panel_efficiency_sd: float = default("ops_panel_efficiency_sd")
    speed_sd: float = default("ops_speed_sd")
    touchdowns_m: np.ndarray | None = None
    faults: bool = True

    def draw(self, rng: np.random.Generator) -> Perturbation:
        """One draw."""
        fade = rng.uniform(0.0, self.battery_fade_max) if self.battery_fade_max > 0 else 0.0
        panel = 1.0 + self.panel_efficiency_sd * float(np.clip(rng.standard_normal(), -3, 3))
        speed = 1.0 + self.speed_sd * float(np.clip(rng.standard_normal(), -3, 3))
        offset = (0.0, 0.0)
        if self.touchdowns_m is not None and len(self.touchdowns_m):
            k = int(rng.integers(len(self.touchdowns_m)))
            offset = (float(self.touchdowns_m[k][0]), float(self.touchdowns_m[k][1]))
        return Perturbation(1.0 - fade, max(panel, 0.0), max(speed, 0.05), offset)


@dataclass(frozen=True)
class RunSummary:
    """What one Monte Carlo campaign returns (small: it crosses process boundaries)."""

    seed: int
    success: dict[str, bool]
    drill_samples: int
    km: float
    data_GB: float
    alive: bool
    loss_reason: str
    energy_closure_error_Wh: float
    parameters: dict[str, float]


def run_summary(seed: int, result: CampaignResult, perturbation: Perturbation) -> RunSummary:
    """The summary of one campaign."""
    params = {"battery_capacity_factor": perturbation.battery_capacity_factor,
              "panel_factor": perturbation.panel_factor, "speed_factor": perturbation.speed_factor,
              "touchdown_distance_m": math.hypot(*perturbation.touchdown_offset_m),
              "faults": float(len(result.faults))}  # fmt: skip
    return RunSummary(seed, result.success, result.drill_samples, result.distance_m / 1000.0, result.data_GB,
                      result.alive, result.loss_reason, result.energy["closure_error_Wh"], params)  # fmt: skip


def binomial_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion [1]."""
    if n <= 0 or not 0 <= successes <= n:
        raise InputError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    a = (1.0 - level) / 2.0
    lo = 0.0 if successes == 0 else float(beta.ppf(a, successes, n - successes + 1))
    hi = 1.0 if successes == n else float(beta.ppf(1.0 - a, successes + 1, n - successes))
    return lo, hi


_WORKER_INPUTS: dict[str, Any] = {}


def _init_worker(inputs: CampaignInputs, unc: Uncertainty) -> None:
    _WORKER_INPUTS["inputs"], _WORKER_INPUTS["unc"] = inputs, unc


def _one(seed: int) -> RunSummary:
    return one_run(_WORKER_INPUTS["inputs"], _WORKER_INPUTS["unc"], seed)


def one_run(inputs: CampaignInputs, unc: Uncertainty, seed: int) -> RunSummary:
    """One Monte Carlo campaign from its seed (the same seed gives the same run anywhere)."""
    draw_seq, fault_seq = np.random.SeedSequence(seed).spawn(2)
    pert = unc.draw(np.random.default_rng(draw_seq))
    inp = inputs if unc.faults else replace(inputs, params=inputs.params.without_faults())
    fault_seed = int(fault_seq.generate_state(1)[0])
    return run_summary(seed, simulate_campaign(inp, seed=fault_seed, perturbation=pert), pert)


def run_batch(inputs: CampaignInputs, unc: Uncertainty, seeds: Sequence[int]) -> list[RunSummary]:
    """The campaigns of ``seeds``, in that order (one task on an executor: the inputs travel once per batch).

    Parameters
    ----------
    inputs : CampaignInputs
    unc : Uncertainty
    seeds : sequence of int
        Seeds of the runs (see :func:`one_run`).

    Returns
    -------
    list of RunSummary
        One per seed, in the order of ``seeds``.
    """
    return [one_run(inputs, unc, int(s)) for s in seeds]


@dataclass(frozen=True)
class MonteCarloResult:
    """N campaigns.

    Attributes
    ----------
    runs : list of RunSummary
        In seed order.
    p_success : float
    p_success_ci : tuple of float
        95 % Clopper-Pearson interval.
    criteria : dict of str -> float
        Share of runs meeting each criterion.
    sensitivity : list of tuple
        (parameter, label, P(success) in its lowest third, in its highest third), largest swing first.
    """

    runs: list[RunSummary]
    p_success: float
    p_success_ci: tuple[float, float]
    criteria: dict[str, float]
    sensitivity: list[tuple[str, str, float, float]]

    def metric(self, name: str) -> np.ndarray:
        """``drill_samples``, ``km`` or ``data_GB`` of every run."""
        return np.array([getattr(r, name) for r in self.runs], dtype=float)


def _sensitivity(runs: Sequence[RunSummary]) -> list[tuple[str, str, float, float]]:
    rows = []
    ok = np.array([r.success["all"] for r in runs], dtype=float)
    for key, label in SENSITIVITY.items():
        v = np.array([r.parameters[key] for r in runs])
        if len(runs) < 6 or np.ptp(v) <= 0:
            continue
        lo_cut, hi_cut = np.quantile(v, [1 / 3, 2 / 3])
        low, high = ok[v <= lo_cut], ok[v >= hi_cut]
        if low.size and high.size:
            rows.append((key, label, float(low.mean()), float(high.mean())))
    return sorted(rows, key=lambda r: -abs(r[3] - r[2]))


def _workers(workers: int | None) -> int:
    cores = os.cpu_count() or 1
    if workers is None:
        return min(2, cores)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")
    if workers > cores:
        log.warning("%d workers asked for on %d cores; using %d", workers, cores, cores)
    return min(workers, cores)


#: Batches a Monte Carlo on an executor is cut into (about 4 per worker of a 4-worker cluster).
EXECUTOR_BATCHES = 16


def _batches(seeds: Sequence[int], n_batches: int | None = None) -> list[list[int]]:
    """``seeds`` cut into consecutive batches of ``ceil(len / n_batches)`` seeds (default :data:`EXECUTOR_BATCHES`)."""
    n = EXECUTOR_BATCHES if n_batches is None else n_batches
    size = max(1, math.ceil(len(seeds) / max(n, 1)))
    return [list(seeds[i : i + size]) for i in range(0, len(seeds), size)]


def _run_local(inputs: CampaignInputs, unc: Uncertainty, seeds: list[int], n_workers: int,
               progress: Callable[[int], None] | None) -> dict[int, RunSummary]:  # fmt: skip
    """The runs in this process (``n_workers`` 1) or on a local process pool, by seed."""
    out: dict[int, RunSummary] = {}
    if n_workers == 1:
        for s in seeds:
            out[s] = one_run(inputs, unc, s)
            if progress is not None:
                progress(1)
        return out
    with ProcessPoolExecutor(max_workers=n_workers, initializer=_init_worker, initargs=(inputs, unc)) as pool:
        futures = {pool.submit(_one, s): s for s in seeds}
        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            if progress is not None:
                progress(1)
    return out


def _run_on_executor(inputs: CampaignInputs, unc: Uncertainty, seeds: list[int], executor: Executor,
                     progress: Callable[[int], None] | None) -> dict[int, RunSummary]:  # fmt: skip
    """The runs as batches of seeds (:func:`run_batch`) on ``executor``, by seed; progress per finished batch."""
    with warnings.catch_warnings():
        # the inputs travel with each batch on purpose (a plain Executor cannot broadcast them): no Dask warning
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        futures: dict[Future[list[RunSummary]], list[int]] = {
            executor.submit(run_batch, inputs, unc, batch): batch for batch in _batches(seeds)
        }
    out: dict[int, RunSummary] = {}
    try:
        for fut in as_completed(futures):
            try:
                batch = fut.result()
            except Exception as err:
                if isinstance(err, LupexError) or not type(err).__module__.startswith("distributed"):
                    raise
                reason = str(err).splitlines()[0] if str(err) else type(err).__name__
                raise LupexError(f"Monte Carlo batch of seeds {futures[fut][0]}..{futures[fut][-1]} was lost on "
                                 f"the cluster ({type(err).__name__}: {reason[:160]}); give each worker more "
                                 "memory (fewer workers) or run again") from None  # fmt: skip
            out.update((r.seed, r) for r in batch)
            if progress is not None:
                progress(len(batch))
    finally:
        for fut in futures:
            fut.cancel()
    return out


def monte_carlo(
    inputs: CampaignInputs, runs: int, *, seed: int = 0, workers: int | None = None,
    uncertainty: Uncertainty | None = None, progress: Callable[[int], None] | None = None,
    executor: Executor | None = None,
) -> MonteCarloResult:  # fmt: skip
    """Run ``runs`` campaigns with seeds ``seed .. seed + runs - 1``.

    Each run is a pure function of its seed (:func:`one_run`), so the result is the same, run for run, in this
    process, on a local process pool or on a cluster.

    Parameters
    ----------
    inputs : CampaignInputs
        Usually :func:`lupex.ops.setup.library_inputs` (planned sorties replayed).
    runs : int
        Number of campaigns (>= 1).
    seed : int
        First seed.
    workers : int, optional
        Processes of the local pool when no ``executor`` is given (default min(2, cores); more than the cores is
        clamped with a warning; 1 runs in this process). Ignored with an ``executor``.
    uncertainty : Uncertainty, optional
    progress : callable, optional
        Called with the number of runs just finished: 1 after each run locally, the batch's size after each batch
        on an ``executor``.
    executor : concurrent.futures.Executor, optional
        Run the seeds on it instead, as up to :data:`EXECUTOR_BATCHES` tasks of consecutive seeds
        (:func:`run_batch`; the inputs travel once per batch), e.g. ``lupex.cluster.Scheduler.executor()`` on a
        Dask cluster. Its workers must be able to import lupex. The executor is not shut down.

    Returns
    -------
    MonteCarloResult
        Runs in seed order.

    Raises
    ------
    InputError
        ``runs`` or ``workers`` not a whole number >= 1.
    LupexError
        A batch was lost on the cluster (its workers died too often).
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise InputError(f"runs must be a whole number >= 1, got {runs!r}")
    unc = uncertainty or Uncertainty()
    seeds = list(range(int(seed), int(seed) + runs))
    if executor is not None:
        out = _run_on_executor(inputs, unc, seeds, executor, progress)
    else:
        out = _run_local(inputs, unc, seeds, min(_workers(workers), runs), progress)
    ordered = [out[s] for s in seeds]
    k = sum(r.success["all"] for r in ordered)
    keys = [c for c in ordered[0].success if c != "all"]
    criteria = {c: float(np.mean([r.success[c] for r in ordered])) for c in keys}
    return MonteCarloResult(ordered, k / runs, binomial_interval(k, runs), criteria, _sensitivity(ordered))
