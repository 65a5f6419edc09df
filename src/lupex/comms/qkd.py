"""Secure link: asymptotic key rates of quantum key distribution (QKD), and the Earth-Moon verdict.

Protocols (``PROTOCOLS``), all asymptotic (infinitely long keys, no finite-key corrections):

* ``bb84-infinite``: decoy-state BB84 with infinitely many decoys, GLLP key formula with the Lo-Ma-Chen
  single-photon yield and error (Lo, Ma & Chen, PRL 94, 230504 (2005); Ma, Qi, Zhao & Lo, PRA 72, 012326 (2005)):
  ``R = q {-Q_mu f H2(E_mu) + Q1 [1 - H2(e1)]}`` with ``Y1 = Y0 + eta``, ``e1 = (e0 Y0 + e_det eta) / Y1``,
  ``Q1 = Y1 mu exp(-mu)``;
* ``bb84-decoy``: vacuum + one weak decoy ``nu1`` (Ma et al. 2005, Sec. "vacuum + weak decoy"): the same formula
  with the lower bound on ``Y1`` and the upper bound on ``e1`` estimated from the gains of the decoys;
* ``bb84-gllp``: BB84 without decoys; every multi-photon pulse is tagged, ``Delta = P(n >= 2 | mu) / Q_mu``,
  ``R = q Q_mu {-f H2(E) + (1 - Delta) [1 - H2(E / (1 - Delta))]}`` (Gottesman, Lo, Lutkenhaus & Preskill 2004);
* ``bbm92``: entanglement-based BBM92 with a parametric down-conversion source (Ma, Fung & Lo, PRA 76, 012307
  (2007)), source in the middle of the link or at one end: ``R = q Q_lambda {1 - f H2(E_lambda) - H2(E_lambda)}``.

Common model: ``Q_mu = Y0 + 1 - exp(-eta mu)``, ``E_mu Q_mu = e0 Y0 + e_det (1 - exp(-eta mu))``, ``e0 = 1/2``,
``eta = eta_channel eta_Bob``, ``q = 1/2`` (``qkd_sifting_factor``). The signal intensity (the mean photon
number ``mu``, or for BBM92 the mean pair number ``2 lambda``) is optimised per point. The key rate in bit/s is
``R f_rep``, scaled down when the detector would click faster than its dead time allows.

Channels: optical fibre (``FibreChannel``, dB/km), terrestrial free space (``FreeSpaceChannel``: Gaussian-beam
diffraction from the apertures and wavelength, atmospheric extinction, pointing loss) and a satellite down-link
(``SatelliteDownlink``: slant range from orbit height and elevation, atmosphere scaled by the air mass). Losses
in the names ``*_db`` are in decibels; ``loss_db`` of a link is the loss of the channel between the source and
the receiver's input (the receiver's own efficiency ``detector_efficiency`` is a device parameter).

Presets (``PRESET_TABLE``; every number with unit, source and confidence): ``gys``, ``isro-300m``, ``micius``.
The model card is ``docs/models/qkd.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.special import gammainc, xlogy

from lupex.constants import EARTH_MEAN_RADIUS_M
from lupex.defaults import Default, default
from lupex.errors import InputError

__all__ = [
    "E0",
    "PRESETS",
    "PRESET_TABLE",
    "PROTOCOLS",
    "Channel",
    "FibreChannel",
    "FreeSpaceChannel",
    "KeyRateCurve",
    "LinkVerdict",
    "OptimalKeyRate",
    "QkdDevice",
    "QkdPreset",
    "SatelliteDownlink",
    "air_mass",
    "binary_entropy",
    "channel_loss_db",
    "cutoff_km",
    "earth_moon_verdict",
    "elevation_from_slant_range_deg",
    "geometric_loss_db",
    "key_rate_curve",
    "key_rate_per_pulse",
    "max_loss_db",
    "optimal_key_rate",
    "qkd_preset",
    "quantum_bit_error_rate",
    "slant_range_km",
]

#: Error rate of a random (background or dark) count [1]: half of them hit the wrong bit.
E0 = 0.5
#: Protocols known to the model, in the order the CLI lists them.
PROTOCOLS: tuple[str, ...] = ("bb84-decoy", "bb84-infinite", "bb84-gllp", "bbm92")
#: Earth radius for the slant-range geometry [km] (mean radius, 6371 km).
_EARTH_RADIUS_KM = EARTH_MEAN_RADIUS_M / 1000.0
_SMALLEST_TRANSMITTANCE = 1e-300  # losses above ~3000 dB would underflow to zero transmittance
_NO_KEY = -1.0  # raw rate of a parameter point where the bound is undefined (no key); below every real rate
_GRID_POINTS = 81
_GOLDEN_STEPS = 48
_CHUNK_ROWS = 2048
_INVERSE_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0

SourcePosition = Literal["middle", "end"]


# --------------------------------------------------------------------------------------------- validation


def _check_number(name: str, value: float, low: float, high: float, hint: str, *, low_open: bool = False) -> float:
    """Refuse a NaN, infinite or out-of-range scalar argument (one-line message naming ``name``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} {value!r} is not a number; {hint}") from None
    if not math.isfinite(number):
        raise InputError(f"{name} {number:g} is not a finite number; {hint}")
    if (number <= low if low_open else number < low) or number > high:
        bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]" if math.isfinite(high) else None
        accepted = f"is outside {bounds}" if bounds else f"must be {'>' if low_open else '>='} {low:g}"
        raise InputError(f"{name} {number:g} {accepted}; {hint}")
    return number


def _check_values(name: str, values: ArrayLike, hint: str) -> NDArray[np.float64]:
    """A non-empty 1-D array of finite, non-negative numbers (distances or losses), at most ``qkd_max_curve_points``."""
    try:
        array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError(f"{name} is not an array of numbers; {hint}") from None
    if array.ndim != 1:
        raise InputError(f"{name} has {array.ndim} dimensions; give a 1-D sequence of numbers ({hint})")
    if array.size == 0:
        raise InputError(f"{name} is empty; give at least one value ({hint})")
    limit = int(default("qkd_max_curve_points"))
    if array.size > limit:
        raise InputError(f"{name} has {array.size} values, more than {limit}; use a coarser step ({hint})")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        raise InputError(f"{name} holds {array[bad][0]:g}: values must be finite and >= 0; {hint}")
    return array


