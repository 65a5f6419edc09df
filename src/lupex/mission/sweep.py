"""Parameter sweeps: one mission run per point of a grid of scenario values, as tasks on a scheduler.

``lupex sweep SCENARIO --param rover.battery_Wh=2000:4000:500 --param ops.success_min_km=1,2`` runs the
scenario once per point of the cartesian product of the values. A ``--param`` is ``NAME=START:STOP:STEP`` (STOP
included when it falls on the grid, within a relative tolerance of 1e-9 of a step) or ``NAME=V1,V2,...``; NAME is a
dotted scenario parameter (``SECTION.FIELD``, as ``lupex scenario show`` lists them) and the values are in its
canonical unit (the suffix of its name: Wh, km, ``1`` for a fraction).

A point's scenario is the base scenario with the swept parameters replaced, as ``lupex ops --seed`` replaces
``ops.seed`` (:func:`dataclasses.replace` of :attr:`Scenario.parameters` with a new :class:`Parameter`, source
``lupex sweep --param``, confidence ``estimate``); here each value is first checked by the section's model (units,
range, integers) and every point by the scenario's cross-field checks, all before anything runs.

Every point is one task, :func:`run_point`, that calls :func:`~lupex.mission.run_mission` with the shared stage
cache: a stage whose inputs a point does not change is a cache hit, so sweeping an ``[ops]`` parameter recomputes
only the ``ops`` stage. On a Dask cluster the stages every point shares are computed once by a first task before
the points fan out, so the workers do not all compute them at once. The cache folder must be one the workers can
all reach (on a multi-machine cluster, a shared filesystem).
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import time
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lupex.cluster import Scheduler
from lupex.errors import InputError
from lupex.mission.chain import StageError, run_mission, select_stages, stage_keys
from lupex.mission.scenario import SECTIONS, Parameter, Scenario, ScenarioError, check_cross_fields
from lupex.mission.stage import OutputContext

__all__ = [
    "MAX_POINTS",
    "METRICS",
    "Metric",
    "SweepParam",
    "SweepResult",
    "parameter_names",
    "parse_param",
    "run_point",
    "run_sweep",
    "sweep_grid",
    "sweep_scenarios",
]

#: Most points a sweep runs (the product of the value counts of its ``--param``).
MAX_POINTS = 1000
#: Source of a swept parameter in the point's scenario.
SWEEP_SOURCE = "lupex sweep --param"
_FLAG = "--param"
_FORMS = "NAME=START:STOP:STEP or NAME=V1,V2,... (e.g. rover.battery_Wh=2000:4000:500 or ops.runs=10,20)"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
Value = int | float


@dataclass(frozen=True)
class SweepParam:
    """One parsed ``--param``.

    Attributes
    ----------
    name : str
        Dotted scenario parameter, e.g. ``"rover.battery_Wh"``.
    values : tuple of int or float
        The values swept, in the parameter's canonical unit, in the order given (a range ascending).
    text : str
        The ``--param`` as typed (named in errors).
    """

    name: str
    values: tuple[Value, ...]
    text: str

    @property
    def section(self) -> str:
        """The scenario section (``rover``)."""
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        """The parameter's name in its section (``battery_Wh``)."""
        return self.name.split(".", 1)[1]


@dataclass(frozen=True)
class Metric:
    """A headline number of a run, read from a stage's ``summary.json`` entry (:meth:`Stage.summary`).

    Attributes
    ----------
    column : str
        Column of the sweep table (unit in the name).
    unit : str
        Its unit (``1`` a fraction, ``""`` a count).
    stage : str
        The stage whose summary holds it.
    path : tuple of str
        Keys into that summary.
    label : str
        What it is, for the figure.
    """

    column: str
    unit: str
    stage: str
    path: tuple[str, ...]
    label: str


#: The numbers tabulated per point: the report's headline numbers (the stages' ``kpis``), from their summaries.
METRICS: tuple[Metric, ...] = (
    Metric("p_success", "1", "ops", ("p_success",), "P(success), Monte Carlo campaigns"),
    Metric("drill_samples", "", "ops", ("campaign", "drill_samples"), "drill samples, campaign"),
    Metric("driven_km", "km", "ops", ("campaign", "km"), "distance driven, campaign [km]"),
    Metric("data_returned_GB", "GB", "ops", ("campaign", "data_GB"), "data returned, campaign [GB]"),
    Metric("water_p50_kg", "kg", "science", ("water_mass_kg", "p50"), "water in the drilled volume, P50 [kg]"),
    Metric("traverse_h", "h", "traverse", ("duration_h",), "drill-station round trip [h]"),
    Metric("site_illumination", "1", "sites", ("landing_site", "mean_illumination_fraction"),
           "mean illumination at the landing site"),
    Metric("data_home_GB_per_day", "GB/d", "comms", ("mean_volume_per_day_GB",), "data home per day [GB/d]"),
)  # fmt: skip


