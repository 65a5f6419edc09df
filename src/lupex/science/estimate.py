"""Fusion of the instruments' returns into a water-resource estimate of a prospect area.

Two independent Gaussian processes (simple kriging, conditioned here with numpy/scipy):

* log-WEH (natural log of water-equivalent hydrogen in wt%) with an exponential covariance, prior median and
  log-sd from LCROSS (Colaprete et al. 2010); neutron footprints and drill holes are point observations with a
  nugget equal to each observation's own variance in log space (delta method, ``sd_log = sd / value``);
* burial depth of the ice-bearing layer [m] from the radar picks and the drill holes (top of the first bin with
  water).

The water mass in a volume (a mask of ice-stable cells within reach, down to the drill depth) is the sum over
cells of ``weh / 100 * column_mass(burial -> drill depth) * cell_area``, drawn from conditioned realisations of
both fields on a coarsened set of mass points; P10/P50/P90 of the ensemble, an estimate class from the relative
spread, and (``value_of_drill_map``) the expected reduction of the mass variance from one more drill hole at
each grid cell. Model card: ``docs/models/ice_estimate.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg as sla
from numpy.typing import ArrayLike, NDArray

from lupex.defaults import DEFAULTS
from lupex.errors import InputError
from lupex.science.observations import Observations

__all__ = [
    "DensityProfile",
    "DrillValueMap",
    "EstimatePrior",
    "ResourceEstimate",
    "column_mass_kg_m2",
    "hayne_density_profile",
    "resource_estimate",
    "value_of_drill_map",
]

EstimateClass = Literal["inferred", "indicated", "measured", "none"]
_Z_P10_P90 = 2.5631031310892007  # width of the 10-90 % interval of a unit normal


def _d(name: str) -> float:
    return float(DEFAULTS[name].value)


@dataclass(frozen=True)
class EstimatePrior:
    """Prior of the two Gaussian processes.

    Attributes
    ----------
    weh_median_wt_pct : float
        Prior median of WEH [wt%] (the prior mean of log-WEH is its log).
    weh_log_sd : float
        Prior standard deviation of ln(WEH) [1].
    weh_corr_length_m : float
        Length of the exponential covariance ``exp(-r / L)`` of ln(WEH) [m].
    burial_mean_m, burial_sd_m : float
        Prior mean and standard deviation of the burial depth of the ice-bearing layer [m].
    burial_corr_length_m : float
        Length of the exponential covariance of the burial depth [m].
    """

    weh_median_wt_pct: float = _d("estimate_weh_prior_median_wt_pct")
    weh_log_sd: float = _d("estimate_weh_prior_log_sd")
    weh_corr_length_m: float = _d("estimate_weh_corr_length_m")
    burial_mean_m: float = _d("estimate_burial_prior_mean_m")
    burial_sd_m: float = _d("estimate_burial_prior_sd_m")
    burial_corr_length_m: float = _d("estimate_burial_corr_length_m")


@dataclass(frozen=True)
class DensityProfile:
    """Dry bulk density of the regolith against depth (linear between samples, constant beyond).

    Attributes
    ----------
    depth_m : float64 (k,)
        Increasing depths from 0 [m].
    density_kg_m3 : float64 (k,)
        Density at those depths [kg/m^3].
    """

    depth_m: NDArray[np.float64]
    density_kg_m3: NDArray[np.float64]


@dataclass(frozen=True)
class ResourceEstimate:
    """Posterior maps and the water mass in the chosen volume.

    Attributes
    ----------
    x_m, y_m : float64 (nx,), (ny,)
        Grid axes [m].
    log_weh_mean, log_weh_sd : float64 (ny, nx)
        Posterior mean and standard deviation of ln(WEH / wt%) [1].
    weh_mean_wt_pct, weh_sd_wt_pct : float64 (ny, nx)
        Posterior (log-normal) mean and standard deviation of WEH [wt%].
    burial_depth_mean_m, burial_depth_sd_m : float64 (ny, nx)
        Posterior mean and standard deviation of the burial depth [m] (a Gaussian: may be below 0; the mass
        clips it at the surface).
    water_mass_p10_kg, water_mass_p50_kg, water_mass_p90_kg : float
        Percentiles of the water mass in the volume [kg].
    realisations_kg : float64 (n_realisations,)
        Water mass of each conditioned realisation [kg].
    volume_m3 : float
        Ice-bearing volume used: mask area times the thickness from the posterior-mean burial depth to the drill
        depth [m^3].
    area_m2 : float
        Area of the mask [m^2].
    drill_depth_m : float
        Bottom of the volume [m].
    mean_density_kg_m3 : float
        Mean dry density of the regolith in that volume [kg/m^3].
    estimate_class : {"inferred", "indicated", "measured", "none"}
        Class by the relative spread ``(P90 - P10) / P50`` (our convention borrowing the JORC/CIM names).
    relative_spread : float
        ``(P90 - P10) / P50`` [1] (NaN when P50 is 0).
    upgrade_note : str
        What would upgrade the class, or why the estimate is zero.
    n_weh_observations, n_burial_observations : int
        Observations conditioned on, after thinning.
    n_mass_points : int
        Points (coarsened mask cells) the realisations were drawn on.
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    log_weh_mean: NDArray[np.float64]
    log_weh_sd: NDArray[np.float64]
    weh_mean_wt_pct: NDArray[np.float64]
    weh_sd_wt_pct: NDArray[np.float64]
    burial_depth_mean_m: NDArray[np.float64]
    burial_depth_sd_m: NDArray[np.float64]
    water_mass_p10_kg: float
    water_mass_p50_kg: float
    water_mass_p90_kg: float
    realisations_kg: NDArray[np.float64]
    volume_m3: float
    area_m2: float
    drill_depth_m: float
    mean_density_kg_m3: float
    estimate_class: EstimateClass
    relative_spread: float
    upgrade_note: str
    n_weh_observations: int
    n_burial_observations: int
    n_mass_points: int