def _check_array(name: str, values: ArrayLike, low: float, high: float, hint: str) -> NDArray[np.float64]:
    """An array (any shape) of finite numbers within [low, high] (one-line message naming ``name``)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} is not a number or an array of numbers; {hint}") from None
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if np.any(bad):
        raise InputError(f"{name} holds {array[bad].flat[0]:g}, outside [{low:g}, {high:g}]; {hint}")
    return array


def _check_protocol(protocol: str) -> str:
    if protocol not in PROTOCOLS:
        raise InputError(f"protocol {protocol!r} is not known; choose one of {', '.join(PROTOCOLS)}")
    return protocol


def _check_source_position(source_position: str) -> SourcePosition:
    if source_position == "middle":
        return "middle"
    if source_position == "end":
        return "end"
    raise InputError(f"source_position {source_position!r} is not known; choose 'middle' or 'end' (BBM92 source)")


# --------------------------------------------------------------------------------------------- parameters


#: Accepted range of each :class:`QkdDevice` field: low, high, low bound excluded, how to fix a bad value.
_DEVICE_LIMITS: dict[str, tuple[float, float, bool, str]] = {
    "detector_efficiency": (0.0, 1.0, True, "give eta_Bob as a fraction, e.g. 0.045"),
    "dark_count_probability": (0.0, 1.0 - 1e-12, False, "give Y0 per pulse as a probability, e.g. 1.7e-6"),
    "misalignment_error": (0.0, 1.0, False, "give e_det (the intrinsic QBER) as a fraction, e.g. 0.033"),
    "error_correction_efficiency": (1.0, 10.0, False, "give f >= 1, e.g. 1.22"),
    "repetition_rate_Hz": (0.0, math.inf, True, "give the pulse rate in Hz, e.g. 2e6"),
    "decoy_intensity": (0.0, 1.0 - 1e-9, True, "give nu1 in photons per pulse, e.g. 0.1"),
    "dead_time_s": (0.0, 1.0, True, "give the detector dead time in seconds, e.g. 50e-9, or None"),
    "sifting_factor": (0.0, 1.0, True, "give q as a fraction, e.g. 0.5"),
}


@dataclass(frozen=True)
class QkdDevice:
    """Source, detector and post-processing parameters of a QKD system.

    Attributes
    ----------
    detector_efficiency : float
        ``eta_Bob``: receiver transmittance times detector efficiency, in (0, 1] [1].
    dark_count_probability : float
        ``Y0``: background and dark-count probability per pulse (per coincidence window), in [0, 1) [1].
    misalignment_error : float
        ``e_det``: probability that a signal photon hits the wrong detector (intrinsic QBER), in [0, 1] [1].
    error_correction_efficiency : float
        ``f``: error-correction leakage relative to the Shannon limit, >= 1 [1].
    repetition_rate_Hz : float
        Pulse (or pump) repetition rate [Hz].
    decoy_intensity : float
        ``nu1``: mean photon number of the weak decoy of ``bb84-decoy``, in (0, 1) [photons per pulse].
    dead_time_s : float or None
        Detector dead time [s]; None: no dead-time limit.
    sifting_factor : float
        ``q``: fraction of detections kept after basis sifting, in (0, 1] [1] (1/2 for standard BB84).
    """

    detector_efficiency: float
    dark_count_probability: float
    misalignment_error: float
    error_correction_efficiency: float
    repetition_rate_Hz: float
    decoy_intensity: float
    dead_time_s: float | None = None
    sifting_factor: float = field(default_factory=lambda: default("qkd_sifting_factor"))

    def __post_init__(self) -> None:
        for name, (low, high, low_open, hint) in _DEVICE_LIMITS.items():
            value = getattr(self, name)
            if value is not None:
                _check_number(name, value, low, high, hint, low_open=low_open)


@dataclass(frozen=True)
class FibreChannel:
    """Optical fibre: loss ``attenuation_db_per_km * distance_km`` [dB].

    Attributes
    ----------
    attenuation_db_per_km : float
        Fibre attenuation [dB/km] (0.21 dB/km for GYS at 1550 nm).
    wavelength_nm : float
        Wavelength [nm] (documentation; the attenuation already holds it).
    """

    attenuation_db_per_km: float
    wavelength_nm: float = 1550.0

    def __post_init__(self) -> None:
        _check_number(
            "attenuation_db_per_km", self.attenuation_db_per_km, 0.0, 100.0, "give the fibre loss in dB/km, e.g. 0.21"
        )
        _check_number(
            "wavelength_nm", self.wavelength_nm, 0.0, 1e6, "give the wavelength in nm, e.g. 1550", low_open=True
        )


@dataclass(frozen=True)
class FreeSpaceChannel:
    """Horizontal free-space link near the ground.

    Loss = Gaussian-beam geometric loss (:func:`geometric_loss_db`) + ``extinction_db_per_km * distance_km``
    + ``pointing_loss_db``.

    Attributes
    ----------
    wavelength_nm : float
        Wavelength [nm].
    tx_aperture_m, rx_aperture_m : float
        Transmit and receive aperture diameters [m].
    extinction_db_per_km : float
        Atmospheric extinction along the path [dB/km].
    pointing_loss_db : float
        Mean pointing, tracking and turbulence loss [dB].
    divergence_urad : float or None
        Full-angle (1/e^2) far-field divergence [urad] of a beam worse than diffraction-limited; None:
        diffraction-limited from ``tx_aperture_m``.
    """

    wavelength_nm: float
    tx_aperture_m: float
    rx_aperture_m: float
    extinction_db_per_km: float = 0.0
    pointing_loss_db: float = 0.0
    divergence_urad: float | None = None

    def __post_init__(self) -> None:
        _check_beam(self.wavelength_nm, self.tx_aperture_m, self.rx_aperture_m, self.divergence_urad)
        _check_number(
            "extinction_db_per_km",
            self.extinction_db_per_km,
            0.0,
            1000.0,
            "give the atmospheric extinction in dB/km, e.g. 0.5",
        )
        _check_number("pointing_loss_db", self.pointing_loss_db, 0.0, 1000.0, "give the pointing loss in dB, e.g. 1")


@dataclass(frozen=True)
class SatelliteDownlink:
    """Down-link from a satellite in a circular orbit to a ground station.

    Loss at slant range ``d`` = Gaussian-beam geometric loss + ``zenith_extinction_db * air_mass(elevation)``
    + ``pointing_loss_db``, the elevation following from ``d`` and ``orbit_height_km``
    (:func:`elevation_from_slant_range_deg`). Valid slant ranges: from the orbit height (zenith) to the horizon.

    Attributes
    ----------
    wavelength_nm : float
        Wavelength [nm].
    tx_aperture_m, rx_aperture_m : float
        Satellite transmit and ground receive aperture diameters [m].
    orbit_height_km : float
        Orbit height above the 6371 km sphere [km].
    zenith_extinction_db : float
        Atmospheric loss toward the zenith [dB].
    pointing_loss_db : float
        Mean pointing, tracking and turbulence loss [dB].
    divergence_urad : float or None
        Full-angle (1/e^2) far-field divergence [urad]; None: diffraction-limited from ``tx_aperture_m``.
    """

    wavelength_nm: float
    tx_aperture_m: float
    rx_aperture_m: float
    orbit_height_km: float
    zenith_extinction_db: float = 0.0
    pointing_loss_db: float = 0.0
    divergence_urad: float | None = None

    def __post_init__(self) -> None:
        _check_beam(self.wavelength_nm, self.tx_aperture_m, self.rx_aperture_m, self.divergence_urad)
        _check_number(
            "orbit_height_km", self.orbit_height_km, 0.0, 1e6, "give the orbit height in km, e.g. 500", low_open=True
        )
        _check_number(
            "zenith_extinction_db",
            self.zenith_extinction_db,
            0.0,
            1000.0,
            "give the zenith atmospheric loss in dB, e.g. 1",
        )
        _check_number("pointing_loss_db", self.pointing_loss_db, 0.0, 1000.0, "give the pointing loss in dB, e.g. 3")


Channel = FibreChannel | FreeSpaceChannel | SatelliteDownlink


def _check_beam(
    wavelength_nm: float, tx_aperture_m: float, rx_aperture_m: float, divergence_urad: float | None
) -> None:
    _check_number("wavelength_nm", wavelength_nm, 0.0, 1e6, "give the wavelength in nm, e.g. 850", low_open=True)
    _check_number(
        "tx_aperture_m",
        tx_aperture_m,
        0.0,
        1e3,
        "give the transmit aperture diameter in metres, e.g. 0.3",
        low_open=True,
    )
    _check_number(
        "rx_aperture_m",
        rx_aperture_m,
        0.0,
        1e3,
        "give the receive aperture diameter in metres, e.g. 1.0",
        low_open=True,
    )
    if divergence_urad is not None:
        _check_number(
            "divergence_urad",
            divergence_urad,
            0.0,
            1e6,
            "give the full-angle beam divergence in microradians, or None for a diffraction-limited beam",
            low_open=True,
        )
        limit_urad = 2e6 * _diffraction_half_angle_rad(wavelength_nm, tx_aperture_m)
        if divergence_urad < limit_urad * (1.0 - 1e-9):
            raise InputError(
                f"divergence_urad {divergence_urad:g} is below the diffraction limit {limit_urad:.3g} urad of a "
                f"{tx_aperture_m:g} m aperture at {wavelength_nm:g} nm; give a larger divergence or None"
            )


# --------------------------------------------------------------------------------------------- channels


def _waist_m(tx_aperture_m: float) -> float:
    """1/e^2 waist radius of the transmitted Gaussian beam [m]: ``D_t / (2 sqrt 2)``.

    With this waist the beam's far-field axial irradiance equals that of the uniformly filled circular aperture
    ``D_t`` (the diffraction limit, ``P pi D_t^2 / (4 lambda^2 L^2)``), and 98 % of its power passes the aperture.
    """
    return tx_aperture_m / (2.0 * math.sqrt(2.0))


def _diffraction_half_angle_rad(wavelength_nm: float, tx_aperture_m: float) -> float:
    """Far-field 1/e^2 half-angle divergence ``lambda / (pi w0)`` of the diffraction-limited beam [rad]."""
    return wavelength_nm * 1e-9 / (math.pi * _waist_m(tx_aperture_m))


def geometric_loss_db(
    distance_km: ArrayLike,
    wavelength_nm: float,
    tx_aperture_m: float,
    rx_aperture_m: float,
    divergence_urad: float | None = None,
) -> NDArray[np.float64]:
    """Geometric (beam-spreading) loss of a free-space optical link [dB].

    A Gaussian beam leaves the transmit aperture with waist ``w0 = D_t / (2 sqrt 2)`` and spreads to
    ``w(L)^2 = w0^2 + (theta L / 2)^2`` with ``theta = 2 lambda / (pi w0)`` (diffraction-limited) or the given
    full-angle divergence; the receive aperture collects ``1 - exp(-2 (D_r/2)^2 / w(L)^2)`` of the power. In the
    far field this equals the diffraction limit ``(pi D_t D_r / (4 lambda L))^2``; at short range it tends to 0 dB.

    Parameters
    ----------
    distance_km : array_like
        Link length [km], >= 0.
    wavelength_nm : float
        Wavelength [nm].
    tx_aperture_m, rx_aperture_m : float
        Transmit and receive aperture diameters [m].
    divergence_urad : float, optional
        Full-angle 1/e^2 divergence [urad]; None: diffraction-limited.

    Returns
    -------
    ndarray of float64
        Loss [dB], >= 0.
    """
    _check_beam(wavelength_nm, tx_aperture_m, rx_aperture_m, divergence_urad)
    distance_m = _check_array("distance_km", distance_km, 0.0, math.inf, "give link lengths in km") * 1000.0
    w0 = _waist_m(tx_aperture_m)
    half_angle = (
        divergence_urad * 0.5e-6
        if divergence_urad is not None
        else _diffraction_half_angle_rad(wavelength_nm, tx_aperture_m)
    )
    width_sq = w0**2 + (half_angle * distance_m) ** 2
    collected = -np.expm1(-2.0 * (rx_aperture_m / 2.0) ** 2 / width_sq)
    return np.asarray(-10.0 * np.log10(collected), dtype=np.float64)


def slant_range_km(orbit_height_km: ArrayLike, elevation_deg: ArrayLike) -> NDArray[np.float64]:
    """Distance from a ground station to a satellite at ``orbit_height_km`` seen at ``elevation_deg`` [km].

    ``d = sqrt((R + h)^2 - R^2 cos^2 el) - R sin el`` on a sphere of radius R = 6371 km (no refraction).
    """
    h = _check_array("orbit_height_km", orbit_height_km, 0.0, math.inf, "give the orbit height in km, e.g. 500")
    el = np.radians(_check_array("elevation_deg", elevation_deg, 0.0, 90.0, "give elevations from 0 to 90 deg"))
    r = _EARTH_RADIUS_KM
    return np.asarray(np.sqrt((r + h) ** 2 - (r * np.cos(el)) ** 2) - r * np.sin(el), dtype=np.float64)


def elevation_from_slant_range_deg(orbit_height_km: float, slant_range_km: ArrayLike) -> NDArray[np.float64]:
    """Elevation of a satellite at ``orbit_height_km`` seen at ``slant_range_km`` [deg] (inverse of
    :func:`slant_range_km`): ``sin el = ((R + h)^2 - R^2 - d^2) / (2 R d)``.

    Raises
    ------
    InputError
        A slant range shorter than the orbit height or beyond the horizon.
    """
    _check_number("orbit_height_km", orbit_height_km, 0.0, 1e6, "give the orbit height in km, e.g. 500", low_open=True)
    d = _check_array("distance_km", slant_range_km, 0.0, math.inf, "give slant ranges in km")
    r = _EARTH_RADIUS_KM
    horizon_km = math.sqrt((r + orbit_height_km) ** 2 - r**2)
    bad = (d < orbit_height_km * (1.0 - 1e-12)) | (d > horizon_km * (1.0 + 1e-12))
    if np.any(bad):
        raise InputError(
            f"distance_km {np.atleast_1d(d)[np.atleast_1d(bad)][0]:g} is not a slant range to a satellite "
            f"{orbit_height_km:g} km up; give {orbit_height_km:g} (zenith) to {horizon_km:.0f} km (horizon)"
        )
    sin_el = ((r + orbit_height_km) ** 2 - r**2 - d**2) / (2.0 * r * d)
    return np.asarray(np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0))), dtype=np.float64)


def air_mass(elevation_deg: ArrayLike) -> NDArray[np.float64]:
    """Relative optical air mass at ``elevation_deg`` [1]: Kasten & Young (1989, Appl. Opt. 28, 4735),
    ``1 / (sin h + 0.50572 (h + 6.07995 deg)^-1.6364)``; 1 at the zenith, about 38 at the horizon."""
    h = _check_array("elevation_deg", elevation_deg, 0.0, 90.0, "give elevations from 0 to 90 deg")
    return np.asarray(1.0 / (np.sin(np.radians(h)) + 0.50572 * (h + 6.07995) ** -1.6364), dtype=np.float64)


def _distance_domain_km(channel: Channel) -> tuple[float, float]:
    """Shortest and longest distance the channel accepts [km]."""
    if isinstance(channel, SatelliteDownlink):
        r = _EARTH_RADIUS_KM
        return channel.orbit_height_km, math.sqrt((r + channel.orbit_height_km) ** 2 - r**2)
    return 0.0, math.inf


def channel_loss_db(channel: Channel, distance_km: ArrayLike) -> NDArray[np.float64]:
    """Loss of ``channel`` over ``distance_km`` (the slant range for a :class:`SatelliteDownlink`) [dB].

    Parameters
    ----------
    channel : FibreChannel, FreeSpaceChannel or SatelliteDownlink
        The channel and its parameters.
    distance_km : array_like
        Link length [km], finite and >= 0 (a satellite: between the orbit height and the horizon range).

    Returns
    -------
    ndarray of float64
        Channel loss [dB], excluding the receiver's ``detector_efficiency``.
    """
    d = _check_values("distance_km", distance_km, "give link lengths in km, e.g. numpy.arange(0, 200, 5)")
    if isinstance(channel, FibreChannel):
        return channel.attenuation_db_per_km * d
    if isinstance(channel, FreeSpaceChannel):
        geometric = geometric_loss_db(
            d, channel.wavelength_nm, channel.tx_aperture_m, channel.rx_aperture_m, channel.divergence_urad
        )
        return geometric + channel.extinction_db_per_km * d + channel.pointing_loss_db
    if isinstance(channel, SatelliteDownlink):
        elevation = elevation_from_slant_range_deg(channel.orbit_height_km, d)
        geometric = geometric_loss_db(
            d, channel.wavelength_nm, channel.tx_aperture_m, channel.rx_aperture_m, channel.divergence_urad
        )
        return geometric + channel.zenith_extinction_db * air_mass(elevation) + channel.pointing_loss_db
    raise InputError(
        f"channel {type(channel).__name__} is not known; give a FibreChannel, FreeSpaceChannel or SatelliteDownlink"
    )


# --------------------------------------------------------------------------------------------- key-rate model


def binary_entropy(p: ArrayLike) -> NDArray[np.float64]:
    """Binary Shannon entropy ``H2(p) = -p log2 p - (1 - p) log2 (1 - p)`` [bit], for p in [0, 1]."""
    x = np.asarray(p, dtype=np.float64)
    return np.asarray((-xlogy(x, x) - xlogy(1.0 - x, 1.0 - x)) / math.log(2.0), dtype=np.float64)


def _gain(eta: NDArray[np.float64], mu: Any, device: QkdDevice) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gain ``Q = Y0 + 1 - exp(-eta mu)`` and error gain ``E Q = e0 Y0 + e_det (1 - exp(-eta mu))``."""
    detected = -np.expm1(-eta * mu)
    y0 = device.dark_count_probability
    return y0 + detected, E0 * y0 + device.misalignment_error * detected


