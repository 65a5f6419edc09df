"""Tiled terrain products (issue #18): tiles on a LocalCluster equal the one-process maps on the real 240 m DEM.

References: the single-process :func:`lupex.illumination.illumination_stats` of the same DEM crop (the maps every
earlier issue validated) for the whole-grid tiles, and the dense float64 :func:`horizon_reference` (the horizon
specification: median <= 0.02 deg, p99 <= 0.1 deg, docs/models/horizon.md) for tiles with a halo and a coarse far
field.
"""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import xarray as xr

from lupex.cluster import Scheduler, SchedulerSpec
from lupex.cluster.products import products_as_stats, terrain_products
from lupex.cluster.tiles import check_tiling, default_far_fields, plan_tiles, tile_grids
from lupex.errors import InputError
from lupex.illumination import horizon_map, illumination_stats
from lupex.terrain.dem import builtin_dem

PERIOD = ("2027-01-01", "2027-01-20", "6h")
OPTIONS = {"n_azimuth": 16, "max_distance_m": 40e3, "psr_years": 1.0}
LAYERS = ["mean_illumination", "sunlit_fraction", "psr", "longest_darkness_h", "earth_visibility",
          "longest_earth_outage_h"]  # fmt: skip


@pytest.fixture(scope="module")
def crop():
    """65 x 63 cells of the real 240 m DEM around the pole: 32-cell tiles leave a 1-row and a 31-column remainder."""
    dem = builtin_dem("south_pole_240m")
    c = dem.sizes["y"] // 2
    return dem.isel(y=slice(c - 30, c + 35), x=slice(c - 30, c + 33))


@pytest.fixture(scope="module")
def one_process(crop):
    n_az, reach = OPTIONS["n_azimuth"], OPTIONS["max_distance_m"]
    horizon = horizon_map(crop, n_az, 0.0, "auto", max_distance_m=reach, cache=False)
    stats = illumination_stats(crop, *PERIOD, horizon=horizon, psr_years=OPTIONS["psr_years"], cache=False)
    return horizon, stats


def _assert_same_maps(got: xr.Dataset, want: xr.Dataset) -> None:
    for name in LAYERS:
        a = got[name].values.astype(np.float64)
        b = want[name].values.astype(np.float64)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=name)
        np.testing.assert_array_equal(a, b, err_msg=name)
    np.testing.assert_array_equal(got["edge_limited"].values, want["edge_limited"].values)
    np.testing.assert_array_equal(got["x"].values, want["x"].values)
    np.testing.assert_array_equal(got["y"].values, want["y"].values)


def test_plan_covers_every_cell_once():
    for shape, tile, halo in [((65, 63), 32, None), ((100, 7), 16, 4), ((17, 17), 16, 0), ((1536, 1536), 512, 128)]:
        count = np.zeros(shape, dtype=int)
        for t in plan_tiles(shape, tile, halo):
            count[t.i0 : t.i1, t.j0 : t.j1] += 1
            assert t.a0 <= t.i0 < t.i1 <= t.a1 and t.b0 <= t.j0 < t.j1 <= t.b1
            if halo is not None:
                assert t.a0 == max(0, t.i0 - halo) and t.b1 == min(shape[1], t.j1 + halo)
        assert (count == 1).all()


@pytest.mark.parametrize(
    ("tile", "halo", "says"),
    [(8, None, "tile_px 8 must be a whole number of cells >= 16"), (64, 128, "smaller than the halo"),
     (64, -3, "halo_px -3"), (64.0, None, "tile_px 64.0")],
)  # fmt: skip
def test_bad_tiling_is_refused(tile, halo, says):
    with pytest.raises(InputError, match=says):
        check_tiling(tile, halo)


def test_tiles_in_one_process_equal_the_whole_map(crop, one_process, tmp_path):
    products = terrain_products(crop, *PERIOD, tmp_path / "t.zarr", tile_px=32, halo_px=None, **OPTIONS)
    assert products.n_tiles == 6 and products.scheduler == "threads"
    _assert_same_maps(products_as_stats(products), one_process[1])


def test_tiles_on_a_local_cluster_equal_the_one_process_maps(crop, one_process, local_cluster, tmp_path):
    products = terrain_products(
        crop, *PERIOD, tmp_path / "t.zarr", scheduler=local_cluster, tile_px=32, halo_px=None, **OPTIONS
    )
    assert products.n_workers == 2
    ds = products_as_stats(products)
    _assert_same_maps(ds, one_process[1])
    assert ds.attrs["scheduler"] == "local:2" and ds.attrs["n_tiles"] == 6


