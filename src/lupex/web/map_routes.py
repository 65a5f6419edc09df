"""The dashboard's tiled map: tile matrix set, base and run-layer tiles, point values and named features.

Endpoints (all GET): ``/api/tms``, ``/api/base/tiles/{z}/{x}/{y}.png``,
``/api/runs/{name}/tiles/{layer}/{z}/{x}/{y}.png``, ``/api/runs/{name}/value?lat=..&lon=..`` and
``/api/features``. A tile outside the matrix set is a 404, a point outside the cap a 422, always with a one-line
``detail``; tiles carry ``Cache-Control: max-age=3600``.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from lupex.errors import InputError
from lupex.io.tables import read_package_data_text, read_toml_text
from lupex.web.tiles import (
    CAP_EDGE_LAT_DEG,
    base_tile_png,
    cached_base_tile,
    dems_loaded,
    layer_tile_png,
    run_layers,
    tile_bounds_m,
    tms_json,
    value_at,
)

if TYPE_CHECKING:
    from lupex.web.app import _AppState

__all__ = ["add_map_routes", "named_features"]

_TILE_HEADERS = {"Cache-Control": "max-age=3600"}
_LAT_RANGE = f"a latitude in degrees from -90 to {CAP_EDGE_LAT_DEG:g} (the bundled terrain)"
_LON_RANGE = "a finite east longitude in degrees (e.g. 0 to 360)"


@functools.cache
def named_features() -> tuple[dict[str, Any], ...]:
    """The bundled named features (``lupex/data/features.toml``): name, lat_deg, lon_deg, kind, source."""
    doc = read_toml_text(read_package_data_text("features.toml"), "lupex/data/features.toml")
    keys = ("name", "lat_deg", "lon_deg", "kind", "source")
    return tuple({k: f[k] for k in keys} for f in doc.get("feature", []))


def _check_tile(z: int, x: int, y: int) -> None:
    """404 for a tile outside the matrix set."""
    try:
        tile_bounds_m(z, x, y)
    except InputError as err:
        raise HTTPException(404, str(err)) from None


def _check_point(lat: float | None, lon: float | None) -> tuple[float, float]:
    """422 naming ``lat`` / ``lon`` and the accepted range for a missing, non-finite or out-of-cap point."""
    if lat is None or not math.isfinite(lat) or not -90.0 <= lat <= CAP_EDGE_LAT_DEG:
        got = "missing" if lat is None else f"got {lat}"
        raise HTTPException(422, f"query lat: {got}; give {_LAT_RANGE}")
    if lon is None or not math.isfinite(lon):
        got = "missing" if lon is None else f"got {lon}"
        raise HTTPException(422, f"query lon: {got}; give {_LON_RANGE}")
    return lat, lon


def add_map_routes(app: FastAPI, state: _AppState) -> None:
    """Add the tiled-map endpoints to the dashboard ``app`` (runs found through ``state.folder``)."""

    @app.get("/api/tms")
    def tms() -> JSONResponse:
        return JSONResponse(tms_json())

    @app.get("/api/features")
    def features() -> list[dict[str, Any]]:
        return list(named_features())

    @app.get("/api/base/tiles/{z}/{x}/{y}.png")
    async def base_tile(z: int, x: int, y: int) -> Response:
        _check_tile(z, x, y)
        png = cached_base_tile(z, x, y)  # a cache hit is answered on the event loop, without a thread hop
        if png is None and dems_loaded():  # rendering takes ~1 ms: inline beats a thread hop under load
            png = base_tile_png(z, x, y)
        elif png is None:  # the first tile loads and hillshades the DEMs (~0.7 s): off the event loop
            png = await run_in_threadpool(base_tile_png, z, x, y)
        return Response(png, media_type="image/png", headers=_TILE_HEADERS)

    @app.get("/api/runs/{name}/tiles/{layer}/{z}/{x}/{y}.png")
    def layer_tile(name: str, layer: str, z: int, x: int, y: int) -> Response:
        folder = state.folder(name)
        _check_tile(z, x, y)
        record = _layer_record(folder, layer)
        png = layer_tile_png(record["path"], z, x, y, str(record.get("cmap", "viridis")),
                             float(record.get("vmin", 0.0)), float(record.get("vmax", 1.0)),
                             alpha=1.0 if record.get("opaque") else 0.75)  # fmt: skip
        return Response(png, media_type="image/png", headers=_TILE_HEADERS)

    @app.get("/api/runs/{name}/value")
    def point_value(
        name: str,
        lat: float | None = Query(None, description=f"Latitude [deg], {_LAT_RANGE}"),
        lon: float | None = Query(None, description=f"East longitude [deg], {_LON_RANGE}"),
    ) -> JSONResponse:
        folder = state.folder(name)
        lat_deg, lon_deg = _check_point(lat, lon)
        try:
            return JSONResponse(value_at(folder, lat_deg, lon_deg))
        except InputError as err:
            raise HTTPException(422, str(err)) from None


def _layer_record(folder: Path, layer: str) -> dict[str, Any]:
    """The run's layer record with a GeoTIFF (404 listing the run's tiled layers otherwise)."""
    records = run_layers(folder)
    tiled = [str(r.get("name")) for r in records if r["path"] is not None]
    for record in records:
        if record.get("name") == layer and record["path"] is not None:
            return record
    shown = repr(layer[:40]) + ("..." if len(layer) > 40 else "")
    listed = ", ".join(tiled) or "none (the run predates tiled layers; run it again)"
    raise HTTPException(404, f"unknown layer {shown}; tiled layers of this run: {listed}")
