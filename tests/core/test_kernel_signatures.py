"""The big numba kernels are compiled once per process, whatever layout or optional arguments a caller uses.

Each distinct set of numba argument types is another compilation (the statistics kernel ~25 s, the column solver
~12 s, on a fresh install and in every test worker): a Fortran-ordered ephemeris table, an xarray slice, read-only
coordinates or an omitted default used to make the statistics kernel compile seven times in one test run. These
tests call the kernels the ways callers do and count the compiled signatures (process-wide: every other test that
ran in this worker counts too, which is the point).
"""

from __future__ import annotations

import numpy as np

from lupex.core import thermal as th
from lupex.core import visibility as vis
from lupex.ephemeris import moon_centred_vectors, time_range

R = 1_737_400.0


def _stats_call_styles():
    """The statistics kernel's arguments for a 6 x 5 grid, then the same in the layouts callers have passed."""
    rng = np.random.default_rng(1)
    z = rng.normal(0.0, 300.0, (12, 5))[::2]  # a strided view ('A' layout), as a row slice of a DEM
    x = np.arange(5) * 240.0 + 2_000.0
    y = np.arange(6)[::-1] * 240.0 - 3_000.0
    x.setflags(write=False)  # xarray coordinates are read-only
    horizon = rng.uniform(-0.02, 0.05, (36, 6, 5)).astype(np.float32)
    v = moon_centred_vectors(time_range("2028-01-01", "2028-01-03", "2h"))
    sun, inv, radius = v.sun_kernel_arrays()
    earth = v.earth_me_km * 1000.0
    ta = vis.kernel_time_args(sun, inv, earth, R + 8000.0, 4, 2, 8)
    args = (horizon, z, x, y, 2.0, R, sun, inv, radius, *ta[:4], earth, *ta[4:], True)
    fortran = (*args[:6], np.asfortranarray(sun), *args[7:13], np.asfortranarray(earth), *args[14:])
    return args, fortran


def test_the_statistics_kernel_compiles_one_signature_for_every_call_style():
    args, fortran = _stats_call_styles()
    results = [
        vis.illumination_stats_kernel(*args),  # optional arguments omitted
        vis.illumination_stats_kernel(*fortran),  # transposed ephemeris tables
        vis.illumination_stats_kernel(*args, False, None, 1.0, 0),  # written out, only_cells None
        vis.illumination_stats_kernel(*args, np.bool_(False), np.ones((6, 5), bool), np.float32(1.0), np.int32(0)),
    ]
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    assert len(vis._illumination_stats_compiled.signatures) == 1, vis._illumination_stats_compiled.signatures


def test_the_column_solver_compiles_one_signature_per_precision():
    grid = th.regolith_grid(0.06, 1100.0, 1800.0, 7.4e-4, 3.4e-3)  # Hayne et al. (2017) values
    for dtype in (np.float32, np.float64):
        state = th.initial_profile_K(np.array([300.0, 10.0]), grid, 0.95, 0.018, 2.7).astype(dtype)
        stats = [np.full(2, np.inf), np.full(2, -np.inf), np.zeros(2)]
        stats += [np.full(state.shape, -np.inf), np.zeros(state.shape)]
        th.integrate_columns(state, np.full((2, 4), 300.0, dtype=dtype), 3600.0, grid, 0.95, 0.018, 2.7)
        th.advance_columns(state, np.full((2, 4), 300.0, dtype=dtype), 3600.0, grid.z_m, grid.thickness_m,
                           grid.density_kg_m3, grid.conductivity_W_m_K, th.HEAT_CAPACITY_COEFFS, 0.95, 0.018, 2.7,
                           True, *stats, np.empty((0, 0), dtype=dtype), th.LIVE_DEPTH_M)  # fmt: skip
    dtypes = {str(sig[0].dtype) for sig in th.advance_columns.signatures}
    assert len(th.advance_columns.signatures) == len(dtypes) <= 2, th.advance_columns.signatures


def test_a_mask_of_another_shape_is_refused_not_read_past():
    import pytest

    from lupex.errors import InputError

    args, _ = _stats_call_styles()
    with pytest.raises(InputError, match=r"only_cells has shape \(5, 5\); give z_m's grid shape \(6, 5\)"):
        vis.illumination_stats_kernel(*args, False, np.ones((5, 5), bool))