@dataclass(frozen=True)
class DrillValueMap:
    """Expected value of one more drill hole at each grid cell (linearised mass, closed form).

    Attributes
    ----------
    x_m, y_m : float64 (nx,), (ny,)
        Grid axes [m].
    mass_variance_reduction_kg2 : float64 (ny, nx)
        Expected reduction of the posterior variance of the water mass in the volume [kg^2].
    p10_p90_width_reduction_kg : float64 (ny, nx)
        The same as a reduction of the P10-P90 width of a normal of that variance [kg].
    mass_sd_kg : float
        Linearised posterior standard deviation of the mass before the new hole [kg].
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    mass_variance_reduction_kg2: NDArray[np.float64]
    p10_p90_width_reduction_kg: NDArray[np.float64]
    mass_sd_kg: float


# --------------------------------------------------------------------------------------------------- density


def hayne_density_profile(
    surface_kg_m3: float = _d("estimate_regolith_density_surface_kg_m3"),
    deep_kg_m3: float = _d("estimate_regolith_density_deep_kg_m3"),
    scale_m: float = _d("estimate_regolith_density_scale_m"),
    max_depth_m: float = 5.0,
) -> DensityProfile:
    """Density profile ``rho(z) = rho_d - (rho_d - rho_s) exp(-z / H)`` (Hayne et al. 2017) sampled to depth.

    Parameters
    ----------
    surface_kg_m3, deep_kg_m3 : float
        Surface and deep density [kg/m^3].
    scale_m : float
        e-folding depth H [m].
    max_depth_m : float
        Deepest sample [m] (constant beyond).

    Returns
    -------
    DensityProfile
    """
    if not (surface_kg_m3 > 0 and deep_kg_m3 > 0 and scale_m > 0 and max_depth_m > 0):
        raise InputError("hayne_density_profile: densities, scale_m and max_depth_m must be > 0")
    z = np.linspace(0.0, max_depth_m, 2001)
    return DensityProfile(z, deep_kg_m3 - (deep_kg_m3 - surface_kg_m3) * np.exp(-z / scale_m))


def column_mass_kg_m2(density: float | DensityProfile, depth_m: ArrayLike) -> NDArray[np.float64]:
    """Dry regolith mass per unit area from the surface to ``depth_m`` [kg/m^2].

    Parameters
    ----------
    density : float or DensityProfile
        Constant density [kg/m^3] or a profile.
    depth_m : array_like
        Depths [m] (negative values count as 0).

    Returns
    -------
    float64 array of the shape of ``depth_m`` [kg/m^2].
    """
    z = np.maximum(np.asarray(depth_m, dtype=np.float64), 0.0)
    if not isinstance(density, DensityProfile):
        if not density > 0:
            raise InputError(f"density_kg_m3 must be > 0, got {density}")
        return float(density) * z
    zp, rp = np.asarray(density.depth_m, float), np.asarray(density.density_kg_m3, float)
    if zp.ndim != 1 or zp.shape != rp.shape or zp.size < 2 or zp[0] != 0 or np.any(np.diff(zp) <= 0):
        raise InputError("density profile: depth_m must increase from 0, same length as density_kg_m3 (>= 2)")
    if np.any(rp <= 0):
        raise InputError("density profile: density_kg_m3 must be > 0")
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (rp[1:] + rp[:-1]) * np.diff(zp))])
    out = np.interp(z, zp, cum)
    deep = z > zp[-1]
    out[deep] = cum[-1] + rp[-1] * (z[deep] - zp[-1])
    return out


def _density_at(density: float | DensityProfile, depth_m: NDArray[np.float64]) -> NDArray[np.float64]:
    if isinstance(density, DensityProfile):
        return np.interp(depth_m, density.depth_m, density.density_kg_m3)
    return np.full_like(depth_m, float(density))


# --------------------------------------------------------------------------------------------------- the GP


def _exp_cov(xa: NDArray, ya: NDArray, xb: NDArray, yb: NDArray, var: float, length_m: float) -> NDArray:
    """``var exp(-r / length_m)`` between every point a and every point b (in place: one (na, nb) work array)."""
    cov = np.subtract.outer(xa, xb)
    np.hypot(cov, np.subtract.outer(ya, yb), out=cov)
    np.divide(cov, -length_m, out=cov)
    np.exp(cov, out=cov)
    cov *= var
    return cov


@dataclass(frozen=True)
class _Gp:
    """A simple-kriging posterior: prior mean/variance/length and the Cholesky of the observations' matrix."""

    mean: float
    var: float
    length_m: float
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    chol: NDArray[np.float64]
    alpha: NDArray[np.float64]

    def _v(self, xq: NDArray, yq: NDArray) -> NDArray:
        if self.x.size == 0:
            return np.zeros((0, xq.size))
        k = _exp_cov(self.x, self.y, xq, yq, self.var, self.length_m)
        return np.asarray(sla.solve_triangular(self.chol, k, lower=True, check_finite=False))

    def mean_sd(self, xq: NDArray, yq: NDArray, chunk: int = 4096) -> tuple[NDArray, NDArray]:
        """Posterior mean and standard deviation at query points (in chunks)."""
        mu, sd = np.empty(xq.size), np.empty(xq.size)
        for s in range(0, xq.size, chunk):
            v = self._v(xq[s : s + chunk], yq[s : s + chunk])
            mu[s : s + chunk] = self.mean + v.T @ self.alpha
            sd[s : s + chunk] = np.sqrt(np.maximum(self.var - np.sum(v * v, axis=0), 0.0))
        return mu, sd

    def cov(self, xp: NDArray, yp: NDArray) -> NDArray:
        """Posterior covariance among points."""
        v = self._v(xp, yp)
        return _exp_cov(xp, yp, xp, yp, self.var, self.length_m) - v.T @ v


