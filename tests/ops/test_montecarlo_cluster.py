"""The Monte Carlo on a Dask cluster, and the ``--scheduler`` option / ``scheduler`` field (issue #18).

References: the local run of the same seeds (each run is a pure function of its seed, so the cluster must give
the same RunSummary, field for field); the one-line error contract of the CLI (exit 1, one stderr line naming
the flag or the scenario field); the stage cache keys of the same scenario without the field.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from lupex.cli.main import main
from lupex.cluster import executor_of as cluster_executor
from lupex.cluster.scheduler import Scheduler, parse_scheduler
from lupex.mission import load_scenario, preset_text, register_stage, run_mission, unregister_stage
from lupex.mission.chain import select_stages, stage_keys
from lupex.mission.scenario import ScenarioError, parse_scenario
from lupex.mission.stage import Stage, StageContext
from lupex.ops import montecarlo as mc_module
from lupex.ops.montecarlo import monte_carlo, run_batch
from tests.ops.test_campaign import _inputs
from tests.ops.test_montecarlo import UNC

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def client():
    """A 2-process LocalCluster (one thread each, no dashboard) and its client, for this module."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)  # fmt: skip
    dask_client = distributed.Client(cluster)
    try:
        yield dask_client
    finally:
        dask_client.close()
        cluster.close()


@pytest.fixture(scope="module")
def inputs():
    return _inputs(lit_h=40.0, period_h=120.0, days=6.0, faults=True)


def test_cluster_runs_equal_the_local_runs(client, inputs) -> None:
    local = monte_carlo(inputs, 10, seed=11, workers=1, uncertainty=UNC)
    calls: list[int] = []
    remote = monte_carlo(inputs, 10, seed=11, uncertainty=UNC, progress=calls.append,
                         executor=client.get_executor(pure=False))  # fmt: skip
    assert [r.seed for r in remote.runs] == list(range(11, 21)) and sum(calls) == 10
    assert remote.runs == local.runs  # every RunSummary, field for field
    assert (remote.p_success, remote.p_success_ci, remote.criteria) == (local.p_success, local.p_success_ci,
                                                                         local.criteria)  # fmt: skip
    assert remote.sensitivity == local.sensitivity


def test_batches_of_several_seeds_through_the_ops_stage_executor(client, inputs, monkeypatch) -> None:
    monkeypatch.setattr(mc_module, "EXECUTOR_BATCHES", 3)
    executor = cluster_executor(Scheduler(parse_scheduler("local:2"), client))
    assert executor is not None
    calls: list[int] = []
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1kB"}):  # no warning for the inputs
        remote = monte_carlo(inputs, 7, seed=3, uncertainty=UNC, progress=calls.append, executor=executor)
    assert sorted(calls) == [1, 3, 3]  # progress per finished batch, with its size
    assert remote.runs == run_batch(inputs, UNC, list(range(3, 10)))


def test_batches_are_consecutive_seeds() -> None:
    assert mc_module._batches(list(range(10)), 4) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert mc_module._batches([5], 16) == [[5]]
    assert sum(map(len, mc_module._batches(list(range(100))))) == 100
    assert len(mc_module._batches(list(range(100)))) <= mc_module.EXECUTOR_BATCHES


def test_no_executor_without_a_cluster() -> None:
    assert cluster_executor(None) is None
    assert cluster_executor(Scheduler(parse_scheduler("threads"))) is None


@pytest.mark.parametrize("command", [["ops", "montecarlo", "--runs", "2"], ["run"]])
@pytest.mark.parametrize("value", ["local:0", "nonsense"])
def test_a_bad_scheduler_is_one_line_naming_the_flag(tmp_path, capsys, command, value) -> None:
    out = tmp_path / "out"
    code = main([*command, "--out", str(out), "--scheduler", value])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and f"--scheduler {value!r}" in err, err
    assert not out.exists()


