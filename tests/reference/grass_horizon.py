"""Independent horizon reference built on GRASS GIS ``r.horizon``.

Everything here was checked against GRASS 8.2.1 (Debian 12 ``grass-core``), by reading the r.horizon source
(``raster/r.horizon/main.c``) and by the analytic cases in ``tests/test_grass_reference.py``.

How r.horizon works (raster mode)
---------------------------------
* The DEM is held as C ``float``; cell centres sit at integer multiples of the resolution.
* For each cell and direction it marches a ray in steps of ``distance * (ewres + nsres) / 2`` (``distance``
  defaults to 1, i.e. one cell) and samples the *nearest* cell (``(int)(s + 0.5)``, no interpolation).
  Only steps that land on a new cell count; the range of a sample is the distance between the two *cell
  centres*, not the distance along the ray.
* Curvature is hard-coded: the sample is lowered by ``0.5 * d**2 / 6371000`` m (``EARTHRADIUS``) whatever
  the CRS or body, so lupex comparisons must use R = 6371000 m (``GRASS_EARTH_RADIUS_M``).
* The horizon is ``atan(max over samples of (z_s - z_0 - d**2/2R) / d)``; it starts from -inf, so a cell whose
  first step already leaves the grid gets -90 deg.  (Quirk: the "previous cell" starts as (0, 0), and C
  truncation toward zero lets a ray that steps just outside the south/west edge re-sample its own row or
  column at distance 0; edge cells therefore read -90 deg, and so does the cell next to the south-west
  corner looking south.  Stay two cells clear of the edges.)
* The search stops at ``min(maxdistance, (zmax - z_0) / tan 0.5deg)`` (``zmax`` = DEM maximum) or as soon
  as the horizon line (with curvature) rises above ``zmax``.  Terrain beyond the first limit can only be
  seen below 0.5 deg, so GRASS horizons are exact above 0.5 deg but may be *underestimated* below it (on a
  flat plane the search stops after the first sample: horizon = -atan(L1 / 2R), L1 = one cell, or one
  cell diagonal on diagonal azimuths, about -0.00045 deg at 100 m).
* Rays skip 100x100-cell blocks whose maximum lies below the current horizon line (exact for
  non-negative horizons).
* r.horizon has no observer-height option, and a uniform DEM offset cannot emulate one (it moves the
  terrain with the observer), so only ``observer_height_m=0`` is accepted.

Conventions found
-----------------
* ``direction``, ``start``, ``step`` and ``end`` are degrees counter-clockwise from east (0 = east,
  90 = north).  ``direction`` is an *offset*: maps are made at ``start + direction + k*step`` for
  ``k < int((end - start)/step)``, with ``start >= 0`` and ``end <= 360`` enforced.  Outputs are named
  ``<basename>_<angle>`` (e.g. ``h_090``, or ``h_090_5`` when the step string has one decimal), even for a
  single ``direction``; the wrapper lists them with ``g.list`` rather than guessing.
* ``-c`` (compass) does nothing in raster mode: it only relabels the azimuth column of point mode
  (``coordinates=``) output.  We never use it.
* Our azimuth a (clockwise from grid north toward +x) is GRASS angle ``(90 - a) mod 360``.
* The direction is turned into a grid vector *through geographic coordinates* (``GPJ_transform`` of a
  0.0001 rad step in latitude/longitude), i.e. it is relative to true east/north, not grid east/north.
  In EPSG:3031 a grid that sits at (500 km, 0) therefore comes out rotated by 90 deg (measured).  To get
  grid-relative azimuths the wrapper builds its throw-away location in a spherical Mercator
  (``+proj=merc +R=6371000``), which is conformal with grid north = true north everywhere, and puts the grid
  around (0, 0).  r.horizon only uses cell offsets, so the caller's x0/y0 do not affect the result.
* Rows: GRASS row 0 is north; our row 0 = north too, so no flip is needed through GeoTIFF I/O.
* ``-d`` gives degrees (default radians); nulls in, nulls (NaN) out.

Mechanics: ``z`` is written as a float32 GeoTIFF, and one ``grass --tmp-location dem.tif --exec python
session.py`` run (TMPDIR inside the work directory) does ``r.in.gdal -o``, ``g.region raster=``, one
``r.horizon -d`` call per evenly spaced group of directions (or per direction), and ``r.out.gdal`` of every
map; each command's return code is checked and its stderr put into :class:`GrassError`.

Timing (measured)
-----------------
GRASS 8.2.1, single-threaded, 2-core x86-64 container; central 512x512 crop of
``src/lupex/data/south_pole_240m.tif`` (240 m cells, heights -4374..1953 m), ``maxdistance=15000``:

* 360 azimuths (step 1 deg): r.horizon 131.7 s = 7.2e5 cell-azimuths/s; whole call 178 s (incl. 39.7 s
  for exporting 360 GeoTIFFs, 0.15 s import).
* 36 azimuths (step 10 deg): r.horizon 12.4 s = 7.6e5 cell-azimuths/s; whole call 16.9 s.
* The 36 maps equal every tenth of the 360 exactly; 0.2 % of the values are the -90 deg edge value.
* A 60x60 analytic case takes about 1 s including GRASS start-up.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "GRASS_EARTH_RADIUS_M",
    "GrassError",
    "ensure_grass",
    "grass_horizon_map",
    "grass_version",
    "to_grass_angle",
]

log = logging.getLogger(__name__)

#: Radius r.horizon hard-codes (``EARTHRADIUS``) for the curvature drop 0.5*d**2/R, whatever the CRS.
GRASS_EARTH_RADIUS_M = 6371000.0

#: The CRS of the throw-away location: a spherical Mercator.  It is conformal and its grid north is true
#: north everywhere, which matters because r.horizon turns its direction into a grid vector through
#: geographic coordinates (see the module docstring).  The grid is placed around (0, 0).
_WORK_CRS = "+proj=merc +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=6371000 +units=m +no_defs"

_APT_TIMEOUT_S = 1800
_GRASS_TIMEOUT_S = 3600


class GrassError(RuntimeError):
    """A GRASS command failed; the message carries its stderr."""


# --------------------------------------------------------------------------------------------------
# Finding / installing GRASS
# --------------------------------------------------------------------------------------------------


def _run_quiet(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return -1, f"{type(exc).__name__}: {exc}"
    return proc.returncode, (proc.stdout or "") + (proc.stderr or "")


@functools.cache
def ensure_grass() -> str | None:
    """Path of the ``grass`` executable, installing Debian ``grass-core`` if needed and possible.

    Never raises: returns None (and logs why) when GRASS cannot be had.  The answer is cached for the
    lifetime of the process.
    """
    try:
        path = shutil.which("grass")
        if path:
            return path
        geteuid = getattr(os, "geteuid", None)
        if geteuid is None or geteuid() != 0:
            log.warning("GRASS GIS not found and not running as root: cannot install grass-core")
            return None
        apt = shutil.which("apt-get")
        if apt is None:
            log.warning("GRASS GIS not found and apt-get is not available: cannot install grass-core")
            return None
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = [apt, "install", "-y", "--no-install-recommends", "grass-core"]
        log.info("GRASS GIS not found; installing grass-core with apt-get")
        rc, out = _run_quiet(install, _APT_TIMEOUT_S, env)
        if rc != 0:
            log.info("apt-get install failed (rc=%s); running apt-get update and retrying", rc)
            rc_u, out_u = _run_quiet([apt, "update"], _APT_TIMEOUT_S, env)
            if rc_u != 0:
                log.warning("apt-get update failed (rc=%s): %s", rc_u, out_u[-2000:])
            rc, out = _run_quiet(install, _APT_TIMEOUT_S, env)
        if rc != 0:
            log.warning("apt-get install grass-core failed (rc=%s): %s", rc, out[-2000:])
            return None
        path = shutil.which("grass")
        if path is None:
            log.warning("grass-core installed but no 'grass' executable on PATH")
        return path
    except Exception as exc:  # never raise from here
        log.warning("could not provide GRASS GIS: %s: %s", type(exc).__name__, exc)
        return None


@functools.cache
def grass_version() -> str | None:
    """GRASS version string such as ``"8.2.1"``, or None when GRASS is unavailable."""
    grass = ensure_grass()
    if grass is None:
        return None
    rc, out = _run_quiet([grass, "--version"], 120)
    match = re.search(r"GRASS GIS\s+(\S+)", out)
    if rc != 0 or match is None:
        log.warning("could not read the GRASS version (rc=%s): %s", rc, out[-500:])
        return None
    return match.group(1)


# --------------------------------------------------------------------------------------------------
# Conventions
# --------------------------------------------------------------------------------------------------


def to_grass_angle(azimuth_deg: float) -> float:
    """Our azimuth (clockwise from grid north, 90 = +x) -> r.horizon direction (CCW from east), [0, 360)."""
    g = (90.0 - float(azimuth_deg)) % 360.0
    return 0.0 if g >= 360.0 else g


def _plan_runs(grass_angles: Sequence[float]) -> list[dict]:
    """Group the distinct r.horizon directions into as few r.horizon calls as possible.

    Equally spaced directions go into one call (``direction`` = first angle as an offset, ``start=0``,
    ``step``, ``end=n*step``; r.horizon computes ``int((end - start)/step)`` maps at angles
    ``start + direction + k*step``).  Anything else gets one call per direction.
    """
    uniq = sorted(set(grass_angles))
    n = len(uniq)
    if n >= 3:
        steps = np.diff(uniq)
        s = float(steps[0])
        end = n * s
        if np.allclose(steps, s, rtol=0.0, atol=1e-9) and s > 0.0 and end <= 360.0 and int((end - 0.0) / abs(s)) == n:
            angles = [uniq[0] + k * s for k in range(n)]
            if np.allclose(angles, uniq, rtol=0.0, atol=1e-7):
                return [{"direction": uniq[0], "step": s, "start": 0.0, "end": end, "angles": uniq}]
    return [{"direction": g, "angles": [g]} for g in uniq]


# --------------------------------------------------------------------------------------------------
# Running r.horizon in a throw-away location
# --------------------------------------------------------------------------------------------------

# Runs *inside* the GRASS session (``grass --tmp-location dem.tif --exec python script.py job.json``).
# Standard library only; every GRASS module is a subprocess whose return code and stderr are checked.
_SESSION_SCRIPT = r"""
import json, subprocess, sys, time

