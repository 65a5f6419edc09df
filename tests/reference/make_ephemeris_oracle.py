"""Generate an independent SPICE oracle table for the lupex Sun/Earth ephemeris tests.

This script is *not* part of the ``lupex`` package and does not import it. It uses
``spiceypy`` (the ``reference`` extra) with the JPL DE440 kernel set to compute the
apparent topocentric geometry of the Sun and the Earth for a set of lunar south-pole
sites and UTC epochs, and writes the result to ``tests/reference/ephemeris_oracle.csv``.

Usage
-----
::

    python tests/reference/make_ephemeris_oracle.py [--kernels DIR] [--output CSV] [--seed N]

``--kernels`` defaults to ``<repo root>/../shared/data/spice`` (that is
``Path(__file__).resolve().parents[3] / "shared" / "data" / "spice"``) and must contain

* ``naif0012.tls``               leap seconds,
* ``de440s.bsp``                 planetary ephemeris (Sun, Earth, Moon),
* ``pck00011.tpc``               generic text PCK,
* ``moon_pa_de440_200625.bpc``   lunar principal-axes orientation (DE440),
* ``moon_de440_220930.tf``       lunar frames; defines ``MOON_ME`` as an alias of
  ``MOON_ME_DE440_ME421`` (mean Earth / polar axis frame tied to DE440).

The output is deterministic: the random sites and epochs are drawn from
``numpy.random.default_rng(seed)`` with a fixed default seed, and a fixed list of named
sites and exact-hour epochs is always included (in particular the row
``lat -89.9, lon 0, height 0, 2028-01-01T00:00:00Z``).

Conventions (lupex)
-------------------
Site
    Planetocentric latitude and longitude in degrees (east-positive longitude; values in
    0..360 are allowed) and height in metres above the 1737.4 km reference sphere, in the
    ``MOON_ME`` body-fixed frame. The site position vector is
    ``(1737400 + height_m) * u(lat, lon)`` with ``u`` the unit radial vector; it is
    passed to SPICE in km.
Apparent topocentric vectors
    Sun (``SUN``) and Earth (``EARTH`` = NAIF 399, the planet centre, not the barycentre),
    aberration correction ``LT+S`` (one-way light time plus stellar aberration), frame
    ``MOON_ME``, observer the (constant) site position::

        spkcpo(target, et, "MOON_ME", "OBSERVER", "LT+S", obspos_km, "MOON", "MOON_ME")

    With ``refloc="OBSERVER"`` the ``MOON_ME`` orientation is evaluated at the
    observation epoch ``et`` (not at the light-time-corrected epoch).
Local ENU frame on the sphere
    ``up = u(lat, lon)``; ``east = (-sin lon, cos lon, 0)`` (increasing longitude);
    ``north = up x east = (-sin lat cos lon, -sin lat sin lon, cos lat)``, which points
    toward increasing latitude (i.e. toward the north pole; at the south pole region it
    points away from the pole). Geodetic and planetocentric coincide on the sphere.
Elevation / azimuth
    ``elevation = asin(v . up / |v|)`` in degrees, geometric (no refraction, no horizon,
    no limb: it is the direction of the body centre). ``azimuth = atan2(v . east, v . north)``
    in degrees, measured clockwise from local north toward east, wrapped to [0, 360).
Distance / angular radius
    ``distance_km = |v|`` (apparent, light-time corrected); apparent angular radius
    ``asin(R / |v|)`` in degrees with ``R_sun = 695700 km`` (IAU 2015 nominal) and
    ``R_earth = 6378.137 km`` (equatorial).
Sub-solar and sub-Earth points
    Planetocentric latitude/longitude (degrees, longitude in [0, 360)) of the apparent
    direction to the body seen from the Moon centre::

        spkpos(target, et, "MOON_ME", "LT+S", "MOON")  ->  reclat

Times
    UTC ISO 8601 with a trailing ``Z`` (e.g. ``2028-01-01T00:00:00Z``), converted to TDB
    seconds past J2000 with ``str2et``. Random epochs are whole seconds, uniformly drawn in
    2026-01-01T00:00:00Z .. 2035-12-31T23:59:59Z.

Output columns
--------------
Plain CSV (no comment lines), header in this order::

    lat_deg,lon_deg,height_m,time_utc,
    sun_elevation_deg,sun_azimuth_deg,sun_distance_km,sun_angular_radius_deg,
    earth_elevation_deg,earth_azimuth_deg,earth_distance_km,earth_angular_radius_deg,
    subsolar_lat_deg,subsolar_lon_deg,subearth_lat_deg,subearth_lon_deg

Angles are written with 7 decimals and distances with 4 decimals. ``lat_deg``,
``lon_deg`` and ``height_m`` are written as the exact values used in the computation.

Self-check
----------
The script verifies (and prints to stderr) the known SPICE values for
``lat -89.9, lon 0, h 0, 2028-01-01T00:00:00Z``: Sun elevation +0.5607 deg, azimuth
133.2285 deg; Earth elevation +2.5258 deg, azimuth 358.8373 deg (rounded to 4 decimals).
It exits with status 1 if they are not reproduced.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import spiceypy as sp

MOON_RADIUS_M = 1737400.0
R_SUN_KM = 695700.0
R_EARTH_KM = 6378.137
FRAME = "MOON_ME"
ABCORR = "LT+S"
DEFAULT_SEED = 20260101
KERNEL_FILES = (
    "naif0012.tls",
    "de440s.bsp",
    "pck00011.tpc",
    "moon_pa_de440_200625.bpc",
    "moon_de440_220930.tf",
)
DEFAULT_KERNELS = Path(__file__).resolve().parents[3] / "shared" / "data" / "spice"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "ephemeris_oracle.csv"

HEADER = (
    "lat_deg",
    "lon_deg",
    "height_m",
    "time_utc",
    "sun_elevation_deg",
    "sun_azimuth_deg",
    "sun_distance_km",
    "sun_angular_radius_deg",
    "earth_elevation_deg",
    "earth_azimuth_deg",
    "earth_distance_km",
    "earth_angular_radius_deg",
    "subsolar_lat_deg",
    "subsolar_lon_deg",
    "subearth_lat_deg",
    "subearth_lon_deg",
)

# Known SPICE values (issue): (lat, lon, h, time) -> rounded 4-decimal expectations.
KNOWN_CASE = (-89.9, 0.0, 0.0, "2028-01-01T00:00:00Z")
KNOWN_VALUES = {
    "sun_elevation_deg": 0.5607,
    "sun_azimuth_deg": 133.2285,
    "earth_elevation_deg": 2.5258,
    "earth_azimuth_deg": 358.8373,
}

# Named sites: (lat_deg, lon_deg, height_m).
NAMED_SITES: tuple[tuple[float, float, float], ...] = (
    (-89.9, 0.0, 0.0),
    (-89.99, 0.0, 0.0),
    (-89.99, 135.0, 2.0),
    (-89.9, 90.0, 2.0),
    (-89.9, 270.0, -1500.0),
    (-89.45, 222.5, 1944.8),  # connecting ridge
    (-89.45, 222.5, 2.0),
    (-89.68, 197.0, 1800.0),  # Shackleton rim
    (-89.68, 197.0, 0.0),
    (-85.5, 30.0, 0.0),
    (-85.5, 180.0, -4000.0),
    (-84.0, 0.0, 0.0),
    (-84.0, 315.0, 2000.0),
    (-84.0, 360.0, 1944.8),
)

# Exact-hour epochs used with a few named sites, in addition to the random epochs.
EXACT_EPOCHS = (
    "2026-01-01T00:00:00Z",
    "2028-01-01T00:00:00Z",
    "2030-06-21T12:00:00Z",
    "2033-03-15T06:00:00Z",
    "2035-12-31T23:00:00Z",
)

T_START = datetime(2026, 1, 1, tzinfo=UTC)
T_SPAN_S = int((datetime(2036, 1, 1, tzinfo=UTC) - T_START).total_seconds())
N_RANDOM_SITES = 36
N_EPOCHS_PER_SITE = 5


@dataclass(frozen=True)
class Case:
    """One (site, epoch) pair of the oracle table."""

    lat_deg: float
    lon_deg: float
    height_m: float
    time_utc: str


def load_kernels(kernel_dir: Path) -> None:
    """Furnish the DE440 kernel set from ``kernel_dir``.

    Parameters
    ----------
    kernel_dir : Path
        Directory holding the files listed in ``KERNEL_FILES``.
    """
    missing = [name for name in KERNEL_FILES if not (kernel_dir / name).is_file()]
    if missing:
        raise SystemExit(f"missing SPICE kernels in {kernel_dir}: {', '.join(missing)}")
    for name in KERNEL_FILES:
        sp.furnsh(str(kernel_dir / name))


def enu_basis(lat_deg: float, lon_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the local (east, north, up) unit vectors on the sphere in ``MOON_ME``.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Planetocentric latitude and east-positive longitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        ``(east, north, up)``; ``north = up x east`` points toward increasing latitude.
    """
    lat = math.radians(lat_deg)
    lon = math.radians(lon_deg)
    up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.cross(up, east)
    return east, north, up