@dataclass(frozen=True)
class SweepResult:
    """The table of a sweep: one row per grid point, in grid order (the first ``--param`` varies slowest).

    Attributes
    ----------
    scenario : str
        Name of the base scenario.
    origin : str
        ``preset:NAME`` or its file.
    scheduler : str
        The ``--scheduler`` it ran on.
    params : tuple of str
        The swept parameters (dotted paths), in ``--param`` order.
    columns : tuple of str
        The columns of each row: ``point`` (grid index), the swept parameters (canonical units), the
        :data:`METRICS` columns (None where a stage did not run or has no such number), ``recomputed`` and
        ``cached`` (stage names, in chain order), ``compute_s`` (wall time of the computed stages [s]) and
        ``error`` ("" or why the point's run failed, naming the stage).
    units : dict of str -> str
        Unit of each numeric column (``1`` a fraction, ``""`` a count).
    rows : tuple of dict
        One dict per point, keyed by ``columns``.
    warmup : tuple of str
        Stages computed once before the points fanned out (the stages every point shares; Dask schedulers only).
    elapsed_s : float
        Wall time of the sweep [s].
    labels : dict of str -> str
        What each :data:`METRICS` column is (axis labels of the figure).
    """

    scenario: str
    origin: str
    scheduler: str
    params: tuple[str, ...]
    columns: tuple[str, ...]
    units: dict[str, str]
    rows: tuple[dict[str, Any], ...]
    warmup: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        """The rows for ``sweep.csv``: stage lists joined with spaces."""
        return [{k: " ".join(v) if isinstance(v, list) else v for k, v in row.items()} for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """The JSON model of ``sweep.json`` and ``lupex sweep --json``."""
        return {"scenario": self.scenario, "origin": self.origin, "scheduler": self.scheduler,
                "params": list(self.params), "columns": list(self.columns), "units": self.units,
                "labels": self.labels, "warmup": list(self.warmup), "elapsed_s": self.elapsed_s,
                "rows": [dict(r) for r in self.rows]}  # fmt: skip


def _refuse(text: str, problem: str) -> InputError:
    return InputError(f"{_FLAG} {text!r}: {problem}")


def parameter_names() -> list[str]:
    """Every scenario parameter a sweep accepts (``SECTION.FIELD`` of the registered sections' parameters)."""
    names = []
    for section, model in SECTIONS.items():
        for name, info in model.model_fields.items():
            if Parameter in typing.get_args(info.annotation) or info.annotation is Parameter:
                names.append(f"{section}.{name}")
    return names


def _check_name(name: str, text: str) -> None:
    known = parameter_names()
    if name in known:
        return
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    section = name.split(".", 1)[0]
    if not close and section in SECTIONS:
        close = [n for n in known if n.startswith(section + ".")][:8]
    hint = f"did you mean {', '.join(close)}?" if close else "give SECTION.NAME, e.g. rover.battery_Wh"
    raise _refuse(text, f"no scenario parameter {name!r}; {hint} (`lupex scenario show` lists them)")


def _number(token: str, text: str) -> Value:
    token = token.strip()
    if not token:
        raise _refuse(text, f"a value is missing; give {_FORMS}")
    if not _NUMBER.fullmatch(token):
        raise _refuse(text, f"{token!r} is not a number; sweeps take numbers in the parameter's unit, {_FORMS}")
    return int(token) if _INTEGER.fullmatch(token) else float(token)


def _range(spec: str, text: str) -> tuple[Value, ...]:
    parts = spec.split(":")
    if len(parts) != 3:
        raise _refuse(text, f"a range is START:STOP:STEP with three numbers, not {len(parts)}; give {_FORMS}")
    start, stop, step = (_number(p, text) for p in parts)
    if step <= 0:
        raise _refuse(text, f"STEP {step:g} must be > 0; e.g. {start:g}:{stop:g}:{abs(step) or 1:g}")
    if stop < start:
        raise _refuse(text, f"empty range: STOP {stop:g} is below START {start:g}; give START <= STOP")
    steps = (stop - start) / step
    if not steps < MAX_POINTS:  # also an overflow to inf
        raise _refuse(text, f"more than {MAX_POINTS} values; use a larger STEP")
    count = math.floor(steps + 1e-9) + 1
    if all(isinstance(v, int) for v in (start, stop, step)):
        return tuple(int(start + i * step) for i in range(count))
    # 12 significant digits: 0.1 steps give 0.3, not 0.30000000000000004
    return tuple(float(f"{start + i * step:.12g}") for i in range(count))


def parse_param(text: str) -> SweepParam:
    """Parse one ``--param NAME=START:STOP:STEP`` or ``NAME=V1,V2,...`` (see the module docstring).

    Raises
    ------
    InputError
        One line naming ``--param`` and the text: malformed, unknown parameter (with close names), empty range,
        STEP <= 0, a missing or non-numeric value, a value given twice, or more than :data:`MAX_POINTS` values.
    """
    name, sep, spec = str(text).partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name:
        raise _refuse(text, f"expected {_FORMS}")
    _check_name(name, text)
    if not spec:
        raise _refuse(text, f"no value after '='; give {_FORMS}")
    values = _range(spec, text) if ":" in spec else tuple(_number(v, text) for v in spec.split(","))
    if len(values) > MAX_POINTS:
        raise _refuse(text, f"{len(values)} values are more than {MAX_POINTS}; give fewer")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise _refuse(text, f"{repeated[0]:g} is given twice; give each value once")
    return SweepParam(name, values, str(text))


def _as_params(params: Iterable[SweepParam | str]) -> list[SweepParam]:
    parsed = [p if isinstance(p, SweepParam) else parse_param(p) for p in params]
    if not parsed:
        raise InputError(f"{_FLAG}: give at least one, {_FORMS}")
    seen: dict[str, str] = {}
    for p in parsed:
        if p.name in seen:
            raise _refuse(p.text, f"{p.name} is also swept by {seen[p.name]!r}; give each parameter once")
        seen[p.name] = p.text
    return parsed


def sweep_grid(params: Iterable[SweepParam | str]) -> list[dict[str, Value]]:
    """The grid points: the cartesian product of the values, the first parameter varying slowest.

    Raises
    ------
    InputError
        For more than :data:`MAX_POINTS` points, or a parameter given twice.
    """
    parsed = _as_params(params)
    size = math.prod(len(p.values) for p in parsed)
    if size > MAX_POINTS:
        counts = " x ".join(str(len(p.values)) for p in parsed)
        raise InputError(f"{_FLAG}: {counts} = {size} points are more than {MAX_POINTS}; give fewer values "
                         "or larger steps")  # fmt: skip
    names = [p.name for p in parsed]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(p.values for p in parsed))]