def test_workers_with_a_cluster_is_refused_naming_both(tmp_path, capsys) -> None:
    out = tmp_path / "mc"
    code = main(["ops", "montecarlo", "--runs", "2", "--workers", "2", "--scheduler", "local:2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "--workers 2 and --scheduler local:2" in err, err
    assert not out.exists()


@pytest.mark.parametrize("command", [["ops", "montecarlo", "--runs", "2"], ["run"]])
def test_no_scheduler_at_the_address_fails_fast_in_one_line(tmp_path, capsys, monkeypatch, command) -> None:
    import lupex.cluster.scheduler as sched_module

    real = sched_module.default
    short = {"scheduler_connect_timeout_s": 1.0}
    monkeypatch.setattr(sched_module, "default", lambda name: short.get(name, real(name)))
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    began = time.perf_counter()
    code = main([*command, "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"])
    elapsed = time.perf_counter() - began
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert "tcp://127.0.0.1:9" in err and "no Dask scheduler answered within 1 s" in err, err
    assert elapsed < 20.0
    assert not (tmp_path / "cache" / "runs").exists()  # nothing ran


def _with_scheduler(value: str) -> str:
    return preset_text("chandrayaan5").replace("[scenario]\n", f'[scenario]\nscheduler = "{value}"\n', 1)


def test_a_bad_scheduler_field_is_refused_naming_it(tmp_path, capsys) -> None:
    with pytest.raises(ScenarioError, match=r"^scenario\.scheduler: 'local:0': a local cluster needs 1 to"):
        parse_scenario(_with_scheduler("local:0"), "bad.toml")
    path = tmp_path / "bad.toml"
    path.write_text(_with_scheduler("nonsense"))
    assert main(["scenario", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scenario.scheduler: 'nonsense' is not accepted" in err, err


def test_the_scheduler_field_changes_no_cache_key() -> None:
    plain = load_scenario("chandrayaan5")
    local = parse_scenario(_with_scheduler("local:2"), "preset:chandrayaan5")
    assert (plain.scheduler, local.scheduler) == ("threads", "local:2")
    chain = select_stages()
    assert stage_keys(plain, chain) == stage_keys(local, chain)


@dataclass(frozen=True)
class _Seen:
    scheduler: Any


class _SchedulerProbe(Stage):
    """Records the scheduler its context got."""

    name: ClassVar[str] = "scheduler_probe"
    title: ClassVar[str] = "Scheduler probe"

    def run(self, ctx: StageContext) -> _Seen:
        seen.append(ctx.scheduler)
        return _Seen(None)


seen: list[Any] = []


@pytest.fixture()
def probe():
    seen.clear()
    stage = register_stage(_SchedulerProbe())
    yield stage
    unregister_stage(stage.name)


def test_run_mission_hands_the_scheduler_to_every_stage(probe) -> None:
    marker = object()
    run_mission(load_scenario("chandrayaan5"), stages=[probe.name], cache=False, scheduler=marker)
    assert seen == [marker]


def test_lupex_run_opens_the_scheduler_of_the_flag(probe, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "s.toml"
    path.write_text(_with_scheduler("tcp://127.0.0.1:9"))  # the flag overrides the field: nothing connects
    args = ["run", str(path), "--stages", probe.name, "--no-cache", "--out", str(tmp_path / "out")]
    assert main([*args, "--scheduler", "threads"]) == 0
    assert len(seen) == 1 and seen[0].spec.kind == "threads" and seen[0].client is None
    assert "Dask dashboard" not in capsys.readouterr().err


def test_the_dashboard_link_is_one_stderr_line(monkeypatch, capsys) -> None:
    import lupex.cli.scheduling as sched_module
    from lupex.cli.scheduling import cli_scheduler

    @contextlib.contextmanager
    def fake_open(spec: Any, **_: Any):
        yield SimpleNamespace(spec=spec, client=object(), dashboard_link="http://127.0.0.1:8787/status")

    monkeypatch.setattr(sched_module, "open_scheduler", fake_open)
    with cli_scheduler(parse_scheduler("local:2")) as sched:
        assert sched.spec.text == "local:2"
    assert capsys.readouterr().err == "lupex: Dask dashboard: http://127.0.0.1:8787/status\n"
