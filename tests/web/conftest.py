"""A small scenario the dashboard tests may start (same stages as chandrayaan5, shorter and smaller)."""

from __future__ import annotations

import pytest

from lupex.mission import preset_text
from tests.mission.test_run import _small


@pytest.fixture(scope="session")
def small_scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "small.toml"
    path.write_text(_small(preset_text("chandrayaan5"), 3000.0))
    return path


@pytest.fixture()
def isolated_cache(small_run_cache, monkeypatch):
    """The reduced scenario's stage cache (shared with tests/mission/test_run.py, which fills it)."""
    monkeypatch.setenv("LUPEX_CACHE_DIR", str(small_run_cache))
    return small_run_cache
