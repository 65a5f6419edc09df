"""The stage contract and the stage registry: a mission is a chain of registered stages.

A stage is one capability of the mission run (``sites``, ``traverse``, ...). It declares its name, its
algorithm version, the scenario sections it reads and the upstream stages it needs; :meth:`Stage.run` turns a
:class:`StageContext` into a typed result dataclass. The other methods say what the stage contributes to the
run's outputs: headline numbers for ``summary.json`` (:meth:`Stage.summary`), a report section with figures
(:meth:`Stage.report`), dashboard map layers (:meth:`Stage.layers`), files (:meth:`Stage.write_files`) and the
validations it relies on (:attr:`Stage.validations`). The chain (:mod:`lupex.mission.chain`), the report, the
summary, the dashboard and the stage cache learn of a stage only from this registry.

Adding a stage is one new module with a :class:`Stage` subclass and one registration line (see
``docs/architecture.md``)::

    register_stage(MyStage())
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import xarray as xr

from lupex.cluster import executor_of
from lupex.mission.quantity import SectionModel
from lupex.mission.scenario import Scenario, register_section, unregister_section
from lupex.reporting.html import Section

__all__ = [
    "MapLayer",
    "OutputContext",
    "Stage",
    "StageContext",
    "StageReport",
    "Validation",
    "chain_order",
    "get_stage",
    "register_stage",
    "registered_stages",
    "unregister_stage",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Validation:
    """A validation a stage relies on: what is checked, against which reference, and where."""

    model: str
    reference: str
    where: str


@dataclass(frozen=True)
class MapLayer:
    """A dashboard overlay: a raster in the polar stereographic grid (dims ``y, x`` in metres).

    Attributes
    ----------
    name : str
        Short id (letters, digits, ``-``, ``_``), unique across the registry's stages.
    title : str
    values : xarray.DataArray
        The raster (NaN is transparent).
    cmap : str
        Matplotlib colour map.
    vmin, vmax : float
        Colour range, in ``unit``.
    unit : str
    opaque : bool
        Drawn without transparency (a base layer such as a hillshade).
    """

    name: str
    title: str
    values: xr.DataArray
    cmap: str
    vmin: float
    vmax: float
    unit: str = ""
    opaque: bool = False


@dataclass(frozen=True)
class StageReport:
    """A stage's part of the report: its sections (HTML parts, already escaped) and its figures (PNG bytes).

    The figures are embedded in the sections' HTML by the stage and also written to ``figures/<name>``.
    """

    sections: list[Section]
    figures: dict[str, bytes] = field(default_factory=dict)


@dataclass
class StageContext:
    """What a stage's :meth:`Stage.run` gets.

    Attributes
    ----------
    scenario : Scenario
    upstream : dict of str -> Any
        Results of the stages it needs, by name.
    progress : object or None
        A tqdm-like progress object (``total``, ``update(n)``) for long work, or None.
    cache : bool
        Whether the stage may use lupex's caches (horizon maps).
    scheduler : lupex.cluster.Scheduler or None
        The open scheduler of the run (:func:`lupex.cluster.scheduler.open_scheduler`): a stage with independent
        tasks may send them to its cluster (``scheduler.executor()``, ``scheduler.map_unordered``). None, or a
        ``threads`` scheduler (``scheduler.client`` None): run in this process.
    """

    scenario: Scenario
    upstream: dict[str, Any]
    progress: Any = None
    cache: bool = True
    scheduler: Any = None

    def executor(self) -> Executor | None:
        """The cluster's ``concurrent.futures.Executor`` for independent tasks, or None (run in this process)."""
        return executor_of(self.scheduler)

    def result(self, name: str) -> Any:
        """Result of an upstream stage (it must be among the stage's ``needs``)."""
        try:
            return self.upstream[name]
        except KeyError:
            raise KeyError(f"stage result {name!r} is not available; declare it in the stage's needs") from None


@dataclass(frozen=True)
class OutputContext:
    """What the output methods of a stage get: the scenario and every result of the run, by stage name."""

    scenario: Scenario
    results: dict[str, Any]


