"""Sky endpoints of the dashboard: the instantaneous shadow of a run's map at a time, and a point's horizon with
the Sun's and Earth's paths.

``GET /api/runs/{name}/shadow.png?time=ISO`` gives the visible fraction of the solar disk at that instant on the
grid of the run's dashboard illumination layer (a cached horizon map of the finest bundled DEM crop under it, with
the whole DEM and the far field beyond; :func:`lupex.traverse.cell_sky_series` at 0 m). ``GET /api/horizon``
gives :func:`lupex.illumination.site_illumination` over a period: the local horizon profile and the Sun's and
Earth's azimuth and elevation. Bad input is a 4xx with a ``detail`` naming the parameter.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse, Response

from lupex.ephemeris import format_utc, parse_time
from lupex.errors import LupexError
from lupex.illumination import site_illumination
from lupex.io.tables import is_file, read_text
from lupex.reporting.figures import overlay_png
from lupex.terrain import builtin_dem
from lupex.traverse import cell_sky_series

__all__ = ["add_sky_routes", "shadow_fraction"]

#: Horizon azimuths of the instantaneous shadow (2 deg, as the traverse's sky).
N_AZIMUTH = 180
#: Largest map the instantaneous shadow is computed for [cells] (the dashboard's illumination layer).
MAX_SHADOW_CELLS = 250_000
#: Longest horizon period one request may ask for [h].
MAX_HOURS = 24 * 30


def _grid_dem(run: Path) -> tuple[xr.DataArray, xr.DataArray]:
    """The bundled DEM under the run's dashboard illumination layer, and its crop to that layer's bounds."""
    manifest = json.loads(read_text(run / "web" / "layers.json"))
    layer = next((r for r in manifest.get("layers", []) if r.get("name") == "illumination"), None)
    if layer is None or "bounds" not in layer:
        raise HTTPException(404, "this run has no illumination layer; run the sites stage")
    (y0, x0), (y1, x1) = layer["bounds"]
    for name in ("connecting_ridge_10m", "south_pole_240m"):
        dem = builtin_dem(name)
        res = float(dem.attrs["res_m"])
        xs, ys = dem["x"].values, dem["y"].values
        if xs[0] - res / 2 <= x0 and x1 <= xs[-1] + res / 2 and ys[-1] - res / 2 <= y0 and y1 <= ys[0] + res / 2:
            cells = (x1 - x0) / res * (y1 - y0) / res
            if cells <= MAX_SHADOW_CELLS:
                return dem, dem.sel(x=slice(x0, x1), y=slice(y1, y0))
    raise HTTPException(422, f"the run's illumination layer is larger than {MAX_SHADOW_CELLS:,} cells of a bundled "
                             "DEM; the instantaneous shadow is drawn for maps up to that size")


@lru_cache(maxsize=64)
def _shadow_cached(run: str, stamp: float, time_utc: str, cache: bool) -> np.ndarray:
    dem, crop = _grid_dem(Path(run))
    ny, nx = crop.shape
    ii, jj = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    cells = np.stack([ii.ravel(), jj.ravel()], axis=1)
    t = parse_time(time_utc, "time")
    sky = cell_sky_series(dem, t, t, "1h", cells=cells, window=crop, mast_height_m=0.0, n_azimuth=N_AZIMUTH,
                          cache=cache)  # fmt: skip
    return np.asarray(sky.sun_fraction[0], dtype=np.float64).reshape(ny, nx)


def shadow_fraction(run: Path, time_utc: str, cache: bool = True) -> np.ndarray:
    """Visible solar-disk fraction [-] on the run's illumination layer grid at ``time_utc`` (cached per run and
    time; rows north to south as the layer's image)."""
    manifest = run / "web" / "layers.json"
    stamp = manifest.stat().st_mtime if is_file(manifest) else 0.0
    return _shadow_cached(str(run), stamp, time_utc, cache)


def _time(text: str) -> str:
    try:
        return format_utc(parse_time(text, "time"))
    except LupexError as err:
        raise HTTPException(422, str(err)) from None


def _horizon_json(lat: float, lon: float, time: str, hours: int) -> dict[str, Any]:
    if not (math.isfinite(lat) and -90.0 <= lat <= -75.0):
        raise HTTPException(422, f"lat {lat!r} must be a latitude in [-90, -75] degrees (the bundled terrain)")
    if not math.isfinite(lon):
        raise HTTPException(422, f"lon {lon!r} must be a finite east longitude in degrees")
    if not 1 <= hours <= MAX_HOURS:
        raise HTTPException(422, f"hours {hours} must be in [1, {MAX_HOURS}]")
    start = parse_time(_time(time), "time")
    try:
        s = site_illumination(lat, lon, start, start + np.timedelta64(hours * 3600, "s"), "1h", n_azimuth=360)
    except LupexError as err:
        raise HTTPException(422, str(err)) from None
    r2 = 3  # decimals of the angles sent
    return {
        "lat_deg": lat, "lon_deg": lon, "terrain_height_m": s.terrain_height_m, "dem": s.dem_source,
        "horizon": {"azimuth_deg": np.round(s.horizon["azimuth"].values, r2).tolist(),
                    "elevation_deg": np.round(s.horizon.values, r2).tolist()},
        "time_utc": [format_utc(t) for t in s.time_utc],
        "sun": {"azimuth_deg": np.round(s.sun_azimuth_deg, r2).tolist(),
                "elevation_deg": np.round(s.sun_elevation_deg, r2).tolist(),
                "visible_fraction": np.round(s.sun_visible_fraction, 4).tolist()},
        "earth": {"azimuth_deg": np.round(s.earth_azimuth_deg, r2).tolist(),
                  "elevation_deg": np.round(s.earth_elevation_deg, r2).tolist(),
                  "visible": [bool(v) for v in s.earth_visible]},
    }  # fmt: skip


def add_sky_routes(app: FastAPI, folder: Any, cache: bool) -> None:
    """Register the shadow and horizon endpoints; ``folder(name)`` resolves a finished run (4xx otherwise)."""

    @app.get("/api/runs/{name}/shadow.png")
    def shadow_png(name: str, time: str) -> Response:
        run = folder(name)
        frac = shadow_fraction(run, _time(time), cache)
        return Response(overlay_png(frac, "gray", 0.0, 1.0, alpha=0.85), media_type="image/png",
                        headers={"Cache-Control": "max-age=3600"})  # fmt: skip

    @app.get("/api/horizon")
    def horizon(lat: float, lon: float, time: str, hours: int = 24) -> JSONResponse:
        return JSONResponse(_horizon_json(lat, lon, time, hours))
