"""A Dask LocalCluster shared by the cluster tests of one pytest process (started once, closed at the end)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def local_cluster():
    """An open ``lupex.cluster.Scheduler`` on ``LocalCluster(n_workers=2, threads_per_worker=1)``."""
    from distributed import Client, LocalCluster

    from lupex.cluster import Scheduler, SchedulerSpec

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    try:
        yield Scheduler(SchedulerSpec("local:2", "local", n_workers=2), client, None, 2, 1)
    finally:
        client.close()
        cluster.close()