def _condition(
    x: NDArray, y: NDArray, value: NDArray, var_obs: NDArray, mean: float, sd: float, length_m: float
) -> _Gp:
    k = _exp_cov(x, y, x, y, sd**2, length_m) + np.diag(var_obs + 1e-10 * sd**2)
    chol = np.linalg.cholesky(k) if x.size else np.zeros((0, 0))
    alpha = sla.solve_triangular(chol, value - mean, lower=True) if x.size else np.zeros(0)
    return _Gp(mean, sd**2, length_m, x, y, chol, np.asarray(alpha))


def _thin(x: NDArray, y: NDArray, v: NDArray, var: NDArray, max_n: int) -> tuple[NDArray, ...]:
    """Inverse-variance means of consecutive blocks so that at most ``max_n`` observations remain."""
    n = x.size
    if n <= max_n:
        return x, y, v, var
    edges = np.linspace(0, n, max_n + 1).round().astype(int)
    w = 1.0 / var
    sw = np.add.reduceat(w, edges[:-1])
    out = [np.add.reduceat(a * w, edges[:-1]) / sw for a in (x, y, v)]
    return out[0], out[1], out[2], 1.0 / sw


# --------------------------------------------------------------------------------------------------- inputs


def _track_arrays(*arrays: ArrayLike) -> list[NDArray[np.float64]]:
    out = [np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in arrays]
    if any(a.shape != out[0].shape for a in out):
        raise InputError("observations: track arrays must have the same shape")
    return out


