"""Shared fixtures and named tolerances (physical units, see docs/nomenclature.md)."""

from __future__ import annotations

import pytest

# tolerances, in the unit of the compared quantity
deg = 1.0
arcsec = deg / 3600.0
one_m = 1.0
one_mm = 1e-3 * one_m
one_km = 1000.0 * one_m


@pytest.fixture(scope="session")
def dem240():
    from lupex.terrain import builtin_dem

    return builtin_dem("south_pole_240m")
