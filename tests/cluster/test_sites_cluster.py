"""``site_metrics`` with its three products as Dask tasks equals the one-process metrics (issue #18)."""

from __future__ import annotations

import numpy as np
import pytest

from lupex.sites import site_metrics
from lupex.terrain.dem import builtin_dem


@pytest.fixture(scope="module")
def crop():
    dem = builtin_dem("south_pole_240m")
    c = dem.sizes["y"] // 2
    return dem.isel(y=slice(c - 14, c + 14), x=slice(c - 12, c + 14))


def test_site_metrics_on_the_cluster_equal_the_one_process_metrics(crop, local_cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path))
    args = (crop, "2028-01-01", "2028-01-08", "6h")
    kwargs = {"n_azimuth": 16, "psr_years": None, "thermal_step": "3h"}
    here = site_metrics(*args, **kwargs)

    class Count:
        total = None
        n = 0

        def update(self, k):
            self.n += k

    bar = Count()
    there = site_metrics(*args, **kwargs, executor=local_cluster.executor(), progress=bar)
    assert bar.total == 3 and bar.n == 3
    assert set(here.data_vars) == set(there.data_vars)
    for name in here.data_vars:
        np.testing.assert_array_equal(here[name].values, there[name].values, err_msg=name)
    assert here.attrs == there.attrs