class Stage:
    """Base class of mission stages (override what the stage contributes; see the module docstring).

    Class attributes
    ----------------
    name : str
        Unique id (letters, digits, ``_``); also the report anchor and the cache file prefix.
    title : str
        Heading of its report section.
    version : str
        Algorithm version: bump it when the stage computes something different, to invalidate its cache.
    reads : tuple of str
        Scenario sections whose values the stage uses (they make its cache key).
    needs : tuple of str
        Upstream stages whose results it uses.
    sections : dict of str -> SectionModel subclass
        New scenario sections this stage introduces (registered with the stage).
    validations : tuple of Validation
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    reads: ClassVar[tuple[str, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()
    sections: ClassVar[dict[str, type[SectionModel]]] = {}
    validations: ClassVar[tuple[Validation, ...]] = ()

    def run(self, ctx: StageContext) -> Any:
        """Compute the stage's result (a documented dataclass, small enough to cache)."""
        raise NotImplementedError(f"stage {self.name!r} does not implement run()")

    def cache_inputs(self, scenario: Scenario) -> tuple[Any, ...]:
        """Inputs beyond the scenario sections that must change the cache key (e.g. a DEM file's fingerprint)."""
        return ()

    def summary(self, result: Any, ctx: OutputContext) -> dict[str, Any]:
        """Headline numbers for ``summary.json`` (units in the keys)."""
        return {}

    def kpis(self, result: Any, ctx: OutputContext) -> list[tuple[str, str]]:
        """(label, formatted value) pairs for the report's overview."""
        return []

    def placeholders(self, result: Any, ctx: OutputContext) -> list[str]:
        """Defaults of confidence placeholder or estimate the stage used (beyond the scenario's own)."""
        return []

    def report(self, result: Any, ctx: OutputContext) -> StageReport | None:
        """The stage's report section with its figures."""
        return None

    def layers(self, result: Any, ctx: OutputContext) -> list[MapLayer]:
        """Dashboard overlays."""
        return []

    def web_data(self, result: Any, ctx: OutputContext) -> dict[str, Any]:
        """Extra entries of the dashboard's ``layers.json`` (``candidates``, ``route``)."""
        return {}

    def write_files(self, result: Any, ctx: OutputContext, out: Path) -> list[str]:
        """Files (maps, tables, route files) written into the run folder ``out``, atomically; their paths."""
        return []


_REGISTRY: dict[str, Stage] = {}


def register_stage(stage: Stage) -> Stage:
    """Add a stage to the registry (and the scenario sections it introduces); returns it.

    Raises
    ------
    ValueError
        For a stage without a valid name or title, a name already registered for another stage, or needs on
        stages not registered yet.
    """
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", stage.name or ""):
        raise ValueError(f"stage name {stage.name!r} must be 1-40 lower-case letters, digits or '_'")
    if not stage.title:
        raise ValueError(f"stage {stage.name!r} needs a title (its report heading)")
    current = _REGISTRY.get(stage.name)
    if current is not None and type(current) is not type(stage):
        raise ValueError(f"a stage named {stage.name!r} is already registered ({type(current).__name__})")
    missing = [n for n in stage.needs if n not in _REGISTRY]
    if missing:
        raise ValueError(f"stage {stage.name!r} needs {', '.join(missing)}, not registered; register those first")
    for section, model in stage.sections.items():
        register_section(section, model)
    _REGISTRY[stage.name] = stage
    return stage


def unregister_stage(name: str) -> None:
    """Remove a stage (tests and plugins); stages that need it must be removed first."""
    users = [s.name for s in _REGISTRY.values() if name in s.needs]
    if users:
        raise ValueError(f"stage {name!r} is needed by {', '.join(users)}; unregister those first")
    stage = _REGISTRY.pop(name, None)
    if stage is not None:
        for section in stage.sections:
            unregister_section(section)


def registered_stages() -> list[Stage]:
    """Every registered stage, in chain order (registration order, each after the stages it needs)."""
    return chain_order(_REGISTRY)


def get_stage(name: str) -> Stage:
    """A registered stage by name (``KeyError`` lists the known names)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no stage {name!r}; stages: {', '.join(_REGISTRY)}") from None


def chain_order(stages: dict[str, Stage], wanted: Iterable[str] | None = None) -> list[Stage]:
    """``wanted`` stages (default all) and everything they need, each after its needs, else in registry order."""
    names = list(stages) if wanted is None else list(wanted)
    keep: set[str] = set()
    todo = list(names)
    while todo:
        n = todo.pop()
        if n not in keep:
            keep.add(n)
            todo.extend(stages[n].needs)
    ordered: list[Stage] = []
    done: set[str] = set()
    while len(ordered) < len(keep):
        ready = [s for n, s in stages.items() if n in keep and n not in done and set(s.needs) <= done]
        if not ready:
            raise ValueError(f"stage needs form a cycle among {sorted(keep - done)}")
        ordered.append(ready[0])
        done.add(ready[0].name)
    return ordered
