"""A failed or interrupted stage: the error names the stage; nothing partial is left in the cache or outputs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lupex.cli.main import main
from lupex.errors import DemError
from lupex.mission.stages import FlightStage, SitesStage


@pytest.fixture(autouse=True)
def quick_flight(monkeypatch):
    """The flight stage (ahead of sites in the chain) reduced to "no dispersion": these tests are about failures."""
    monkeypatch.setattr(FlightStage, "run", lambda self, ctx: SimpleNamespace(dispersion=None))


def _fail(exc: BaseException):
    def run(self, ctx):
        raise exc

    return run


def test_failed_stage_is_named_with_its_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(SitesStage, "run", _fail(DemError("dem holds no valid height")))
    assert main(["run", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "stage 'sites' failed: dem holds no valid height" in err
    assert not (tmp_path / "out").exists()


def test_ctrl_c_leaves_no_partial_cache_or_output(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(SitesStage, "run", _fail(KeyboardInterrupt()))
    assert main(["run", "--out", str(tmp_path / "out")]) == 130
    assert "interrupted" in capsys.readouterr().err
    runs = tmp_path / "cache" / "runs"
    left = sorted(p.name for p in runs.iterdir()) if runs.exists() else []
    assert all(name.startswith("flight-") and name.endswith(".pkl") for name in left), left  # complete entries only
    assert not (tmp_path / "out").exists()


def test_a_truncated_stage_cache_entry_is_recomputed_with_a_warning(tmp_path, monkeypatch, caplog):
    from lupex.mission import load_scenario, run_mission
    from lupex.mission.stages.sites import SitesResult

    calls = []

    def fake_run(self, ctx):
        calls.append(1)
        return SitesResult(None, None, None, "fake")  # type: ignore[arg-type]

    monkeypatch.setattr(SitesStage, "run", fake_run)
    sc = load_scenario("chandrayaan5")
    first = run_mission(sc, stages=["sites"], cache_dir=tmp_path)
    entry = tmp_path / "runs" / f"sites-{first.keys['sites']}.pkl"
    assert entry.stat().st_size > 0 and calls == [1]
    assert run_mission(sc, stages=["sites"], cache_dir=tmp_path).cached == {"flight": True, "sites": True}
    entry.write_bytes(entry.read_bytes()[:10])  # a write cut short
    with caplog.at_level("WARNING"):
        again = run_mission(sc, stages=["sites"], cache_dir=tmp_path)
    assert again.cached == {"flight": True, "sites": False} and calls == [1, 1]
    assert "truncated or corrupt" in caplog.text


@pytest.mark.parametrize("name", ["viper-like", "pragyan-like"])
def test_comparison_presets_build_valid_rovers(name):
    from lupex.mission import load_scenario

    rover = load_scenario(name).rover()
    assert rover.speed_m_s == {"viper-like": 0.2, "pragyan-like": 0.01}[name]
