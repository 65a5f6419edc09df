"""Seeded truth model of the subsurface ice: water-equivalent hydrogen (WEH) on a map grid and in depth bins.

Ice sits only below the ice-stability (burial) depth and only where that depth is finite; its WEH is a patchy
log-normal random field (gstools spectral SRF with a Matern covariance) whose mean and spread come from a prior
(LCROSS, Colaprete et al. 2010, Science 330, 463; or Lunar Prospector, Feldman et al. 2001, JGR 106, 23231).
Bulk density follows Hayne et al. (2017, JGR Planets 122, 2371) rho(z) = rho_d - (rho_d - rho_s) exp(-z/H).
See ``docs/models/science_instruments.md``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import gstools as gs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.defaults import default
from lupex.errors import InputError

__all__ = ["Subsurface", "regolith_density_kg_m3", "subsurface_model"]


@dataclass(frozen=True)
class Subsurface:
    """Ground truth of the water-ice distribution.

    Attributes
    ----------
    x_m, y_m : float64 (nx,), (ny,)
        Regularly spaced cell-centre coordinates of the polar stereographic grid [m].
    depth_m : float64 (nz,)
        Depth-bin centres [m]; bins are ``depth_step_m`` thick and start at the surface.
    depth_step_m : float
        Bin thickness [m].
    weh_wt_pct : float64 (ny, nx, nz)
        Water-equivalent hydrogen, mass of water per bulk mass [wt%].
    density_kg_m3 : float64 (nz,)
        Regolith bulk density at the bin centres [kg/m3].
    burial_depth_m : float64 (ny, nx)
        Depth of the top of the ice-bearing layer [m] (NaN: no stable ice).
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    depth_m: NDArray[np.float64]
    depth_step_m: float
    weh_wt_pct: NDArray[np.float64]
    density_kg_m3: NDArray[np.float64]
    burial_depth_m: NDArray[np.float64]

    def cell_area_m2(self) -> float:
        """Horizontal area of one grid cell [m2]."""
        return float(abs(self.x_m[1] - self.x_m[0]) * abs(self.y_m[1] - self.y_m[0]))

    def nearest_index(self, x_m: ArrayLike, y_m: ArrayLike) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Row and column indices of the cells nearest to the points (clamped to the grid)."""
        xs, ys = np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)
        ix = np.rint((xs - self.x_m[0]) / (self.x_m[1] - self.x_m[0])).astype(np.intp)
        iy = np.rint((ys - self.y_m[0]) / (self.y_m[1] - self.y_m[0])).astype(np.intp)
        return np.clip(iy, 0, self.y_m.size - 1), np.clip(ix, 0, self.x_m.size - 1)

    def water_mass_kg(self, mask: ArrayLike | None = None, depth_max_m: float | None = None) -> float:
        """Water mass in a volume: sum of weh/100 * density * cell volume.

        Parameters
        ----------
        mask : bool (ny, nx), optional
            Cells to include (default: all).
        depth_max_m : float, optional
            Bottom of the volume [m] (default: the model's depth); partial bins count by their overlap.

        Returns
        -------
        float
            Water mass [kg].
        """
        bottom = self.depth_m + self.depth_step_m / 2
        top = bottom - self.depth_step_m
        limit = float(bottom[-1]) if depth_max_m is None else float(depth_max_m)
        if not np.isfinite(limit) or limit < 0:
            raise InputError(f"depth_max_m must be a finite depth >= 0 m, got {depth_max_m}; pass e.g. 1.0")
        thickness_m = np.clip(np.minimum(bottom, limit) - top, 0.0, None)
        if mask is None:
            sel = np.ones(self.burial_depth_m.shape, dtype=bool)
        else:
            sel = np.asarray(mask, dtype=bool)
            if sel.shape != self.burial_depth_m.shape:
                raise InputError(f"mask must have shape {self.burial_depth_m.shape}, got {sel.shape}; use the grid's")
        per_m3 = self.weh_wt_pct[sel] / 100.0 * self.density_kg_m3
        return float(np.sum(per_m3 @ thickness_m) * self.cell_area_m2())


def regolith_density_kg_m3(
    depth_m: ArrayLike,
    *,
    density_surface_kg_m3: float | None = None,
    density_deep_kg_m3: float | None = None,
    h_parameter_m: float | None = None,
) -> NDArray[np.float64]:
    """Bulk density of regolith with depth, Hayne et al. (2017) rho(z) = rho_d - (rho_d - rho_s) exp(-z/H).

    Parameters
    ----------
    depth_m : array_like
        Depth below the surface [m].
    density_surface_kg_m3, density_deep_kg_m3 : float, optional
        rho_s and rho_d [kg/m3] (defaults ``density_surface_kg_m3``, ``density_deep_kg_m3``).
    h_parameter_m : float, optional
        e-folding depth H [m] (default ``h_parameter_m``).

    Returns
    -------
    ndarray
        Density [kg/m3].
    """
    rho_s = default("density_surface_kg_m3") if density_surface_kg_m3 is None else density_surface_kg_m3
    rho_d = default("density_deep_kg_m3") if density_deep_kg_m3 is None else density_deep_kg_m3
    h = default("h_parameter_m") if h_parameter_m is None else h_parameter_m
    if h <= 0:
        raise InputError(f"h_parameter_m must be > 0 m, got {h}; pass e.g. 0.06")
    z = np.asarray(depth_m, dtype=float)
    return np.asarray(rho_d - (rho_d - rho_s) * np.exp(-z / h), dtype=np.float64)


def _check_axis(name: str, values: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=float)
    steps = np.diff(arr) if arr.ndim == 1 else np.array([])
    if arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be a 1-D array of >= 2 finite coordinates [m]; pass the grid's cell centres")
    if not (np.all(steps > 0) or np.all(steps < 0)) or not np.allclose(steps, steps[0], rtol=1e-6):
        raise InputError(f"{name} must be regularly spaced and monotonic; pass the grid's cell centres")
    return arr


def _check_prior(mean_wt_pct: float, sd_wt_pct: float, correlation_length_m: float, seed: object) -> None:
    if not np.isfinite(mean_wt_pct) or not 0.0 <= mean_wt_pct <= 100.0:
        raise InputError(f"prior mean_weh_wt_pct must be in [0, 100] wt%, got {mean_wt_pct}; pass e.g. 5.6")
    if not np.isfinite(sd_wt_pct) or sd_wt_pct < 0.0:
        raise InputError(f"sd_weh_wt_pct must be finite and >= 0 wt%, got {sd_wt_pct}; pass e.g. 2.9")
    if not np.isfinite(correlation_length_m) or correlation_length_m <= 0.0:
        raise InputError(f"correlation_length_m must be > 0 m, got {correlation_length_m}; pass e.g. 10.0")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputError(f"seed must be an integer, got {seed!r}; pass e.g. seed=1")


def _lognormal_weh(
    x_m: NDArray[np.float64],
    y_m: NDArray[np.float64],
    mean_wt_pct: float,
    sd_wt_pct: float,
    correlation_length_m: float,
    nu: float,
    seed: int,
    mode_no: int,
) -> NDArray[np.float64]:
    """Log-normal WEH field (ny, nx) with the given arithmetic mean and standard deviation [wt%]."""
    if mean_wt_pct == 0.0:
        return np.zeros((y_m.size, x_m.size))
    if sd_wt_pct == 0.0:
        return np.full((y_m.size, x_m.size), mean_wt_pct)
    s2 = np.log1p((sd_wt_pct / mean_wt_pct) ** 2)
    mu = np.log(mean_wt_pct) - s2 / 2
    model = gs.Matern(dim=2, var=1.0, len_scale=correlation_length_m, nu=nu)
    srf = gs.SRF(model, seed=int(seed) % (2**32), mode_no=mode_no)
    g = np.asarray(srf.structured([x_m, y_m]), dtype=float).T  # gstools returns (nx, ny)
    return np.minimum(np.exp(mu + np.sqrt(s2) * g), 100.0)


def subsurface_model(
    x_m: ArrayLike,
    y_m: ArrayLike,
    ice_stability_depth_m: ArrayLike,
    *,
    seed: int,
    mean_weh_wt_pct: float | None = None,
    sd_weh_wt_pct: float | None = None,
    correlation_length_m: float | None = None,
    matern_nu: float | None = None,
    depth_max_m: float | None = None,
    depth_step_m: float | None = None,
    mode_no: int = 500,
) -> Subsurface:
    """Seeded subsurface truth: WEH on the (y, x) grid in depth bins, conditioned on the ice-stability depth.

    Parameters
    ----------
    x_m, y_m : array_like (nx,), (ny,)
        Regular cell-centre coordinates [m] (e.g. ``dem.x.values``, ``dem.y.values`` of a DEM window).
    ice_stability_depth_m : array_like (ny, nx)
        Depth below which ice is stable [m]; NaN where no stable ice lies within reach.
    seed : int
        Seed of the random field (same seed, same truth).
    mean_weh_wt_pct, sd_weh_wt_pct : float, optional
        Prior mean and standard deviation of WEH in the ice-bearing layer [wt%] (default LCROSS 5.6 +- 2.9;
        Lunar Prospector alternative: ``science_weh_prior_lp_mean_wt_pct`` / ``..._sd_wt_pct``).
    correlation_length_m : float, optional
        gstools Matern length scale of the patchiness [m] (default ``science_correlation_length_m``).
    matern_nu : float, optional
        Matern smoothness [1] (default ``science_matern_nu``).
    depth_max_m, depth_step_m : float, optional
        Model depth and bin thickness [m] (defaults 1.5 and 0.05).
    mode_no : int
        Number of Fourier modes of the randomisation method (speed against spectral fidelity).

    Returns
    -------
    Subsurface
        The truth; a bin cut by the burial depth holds ice in proportion to its part below it.
    """
    mean = default("science_weh_prior_mean_wt_pct") if mean_weh_wt_pct is None else float(mean_weh_wt_pct)
    sd = default("science_weh_prior_sd_wt_pct") if sd_weh_wt_pct is None else float(sd_weh_wt_pct)
    corr = default("science_correlation_length_m") if correlation_length_m is None else float(correlation_length_m)
    nu = default("science_matern_nu") if matern_nu is None else float(matern_nu)
    zmax = default("science_depth_max_m") if depth_max_m is None else float(depth_max_m)
    dz = default("science_depth_step_m") if depth_step_m is None else float(depth_step_m)
    _check_prior(mean, sd, corr, seed)
    if not (np.isfinite(zmax) and np.isfinite(dz) and 0 < dz <= zmax):
        raise InputError(f"need 0 < depth_step_m <= depth_max_m, got {dz} and {zmax}; pass e.g. 0.05 and 1.5")
    xs, ys = _check_axis("x_m", x_m), _check_axis("y_m", y_m)
    burial = np.asarray(ice_stability_depth_m, dtype=float)
    if burial.shape != (ys.size, xs.size):
        raise InputError(f"ice_stability_depth_m must have shape (ny, nx) = {(ys.size, xs.size)}, got {burial.shape}")
    if np.any(burial[np.isfinite(burial)] < 0) or np.any(np.isinf(burial)):
        raise InputError("ice_stability_depth_m must be >= 0 m or NaN (no ice); fix the negative or infinite cells")
    nz = int(round(zmax / dz))
    top = np.arange(nz, dtype=np.float64) * dz
    weh_2d = _lognormal_weh(xs, ys, mean, sd, corr, nu, int(seed), mode_no)
    b = np.where(np.isfinite(burial), burial, np.inf)[:, :, None]
    frac_ice = np.clip((top + dz - b) / dz, 0.0, 1.0)
    return Subsurface(
        x_m=xs,
        y_m=ys,
        depth_m=top + dz / 2,
        depth_step_m=dz,
        weh_wt_pct=weh_2d[:, :, None] * frac_ice,
        density_kg_m3=regolith_density_kg_m3(top + dz / 2),
        burial_depth_m=burial,
    )
