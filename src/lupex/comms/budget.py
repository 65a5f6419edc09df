"""Direct-to-Earth radio link budgets (downlink telemetry and uplink commands) over a time series.

One budget per time sample of a contact window: transmitter power and antenna, EIRP, free-space loss at the actual
range, pointing and polarisation losses, ITU-R atmospheric attenuation at the station's elevation (gases, clouds,
rain, scintillation through the ``itur`` package), the station G/T corrected for the sky noise the atmosphere
adds, the required Eb/N0 of a CCSDS coding, implementation loss and required margin; from these the margin at a
given data rate and the highest supported rate of a ladder of standard rates, and data volumes per pass and per
day. Equations, sources and limits: ``docs/models/link_budget.md``.

Decibel conventions follow :mod:`lupex.comms.radio`. Every default comes from :mod:`lupex.defaults`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lupex.comms.radio import (
    BOLTZMANN_dBW_K_Hz,
    antenna_gain_dBi,
    db_to_linear,
    free_space_loss_dB,
    linear_to_db,
    wavelength_m,
)
from lupex.constants import MOON_RADIUS_M
from lupex.defaults import default
from lupex.errors import InputError

__all__ = [
    "CODINGS",
    "STANDARD_RATES_BPS",
    "AtmosphericLoss",
    "Coding",
    "LinkBudget",
    "Receiver",
    "Transmitter",
    "atmospheric_loss_dB",
    "data_volume_bits",
    "data_volume_per_day_bits",
    "data_volume_per_pass_bits",
    "link_budget",
    "max_rate_bps",
    "receiver_noise_temperature_K",
    "sky_noise_temperature_K",
    "station_g_over_t_dB_K",
    "uplink_budget",
]

Confidence = Literal["published", "estimate", "placeholder"]

_GREEN_BOOK = "CCSDS 130.1-G-2 (TM Synchronization and Channel Coding - Summary of Concept and Rationale, 2012)"


@dataclass(frozen=True)
class Coding:
    """Threshold of a channel coding scheme on the AWGN channel (BPSK/QPSK, coherent, ideal soft decisions).

    Attributes
    ----------
    required_ebn0_dB : float
        Information-bit energy to noise density needed to reach ``error_rate`` [dB].
    error_rate : float
        The bit (BER) or frame (FER) error rate at which ``required_ebn0_dB`` is quoted [-].
    error_rate_kind : {"BER", "FER"}
        Whether ``error_rate`` is a bit or a frame (codeword) error rate.
    code_rate : float
        Information bits per channel symbol of the code [-] (1 for uncoded).
    source : str
        Where the number comes from.
    confidence : {"published", "estimate", "placeholder"}
        As in :class:`lupex.defaults.Default`; ``estimate``: read from a published performance curve.
    """

    required_ebn0_dB: float
    error_rate: float
    error_rate_kind: Literal["BER", "FER"]
    code_rate: float
    source: str
    confidence: Confidence


#: Required Eb/N0 of the CCSDS 131.0-B telemetry codings lupex knows (name -> :class:`Coding`), ideal decoders
#: on the AWGN channel (the implementation loss is a separate term). The uncoded value is exact (BER =
#: Q(sqrt(2 Eb/N0))); the (7,1/2) value is Heller & Jacobs' published figure; the others are read off the cited
#: performance curves (to about 0.3 dB, not tabulated in the text) and are labelled ``estimate``.
CODINGS: dict[str, Coding] = {
    "uncoded": Coding(
        9.59,
        1e-5,
        "BER",
        1.0,
        "BPSK/QPSK BER = Q(sqrt(2 Eb/N0)) = 1e-5 at 9.59 dB (e.g. Proakis, Digital Communications, 5th ed., 4.3)",
        "published",
    ),
    "conv_k7_r1/2": Coding(
        4.4,
        1e-5,
        "BER",
        0.5,
        "(7,1/2) convolutional code, soft-decision (3-bit) Viterbi: Heller & Jacobs 1971, "
        f"IEEE Trans. Commun. Technol. 19(5):835; {_GREEN_BOOK} sec. 4; as relay_required_ebn0_dB",
        "published",
    ),
    "rs_conv_k7_r1/2": Coding(
        2.5,
        1e-6,
        "BER",
        0.5 * 223 / 255,
        f"RS(255,223) I=5 + (7,1/2) convolutional: {_GREEN_BOOK} sec. 6 BER curves (the 'Voyager' concatenated code)",
        "estimate",
    ),
    "turbo_r1/2_k8920": Coding(
        1.0,
        1e-6,
        "BER",
        0.5,
        f"Turbo r=1/2, 8920-bit frames, 10 iterations: {_GREEN_BOOK} sec. 7 "
        "(fig. 7-9, BER/FER of the 8920-bit turbo codes)",
        "estimate",
    ),
    "turbo_r1/6_k8920": Coding(
        0.0,
        1e-6,
        "BER",
        1.0 / 6.0,
        f"Turbo r=1/6, 8920-bit frames, 10 iterations: {_GREEN_BOOK} sec. 7 (figs. 7-9 and 7-13)",
        "estimate",
    ),
    "ldpc_ar4ja_r1/2_k1024": Coding(
        1.7,
        1e-4,
        "FER",
        0.5,
        f"AR4JA LDPC r=1/2, k=1024 (CCSDS 131.0-B sec. 7.4): {_GREEN_BOOK} sec. 8 codeword-error-rate curves",
        "estimate",
    ),
    "ldpc_c2_r7/8": Coding(
        4.0,
        1e-6,
        "BER",
        7136 / 8160,
        f"(8160,7136) LDPC, rate 223/255 (CCSDS 131.0-B sec. 7.3): {_GREEN_BOOK} sec. 8 BER curves",
        "estimate",
    ),
}


def _rate_ladder() -> tuple[float, ...]:
    lo = int(round(math.log2(default("comms_rate_ladder_min_bps"))))
    hi = int(round(math.log2(default("comms_rate_ladder_max_bps"))))
    return tuple(float(2**k) for k in range(lo, hi + 1))


#: Standard data rates [bps]: powers of two from ``comms_rate_ladder_min_bps`` (8 bps) to
#: ``comms_rate_ladder_max_bps`` (2^27 bps). CCSDS fixes no rate ladder; binary steps (3 dB apart) are the
#: customary choice of spacecraft telemetry/command rate tables (a project choice, see the model card).
STANDARD_RATES_BPS: tuple[float, ...] = _rate_ladder()


def _bad(name: str, value: object, accepted: str, fix: str) -> InputError:
    return InputError(f"{name}={value!r} is not accepted: {accepted}; {fix}")


def _finite_in(name: str, value: float, lo: float, hi: float, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and lo <= v <= hi):
        raise _bad(name, value, f"give a finite value in [{lo:g}, {hi:g}] {unit}", f"check the units ({unit})")
    return v


def _finite_array(name: str, value: ArrayLike, lo: float, hi: float, unit: str) -> NDArray[np.float64]:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad(name, value, f"numbers in [{lo:g}, {hi:g}] {unit}", "pass a float array") from None
    if a.size and not (np.all(np.isfinite(a)) and a.min() >= lo and a.max() <= hi):
        bad = a[~(np.isfinite(a) & (a >= lo) & (a <= hi))].ravel()[0]
        raise _bad(
            name,
            float(bad),
            f"every value must be finite and in [{lo:g}, {hi:g}] {unit}",
            f"drop or fix such samples (units: {unit})",
        )
    return a


def _antenna_fields(owner: str, gain: float | None, diameter: float | None, efficiency: float) -> None:
    if gain is not None and diameter is not None:
        raise _bad(
            f"{owner}.antenna_gain_dBi", gain, "give antenna_gain_dBi or diameter_m, not both", "drop one of them"
        )
    if gain is not None:
        _finite_in(f"{owner}.antenna_gain_dBi", gain, -30.0, 100.0, "dBi")
    if diameter is not None:
        _finite_in(f"{owner}.diameter_m", diameter, 1e-3, 1000.0, "m")
    _efficiency(f"{owner}.efficiency", efficiency)


def _efficiency(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and 0.0 < v <= 1.0):
        raise _bad(name, value, "an aperture efficiency in (0, 1]", "e.g. 0.55 for a parabolic dish")
    return v


def _gain(gain: float | None, diameter: float | None, efficiency: float, frequency_Hz: float) -> float:
    if gain is not None:
        return float(gain)
    if diameter is None:
        raise InputError("antenna_gain_dBi=None and diameter_m=None: the antenna needs one; give either")
    return antenna_gain_dBi(diameter, frequency_Hz, efficiency)


def _diameter(gain: float | None, diameter: float | None, efficiency: float, frequency_Hz: float) -> float:
    """Physical diameter [m], or the one a ``gain`` implies at ``efficiency`` (inverse of ``antenna_gain_dBi``)."""
    if diameter is not None:
        return float(diameter)
    g = float(db_to_linear(_gain(gain, diameter, efficiency, frequency_Hz)))
    return wavelength_m(frequency_Hz) / math.pi * math.sqrt(g / efficiency)


@dataclass(frozen=True)
class Transmitter:
    """A transmitter and its antenna (the lander/rover on the downlink, the ground station on the uplink).

    Attributes
    ----------
    power_W : float
        RF output power [W], > 0.
    antenna_gain_dBi : float or None
        Antenna gain [dBi]; give this or ``diameter_m``.
    diameter_m : float or None
        Dish diameter [m]; the gain is ``eta (pi D / lambda)^2`` at the link frequency.
    efficiency : float
        Aperture efficiency ``eta`` in (0, 1] [-] (gain from diameter; scintillation averaging on the uplink).
    line_loss_dB : float
        Loss between amplifier and antenna (cables, diplexer) [dB], >= 0.
    pointing_loss_dB : float
        Mispointing loss of this antenna [dB], >= 0.
    """

    power_W: float
    antenna_gain_dBi: float | None = None
    diameter_m: float | None = None
    efficiency: float = field(default_factory=lambda: default("comms_antenna_efficiency"))
    line_loss_dB: float = field(default_factory=lambda: default("comms_tx_line_loss_dB"))
    pointing_loss_dB: float = field(default_factory=lambda: default("comms_tx_pointing_loss_dB"))

    def __post_init__(self) -> None:
        _finite_in("transmitter.power_W", self.power_W, 1e-6, 1e7, "W")
        if self.antenna_gain_dBi is None and self.diameter_m is None:
            raise _bad(
                "transmitter.antenna_gain_dBi",
                None,
                "the antenna needs a gain or a diameter",
                "give antenna_gain_dBi or diameter_m",
            )
        _antenna_fields("transmitter", self.antenna_gain_dBi, self.diameter_m, self.efficiency)
        _finite_in("transmitter.line_loss_dB", self.line_loss_dB, 0.0, 100.0, "dB")
        _finite_in("transmitter.pointing_loss_dB", self.pointing_loss_dB, 0.0, 100.0, "dB")

    def gain_dBi(self, frequency_Hz: float) -> float:
        """Antenna gain [dBi] at ``frequency_Hz`` [Hz]."""
        return _gain(self.antenna_gain_dBi, self.diameter_m, self.efficiency, frequency_Hz)


@dataclass(frozen=True)
class Receiver:
    """A receiver given by its G/T (the ground station on the downlink, the lander/rover on the uplink).

    Attributes
    ----------
    g_over_t_dB_K : float
        Figure of merit G/T at ``reference_elevation_deg`` [dB/K], in [-50, 80].
    reference_elevation_deg : float
        Elevation at which ``g_over_t_dB_K`` holds [deg] (ground station; ignored without an antenna).
    antenna_gain_dBi, diameter_m : float or None
        The antenna (at most one). Given, G/T is corrected for the sky noise of the atmosphere at other
        elevations (:func:`station_g_over_t_dB_K`); absent, G/T is used as is (a lander looking at the Earth).
    efficiency : float
        Aperture efficiency in (0, 1] [-].
    pointing_loss_dB : float
        Mispointing loss of this antenna [dB], >= 0.
    """

    g_over_t_dB_K: float
    reference_elevation_deg: float = field(default_factory=lambda: default("comms_gt_reference_elevation_deg"))
    antenna_gain_dBi: float | None = None
    diameter_m: float | None = None
    efficiency: float = field(default_factory=lambda: default("comms_antenna_efficiency"))
    pointing_loss_dB: float = field(default_factory=lambda: default("comms_rx_pointing_loss_dB"))

    def __post_init__(self) -> None:
        _finite_in("receiver.g_over_t_dB_K", self.g_over_t_dB_K, -50.0, 80.0, "dB/K")
        _finite_in("receiver.reference_elevation_deg", self.reference_elevation_deg, 0.0, 90.0, "deg")
        _antenna_fields("receiver", self.antenna_gain_dBi, self.diameter_m, self.efficiency)
        _finite_in("receiver.pointing_loss_dB", self.pointing_loss_dB, 0.0, 100.0, "dB")

    @property
    def has_antenna(self) -> bool:
        """Whether the antenna is known (then G/T gets the sky-noise correction)."""
        return self.antenna_gain_dBi is not None or self.diameter_m is not None


# --- atmosphere (ITU-R P.618 through itur) ---------------------------------------------------------------------


@dataclass(frozen=True)
class AtmosphericLoss:
    """Slant-path atmospheric attenuation exceeded for ``100 - availability`` % of an average year, per sample.

    Attributes
    ----------
    gas_dB : numpy.ndarray
        Oxygen and water-vapour absorption, ITU-R P.676 (at max(p, 1) %) [dB].
    cloud_dB : numpy.ndarray
        Cloud attenuation, ITU-R P.840 (at max(p, 1) %) [dB].
    rain_dB : numpy.ndarray
        Rain attenuation, ITU-R P.618 sec. 2.2 with P.837/P.838/P.839 (at min(p, 5) %) [dB].
    scintillation_dB : numpy.ndarray
        Tropospheric scintillation fade, ITU-R P.618 sec. 2.4 with P.453 [dB].
    total_dB : numpy.ndarray
        ``gas + sqrt((rain + cloud)^2 + scintillation^2)``, ITU-R P.618-13 sec. 2.5 [dB].
    elevation_used_deg : numpy.ndarray
        Elevation at which the models were evaluated: the input clipped to
        [``comms_itur_min_elevation_deg``, ``comms_itur_max_elevation_deg``] [deg].
    """

    gas_dB: NDArray[np.float64]
    cloud_dB: NDArray[np.float64]
    rain_dB: NDArray[np.float64]
    scintillation_dB: NDArray[np.float64]
    total_dB: NDArray[np.float64]
    elevation_used_deg: NDArray[np.float64]

    @property
    def absorption_dB(self) -> NDArray[np.float64]:
        """Absorptive part ``gas + cloud + rain`` [dB], the attenuation that emits sky noise (no scintillation)."""
        return self.gas_dB + self.cloud_dB + self.rain_dB


def _exceedance_pct(availability_pct: float) -> float:
    try:
        a = float(availability_pct)
    except (TypeError, ValueError):
        a = math.nan
    if not (math.isfinite(a) and 50.0 <= a <= 99.999):
        raise _bad(
            "availability_pct",
            availability_pct,
            "an availability in [50, 99.999] % of an average year (ITU-R P.618 covers exceedances 0.001-50 %)",
            "e.g. 99.0 for the loss exceeded 1 % of the time",
        )
    return max(100.0 - a, 0.001)


def _elevation_grid_deg() -> NDArray[np.float64]:
    lo, hi = default("comms_itur_min_elevation_deg"), default("comms_itur_max_elevation_deg")
    n = int(round((hi - lo) / default("comms_itur_elevation_step_deg"))) + 1
    return np.linspace(lo, hi, n)


@lru_cache(maxsize=64)
def _attenuation_grid(
    lat_deg: float,
    lon_deg: float,
    height_m: float,
    frequency_Hz: float,
    exceedance_pct: float,
    antenna_m: float,
    efficiency: float,
    tilt_deg: float,
) -> tuple[NDArray[np.float64], ...]:
    """itur's gas, cloud, rain and scintillation attenuation [dB] on the elevation grid (one call per station).

    itur's scintillation (P.618 Eq. 46) evaluates ``sqrt`` on both branches of ``np.where``; for large
    antennas the branch that ``where`` discards (x >= 7, g = 0) is negative, so numpy's 'invalid value'
    floating-point warning is silenced here; the results are checked finite below. Rain is taken at
    ``min(p, 5)`` %: P.618 sec. 2.2.1.1 covers 0.001-5 %; for p > 5 % the 5 % value is an upper bound (a loss
    exceeded more often is smaller).
    """
    import itur  # lazy: itur loads astropy, scipy and its ITU-R maps
    from itur.models.itu618 import rain_attenuation

    el = _elevation_grid_deg()
    f_GHz, hs_km = frequency_Hz / 1e9, height_m / 1e3
    with np.errstate(invalid="ignore"):
        gas, cloud, _, scint, _ = itur.atmospheric_attenuation_slant_path(
            lat_deg,
            lon_deg,
            f_GHz,
            el,
            exceedance_pct,
            antenna_m,
            hs=hs_km,
            eta=efficiency,
            tau=tilt_deg,
            return_contributions=True,
            include_rain=False,
        )
    rain = rain_attenuation(lat_deg, lon_deg, f_GHz, el, hs=hs_km, p=min(exceedance_pct, 5.0), tau=tilt_deg)
    out = [el]
    for q in (gas, cloud, rain, scint):
        a = np.broadcast_to(np.asarray(getattr(q, "value", q), dtype=np.float64), el.shape).copy()
        if not np.all(np.isfinite(a)):
            raise InputError(
                f"lat_deg={lat_deg!r}, lon_deg={lon_deg!r}: itur returned non-finite attenuation; "
                "check the station coordinates and frequency"
            )
        a.flags.writeable = False
        out.append(a)
    return tuple(out)


def atmospheric_loss_dB(
    lat_deg: float,
    lon_deg: float,
    height_m: float,
    frequency_Hz: float,
    elevation_deg: ArrayLike,
    availability_pct: float,
    antenna_m: float,
    antenna_efficiency: float | None = None,
    polarization_tilt_deg: float | None = None,
) -> AtmosphericLoss:
    """ITU-R slant-path attenuation of an Earth station at ``elevation_deg``, via ``itur`` (P.618/676/840/837/453).

    itur is slow per call, so it is evaluated once per station, frequency and availability on a grid of
    elevations (``comms_itur_elevation_step_deg``, cached) and interpolated linearly. Elevations are clipped to
    [``comms_itur_min_elevation_deg`` = 5, ``comms_itur_max_elevation_deg`` = 89.9] deg: the P.676 Annex 2 slant
    path and the P.618 scintillation methods hold from 5 deg up (itur warns below; below 5 deg the loss is
    *under*-estimated, by about a factor sin(5 deg)/sin(el) on the gas term), and itur's P.676 check also flags
    exactly 90 deg while its P.618 rain horizontal-reduction factor is singular at the zenith.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Station geodetic latitude [deg] in [-90, 90] and longitude [deg] in [-180, 360].
    height_m : float
        Station height above mean sea level [m].
    frequency_Hz : float
        Carrier frequency [Hz], 1-55 GHz (the range of ITU-R P.618).
    elevation_deg : array_like
        Elevation of the spacecraft seen from the station [deg], in [0, 90].
    availability_pct : float
        Percentage of an average year the loss is not exceeded [%], in [50, 99.999].
    antenna_m : float
        Station dish diameter [m] (aperture averaging of scintillation).
    antenna_efficiency : float, optional
        Station aperture efficiency [-]; default ``comms_antenna_efficiency``.
    polarization_tilt_deg : float, optional
        Polarisation tilt to the horizontal [deg]; default ``comms_polarization_tilt_deg`` (45, circular).

    Returns
    -------
    AtmosphericLoss
        Components and total [dB], shaped like ``elevation_deg``.
    """
    eff = default("comms_antenna_efficiency") if antenna_efficiency is None else antenna_efficiency
    tilt = default("comms_polarization_tilt_deg") if polarization_tilt_deg is None else polarization_tilt_deg
    key = (
        _finite_in("lat_deg", lat_deg, -90.0, 90.0, "deg"),
        _finite_in("lon_deg", lon_deg, -180.0, 360.0, "deg"),
        _finite_in("height_m", height_m, -500.0, 9000.0, "m"),
        _finite_in("frequency_Hz", frequency_Hz, 1e9, 55e9, "Hz"),
        _exceedance_pct(availability_pct),
        _finite_in("antenna_m", antenna_m, 0.1, 1000.0, "m"),
        _efficiency("antenna_efficiency", eff),
        _finite_in("polarization_tilt_deg", tilt, 0.0, 90.0, "deg"),
    )
    el_used = np.clip(
        _finite_array("elevation_deg", elevation_deg, 0.0, 90.0, "deg"),
        default("comms_itur_min_elevation_deg"),
        default("comms_itur_max_elevation_deg"),
    )
    grid, *parts = _attenuation_grid(*key)
    gas, cloud, rain, scint = (np.interp(el_used, grid, p) for p in parts)
    total = gas + np.sqrt((rain + cloud) ** 2 + scint**2)
    return AtmosphericLoss(gas, cloud, rain, scint, total, el_used)


# --- station G/T with sky noise ---------------------------------------------------------------------------------


def sky_noise_temperature_K(
    absorption_dB: ArrayLike, mean_radiating_temperature_K: float | None = None
) -> NDArray[np.float64]:
    """Sky brightness temperature an absorbing atmosphere adds, ``T_m (1 - 10^(-A/10))`` [K] (ITU-R P.618 sec. 3).

    Parameters
    ----------
    absorption_dB : array_like
        Absorptive path attenuation (gas + cloud + rain) [dB].
    mean_radiating_temperature_K : float, optional
        Mean radiating temperature of the atmosphere [K]; default ``comms_mean_radiating_temperature_K`` (275 K).
    """
    t_m = (
        default("comms_mean_radiating_temperature_K")
        if mean_radiating_temperature_K is None
        else _finite_in("mean_radiating_temperature_K", mean_radiating_temperature_K, 1.0, 400.0, "K")
    )
    return t_m * (1.0 - 1.0 / db_to_linear(absorption_dB))


def receiver_noise_temperature_K(
    reference_g_over_t_dB_K: float,
    antenna_gain_dBi: float,
    reference_absorption_dB: float,
    mean_radiating_temperature_K: float | None = None,
) -> float:
    """Noise temperature of everything but the atmosphere [K]: ``10^((G - G/T_ref)/10) - T_sky(A_ref)``.

    Raises :class:`~lupex.errors.InputError` when the reference G/T implies a system temperature at or below
    the sky noise alone (G/T too high for the gain).
    """
    t_sys = float(db_to_linear(antenna_gain_dBi - reference_g_over_t_dB_K))
    t_sky = float(sky_noise_temperature_K(reference_absorption_dB, mean_radiating_temperature_K))
    if t_sys <= t_sky:
        raise _bad(
            "receiver.g_over_t_dB_K",
            reference_g_over_t_dB_K,
            f"with a {antenna_gain_dBi:.2f} dBi antenna it implies T_sys = {t_sys:.1f} K, not above the "
            f"{t_sky:.1f} K of sky noise at the reference elevation",
            "lower G/T or check the antenna gain",
        )
    return t_sys - t_sky


def moon_noise_temperature_K(
    frequency_Hz: float, diameter_m: float, moon_angular_radius_deg: ArrayLike, brightness_K: float | None = None
) -> NDArray[np.float64]:
    """Antenna temperature the Moon's disk adds when a station points at it [K].

    ``T_B (1 - exp(-4 ln2 rho^2 / theta^2))``: a uniform disk of angular radius ``rho`` centred in a Gaussian
    beam of half-power width ``theta = 1.22 lambda / D`` (Kraus, Radio Astronomy, ch. 3: beam filling of a
    uniform source). A 34 m dish at X band is filled by the Moon (the whole ``T_B`` is added); a small S-band
    dish sees part of it.

    Parameters
    ----------
    frequency_Hz : float
        Carrier [Hz].
    diameter_m : float
        Station antenna diameter [m].
    moon_angular_radius_deg : array_like
        Apparent radius of the Moon seen from the station [deg] (about 0.26 deg).
    brightness_K : float, optional
        Disk-averaged brightness temperature of the Moon [K]; default ``comms_moon_brightness_temperature_K``.
    """
    t_b = default("comms_moon_brightness_temperature_K") if brightness_K is None else brightness_K
    _finite_in("brightness_K", t_b, 0.0, 1000.0, "K")
    theta = (
        1.22
        * wavelength_m(_finite_in("frequency_Hz", frequency_Hz, 1e8, 1e11, "Hz"))
        / _finite_in("diameter_m", diameter_m, 0.1, 500.0, "m")
    )
    rho = np.radians(np.asarray(moon_angular_radius_deg, dtype=np.float64))
    return t_b * (1.0 - np.exp(-4.0 * np.log(2.0) * rho**2 / theta**2))


def station_g_over_t_dB_K(
    reference_g_over_t_dB_K: float,
    antenna_gain_dBi: float,
    absorption_dB: ArrayLike,
    reference_absorption_dB: float,
    mean_radiating_temperature_K: float | None = None,
    extra_noise_K: ArrayLike = 0.0,
) -> NDArray[np.float64]:
    """G/T of a ground station at other elevations [dB/K], corrected for the sky noise of the atmosphere.

    ``G/T(el) = G - 10 log10(T_rx + T_sky(A(el)))``, ``T_rx`` from :func:`receiver_noise_temperature_K`:
    equal to the reference G/T where ``absorption_dB == reference_absorption_dB``, lower where the path
    through the atmosphere is longer.

    Parameters
    ----------
    reference_g_over_t_dB_K : float
        G/T at the reference elevation [dB/K].
    antenna_gain_dBi : float
        Station antenna gain [dBi].
    absorption_dB : array_like
        Absorptive attenuation (gas + cloud + rain) on the path of each sample [dB].
    reference_absorption_dB : float
        The same at the reference elevation [dB].
    mean_radiating_temperature_K : float, optional
        As in :func:`sky_noise_temperature_K`.
    extra_noise_K : array_like
        Noise of a source in the beam (the Moon: :func:`moon_noise_temperature_K`) [K].
    """
    t_rx = receiver_noise_temperature_K(
        reference_g_over_t_dB_K, antenna_gain_dBi, reference_absorption_dB, mean_radiating_temperature_K
    )
    t_sky = sky_noise_temperature_K(absorption_dB, mean_radiating_temperature_K)
    return antenna_gain_dBi - linear_to_db(t_rx + t_sky + np.asarray(extra_noise_K, dtype=np.float64))


# --- the budget -------------------------------------------------------------------------------------------------

#: A rate whose margin falls short of the required one by less than this [dB] (rounding) still closes.
_RATE_TOLERANCE_dB = 1e-9


@dataclass(frozen=True)
class LinkBudget:
    """A link budget per time sample.

    Attributes
    ----------
    direction : {"downlink", "uplink"}
        Lander/rover to station, or station to lander/rover.
    coding : str
        Key of :data:`CODINGS` used.
    terms_dB : dict of str to numpy.ndarray
        Every term in budget order as its *signed contribution* [dB]: gains positive; losses, Boltzmann's
        constant (``-10 log10 k`` = +228.60 dB), the data rate (``-10 log10 R``), the required Eb/N0 and the
        implementation loss enter with their sign, so the terms sum to ``margin_dB``. Keys: ``tx_power_dBW``,
        ``tx_line_loss_dB``, ``tx_antenna_gain_dBi``, ``tx_pointing_loss_dB``, ``free_space_loss_dB``,
        ``atmospheric_loss_dB``, ``polarization_loss_dB``, ``rx_pointing_loss_dB``, ``rx_g_over_t_dB_K``,
        ``boltzmann_dBW_K_Hz``, ``data_rate_dBHz``, ``required_ebn0_dB``, ``implementation_loss_dB``.
    eirp_dBW : numpy.ndarray
        Effective isotropic radiated power (the four ``tx_`` terms) [dBW].
    c_over_n0_dBHz : numpy.ndarray
        Carrier (total received power) to noise density [dB-Hz].
    ebn0_dB : numpy.ndarray
        Received Eb/N0 at ``rate_bps`` [dB].
    margin_dB : numpy.ndarray
        ``Eb/N0 - required Eb/N0 - implementation loss`` [dB]; the link closes where it is >= ``required_margin_dB``.
    required_margin_dB : float
        Margin the design requires [dB].
    rate_bps : numpy.ndarray
        Information rate the terms are evaluated at [bps] (given, or the adaptive rate: ``max_rate_bps``, the
        lowest standard rate where none closes).
    max_rate_bps : numpy.ndarray
        Highest standard rate with ``margin >= required_margin_dB`` [bps]; 0 where none closes.
    g_over_t_dB_K : numpy.ndarray
        Receiver G/T used (downlink: sky-noise corrected at each elevation) [dB/K].
    atmosphere : AtmosphericLoss
        The atmospheric attenuation and its components.
    """

    direction: Literal["downlink", "uplink"]
    coding: str
    terms_dB: dict[str, NDArray[np.float64]]
    eirp_dBW: NDArray[np.float64]
    c_over_n0_dBHz: NDArray[np.float64]
    ebn0_dB: NDArray[np.float64]
    margin_dB: NDArray[np.float64]
    required_margin_dB: float
    rate_bps: NDArray[np.float64]
    max_rate_bps: NDArray[np.float64]
    g_over_t_dB_K: NDArray[np.float64]
    atmosphere: AtmosphericLoss

    @property
    def closes(self) -> NDArray[np.bool_]:
        """Samples where ``margin_dB >= required_margin_dB`` at ``rate_bps``."""
        return self.margin_dB >= self.required_margin_dB - _RATE_TOLERANCE_dB


def _coding(name: str) -> Coding:
    try:
        return CODINGS[name]
    except (KeyError, TypeError):
        raise _bad("coding", name, f"known codings are {', '.join(CODINGS)}", "pick one of them") from None


def _rates(rates_bps: ArrayLike | None) -> NDArray[np.float64]:
    r = np.asarray(STANDARD_RATES_BPS if rates_bps is None else rates_bps, dtype=np.float64).ravel()
    if r.size == 0:
        raise _bad("rates_bps", rates_bps, "a non-empty list of rates", "pass STANDARD_RATES_BPS or your ladder")
    return np.unique(_finite_array("rates_bps", r, 1e-3, 1e12, "bps"))


def bandwidth_limited_rate_bps(
    bandwidth_Hz: float, coding: str, bits_per_symbol: float = 2.0, rolloff: float | None = None
) -> float:
    """Highest information rate a band's allocation carries [bps]: ``B / (1 + rolloff) * bits * code_rate``.

    A root-raised-cosine spectrum of roll-off ``rolloff`` occupies ``(1 + rolloff)`` times the symbol rate
    (CCSDS 401.0-B sec. 2.4.17: filtered QPSK/OQPSK, ``bits_per_symbol = 2``); the code rate comes from
    :data:`CODINGS`. Use it to cut the rate ladder to what the deep-space band allocation (ITU-R SA.1014) holds.

    Parameters
    ----------
    bandwidth_Hz : float
        Allocated bandwidth [Hz] (X band 8400-8450 MHz: 50 MHz).
    coding : str
        Key of :data:`CODINGS`.
    bits_per_symbol : float
        Modulation order (2 for QPSK).
    rolloff : float, optional
        Filter roll-off; default ``comms_rrc_rolloff``.
    """
    r = default("comms_rrc_rolloff") if rolloff is None else _finite_in("rolloff", rolloff, 0.0, 1.0, "")
    b = _finite_in("bandwidth_Hz", bandwidth_Hz, 1.0, 1e10, "Hz")
    return b / (1.0 + r) * _finite_in("bits_per_symbol", bits_per_symbol, 1.0, 8.0, "") * _coding(coding).code_rate


def band_rates_bps(band: str, coding: str) -> NDArray[np.float64]:
    """The standard rates a deep-space band's allocation carries with ``coding`` (see
    :func:`bandwidth_limited_rate_bps`; bandwidths ``comms_bandwidth_<band>_Hz``) [bps]."""
    key = f"comms_bandwidth_{band}_Hz"
    rates = np.asarray(STANDARD_RATES_BPS, dtype=np.float64)
    try:
        cap = bandwidth_limited_rate_bps(default(key), coding)
    except KeyError:
        return rates
    return rates[rates <= cap]


def max_rate_bps(
    c_over_n0_dBHz: ArrayLike,
    required_ebn0_dB: float,
    implementation_loss_dB: float,
    required_margin_dB: float,
    rates_bps: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Highest rate of ``rates_bps`` whose margin is at least ``required_margin_dB``, per sample [bps].

    A rate ``R`` closes when ``C/N0 - 10 log10 R - required Eb/N0 - implementation loss >= required margin``
    (to within 1e-9 dB); 0 where no rate closes.

    Parameters
    ----------
    c_over_n0_dBHz : array_like
        Received C/N0 [dB-Hz].
    required_ebn0_dB, implementation_loss_dB, required_margin_dB : float
        Coding threshold, implementation loss and design margin [dB].
    rates_bps : array_like, optional
        Candidate rates [bps]; default :data:`STANDARD_RATES_BPS`.
    """
    rates = _rates(rates_bps)
    available = (
        np.asarray(c_over_n0_dBHz, dtype=np.float64) - required_ebn0_dB - implementation_loss_dB - required_margin_dB
    )
    idx = np.searchsorted(linear_to_db(rates), available + _RATE_TOLERANCE_dB, side="right") - 1
    return np.where(idx >= 0, rates[np.clip(idx, 0, None)], 0.0)


