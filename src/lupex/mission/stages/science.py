"""The ``science`` stage: a synthetic subsurface under the route, the instruments' returns along the planned
traverse, and the Bayesian water-ice resource estimate (P10/P50/P90) with the value of one more drill hole."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import xarray as xr

from lupex.defaults import default
from lupex.errors import InputError
from lupex.io.tables import write_csv
from lupex.mission.quantity import Parameter, SectionModel, number
from lupex.mission.scenario import Scenario
from lupex.mission.stage import MapLayer, OutputContext, Stage, StageContext, StageReport, Validation
from lupex.mission.stages.sites import SitesResult
from lupex.mission.stages.traverse import TraverseResult
from lupex.reporting.html import Section, image_html, table_html
from lupex.reporting.science_figures import (
    drill_profiles_png,
    mass_distribution_png,
    neutron_track_png,
    posterior_maps_png,
    radargram_png,
)
from lupex.reporting.writers import write_geotiff_layers
from lupex.science.estimate import (
    DensityProfile,
    DrillValueMap,
    EstimatePrior,
    ResourceEstimate,
    resource_estimate,
    value_of_drill_map,
)
from lupex.science.isru import IsruExtraction, isru_extraction_from_estimate
from lupex.science.observations import Observations
from lupex.science.route import observe_route
from lupex.science.subsurface import Subsurface, regolith_density_kg_m3, subsurface_model
from lupex.terrain import latlon_to_xy

__all__ = ["ScienceProducts", "ScienceResult", "ScienceSection", "ScienceStage", "science_products"]

P = Parameter | None
#: Grid step of the prospect area [m] (coarser than the 10 m DEM would make the patchy ice too smooth).
GRID_STEP_M = 5.0
DEFAULT_RADAR_FREQUENCY_HZ = float(default("science_radar_frequency_Hz"))


class ScienceSection(SectionModel):
    """``[science]``: the ice prior, the truth's seed and correlation length, the estimate's realisations."""

    prior_weh_wt_pct: Annotated[P, number("percent", 0.0, 100.0)] = None
    prior_sd_wt_pct: Annotated[P, number("percent", 0.0, 100.0)] = None
    correlation_length_m: Annotated[P, number("m", 0.5, 1000.0)] = None
    seed: Annotated[P, number("", 0, 2**31 - 1, integer=True)] = None
    realisations: Annotated[P, number("", 50, 5000, integer=True)] = None
    reach_m: Annotated[P, number("m", 10.0, 5000.0)] = None
    extraction_power_W: Annotated[P, number("W", 1.0, 1e6)] = None
    radar_frequency_Hz: Annotated[P, number("Hz", 1e6, 1e10)] = None
    radar_bandwidth_Hz: Annotated[P, number("Hz", 1e6, 1e10)] = None


@dataclass(frozen=True)
class ScienceResult:
    """The ``science`` stage's result.

    Attributes
    ----------
    truth : Subsurface
        The synthetic subsurface (seeded).
    observations : Observations
        Neutron track, radar picks and drill profiles along the planned route.
    estimate : ResourceEstimate
        Posterior maps and the water mass P10/P50/P90 in the volume.
    truth_water_mass_kg : float
        The synthetic truth's water in the same volume [kg] (the estimator's error is visible).
    drill_value : DrillValueMap or None
        Expected narrowing from one more drill hole per cell.
    isru : IsruExtraction or None
        Thermal extraction of the P50.
    volume_mask : ndarray of bool (ny, nx)
        Ice-stable cells within reach of the landing site.
    route_distance_m : ndarray
        Distance along the route of each neutron integration [m].
    note : str
    radar_frequency_Hz : float
        GPR centre frequency the radar returns used [Hz].
    """

    truth: Subsurface
    observations: Observations
    estimate: ResourceEstimate
    truth_water_mass_kg: float
    drill_value: DrillValueMap | None
    isru: IsruExtraction | None
    volume_mask: np.ndarray
    route_distance_m: np.ndarray
    note: str
    radar_frequency_Hz: float = DEFAULT_RADAR_FREQUENCY_HZ


def _grid(trav: TraverseResult, rx: np.ndarray, ry: np.ndarray, reach_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The prospect grid: the route's bounding box and the disc of ``reach_m`` around the site, plus a margin."""
    if trav.site_lat_deg is None or trav.site_lon_deg is None:
        raise InputError("the science stage needs a landing site inside the traverse DEM; the traverse found none")
    sx, sy = latlon_to_xy(trav.site_lat_deg, trav.site_lon_deg)
    margin = 4 * GRID_STEP_M
    x0, x1 = min(rx.min(), sx - reach_m) - margin, max(rx.max(), sx + reach_m) + margin
    y0, y1 = min(ry.min(), sy - reach_m) - margin, max(ry.max(), sy + reach_m) + margin
    return np.arange(x0, x1, GRID_STEP_M), np.arange(y1, y0, -GRID_STEP_M)


