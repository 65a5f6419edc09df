"""Ground-penetrating radar: 1-D layered model per trace, synthetic radargram and first-reflector picks.

Dry regolith: eps' 3.04, tan delta 0.014 (Chang'e-5 drill-site radar values quoted in issue #14). Ice-filled pores
by the CRIM mixing rule sqrt(eps) = (1-phi) sqrt(eps_g) + phi S sqrt(eps_ice) + phi (1-S) sqrt(eps_vac), eps_ice
3.15 (Evans 1965); porosity from the Hayne et al. (2017) density and a grain density of 3100 kg/m3. Primaries only,
normal incidence, plane waves, low-loss attenuation alpha = pi f sqrt(eps') tan(delta) / c, zero-phase Ricker
wavelet; the surface return is assumed removed by background subtraction. See ``docs/models/science_instruments.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import hilbert

from lupex.constants import SPEED_OF_LIGHT_M_S
from lupex.defaults import default
from lupex.errors import InputError
from lupex.science.observations import RadarPicks
from lupex.science.subsurface import Subsurface

__all__ = [
    "Radargram",
    "attenuation_np_m",
    "column_permittivity",
    "crim_permittivity",
    "first_reflector_twt_ns",
    "radar_picks",
    "radargram",
    "range_resolution_m",
    "reflection_coefficient",
    "ricker_wavelet",
    "sum_of_wavelets",
    "two_way_time_ns",
]

_C_M_NS = SPEED_OF_LIGHT_M_S * 1e-9


@dataclass(frozen=True)
class Radargram:
    """Synthetic radargram.

    Attributes
    ----------
    twt_ns : float64 (nt,)
        Two-way travel time of the samples [ns] (0 at the surface).
    amplitude : float64 (n, nt)
        Trace amplitudes relative to the incident amplitude [1], noise included.
    noise_sd : float
        One-sigma noise added [1].
    frequency_Hz : float
        Ricker centre frequency [Hz].
    """

    twt_ns: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    noise_sd: float
    frequency_Hz: float


def two_way_time_ns(depth_m: ArrayLike, permittivity: ArrayLike) -> NDArray[np.float64]:
    """Two-way travel time 2 d sqrt(eps') / c [ns] to a depth [m] through a uniform medium of permittivity [1]."""
    return np.asarray(2.0 * np.asarray(depth_m, dtype=float) * np.sqrt(permittivity) / _C_M_NS, dtype=np.float64)


def range_resolution_m(bandwidth_Hz: ArrayLike, permittivity: ArrayLike) -> NDArray[np.float64]:
    """Vertical resolution c / (2 B sqrt(eps')) [m] for a bandwidth [Hz] in a medium of permittivity [1]."""
    return np.asarray(SPEED_OF_LIGHT_M_S / (2.0 * np.asarray(bandwidth_Hz) * np.sqrt(permittivity)), dtype=np.float64)


def crim_permittivity(
    porosity: ArrayLike,
    ice_saturation: ArrayLike,
    grain_permittivity: ArrayLike,
    *,
    ice_permittivity: float | None = None,
) -> NDArray[np.float64]:
    """CRIM permittivity of grains, ice and vacuum in the pores [1].

    Parameters
    ----------
    porosity : array_like
        Pore volume fraction phi [1], in [0, 1].
    ice_saturation : array_like
        Fraction S of the pores filled with ice [1], in [0, 1].
    grain_permittivity : array_like
        Real permittivity of the solid grains [1].
    ice_permittivity : float, optional
        Real permittivity of ice [1] (default ``science_ice_permittivity``).

    Returns
    -------
    ndarray
        eps' with sqrt(eps') = (1-phi) sqrt(eps_g) + phi S sqrt(eps_ice) + phi (1-S).
    """
    e_ice = default("science_ice_permittivity") if ice_permittivity is None else ice_permittivity
    phi, s = np.asarray(porosity, dtype=float), np.asarray(ice_saturation, dtype=float)
    if np.any((phi < 0) | (phi > 1) | (s < 0) | (s > 1)):
        raise InputError("porosity and ice_saturation must lie in [0, 1]; clip them to the unit interval")
    root = (1 - phi) * np.sqrt(grain_permittivity) + phi * s * np.sqrt(e_ice) + phi * (1 - s)
    return np.asarray(root**2, dtype=np.float64)


def reflection_coefficient(permittivity_1: ArrayLike, permittivity_2: ArrayLike) -> NDArray[np.float64]:
    """Normal-incidence amplitude reflection (sqrt(e1) - sqrt(e2)) / (sqrt(e1) + sqrt(e2)) [1], from 1 into 2."""
    r1, r2 = np.sqrt(np.asarray(permittivity_1, dtype=float)), np.sqrt(np.asarray(permittivity_2, dtype=float))
    return np.asarray((r1 - r2) / (r1 + r2), dtype=np.float64)


def attenuation_np_m(frequency_Hz: float, permittivity: ArrayLike, loss_tangent: float) -> NDArray[np.float64]:
    """Low-loss amplitude attenuation pi f sqrt(eps') tan(delta) / c [Np/m]."""
    return np.asarray(np.pi * frequency_Hz * np.sqrt(permittivity) * loss_tangent / SPEED_OF_LIGHT_M_S)


def ricker_wavelet(t_ns: ArrayLike, frequency_Hz: float) -> NDArray[np.float64]:
    """Zero-phase Ricker wavelet (1 - 2 (pi f t)^2) exp(-(pi f t)^2) [1], peak 1 at t = 0 [ns]."""
    u = (np.pi * frequency_Hz * 1e-9 * np.asarray(t_ns, dtype=float)) ** 2
    return np.asarray((1 - 2 * u) * np.exp(-u), dtype=np.float64)


#: The Ricker wavelet is evaluated where |pi f t| <= this; beyond, |(1 - 2u) e^-u| < 4e-17 (u = 42.25).
RICKER_SUPPORT = 6.5
#: Values per work array of :func:`sum_of_wavelets` (traces x reflectors x support samples; 32 MB of float64):
#: traces are summed in chunks that fit, whatever the number of traces, reflectors or the frequency.
_WORK_VALUES = 4_000_000


def sum_of_wavelets(
    t_ns: NDArray[np.float64], delay_ns: NDArray[np.float64], amplitude: NDArray[np.float64], frequency_Hz: float
) -> NDArray[np.float64]:
    """``sum_k amplitude[n, k] ricker(t - delay[n, k])`` per trace n [1] on the evenly spaced times ``t_ns`` [ns].

    Each wavelet is evaluated only within its support (:data:`RICKER_SUPPORT`), so the work is
    n x k x (support / dt) instead of n x k x nt; the dropped tails are below 4e-17 of each amplitude.
    """
    n, n_k = delay_ns.shape
    nt = t_ns.size
    out = np.zeros((n, nt))
    if n == 0 or n_k == 0 or nt == 0:
        return out
    dt = float(t_ns[1] - t_ns[0]) if nt > 1 else 1.0
    half_ns = RICKER_SUPPORT / (np.pi * frequency_Hz * 1e-9)
    offsets = np.arange(int(np.ceil(2.0 * half_ns / dt)) + 2)
    chunk = max(1, _WORK_VALUES // (n_k * offsets.size))
    for a in range(0, n, chunk):
        d = delay_ns[a : a + chunk]
        m = d.shape[0]
        idx = np.floor((d - half_ns - t_ns[0]) / dt).astype(np.int64)[..., None] + offsets  # (m, k, width)
        inside = (idx >= 0) & (idx < nt)
        np.clip(idx, 0, nt - 1, out=idx)
        values = amplitude[a : a + m, :, None] * ricker_wavelet(t_ns[idx] - d[..., None], frequency_Hz)
        values[~inside] = 0.0
        flat = idx + (np.arange(m) * nt)[:, None, None]
        out[a : a + m] = np.bincount(flat.ravel(), weights=values.ravel(), minlength=m * nt).reshape(m, nt)
    return out


def column_permittivity(sub: Subsurface, x_m: ArrayLike, y_m: ArrayLike) -> NDArray[np.float64]:
    """Permittivity per depth bin (n, nz) [1] of the truth columns nearest to the points (CRIM, ice in pores)."""
    e_dry = default("science_regolith_permittivity")
    phi = np.clip(1.0 - sub.density_kg_m3 / default("science_grain_density_kg_m3"), 0.0, 1.0)
    root_grain = (np.sqrt(e_dry) - phi) / (1 - phi)  # grains that make dry regolith eps' = e_dry at this porosity
    iy, ix = sub.nearest_index(x_m, y_m)
    ice_vol = sub.weh_wt_pct[np.atleast_1d(iy), np.atleast_1d(ix)] / 100 * sub.density_kg_m3
    sat = np.clip(ice_vol / default("science_ice_density_kg_m3") / np.maximum(phi, 1e-9), 0.0, 1.0)
    return crim_permittivity(phi, sat, root_grain**2)


def radargram(
    permittivity: ArrayLike,
    depth_step_m: float,
    *,
    seed: int,
    frequency_Hz: float | None = None,
    noise_sd: float | None = None,
    sample_ns: float = 0.05,
) -> Radargram:
    """Synthetic traces over layered columns: primaries at every bin interface, transmission and attenuation losses.

    Parameters
    ----------
    permittivity : array_like (n, nz)
        eps' per depth bin from the surface [1].
    depth_step_m : float
        Bin thickness [m].
    seed : int
        Seed of the noise.
    frequency_Hz : float, optional
        Ricker centre frequency [Hz] (default ``science_radar_frequency_Hz``).
    noise_sd : float, optional
        Gaussian noise, one sigma, relative to the incident amplitude [1] (default ``science_radar_noise_sd``).
    sample_ns : float
        Sample interval [ns].

    Returns
    -------
    Radargram
    """
    f = default("science_radar_frequency_Hz") if frequency_Hz is None else float(frequency_Hz)
    sd = default("science_radar_noise_sd") if noise_sd is None else float(noise_sd)
    if not (f > 0 and sd >= 0 and sample_ns > 0 and depth_step_m > 0):
        raise InputError(f"need frequency_Hz > 0, noise_sd >= 0, sample_ns > 0; got {f}, {sd}, {sample_ns}")
    eps = np.atleast_2d(np.asarray(permittivity, dtype=float))
    layer_ns = two_way_time_ns(depth_step_m, eps)
    twt_if = np.cumsum(layer_ns, axis=1)[:, :-1]  # interfaces below bins 0..nz-2
    refl = reflection_coefficient(eps[:, :-1], eps[:, 1:])
    trans = np.cumprod(np.concatenate([np.ones((eps.shape[0], 1)), 1 - refl[:, :-1] ** 2], axis=1), axis=1)
    alpha = attenuation_np_m(f, eps, default("science_regolith_loss_tangent"))
    loss = np.exp(-2 * np.cumsum(alpha * depth_step_m, axis=1))[:, :-1]
    amp = refl * trans * loss
    t = np.arange(-2e9 / f, float(layer_ns.sum(axis=1).max()) + 3e9 / f, sample_ns)
    keep = np.flatnonzero(np.any(amp != 0, axis=0))
    traces = sum_of_wavelets(t, twt_if[:, keep], amp[:, keep], f)
    traces += sd * np.random.default_rng(seed).standard_normal(traces.shape)
    return Radargram(twt_ns=t, amplitude=traces, noise_sd=sd, frequency_Hz=f)


def first_reflector_twt_ns(gram: Radargram, *, threshold_sigma: float | None = None) -> NDArray[np.float64]:
    """Two-way time [ns] of the envelope maximum within one period after the first ``threshold_sigma`` crossing.

    NaN where the envelope never exceeds ``threshold_sigma`` noise sigmas.
    """
    k = default("science_radar_pick_threshold_sigma") if threshold_sigma is None else float(threshold_sigma)
    env = np.abs(hilbert(gram.amplitude, axis=1))
    above = env > max(k * gram.noise_sd, 1e-12)
    out = np.full(env.shape[0], np.nan)
    window = max(int(round(1e9 / gram.frequency_Hz / (gram.twt_ns[1] - gram.twt_ns[0]))), 1)
    for i in np.flatnonzero(above.any(axis=1)):
        j = int(np.argmax(above[i]))
        out[i] = gram.twt_ns[j + int(np.argmax(env[i, j : j + window]))]
    return out


def radar_picks(
    sub: Subsurface,
    x_m: ArrayLike,
    y_m: ArrayLike,
    *,
    seed: int,
    frequency_Hz: float | None = None,
    bandwidth_Hz: float | None = None,
    noise_sd: float | None = None,
) -> RadarPicks:
    """Radar traces at points over the truth and picks of the top of the ice-bearing layer.

    Parameters
    ----------
    sub : Subsurface
        The truth.
    x_m, y_m : array_like (n,)
        Trace positions [m].
    seed : int
        Seed of the noise.
    frequency_Hz, noise_sd : float, optional
        As in :func:`radargram`.
    bandwidth_Hz : float, optional
        Radar bandwidth B [Hz] (default: the centre frequency, a Ricker wavelet's bandwidth is of that order).

    Returns
    -------
    RadarPicks
        Depth = c twt / (2 sqrt(eps_dry)) [m]; one-sigma uncertainty = the range resolution c / (2 B sqrt(eps')) [m].
    """
    f = default("science_radar_frequency_Hz") if frequency_Hz is None else float(frequency_Hz)
    bw = f if bandwidth_Hz is None else float(bandwidth_Hz)
    if not (f > 0 and bw > 0):
        raise InputError(f"radar frequency_Hz and bandwidth_Hz must be > 0 Hz, got {f:g} and {bw:g}; e.g. 5e8")
    x, y = np.atleast_1d(np.asarray(x_m, dtype=float)), np.atleast_1d(np.asarray(y_m, dtype=float))
    gram = radargram(column_permittivity(sub, x, y), sub.depth_step_m, seed=seed, frequency_Hz=f, noise_sd=noise_sd)
    e_dry = default("science_regolith_permittivity")
    depth = np.maximum(first_reflector_twt_ns(gram), 0.0) * _C_M_NS / (2 * np.sqrt(e_dry))
    sd = np.where(np.isfinite(depth), float(range_resolution_m(bw, e_dry)), np.nan)
    return RadarPicks(x_m=x, y_m=y, depth_m=depth, depth_sd_m=sd)