def _weh_observations(obs: Observations, floor_wt_pct: float, max_track: int) -> tuple[NDArray, ...]:
    """ln(WEH) observations (x, y, value, variance): thinned neutron footprints then one per drill hole."""
    xs: list[NDArray] = []
    ys: list[NDArray] = []
    vs: list[NDArray] = []
    ws: list[NDArray] = []
    if obs.neutron is not None:
        n = obs.neutron
        x, y, weh, sd = _track_arrays(n.x_m, n.y_m, n.weh_wt_pct, n.weh_sd_wt_pct)
        ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(weh) & np.isfinite(sd) & (sd > 0)
        val = np.maximum(weh[ok], floor_wt_pct)
        thinned = _thin(x[ok], y[ok], np.log(val), (sd[ok] / val) ** 2, max_track)
        for lst, a in zip((xs, ys, vs, ws), thinned, strict=True):
            lst.append(a)
    for d in obs.drills:
        weh, sd = np.asarray(d.weh_wt_pct, float), np.asarray(d.weh_sd_wt_pct, float)
        det = ~np.asarray(d.below_detection, bool) & np.isfinite(weh) & (weh > 0)
        if det.any():
            mean = float(np.mean(weh[det]))
            sd_mean = float(np.sqrt(np.sum(np.maximum(sd[det], 1e-6 * mean) ** 2)) / det.sum())
            value, var = np.log(mean), (sd_mean / mean) ** 2
        elif weh.size:  # nothing above the limit: a weak observation at the detection limit
            value, var = np.log(max(float(np.nanmax(weh)), floor_wt_pct)), 1.0
        else:
            continue
        xs.append(np.array([d.x_m]))
        ys.append(np.array([d.y_m]))
        vs.append(np.array([value]))
        ws.append(np.array([var]))
    if not xs:
        return tuple(np.zeros(0) for _ in range(4))
    return tuple(np.concatenate(a) for a in (xs, ys, vs, ws))


