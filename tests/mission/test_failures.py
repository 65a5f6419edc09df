"""A failed or interrupted stage: the error names the stage; nothing partial is left in the cache or outputs."""

from __future__ import annotations

import pytest

import lupex.mission.pipeline as pipeline
from lupex.cli.main import main
from lupex.errors import DemError


def _fail_sites(exc: BaseException):
    def stage(*args, **kwargs):
        raise exc

    return stage


def test_failed_stage_is_named_with_its_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pipeline, "_sites_stage", _fail_sites(DemError("dem holds no valid height")))
    assert main(["run", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "stage 'sites' failed: dem holds no valid height" in err
    assert not (tmp_path / "out").exists()


def test_ctrl_c_leaves_no_partial_cache_or_output(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(pipeline, "_sites_stage", _fail_sites(KeyboardInterrupt()))
    assert main(["run", "--out", str(tmp_path / "out")]) == 130
    assert "interrupted" in capsys.readouterr().err
    runs = tmp_path / "cache" / "runs"
    assert not runs.exists() or not any(runs.iterdir())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["viper-like", "pragyan-like"])
def test_comparison_presets_build_valid_rovers(name):
    from lupex.mission import load_scenario

    rover = load_scenario(name).rover()
    assert rover.speed_m_s in (0.2, 0.01)