def _bb84_infinite(eta: NDArray[np.float64], mu: NDArray[np.float64], device: QkdDevice) -> NDArray[np.float64]:
    q_mu, eq_mu = _gain(eta, mu, device)
    y0 = device.dark_count_probability
    y1 = y0 + eta
    e1 = np.minimum((E0 * y0 + device.misalignment_error * eta) / y1, 0.5)
    q1 = y1 * mu * np.exp(-mu)
    f = device.error_correction_efficiency
    return device.sifting_factor * (-q_mu * f * binary_entropy(eq_mu / q_mu) + q1 * (1.0 - binary_entropy(e1)))


def _bb84_decoy(eta: NDArray[np.float64], mu: NDArray[np.float64], device: QkdDevice) -> NDArray[np.float64]:
    """Vacuum + weak decoy (Ma et al. 2005): ``Y1 >= Y1_L`` and ``e1 <= e1_U`` from the decoy gains."""
    nu = device.decoy_intensity
    q_mu, eq_mu = _gain(eta, mu, device)
    q_nu, eq_nu = _gain(eta, nu, device)
    y0 = device.dark_count_probability  # the vacuum decoy's gain
    y1_low = (mu / (mu * nu - nu**2)) * (
        q_nu * math.exp(nu) - q_mu * np.exp(mu) * nu**2 / mu**2 - (mu**2 - nu**2) / mu**2 * y0
    )
    y1_low = np.maximum(y1_low, 0.0)
    safe_y1 = np.where(y1_low > 0.0, y1_low, 1.0)
    e1_up = np.where(y1_low > 0.0, (eq_nu * math.exp(nu) - E0 * y0) / (safe_y1 * nu), 0.5)
    e1_up = np.clip(e1_up, 0.0, 0.5)
    q1_low = y1_low * mu * np.exp(-mu)
    f = device.error_correction_efficiency
    return device.sifting_factor * (-q_mu * f * binary_entropy(eq_mu / q_mu) + q1_low * (1.0 - binary_entropy(e1_up)))