def _stability_depth(sites: SitesResult, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """The thermal stage's ice-stability depth [m] sampled onto the prospect grid (nearest cell)."""
    depth = sites.metrics["ice_stability_depth_m"]
    sampled = depth.sel(x=xr.DataArray(gx, dims="x"), y=xr.DataArray(gy, dims="y"), method="nearest")
    return np.asarray(sampled.transpose("y", "x").values, dtype=np.float64)


def _route(trav: TraverseResult) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    plan = trav.trip.plan
    if plan is None:
        raise InputError("the science stage needs a planned route; the traverse stage found none")
    drills: list[tuple[float, float]] = []
    for s in trav.trip.stations:
        x, y = latlon_to_xy(s.lat_deg, s.lon_deg)
        drills.append((float(x), float(y)))
    return np.asarray(plan.steps["x_m"], float), np.asarray(plan.steps["y_m"], float), drills


@dataclass(frozen=True)
class ScienceProducts:
    """The truth, the returns and the estimate of one seed (what the stage builds before the value map).

    Attributes
    ----------
    truth : Subsurface
    observations : Observations
    estimate : ResourceEstimate
    truth_water_mass_kg : float
        The truth's water in the estimate's volume [kg].
    volume_mask : ndarray of bool (ny, nx)
    grid_x_m, grid_y_m : ndarray
        Prospect grid centres [m].
    prior : EstimatePrior
    density : DensityProfile
    """

    truth: Subsurface
    observations: Observations
    estimate: ResourceEstimate
    truth_water_mass_kg: float
    volume_mask: np.ndarray
    grid_x_m: np.ndarray
    grid_y_m: np.ndarray
    prior: EstimatePrior
    density: DensityProfile


def science_products(sc: Scenario, sites: SitesResult, trav: TraverseResult) -> ScienceProducts:
    """Truth, instrument returns along the route and the resource estimate for the scenario's seed.

    The seed ``science.seed`` draws the truth (seed), the instrument noise (seed + 1) and the estimate's
    realisations (seed + 2); the calibration test runs this over many seeds.
    """
    rx, ry, drills = _route(trav)
    reach = float(sc.get("science.reach_m", 300.0))
    gx, gy = _grid(trav, rx, ry, reach)
    seed = int(sc.get("science.seed", 0))
    stability = _stability_depth(sites, gx, gy)
    truth = subsurface_model(
        gx, gy, stability, seed=seed,
        mean_weh_wt_pct=sc.get("science.prior_weh_wt_pct", None),
        sd_weh_wt_pct=sc.get("science.prior_sd_wt_pct", None),
        correlation_length_m=sc.get("science.correlation_length_m", None),
    )  # fmt: skip
    returns = observe_route(truth, rx, ry, drills, seed=seed + 1,
                            radar_frequency_Hz=sc.get("science.radar_frequency_Hz", None),
                            radar_bandwidth_Hz=sc.get("science.radar_bandwidth_Hz", None))  # fmt: skip
    obs = _burial_corrected(returns, gx, gy, stability)
    mask = _volume_mask(truth, trav, reach)
    prior = _prior(sc, stability[mask])
    depth = float(sc.get("launch.drill_depth_m", 1.5))
    # the regolith density model is physics both sides share (Hayne et al. 2017), not something to estimate
    z = np.linspace(0.0, depth, 61)
    density = DensityProfile(z, regolith_density_kg_m3(z))
    n_real = int(sc.get("science.realisations", 300))
    est = resource_estimate(obs, gx, gy, mask, prior=prior, seed=seed + 2, drill_depth_m=depth,
                            density_kg_m3=density, n_realisations=n_real)  # fmt: skip
    truth_kg = float(truth.water_mass_kg(mask, est.drill_depth_m)) if mask.any() else 0.0
    return ScienceProducts(truth, obs, est, truth_kg, mask, gx, gy, prior, density)


class ScienceStage(Stage):
    """Subsurface truth, instruments along the route, and the resource estimate."""

    name: ClassVar[str] = "science"
    title: ClassVar[str] = "What the mission will find"
    version: ClassVar[str] = "8"
    reads: ClassVar[tuple[str, ...]] = ("science", "rover")
    needs: ClassVar[tuple[str, ...]] = ("sites", "traverse")
    sections: ClassVar[dict[str, type[SectionModel]]] = {"science": ScienceSection}
    validations: ClassVar[tuple[Validation, ...]] = (
        Validation("Instrument forward models", "closed forms (two-way time, resolution, CRIM, reflection), neutron "
                   "inversion round trip, Poisson counting", "tests/science/test_instruments.py"),
        Validation("Resource estimate", "calibration: truth inside P10-P90 in about 80 % of seeds; drills narrow it",
                   "tests/science/test_estimate.py"),
    )  # fmt: skip

    def run(self, ctx: StageContext) -> ScienceResult:
        sc = ctx.scenario
        p = science_products(sc, ctx.result("sites"), ctx.result("traverse"))
        est, mask = p.estimate, p.volume_mask
        value = (value_of_drill_map(p.observations, p.grid_x_m, p.grid_y_m, mask, prior=p.prior,
                                    drill_depth_m=est.drill_depth_m, density_kg_m3=p.density)
                 if mask.any() else None)  # fmt: skip
        power = float(sc.get("science.extraction_power_W", sc.get("rover.hotel_W", 60.0)))
        isru = isru_extraction_from_estimate(est, power) if est.water_mass_p50_kg > 0 else None
        track = _track_distance_m(p.observations)
        f_hz = float(sc.get("science.radar_frequency_Hz", DEFAULT_RADAR_FREQUENCY_HZ))
        return ScienceResult(p.truth, p.observations, est, p.truth_water_mass_kg, value, isru, mask, track,
                             est.upgrade_note, f_hz)  # fmt: skip

    def summary(self, result: ScienceResult, ctx: OutputContext) -> dict[str, Any]:
        est, obs = result.estimate, result.observations
        out: dict[str, Any] = {
            "water_mass_kg": {"p10": round(est.water_mass_p10_kg, 1), "p50": round(est.water_mass_p50_kg, 1),
                              "p90": round(est.water_mass_p90_kg, 1)},
            "truth_water_mass_kg": round(result.truth_water_mass_kg, 1),
            "volume_m3": round(est.volume_m3, 1),
            "area_m2": round(est.area_m2, 1),
            "mean_density_kg_m3": round(est.mean_density_kg_m3, 1),
            "n_drill_samples": int(sum(d.weh_wt_pct.size for d in obs.drills)),
            "n_drill_holes": len(obs.drills),
            "ns_integrations": 0 if obs.neutron is None else int(obs.neutron.x_m.size),
            "radar_traces": 0 if obs.radar is None else int(obs.radar.x_m.size),
            "estimate_class": est.estimate_class,
            "relative_spread": None if not np.isfinite(est.relative_spread) else round(est.relative_spread, 3),
            "upgrade_note": est.upgrade_note,
        }  # fmt: skip
        if result.isru is not None:
            out["isru"] = {"energy_kwh_per_kg": round(result.isru.energy_kwh_per_kg, 3),
                           "extractable_water_kg": round(result.isru.extractable_water_kg, 1),
                           "extraction_days": round(result.isru.extraction_days, 1),
                           "power_W": result.isru.power_w}  # fmt: skip
        return out

    def kpis(self, result: ScienceResult, ctx: OutputContext) -> list[tuple[str, str]]:
        e = result.estimate
        return [("water P10 / P50 / P90 [kg]", f"{e.water_mass_p10_kg:,.0f} / {e.water_mass_p50_kg:,.0f} / "
                 f"{e.water_mass_p90_kg:,.0f}"), ("estimate class", e.estimate_class)]  # fmt: skip

    def report(self, result: ScienceResult, ctx: OutputContext) -> StageReport:
        figs = _figures(result, ctx.scenario.name)
        return StageReport([_science_section(self, result, ctx, figs)], figs)

    def layers(self, result: ScienceResult, ctx: OutputContext) -> list[MapLayer]:
        e = result.estimate
        coords = {"y": e.y_m, "x": e.x_m}
        mean = xr.DataArray(np.where(result.volume_mask, e.weh_mean_wt_pct, np.nan), coords=coords, dims=("y", "x"))
        sd = xr.DataArray(np.where(result.volume_mask, e.weh_sd_wt_pct, np.nan), coords=coords, dims=("y", "x"))
        top = float(np.nanmax(mean.values)) if np.isfinite(mean.values).any() else 1.0
        layers = [MapLayer("weh_posterior", "Posterior water (WEH) [wt%]", mean, "Blues", 0.0, top, "wt%"),
                  MapLayer("weh_sd", "Posterior WEH uncertainty [wt%]", sd, "magma", 0.0, top, "wt%")]  # fmt: skip
        if result.drill_value is not None:
            v = result.drill_value.p10_p90_width_reduction_kg
            grid = xr.DataArray(np.where(v > 0, v, np.nan), coords=coords, dims=("y", "x"))
            hi = float(np.nanmax(grid.values)) if np.isfinite(grid.values).any() else 1.0
            layers.append(MapLayer("drill_value", "Value of one more drill hole [kg of P10-P90 width]", grid,
                                   "viridis", 0.0, hi, "kg"))  # fmt: skip
        return layers

    def web_data(self, result: ScienceResult, ctx: OutputContext) -> dict[str, Any]:
        holes = [{"x_m": round(float(d.x_m), 1), "y_m": round(float(d.y_m), 1),
                  "mean_weh_wt_pct": round(float(np.mean(d.weh_wt_pct)), 3)} for d in result.observations.drills]
        return {"drill_holes": holes}  # fmt: skip

    def write_files(self, result: ScienceResult, ctx: OutputContext, out: Path) -> list[str]:
        e = result.estimate
        crs = ctx.results["sites"].metrics.attrs["crs"] if "sites" in ctx.results else ""
        maps = {"weh_mean_wt_pct": e.weh_mean_wt_pct, "weh_sd_wt_pct": e.weh_sd_wt_pct,
                "burial_depth_mean_m": e.burial_depth_mean_m}  # fmt: skip
        ds = xr.Dataset({k: (("y", "x"), v) for k, v in maps.items()}, coords={"y": e.y_m, "x": e.x_m},
                        attrs={"crs": crs})  # fmt: skip
        files = write_geotiff_layers(ds, {k: k for k in maps}, out / "science")
        rows = [{"realisation": i, "water_mass_kg": round(float(v), 2)} for i, v in enumerate(e.realisations_kg)]
        files.append(str(write_csv(rows, out / "science" / "water_mass_realisations.csv")))
        return files


def _prior(sc: Scenario, stability_depth_m: np.ndarray) -> EstimatePrior:
    """The estimate's prior: WEH from the scenario's mean and sd (log-normal moments) and correlation length; the
    burial depth from the thermal model's ice-stability depth over the volume (what the mission knows before it
    measures), with a spread of at least 5 cm."""
    from dataclasses import replace

    from lupex.defaults import default

    mean = float(sc.get("science.prior_weh_wt_pct", default("science_weh_prior_mean_wt_pct")))
    sd = float(sc.get("science.prior_sd_wt_pct", default("science_weh_prior_sd_wt_pct")))
    ratio2 = (sd / mean) ** 2 if mean > 0 else 1.0
    median = max(mean / np.sqrt(1.0 + ratio2), 1e-3)
    length = _exponential_equivalent_length_m(
        float(sc.get("science.correlation_length_m", default("science_correlation_length_m")))
    )
    depth = stability_depth_m[np.isfinite(stability_depth_m)]
    burial = {"burial_mean_m": float(depth.mean()), "burial_sd_m": max(float(depth.std()), 0.05)} if depth.size else {}
    return replace(EstimatePrior(), weh_median_wt_pct=median, weh_log_sd=float(np.sqrt(np.log1p(ratio2))),
                   weh_corr_length_m=length, **burial)  # fmt: skip


def _burial_corrected(obs: Observations, gx: np.ndarray, gy: np.ndarray, stability_m: np.ndarray) -> Observations:
    """Neutron WEH of the wet layer instead of the uniform-layer inversion.

    The uniform-layer inversion reads a wet layer under dry regolith low: the two-layer model gives
    ``C/c0 = 1 - (1 - f(WEH)) exp(-d/L)`` (:func:`lupex.science.neutron.two_layer_epithermal_ratio`). With the
    burial ``d`` the thermal model predicts at each footprint (known before measuring), the layer's WEH is
    ``f^-1(1 - (1 - f(WEH_uniform)) exp(d/L))``, at most pure ice (100 wt%); its uncertainty is the same map applied
    to WEH_uniform -+ sd (the correction amplifies the counting noise). Footprints without a predicted burial keep
    the uniform value.
    """
    from dataclasses import replace

    from lupex.defaults import default
    from lupex.science.neutron import epithermal_ratio, weh_from_counts_wt_pct

    n = obs.neutron
    if n is None or n.x_m.size == 0:
        return obs
    j = np.clip(np.rint((n.x_m - gx[0]) / (gx[1] - gx[0])).astype(int), 0, gx.size - 1)
    i = np.clip(np.rint((n.y_m - gy[0]) / (gy[1] - gy[0])).astype(int), 0, gy.size - 1)
    d = stability_m[i, j]
    gain = np.where(np.isfinite(d), np.exp(np.where(np.isfinite(d), d, 0.0) / default("science_ns_leakage_depth_m")),
                    1.0)  # fmt: skip
    floor = float(epithermal_ratio(100.0))  # a layer of pure ice: the lowest ratio a wet layer can have

    def layer_weh(weh_uniform: np.ndarray) -> np.ndarray:
        ratio = np.clip(1.0 - (1.0 - epithermal_ratio(np.maximum(weh_uniform, 0.0))) * gain, floor, 1.0)
        return weh_from_counts_wt_pct(1.0, 1.0 / ratio)  # one count against 1/ratio dry counts: c0/C = 1/ratio

    weh = layer_weh(n.weh_wt_pct)
    # the correction amplifies the counting noise by up to exp(d/L): propagate it through the same map
    spread = (layer_weh(n.weh_wt_pct + n.weh_sd_wt_pct) - layer_weh(n.weh_wt_pct - n.weh_sd_wt_pct)) / 2.0
    return replace(obs, neutron=replace(n, weh_wt_pct=weh, weh_sd_wt_pct=np.maximum(spread, n.weh_sd_wt_pct)))


def _track_distance_m(obs: Observations) -> np.ndarray:
    """Distance along the route of each neutron integration [m]."""
    n = obs.neutron
    if n is None:
        return np.zeros(0)
    return np.asarray(np.hypot(np.diff(n.x_m, prepend=n.x_m[0]), np.diff(n.y_m, prepend=n.y_m[0])).cumsum())


def _exponential_equivalent_length_m(matern_length_m: float) -> float:
    """Length of the exponential covariance with the same 2-D integral range as the truth's Matern field.

    Areal sums (the water in a volume) depend on the integral of the covariance over the plane, ``2 pi L^2`` for an
    exponential ``exp(-r/L)``; matching it makes the estimate's spread of the areal mass consistent with the
    field it describes (for gstools' Matern nu = 1.5 it is sqrt(2) times the Matern length scale).
    """
    import gstools as gs
    from scipy.integrate import quad

    from lupex.defaults import default

    model = gs.Matern(dim=2, var=1.0, len_scale=matern_length_m, nu=default("science_matern_nu"))
    integral, _ = quad(lambda r: float(model.correlation(r)) * r, 0.0, 200.0 * matern_length_m, limit=500)
    return float(np.sqrt(integral))


def _volume_mask(truth: Subsurface, trav: TraverseResult, reach_m: float) -> np.ndarray:
    """Cells where the thermal map keeps ice within the drill depth, within ``reach_m`` of the landing site."""
    sx, sy = latlon_to_xy(trav.site_lat_deg or 0.0, trav.site_lon_deg or 0.0)
    xx, yy = np.meshgrid(truth.x_m, truth.y_m)
    return np.asarray(np.isfinite(truth.burial_depth_m) & (np.hypot(xx - sx, yy - sy) <= reach_m))


def _figures(result: ScienceResult, name: str) -> dict[str, bytes]:
    e, n = result.estimate, result.observations.neutron
    figs = {"science_mass.png": mass_distribution_png(e.realisations_kg, e.water_mass_p10_kg, e.water_mass_p50_kg,
                                                       e.water_mass_p90_kg, result.truth_water_mass_kg,
                                                       f"Water in the volume, {name}")}  # fmt: skip
    figs.update(_instrument_figures(result, name))
    if result.volume_mask.any():
        obs = result.observations
        route = (obs.radar.x_m, obs.radar.y_m) if obs.radar is not None and obs.radar.x_m.size > 1 else None
        figs["science_posterior.png"] = posterior_maps_png(
            e.x_m, e.y_m, np.where(result.volume_mask, e.weh_mean_wt_pct, np.nan),
            np.where(result.volume_mask, e.weh_sd_wt_pct, np.nan), route, [(d.x_m, d.y_m) for d in obs.drills],
            f"Posterior water in the volume, {name}",
        )  # fmt: skip
    if n is not None and n.x_m.size > 1:
        figs["science_neutron.png"] = neutron_track_png(
            result.route_distance_m, n.epithermal_counts, n.weh_wt_pct, n.weh_sd_wt_pct,
            f"Neutron spectrometer along the route, {name}",
        )  # fmt: skip
    return figs


def _instrument_figures(result: ScienceResult, name: str) -> dict[str, bytes]:
    """The radargram along the route (recomputed over the truth at the traces, with the picks) and the drill
    profiles against the truth."""
    from lupex.science.radar import column_permittivity, radargram

    out: dict[str, bytes] = {}
    truth, obs = result.truth, result.observations
    r = obs.radar
    if r is not None and r.x_m.size > 1:
        gram = radargram(column_permittivity(truth, r.x_m, r.y_m), truth.depth_step_m, seed=0,
                         frequency_Hz=result.radar_frequency_Hz)  # fmt: skip
        along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(r.x_m), np.diff(r.y_m)))])
        pick_ns = r.depth_m * 2.0 * np.sqrt(default("science_regolith_permittivity")) / 0.299792458
        out["science_radargram.png"] = radargram_png(along, gram.twt_ns, gram.amplitude, pick_ns,
                                                     f"Ground-penetrating radar along the route, {name}")  # fmt: skip
    profiles = []
    for k, d in enumerate(obs.drills):
        iy, ix = truth.nearest_index(d.x_m, d.y_m)
        mid = (d.depth_top_m + d.depth_bottom_m) / 2.0
        column = np.interp(mid, truth.depth_m, truth.weh_wt_pct[int(iy), int(ix), :])
        profiles.append((f"station {k + 1}", mid, d.weh_wt_pct, d.weh_sd_wt_pct, column))
    if profiles:
        out["science_drills.png"] = drill_profiles_png(profiles, f"Drill samples against the truth, {name}")
    return out