job = json.load(open(sys.argv[1]))
result = {"runs": [], "timings": {}}

def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        result["error"] = {"cmd": cmd, "rc": p.returncode, "stdout": p.stdout[-4000:],
                           "stderr": p.stderr[-8000:]}
        json.dump(result, open(job["result"], "w"))
        sys.exit(3)
    return p.stdout, dt

_, dt = run(["r.in.gdal", "-o", "--quiet", "--overwrite", "input=" + job["dem"], "output=dem"])
result["timings"]["import_s"] = dt
run(["g.region", "raster=dem"])
region, _ = run(["g.region", "-g"])
result["region"] = region
result["timings"]["horizon_s"] = 0.0
result["timings"]["export_s"] = 0.0
for k, spec in enumerate(job["runs"]):
    base = f"h{k:04d}"
    cmd = ["r.horizon", "-d", "--quiet", "--overwrite", "elevation=dem", "output=" + base,
           "direction=" + repr(spec["direction"]), "maxdistance=" + repr(job["maxdistance"])]
    if "step" in spec:
        cmd += ["step=" + repr(spec["step"]), "start=" + repr(spec["start"]), "end=" + repr(spec["end"])]
    _, dt = run(cmd)
    result["timings"]["horizon_s"] += dt
    listed, _ = run(["g.list", "type=raster", "pattern=" + base + "*", "mapset=."])
    names = [s.strip() for s in listed.split() if s.strip()]
    files = []
    for name in names:
        out = "%s/%s.tif" % (job["outdir"], name)
        _, dt = run(["r.out.gdal", "-c", "-f", "--quiet", "--overwrite", "input=" + name,
                     "output=" + out, "format=GTiff", "type=Float32"])
        result["timings"]["export_s"] += dt
        files.append([name, out])
    result["runs"].append({"cmd": cmd, "maps": files})