@dataclass(frozen=True)
class _Settings:
    coding: str
    polarization_loss_dB: float
    implementation_loss_dB: float
    required_margin_dB: float
    rates_bps: NDArray[np.float64]
    rate_bps: NDArray[np.float64] | None


def _settings(
    coding: str,
    rate_bps: ArrayLike | None,
    polarization_loss_dB: float | None,
    implementation_loss_dB: float | None,
    required_margin_dB: float | None,
    rates_bps: ArrayLike | None,
) -> _Settings:
    def pick(name: str, value: float | None, key: str) -> float:
        return _finite_in(name, default(key) if value is None else value, 0.0, 100.0, "dB")

    _coding(coding)
    return _Settings(
        coding,
        pick("polarization_loss_dB", polarization_loss_dB, "comms_polarization_loss_dB"),
        pick("implementation_loss_dB", implementation_loss_dB, "comms_implementation_loss_dB"),
        pick("required_margin_dB", required_margin_dB, "comms_required_margin_dB"),
        _rates(rates_bps),
        None if rate_bps is None else _finite_array("rate_bps", rate_bps, 1e-3, 1e12, "bps"),
    )


def _assemble(
    direction: Literal["downlink", "uplink"],
    tx: Transmitter,
    rx_pointing_loss_dB: float,
    g_over_t: NDArray[np.float64],
    atm: AtmosphericLoss,
    frequency_Hz: float,
    distance_m: NDArray[np.float64],
    s: _Settings,
) -> LinkBudget:
    code = CODINGS[s.coding]
    shape = np.broadcast_shapes(distance_m.shape, atm.total_dB.shape, () if s.rate_bps is None else s.rate_bps.shape)

    def full(v: ArrayLike) -> NDArray[np.float64]:
        return np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy()

    terms = {
        "tx_power_dBW": full(linear_to_db(tx.power_W)),
        "tx_line_loss_dB": full(-tx.line_loss_dB),
        "tx_antenna_gain_dBi": full(tx.gain_dBi(frequency_Hz)),
        "tx_pointing_loss_dB": full(-tx.pointing_loss_dB),
        "free_space_loss_dB": full(-free_space_loss_dB(distance_m, frequency_Hz)),
        "atmospheric_loss_dB": full(-atm.total_dB),
        "polarization_loss_dB": full(-s.polarization_loss_dB),
        "rx_pointing_loss_dB": full(-rx_pointing_loss_dB),
        "rx_g_over_t_dB_K": full(g_over_t),
        "boltzmann_dBW_K_Hz": full(-BOLTZMANN_dBW_K_Hz),
    }
    eirp = (
        terms["tx_power_dBW"] + terms["tx_line_loss_dB"] + terms["tx_antenna_gain_dBi"] + terms["tx_pointing_loss_dB"]
    )
    c_over_n0 = np.sum(np.stack(list(terms.values())), axis=0)
    best = max_rate_bps(c_over_n0, code.required_ebn0_dB, s.implementation_loss_dB, s.required_margin_dB, s.rates_bps)
    rate = full(np.where(best > 0, best, s.rates_bps[0]) if s.rate_bps is None else s.rate_bps)
    terms["data_rate_dBHz"] = -linear_to_db(rate)
    terms["required_ebn0_dB"] = full(-code.required_ebn0_dB)
    terms["implementation_loss_dB"] = full(-s.implementation_loss_dB)
    ebn0 = c_over_n0 + terms["data_rate_dBHz"]
    margin = ebn0 + terms["required_ebn0_dB"] + terms["implementation_loss_dB"]
    return LinkBudget(
        direction,
        s.coding,
        terms,
        full(eirp),
        c_over_n0,
        ebn0,
        margin,
        s.required_margin_dB,
        rate,
        full(best),
        full(g_over_t),
        atm,
    )