def _science_section(stage: ScienceStage, result: ScienceResult, ctx: OutputContext,
                     figs: dict[str, bytes]) -> Section:  # fmt: skip
    s = stage.summary(result, ctx)
    note = (f"Water in {s['volume_m3']:,.0f} m3 of ice-stable ground within reach (to the drill depth, mean density "
            f"{s['mean_density_kg_m3']:.0f} kg/m3): P10 {s['water_mass_kg']['p10']:,.0f} kg, P50 "
            f"{s['water_mass_kg']['p50']:,.0f} kg, P90 {s['water_mass_kg']['p90']:,.0f} kg ({s['estimate_class']}); "
            f"the synthetic truth holds {s['truth_water_mass_kg']:,.0f} kg. {s['upgrade_note']}")  # fmt: skip
    captions = (("science_mass.png", "Water mass over the realisations"), ("science_neutron.png", "Neutron counts"),
                ("science_radargram.png", "Radargram and picks"), ("science_drills.png", "Drill profiles vs truth"),
                ("science_posterior.png", "Posterior mean and sd of WEH"))
    row = "".join(image_html(figs[k], c) for k, c in captions if k in figs)
    parts = [f"<p>{html.escape(note)}</p>", f'<div class="figures">{row}</div>',
             table_html([{k: v for k, v in s.items() if not isinstance(v, dict)}])]  # fmt: skip
    return Section("science", "What the mission will find: ice along the route", parts)