def _burial_observations(obs: Observations, max_track: int) -> tuple[NDArray, ...]:
    """Burial-depth observations (x, y, depth, variance): thinned radar picks then each drill's first wet bin."""
    xs: list[NDArray] = []
    ys: list[NDArray] = []
    vs: list[NDArray] = []
    ws: list[NDArray] = []
    if obs.radar is not None:
        r = obs.radar
        x, y, z, sd = _track_arrays(r.x_m, r.y_m, r.depth_m, r.depth_sd_m)
        ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(z) & np.isfinite(sd) & (sd > 0)
        for lst, a in zip((xs, ys, vs, ws), _thin(x[ok], y[ok], z[ok], sd[ok] ** 2, max_track), strict=True):
            lst.append(a)
    for d in obs.drills:
        det = np.flatnonzero(~np.asarray(d.below_detection, bool) & (np.asarray(d.weh_wt_pct, float) > 0))
        if det.size == 0:
            continue
        top, bottom = float(d.depth_top_m[det[0]]), float(d.depth_bottom_m[det[0]])
        xs.append(np.array([d.x_m]))
        ys.append(np.array([d.y_m]))
        vs.append(np.array([top]))
        ws.append(np.array([max((bottom - top) / np.sqrt(12.0), 1e-3) ** 2]))  # uniform within the bin
    if not xs:
        return tuple(np.zeros(0) for _ in range(4))
    return tuple(np.concatenate(a) for a in (xs, ys, vs, ws))


def _grid(x_m: ArrayLike, y_m: ArrayLike, mask: ArrayLike) -> tuple[NDArray, NDArray, NDArray, float]:
    x, y = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or x.size < 2 or y.size < 2:
        raise InputError("x_m, y_m: need 1-D grid axes with at least 2 cells each")
    dx, dy = np.diff(x), np.diff(y)
    if not (np.allclose(dx, dx[0]) and np.allclose(dy, dy[0])) or dx[0] == 0 or dy[0] == 0:
        raise InputError("x_m, y_m: grid axes must be evenly spaced")
    m = np.asarray(mask)
    if m.shape != (y.size, x.size) or m.dtype != np.bool_:
        raise InputError(f"volume_mask: need a boolean array of shape (ny, nx) = {(y.size, x.size)}, got {m.shape}")
    return x, y, m, float(abs(dx[0] * dy[0]))