def _bb84_gllp(eta: NDArray[np.float64], mu: NDArray[np.float64], device: QkdDevice) -> NDArray[np.float64]:
    """GLLP without decoys: all multi-photon pulses tagged; no key where ``Delta >= 1`` or ``E/(1-Delta) >= 1/2``."""
    q_mu, eq_mu = _gain(eta, mu, device)
    error = eq_mu / q_mu
    delta = gammainc(2.0, mu) / q_mu  # P(n >= 2 | mu) = regularised lower incomplete gamma P(2, mu)
    untagged = np.where(delta < 1.0, 1.0 - delta, 1.0)
    untagged_error = error / untagged
    valid = (delta < 1.0) & (untagged_error < 0.5)
    f = device.error_correction_efficiency
    rate = (
        device.sifting_factor
        * q_mu
        * (-f * binary_entropy(error) + untagged * (1.0 - binary_entropy(np.minimum(untagged_error, 0.5))))
    )
    return np.where(valid, rate, _NO_KEY)


def _bbm92_gains(
    eta_a: NDArray[np.float64], eta_b: NDArray[np.float64], pairs: NDArray[np.float64], device: QkdDevice
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Coincidence gain ``Q_lambda``, error gain ``E_lambda Q_lambda`` and the busier side's click probability.

    Ma, Fung & Lo 2007 with ``lambda = pairs / 2``, ``a = 1 + eta_A lambda``, ``b = 1 + eta_B lambda``,
    ``c = 1 + eta_A lambda + eta_B lambda - eta_A eta_B lambda``, ``s = 1 - Y0``:
    ``Q = 1 - s/a^2 - s/b^2 + s^2/c^2``. Evaluated without cancellation as ``Q = Y0 (1 - s/a^2) + D``, the
    gain at ``eta_B = 0`` plus ``D = s (b^2 - 1)/b^2 - s^2 (c^2 - a^2)/(a^2 c^2)`` with the exact factors
    ``b^2 - 1 = eta_B lambda (2 + eta_B lambda)`` and ``c^2 - a^2 = eta_B lambda (1 - eta_A) (a + c)``; and
    ``1 - s/a^2 = (eta_A lambda (2 + eta_A lambda) + Y0) / a^2``.
    """
    lam = pairs / 2.0
    y0 = device.dark_count_probability
    s = 1.0 - y0
    xa, xb = eta_a * lam, eta_b * lam
    a, b = 1.0 + xa, 1.0 + xb
    c = 1.0 + xa + xb - eta_a * eta_b * lam
    click_a = (xa * (2.0 + xa) + y0) / a**2
    click_b = (xb * (2.0 + xb) + y0) / b**2
    gain = y0 * click_a + xb * (s * (2.0 + xb) / b**2 - s**2 * (1.0 - eta_a) * (a + c) / (a**2 * c**2))
    correlated = 2.0 * (E0 - device.misalignment_error) * s**2 * lam * (1.0 + lam) * eta_a * eta_b / (a * b * c)
    return gain, E0 * gain - correlated, np.maximum(click_a, click_b)


def _bbm92_transmittances(
    eta_channel: NDArray[np.float64], device: QkdDevice, source_position: SourcePosition
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(eta_A, eta_B)``: the channel split evenly (source in the middle) or all on Bob's side (source at Alice)."""
    if source_position == "middle":
        side = np.sqrt(eta_channel) * device.detector_efficiency
        return side, side
    return np.full_like(eta_channel, device.detector_efficiency), eta_channel * device.detector_efficiency


def _protocol_rate(
    protocol: str,
    eta_channel: NDArray[np.float64],
    intensity: NDArray[np.float64],
    device: QkdDevice,
    source_position: SourcePosition,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    if protocol == "bbm92":
        eta_a, eta_b = _bbm92_transmittances(eta_channel, device, source_position)
        gain, error_gain, clicks = _bbm92_gains(eta_a, eta_b, intensity, device)
        qber = error_gain / gain
        h = binary_entropy(np.clip(qber, 0.0, 1.0))
        rate = device.sifting_factor * gain * (1.0 - device.error_correction_efficiency * h - h)
        return np.where(gain > 0.0, rate, _NO_KEY), qber, clicks
    eta = eta_channel * device.detector_efficiency
    gain, error_gain = _gain(eta, intensity, device)
    model: dict[str, Callable[..., NDArray[np.float64]]] = {
        "bb84-infinite": _bb84_infinite,
        "bb84-decoy": _bb84_decoy,
        "bb84-gllp": _bb84_gllp,
    }
    return model[protocol](eta, intensity, device), error_gain / gain, gain


def _raw_rate(
    protocol: str,
    eta_channel: NDArray[np.float64],
    intensity: NDArray[np.float64],
    device: QkdDevice,
    source_position: SourcePosition,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Unclipped key-rate bound per pulse, QBER and click probability of the busier detector.

    Where the gains underflow (losses of hundreds of dB without dark counts) the bound is undefined: no key.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        rate, qber, clicks = _protocol_rate(protocol, eta_channel, intensity, device, source_position)
    return np.where(np.isfinite(rate), rate, _NO_KEY), qber, clicks


def _transmittance(loss_db: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.maximum(np.power(10.0, -loss_db / 10.0), _SMALLEST_TRANSMITTANCE)


def key_rate_per_pulse(
    protocol: str,
    channel_loss_db: ArrayLike,
    intensity: ArrayLike,
    device: QkdDevice,
    *,
    source_position: str = "middle",
) -> NDArray[np.float64]:
    """Asymptotic secure key per sent pulse at a given signal intensity (no optimisation) [bit/pulse].

    Parameters
    ----------
    protocol : {"bb84-decoy", "bb84-infinite", "bb84-gllp", "bbm92"}
        Protocol (see the module docstring).
    channel_loss_db : array_like
        Channel loss [dB], >= 0 (the receiver's ``detector_efficiency`` comes on top).
    intensity : array_like
        Mean photon number per signal pulse ``mu`` [photons]; for ``bbm92`` the mean number of photon pairs per
        pulse ``2 lambda`` [pairs]. Broadcast against ``channel_loss_db``.
    device : QkdDevice
        Source, detector and post-processing parameters.
    source_position : {"middle", "end"}
        BBM92 only: the source in the middle of the channel, or at Alice's end.

    Returns
    -------
    ndarray of float64
        Key rate [bit per pulse], 0 where the bound gives no key.
    """
    rate, _, _ = _rate_at(protocol, channel_loss_db, intensity, device, source_position)
    return np.maximum(rate, 0.0)


def quantum_bit_error_rate(
    protocol: str,
    channel_loss_db: ArrayLike,
    intensity: ArrayLike,
    device: QkdDevice,
    *,
    source_position: str = "middle",
) -> NDArray[np.float64]:
    """Quantum bit error rate ``E_mu`` (``E_lambda`` for BBM92) of the signal states [1]; arguments as in
    :func:`key_rate_per_pulse`."""
    _, qber, _ = _rate_at(protocol, channel_loss_db, intensity, device, source_position)
    return qber


def _rate_at(
    protocol: str, channel_loss_db: ArrayLike, intensity: ArrayLike, device: QkdDevice, source_position: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    protocol = _check_protocol(protocol)
    position = _check_source_position(source_position)
    loss = _check_values("channel_loss_db", channel_loss_db, "give channel losses in dB, e.g. [0, 10, 20]")
    mu = np.asarray(intensity, dtype=np.float64)
    if not np.all(np.isfinite(mu)) or np.any(mu <= 0.0):
        raise InputError("intensity must be finite and > 0; give the mean photon (pair) number per pulse, e.g. 0.5")
    if protocol == "bb84-decoy" and np.any(mu <= device.decoy_intensity):
        raise InputError(
            f"intensity must exceed decoy_intensity {device.decoy_intensity:g} for bb84-decoy (Ma et al.'s bound "
            "needs mu > nu1); give a larger signal intensity, e.g. 0.5"
        )
    eta, mu = np.broadcast_arrays(_transmittance(loss), mu)
    return _raw_rate(protocol, eta, mu, device, position)


# --------------------------------------------------------------------------------------------- optimisation


@dataclass(frozen=True)
class OptimalKeyRate:
    """Key rate with the signal intensity optimised per point.

    Attributes
    ----------
    key_rate_per_pulse : ndarray of float64
        Secure key per sent pulse [bit/pulse], 0 where there is no key.
    key_rate_bps : ndarray of float64
        Secure key rate [bit/s]: ``key_rate_per_pulse * repetition_rate_Hz``, scaled by
        ``min(1, 1 / (p_click repetition_rate_Hz dead_time_s))`` when a dead time is given.
    mu_opt : ndarray of float64
        Optimal mean photon number per signal pulse (BBM92: mean pairs per pulse, ``2 lambda``) [photons];
        NaN where there is no key.
    qber : ndarray of float64
        Quantum bit error rate of the signal states at ``mu_opt`` [1]; NaN where there is no key.
    """

    key_rate_per_pulse: NDArray[np.float64]
    key_rate_bps: NDArray[np.float64]
    mu_opt: NDArray[np.float64]
    qber: NDArray[np.float64]


def _intensity_bounds(protocol: str, device: QkdDevice) -> tuple[float, float]:
    """Search interval of the signal intensity [photons per pulse, or pairs per pulse for BBM92]."""
    if protocol == "bb84-decoy":
        return 1.02 * device.decoy_intensity, 1.5  # Ma et al.'s bound needs mu > nu1
    if protocol == "bb84-infinite":
        return 1e-4, 1.5
    if protocol == "bb84-gllp":
        return 1e-7, 1.5  # mu_opt ~ eta without decoys
    return 1e-5, 2.0


def _optimise_chunk(
    protocol: str, eta: NDArray[np.float64], device: QkdDevice, position: SourcePosition
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Best raw rate and its log-intensity per row: log-spaced grid, then golden-section search in the best cell."""
    low, high = _intensity_bounds(protocol, device)
    grid = np.linspace(math.log(low), math.log(high), _GRID_POINTS)
    column = eta[:, None]

    def rate(log_mu: NDArray[np.float64]) -> NDArray[np.float64]:
        return _raw_rate(protocol, column, np.exp(log_mu), device, position)[0]

    values = rate(grid[None, :])
    best = np.argmax(values, axis=1)
    a = grid[np.maximum(best - 1, 0)][:, None]
    b = grid[np.minimum(best + 1, _GRID_POINTS - 1)][:, None]
    for _ in range(_GOLDEN_STEPS):
        c = b - _INVERSE_GOLDEN * (b - a)
        d = a + _INVERSE_GOLDEN * (b - a)
        left = rate(c) >= rate(d)
        b = np.where(left, d, b)
        a = np.where(left, a, c)
    refined_x = 0.5 * (a + b)
    refined = rate(refined_x)[:, 0]
    grid_best = values[np.arange(eta.size), best]
    use_refined = refined >= grid_best
    return np.where(use_refined, refined, grid_best), np.where(use_refined, refined_x[:, 0], grid[best])


def _optimal_raw(
    protocol: str, eta: NDArray[np.float64], device: QkdDevice, position: SourcePosition
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    parts = [
        _optimise_chunk(protocol, eta[i : i + _CHUNK_ROWS], device, position) for i in range(0, eta.size, _CHUNK_ROWS)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def optimal_key_rate(
    protocol: str, channel_loss_db: ArrayLike, device: QkdDevice, *, source_position: str = "middle"
) -> OptimalKeyRate:
    """Key rate with the signal intensity optimised numerically at each channel loss.

    Parameters
    ----------
    protocol : {"bb84-decoy", "bb84-infinite", "bb84-gllp", "bbm92"}
        Protocol (see the module docstring).
    channel_loss_db : array_like
        Channel loss [dB], finite, >= 0.
    device : QkdDevice
        Source, detector and post-processing parameters.
    source_position : {"middle", "end"}
        BBM92 only: where the pair source sits.

    Returns
    -------
    OptimalKeyRate
        Rates, the optimal intensity and the QBER per loss. The intensity is searched on an 81-point log grid
        (1e-4..1.5 photons for decoy BB84, 1e-7..1.5 without decoys, 1e-5..2 pairs for BBM92) and refined by a
        golden-section search to a relative 1e-9.
    """
    protocol = _check_protocol(protocol)
    position = _check_source_position(source_position)
    loss = _check_values("channel_loss_db", channel_loss_db, "give channel losses in dB, e.g. [0, 10, 20]")
    eta = _transmittance(loss)
    raw, log_mu = _optimal_raw(protocol, eta, device, position)
    has_key = raw > 0.0
    mu = np.exp(log_mu)
    _, qber, clicks = _raw_rate(protocol, eta, mu, device, position)
    per_pulse = np.where(has_key, raw, 0.0)
    per_second = per_pulse * device.repetition_rate_Hz
    if device.dead_time_s is not None:
        per_second = per_second * np.minimum(1.0, 1.0 / (clicks * device.repetition_rate_Hz * device.dead_time_s))
    nan = np.full_like(mu, np.nan)
    return OptimalKeyRate(per_pulse, per_second, np.where(has_key, mu, nan), np.where(has_key, qber, nan))


def max_loss_db(protocol: str, device: QkdDevice, *, source_position: str = "middle") -> float | None:
    """Largest channel loss with a positive key rate (intensity optimised) [dB].

    Returns
    -------
    float or None
        The loss where the optimal key rate reaches zero, to 1e-6 dB; None where there is no key even at 0 dB,
        or where the key outlasts ``qkd_max_loss_search_db`` (no dark counts: the rate never reaches zero).
    """
    protocol = _check_protocol(protocol)
    position = _check_source_position(source_position)

    def best(loss: float) -> float:
        return float(_optimal_raw(protocol, _transmittance(np.array([loss])), device, position)[0][0])

    if best(0.0) <= 0.0:
        return None
    low, limit = 0.0, default("qkd_max_loss_search_db")
    while low < limit:
        high = min(low + 10.0, limit)
        if best(high) <= 0.0:
            return float(brentq(best, low, high, xtol=1e-6))
        low = high
    return None


def cutoff_km(channel: Channel, max_loss: float | None) -> float | None:
    """Distance beyond which ``channel`` loses more than ``max_loss`` dB: the key's cutoff distance [km].

    Returns
    -------
    float or None
        The distance [km] (the channel's shortest distance when even that loses too much); None when
        ``max_loss`` is None or when the whole range the channel allows (a satellite: down to the horizon)
        stays below ``max_loss``.
    """
    if max_loss is None:
        return None
    low, high = _distance_domain_km(channel)

    def excess(distance: float) -> float:
        return float(channel_loss_db(channel, [distance])[0]) - max_loss

    if excess(low) >= 0.0:
        return low
    if math.isinf(high):
        high = 1.0
        while excess(high) < 0.0:
            if high > 1e9:
                return None
            high *= 2.0
    elif excess(high) < 0.0:
        return None
    return float(brentq(excess, low, high, xtol=1e-9, rtol=1e-12))


# --------------------------------------------------------------------------------------------- presets


def _cite(value: float, unit: str, source: str, confidence: Literal["published", "estimate", "placeholder"]) -> Default:
    return Default(value, unit, source, confidence)


_MA2005 = "Ma, Qi, Zhao & Lo 2005 (PRA 72, 012326), Table I, GYS column (Gobby, Yuan & Shields 2004, APL 84, 3762)"
_ISRO = (
    "Jain et al. (ISRO SAC), NavIC-synchronised inter-building WCP BB84 over ~300 m: QBER < 3 %, mu = 0.15, "
    "secure key up to 300 kbps"
)
_LIAO = "Liao et al. 2017, Nature 549, 43 (Micius decoy-state BB84 down-link, 645-1200 km)"

#: Every preset number with its unit, source and confidence; keys are :class:`QkdDevice` and channel fields.
PRESET_TABLE: dict[str, dict[str, Default]] = {
    "gys": {
        "wavelength_nm": _cite(1550.0, "nm", _MA2005, "published"),
        "attenuation_db_per_km": _cite(0.21, "dB/km", _MA2005, "published"),
        "misalignment_error": _cite(0.033, "1", _MA2005, "published"),
        "dark_count_probability": _cite(1.7e-6, "1", _MA2005, "published"),
        "detector_efficiency": _cite(0.045, "1", _MA2005, "published"),
        "error_correction_efficiency": _cite(1.22, "1", _MA2005, "published"),
        "repetition_rate_Hz": _cite(
            2e6, "Hz", "GYS 2004 clock rate, 2 MHz (as tabulated in the research notes)", "published"
        ),
        "decoy_intensity": _cite(
            0.1,
            "photons",
            "Weak decoy nu1 = 0.1: a practical choice (research notes 5.2; "
            "Ma et al. 2005 show smaller nu1 approaches the infinite-decoy bound)",
            "estimate",
        ),
    },
    "isro-300m": {
        "wavelength_nm": _cite(
            850.0, "nm", "Si-SPAD band of free-space WCP systems; not stated in the sources found", "estimate"
        ),
        "tx_aperture_m": _cite(
            0.05,
            "m",
            f"Small gimbal-mounted optics ('gimbals instead of large telescopes', "
            f"ISRO release 2021); size not published. {_ISRO}",
            "estimate",
        ),
        "rx_aperture_m": _cite(0.1, "m", "Small receive telescope on a gimbal; size not published", "estimate"),
        "extinction_db_per_km": _cite(
            0.5,
            "dB/km",
            "Clear, hazy urban air at 850 nm (visibility ~20 km, Kim et al. 2001 visibility model)",
            "estimate",
        ),
        "pointing_loss_db": _cite(1.0, "dB", "Mean pointing/tracking and coupling loss of a short link", "estimate"),
        "misalignment_error": _cite(
            0.02, "1", f"Chosen so that the QBER stays below the published 3 %. {_ISRO}", "estimate"
        ),
        "dark_count_probability": _cite(
            1e-5, "1", "Night background and Si-SPAD dark counts per ~1 ns window", "estimate"
        ),
        "detector_efficiency": _cite(0.2, "1", "Si-SPAD (~0.5) times receiver optics and filters (~0.4)", "estimate"),
        "error_correction_efficiency": _cite(1.2, "1", "Typical CASCADE/LDPC efficiency", "estimate"),
        "repetition_rate_Hz": _cite(
            50e6,
            "Hz",
            "Not published; 50 MHz gives a few hundred kbps at mu = 0.15, the published key-rate scale",
            "estimate",
        ),
        "decoy_intensity": _cite(
            0.1, "photons", "Weak decoy for the model (the experiment's decoys not published)", "estimate"
        ),
        "dead_time_s": _cite(22e-9, "s", "Si-SPAD module dead time (~22 ns class)", "estimate"),
        "reported_intensity": _cite(0.15, "photons", _ISRO, "published"),
        "reported_qber": _cite(0.03, "1", f"Upper bound. {_ISRO}", "published"),
        "reported_key_rate_bps": _cite(300e3, "bit/s", f"Upper end of the reported range. {_ISRO}", "published"),
    },
    "micius": {
        "wavelength_nm": _cite(850.0, "nm", _LIAO, "published"),
        "orbit_height_km": _cite(500.0, "km", f"~500 km sun-synchronous orbit. {_LIAO}", "published"),
        "tx_aperture_m": _cite(0.3, "m", "300 mm-class satellite transmit telescope (Micius)", "estimate"),
        "rx_aperture_m": _cite(1.0, "m", "1 m-class ground telescope (Xinglong station)", "estimate"),
        "divergence_urad": _cite(
            10.0, "urad", "Down-link divergence ~10 urad (Micius; full angle assumed)", "estimate"
        ),
        "zenith_extinction_db": _cite(1.0, "dB", "Clear-sky zenith transmittance ~0.8 at 850 nm", "estimate"),
        "pointing_loss_db": _cite(3.0, "dB", "Pointing, turbulence and receive-optics coupling loss", "estimate"),
        "misalignment_error": _cite(0.01, "1", f"QBER ~1 % reported. {_LIAO}", "estimate"),
        "dark_count_probability": _cite(1e-6, "1", "Night background and dark counts per ~2 ns window", "estimate"),
        "detector_efficiency": _cite(0.2, "1", "Si-SPAD (~0.5) times receive optics (~0.4)", "estimate"),
        "error_correction_efficiency": _cite(1.16, "1", "Typical CASCADE efficiency", "estimate"),
        "repetition_rate_Hz": _cite(100e6, "Hz", _LIAO, "published"),
        "decoy_intensity": _cite(0.1, "photons", f"Signal 0.8, decoy 0.1, vacuum 0. {_LIAO}", "published"),
        "dead_time_s": _cite(50e-9, "s", "Si-SPAD dead time (tens of ns)", "estimate"),
        "reported_intensity": _cite(0.8, "photons", _LIAO, "published"),
        "reported_key_rate_bps": _cite(
            1.1e3, "bit/s", f"kHz secure key up to 1200 km slant range. {_LIAO}", "estimate"
        ),
    },
}

_DESCRIPTIONS = {
    "gys": "GYS 2004 fibre experiment (1550 nm, 0.21 dB/km) with the parameters tabulated by Ma et al. 2005",
    "isro-300m": "ISRO SAC inter-building 300 m free-space WCP BB84 (instrument numbers are estimates)",
    "micius": "Micius satellite-to-ground decoy BB84 down-link, 500 km orbit (instrument numbers are estimates)",
}
#: Distance range a preset's curve covers when none is given: start, stop (inclusive), step [km].
_DEFAULT_RANGES_KM = {"gys": (0.0, 200.0, 5.0), "isro-300m": (0.0, 40.0, 1.0), "micius": (500.0, 1500.0, 25.0)}
_BBM92_SOURCE: dict[str, SourcePosition] = {"gys": "middle", "isro-300m": "end", "micius": "end"}


@dataclass(frozen=True)
class QkdPreset:
    """A documented QKD system: device, channel and the provenance of every number.

    Attributes
    ----------
    name, description : str
        Preset name and one-line description.
    device : QkdDevice
        Source, detector and post-processing parameters.
    channel : FibreChannel, FreeSpaceChannel or SatelliteDownlink
        The channel.
    bbm92_source : {"middle", "end"}
        Where a BBM92 pair source sits for this link.
    default_range_km : tuple of float
        Start, stop (inclusive) and step of the default distance range [km].
    sources : mapping of str to Default
        Each parameter's value, unit, source and confidence (``PRESET_TABLE[name]``).
    """

    name: str
    description: str
    device: QkdDevice
    channel: Channel
    bbm92_source: SourcePosition
    default_range_km: tuple[float, float, float]
    sources: Mapping[str, Default]

    @property
    def estimated_parameters(self) -> tuple[str, ...]:
        """Names of the parameters whose confidence is ``estimate`` or ``placeholder``."""
        return tuple(sorted(k for k, v in self.sources.items() if v.confidence != "published"))


def _build_preset(name: str) -> QkdPreset:
    table = PRESET_TABLE[name]
    values = {key: cited.value for key, cited in table.items()}
    channel_type: type[FibreChannel] | type[FreeSpaceChannel] | type[SatelliteDownlink]
    if "attenuation_db_per_km" in values:
        channel_type = FibreChannel
    elif "orbit_height_km" in values:
        channel_type = SatelliteDownlink
    else:
        channel_type = FreeSpaceChannel
    channel = channel_type(**{f.name: values[f.name] for f in fields(channel_type) if f.name in values})
    device = QkdDevice(**{f.name: values[f.name] for f in fields(QkdDevice) if f.name in values})
    return QkdPreset(name, _DESCRIPTIONS[name], device, channel, _BBM92_SOURCE[name], _DEFAULT_RANGES_KM[name], table)


#: The presets by name.
PRESETS: dict[str, QkdPreset] = {name: _build_preset(name) for name in PRESET_TABLE}


def qkd_preset(name: str | QkdPreset) -> QkdPreset:
    """The preset called ``name`` (a :class:`QkdPreset` is returned as is); unknown names raise InputError."""
    if isinstance(name, QkdPreset):
        return name
    if name not in PRESETS:
        raise InputError(f"preset {name!r} is not known; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


# --------------------------------------------------------------------------------------------- curve


@dataclass(frozen=True)
class KeyRateCurve:
    """Key rate of a preset and protocol against distance or channel loss.

    Attributes
    ----------
    preset, protocol : str
        Names of the preset and protocol.
    distance_km : ndarray of float64 or None
        Link length per row [km] (slant range for a satellite); None when the curve was asked by loss.
    loss_db : ndarray of float64
        Channel loss per row [dB] (excluding the receiver's ``detector_efficiency``).
    key_rate_per_pulse, key_rate_bps, mu_opt, qber : ndarray of float64
        As in :class:`OptimalKeyRate` [bit/pulse, bit/s, photons (pairs for BBM92), 1].
    cutoff_km : float or None
        Distance where the key rate reaches zero for this preset's channel [km] (see :func:`cutoff_km`).
    max_loss_db : float or None
        Largest channel loss with a key [dB] (see :func:`max_loss_db`).
    estimated_parameters : tuple of str
        Preset parameters that are estimates, not published values.
    """

    preset: str
    protocol: str
    distance_km: NDArray[np.float64] | None
    loss_db: NDArray[np.float64]
    key_rate_per_pulse: NDArray[np.float64]
    key_rate_bps: NDArray[np.float64]
    mu_opt: NDArray[np.float64]
    qber: NDArray[np.float64]
    cutoff_km: float | None
    max_loss_db: float | None
    estimated_parameters: tuple[str, ...]

    def rows(self) -> list[dict[str, float | None]]:
        """One dict per point: ``distance_km`` (None by loss), ``loss_db``, ``key_rate_per_pulse``,
        ``key_rate_bps``, ``mu_opt`` (None where there is no key)."""
        out: list[dict[str, float | None]] = []
        for i, loss in enumerate(self.loss_db):
            mu = float(self.mu_opt[i])
            out.append(
                {
                    "distance_km": None if self.distance_km is None else float(self.distance_km[i]),
                    "loss_db": float(loss),
                    "key_rate_per_pulse": float(self.key_rate_per_pulse[i]),
                    "key_rate_bps": float(self.key_rate_bps[i]),
                    "mu_opt": mu if math.isfinite(mu) else None,
                }
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        """``{preset, protocol, rows, cutoff_km, max_loss_db, estimated_parameters}`` (JSON-ready)."""
        return {
            "preset": self.preset,
            "protocol": self.protocol,
            "rows": self.rows(),
            "cutoff_km": self.cutoff_km,
            "max_loss_db": self.max_loss_db,
            "estimated_parameters": list(self.estimated_parameters),
        }


def _default_distances_km(preset: QkdPreset) -> NDArray[np.float64]:
    start, stop, step = preset.default_range_km
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    return start + step * np.arange(count, dtype=np.float64)


def key_rate_curve(
    preset: str | QkdPreset = "gys",
    protocol: str = "bb84-decoy",
    *,
    distance_km: ArrayLike | None = None,
    loss_db: ArrayLike | None = None,
    device: QkdDevice | None = None,
) -> KeyRateCurve:
    """Key rate against distance (through the preset's channel) or against channel loss, ``mu`` optimised.

    Parameters
    ----------
    preset : str or QkdPreset
        ``"gys"``, ``"isro-300m"``, ``"micius"`` or a :class:`QkdPreset`.
    protocol : {"bb84-decoy", "bb84-infinite", "bb84-gllp", "bbm92"}
        Protocol.
    distance_km : array_like, optional
        Link lengths [km] (satellite: slant ranges). Default: the preset's ``default_range_km``.
    loss_db : array_like, optional
        Channel losses [dB] instead of distances (not together with ``distance_km``).
    device : QkdDevice, optional
        Replaces the preset's device (e.g. another QBER); the channel stays the preset's.

    Returns
    -------
    KeyRateCurve
        Rows, the cutoff distance and the largest tolerable loss.

    Raises
    ------
    InputError
        Unknown preset or protocol, both or malformed ranges, negative or non-finite values, empty input.
    """
    chosen = qkd_preset(preset)
    protocol = _check_protocol(protocol)
    dev = chosen.device if device is None else device
    if distance_km is not None and loss_db is not None:
        raise InputError("distance_km and loss_db were both given; give one of them (distances or channel losses)")
    distances: NDArray[np.float64] | None = None
    if loss_db is not None:
        losses = _check_values("loss_db", loss_db, "give channel losses in dB, e.g. numpy.arange(0, 50, 1)")
    else:
        hint = "give link lengths in km, e.g. numpy.arange(0, 200, 5)"
        distances = (
            _default_distances_km(chosen) if distance_km is None else _check_values("distance_km", distance_km, hint)
        )
        losses = channel_loss_db(chosen.channel, distances)
    best = optimal_key_rate(protocol, losses, dev, source_position=chosen.bbm92_source)
    limit = max_loss_db(protocol, dev, source_position=chosen.bbm92_source)
    return KeyRateCurve(
        preset=chosen.name,
        protocol=protocol,
        distance_km=distances,
        loss_db=losses,
        key_rate_per_pulse=best.key_rate_per_pulse,
        key_rate_bps=best.key_rate_bps,
        mu_opt=best.mu_opt,
        qber=best.qber,
        cutoff_km=cutoff_km(chosen.channel, limit),
        max_loss_db=limit,
        estimated_parameters=chosen.estimated_parameters,
    )


# --------------------------------------------------------------------------------------------- Earth-Moon verdict


@dataclass(frozen=True)
class LinkVerdict:
    """Whether a direct Earth-Moon QKD link closes, and what would close it.

    Attributes
    ----------
    distance_km, wavelength_nm, tx_aperture_m, rx_aperture_m : float
        The link [km, nm, m, m].
    preset, protocol : str
        Receiver (detector) parameters and protocol the limit is taken from.
    geometric_loss_db : float
        Diffraction-limited beam-spreading loss (:func:`geometric_loss_db`) [dB].
    extra_loss_db : float
        Other losses added (atmosphere, pointing, optics) [dB].
    link_loss_db : float
        ``geometric_loss_db + extra_loss_db`` [dB].
    max_loss_db : float or None
        Largest channel loss the protocol tolerates with the preset's receiver [dB]; None: no key at any loss.
    margin_db : float or None
        ``max_loss_db - link_loss_db`` [dB]; negative: the link is short by that much.
    closes : bool
        True when a secure key is possible.
    key_rate_per_pulse, key_rate_bps : float
        Key rate at ``link_loss_db`` [bit/pulse, bit/s] (0 when the link does not close).
    rx_aperture_needed_m, tx_aperture_needed_m : float or None
        Receive (or transmit) aperture that would close the link, the rest unchanged [m]; None: none would.
    wavelength_needed_nm : float or None
        Wavelength that would close it with the same apertures and detectors [nm]; None: none would.
    relay_hops_needed : int or None
        Equal hops (``relay_hops_needed - 1`` trusted relays with the same optics) that close every hop;
        None: none would (the extra loss alone exceeds the limit).
    verdict : str
        One plain sentence or three.
    """

    distance_km: float
    wavelength_nm: float
    tx_aperture_m: float
    rx_aperture_m: float
    preset: str
    protocol: str
    geometric_loss_db: float
    extra_loss_db: float
    link_loss_db: float
    max_loss_db: float | None
    margin_db: float | None
    closes: bool
    key_rate_per_pulse: float
    key_rate_bps: float
    rx_aperture_needed_m: float | None
    tx_aperture_needed_m: float | None
    wavelength_needed_nm: float | None
    relay_hops_needed: int | None
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        """All attributes as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class _Remedies:
    rx_aperture_m: float | None
    tx_aperture_m: float | None
    wavelength_nm: float | None
    hops: int | None


def _remedies(distance_km: float, wavelength_nm: float, tx_m: float, rx_m: float, budget_db: float) -> _Remedies:
    """What closes a diffraction-limited link whose geometric loss may be at most ``budget_db``.

    Closing needs a beam radius at the receiver ``w(L) <= W`` with ``W^2 = 2 (D_r/2)^2 / -ln(1 - T)``,
    ``T = 10^(-budget/10)``, and ``w(L)^2 = w0^2 + (lambda L / (pi w0))^2``, ``w0 = D_t / (2 sqrt 2)``.
    """
    if budget_db <= 0.0:
        return _Remedies(None, None, None, None)
    allowed = -math.log1p(-(10.0 ** (-budget_db / 10.0)))  # -ln(1 - T)
    lam_m, length_m, w0 = wavelength_nm * 1e-9, distance_km * 1000.0, _waist_m(tx_m)
    width_sq = w0**2 + (lam_m * length_m / (math.pi * w0)) ** 2
    rx_needed = 2.0 * math.sqrt(width_sq * allowed / 2.0)
    target_sq = 2.0 * (rx_m / 2.0) ** 2 / allowed
    spread = lam_m * length_m / math.pi
    tx_needed = None
    if target_sq**2 >= 4.0 * spread**2:  # w0^4 - W^2 w0^2 + spread^2 = 0 has a real root: the smaller one
        w0_sq = (target_sq - math.sqrt(target_sq**2 - 4.0 * spread**2)) / 2.0
        tx_needed = 2.0 * math.sqrt(2.0) * math.sqrt(w0_sq)
    wavelength_needed = hop_km = None
    if target_sq > w0**2:
        wavelength_needed = math.pi * w0 * math.sqrt(target_sq - w0**2) / length_m * 1e9
        hop_km = math.pi * w0 * math.sqrt(target_sq - w0**2) / lam_m / 1000.0
    hops = max(1, math.ceil(distance_km / hop_km * (1.0 - 1e-12))) if hop_km else None
    return _Remedies(rx_needed, tx_needed, wavelength_needed, hops)


def _verdict_text(v: dict[str, Any], remedies: _Remedies) -> str:
    link = (
        f"over {v['distance_km']:,.0f} km the geometric loss alone is {v['geometric_loss_db']:.1f} dB "
        f"({v['tx_aperture_m']:g} m transmit and {v['rx_aperture_m']:g} m receive aperture at "
        f"{v['wavelength_nm']:g} nm, diffraction-limited)"
    )
    if v["extra_loss_db"] > 0.0:
        link += f", {v['link_loss_db']:.1f} dB with {v['extra_loss_db']:g} dB of other losses"
    who = f"{v['protocol']} with the {v['preset']} receiver"
    if v["max_loss_db"] is None:
        return f"No secure key at any loss: {who} yields no key even without channel loss (QBER too high); {link}."
    if v["closes"]:
        return (
            f"The Earth-Moon link closes: {link}, {v['margin_db']:.1f} dB inside the {v['max_loss_db']:.1f} dB "
            f"that {who} tolerates; key rate {v['key_rate_bps']:.3g} bit/s."
        )
    options = []
    if remedies.rx_aperture_m is not None:
        options.append(f"a receive aperture of {remedies.rx_aperture_m:.1f} m")
    if remedies.tx_aperture_m is not None:
        options.append(f"a transmit aperture of {remedies.tx_aperture_m:.1f} m")
    if remedies.wavelength_nm is not None:
        practical = "" if remedies.wavelength_nm >= 200.0 else "; far ultraviolet, not a practical option"
        options.append(f"a wavelength of {remedies.wavelength_nm:.0f} nm (same detectors{practical})")
    if remedies.hops is not None:
        options.append(
            f"{remedies.hops - 1} trusted relays ({remedies.hops} equal hops of "
            f"{v['distance_km'] / remedies.hops:,.0f} km)"
        )
    fix = (
        "Closing it would take " + ", or ".join(options) + ", each alone."
        if options
        else "No aperture, wavelength or relay closes it while the other losses alone exceed the limit."
    )
    return (
        f"Direct Earth-Moon QKD does not close: {link}, {-v['margin_db']:.1f} dB beyond the "
        f"{v['max_loss_db']:.1f} dB that {who} tolerates, so no secure key. {fix}"
    )


def earth_moon_verdict(
    wavelength_nm: float = default("qkd_earth_moon_wavelength_nm"),
    tx_aperture_m: float = default("qkd_earth_moon_tx_aperture_m"),
    rx_aperture_m: float = default("qkd_earth_moon_rx_aperture_m"),
    *,
    distance_km: float = default("qkd_earth_moon_distance_km"),
    preset: str | QkdPreset = "micius",
    protocol: str = "bb84-infinite",
    extra_loss_db: float = 0.0,
) -> LinkVerdict:
    """Verdict on a direct Earth-Moon QKD link: its geometric loss against the protocol's loss limit.

    Parameters
    ----------
    wavelength_nm : float
        Wavelength [nm] (default 850 nm, ``qkd_earth_moon_wavelength_nm``).
    tx_aperture_m, rx_aperture_m : float
        Transmit and receive aperture diameters [m] (default 0.3 m and 1 m).
    distance_km : float
        Link length [km] (default the mean Earth-Moon distance, 384,400 km).
    preset : str or QkdPreset
        Receiver whose detector parameters set the limit (default ``micius``, an 850 nm ground receiver).
    protocol : str
        Protocol (default ``bb84-infinite``, the most loss-tolerant BB84 bound; BBM92's source sits at one end).
    extra_loss_db : float
        Losses beyond geometry (atmosphere, pointing, optics) [dB], default 0: the best case.

    Returns
    -------
    LinkVerdict
        Losses, limit, margin, key rate and the aperture, wavelength or relay count that would close the link.
    """
    _check_beam(wavelength_nm, tx_aperture_m, rx_aperture_m, None)
    _check_number("distance_km", distance_km, 0.0, 1e10, "give the link length in km, e.g. 384400", low_open=True)
    _check_number("extra_loss_db", extra_loss_db, 0.0, 1000.0, "give other losses in dB, e.g. 3")
    chosen, protocol = qkd_preset(preset), _check_protocol(protocol)
    geometric = float(geometric_loss_db(distance_km, wavelength_nm, tx_aperture_m, rx_aperture_m))
    link = geometric + extra_loss_db
    limit = max_loss_db(protocol, chosen.device, source_position="end")
    rate = optimal_key_rate(protocol, [link], chosen.device, source_position="end")
    closes = limit is not None and link <= limit and rate.key_rate_per_pulse[0] > 0.0
    remedies = (
        _remedies(distance_km, wavelength_nm, tx_aperture_m, rx_aperture_m, limit - extra_loss_db)
        if limit is not None and not closes
        else _Remedies(None, None, None, None)
    )
    values: dict[str, Any] = {
        "distance_km": float(distance_km),
        "wavelength_nm": float(wavelength_nm),
        "tx_aperture_m": float(tx_aperture_m),
        "rx_aperture_m": float(rx_aperture_m),
        "preset": chosen.name,
        "protocol": protocol,
        "geometric_loss_db": geometric,
        "extra_loss_db": float(extra_loss_db),
        "link_loss_db": link,
        "max_loss_db": limit,
        "margin_db": None if limit is None else limit - link,
        "closes": bool(closes),
        "key_rate_per_pulse": float(rate.key_rate_per_pulse[0]),
        "key_rate_bps": float(rate.key_rate_bps[0]),
        "rx_aperture_needed_m": remedies.rx_aperture_m,
        "tx_aperture_needed_m": remedies.tx_aperture_m,
        "wavelength_needed_nm": remedies.wavelength_nm,
        "relay_hops_needed": remedies.hops,
    }
    return LinkVerdict(**values, verdict=_verdict_text(values, remedies))
