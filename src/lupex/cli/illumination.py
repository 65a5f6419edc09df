"""``lupex illumination``: maps over a period and site time series."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from lupex.cli.options import check_number, check_out_dir, check_out_file, check_thermal_step, psr_years_option
from lupex.cli.progress import RichProgress
from lupex.cli.scheduling import SchedulerOpt, cli_scheduler, parse_scheduler_option
from lupex.cluster import SchedulerSpec
from lupex.cluster.tiles import check_tiling
from lupex.core.backend import resolve_backend
from lupex.defaults import default
from lupex.errors import InputError

illumination_app = typer.Typer(help="Sunlight, permanent shadow and Earth visibility.", no_args_is_help=True)

MAP_LAYERS = {
    "mean_illumination": ("Mean illumination (fraction of the solar disk)", "fraction", "inferno", 0.0, 1.0),
    "sunlit_fraction": ("Sunlit fraction (any part of the Sun visible)", "fraction", "inferno", 0.0, 1.0),
    "psr": ("Permanently shadowed (1)", "PSR", "Blues", 0.0, 1.0),
    "longest_darkness_h": ("Longest darkness", "h", "magma_r", None, None),
    "earth_visibility": ("Earth visibility (centre above horizon)", "fraction", "viridis", 0.0, 1.0),
    "longest_earth_outage_h": ("Longest Earth outage", "h", "cividis_r", None, None),
}


def _summary(ds: Any, files: list[str], seconds: float) -> dict[str, Any]:
    from lupex.terrain.projection import scale_factor, xy_to_latlon

    res = float(ds.attrs["res_m"])
    xx, yy = np.meshgrid(ds["x"].values, ds["y"].values)
    area_km2 = (res / scale_factor(xx, yy)) ** 2 / 1e6
    mean = ds["mean_illumination"].values
    i, j = np.unravel_index(int(np.nanargmax(mean)), mean.shape)
    lat, lon = xy_to_latlon(float(ds["x"][j]), float(ds["y"][i]))
    out = {
        "dem": ds.attrs["source"],
        "far_field": ds.attrs["far_field"],
        "start_utc": ds.attrs["start_utc"],
        "end_utc": ds.attrs["end_utc"],
        "step_s": ds.attrs["step_s"],
        "n_times": ds.attrs["n_times"],
        "observer_height_m": ds.attrs["observer_height_m"],
        "max_mean_illumination": float(mean[i, j]),
        "sunlit_fraction_there": float(ds["sunlit_fraction"].values[i, j]),
        "max_mean_illumination_at": {
            "x_m": float(ds["x"][j]),
            "y_m": float(ds["y"][i]),
            "lat_deg": float(lat),
            "lon_deg": float(lon),
        },
        "psr_period_utc": ds.attrs["psr_period_utc"],
        "psr_area_km2": float((ds["psr"].values.astype(bool) * area_km2).sum()),
        "psr_fraction": float(ds["psr"].values.mean()),
        "edge_limited_cells": int(ds["edge_limited"].values.sum()),
        "files": files,
        "elapsed_s": round(seconds, 2),
    }
    if "earth_visibility" in ds:
        out["mean_earth_visibility"] = float(np.nanmean(ds["earth_visibility"].values))
    return out


def _check_map_options(
    start: str, end: str, step: str, height_m: float, n_azimuth: int, psr_years: float, out: Path
) -> float | None:
    """Refuse bad ``illumination map`` options before any long work; returns the PSR period (None = the map's)."""
    from lupex.ephemeris import time_range

    time_range(start, end, step, names=("--start", "--end", "--step"))  # counted before it is built
    check_number(
        "--height-m",
        height_m,
        0.0,
        10_000.0,
        hint="give the observer height above the terrain in metres",
        api="observer_height_m",
    )
    check_number("--n-azimuth", n_azimuth, 4, 7200, hint="give the number of horizon azimuths, e.g. 360")
    check_out_dir("--out", out)
    return psr_years_option(psr_years, "the map period")


def _check_tiling_options(
    spec: SchedulerSpec, tile_px: int, halo_px: int, far_field: bool, backend: str
) -> tuple[int, int | None] | None:
    """``(tile, halo)`` of a tiled run (None: the whole map in one piece, as without a cluster); refuses bad values
    naming their flags."""
    if tile_px == 0 and not spec.distributed:
        if halo_px != -1:
            raise InputError(f"--halo-px {halo_px} needs a tiled run; give --tile-px (e.g. 512) or a cluster scheduler")
        return None
    tile = int(default("tile_px")) if tile_px == 0 else tile_px
    halo = None if halo_px == -1 else halo_px
    if halo_px < -1:
        raise InputError(f"--halo-px {halo_px} must be -1 (auto) or a number of cells >= 0, e.g. 128")
    check_tiling(tile, halo, ("--tile-px", "--halo-px"))
    if not far_field:
        raise InputError("--no-far-field is not available tile by tile; drop it or run without --tile-px / a cluster")
    if backend == "cuda":
        raise InputError("--backend cuda is not available tile by tile (the tiles run the CPU kernel); use "
                         "--backend auto or cpu with --tile-px / a cluster")  # fmt: skip
    return tile, halo


def _whole_map(
    terrain: Any, start: str, end: str, step: str, height_m: float, n_azimuth: int, far_field: bool,
    psr_period: float | None, backend: str, cache: bool,
) -> Any:  # fmt: skip
    """The statistics of the whole DEM in this process (one horizon map, then the statistics)."""
    from lupex.illumination import horizon_map, illumination_stats

    with RichProgress("horizon map") as bar:
        horizon = horizon_map(terrain, n_azimuth, height_m, "auto" if far_field else None,
                              backend=backend, cache=cache, progress=bar)  # type: ignore[arg-type]  # fmt: skip
    with RichProgress("illumination statistics") as bar:
        return illumination_stats(terrain, start, end, step, observer_height_m=height_m, horizon=horizon,
                                  psr_years=psr_period, progress=bar)  # fmt: skip


def _check_thermal_step(thermal_step: str | None, tiling: Any, start: str, end: str) -> None:
    """``--thermal-step``: a tiled run's option, at most 6 h, and a valid period at that step."""
    if thermal_step is None:
        return
    if tiling is None:
        raise InputError("--thermal-step needs a tiled run: add --tile-px (e.g. 512) or a cluster --scheduler")
    check_thermal_step(thermal_step, start, end)


def _tiled_map(
    terrain: Any, period: tuple[str, str, str, str | None], height_m: float, n_azimuth: int,
    psr_period: float | None, spec: SchedulerSpec, tiling: tuple[int, int | None], out: Path,
) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    """The statistics (and thermal maps) tile by tile on the scheduler, into ``out/terrain.zarr``; also the run's
    facts for the summary (and the thermal maps' GeoTIFFs)."""
    from lupex.cluster.products import products_as_stats, terrain_products
    from lupex.cluster.tiles import THERMAL_LAYERS
    from lupex.io.zarr_store import zarr_to_geotiffs

    start, end, step, thermal_step = period
    tile, halo = tiling
    with cli_scheduler(spec) as sched, RichProgress("tiles") as bar:
        products = terrain_products(
            terrain, start, end, step, out / "terrain.zarr", scheduler=sched, tile_px=tile,
            halo_px="auto" if halo is None else halo, progress=bar, observer_height_m=height_m, n_azimuth=n_azimuth,
            psr_years=psr_period, thermal_step=thermal_step,
        )  # fmt: skip
    extra = {
        "store": str(products.store),
        "scheduler": products.scheduler,
        "workers": products.n_workers,
        "tiles": products.n_tiles,
        "tile_px": products.tile_px,
        "halo_px": products.halo_px,
        "task_memory_GB": round(products.task_memory_bytes / 1e9, 3),
    }
    if thermal_step is not None:
        extra["thermal_files"] = [str(p) for p in zarr_to_geotiffs(products.store, out, list(THERMAL_LAYERS))]
    return products_as_stats(products), extra


TilePxOpt = Annotated[
    int,
    typer.Option("--tile-px", help="Compute tile by tile (cells per side) into OUT/terrain.zarr; 0 = one piece with "
                 "--scheduler threads, 512 on a cluster."),
]  # fmt: skip
HaloPxOpt = Annotated[
    int,
    typer.Option("--halo-px", help="Fine halo around each tile [cells]; beyond it a coarse DEM. -1 = auto (the whole "
                 "DEM up to 4096^2 cells, else 128)."),
]  # fmt: skip
ThermalStepOpt = Annotated[
    str | None,
    typer.Option("--thermal-step", help="Tiled runs: also the thermal and ice maps (surface temperatures, ice "
                 "stability depth and class) at this model step, e.g. 1h (at most 6h)."),
]  # fmt: skip


def _write_map_layers(ds: Any, out: Path, height_m: float) -> list[str]:
    """The map layers as COGs and PNG quicklooks in ``out``; returns the files written."""
    from lupex.io import write_geotiff
    from lupex.io.tables import write_bytes
    from lupex.reporting import map_quicklook_png

    files = []
    for name, (title, units, cmap, vmin, vmax) in MAP_LAYERS.items():
        layer = ds[name]
        layer.attrs["crs"] = ds.attrs["crs"]
        tif = write_geotiff(layer, out / f"{name}.tif")
        caption = f"{title}\n{ds.attrs['start_utc']} .. {ds.attrs['end_utc']}, +{height_m:g} m"
        png = write_bytes(map_quicklook_png(layer, caption, units, cmap, vmin, vmax), out / f"{name}.png")
        files += [str(tif), str(png)]
    return files


@illumination_app.command("map")
def illumination_map(
    dem: Annotated[str, typer.Option("--dem", help="DEM: GeoTIFF, PDS3 IMG/LBL or builtin:NAME.")],
    start: Annotated[str, typer.Option("--start", help="Period start, UTC (a date means 00:00Z).")],
    end: Annotated[str, typer.Option("--end", help="Period end, UTC (inclusive).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (created; files replaced atomically).")],
    step: Annotated[str, typer.Option("--step", help="Time step: 30min, 2h, 1d ...")] = "2h",
    height_m: Annotated[float, typer.Option("--height-m", help="Observer height above the terrain [m].")] = 0.0,
    n_azimuth: Annotated[int, typer.Option("--n-azimuth", help="Horizon azimuths.")] = 360,
    far_field: Annotated[bool, typer.Option(help="Use the bundled coarser DEMs beyond the DEM.")] = True,
    psr_years: Annotated[
        float,
        typer.Option("--psr-years", help="PSR period in years from --start (18.6 = full cycle; 0 = the map period)."),
    ] = 18.6,
    backend: Annotated[str, typer.Option("--backend", help="auto, cpu or cuda.")] = "auto",
    cache: Annotated[bool, typer.Option(help="Reuse cached horizon maps ($LUPEX_CACHE_DIR).")] = True,
    scheduler: SchedulerOpt = "threads",
    tile_px: TilePxOpt = 0,
    halo_px: HaloPxOpt = -1,
    thermal_step: ThermalStepOpt = None,
) -> None:
    """Maps of mean illumination, PSRs, longest darkness, Earth visibility and longest Earth outage (COGs + PNGs)."""
    from lupex.io import read_dem
    from lupex.io.tables import write_json

    began = time.perf_counter()
    if backend not in ("auto", "cpu", "cuda"):
        raise typer.BadParameter(f"--backend {backend!r}: use auto, cpu or cuda")
    psr_period = _check_map_options(start, end, step, height_m, n_azimuth, psr_years, out)
    spec = parse_scheduler_option(scheduler)
    tiling = _check_tiling_options(spec, tile_px, halo_px, far_field, backend)
    if tiling is None:
        resolve_backend(backend, "--backend")  # a GPU asked for and none usable: refused before any work
    _check_thermal_step(thermal_step, tiling, start, end)
    terrain = read_dem(dem)
    extra: dict[str, Any] = {}
    if tiling is None:
        ds = _whole_map(terrain, start, end, step, height_m, n_azimuth, far_field, psr_period, backend, cache)
    else:
        ds, extra = _tiled_map(terrain, (start, end, step, thermal_step), height_m, n_azimuth, psr_period, spec,
                               tiling, out)  # fmt: skip
    files = _write_map_layers(ds, out, height_m)
    summary = {**_summary(ds, files, time.perf_counter() - began), **extra}
    write_json(summary, out / "summary.json")
    summary["files"].append(str(out / "summary.json"))
    sys.stdout.write(json.dumps(summary, indent=2, allow_nan=False) + "\n")


def _check_site_options(
    lat: float, lon: float, start: str, end: str, step: str, height_m: float, out: Path | None, plot: Path | None
) -> None:
    """Refuse bad ``illumination site`` options, naming the flags, before the horizon is computed."""
    from lupex.ephemeris import time_range

    check_number(
        "--lat",
        lat,
        -90.0,
        -60.0,
        high_open=True,
        hint="lupex maps the south polar region (south of 60 S); give a latitude in degrees",
        api="lat_deg",
    )
    check_number("--lon", lon, hint="give an east longitude in degrees", api="lon_deg")
    check_number(
        "--height-m",
        height_m,
        0.0,
        10_000.0,
        hint="give the observer height above the terrain in metres",
        api="observer_height_m",
    )
    time_range(start, end, step, max_count=1_000_000, names=("--start", "--end", "--step"))
    if out is not None:
        check_out_file("--out", out, "series" + out.suffix)
    if plot is not None:
        check_out_file("--plot", plot, "horizon.png")


@illumination_app.command("site")
def illumination_site(
    lat: Annotated[float, typer.Option("--lat", help="Site latitude [deg].")],
    lon: Annotated[float, typer.Option("--lon", help="Site east longitude [deg].")],
    start: Annotated[str, typer.Option("--start", help="Period start, UTC.")],
    end: Annotated[str, typer.Option("--end", help="Period end, UTC (inclusive).")],
    step: Annotated[str, typer.Option("--step", help="Time step: 30min, 2h, 1d ...")] = "1h",
    height_m: Annotated[float, typer.Option("--height-m", help="Observer height above the terrain [m].")] = 0.0,
    dem: Annotated[
        str | None, typer.Option("--dem", help="DEM (default: finest bundled DEM covering the site).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the series to FILE.csv or FILE.json.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a polar horizon plot to FILE.png.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {summary, series} as JSON on stdout.")] = False,
) -> None:
    """Sun elevation, horizon at the Sun, visible fraction, Earth elevation and visibility at one site."""
    from lupex.illumination import site_illumination
    from lupex.io import read_dem
    from lupex.io.tables import write_bytes, write_csv, write_json
    from lupex.reporting import horizon_polar_png

    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise typer.BadParameter(f"--out {str(out)!r} must end in .csv or .json")
    if plot is not None and plot.suffix.lower() != ".png":
        raise typer.BadParameter(f"--plot {str(plot)!r} must end in .png")
    _check_site_options(lat, lon, start, end, step, height_m, out, plot)
    terrain = read_dem(dem) if dem else None
    result = site_illumination(lat, lon, start, end, step, observer_height_m=height_m, dem=terrain)
    records = result.records()
    if out is not None:
        if out.suffix.lower() == ".csv":
            write_csv(records, out)
        else:
            write_json({"summary": result.summary(), "series": records}, out)
    if plot is not None:
        write_bytes(horizon_polar_png(result), plot)
    if as_json:
        sys.stdout.write(json.dumps({"summary": result.summary(), "series": records}, indent=2, allow_nan=False) + "\n")
    elif out is None:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0].keys()))
        writer.writeheader()
        writer.writerows(records)
    else:
        summary = result.summary()
        for key, value in summary.items():
            text = f"{value:.4f}" if isinstance(value, float) and math.isfinite(value) else str(value)
            sys.stdout.write(f"{key}: {text}\n")
