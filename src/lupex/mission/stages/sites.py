"""The ``sites`` stage: illumination, PSRs, Earth visibility, temperatures and ice, and ranked landing sites."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from lupex.ephemeris import parse_time
from lupex.illumination.horizon import ALGORITHM_VERSION as HORIZON_ALGORITHM_VERSION
from lupex.mission.scenario import Scenario
from lupex.mission.stage import MapLayer, OutputContext, Stage, StageContext, StageReport, Validation
from lupex.reporting import hillshade, map_quicklook_png, sites_map_png
from lupex.reporting.html import Section, image_html, table_html
from lupex.reporting.writers import write_candidate_files, write_geotiff_layers
from lupex.sites import SiteSelection, select_sites, site_metrics
from lupex.terrain import read_dem

__all__ = ["SitesResult", "SitesStage"]

#: Metric maps of a run written as GeoTIFFs under maps/.
RUN_MAPS = ("mean_illumination", "psr", "earth_visibility", "longest_darkness_h", "slope_deg", "t_max_K", "t_mean_K",
            "ice_stability_depth_m")  # fmt: skip
#: Horizon azimuths of the 240 m site statistics.
N_AZIMUTH = 180


@dataclass(frozen=True)
class SitesResult:
    """The ``sites`` stage's result.

    Attributes
    ----------
    metrics : xarray.Dataset
        Landing-site metrics (illumination, PSR, Earth, thermal, ice) on the DEM grid around the region.
    selection : SiteSelection
        Constraints, TOPSIS ranking and the candidates.
    dem : xarray.DataArray
        Heights [m] on the metrics grid (hillshades).
    dem_source : str
        The DEM as the scenario names it.
    ellipse_xy_m : (ndarray, ndarray) or None
        Outline of the flight stage's 3-sigma landing ellipse aimed at the top candidate [m] (None without one).
    """

    metrics: xr.Dataset
    selection: SiteSelection
    dem: xr.DataArray
    dem_source: str
    ellipse_xy_m: tuple[np.ndarray, np.ndarray] | None = None

    def region_crop(self, pad: int) -> tuple[xr.Dataset, xr.DataArray]:
        """Metrics and DEM cropped to the search region plus ``pad`` cells."""
        inside = np.asarray(self.metrics["in_region"].values, dtype=bool)
        rows, cols = np.nonzero(inside.any(axis=1))[0], np.nonzero(inside.any(axis=0))[0]
        if rows.size == 0:
            return self.metrics, self.dem
        r0, r1 = max(int(rows[0]) - pad, 0), min(int(rows[-1]) + pad + 1, inside.shape[0])
        c0, c1 = max(int(cols[0]) - pad, 0), min(int(cols[-1]) + pad + 1, inside.shape[1])
        box = {"y": slice(r0, r1), "x": slice(c0, c1)}
        return self.metrics.isel(box), self.dem.isel(box)


def _ranked_by_safe_touchdown(selection: SiteSelection, dispersion: Any, dem: xr.DataArray) -> SiteSelection:
    """Candidates with P(safe touchdown) of the flight stage's dispersion aimed at each of them (on the traverse
    DEM; NaN off it), re-ranked by ``landing_score = topsis_score * p_safe`` (the score of a site, given the chance
    of landing on it safely); candidates without a P(safe) come after the others, by TOPSIS score."""
    from lupex.flight.dispersion import safe_fraction_at

    rows = []
    for c in selection.candidates:
        p, low, _ = safe_fraction_at(dispersion, dem, float(c["x_m"]), float(c["y_m"]))
        known = math.isfinite(p)
        rows.append({**c, "p_safe": round(p, 4) if known else None, "p_safe_ci95_low": round(low, 4) if known else None,
                     "landing_score": round(float(c["topsis_score"]) * p, 6) if known else None})  # fmt: skip
    rows.sort(key=lambda r: (r["landing_score"] is None, -(r["landing_score"] or 0.0), -float(r["topsis_score"])))
    ranked = [{**r, "topsis_rank": r["rank"], "rank": i + 1} for i, r in enumerate(rows)]
    return replace(selection, candidates=ranked)


def _ellipse_layer(outline_m: tuple[np.ndarray, np.ndarray], res_m: float = 5.0) -> MapLayer:
    """The landing ellipse at the top candidate as a raster overlay (1 inside, blank outside) on a 5 m grid."""
    from matplotlib.path import Path as OutlinePath

    ex, ey = outline_m
    x = np.arange(ex.min() - res_m, ex.max() + 2 * res_m, res_m)
    y = np.arange(ey.max() + res_m, ey.min() - 2 * res_m, -res_m)
    xx, yy = np.meshgrid(x, y)
    inside = OutlinePath(np.column_stack([ex, ey])).contains_points(np.column_stack([xx.ravel(), yy.ravel()]))
    grid = xr.DataArray(np.where(inside.reshape(xx.shape), 1.0, np.nan), coords={"y": y, "x": x}, dims=("y", "x"))
    return MapLayer("landing_ellipse", "Landing ellipse (3 sigma) at the top site", grid, "autumn", 0.0, 1.0, "")


def _period(scenario: Scenario) -> tuple[np.datetime64, np.datetime64]:
    t0 = parse_time(scenario.value("period.start_utc"), "period.start_utc")
    days = float(scenario.get("period.illumination_days", 365.0))
    return t0, t0 + np.timedelta64(int(round(days * 86400)), "s")


class SitesStage(Stage):
    """Illumination, PSR, Earth, thermal and ice maps of the search region, then landing-site ranking."""

    name: ClassVar[str] = "sites"
    title: ClassVar[str] = "Landing sites"
    version: ClassVar[str] = "2"
    reads: ClassVar[tuple[str, ...]] = ("period", "search_region", "sites", "terrain")
    needs: ClassVar[tuple[str, ...]] = ("flight",)
    validations: ClassVar[tuple[Validation, ...]] = (
        Validation("Sun and Earth directions", "SPICE (spiceypy) with the same kernels, sub-arcsecond",
                   "tests/ephemeris"),
        Validation("Horizons and illumination", "GRASS GIS r.horizon / r.sun and analytic craters; PSR areas vs "
                   "Mazarico et al. 2011", "tests/illumination, docs/models/illumination.md"),
        Validation("Regolith temperatures", "Hayne et al. 2017 Table A2 (+-5 K), heat1d 0.3.2 (2 K), Ingersoll "
                   "et al. 1992 bowl (1.5 K)", "tests/thermal, scripts/validate_heat1d.py"),
        Validation("Terrain thermal map", "point model on level ground (1 K surface, 1.5 K at depth)",
                   "tests/thermal/test_terrain_map.py"),
        Validation("Landing sites", "Shackleton floor PSR and ice-stable; top candidates on the rim / connecting "
                   "ridge", "tests/sites/test_sites_real.py"),
    )  # fmt: skip

    def cache_inputs(self, scenario: Scenario) -> tuple[Any, ...]:
        # the horizon algorithm's version: its maps feed every number here (and, through this key, downstream)
        return (*scenario.dem_key("sites"), HORIZON_ALGORITHM_VERSION)

    def run(self, ctx: StageContext) -> SitesResult:
        sc = ctx.scenario
        t0, end = _period(sc)
        region = (float(sc.value("search_region.lat_deg")), float(sc.value("search_region.lon_deg")),
                  float(sc.value("search_region.radius_km")))  # fmt: skip
        spec = sc.dem("sites")
        dem = read_dem(spec)
        metrics = site_metrics(
            dem, t0, end, f"{float(sc.get('period.illumination_step_h', 6.0))}h", region=region,
            n_azimuth=N_AZIMUTH, thermal_step=f"{float(sc.get('period.thermal_step_h', 3.0))}h", cache=ctx.cache,
            progress=ctx.progress, executor=ctx.executor(),
        )  # fmt: skip
        s = sc.section("sites")
        names = {"lander_max_slope_deg": "max_slope_deg", "min_mean_illumination": "min_mean_illumination"}
        constraints: dict[str, float] = {names[k]: float(s[k]) for k in names if k in s}
        flight = ctx.upstream.get("flight")
        dispersion = getattr(flight, "dispersion", None)
        ellipse = dispersion.semi_major_m if dispersion is not None else s.get("landing_ellipse_3sigma_m")
        selection = select_sites(
            metrics, top=int(s.get("top", 10)), constraints=constraints,  # type: ignore[arg-type]
            ellipse_radius_m=ellipse,
        )  # fmt: skip
        outline = None
        if dispersion is not None:
            from lupex.flight.dispersion import aimed_at

            fine = read_dem(sc.dem("traverse"))
            selection = _ranked_by_safe_touchdown(selection, dispersion, fine)
            if selection.candidates:
                top = selection.candidates[0]
                outline = aimed_at(dispersion, fine, float(top["x_m"]), float(top["y_m"])).ellipse_xy()
        return SitesResult(metrics, selection, dem.sel(x=metrics["x"], y=metrics["y"]), spec, outline)

    def summary(self, result: SitesResult, ctx: OutputContext) -> dict[str, Any]:
        m = result.metrics
        inside = np.asarray(m["in_region"].values, dtype=bool)
        ice = np.asarray(m["ice_class"].values)[inside]
        out: dict[str, Any] = {
            "dem": result.dem_source,
            "region_cells": int(inside.sum()),
            "region_cell_size_m": float(m.attrs.get("res_m", 240.0)),
            "psr_fraction_of_region": round(float(np.nanmean(np.asarray(m["psr"].values)[inside] > 0.5)), 4),
            "max_mean_illumination": round(float(np.nanmax(np.asarray(m["mean_illumination"].values)[inside])), 4),
            "ice_stable_at_surface_cells": int((ice == 0).sum()),
            "ice_buried_drillable_cells": int((ice == 1).sum()),
            "cells_feasible_for_landing": result.selection.n_feasible,
            "landing_ellipse_m": round(float(result.selection.ellipse_radius_m), 2),
            "n_candidates": len(result.selection.candidates),
            "landing_site": dict(result.selection.candidates[0]) if result.selection.candidates else None,
            "candidates": result.selection.candidates,
            "removed_by_constraint": result.selection.removed_by,
        }
        return out

    def kpis(self, result: SitesResult, ctx: OutputContext) -> list[tuple[str, str]]:
        c = result.selection.candidates
        if not c:
            return [("landing candidates", "none")]
        top = c[0]
        return [
            ("landing site lat, lon [deg]", f"{top['lat_deg']:.4f}, {top['lon_deg']:.3f}"),
            ("mean illumination at the site", f"{top['mean_illumination_fraction']:.0%}"),
            ("Earth visibility at the site", f"{top['earth_visibility_fraction']:.0%}"),
            ("longest darkness at the site [h]", f"{top['longest_darkness_h']:.0f}"),
            ("cells with drillable buried ice", f"{self.summary(result, ctx)['ice_buried_drillable_cells']}"),
        ]

    def placeholders(self, result: SitesResult, ctx: OutputContext) -> list[str]:
        return list(result.selection.placeholders)

    def report(self, result: SitesResult, ctx: OutputContext) -> StageReport:
        figs = _figures(result, ctx.scenario.name)
        return StageReport([_illumination_section(ctx.scenario, result, figs), _ice_section(figs),
                            _sites_section(result, figs)], figs)  # fmt: skip

    def layers(self, result: SitesResult, ctx: OutputContext) -> list[MapLayer]:
        m, dem = result.region_crop(pad=6)
        res = float(m.attrs.get("res_m", 240.0))
        shade = xr.DataArray(hillshade(np.asarray(dem.values, dtype=np.float64), res), coords=dem.coords,
                             dims=dem.dims)  # fmt: skip
        psr = m["psr"].where(m["psr"] > 0.5)
        layers = [
            MapLayer("hillshade", "Hillshade", shade, "gray", -0.2, 1.0, "", opaque=True),
            MapLayer("illumination", "Mean illumination", m["mean_illumination"], "viridis", 0.0, 1.0, "fraction"),
            MapLayer("psr", "Permanent shadow", psr, "Blues", 0.0, 1.0, "PSR"),
            MapLayer("earth", "Earth visibility", m["earth_visibility"], "cividis", 0.0, 1.0, "fraction"),
            MapLayer("ice", "Ice stability depth", m["ice_stability_depth_m"], "viridis_r", 0.0, 1.5, "m"),
        ]
        if result.ellipse_xy_m is not None:
            layers.append(_ellipse_layer(result.ellipse_xy_m))
        return layers

    def web_data(self, result: SitesResult, ctx: OutputContext) -> dict[str, Any]:
        keys = ("rank", "x_m", "y_m", "lat_deg", "lon_deg")
        return {"candidates": [{k: c[k] for k in keys} for c in result.selection.candidates]}

    def write_files(self, result: SitesResult, ctx: OutputContext, out: Path) -> list[str]:
        files = write_geotiff_layers(result.metrics, {n: n for n in RUN_MAPS}, out / "maps")
        if result.selection.candidates:
            files += write_candidate_files(result.selection.candidates, out)
        return files


def _figures(result: SitesResult, scenario_name: str) -> dict[str, bytes]:
    m, dem = result.region_crop(pad=4)
    q = map_quicklook_png
    return {
        "mean_illumination.png": q(m["mean_illumination"], "Mean illumination at 2 m", "fraction", vmin=0.0, vmax=1.0),
        "psr.png": q(m["psr"], "Permanently shadowed (18.6-year cycle)", "1 = PSR", cmap="Blues", vmin=0.0, vmax=1.0),
        "earth_visibility.png": q(m["earth_visibility"], "Earth visibility", "fraction", cmap="cividis", vmin=0.0,
                                  vmax=1.0),
        "longest_darkness_h.png": q(m["longest_darkness_h"], "Longest darkness", "h", cmap="magma_r"),
        "ice_stability_depth_m.png": q(m["ice_stability_depth_m"], "Ice stability depth (blank: none within the "
                                       "drill depth)", "m", cmap="viridis_r", vmin=0.0, vmax=1.5),
        "t_max_K.png": q(m["t_max_K"], "Maximum surface temperature", "K", cmap="inferno"),
        "sites.png": sites_map_png(dem, m, result.selection.candidates, f"Landing candidates, {scenario_name}",
                                   result.ellipse_xy_m),
    }  # fmt: skip


def _figure_row(figs: dict[str, bytes], items: tuple[tuple[str, str], ...]) -> str:
    return '<div class="figures">' + "".join(image_html(figs[n], c) for n, c in items) + "</div>"


def _illumination_section(sc: Scenario, result: SitesResult, figs: dict[str, bytes]) -> Section:
    note = (
        f"Search region: {sc.value('search_region.radius_km'):g} km around {sc.value('search_region.lat_deg'):g}, "
        f"{sc.value('search_region.lon_deg'):g} on the {result.dem_source} DEM; "
        f"{sc.get('period.illumination_days', 365.0):g} days from {sc.value('period.start_utc')} at "
        f"{sc.get('period.illumination_step_h', 6.0):g} h."
    )
    return Section("illumination", "Illumination, PSRs and Earth visibility", [
        f'<p class="note">{html.escape(note)}</p>',
        _figure_row(figs, (
            ("mean_illumination.png", "Mean fraction of the Sun visible at 2 m"),
            ("psr.png", "Permanently shadowed regions over the 18.6-year precession cycle"),
            ("earth_visibility.png", "Fraction of time Earth is above the horizon"),
            ("longest_darkness_h.png", "Longest continuous darkness [h]"),
        )),
    ])  # fmt: skip


def _ice_section(figs: dict[str, bytes]) -> Section:
    return Section("ice", "Temperatures and ice stability", [
        '<p class="note">Hayne et al. (2017) regolith model under the terrain\'s shadows, scattered light and '
        "infrared; ice is stable where the maximum temperature stays below 110 K (Schorghofer-style).</p>",
        _figure_row(figs, (("ice_stability_depth_m.png", "Ice stability depth [m]"),
                           ("t_max_K.png", "Maximum surface temperature [K]"))),
    ])  # fmt: skip


def _sites_section(result: SitesResult, figs: dict[str, bytes]) -> Section:
    sel = result.selection
    columns = ("rank", "lat_deg", "lon_deg", "topsis_score", "p_safe", "landing_score",
               "mean_illumination_fraction", "longest_darkness_h", "earth_visibility_fraction", "slope_deg",
               "rover_path_to_ice_m", "pareto")  # fmt: skip
    return Section("sites", "Landing sites", [
        f"<p>{sel.n_cells} cells considered, {sel.n_feasible} meet every hard constraint, {sel.n_pareto} on the "
        f"Pareto front; landing ellipse {sel.ellipse_radius_m:g} m (3 sigma), scored on its worst cell.</p>",
        _figure_row(figs, (("sites.png", "Candidates (orange, by rank), PSRs (blue), ice-stable ground (cyan), the "
                                         "3-sigma landing ellipse at the top candidate (red)"),)),
        table_html(sel.candidates, [c for c in columns if sel.candidates and c in sel.candidates[0]]),
        "<h3>Cells removed by each constraint</h3>",
        table_html([{"constraint": k, "cells removed": v} for k, v in sel.removed_by.items()]),
    ])  # fmt: skip
