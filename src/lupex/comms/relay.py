"""Rover-lander relay: line of sight over the DEM, free-space link budget, relay coverage map and route profile.

The rover talks to the lander over a low-gain UHF or S-band link. A rover position is *available* for relay
when the straight line between the two antennas clears the terrain on the curved Moon
(:mod:`lupex.core.relay`) and the link budget closes at one of the link's standard data rates with the required
margin. Free space only: no diffraction over ridges, no multipath off the ground, no antenna patterns (the
gains are the values toward the horizon). Model card: ``docs/models/relay.md``.

Link budget (one direction, transmitter -> receiver; by default the rover transmits, the lander receives)::

    C/N0  = P_tx[dBW] + G_tx + G_rx - L_fs(d, f) - L_impl - (k[dBW/K/Hz] + 10 log10 T_sys)     [dBHz]
    Eb/N0 = C/N0 - 10 log10(R_b)                                                                [dB]
    margin = Eb/N0 - (Eb/N0)_required                                                           [dB]

and the rate is the highest standard rate ``R_b`` with ``margin >= required_margin_dB``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from lupex.comms.radio import BOLTZMANN_dBW_K_Hz, free_space_loss_dB
from lupex.constants import MOON_RADIUS_M
from lupex.core.relay import TerrainGrid, line_of_sight_map, line_of_sight_points, terrain_height_m
from lupex.defaults import default
from lupex.errors import InputError
from lupex.terrain.dem import check_dem
from lupex.terrain.projection import latlon_to_xy, scale_factor

__all__ = [
    "RelayLink",
    "RelayRoute",
    "relay_along_route",
    "relay_cn0_dBHz",
    "relay_coverage",
    "relay_margin_dB",
    "relay_rate_bps",
]

log = logging.getLogger(__name__)

#: Rows of the coverage map per kernel call (one progress update each).
_ROWS_PER_CHUNK = 32


def _doubling_rates(min_bps: float, max_bps: float) -> tuple[float, ...]:
    """Standard rates [bps]: ``min_bps`` doubled until ``max_bps`` (Proximity-1 style 1, 2, 4 ... kbps)."""
    rates = [float(min_bps)]
    while rates[-1] * 2.0 <= max_bps * (1.0 + 1e-12):
        rates.append(rates[-1] * 2.0)
    return tuple(rates)


@dataclass(frozen=True)
class RelayLink:
    """Radio parameters of the rover-lander link in one direction (transmitter -> receiver).

    The field defaults are the UHF preset (:meth:`uhf`, a Proximity-1 / Electra-like 401.6 MHz return link);
    :meth:`sband` gives a 2.45 GHz Wi-Fi-class link. Values and sources: ``lupex.defaults.DEFAULTS["relay_*"]``
    (most are labelled estimates: LUPEX rover-lander radio numbers are not published).

    Attributes
    ----------
    frequency_Hz : float
        Carrier frequency [Hz].
    tx_power_W : float
        Transmitter RF output power [W], > 0.
    tx_gain_dBi, rx_gain_dBi : float
        Transmit and receive antenna gains toward the other antenna [dBi].
    system_noise_temperature_K : float
        Receiving system noise temperature [K], > 0.
    required_ebn0_dB : float
        Eb/N0 the demodulator and decoder need for the target bit error rate [dB].
    implementation_loss_dB : float
        Modem, polarisation, pointing and cable losses [dB], >= 0.
    required_margin_dB : float
        Margin over ``required_ebn0_dB`` a rate must keep to be used [dB], >= 0.
    standard_rates_bps : tuple of float
        Data rates the radio offers [bps], each > 0 (sorted ascending on construction).
    name : str
        Label for reports.
    """

    frequency_Hz: float = default("relay_uhf_frequency_Hz")
    tx_power_W: float = default("relay_uhf_tx_power_W")
    tx_gain_dBi: float = default("relay_uhf_tx_gain_dBi")
    rx_gain_dBi: float = default("relay_uhf_rx_gain_dBi")
    system_noise_temperature_K: float = default("relay_uhf_system_noise_temperature_K")
    required_ebn0_dB: float = default("relay_required_ebn0_dB")
    implementation_loss_dB: float = default("relay_implementation_loss_dB")
    required_margin_dB: float = default("relay_required_margin_dB")
    standard_rates_bps: tuple[float, ...] = field(
        default=_doubling_rates(default("relay_uhf_rate_min_bps"), default("relay_uhf_rate_max_bps"))
    )
    name: str = "UHF"

    def __post_init__(self) -> None:
        _check_positive("frequency_Hz", self.frequency_Hz, "Hz", "e.g. 401.585625e6 for UHF")
        _check_positive("tx_power_W", self.tx_power_W, "W", "the transmitter's RF output, e.g. 5.0")
        _check_positive("system_noise_temperature_K", self.system_noise_temperature_K, "K", "e.g. 500.0")
        for name in ("tx_gain_dBi", "rx_gain_dBi", "required_ebn0_dB"):
            if not math.isfinite(_as_float(getattr(self, name))):
                raise InputError(f"{name} {getattr(self, name)!r} is not accepted; give a finite number of dB")
        for name in ("implementation_loss_dB", "required_margin_dB"):
            value = _as_float(getattr(self, name))
            if not (math.isfinite(value) and value >= 0.0):
                raise InputError(f"{name} {getattr(self, name)!r} is not accepted; give a finite number of dB >= 0")
        try:
            rates = np.asarray(self.standard_rates_bps, dtype=np.float64)
        except (TypeError, ValueError):
            rates = np.array([math.nan])
        if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0.0)):
            raise InputError(
                f"standard_rates_bps {self.standard_rates_bps!r} is not accepted; give a non-empty sequence of "
                "finite rates > 0 [bps], e.g. (1000.0, 2000.0, 4000.0)"
            )
        object.__setattr__(self, "standard_rates_bps", tuple(float(r) for r in np.sort(rates)))

    @classmethod
    def uhf(cls) -> RelayLink:
        """UHF preset: 401.585625 MHz, 5 W, 0 dBi / 0 dBi, 500 K, rates 1-2048 kbps (see DEFAULTS)."""
        return cls()

    @classmethod
    def sband(cls) -> RelayLink:
        """S-band preset: 2.45 GHz Wi-Fi-class link, 1 W, 3 dBi / 3 dBi, 300 K, rates 1-8192 kbps (estimates)."""
        return cls(
            frequency_Hz=default("relay_sband_frequency_Hz"),
            tx_power_W=default("relay_sband_tx_power_W"),
            tx_gain_dBi=default("relay_sband_tx_gain_dBi"),
            rx_gain_dBi=default("relay_sband_rx_gain_dBi"),
            system_noise_temperature_K=default("relay_sband_system_noise_temperature_K"),
            standard_rates_bps=_doubling_rates(
                default("relay_sband_rate_min_bps"), default("relay_sband_rate_max_bps")
            ),
            name="S-band",
        )

    def as_attrs(self) -> dict[str, Any]:
        """The parameters as netCDF-safe attributes, each name prefixed ``link_``."""
        return {f"link_{k}": (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class RelayRoute:
    """Relay availability along a rover route (one entry per route point).

    Attributes
    ----------
    x_m, y_m : float64 array (n,)
        Route points, polar stereographic [m].
    line_of_sight : bool array (n,)
        True where the straight line between the rover's and the lander's antennas clears the terrain.
    distance_m : float64 array (n,)
        Straight-line (slant) distance between the two antennas [m].
    margin_dB : float64 array (n,)
        Eb/N0 margin over the required Eb/N0 at ``rate_bps`` (at the lowest standard rate where no rate closes)
        [dB]; NaN where the line of sight is blocked.
    rate_bps : float64 array (n,)
        Highest standard rate that closes with the required margin [bps]; 0 where blocked or not closing.
    available : bool array (n,)
        ``line_of_sight & (rate_bps > 0)``.
    lander_x_m, lander_y_m : float
        Lander position, polar stereographic [m].
    link : RelayLink
        The link evaluated.
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    line_of_sight: NDArray[np.bool_]
    distance_m: NDArray[np.float64]
    margin_dB: NDArray[np.float64]
    rate_bps: NDArray[np.float64]
    available: NDArray[np.bool_]
    lander_x_m: float
    lander_y_m: float
    link: RelayLink

    @property
    def available_fraction(self) -> float:
        """Fraction of route points with relay available [-] (NaN for an empty route)."""
        return float(np.mean(self.available)) if self.available.size else math.nan


