"""Accuracy and speed of `horizon_map_cpu` tuning settings (issue #17: spending the accuracy budget).

Usage::

    .venv/bin/python benchmarks/sweep_horizon_settings.py acc '{"adaptive_tol": 0.004}'
    .venv/bin/python benchmarks/sweep_horizon_settings.py speed '{}' '{"adaptive_margin": 0.0}'

``acc`` prints median / p99 / max |error| [deg] against ``horizon_reference`` (360 azimuths, observer 2 m) on
the four terrains: the bowl and cratered field and the Shackleton crop of ``tests/core/test_horizon_kernel.py``
(same cells), and a 256 x 256 centre crop of the 10 m connecting-ridge DEM with the whole 10 m DEM, the 240 m
DEM and the 1787 m far field (100 km, 60 random cells). References are cached under /tmp/lupex_hz_ref.
``speed`` times the 512 x 512 centre crop of the 240 m DEM x 90 azimuths (150 km, 1787 m far field), each
setting 3 times interleaved, and prints the best wall and process CPU time (CPU time is steadier on a shared
machine). Settings are JSON keyword arguments of ``horizon_map_cpu`` ("inf" for ``math.inf``); in ``speed`` the key
``max_distance_m`` sets the reach (default 150 km). Where the time goes, and what the reach costs::

    .venv/bin/python benchmarks/sweep_horizon_settings.py speed '{}' '{"adaptive_tol": "inf"}' \
        '{"adaptive_tol": "inf", "near_samples": 1}' \
        '{"adaptive_tol": "inf", "near_samples": 1, "max_distance_m": 20000}'

"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "core"))
import test_horizon_kernel as tk

from lupex.core.horizon import horizon_map_cpu
from lupex.core.horizon_reference import horizon_reference

CACHE = Path("/tmp/lupex_hz_ref")
R = tk.R_MOON


def _cases() -> dict:
    out = {}
    res, n = 120.0, 128
    x0, y0 = tk._grid_at_pole(n, res)
    yy, xx = np.mgrid[0:n, 0:n] * res
    z = tk._bowl(xx - n * res / 2, yy - n * res / 2, 10_000.0)
    out["bowl"] = (z, x0, y0, res, 12_000.0, [], np.random.default_rng(7).integers(16, n - 16, size=(60, 2)))
    res = 240.0
    z = tk._crater_field(n, res, seed=3, n_craters=40)
    cells = np.random.default_rng(11).integers(8, n - 8, size=(60, 2))
    out["craters"] = (z, 50_000.0, -20_000.0, res, 25_000.0, [], cells)
    big = tk._read_dem("south_pole_240m.tif")
    ff = tk._read_dem("far_field_1787m.tif")
    b, bx0, by0, bres = big
    cells = np.random.default_rng(2024).integers(0, 256, size=(60, 2))
    out["shackleton"] = (b[640:896, 640:896], bx0 + 640 * bres, by0 - 640 * bres, bres, 100_000.0, [big, ff], cells)
    rg = tk._read_dem("connecting_ridge_10m.tif")
    r, rx0, ry0, rres = rg
    o, m = 672, 256
    cells = np.random.default_rng(99).integers(0, m, size=(60, 2))
    out["ridge10"] = (r[o : o + m, o : o + m], rx0 + o * rres, ry0 - o * rres, rres, 100_000.0, [rg, big, ff], cells)
    return out


def _kw(s: str) -> dict:
    kw = json.loads(s)
    return {k: (math.inf if v == "inf" else v) for k, v in kw.items()}


def accuracy(kw: dict) -> None:
    CACHE.mkdir(exist_ok=True)
    parts = []
    for name, (z, x0, y0, res, md, far, cells) in _cases().items():
        p = CACHE / f"{name}.npy"
        if p.exists():
            ref = np.load(p)
        else:
            ref = horizon_reference(z, x0, y0, res, tk.AZ360, 2.0, R, md, far, cells)
            np.save(p, ref)
        hor, _ = horizon_map_cpu(z, x0, y0, res, tk.AZ360, 2.0, R, md, far, **kw)
        err = np.degrees(np.abs(hor[:, cells[:, 0], cells[:, 1]].astype(float) - ref))
        parts.append(f"{name} {np.median(err):.4f}/{np.percentile(err, 99):.4f}/{err.max():.3f}")
    print(f"{kw} | " + " | ".join(parts), flush=True)


def speed(settings: list[dict], n: int = 512, n_az: int = 90) -> None:
    big, bx0, by0, bres = tk._read_dem("south_pole_240m.tif")
    far = [tk._read_dem("far_field_1787m.tif")]
    o = (big.shape[0] - n) // 2
    z = big[o : o + n, o : o + n]
    az = np.deg2rad(np.arange(n_az) * 360.0 / n_az)
    reach = [float(kw.pop("max_distance_m", 150_000.0)) for kw in settings]
    for kw in settings:  # compile (or load the cache)
        horizon_map_cpu(big[:32, :32], bx0, by0, bres, az[:2], 2.0, R, 150_000.0, far, **kw)
    runs: list[list[tuple[float, float]]] = [[] for _ in settings]
    for _ in range(3):
        for i, kw in enumerate(settings):
            t0, c0 = time.perf_counter(), time.process_time()
            horizon_map_cpu(z, bx0 + o * bres, by0 - o * bres, bres, az, 2.0, R, reach[i], far, **kw)
            runs[i].append((time.perf_counter() - t0, time.process_time() - c0))
    for kw, r, md in zip(settings, runs, reach, strict=True):
        wall = min(w for w, _ in r)
        cpu = min(c for _, c in r)
        rate = n * n * n_az / wall / 1e6
        print(f"{kw}, reach {md / 1e3:.0f} km: wall {wall:.2f} s ({rate:.2f} M cell-az/s), CPU {cpu:.2f} s", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "acc":
        for s in sys.argv[2:]:
            accuracy(_kw(s))
    else:
        speed([_kw(s) for s in sys.argv[2:]])