def _section_data(base: Scenario, section: str) -> dict[str, Any]:
    """A section of ``base`` as the TOML data its model validates (values in the canonical units)."""
    current = base.sections.get(section)
    data: dict[str, Any] = {}
    for name, value in current if current is not None else ():
        if isinstance(value, Parameter):
            data[name] = {"value": value.value, "unit": value.unit, "source": value.source,
                          "confidence": value.confidence}  # fmt: skip
        elif value is not None:
            data[name] = value
    return data


def _validated(base: Scenario, section: str, values: Mapping[str, Value]) -> dict[str, Parameter]:
    """``values`` (field -> value in the canonical unit) checked by the section's model with the section's other
    parameters; raises :class:`pydantic.ValidationError`."""
    data = _section_data(base, section)
    for name, value in values.items():
        data[name] = {"value": value, "unit": "", "source": SWEEP_SOURCE, "confidence": "estimate"}
    checked = SECTIONS[section].model_validate(data)
    return {name: getattr(checked, name) for name in values}


def _validation_problem(err: ValidationError) -> str:
    first = err.errors(include_url=False)[0]
    ctx = first.get("ctx") or {}
    return str(ctx.get("message", first["msg"])) if first["type"] == "lupex" else str(first["msg"])


def _with_values(base: Scenario, point: Mapping[str, Value]) -> Scenario:
    """``base`` with the parameters of ``point`` replaced (each checked by its section's model)."""
    sections = dict(base.sections)
    by_section: dict[str, dict[str, Value]] = {}
    for name, value in point.items():
        section, field_name = name.split(".", 1)
        by_section.setdefault(section, {})[field_name] = value
    for section, values in by_section.items():
        checked = _validated(base, section, values)
        sections[section] = (sections.get(section) or SECTIONS[section]()).model_copy(update=checked)
    # in the order parse_scenario gives them, so a point's stage keys are those of a file with the same values
    params = {f"{s}.{k}": p for s in SECTIONS if s in sections for k, p in sections[s].parameters().items()}
    return replace(base, parameters=params, sections=sections)