def _mass_points(x: NDArray, y: NDArray, mask: NDArray, cell_area: float, max_points: int) -> tuple[NDArray, ...]:
    """Mask cells merged into square blocks so that at most ``max_points`` remain: centroid and area."""
    iy, ix = np.nonzero(mask)
    f = 1
    while True:
        key = (iy // f) * (x.size // f + 1) + ix // f
        uniq, inv, count = np.unique(key, return_inverse=True, return_counts=True)
        if uniq.size <= max_points:
            break
        f += 1
    px = np.bincount(inv, weights=x[ix]) / count
    py = np.bincount(inv, weights=y[iy]) / count
    return px, py, count * cell_area


# --------------------------------------------------------------------------------------------------- estimate


@dataclass(frozen=True)
class _Fit:
    weh: _Gp
    burial: _Gp
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    mask: NDArray[np.bool_]
    cell_area_m2: float
    density: float | DensityProfile
    drill_depth_m: float


def _fit(
    observations: Observations,
    x_m: ArrayLike,
    y_m: ArrayLike,
    volume_mask: ArrayLike,
    drill_depth_m: float,
    density_kg_m3: float | DensityProfile | None,
    prior: EstimatePrior | None,
    max_track_observations: int,
) -> _Fit:
    x, y, mask, cell_area = _grid(x_m, y_m, volume_mask)
    if not (np.isfinite(drill_depth_m) and drill_depth_m > 0):
        raise InputError(f"drill_depth_m must be > 0, got {drill_depth_m}")
    if max_track_observations < 1:
        raise InputError(f"max_track_observations must be >= 1, got {max_track_observations}")
    p = prior or EstimatePrior()
    if not (p.weh_median_wt_pct > 0 and p.weh_log_sd > 0 and p.weh_corr_length_m > 0):
        raise InputError("prior: weh_median_wt_pct, weh_log_sd and weh_corr_length_m must be > 0")
    if not (p.burial_sd_m > 0 and p.burial_corr_length_m > 0 and np.isfinite(p.burial_mean_m)):
        raise InputError("prior: burial_sd_m and burial_corr_length_m must be > 0, burial_mean_m finite")
    density = hayne_density_profile() if density_kg_m3 is None else density_kg_m3
    column_mass_kg_m2(density, [drill_depth_m])  # validates the density
    fx, fy, fv, fw = _weh_observations(observations, _d("estimate_weh_floor_wt_pct"), max_track_observations)
    bx, by, bv, bw = _burial_observations(observations, max_track_observations)
    gp_f = _condition(fx, fy, fv, fw, np.log(p.weh_median_wt_pct), p.weh_log_sd, p.weh_corr_length_m)
    gp_b = _condition(bx, by, bv, bw, p.burial_mean_m, p.burial_sd_m, p.burial_corr_length_m)
    return _Fit(gp_f, gp_b, x, y, mask, cell_area, density, float(drill_depth_m))


def _draw(gp: _Gp, px: NDArray, py: NDArray, n: int, rng: np.random.Generator) -> NDArray:
    """``n`` posterior realisations at the points, shape (points, n)."""
    mu, _ = gp.mean_sd(px, py)
    cov = gp.cov(px, py)
    jitter = 1e-10 * gp.var
    for _ in range(6):
        try:
            factor = np.linalg.cholesky(cov + jitter * np.eye(px.size))
            break
        except np.linalg.LinAlgError:
            jitter *= 100.0
    else:  # numerically semi-definite: clip the eigenvalues
        w, q = np.linalg.eigh(cov)
        factor = q * np.sqrt(np.maximum(w, 0.0))
    return mu[:, None] + factor @ rng.standard_normal((px.size, n))


def _classify(p10: float, p50: float, p90: float) -> tuple[EstimateClass, float, str]:
    spread = (p90 - p10) / p50
    if spread > _d("estimate_class_inferred_above"):
        note = (
            "inferred (our convention, JORC/CIM names): more drill holes inside the volume (see value_of_drill_map) "
            "and a denser neutron/radar track would bring (P90-P10)/P50 below 1 (indicated)"
        )
        return "inferred", spread, note
    if spread >= _d("estimate_class_measured_below"):
        note = (
            "indicated (our convention): drill holes spaced within a correlation length across the volume would "
            "bring (P90-P10)/P50 below 0.3 (measured)"
        )
        return "indicated", spread, note
    return "measured", spread, "measured (our convention): highest class; further holes refine the local grade"


def _mass_in_volume(
    fit: _Fit, burial_mean_m: NDArray, n: int, max_points: int, seed: int | np.random.Generator | None
) -> tuple[float, float, int, NDArray]:
    """Volume [m^3], mean density [kg/m^3], number of mass points and ``n`` realisations of the mass [kg]."""
    depth = fit.drill_depth_m
    if not fit.mask.any():
        return 0.0, float("nan"), 0, np.zeros(n)
    column_total = float(column_mass_kg_m2(fit.density, [depth])[0])
    b_cells = np.clip(burial_mean_m[fit.mask], 0.0, depth)
    volume = float(np.sum((depth - b_cells) * fit.cell_area_m2))
    regolith = float(np.sum((column_total - column_mass_kg_m2(fit.density, b_cells)) * fit.cell_area_m2))
    mean_density = regolith / volume if volume > 0 else float("nan")
    px, py, area = _mass_points(fit.x, fit.y, fit.mask, fit.cell_area_m2, max_points)
    rng = np.random.default_rng(seed)
    weh_r = np.exp(_draw(fit.weh, px, py, n, rng))
    b_r = np.clip(_draw(fit.burial, px, py, n, rng), 0.0, depth)
    col = column_total - column_mass_kg_m2(fit.density, b_r)
    return volume, mean_density, int(px.size), np.sum(area[:, None] * weh_r / 100.0 * col, axis=0)


def resource_estimate(
    observations: Observations,
    x_m: ArrayLike,
    y_m: ArrayLike,
    volume_mask: ArrayLike,
    *,
    drill_depth_m: float = _d("estimate_drill_depth_m"),
    density_kg_m3: float | DensityProfile | None = None,
    prior: EstimatePrior | None = None,
    n_realisations: int = int(_d("estimate_n_realisations")),
    max_track_observations: int = int(_d("estimate_max_track_observations")),
    max_mass_points: int = int(_d("estimate_max_mass_points")),
    seed: int | np.random.Generator | None = None,
) -> ResourceEstimate:
    """Posterior maps of log-WEH and burial depth, and the water mass in a volume as P10/P50/P90.

    Parameters
    ----------
    observations : Observations
        Neutron track, radar picks and drill profiles (any may be missing: the posterior is then the prior).
    x_m, y_m : array_like (nx,), (ny,)
        Evenly spaced grid axes [m] (cell centres).
    volume_mask : bool array (ny, nx)
        Ice-stable cells within reach: the lateral extent of the volume.
    drill_depth_m : float
        Bottom of the volume [m].
    density_kg_m3 : float or DensityProfile, optional
        Dry regolith density [kg/m^3] (constant) or a profile; default the Hayne et al. (2017) profile.
    prior : EstimatePrior, optional
        Prior of both processes; default ``EstimatePrior()``.
    n_realisations : int
        Conditioned realisations drawn for the mass (>= 10).
    max_track_observations : int
        Most neutron (and, separately, radar) observations kept after along-track block averaging.
    max_mass_points : int
        Most points the realisations are drawn on (mask cells merged into square blocks).
    seed : int or numpy Generator, optional
        Random state of the realisations.

    Returns
    -------
    ResourceEstimate
    """
    if n_realisations < 10:
        raise InputError(f"n_realisations must be >= 10, got {n_realisations}")
    if max_mass_points < 1:
        raise InputError(f"max_mass_points must be >= 1, got {max_mass_points}")
    fit = _fit(observations, x_m, y_m, volume_mask, drill_depth_m, density_kg_m3, prior, max_track_observations)
    gx, gy = np.meshgrid(fit.x, fit.y)
    f_mu, f_sd = fit.weh.mean_sd(gx.ravel(), gy.ravel())
    b_mu, b_sd = fit.burial.mean_sd(gx.ravel(), gy.ravel())
    shape = gx.shape
    f_mu, f_sd, b_mu, b_sd = (a.reshape(shape) for a in (f_mu, f_sd, b_mu, b_sd))
    weh_mean = np.exp(f_mu + 0.5 * f_sd**2)
    weh_sd = weh_mean * np.sqrt(np.expm1(f_sd**2))
    depth = fit.drill_depth_m
    volume, mean_density, n_points, masses = _mass_in_volume(fit, b_mu, n_realisations, max_mass_points, seed)
    p10, p50, p90 = (float(v) for v in np.percentile(masses, [10, 50, 90]))
    if p50 > 0:
        cls, spread, note = _classify(p10, p50, p90)
    else:
        cls, spread = "none", float("nan")
        note = (
            "no ice-stable cell within reach in volume_mask: the water mass is zero"
            if not fit.mask.any()
            else "the ice-bearing layer lies below the drill depth everywhere in the volume"
        )
    return ResourceEstimate(
        fit.x, fit.y, f_mu, f_sd, weh_mean, weh_sd, b_mu, b_sd, p10, p50, p90, masses, volume,
        float(fit.mask.sum() * fit.cell_area_m2), depth, mean_density, cls, spread, note,
        int(fit.weh.x.size), int(fit.burial.x.size), n_points,
    )  # fmt: skip


def value_of_drill_map(
    observations: Observations,
    x_m: ArrayLike,
    y_m: ArrayLike,
    volume_mask: ArrayLike,
    *,
    drill_depth_m: float = _d("estimate_drill_depth_m"),
    density_kg_m3: float | DensityProfile | None = None,
    prior: EstimatePrior | None = None,
    drill_log_sd: float = _d("estimate_drill_log_sd"),
    drill_depth_sd_m: float = _d("estimate_drill_depth_sd_m"),
    max_track_observations: int = int(_d("estimate_max_track_observations")),
    max_mass_points: int = int(_d("estimate_max_mass_points")),
) -> DrillValueMap:
    """Expected reduction of the water-mass variance from one more drill hole at each grid cell.

    The mass is linearised about the posterior (``dM/d ln WEH_j = M_j``, ``dM/d b_j = -WEH_j/100 rho(b_j) A_j``);
    a hole at cell ``c`` observes ln(WEH) and the burial depth with noise, and reduces the variance by
    ``cov(M, f_c)^2 / (var f_c + noise^2)`` for each (independent) process.

    Parameters
    ----------
    observations, x_m, y_m, volume_mask, drill_depth_m, density_kg_m3, prior, max_track_observations
        As for :func:`resource_estimate`.
    drill_log_sd : float
        Noise of the new hole's ln(WEH) [1].
    drill_depth_sd_m : float
        Noise of its burial depth [m].
    max_mass_points : int
        Most points the mass is linearised on.

    Returns
    -------
    DrillValueMap
    """
    if not (drill_log_sd > 0 and drill_depth_sd_m > 0):
        raise InputError("drill_log_sd and drill_depth_sd_m must be > 0")
    fit = _fit(observations, x_m, y_m, volume_mask, drill_depth_m, density_kg_m3, prior, max_track_observations)
    gx, gy = (a.ravel() for a in np.meshgrid(fit.x, fit.y))
    shape = (fit.y.size, fit.x.size)
    if not fit.mask.any():
        zero = np.zeros(shape)
        return DrillValueMap(fit.x, fit.y, zero, zero.copy(), 0.0)
    px, py, area = _mass_points(fit.x, fit.y, fit.mask, fit.cell_area_m2, max_mass_points)
    f_mu, f_sd = fit.weh.mean_sd(px, py)
    b_mu, _ = fit.burial.mean_sd(px, py)
    depth = fit.drill_depth_m
    b = np.clip(b_mu, 0.0, depth)
    weh = np.exp(f_mu + 0.5 * f_sd**2)
    col = column_mass_kg_m2(fit.density, [depth])[0] - column_mass_kg_m2(fit.density, b)
    g_f = area * weh / 100.0 * col
    g_b = -area * weh / 100.0 * _density_at(fit.density, b) * ((b_mu > 0) & (b_mu < depth))
    var_total = float(g_f @ fit.weh.cov(px, py) @ g_f + g_b @ fit.burial.cov(px, py) @ g_b)
    reduction = np.zeros(gx.size)
    for gp, g, noise in ((fit.weh, g_f, drill_log_sd), (fit.burial, g_b, drill_depth_sd_m)):
        vg = gp._v(px, py) @ g
        for s in range(0, gx.size, 2048):
            xc, yc = gx[s : s + 2048], gy[s : s + 2048]
            vc = gp._v(xc, yc)
            cov_mc = g @ _exp_cov(px, py, xc, yc, gp.var, gp.length_m) - vg @ vc
            var_c = np.maximum(gp.var - np.sum(vc * vc, axis=0), 0.0)
            reduction[s : s + 2048] += cov_mc**2 / (var_c + noise**2)
    reduction = np.minimum(reduction, var_total)
    sd = np.sqrt(var_total)
    width = _Z_P10_P90 * (sd - np.sqrt(np.maximum(var_total - reduction, 0.0)))
    return DrillValueMap(fit.x, fit.y, reduction.reshape(shape), width.reshape(shape), sd)