def link_budget(
    transmitter: Transmitter,
    receiver: Receiver,
    coding: str,
    frequency_Hz: float,
    distance_m: ArrayLike,
    elevation_deg: ArrayLike,
    station_lat_deg: float,
    station_lon_deg: float,
    station_height_m: float,
    *,
    rate_bps: ArrayLike | None = None,
    availability_pct: float | None = None,
    polarization_loss_dB: float | None = None,
    implementation_loss_dB: float | None = None,
    required_margin_dB: float | None = None,
    rates_bps: ArrayLike | None = None,
    moon_in_beam: bool = True,
) -> LinkBudget:
    """Direct-to-Earth downlink budget (lander/rover to ground station) per time sample.

    Parameters
    ----------
    transmitter : Transmitter
        The lander/rover transmitter and antenna.
    receiver : Receiver
        The ground station: G/T at its reference elevation and its antenna (gain or diameter, required: it
        sets the sky-noise correction and the ITU-R scintillation aperture averaging).
    coding : str
        Key of :data:`CODINGS`.
    frequency_Hz : float
        Downlink carrier frequency [Hz], 1-55 GHz.
    distance_m : array_like
        Station-spacecraft range per sample [m].
    elevation_deg : array_like
        Elevation of the spacecraft at the station per sample [deg], in [0, 90] (samples inside contact windows).
    station_lat_deg, station_lon_deg, station_height_m : float
        Station geodetic latitude [deg], longitude [deg] and height above mean sea level [m].
    rate_bps : array_like, optional
        Information rate to evaluate [bps]; default: the adaptive rate (``max_rate_bps`` per sample).
    availability_pct : float, optional
        Weather availability of the atmospheric loss [%]; default ``comms_availability_pct``.
    polarization_loss_dB, implementation_loss_dB, required_margin_dB : float, optional
        [dB]; defaults ``comms_polarization_loss_dB``, ``comms_implementation_loss_dB``,
        ``comms_required_margin_dB``.
    rates_bps : array_like, optional
        Rate ladder [bps]; default :data:`STANDARD_RATES_BPS`.
    moon_in_beam : bool
        Add the Moon's thermal noise to the station's system temperature (:func:`moon_noise_temperature_K`, the
        Moon's apparent radius from ``distance_m``); the G/T term then includes it.

    Returns
    -------
    LinkBudget
        Arrays shaped like the broadcast of ``distance_m``, ``elevation_deg`` (and ``rate_bps``).
    """
    s = _settings(coding, rate_bps, polarization_loss_dB, implementation_loss_dB, required_margin_dB, rates_bps)
    if not receiver.has_antenna:
        raise _bad(
            "receiver.diameter_m",
            None,
            "the ground station's antenna is needed on the downlink",
            "give receiver diameter_m or antenna_gain_dBi",
        )
    f = _finite_in("frequency_Hz", frequency_Hz, 1e9, 55e9, "Hz")
    d = _finite_array("distance_m", distance_m, 1.0, 1e13, "m")
    site = (station_lat_deg, station_lon_deg, station_height_m, f)
    avail = default("comms_availability_pct") if availability_pct is None else availability_pct
    dish = _diameter(receiver.antenna_gain_dBi, receiver.diameter_m, receiver.efficiency, f)
    atm = atmospheric_loss_dB(*site, elevation_deg, avail, dish, receiver.efficiency)
    ref = atmospheric_loss_dB(*site, receiver.reference_elevation_deg, avail, dish, receiver.efficiency)
    gain = _gain(receiver.antenna_gain_dBi, receiver.diameter_m, receiver.efficiency, f)
    moon_K = (
        moon_noise_temperature_K(f, dish, np.degrees(np.arcsin(MOON_RADIUS_M / np.maximum(d, MOON_RADIUS_M))))
        if moon_in_beam
        else 0.0
    )
    gt = station_g_over_t_dB_K(receiver.g_over_t_dB_K, gain, atm.absorption_dB, float(ref.absorption_dB),
                               extra_noise_K=moon_K)  # fmt: skip
    return _assemble("downlink", transmitter, receiver.pointing_loss_dB, gt, atm, f, d, s)