def sweep_scenarios(base: Scenario, params: Iterable[SweepParam | str]) -> list[Scenario]:
    """The scenario of every grid point (:func:`sweep_grid`), each value and each point validated.

    Raises
    ------
    InputError
        One line naming ``--param``: a value the parameter refuses (its accepted range), or a point the
        scenario's cross-field checks refuse.
    """
    parsed = _as_params(params)
    grid = sweep_grid(parsed)
    for p in parsed:  # each value alone first, so the error names the --param that holds it
        for value in p.values:
            try:
                _validated(base, p.section, {p.field: value})
            except ValidationError as err:
                raise _refuse(p.text, f"{p.name} = {value:g}: {_validation_problem(err)}") from None
    points = []
    for point in grid:
        try:
            scenario = _with_values(base, point)
            check_cross_fields(scenario, "")
        except (ValidationError, ScenarioError) as err:
            shown = ", ".join(f"{k}={v:g}" for k, v in point.items())
            problem = _validation_problem(err) if isinstance(err, ValidationError) else str(err).splitlines()[0]
            raise InputError(f"{_FLAG}: the point {shown} is refused: {problem}; change the values") from None
        points.append(scenario)
    return points


def _scalar(value: Any) -> Any:
    """A JSON-safe number (None for a missing or non-finite one)."""
    if value is None or isinstance(value, bool | str):
        return value
    number = float(value)
    if not math.isfinite(number):
        return None
    return int(number) if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu") else number


def _metrics(result: Any) -> dict[str, Any]:
    """The :data:`METRICS` of a :class:`~lupex.mission.MissionResult` (None where absent)."""
    ctx = OutputContext(result.scenario, result.results)
    summaries = {s.name: s.summary(result.results[s.name], ctx) for s in result.stages
                 if s.name in {m.stage for m in METRICS}}  # fmt: skip
    out: dict[str, Any] = {}
    for m in METRICS:
        value: Any = summaries.get(m.stage)
        for key in m.path:
            value = value.get(key) if isinstance(value, dict) else None
        out[m.column] = _scalar(value)
    return out


def run_point(
    item: tuple[int, Scenario],
    *,
    cache_dir: str | None = None,
    stages: list[str] | None = None,
    until: str | None = None,
    task_threads: int | None = None,
) -> dict[str, Any]:
    """One sweep task: run a point's mission with the shared stage cache and return its numbers.

    A module-level function of picklable arguments, so a Dask worker can run it.

    Parameters
    ----------
    item : (int, Scenario)
        The point's grid index and scenario.
    cache_dir : str, optional
        Stage cache root (default the worker's :func:`lupex.io.cache.default_cache_dir`).
    stages, until : optional
        As for :func:`~lupex.mission.run_mission`.
    task_threads : int, optional
        numba threads of this task (a ``local:N`` worker's share of the cores); None leaves the default.

    Returns
    -------
    dict
        ``point`` (the index), ``metrics`` (:data:`METRICS` columns), ``cached`` (stage -> bool),
        ``seconds`` (stage -> wall time [s], 0 for a cache hit) and ``error`` ("" or the one-line
        :class:`~lupex.mission.StageError` of a point whose stage failed; its metrics are then None).
    """
    if task_threads is not None:
        import numba

        most = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
        numba.set_num_threads(max(1, min(int(task_threads), most)))
    index, scenario = item
    try:
        result = run_mission(scenario, stages=stages, until=until, cache_dir=cache_dir)
    except StageError as err:  # the point is recorded as failed, the sweep goes on
        return {"point": index, "metrics": {m.column: None for m in METRICS}, "cached": {}, "seconds": {},
                "error": str(err).splitlines()[0] if str(err) else type(err).__name__}  # fmt: skip
    return {"point": index, "metrics": _metrics(result), "cached": dict(result.cached),
            "seconds": dict(result.stage_seconds), "error": ""}  # fmt: skip


