"""Tiled map: tile matrix set, base and layer tiles, point values, features, extra run folders and bad input."""

from __future__ import annotations

import io
import itertools
import json
import math

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from PIL import Image
from rasterio.transform import from_origin

from lupex.terrain import builtin_dem, latlon_to_xy, xy_to_latlon
from lupex.web import create_app
from lupex.web.tiles import HALF_EXTENT_M, TILE_CACHE, base_source_for, lunar_tms, tile_bounds_m

# A 40 x 30 cell layer of 100 m cells inside the 10 m ridge DEM (x -19..-3 km, y -20..-4 km).
_LEFT, _TOP, _RES = -15000.0, -6000.0, 100.0


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A fake run: web/layers.json with one layer and its GeoTIFF (NaN in the first row)."""
    folder = tmp_path_factory.mktemp("runs") / "fake"
    (folder / "web").mkdir(parents=True)
    values = np.arange(30 * 40, dtype=np.float32).reshape(30, 40) / 10.0
    values[0, :] = np.nan
    profile = {"driver": "GTiff", "width": 40, "height": 30, "count": 1, "dtype": "float32",
               "crs": "IAU_2015:30135", "transform": from_origin(_LEFT, _TOP, _RES, _RES)}  # fmt: skip
    with rasterio.open(folder / "web" / "ice.tif", "w", **profile) as dst:
        dst.write(values, 1)
    layer = {"name": "ice", "title": "Ice", "unit": "m", "cmap": "viridis", "vmin": 0.0, "vmax": 120.0,
             "opaque": False, "tif": "web/ice.tif"}  # fmt: skip
    (folder / "web" / "layers.json").write_text(json.dumps({"layers": [layer, {"name": "old", "unit": ""}]}))
    return folder


@pytest.fixture(scope="module")
def client(run_folder, tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("empty"), scenarios={}, allowed_hosts=["testserver"],
                     extra_runs={"fake": run_folder})  # fmt: skip
    with TestClient(app) as c:
        yield c


def _tile_of(x_m: float, y_m: float, z: int) -> tuple[int, int]:
    side = 2 * HALF_EXTENT_M / 2**z
    return int((x_m + HALF_EXTENT_M) // side), int((HALF_EXTENT_M - y_m) // side)


def _rgba(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.size == (256, 256)
    return np.asarray(image.convert("RGBA"))


def test_tms_covers_the_cap_with_halving_cells(client):
    doc = client.get("/api/tms").json()
    assert doc["id"] == "LunarSouthPolarStereographic"
    cells = [m["cellSize"] for m in doc["tileMatrices"]]
    assert len(cells) == 11 and cells[0] == 3584.0 and cells[-1] == 3.5
    assert all(a == 2 * b for a, b in itertools.pairwise(cells))
    x0, y0 = doc["tileMatrices"][0]["pointOfOrigin"]
    side = cells[0] * 256
    for lon in (0.0, 90.0, 180.0, 270.0, 45.0):
        x, y = latlon_to_xy(-75.5, lon)
        assert x0 <= float(x) <= x0 + side and y0 - side <= float(y) <= y0
    assert lunar_tms().matrix(0).matrixWidth == 1


def test_base_tiles_are_hillshade_png_from_the_finest_dem(client):
    r = client.get("/api/base/tiles/0/0/0.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "max-age=3600"
    assert (_rgba(r.content)[..., 3] == 255).all()  # the far-field DEM covers the whole cap
    edge = _rgba(client.get("/api/base/tiles/3/0/0.png").content)[..., 3]  # its corner: 1.3 km beyond the DEM
    assert (edge[:, 0] == 0).all() and (edge[0] == 0).all() and (edge[10:, 10:] == 255).all()
    assert base_source_for(0, 0, 0) == "far_field_1787m"
    z = 9
    tx, ty = _tile_of(-11000.0, -12000.0, z)
    assert base_source_for(z, tx, ty) == "connecting_ridge_10m"
    assert base_source_for(3, *_tile_of(0.0, 0.0, 3)) == "south_pole_240m"
    fine = _rgba(client.get(f"/api/base/tiles/{z}/{tx}/{ty}.png").content)
    assert (fine[..., 3] == 255).all() and fine[..., 0].std() > 1.0
    assert client.get(f"/api/base/tiles/{z}/{tx}/{ty}.png").content == client.get(
        f"/api/base/tiles/{z}/{tx}/{ty}.png").content  # fmt: skip
    assert len(TILE_CACHE) >= 2


def test_layer_tile_is_coloured_where_the_layer_has_data(client):
    z = 7
    tx, ty = _tile_of(_LEFT + 2000.0, _TOP - 1500.0, z)
    r = client.get(f"/api/runs/fake/tiles/ice/{z}/{tx}/{ty}.png")
    assert r.status_code == 200 and r.headers["cache-control"] == "max-age=3600"
    alpha = _rgba(r.content)[..., 3]
    assert (alpha > 0).any() and (alpha == 0).any()
    far = client.get("/api/runs/fake/tiles/ice/5/0/0.png")  # far from the layer: all transparent
    assert far.status_code == 200 and (_rgba(far.content)[..., 3] == 0).all()


def test_value_matches_the_geotiff_and_the_dem(client, run_folder):
    x_m, y_m = _LEFT + 1234.0, _TOP - 567.0
    lat, lon = (float(v) for v in xy_to_latlon(x_m, y_m))
    r = client.get("/api/runs/fake/value", params={"lat": lat, "lon": lon})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["x_m"] == pytest.approx(x_m, abs=1e-3) and body["y_m"] == pytest.approx(y_m, abs=1e-3)
    with rasterio.open(run_folder / "web" / "ice.tif") as src:
        expected = next(src.sample([(x_m, y_m)]))[0]
    layers = {layer["name"]: layer for layer in body["layers"]}
    assert layers["ice"]["value"] == pytest.approx(float(expected)) and layers["ice"]["unit"] == "m"
    assert layers["old"]["value"] is None  # no GeoTIFF
    dem = builtin_dem("connecting_ridge_10m")
    col = int((x_m - (float(dem.x[0]) - 5.0)) // 10.0)
    row = int(((float(dem.y[0]) + 5.0) - y_m) // 10.0)
    assert body["dem"] == "connecting_ridge_10m"
    assert body["height_m"] == pytest.approx(float(dem.values[row, col]))
    nan_row = client.get("/api/runs/fake/value", params=dict(zip(("lat", "lon"),
                         (float(v) for v in xy_to_latlon(_LEFT + 50.0, _TOP - 50.0)), strict=True))).json()  # fmt: skip
    assert {la["name"]: la["value"] for la in nan_row["layers"]}["ice"] is None


def test_features_are_named_and_sourced(client):
    features = client.get("/api/features").json()
    names = {f["name"] for f in features}
    assert {"Shackleton", "de Gerlache", "Shoemaker", "Haworth", "Faustini", "Malapert massif"} <= names
    assert any("ridge" in n for n in names)
    for f in features:
        assert -90 <= f["lat_deg"] <= -75 and 0 <= f["lon_deg"] < 360 and f["source"] and f["kind"]


def test_extra_run_is_listed(client):
    assert {"name": "fake", "status": "done", "error": "", "ready": True} in client.get("/api/runs").json()


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/base/tiles/11/0/0.png", 404, "zoom"),
        ("/api/base/tiles/2/-1/0.png", 404, "x=-1"),
        ("/api/base/tiles/2/4/0.png", 404, "x=4"),
        ("/api/base/tiles/2/0/9.png", 404, "y=9"),
        ("/api/base/tiles/a/0/0.png", 422, "z"),
        ("/api/runs/fake/tiles/secret/0/0/0.png", 404, "ice"),
        ("/api/runs/fake/tiles/old/0/0/0.png", 404, "ice"),
        ("/api/runs/fake/tiles/ice/12/0/0.png", 404, "zoom"),
        ("/api/runs/nosuch/tiles/ice/0/0/0.png", 404, "nosuch"),
        ("/api/runs/nosuch/value?lat=-89&lon=0", 404, "nosuch"),
        ("/api/runs/fake/value?lat=-60&lon=0", 422, "lat"),
        ("/api/runs/fake/value?lat=nan&lon=0", 422, "lat"),
        ("/api/runs/fake/value?lat=-89", 422, "lon"),
        ("/api/runs/fake/value?lat=-89&lon=inf", 422, "lon"),
        ("/api/runs/fake/value?lat=abc&lon=0", 422, "lat"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client, url, status, words):
    r = client.get(url)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and words in detail and "\n" not in detail


def test_tile_bounds_tile_the_extent():
    assert tile_bounds_m(0, 0, 0) == (-HALF_EXTENT_M, -HALF_EXTENT_M, HALF_EXTENT_M, HALF_EXTENT_M)
    xmin, ymin, xmax, _ = tile_bounds_m(10, 1023, 1023)
    assert xmax == HALF_EXTENT_M and ymin == -HALF_EXTENT_M and math.isclose(xmax - xmin, 896.0)


def test_serve_lists_run_folders_and_finds_make_run_output(run_folder, tmp_path):
    from lupex.cli.web import extra_runs
    from lupex.errors import LupexError

    assert extra_runs([run_folder, run_folder]) == {"fake": run_folder, "fake-2": run_folder}
    assert extra_runs(None, default=tmp_path / "run") == {}  # no ./run: nothing added
    assert extra_runs(None, default=run_folder) == {"fake": run_folder}
    with pytest.raises(LupexError, match="--run"):
        extra_runs([tmp_path])