class _KillOnFirstTile:
    """A progress object that kills (SIGKILL) one worker process when the first tile is done."""

    def __init__(self, client):
        self.client = client
        self.total = None
        self.killed = None

    def update(self, n):
        if self.killed is None:
            pids = self.client.run(os.getpid)
            address, pid = sorted(pids.items())[-1]
            os.kill(pid, signal.SIGKILL)
            self.killed = address


def test_a_worker_killed_mid_run_still_gives_the_same_maps(crop, one_process, local_cluster, tmp_path):
    bar = _KillOnFirstTile(local_cluster.client)
    products = terrain_products(
        crop, *PERIOD, tmp_path / "t.zarr", scheduler=local_cluster, tile_px=24, halo_px=None, progress=bar, **OPTIONS
    )
    assert bar.killed is not None and products.n_tiles == 9
    _assert_same_maps(products_as_stats(products), one_process[1])
    local_cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_halo_tiles_meet_the_horizon_specification(crop):
    """Tiles with a 12-cell fine halo, beyond it the crop itself as the coarse far field, against the dense
    reference on 200 random cells: within the specification, as the one-process map is, and no less accurate than it.
    (On 60 cells the 99th percentile was
    the 10th-worst of 960 values and moved by 0.02 deg when one value did.)"""
    from lupex.core.horizon_reference import horizon_reference

    tiles = plan_tiles((crop.sizes["y"], crop.sizes["x"]), 24, 12)
    far = default_far_fields(crop, halo=True)
    az = np.arange(16) * 22.5
    tiled = np.full((16, *crop.shape), np.nan, dtype=np.float32)
    for tile, grid in tile_grids(crop, tiles):
        window = (tile.i0 - tile.a0, tile.i1 - tile.a0, tile.j0 - tile.b0, tile.j1 - tile.b0)
        part = horizon_map(grid, 16, 2.0, far, max_distance_m=40e3, cache=False, window_px=window)
        tiled[:, tile.i0 : tile.i1, tile.j0 : tile.j1] = part.values
    rng = np.random.default_rng(3)
    cells = np.column_stack([rng.integers(0, crop.shape[0], 200), rng.integers(0, crop.shape[1], 200)])
    res = float(crop.attrs["res_m"])
    grids = [(f.values.astype(np.float64), float(f.x[0]) - float(f.attrs["res_m"]) / 2,
              float(f.y[0]) + float(f.attrs["res_m"]) / 2, float(f.attrs["res_m"])) for f in far[1:]]  # fmt: skip
    ref = horizon_reference(crop.values.astype(np.float64), float(crop.x[0]) - res / 2, float(crop.y[0]) + res / 2,
                            res, np.radians(az), 2.0, 1737400.0, 40e3, grids, cells)  # fmt: skip
    whole = horizon_map(crop, 16, 2.0, far[1:], max_distance_m=40e3, cache=False).values
    err = np.abs(tiled[:, cells[:, 0], cells[:, 1]] - np.degrees(ref))
    err_whole = np.abs(whole[:, cells[:, 0], cells[:, 1]] - np.degrees(ref))
    # both meet the specification, also at the cells whose rays leave this small crop within a few cells for the
    # 1.8 km far field (before the seam between a DEM and a coarser far field was modelled, the one-process map was
    # off by p99 0.6 deg, max 14 deg, on these 200 cells; docs/models/horizon.md, "eleventh session"); the halo must
    # not add to the one-process map's error by more than a small fraction of the specification
    assert np.median(err_whole) <= 0.02 and np.percentile(err_whole, 99) <= 0.1
    assert np.median(err) <= np.median(err_whole) + 0.002
    assert np.percentile(err, 99) <= np.percentile(err_whole, 99) + 0.02


def test_a_task_larger_than_a_worker_is_refused_before_any_work(crop, tmp_path, monkeypatch):
    import lupex.cluster.products as products

    monkeypatch.setattr(products, "_worker_memory_limit", lambda sched: 10_000_000)
    with pytest.raises(InputError, match=r"needs .* GB but a worker has 0.0 GB; use a smaller tile"):
        terrain_products(crop, *PERIOD, tmp_path / "t.zarr", tile_px=64, halo_px=None, **{**OPTIONS, "n_azimuth": 720})
    assert not (tmp_path / "t.zarr").exists()


