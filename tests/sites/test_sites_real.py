"""Landing-site selection and ice stability on the bundled real 240 m LOLA DEM (issue #4 validation)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lupex.cli.main import main
from lupex.errors import InputError
from lupex.sites import NoFeasibleSiteError, select_sites, site_metrics
from lupex.terrain import builtin_dem, latlon_to_xy
from tests.conftest import one_km

# Shackleton crater centre and rim radius: Zuber et al. 2012 (Nature 486:378): 89.67 S 129.78 E, D = 21 km.
SHACKLETON = (-89.67, 129.78)
SHACKLETON_RIM_RADIUS = 10.5 * one_km
# Connecting ridge (PGDA Site01 centre, Barker et al. 2021; Glaser et al. 2014 best-lit points lie on it).
RIDGE = (-89.45, 222.5)
REGION = (-89.75, 180.0, 16.0)  # disc holding Shackleton and the connecting ridge toward de Gerlache


@pytest.fixture(scope="module")
def metrics(tmp_path_factory):
    dem = builtin_dem("south_pole_240m")
    # a cache of its own, set only while computing: the environment of later tests is left as it was
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LUPEX_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return site_metrics(
            dem, "2028-01-01", "2028-12-31", "6h", region=REGION, n_azimuth=90, psr_years=None, thermal_step="3h"
        )


def _km_from(lat_lon: tuple[float, float], x: float, y: float) -> float:
    cx, cy = latlon_to_xy(*lat_lon)
    return math.hypot(x - float(cx), y - float(cy)) / one_km


def test_shackleton_floor_is_psr_and_ice_stable_at_the_surface(metrics) -> None:
    """Shackleton's floor never sees the Sun and is cold-trapping (Zuber et al. 2012; Mazarico et al. 2011)."""
    cx, cy = latlon_to_xy(*SHACKLETON)
    j = int(np.argmin(np.abs(metrics["x"].values - cx)))
    i = int(np.argmin(np.abs(metrics["y"].values - cy)))
    floor = metrics.isel(y=slice(i - 3, i + 4), x=slice(j - 3, j + 4))
    assert (floor["psr"].values == 1).all()
    assert (floor["ice_class"].values == 0).all()
    assert (floor["ice_stability_depth_m"].values == 0.0).all()
    assert float(np.nanmax(floor["t_max_K"].values)) < 110.0


def test_top_candidates_are_on_the_rim_and_ridge_not_in_floors(metrics) -> None:
    """Best sites lie on the Shackleton rim / connecting ridge (Bussey et al. 2010; Glaser et al. 2014, 2018)."""
    sel = select_sites(metrics, top=5)
    assert len(sel.candidates) == 5 and sel.n_feasible >= 5
    for c in sel.candidates:
        r_shack = _km_from(SHACKLETON, c["x_m"], c["y_m"])
        r_ridge = _km_from(RIDGE, c["x_m"], c["y_m"])
        on_rim = abs(r_shack - SHACKLETON_RIM_RADIUS / one_km) < 3.0
        assert on_rim or r_ridge < 8.0, c
        assert r_shack > 7.0  # not on the floor
        assert c["mean_illumination_fraction"] >= 0.5
        assert c["slope_deg"] <= 12.0
        assert c["rover_path_to_ice_m"] is not None
    scores = [c["topsis_score"] for c in sel.candidates]
    assert scores == sorted(scores, reverse=True)


def test_impossible_constraints_name_the_culprit(metrics) -> None:
    with pytest.raises(NoFeasibleSiteError, match="min_mean_illumination"):
        select_sites(metrics, constraints={"min_mean_illumination": 0.999})
    with pytest.raises(InputError, match="impossible"):
        select_sites(metrics, constraints={"min_mean_illumination": 1.5})
    with pytest.raises(InputError, match=r"sum to 0\.5"):
        select_sites(metrics, weights={"mean_illumination": 0.5})
    with pytest.raises(InputError, match=r"ellipse_radius_m"):
        select_sites(metrics, ellipse_radius_m=1.0e6)


def test_ellipse_scores_the_worst_cell(metrics) -> None:
    """A larger landing ellipse can only lower each candidate's worst-case illumination."""
    relaxed = {"max_longest_darkness_h": 2000.0, "min_mean_illumination": 0.2}
    small = select_sites(metrics, top=1, ellipse_radius_m=100.0, constraints=relaxed)
    large = select_sites(metrics, top=1, ellipse_radius_m=250.0, constraints=relaxed)
    assert large.n_feasible <= small.n_feasible
    assert large.candidates[0]["mean_illumination_fraction"] <= small.candidates[0]["mean_illumination_fraction"]


def test_cli_sites_writes_every_product(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "sites"
    code = main(
        [
            "sites", "--dem", "builtin:south_pole_240m", "--start", "2028-01-01", "--end", "2028-03-01",
            "--step", "6h", "--thermal-step", "3h", "--top", "3", "--region", "-89.45,222.5,6", "--out", str(out),
            "--n-azimuth", "72", "--psr-years", "0",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["n_candidates"] == 3  # --top 3, and the ridge has more feasible sites than that
    for name in ("candidates.csv", "candidates.geojson", "slope_deg.tif", "t_max_K.tif", "t_mean_K.tif",
                 "ice_stability_depth_m.tif", "sites.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    header = (out / "candidates.csv").read_text().splitlines()[0].split(",")
    for column in ("rank", "lat_deg", "lon_deg", "x_m", "y_m", "slope_deg", "mean_illumination_fraction",
                   "t_max_K", "ice_stability_depth_m", "rover_path_to_ice_m"):  # fmt: skip
        assert column in header
    ranks = [line.split(",")[header.index("rank")] for line in (out / "candidates.csv").read_text().splitlines()[1:]]
    assert ranks == ["1", "2", "3"]
    geo = json.loads((out / "candidates.geojson").read_text())
    assert [f["properties"]["rank"] for f in geo["features"]] == [1, 2, 3]
    # bad input: one line on stderr, exit 1, nothing written
    code = main(["sites", "--start", "2060-01-01", "--end", "2060-02-01", "--out", str(tmp_path / "bad")])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()