def uplink_budget(
    transmitter: Transmitter,
    receiver: Receiver,
    coding: str,
    frequency_Hz: float,
    distance_m: ArrayLike,
    elevation_deg: ArrayLike,
    station_lat_deg: float,
    station_lon_deg: float,
    station_height_m: float,
    *,
    rate_bps: ArrayLike | None = None,
    availability_pct: float | None = None,
    polarization_loss_dB: float | None = None,
    implementation_loss_dB: float | None = None,
    required_margin_dB: float | None = None,
    rates_bps: ArrayLike | None = None,
) -> LinkBudget:
    """Command uplink budget (ground station to lander/rover) per time sample.

    As :func:`link_budget` with the roles swapped: ``transmitter`` is the ground station (power and dish give
    its EIRP; the dish also sets the scintillation aperture averaging), ``receiver`` the lander/rover, whose
    G/T is used as given (it looks at the Earth, not through the atmosphere; its antenna, if given, is not
    used). The atmospheric loss is the station's at ``elevation_deg``. ``max_rate_bps`` is the command rate.
    """
    s = _settings(coding, rate_bps, polarization_loss_dB, implementation_loss_dB, required_margin_dB, rates_bps)
    f = _finite_in("frequency_Hz", frequency_Hz, 1e9, 55e9, "Hz")
    d = _finite_array("distance_m", distance_m, 1.0, 1e13, "m")
    avail = default("comms_availability_pct") if availability_pct is None else availability_pct
    dish = _diameter(transmitter.antenna_gain_dBi, transmitter.diameter_m, transmitter.efficiency, f)
    atm = atmospheric_loss_dB(
        station_lat_deg, station_lon_deg, station_height_m, f, elevation_deg, avail, dish, transmitter.efficiency
    )
    gt = np.full(atm.total_dB.shape, float(receiver.g_over_t_dB_K))
    return _assemble("uplink", transmitter, receiver.pointing_loss_dB, gt, atm, f, d, s)