json.dump(result, open(job["result"], "w"))
"""


def _map_angle(name: str, base: str) -> float:
    """Angle encoded by G_generate_basename: ``h0000_090_50`` -> 90.5 (``h0000`` alone -> nan)."""
    suffix = name[len(base) :].lstrip("_")
    if not suffix:
        return math.nan
    return float(suffix.replace("_", ".", 1).replace("_", ""))


def _read_float_tif(path: str) -> np.ndarray:
    import rasterio

    with rasterio.open(path) as src:
        data = src.read(1, masked=True)
    return np.ma.filled(data.astype(np.float64), np.nan)


def _write_dem(path: Path, z: np.ndarray, res: float) -> None:
    import rasterio
    from rasterio.transform import Affine

    ny, nx = z.shape
    # Centre the grid on (0, 0) of the spherical Mercator: r.horizon only uses cell offsets, so the
    # caller's absolute x0/y0 do not change the result, and near the equator everything is benign.
    west = -0.5 * nx * res
    north = 0.5 * ny * res
    profile = {
        "driver": "GTiff",
        "dtype": "float32",  # r.horizon holds the DEM as C float anyway
        "width": nx,
        "height": ny,
        "count": 1,
        "crs": _WORK_CRS,
        "transform": Affine(res, 0.0, west, 0.0, -res, north),
        "nodata": float("nan"),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z.astype(profile["dtype"]), 1)


def grass_horizon_map(
    z: np.ndarray,
    x0: float,
    y0: float,
    res: float,
    azimuths_deg: Sequence[float] | np.ndarray,
    max_distance_m: float,
    observer_height_m: float = 0.0,
    workdir: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """Horizon elevation angles (degrees) from GRASS ``r.horizon``, in lupex conventions.

    Parameters
    ----------
    z : 2-D array of heights (m); row 0 is the northern-most row, column 0 the western-most.
        NaN cells become GRASS nulls and come back as NaN.
    x0, y0 : upper-left corner of the grid (m).  Cell (i, j) centre is (x0 + (j+.5)*res, y0 - (i+.5)*res).
        r.horizon is translation invariant in a projected CRS, so they only get validated.
    res : square pixel size (m).
    azimuths_deg : azimuths, degrees clockwise from grid north (+y) toward +x.
    max_distance_m : r.horizon ``maxdistance`` (m).
    observer_height_m : must be 0; r.horizon has no observer-height option (raises ValueError otherwise).
    workdir : where to build the throw-away GRASS location (kept); a temporary directory if None.

    Returns
    -------
    float64 array (n_azimuth, ny, nx) of horizon elevation angles in degrees, as r.horizon computes them
    (Earth radius 6371000 m for curvature; -90 where the very first ray step leaves the grid).
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or min(z.shape) < 1:
        raise ValueError(f"z must be a non-empty 2-D array, got shape {z.shape}")
    if not (math.isfinite(float(x0)) and math.isfinite(float(y0))):
        raise ValueError("x0 and y0 must be finite")
    res = float(res)
    if not (math.isfinite(res) and res > 0.0):
        raise ValueError(f"res must be a positive finite number, got {res}")
    max_distance_m = float(max_distance_m)
    if not (math.isfinite(max_distance_m) and max_distance_m > 0.0):
        raise ValueError(f"max_distance_m must be positive and finite, got {max_distance_m}")
    if float(observer_height_m) != 0.0:
        raise ValueError(
            "r.horizon has no observer-height option (GRASS 8.x) and a uniform DEM offset cannot emulate "
            "one; only observer_height_m=0 is supported"
        )
    az = np.atleast_1d(np.asarray(azimuths_deg, dtype=np.float64))
    if az.ndim != 1 or az.size == 0 or not np.all(np.isfinite(az)):
        raise ValueError("azimuths_deg must be a non-empty 1-D sequence of finite numbers")
    if np.any(np.isinf(z)):
        raise ValueError("z must not contain infinities (NaN marks nulls)")

    grass = ensure_grass()
    if grass is None:
        raise GrassError("GRASS GIS is not available (ensure_grass() returned None; see the log)")

    gangles = [to_grass_angle(a) for a in az]
    runs = _plan_runs(gangles)

    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="lupex-grass-") as tmp:
            return _run_session(grass, Path(tmp), z, res, gangles, runs, max_distance_m)
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    return _run_session(grass, wd, z, res, gangles, runs, max_distance_m)


