"""The mission report and summary, assembled from the registered stages' contributions.

The report has an overview (the scenario's description and each stage's key numbers), the scenario's
provenance table, one or more sections per stage (:meth:`lupex.mission.stage.Stage.report`), the validations
the stages rely on, and the run details. Every scenario text is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from lupex import __version__
from lupex.mission.chain import MissionResult
from lupex.mission.stage import OutputContext, StageReport
from lupex.reporting.html import Section, render_report, table_html

__all__ = ["mission_report_html", "mission_summary"]


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _finite(value.item())
    return value


def mission_summary(result: MissionResult, generated_utc: str, files: list[str]) -> dict[str, Any]:
    """The JSON summary of a run (units in the keys): scenario, each stage's numbers, placeholders, timing."""
    sc = result.scenario
    ctx = OutputContext(sc, result.results)
    stages = {s.name: s.summary(result.results[s.name], ctx) for s in result.stages}
    placeholders = {"scenario": sc.placeholders()}
    placeholders.update({s.name: s.placeholders(result.results[s.name], ctx) for s in result.stages})
    return _finite(
        {
            "scenario": sc.name,
            "title": sc.title,
            "origin": sc.origin,
            "generated_utc": generated_utc,
            "lupex_version": __version__,
            "dems": {"sites": sc.dem("sites"), "traverse": sc.dem("traverse")},
            "stages": stages,
            "placeholders": placeholders,
            "stage_seconds": result.stage_seconds,
            "stage_cached": result.cached,
            "stage_keys": result.keys,
            "files": files,
        }
    )


def _kpis(result: MissionResult) -> str:
    ctx = OutputContext(result.scenario, result.results)
    items = [
        f"<div><b>{html.escape(value)}</b><span>{html.escape(label)}</span></div>"
        for s in result.stages
        for label, value in s.kpis(result.results[s.name], ctx)
    ]
    return '<div class="kpi">' + "".join(items) + "</div>"


def _scenario_section(result: MissionResult) -> Section:
    sc = result.scenario
    n_placeholders = len(sc.placeholders())
    return Section("scenario", "Scenario and provenance", [
        f"<p>{len(sc.parameters)} parameters from <code>{html.escape(sc.origin)}</code>; "
        f"<b>{n_placeholders} are placeholders</b> (no published value), shown in red. Values are in the "
        "parameter's canonical unit; <i>given</i> shows a value the file wrote in another unit.</p>",
        table_html(sc.provenance(), ["parameter", "value", "unit", "given", "confidence", "source"]),
        "<h3>Rover model</h3>",
        table_html(sc.rover_provenance(), ["name", "value", "unit", "confidence", "source"]),
    ])  # fmt: skip


def mission_report_html(result: MissionResult, reports: dict[str, StageReport], generated_utc: str) -> str:
    """The self-contained HTML report of a run (``reports``: each stage's :class:`StageReport`)."""
    sc = result.scenario
    sections = [
        Section("overview", "Overview", [f"<p>{html.escape(sc.description)}</p>", _kpis(result)]),
        _scenario_section(result),
    ]
    for stage in result.stages:
        if stage.name in reports:
            sections += reports[stage.name].sections
    validations = [
        {"stage": s.name, "model": v.model, "reference": v.reference, "where": v.where}
        for s in result.stages
        for v in s.validations
    ]
    sections.append(Section("validation", "Validations this run relies on", [table_html(validations)]))
    sections.append(Section("run", "Run details", [
        table_html([{"stage": s.name, "seconds": result.stage_seconds.get(s.name, 0.0),
                     "from cache": result.cached.get(s.name), "cache key": result.keys[s.name][:12]}
                    for s in result.stages]),
        f'<p class="note">lupex {html.escape(__version__)}; generated {html.escape(generated_utc)}; DEMs '
        f"{html.escape(sc.dem('sites'))} (sites) and {html.escape(sc.dem('traverse'))} (traverse); ephemeris DE421 "
        "with MOON_ME_DE421.</p>",
    ]))  # fmt: skip
    return render_report(
        f"lupex mission report: {sc.title}",
        [f"Scenario {sc.name} ({sc.origin})", f"Generated {generated_utc} by lupex {__version__}"],
        sections,
    )
