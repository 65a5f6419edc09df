"""Shared fixtures and named tolerances (physical units, see docs/nomenclature.md)."""

from __future__ import annotations

import pytest
from hypothesis import settings

# property tests explore a fixed, reproducible set of examples in every run (CI included)
settings.register_profile("lupex", derandomize=True, deadline=None)
settings.load_profile("lupex")

# tolerances, in the unit of the compared quantity
deg = 1.0
arcsec = deg / 3600.0
one_m = 1.0
one_mm = 1e-3 * one_m
one_km = 1000.0 * one_m
one_K = 1.0


@pytest.fixture(scope="session", autouse=True)
def _session_default_cache(tmp_path_factory):
    """A fresh default cache folder (``$LUPEX_CACHE_DIR``) for the session.

    Tests that do not name a cache folder then neither read nor write the user's ``~/.cache/lupex``, so no result
    depends on what an earlier run left there. Tests that need their own folder still set it themselves.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LUPEX_CACHE_DIR", str(tmp_path_factory.mktemp("default-cache")))
        yield


@pytest.fixture(scope="session")
def dem240():
    from lupex.terrain import builtin_dem

    return builtin_dem("south_pole_240m")


@pytest.fixture(scope="session")
def small_run_cache(tmp_path_factory):
    """One stage and horizon cache for every test that runs the reduced mission scenario.

    ``tests/mission/test_run.py`` runs first (cold, and checks it), the dashboard tests then reuse its stages.
    Under pytest-xdist (``make test`` runs two workers) the folder is shared by the workers of the run, so a
    stage computed by one is a cache hit for the other (stage files are written atomically).
    """
    import os

    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "small-run-cache"
        shared.mkdir(exist_ok=True)
        return shared
    return tmp_path_factory.mktemp("small-run-cache")
