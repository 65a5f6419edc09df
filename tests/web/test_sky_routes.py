"""The dashboard's sky endpoints: the instantaneous shadow of a run's map and a point's horizon with the Sun's and
Earth's paths.

Reference: the shadow at sampled cells against :func:`lupex.illumination.site_illumination` at the same cell and
instant (a dense float64 ray-sampled horizon profile at 0.5 deg, an independent path from the swept horizon map
the endpoint uses); they agree to 0.1 in visible fraction (the sweep's 2 deg azimuth step).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from lupex.cli.main import main
from lupex.ephemeris import parse_time
from lupex.illumination import site_illumination
from lupex.terrain import xy_to_latlon
from lupex.web.sky_routes import _grid_dem, add_sky_routes, shadow_fraction

T1, T2 = "2028-01-05T00:00:00Z", "2028-01-05T12:00:00Z"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, small_scenario, small_run_cache):
    mp = pytest.MonkeyPatch()
    mp.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    out = tmp_path_factory.mktemp("sky") / "small"
    assert main(["run", str(small_scenario), "--out", str(out)]) == 0
    yield out
    mp.undo()


@pytest.fixture()
def client(run_folder):
    app = FastAPI()

    def folder(name: str):
        if name != "small":
            raise HTTPException(404, f"no finished run named {name!r}")
        return run_folder

    add_sky_routes(app, folder, True)
    return TestClient(app)


def test_shadow_changes_with_time_and_matches_the_site_series(client, run_folder) -> None:
    a = client.get("/api/runs/small/shadow.png", params={"time": T1})
    b = client.get("/api/runs/small/shadow.png", params={"time": T2})
    assert a.status_code == b.status_code == 200 and a.content[:4] == b"\x89PNG" and a.content != b.content
    fa, fb = shadow_fraction(run_folder, T1), shadow_fraction(run_folder, T2)
    assert fa.shape == fb.shape and (fa != fb).any()
    dem, crop = _grid_dem(run_folder)
    rng = np.random.default_rng(0)
    for t, frac in ((T1, fa), (T2, fb)):
        for i, j in rng.integers(1, min(crop.shape) - 1, size=(4, 2)):
            lat, lon = xy_to_latlon(float(crop.x[j]), float(crop.y[i]))
            s = site_illumination(float(lat), float(lon), parse_time(t, "t"), parse_time(t, "t"), "1h", dem=dem)
            assert frac[i, j] == pytest.approx(float(s.sun_visible_fraction[0]), abs=0.1)


def test_horizon_of_a_point_with_sun_and_earth(client) -> None:
    r = client.get("/api/horizon", params={"lat": -89.45, "lon": 222.7, "time": T1, "hours": 6})
    assert r.status_code == 200
    d = r.json()
    assert len(d["horizon"]["azimuth_deg"]) == 360 and len(d["time_utc"]) == 7
    assert len(d["sun"]["elevation_deg"]) == len(d["earth"]["elevation_deg"]) == 7
    assert all(abs(e) < 3.0 for e in d["sun"]["elevation_deg"])  # the polar Sun stays near the horizon
    assert all(math.isfinite(v) for v in d["horizon"]["elevation_deg"])


@pytest.mark.parametrize(
    ("url", "params", "needle"),
    [
        ("/api/horizon", {"lat": -60, "lon": 0, "time": T1}, "lat -60.0 must be"),
        ("/api/horizon", {"lat": "nan", "lon": 0, "time": T1}, "lat nan must be"),
        ("/api/horizon", {"lat": -89, "lon": 0, "time": "2600-01-01"}, "outside the ephemeris"),
        ("/api/horizon", {"lat": -89, "lon": 0, "time": T1, "hours": 0}, "hours 0 must be"),
        ("/api/runs/small/shadow.png", {"time": "2028-01-05T06:00"}, "no time zone"),
        ("/api/runs/other/shadow.png", {"time": T1}, "no finished run"),
    ],
)
def test_bad_input_is_4xx_with_a_reason(client, url, params, needle) -> None:
    r = client.get(url, params=params)
    assert 400 <= r.status_code < 500 and needle in r.json()["detail"], r.text
