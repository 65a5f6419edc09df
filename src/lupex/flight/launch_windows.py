"""Launch-window calendar: per arrival day, the transfer delta-v and the site's Sun and Earth after arrival.

The site's illumination is computed once for the whole period (``site_illumination`` at a coarse step) and sliced
per arrival, so a year of arrival days costs one illumination run plus one optimised Lambert arc per day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lupex.defaults import default
from lupex.ephemeris import format_utc, parse_time, time_range
from lupex.errors import InputError
from lupex.flight.transfer import transfer_budget

__all__ = ["LaunchWindowCalendar", "launch_window_calendar"]


@dataclass(frozen=True)
class LaunchWindowCalendar:
    """One row per candidate arrival day.

    Attributes
    ----------
    arrival_utc : ndarray of datetime64[ns]
        Arrival at the Moon (LOI). [UTC]
    total_dv_m_s : ndarray
        TLI + LOI + deorbit + descent + reserve. [m/s]
    tli_dv_m_s, loi_dv_m_s : ndarray
        Trans-lunar injection and lunar orbit insertion. [m/s]
    c3_km2_s2 : ndarray
        Geocentric C3 after TLI. [km^2/s^2]
    mean_sun_fraction_14d : ndarray
        Mean visible fraction of the solar disc at the site over the ``surface_days`` after arrival, in [0, 1].
    earth_visible_fraction_14d : ndarray
        Fraction of time the Earth is above the site's horizon over the same span, in [0, 1].
    site_lat_deg, site_lon_deg : float
        The site. [deg]
    surface_days : float
        Span summarised after each arrival. [d]
    """

    arrival_utc: NDArray[np.datetime64]
    total_dv_m_s: NDArray[np.float64]
    tli_dv_m_s: NDArray[np.float64]
    loi_dv_m_s: NDArray[np.float64]
    c3_km2_s2: NDArray[np.float64]
    mean_sun_fraction_14d: NDArray[np.float64]
    earth_visible_fraction_14d: NDArray[np.float64]
    site_lat_deg: float
    site_lon_deg: float
    surface_days: float

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per arrival day."""
        return [
            {
                "arrival_utc": format_utc(self.arrival_utc[i]),
                "total_dv_m_s": round(float(self.total_dv_m_s[i]), 2),
                "tli_dv_m_s": round(float(self.tli_dv_m_s[i]), 2),
                "loi_dv_m_s": round(float(self.loi_dv_m_s[i]), 2),
                "c3_km2_s2": round(float(self.c3_km2_s2[i]), 4),
                "mean_sun_fraction_14d": round(float(self.mean_sun_fraction_14d[i]), 4),
                "earth_visible_fraction_14d": round(float(self.earth_visible_fraction_14d[i]), 4),
            }
            for i in range(self.arrival_utc.size)
        ]


def _illumination_slices(
    lat_deg: float, lon_deg: float, arrivals: NDArray[np.datetime64], surface_days: float, step_h: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean Sun fraction and Earth-visible fraction over ``surface_days`` after each arrival (one illumination run)."""
    from lupex.illumination import site_illumination

    span = np.timedelta64(round(surface_days * 86400), "s")
    ill = site_illumination(lat_deg, lon_deg, arrivals[0], arrivals[-1] + span, f"{step_h}h",
                            observer_height_m=default("rover_mast_height_m"))  # fmt: skip
    times = ill.time_utc
    sun = np.empty(arrivals.size)
    earth = np.empty(arrivals.size)
    for i, t0 in enumerate(arrivals):
        lo, hi = np.searchsorted(times, t0), np.searchsorted(times, t0 + span)
        sun[i] = float(np.mean(ill.sun_visible_fraction[lo:hi]))
        earth[i] = float(np.mean(ill.earth_visible[lo:hi]))
    return sun, earth


def launch_window_calendar(
    start: Any,
    end: Any,
    *,
    site_lat_deg: float,
    site_lon_deg: float,
    step_days: float = 1.0,
    tof_days: float | None = None,
    parking_altitude_km: float | None = None,
    llo_altitude_km: float | None = None,
    surface_days: float | None = None,
    illumination_step_h: float | None = None,
) -> LaunchWindowCalendar:
    """Transfer delta-v and the site's Sun and Earth for each arrival day from ``start`` to ``end``.

    Parameters
    ----------
    start, end : time-like
        First and last arrival (UTC).
    site_lat_deg, site_lon_deg : float
        Landing site, in the south polar region the bundled DEMs cover. [deg]
    step_days : float, default 1
        Spacing of the candidate arrivals. [d]
    tof_days, parking_altitude_km, llo_altitude_km : float, optional
        As :func:`lupex.flight.transfer.transfer_budget`.
    surface_days, illumination_step_h : float, optional
        Span summarised after arrival [d] and its sampling [h] (defaults ``transfer_surface_days``,
        ``transfer_window_illumination_step_h``).

    Raises
    ------
    InputError
        Bad times, step, or site (the message names the argument).
    """
    if not (isinstance(step_days, (int, float)) and math.isfinite(step_days) and 0.25 <= step_days <= 366):
        raise InputError(f"step_days {step_days!r} is outside [0.25, 366] days; give e.g. 1")
    days = default("transfer_surface_days") if surface_days is None else surface_days
    step_h = default("transfer_window_illumination_step_h") if illumination_step_h is None else illumination_step_h
    if not (isinstance(days, (int, float)) and 1.0 <= days <= 60.0):
        raise InputError(f"surface_days {days!r} is outside [1, 60] days; give e.g. 14")
    if not (isinstance(step_h, (int, float)) and 0.25 <= step_h <= 24.0):
        raise InputError(f"illumination_step_h {step_h!r} is outside [0.25, 24] h; give e.g. 2")
    arrivals = time_range(parse_time(start, "start"), parse_time(end, "end"), step_days * 86400.0, max_count=2000)
    tli, loi, c3, total = (np.empty(arrivals.size) for _ in range(4))
    for i, arrival in enumerate(arrivals):
        b = transfer_budget(arrival, parking_altitude_km=parking_altitude_km, llo_altitude_km=llo_altitude_km,
                            tof_days=tof_days, site_lat_deg=site_lat_deg, wet_mass_kg=1000.0)  # fmt: skip
        tli[i], loi[i], c3[i], total[i] = b.dv_m_s("TLI"), b.dv_m_s("LOI"), b.c3_km2_s2, b.total_dv_m_s
    sun, earth = _illumination_slices(site_lat_deg, site_lon_deg, arrivals, float(days), float(step_h))
    return LaunchWindowCalendar(arrivals, total, tli, loi, c3, sun, earth, float(site_lat_deg), float(site_lon_deg),
                                float(days))  # fmt: skip