def test_a_failed_run_keeps_the_previous_store_and_leaves_no_temporary_folder(crop, tmp_path, monkeypatch):
    import lupex.cluster.products as products

    store = tmp_path / "t.zarr"
    small = crop.isel(y=slice(0, 20), x=slice(0, 20))
    first = terrain_products(small, *PERIOD, store, tile_px=16, halo_px=None, **OPTIONS)
    before = products_as_stats(first)["mean_illumination"].values.copy()
    calls = []

    def failing(item, **kwargs):
        if calls:
            raise InputError("simulated failure in the second tile")
        calls.append(1)
        return products.terrain_tile(item, **kwargs)

    monkeypatch.setattr(products, "terrain_tile", failing)
    with pytest.raises(InputError, match="simulated"):
        terrain_products(small, *PERIOD, store, tile_px=16, halo_px=None, **OPTIONS)
    np.testing.assert_array_equal(products_as_stats(first)["mean_illumination"].values, before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.zarr"]


def test_store_converts_to_geotiffs(crop, tmp_path):
    import rasterio

    from lupex.io.zarr_store import zarr_to_geotiffs

    small = crop.isel(y=slice(0, 20), x=slice(0, 18))
    products = terrain_products(small, *PERIOD, tmp_path / "t.zarr", tile_px=16, halo_px=None, **OPTIONS)
    files = zarr_to_geotiffs(products.store, tmp_path / "cog", ["mean_illumination", "psr"])
    ds = products.dataset()
    for path in files:
        with rasterio.open(path) as src:
            np.testing.assert_array_equal(src.read(1), ds[path.stem].values)
            assert src.transform.a == pytest.approx(240.0)


def test_threads_scheduler_object_is_the_default(crop, tmp_path):
    small = crop.isel(y=slice(0, 18), x=slice(0, 18))
    a = terrain_products(small, *PERIOD, tmp_path / "a.zarr", tile_px=16, halo_px=None, **OPTIONS)
    b = terrain_products(small, *PERIOD, tmp_path / "b.zarr", scheduler=Scheduler(SchedulerSpec("threads", "threads")),
                         tile_px=16, halo_px=None, **OPTIONS)  # fmt: skip
    _assert_same_maps(products_as_stats(a), products_as_stats(b))


def test_thermal_maps_per_tile_equal_the_one_process_thermal_model(tmp_path):
    """The thermal and ice maps of tiles (each run on its tile and the terrain its temperature depends on, see
    :func:`lupex.thermal.thermal_reach_px`) against :func:`lupex.thermal.thermal_map` of the whole DEM: the same
    model on the same horizons, equal to the rounding of the neighbourhood sums (stated: 1e-3 K; ice classes
    identical). A 1 km cratered field of 90 x 90 cells near the pole: the reach (27 cells) is well inside it."""
    from lupex.terrain.synthetic import cratered_field
    from lupex.thermal import thermal_map, thermal_reach_px

    dem = cratered_field(90, 1000.0, n_craters=30, seed=4, center_xy_m=(20e3, -30e3))
    assert thermal_reach_px(1000.0) == 27
    period = ("2027-01-01", "2027-01-03", "6h")
    products = terrain_products(dem, *period, tmp_path / "t.zarr", tile_px=30, halo_px=None, thermal_step="3h",
                                n_azimuth=16, max_distance_m=60e3, psr_years=None)  # fmt: skip
    ds = products.dataset().load()
    horizon = horizon_map(dem, 16, 0.0, "auto", max_distance_m=60e3, cache=False)
    ref = thermal_map(dem, period[0], period[1], "3h", horizon=horizon, n_azimuth=16, cache=False)
    for name in ("t_min_K", "t_mean_K", "t_max_K", "ice_stability_depth_m"):
        a, b = ds[name].values.astype(np.float64), ref[name].values.astype(np.float64)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=name)
        assert np.nanmax(np.abs(a - b)) <= 1e-3, name
    np.testing.assert_array_equal(ds["ice_class"].values, ref["ice_class"].values)


def test_a_halo_smaller_than_the_thermal_reach_is_refused(crop, tmp_path):
    with pytest.raises(InputError, match=r"halo_px 64 is smaller than the thermal model's neighbourhood \(107 cells"):
        terrain_products(crop, *PERIOD, tmp_path / "t.zarr", tile_px=64, halo_px=64, thermal_step="3h", **OPTIONS)
