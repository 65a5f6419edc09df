"""The --scheduler switch: parsing, bad input, an unreachable scheduler, tasks on a LocalCluster."""

from __future__ import annotations

import time

import pytest

from lupex.cluster import SchedulerError, open_scheduler, parse_scheduler
from lupex.errors import InputError


def _square_plus(x: int, k: int = 0) -> int:
    return x * x + k


@pytest.mark.parametrize(
    ("text", "kind", "workers", "address"),
    [
        ("threads", "threads", 0, ""),
        ("local:1", "local", 1, ""),
        ("local:16", "local", 16, ""),
        ("tcp://10.0.0.5:8786", "remote", 0, "tcp://10.0.0.5:8786"),
        ("tcp://scheduler.hpc.example:8786", "remote", 0, "tcp://scheduler.hpc.example:8786"),
    ],
)
def test_parse_accepts(text, kind, workers, address):
    spec = parse_scheduler(text)
    assert (spec.kind, spec.n_workers, spec.address) == (kind, workers, address)
    assert spec.distributed == (kind != "threads")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("local:0", "1 to 256 workers, not 0"),
        ("local:-2", "not a whole number"),
        ("local:x", "not a whole number"),
        ("local:100000", "1 to 256 workers"),
        ("processes", "is not accepted"),
        ("tcp://host", "is not accepted"),
        ("tcp://host:99999", "port 99999"),
        ("http://host:8786", "is not accepted"),
        ("", "is not accepted"),
    ],
)
def test_parse_refuses_with_one_line_naming_the_flag(text, says):
    with pytest.raises(InputError) as err:
        parse_scheduler(text, "--scheduler")
    message = str(err.value)
    assert message.startswith(f"--scheduler {text!r}") and says in message and "\n" not in message


def test_unreachable_scheduler_fails_within_the_timeout():
    began = time.monotonic()
    with pytest.raises(SchedulerError) as err, open_scheduler("tcp://127.0.0.1:9", connect_timeout_s=2.0):
        pass
    elapsed = time.monotonic() - began
    assert elapsed < 2.0 + 5.0  # the stated timeout, plus Dask's own retry granularity
    message = str(err.value)
    assert "tcp://127.0.0.1:9" in message and "within 2 s" in message and "\n" not in message


def test_bad_timeout_is_refused():
    with pytest.raises(InputError, match="connect_timeout_s"), open_scheduler("threads", connect_timeout_s=0):
        pass


def test_threads_runs_in_this_process_in_order():
    with open_scheduler("threads") as sched:
        assert sched.client is None and sched.executor() is None
        assert list(sched.map_unordered(_square_plus, [1, 2, 3], {"k": 1})) == [(0, 2), (1, 5), (2, 10)]


def test_cluster_map_broadcasts_and_returns_every_index(local_cluster):
    class Count:
        total = None
        n = 0

        def update(self, k):
            self.n += k

    bar = Count()
    got = dict(local_cluster.map_unordered(_square_plus, list(range(7)), {"k": 3}, progress=bar))
    assert got == {i: i * i + 3 for i in range(7)}
    assert bar.total == 7 and bar.n == 7