def _shared_stages(points: Sequence[Scenario], stages: list[str] | None, until: str | None) -> list[str]:
    """The stages whose cache key is the same at every point (computed once before the fan-out)."""
    chain = select_stages(stages, until)
    keys = [stage_keys(sc, chain) for sc in points]
    return [s.name for s in chain if all(k[s.name] == keys[0][s.name] for k in keys)]


def _warm_up(
    scheduler: Scheduler,
    points: Sequence[Scenario],
    options: dict[str, Any],
    stages: list[str] | None,
    until: str | None,
) -> tuple[str, ...]:
    """On a Dask cluster, compute the stages every point shares in one task first; the stages it computed."""
    if not scheduler.spec.distributed or len(points) < 2:
        return ()
    shared = _shared_stages(points, stages, until)
    if not shared:
        return ()
    warm = partial(run_point, **{**options, "stages": shared, "until": None})
    done = [r for _, r in scheduler.map_unordered(warm, [(0, points[0])])]
    return tuple(name for name, hit in done[0]["cached"].items() if not hit)


def _row(point: Mapping[str, Value], index: int, out: Mapping[str, Any]) -> dict[str, Any]:
    return {"point": index, **point, **out["metrics"],
            "recomputed": [n for n, hit in out["cached"].items() if not hit],
            "cached": [n for n, hit in out["cached"].items() if hit],
            "compute_s": round(sum(out["seconds"].values()), 2), "error": out["error"]}  # fmt: skip


def run_sweep(
    scenario: Scenario,
    params: Iterable[SweepParam | str],
    scheduler: Scheduler,
    cache_dir: str | Path | None = None,
    progress: Any = None,
    *,
    stages: Iterable[str] | None = None,
    until: str | None = None,
) -> SweepResult:
    """Run ``scenario`` at every grid point of ``params``, one task per point on ``scheduler``.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    params : iterable of SweepParam or str
        The ``--param`` values (parsed with :func:`parse_param` when text).
    scheduler : Scheduler
        From :func:`lupex.cluster.open_scheduler`.
    cache_dir : path, optional
        Stage cache root shared by the points (default each worker's default cache folder).
    progress : object, optional
        tqdm-like (``total``, ``update``): one step per point.
    stages, until : optional
        Run only these stages / the chain up to ``until`` (as :func:`~lupex.mission.run_mission`).

    Returns
    -------
    SweepResult

    Raises
    ------
    InputError
        For a bad ``--param`` or a refused point, before anything runs.
    StageError
        When every point failed (a point whose stage fails is a row with its ``error``; the others still run).
    """
    began = time.perf_counter()
    parsed = _as_params(params)
    stage_list = list(stages) if stages is not None else None
    select_stages(stage_list, until)  # unknown stage names are refused before anything runs
    points = sweep_scenarios(scenario, parsed)
    options: dict[str, Any] = {"cache_dir": None if cache_dir is None else str(cache_dir), "stages": stage_list,
                               "until": until, "task_threads": scheduler.task_threads}  # fmt: skip
    warmup = _warm_up(scheduler, points, options, stage_list, until)
    rows: list[dict[str, Any] | None] = [None] * len(points)
    task = partial(run_point, **options)  # a module-level function and picklable options: a Dask task
    for i, out in scheduler.map_unordered(task, list(enumerate(points)), progress=progress):
        rows[i] = _row({p.name: points[i].value(p.name) for p in parsed}, i, out)
    errors = [r["error"] for r in rows if r is not None and r["error"]]
    if len(errors) == len(points):
        raise StageError(f"every point of the sweep failed; the first: {errors[0]}")
    units = {p.name: points[0].parameters[p.name].unit for p in parsed} | {m.column: m.unit for m in METRICS}
    columns = ("point", *(p.name for p in parsed), *(m.column for m in METRICS), "recomputed", "cached",
               "compute_s", "error")  # fmt: skip
    return SweepResult(
        scenario=scenario.name, origin=scenario.origin, scheduler=scheduler.spec.text,
        params=tuple(p.name for p in parsed), columns=columns, units={**units, "compute_s": "s"},
        rows=tuple(r for r in rows if r is not None), warmup=warmup, elapsed_s=round(time.perf_counter() - began, 2),
        labels={m.column: m.label for m in METRICS},
    )  # fmt: skip