def wrap360(angle_deg: float, decimals: int = 7) -> float:
    """Wrap an angle to [0, 360) such that it also stays below 360 after rounding."""
    value = angle_deg % 360.0
    if round(value, decimals) >= 360.0:
        value = 0.0
    return value


def topocentric(
    target: str, et: float, obspos_km: np.ndarray, basis: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[float, float, float]:
    """Apparent elevation, azimuth (deg) and distance (km) of ``target`` seen from a site.

    Parameters
    ----------
    target : str
        SPICE target name (``"SUN"`` or ``"EARTH"``).
    et : float
        Ephemeris time (TDB seconds past J2000).
    obspos_km : numpy.ndarray
        Site position in ``MOON_ME`` relative to the Moon centre, km.
    basis : tuple of numpy.ndarray
        Local ``(east, north, up)`` unit vectors.

    Returns
    -------
    tuple of float
        ``(elevation_deg, azimuth_deg, distance_km)``.
    """
    state, _lt = sp.spkcpo(target, et, FRAME, "OBSERVER", ABCORR, obspos_km, "MOON", FRAME)
    vec = np.asarray(state[:3], dtype=float)
    dist = float(np.linalg.norm(vec))
    east, north, up = basis
    elev = math.degrees(math.asin(float(np.dot(vec, up)) / dist))
    azim = wrap360(math.degrees(math.atan2(float(np.dot(vec, east)), float(np.dot(vec, north)))))
    return elev, azim, dist


def subpoint(target: str, et: float) -> tuple[float, float]:
    """Planetocentric lat/lon (deg) of the apparent direction to ``target`` from the Moon centre."""
    pos, _lt = sp.spkpos(target, et, FRAME, ABCORR, "MOON")
    _r, lon, lat = sp.reclat(pos)
    return math.degrees(lat), wrap360(math.degrees(lon))


def compute_row(case: Case) -> dict[str, float | str]:
    """Compute all oracle columns for one (site, epoch) case."""
    et = sp.str2et(case.time_utc)
    basis = enu_basis(case.lat_deg, case.lon_deg)
    obspos_km = (MOON_RADIUS_M + case.height_m) / 1000.0 * basis[2]
    sun_el, sun_az, sun_d = topocentric("SUN", et, obspos_km, basis)
    earth_el, earth_az, earth_d = topocentric("EARTH", et, obspos_km, basis)
    ss_lat, ss_lon = subpoint("SUN", et)
    se_lat, se_lon = subpoint("EARTH", et)
    return {
        "lat_deg": case.lat_deg,
        "lon_deg": case.lon_deg,
        "height_m": case.height_m,
        "time_utc": case.time_utc,
        "sun_elevation_deg": sun_el,
        "sun_azimuth_deg": sun_az,
        "sun_distance_km": sun_d,
        "sun_angular_radius_deg": math.degrees(math.asin(R_SUN_KM / sun_d)),
        "earth_elevation_deg": earth_el,
        "earth_azimuth_deg": earth_az,
        "earth_distance_km": earth_d,
        "earth_angular_radius_deg": math.degrees(math.asin(R_EARTH_KM / earth_d)),
        "subsolar_lat_deg": ss_lat,
        "subsolar_lon_deg": ss_lon,
        "subearth_lat_deg": se_lat,
        "subearth_lon_deg": se_lon,
    }


def random_epoch(rng: np.random.Generator) -> str:
    """Draw a whole-second UTC epoch in 2026-01-01 .. 2035-12-31, formatted ISO 8601 with ``Z``."""
    offset = int(rng.integers(0, T_SPAN_S))
    return (T_START + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_cases(seed: int) -> list[Case]:
    """Build the deterministic list of (site, epoch) cases.

    Parameters
    ----------
    seed : int
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    list of Case
        Named sites at exact-hour and random epochs, plus random sites at random epochs.
    """
    rng = np.random.default_rng(seed)
    cases: list[Case] = [Case(*KNOWN_CASE)]
    for i, (lat, lon, h) in enumerate(NAMED_SITES):
        # Every named site gets two exact-hour epochs (rotating through EXACT_EPOCHS)...
        for k in range(2):
            cases.append(Case(lat, lon, h, EXACT_EPOCHS[(i + k) % len(EXACT_EPOCHS)]))
        # ...and random epochs.
        for _ in range(N_EPOCHS_PER_SITE):
            cases.append(Case(lat, lon, h, random_epoch(rng)))
    for _ in range(N_RANDOM_SITES):
        lat = round(float(rng.uniform(-89.99, -84.0)), 4)
        lon = round(float(rng.uniform(0.0, 360.0)), 4)
        h = round(float(rng.uniform(-4000.0, 2000.0)), 1)
        for _ in range(N_EPOCHS_PER_SITE):
            cases.append(Case(lat, lon, h, random_epoch(rng)))
    # Remove exact duplicates while keeping order.
    seen: set[Case] = set()
    unique: list[Case] = []
    for case in cases:
        if case not in seen:
            seen.add(case)
            unique.append(case)
    return unique


def format_row(row: dict[str, float | str]) -> list[str]:
    """Format a computed row: site values as given, angles 7 decimals, distances 4 decimals."""
    out: list[str] = []
    for name in HEADER:
        value = row[name]
        if isinstance(value, str):
            out.append(value)
        elif name in ("lat_deg", "lon_deg", "height_m"):
            out.append(repr(float(value)))
        elif name.endswith("_km"):
            out.append(f"{value:.4f}")
        else:
            out.append(f"{value:.7f}")
    return out


def check_known() -> bool:
    """Compare the known SPICE values from the issue; print the comparison to stderr."""
    row = compute_row(Case(*KNOWN_CASE))
    ok = True
    print(f"known-value check at lat/lon/h/time = {KNOWN_CASE}:", file=sys.stderr)
    for name, expected in KNOWN_VALUES.items():
        got = float(row[name])
        match = round(got, 4) == expected
        ok &= match
        status = "OK" if match else "MISMATCH"
        print(f"  {name:22s} got {got:+.7f}  expected {expected:+.4f}  {status}", file=sys.stderr)
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=Path, default=DEFAULT_KERNELS, help="SPICE kernel directory")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="output CSV path")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="RNG seed (default: fixed)")
    args = parser.parse_args(argv)

    load_kernels(args.kernels.resolve())
    try:
        if not check_known():
            print("known-value check FAILED; not writing the table", file=sys.stderr)
            return 1
        cases = build_cases(args.seed)
        with args.output.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(HEADER)
            for case in cases:
                writer.writerow(format_row(compute_row(case)))
    finally:
        sp.kclear()
    print(f"wrote {len(cases)} rows to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
