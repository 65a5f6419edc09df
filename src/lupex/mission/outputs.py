"""Everything a run writes into its folder, from the registered stages: files, figures, dashboard assets,
report and summary.

Each stage contributes through its :class:`~lupex.mission.stage.Stage` methods; this module only collects:
``figures/<name>`` from :meth:`Stage.report`, ``web/<layer>.png``, ``web/<layer>.tif`` and ``web/layers.json`` from
:meth:`Stage.layers` and :meth:`Stage.web_data`, the stage's own files from :meth:`Stage.write_files`, then
``report.html`` and ``summary.json``. Files are written atomically; temporary files left in ``out`` by a killed
run are removed first.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lupex.io import write_geotiff
from lupex.io.atomic import clean_stale_temp_files
from lupex.io.tables import write_bytes, write_json, write_text
from lupex.mission.chain import MissionResult
from lupex.mission.report import mission_report_html, mission_summary
from lupex.mission.stage import MapLayer, OutputContext, StageReport
from lupex.reporting import overlay_png

__all__ = ["LAYER_NAME", "run_layer_names", "write_run_outputs"]

#: Layer names allowed in the dashboard's URLs.
LAYER_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _layer_record(layer: MapLayer, png_path: Path) -> tuple[dict[str, Any], bytes]:
    v = layer.values
    x, y = v["x"].values, v["y"].values
    res_x = float(abs(x[1] - x[0])) if x.size > 1 else 1.0
    res_y = float(abs(y[1] - y[0])) if y.size > 1 else 1.0
    bounds = [[float(y.min() - res_y / 2), float(x.min() - res_x / 2)],
              [float(y.max() + res_y / 2), float(x.max() + res_x / 2)]]  # fmt: skip
    values = np.asarray(v.values, dtype=np.float64)
    if y.size > 1 and y[0] < y[-1]:
        values = values[::-1]
    if x.size > 1 and x[0] > x[-1]:
        values = values[:, ::-1]
    png = overlay_png(values, layer.cmap, layer.vmin, layer.vmax, alpha=1.0 if layer.opaque else 0.75)
    record = {"name": layer.name, "title": layer.title, "unit": layer.unit, "vmin": layer.vmin, "vmax": layer.vmax,
              "cmap": layer.cmap, "opaque": layer.opaque, "bounds": bounds}  # fmt: skip
    return record, png


def _layer_geotiff(layer: MapLayer, path: Path) -> Path | None:
    """The layer's values as a float32 GeoTIFF (north-up; for the dashboard's tiles and point values), or None
    for a layer too small to georeference (under 2 x 2 cells)."""
    v = layer.values
    if v.dims != ("y", "x") or v.sizes["x"] < 2 or v.sizes["y"] < 2:
        return None
    v = v.sortby("y", ascending=False).sortby("x").astype(np.float32)
    return write_geotiff(v, path, cloud_optimized=False)


def _web_assets(result: MissionResult, ctx: OutputContext, out: Path) -> list[str]:
    files: list[str] = []
    layers: list[dict[str, Any]] = []
    manifest: dict[str, Any] = {"scenario": result.scenario.name, "title": result.scenario.title,
                                "candidates": [], "route": {"available": False}}  # fmt: skip
    for stage in result.stages:
        res = result.results[stage.name]
        for layer in stage.layers(res, ctx):
            if not LAYER_NAME.fullmatch(layer.name) or any(r["name"] == layer.name for r in layers):
                raise ValueError(f"stage {stage.name!r}: layer name {layer.name!r} is invalid or already used")
            record, png = _layer_record(layer, out)
            files.append(str(write_bytes(png, out / "web" / f"{layer.name}.png")))
            tif = _layer_geotiff(layer, out / "web" / f"{layer.name}.tif")
            if tif is not None:
                files.append(str(tif))
                record["tif"] = f"web/{layer.name}.tif"
            layers.append(record)
        manifest.update(stage.web_data(res, ctx))
    manifest["layers"] = layers
    manifest["bounds"] = (
        [[min(r["bounds"][0][0] for r in layers), min(r["bounds"][0][1] for r in layers)],
         [max(r["bounds"][1][0] for r in layers), max(r["bounds"][1][1] for r in layers)]]
        if layers else [[-1.0, -1.0], [1.0, 1.0]]
    )  # fmt: skip
    files.append(str(write_json(manifest, out / "web" / "layers.json")))
    return files


def run_layer_names(manifest: dict[str, Any]) -> list[str]:
    """The layer names a run's ``layers.json`` lists (the dashboard serves only those)."""
    return [str(r["name"]) for r in manifest.get("layers", []) if LAYER_NAME.fullmatch(str(r.get("name", "")))]


def write_run_outputs(result: MissionResult, out: str | Path, began: float | None = None) -> dict[str, Any]:
    """Write a run's files into ``out`` (atomically, file by file) and return its summary."""
    out = Path(out)
    clean_stale_temp_files(out)
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = OutputContext(result.scenario, result.results)
    reports: dict[str, StageReport] = {}
    files: list[str] = []
    for stage in result.stages:
        res = result.results[stage.name]
        rep = stage.report(res, ctx)
        if rep is not None:
            reports[stage.name] = rep
            files += [str(write_bytes(png, out / "figures" / name)) for name, png in rep.figures.items()]
        files += stage.write_files(res, ctx, out)
    files += _web_assets(result, ctx, out)
    files.append(str(write_text(mission_report_html(result, reports, generated), out / "report.html")))
    summary = mission_summary(result, generated, files)
    if began is not None:
        summary["elapsed_s"] = round(time.perf_counter() - began, 2)
    files.append(str(write_json(summary, out / "summary.json")))
    return summary