# ---------------------------------------------------------------------------------------- link budget


def relay_cn0_dBHz(distance_m: ArrayLike, link: RelayLink) -> NDArray[np.float64]:
    """Received carrier-to-noise density C/N0 [dBHz] at slant ``distance_m`` [m] in free space.

    ``P_tx[dBW] + G_tx + G_rx - L_fs - L_impl - (k + 10 log10 T_sys)``, with ``L_fs`` from
    :func:`lupex.comms.radio.free_space_loss_dB` and ``k`` = :data:`lupex.comms.radio.BOLTZMANN_dBW_K_Hz`.
    """
    d = np.asarray(distance_m, dtype=np.float64)
    eirp_dBW = 10.0 * math.log10(link.tx_power_W) + link.tx_gain_dBi
    noise_density_dBW_Hz = BOLTZMANN_dBW_K_Hz + 10.0 * math.log10(link.system_noise_temperature_K)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss_dB = free_space_loss_dB(d, link.frequency_Hz)
    return eirp_dBW + link.rx_gain_dBi - loss_dB - link.implementation_loss_dB - noise_density_dBW_Hz


def relay_margin_dB(distance_m: ArrayLike, rate_bps: ArrayLike, link: RelayLink) -> NDArray[np.float64]:
    """Eb/N0 margin [dB] over ``link.required_ebn0_dB`` at slant ``distance_m`` [m] and data rate ``rate_bps`` [bps]."""
    rate = np.asarray(rate_bps, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return relay_cn0_dBHz(distance_m, link) - 10.0 * np.log10(rate) - link.required_ebn0_dB


def relay_rate_bps(distance_m: ArrayLike, link: RelayLink) -> NDArray[np.float64]:
    """Highest of ``link.standard_rates_bps`` whose margin is at least ``link.required_margin_dB`` [bps]; 0 if none.

    Free space, no terrain: combine with a line of sight (:func:`relay_coverage`, :func:`relay_along_route`).
    """
    return _rate_and_margin(np.asarray(distance_m, dtype=np.float64), link)[0]


def _rate_and_margin(
    distance_m: NDArray[np.float64], link: RelayLink
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(rate [bps], margin at that rate or at the lowest rate where none closes [dB]); NaN distance -> 0, NaN."""
    rates = np.asarray(link.standard_rates_bps, dtype=np.float64)
    cn0 = relay_cn0_dBHz(distance_m, link)
    # margin(R) >= required  <=>  10 log10 R <= C/N0 - Eb/N0_req - margin_req
    max_rate_dB = cn0 - link.required_ebn0_dB - link.required_margin_dB
    with np.errstate(invalid="ignore"):
        n_ok = np.searchsorted(10.0 * np.log10(rates), np.nan_to_num(max_rate_dB, nan=-np.inf), side="right")
    rate = np.where(n_ok > 0, rates[np.maximum(n_ok - 1, 0)], 0.0)
    used = np.where(n_ok > 0, rate, rates[0])
    margin = cn0 - 10.0 * np.log10(used) - link.required_ebn0_dB
    return rate, margin


# ------------------------------------------------------------------------------------------- checks


def _as_float(value: Any) -> float:
    """``float(value)``, or NaN when it is not a number (so that the caller's check refuses it)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _check_positive(name: str, value: Any, unit: str, hint: str) -> float:
    v = _as_float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise InputError(f"{name} {value!r} is not accepted; give a finite number of {unit} > 0 ({hint})")
    return v


def _check_mast(name: str, value: Any) -> float:
    v = _as_float(value)
    if not (math.isfinite(v) and v >= 0.0):
        raise InputError(
            f"{name} {value!r} is not accepted; give the antenna's height above its ground as a finite number of "
            "metres >= 0 (e.g. 2.0)"
        )
    return v


def _check_link(link: Any) -> RelayLink:
    if not isinstance(link, RelayLink):
        raise InputError(
            f"link has type {type(link).__name__}; give a lupex.comms.relay.RelayLink (e.g. RelayLink.uhf())"
        )
    return link


def _dem_grid(dem: xr.DataArray) -> TerrainGrid:
    x = np.asarray(dem["x"].values, dtype=np.float64)
    y = np.asarray(dem["y"].values, dtype=np.float64)
    res = float(x[1] - x[0])
    z = np.ascontiguousarray(dem.values, dtype=np.float64)
    return TerrainGrid(z, float(x[0]), float(y[0]), res, MOON_RADIUS_M)


def _lander_xy(dem: xr.DataArray, lat_deg: Any, lon_deg: Any) -> tuple[float, float]:
    """Lander x, y [m]; refused when outside the DEM footprint or on a void."""
    lat = _as_float(lat_deg)
    lon = _as_float(lon_deg)
    if not (math.isfinite(lat) and -90.0 <= lat < 0.0):
        raise InputError(
            f"lander_lat_deg {lat_deg!r} is not accepted; give a latitude in [-90, 0) degrees (south polar grid)"
        )
    if not math.isfinite(lon):
        raise InputError(f"lander_lon_deg {lon_deg!r} is not accepted; give a finite east longitude in degrees")
    x, y = (float(v) for v in latlon_to_xy(lat, lon))
    grid = _dem_grid(dem)
    half = 0.5 * grid.res_m
    xs = dem["x"].values
    ys = dem["y"].values
    if not (xs[0] - half <= x <= xs[-1] + half and ys[-1] - half <= y <= ys[0] + half):
        raise InputError(
            f"lander at lat {lat:.5f}, lon {lon:.4f} (x {x:.0f} m, y {y:.0f} m) lies outside the DEM "
            f"(x {xs[0] - half:.0f}..{xs[-1] + half:.0f} m, y {ys[-1] - half:.0f}..{ys[0] + half:.0f} m); "
            "give a lander position on the DEM or load a DEM that covers it"
        )
    if not math.isfinite(float(terrain_height_m(grid, x, y))):
        raise InputError(
            f"lander at lat {lat:.5f}, lon {lon:.4f} stands on a DEM void (NaN height); fill the DEM's voids "
            "or move the lander"
        )
    return x, y


def _route_points(dem: xr.DataArray, route_x_m: ArrayLike, route_y_m: ArrayLike) -> tuple[NDArray, NDArray]:
    x = np.asarray(route_x_m, dtype=np.float64).ravel()
    y = np.asarray(route_y_m, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise InputError(
            f"route_x_m has {x.size} points and route_y_m {y.size}; give one x and one y [m] per route point"
        )
    half = 0.5 * float(dem["x"].values[1] - dem["x"].values[0])
    xs = dem["x"].values
    ys = dem["y"].values
    outside = ~(np.isfinite(x) & np.isfinite(y))
    outside |= (x < xs[0] - half) | (x > xs[-1] + half) | (y < ys[-1] - half) | (y > ys[0] + half)
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"route point {k} (x {x[k]!r} m, y {y[k]!r} m) and {int(outside.sum()) - 1} other(s) lie outside the "
            "DEM or are not finite; give polar stereographic metres on the DEM"
        )
    return x, y


# ----------------------------------------------------------------------------------------- coverage map


def _window(dem: xr.DataArray, lander_xy: tuple[float, float], radius_m: float | None) -> xr.DataArray:
    """The DEM cropped to the square of cells that may lie within ``radius_m`` of the lander (ground distance).

    The half-width is the radius times the largest scale factor in reach plus one cell, so the window always
    holds the lander's four neighbouring cell centres.
    """
    if radius_m is None:
        return dem
    radius = _check_positive("radius_m", radius_m, "m", "the coverage radius around the lander, or None for the DEM")
    lx, ly = lander_xy
    xs = dem["x"].values
    ys = dem["y"].values
    res = float(xs[1] - xs[0])
    half = radius * float(scale_factor(math.hypot(lx, ly) + 2.0 * radius, 0.0)) + res
    j0 = max(0, math.floor((lx - half - xs[0]) / res))
    j1 = min(xs.size - 1, math.ceil((lx + half - xs[0]) / res))
    i0 = max(0, math.floor((ys[0] - (ly + half)) / res))
    i1 = min(ys.size - 1, math.ceil((ys[0] - (ly - half)) / res))
    return dem.isel(y=slice(i0, i1 + 1), x=slice(j0, j1 + 1))


def _visibility_rows(
    grid: TerrainGrid, lander_xy: tuple[float, float], masts_m: tuple[float, float], radius: float, progress: Any
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """Line of sight and slant distance for every cell, in chunks of rows (progress: one update per chunk)."""
    ny, nx = grid.height_m.shape
    visible = np.empty((ny, nx), dtype=np.uint8)
    slant = np.empty((ny, nx), dtype=np.float64)
    if progress is not None:
        progress.total = ny
    for r0 in range(0, ny, _ROWS_PER_CHUNK):
        r1 = min(r0 + _ROWS_PER_CHUNK, ny)
        visible[r0:r1], slant[r0:r1] = line_of_sight_map(
            grid, lander_xy, masts_m[0], masts_m[1], max_ground_distance_m=radius, row_start=r0, row_stop=r1
        )
        if progress is not None:
            progress.update(r1 - r0)
    return visible, slant


def relay_coverage(
    dem: xr.DataArray,
    lander_lat_deg: float,
    lander_lon_deg: float,
    *,
    lander_antenna_m: float,
    rover_antenna_m: float,
    link: RelayLink,
    radius_m: float | None = None,
    progress: Any = None,
) -> xr.Dataset:
    """Relay coverage map: line of sight, distance, margin and data rate from a rover at every cell to the lander.

    Parameters
    ----------
    dem : xarray.DataArray
        Lupex DEM (heights [m] above the 1737.4 km sphere, dims ``y, x``, polar stereographic metres).
    lander_lat_deg, lander_lon_deg : float
        Lander position [deg] (planetocentric latitude, east longitude); must lie on the DEM.
    lander_antenna_m : float
        Height of the lander's antenna above the ground at the lander [m], >= 0.
    rover_antenna_m : float
        Height of the rover's antenna above the ground at each cell [m], >= 0.
    link : RelayLink
        Radio parameters (e.g. ``RelayLink.uhf()`` or ``RelayLink.sband()``).
    radius_m : float, optional
        Only cells within this ground distance of the lander [m] are evaluated, and the map is cropped to the
        square around them; default: the whole DEM.
    progress : tqdm-like, optional
        Receives ``total`` (rows) and ``update(n)`` as rows are done.

    Returns
    -------
    xarray.Dataset
        On the DEM's (cropped) ``y, x`` grid:

        * ``line_of_sight`` (bool): the straight line between the antennas clears the terrain.
        * ``distance_m`` (float64) [m]: slant distance between the antennas; NaN beyond ``radius_m`` or on voids.
        * ``margin_dB`` (float64) [dB]: Eb/N0 margin over ``link.required_ebn0_dB`` at ``rate_bps`` (at the
          lowest standard rate where none closes); NaN where the line of sight is blocked.
        * ``rate_bps`` (float64) [bps]: highest standard rate with ``margin_dB >= link.required_margin_dB``;
          0 where blocked or not closing.
        * ``available`` (bool): ``line_of_sight & (rate_bps > 0)``.

        Attributes: the lander's lat/lon, x/y and ground height, the two antenna heights, ``radius_m``, ``crs``,
        ``res_m`` and the link parameters (``link_*``).

    Raises
    ------
    InputError
        Lander outside the DEM or on a void, negative or non-finite antenna height, bad ``radius_m`` or ``link``.

    Notes
    -----
    Geometry: :mod:`lupex.core.relay` (curved Moon, bilinear terrain sampled at every grid-line crossing); link
    budget: :func:`relay_cn0_dBHz`. Free space only (no diffraction: cells just behind a ridge are blocked).
    """
    dem = check_dem(dem)
    masts = (_check_mast("lander_antenna_m", lander_antenna_m), _check_mast("rover_antenna_m", rover_antenna_m))
    link = _check_link(link)
    lander_xy = _lander_xy(dem, lander_lat_deg, lander_lon_deg)
    window = _window(dem, lander_xy, radius_m)
    grid = _dem_grid(window)
    radius = math.inf if radius_m is None else float(radius_m)
    visible, slant = _visibility_rows(grid, lander_xy, masts, radius, progress)
    los = visible.astype(bool)
    ds = _coverage_dataset(window, los, slant, link, _attrs(window, lander_lat_deg, lander_lon_deg, lander_xy, grid,
                                                             masts, radius_m, link))  # fmt: skip
    return ds


def _coverage_dataset(
    window: xr.DataArray, los: NDArray[np.bool_], slant: NDArray[np.float64], link: RelayLink, attrs: dict[str, Any]
) -> xr.Dataset:
    """The coverage variables on the window's grid (rate and margin from the slant distance), logged."""
    rate, margin = _rate_and_margin(slant, link)
    rate = np.where(los, rate, 0.0)
    margin = np.where(los, margin, np.nan)
    ds = xr.Dataset(
        {
            "line_of_sight": (("y", "x"), los, {"long_name": "line of sight between the antennas"}),
            "distance_m": (("y", "x"), slant, {"units": "m", "long_name": "slant distance between the antennas"}),
            "margin_dB": (("y", "x"), margin, {"units": "dB", "long_name": "Eb/N0 margin at rate_bps"}),
            "rate_bps": (("y", "x"), rate, {"units": "bit/s", "long_name": "highest closing standard rate"}),
            "available": (("y", "x"), los & (rate > 0.0), {"long_name": "relay available"}),
        },
        coords={"y": window["y"].values, "x": window["x"].values},
        attrs=attrs,
    )
    evaluated = np.isfinite(slant)
    log.info(
        "relay coverage: %d cells evaluated, line of sight %.1f %%, available %.1f %%",
        int(evaluated.sum()),
        100.0 * float(los[evaluated].mean()) if evaluated.any() else math.nan,
        100.0 * float(ds["available"].values[evaluated].mean()) if evaluated.any() else math.nan,
    )
    return ds


def _attrs(
    window: xr.DataArray,
    lat_deg: float,
    lon_deg: float,
    lander_xy: tuple[float, float],
    grid: TerrainGrid,
    masts: tuple[float, float],
    radius_m: float | None,
    link: RelayLink,
) -> dict[str, Any]:
    return {
        "lander_lat_deg": float(lat_deg),
        "lander_lon_deg": float(lon_deg),
        "lander_x_m": lander_xy[0],
        "lander_y_m": lander_xy[1],
        "lander_ground_height_m": float(terrain_height_m(grid, *lander_xy)),
        "lander_antenna_m": masts[0],
        "rover_antenna_m": masts[1],
        "radius_m": math.nan if radius_m is None else float(radius_m),
        "crs": window.attrs["crs"],
        "res_m": grid.res_m,
        "source": str(window.attrs.get("source", "")),
        **link.as_attrs(),
    }


# ------------------------------------------------------------------------------------------------ route


def relay_along_route(
    dem: xr.DataArray,
    lander_lat_deg: float,
    lander_lon_deg: float,
    route_x_m: ArrayLike,
    route_y_m: ArrayLike,
    *,
    lander_antenna_m: float,
    rover_antenna_m: float,
    link: RelayLink,
) -> RelayRoute:
    """Relay line of sight, distance, margin and rate at each point of a rover route.

    Parameters
    ----------
    dem : xarray.DataArray
        Lupex DEM (see :func:`relay_coverage`).
    lander_lat_deg, lander_lon_deg : float
        Lander position [deg]; must lie on the DEM.
    route_x_m, route_y_m : array_like (n,)
        Route points, polar stereographic [m], on the DEM (anywhere, not only cell centres: the rover's ground
        height is bilinear).
    lander_antenna_m, rover_antenna_m : float
        Antenna heights above their ground [m], >= 0.
    link : RelayLink
        Radio parameters.

    Returns
    -------
    RelayRoute
        Per point ``line_of_sight``, ``distance_m`` [m], ``margin_dB`` [dB], ``rate_bps`` [bps], ``available``.

    Raises
    ------
    InputError
        Lander or a route point outside the DEM, x and y of different lengths, bad heights or link.
    """
    dem = check_dem(dem)
    masts = (_check_mast("lander_antenna_m", lander_antenna_m), _check_mast("rover_antenna_m", rover_antenna_m))
    link = _check_link(link)
    lander_xy = _lander_xy(dem, lander_lat_deg, lander_lon_deg)
    x, y = _route_points(dem, route_x_m, route_y_m)
    visible, slant = line_of_sight_points(_dem_grid(dem), lander_xy, masts[0], x, y, masts[1])
    los = visible.astype(bool)
    rate, margin = _rate_and_margin(slant, link)
    rate = np.where(los, rate, 0.0)
    return RelayRoute(
        x_m=x,
        y_m=y,
        line_of_sight=los,
        distance_m=slant,
        margin_dB=np.where(los, margin, np.nan),
        rate_bps=rate,
        available=los & (rate > 0.0),
        lander_x_m=lander_xy[0],
        lander_y_m=lander_xy[1],
        link=link,
    )