def _run_session(
    grass: str,
    wd: Path,
    z: np.ndarray,
    res: float,
    gangles: list[float],
    runs: list[dict],
    max_distance_m: float,
) -> np.ndarray:
    wd = wd.resolve()
    outdir = wd / "out"
    outdir.mkdir(exist_ok=True)
    gtmp = wd / "grasstmp"
    gtmp.mkdir(exist_ok=True)
    dem = wd / "dem.tif"
    _write_dem(dem, z, res)
    script = wd / "session.py"
    script.write_text(_SESSION_SCRIPT)
    result_path = wd / "result.json"
    if result_path.exists():
        result_path.unlink()
    job = {
        "dem": str(dem),
        "outdir": str(outdir),
        "result": str(result_path),
        "maxdistance": max_distance_m,
        "runs": [{k: v for k, v in r.items() if k != "angles"} for r in runs],
    }
    job_path = wd / "job.json"
    job_path.write_text(json.dumps(job))

    env = dict(os.environ, TMPDIR=str(gtmp), GRASS_MESSAGE_FORMAT="plain", LC_ALL="C")
    env.pop("PYTHONPATH", None)
    cmd = [grass, "--tmp-location", str(dem), "--exec", sys.executable, str(script), str(job_path)]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=_GRASS_TIMEOUT_S,
            env=env,
            stdin=subprocess.DEVNULL,
            cwd=str(wd),
        )
    except subprocess.TimeoutExpired as exc:
        raise GrassError(f"GRASS session timed out after {_GRASS_TIMEOUT_S} s: {cmd}") from exc
    except OSError as exc:
        raise GrassError(f"could not start GRASS ({cmd}): {exc}") from exc

    result = json.loads(result_path.read_text()) if result_path.exists() else None
    if result is not None and "error" in result:
        err = result["error"]
        raise GrassError(
            f"GRASS command failed (rc={err['rc']}): {' '.join(err['cmd'])}\nstderr:\n{err['stderr']}"
            f"\nstdout:\n{err['stdout']}"
        )
    if proc.returncode != 0 or result is None:
        raise GrassError(
            f"GRASS session failed (rc={proc.returncode}): {' '.join(cmd)}\n"
            f"stderr:\n{proc.stderr[-8000:]}\nstdout:\n{proc.stdout[-4000:]}"
        )
    _LAST_TIMINGS.clear()
    _LAST_TIMINGS.update(result["timings"])

    ny, nx = z.shape
    by_angle: dict[float, np.ndarray] = {}
    for k, (spec, run) in enumerate(zip(runs, result["runs"], strict=True)):
        base = f"h{k:04d}"
        maps = run["maps"]
        if len(maps) != len(spec["angles"]):
            raise GrassError(
                f"r.horizon made {len(maps)} maps for {len(spec['angles'])} directions: "
                f"{[m[0] for m in maps]} ({' '.join(run['cmd'])})"
            )
        maps = sorted(maps, key=lambda m: _map_angle(m[0], base))
        for angle, (_name, path) in zip(spec["angles"], maps, strict=True):
            data = _read_float_tif(path)
            if data.shape != (ny, nx):
                raise GrassError(f"{path}: shape {data.shape} differs from the DEM's {(ny, nx)}")
            by_angle[angle] = data
    return np.stack([by_angle[g] for g in gangles]).astype(np.float64)


#: Wall times (s) of the last session's stages: import_s, horizon_s (all r.horizon calls), export_s.
_LAST_TIMINGS: dict[str, float] = {}


def last_timings() -> dict[str, float]:
    """Stage timings of the most recent :func:`grass_horizon_map` call (for benchmarking)."""
    return dict(_LAST_TIMINGS)