# --- data volume ------------------------------------------------------------------------------------------------


def _volume_inputs(rate_bps: ArrayLike, dt_s: ArrayLike) -> NDArray[np.float64]:
    r = _finite_array("rate_bps", rate_bps, 0.0, 1e12, "bps")
    dt = _finite_array("dt_s", dt_s, 0.0, 1e9, "s")
    return np.asarray(r * dt, dtype=np.float64)


def data_volume_bits(rate_bps: ArrayLike, dt_s: ArrayLike) -> float:
    """Data returned by a time series [bits]: ``sum(rate_i dt_i)``, each sample holding its rate for ``dt_i``.

    Parameters
    ----------
    rate_bps : array_like
        Rate per sample [bps] (e.g. ``LinkBudget.max_rate_bps``; 0 where the link does not close).
    dt_s : array_like
        Duration each sample stands for [s] (scalar: the sampling step).
    """
    return float(np.sum(_volume_inputs(rate_bps, dt_s)))


def data_volume_per_pass_bits(rate_bps: ArrayLike, dt_s: ArrayLike, pass_index: ArrayLike) -> NDArray[np.float64]:
    """Data volume of each pass [bits]: ``sum(rate_i dt_i)`` over the samples of each group.

    Parameters
    ----------
    rate_bps, dt_s : array_like
        As in :func:`data_volume_bits`.
    pass_index : array_like of int
        Pass (contact window) number of each sample, from 0; any grouping works (e.g. the day number gives
        the volume per day).

    Returns
    -------
    numpy.ndarray
        Volume of passes ``0 .. max(pass_index)`` [bits] (0 for a number without samples).
    """
    v = _volume_inputs(rate_bps, dt_s)
    idx = np.asarray(pass_index)
    if idx.size and (not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0):
        raise _bad(
            "pass_index",
            idx.ravel()[0] if idx.size else idx,
            "non-negative integers, one per sample",
            "number the passes 0, 1, 2, ...",
        )
    return np.bincount(idx.ravel(), weights=np.broadcast_to(v, idx.shape).ravel()).astype(np.float64)


def data_volume_per_day_bits(volume_bits: float, span_s: float) -> float:
    """Mean daily volume [bits/day] of ``volume_bits`` returned over a span of ``span_s`` [s] (e.g. the windows'
    analysis period)."""
    v = _finite_in("volume_bits", volume_bits, 0.0, 1e30, "bits")
    return v * 86400.0 / _finite_in("span_s", span_s, 1e-3, 1e12, "s")
