"""Grid distance kernels of site selection against brute force, closed forms and hand-computed paths."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lupex.core.grid_distance import euclidean_distance_m, footprint_extreme, path_distance_m
from lupex.errors import InputError

# --- named tolerances [m]
m = 1.0
#: Distances are exact up to float64 rounding of a square root / a sum of a few hundred steps.
TOL_EXACT = 1e-9 * m

SQRT2 = math.sqrt(2.0)

small_masks = arrays(
    np.bool_,
    st.tuples(st.integers(1, 12), st.integers(1, 12)),
    elements=st.booleans(),
)
resolutions = st.sampled_from([1.0, 0.3, 10.0, 240.0])


# ------------------------------------------------------------------------------------- Euclidean distance


def _brute_edt(mask: np.ndarray, res: float) -> np.ndarray:
    """All-pairs distance from every cell centre to every True cell centre, minimum over the True cells [m]."""
    ii, jj = np.indices(mask.shape)
    ti, tj = np.nonzero(mask)
    if ti.size == 0:
        return np.full(mask.shape, np.inf)
    d = np.hypot(ii[..., None] - ti, jj[..., None] - tj) * res
    return d.min(axis=-1)


@settings(max_examples=150)
@given(small_masks, resolutions)
def test_edt_equals_brute_force(mask: np.ndarray, res: float) -> None:
    np.testing.assert_allclose(euclidean_distance_m(mask, res), _brute_edt(mask, res), rtol=0, atol=TOL_EXACT)


def test_edt_sparse_targets_on_a_larger_grid() -> None:
    rng = np.random.default_rng(4)
    mask = rng.random((70, 90)) < 0.004
    mask[0, 0] = True
    np.testing.assert_allclose(euclidean_distance_m(mask, 240.0), _brute_edt(mask, 240.0), rtol=0, atol=TOL_EXACT)


def test_edt_without_targets_is_infinite() -> None:
    assert np.isposinf(euclidean_distance_m(np.zeros((5, 7), dtype=bool), 10.0)).all()


def test_edt_single_target_pythagoras() -> None:
    mask = np.zeros((10, 10), dtype=bool)
    mask[0, 0] = True
    d = euclidean_distance_m(mask, 2.0)
    assert d[3, 4] == 10.0  # 3-4-5 triangle, 2 m cells
    assert d[0, 0] == 0.0


# ------------------------------------------------------------------------------------------ path distance


def _octile_m(di: np.ndarray, dj: np.ndarray, res: float) -> np.ndarray:
    """Octile distance: the shortest 8-connected path on an obstacle-free grid [m]."""
    a, b = np.abs(di), np.abs(dj)
    return res * (np.maximum(a, b) + (SQRT2 - 1.0) * np.minimum(a, b))


def _reference_paths(sources: np.ndarray, passable: np.ndarray, res: float, cost: np.ndarray | None) -> np.ndarray:
    """Textbook Dijkstra with heapq and lazy deletion, written from the rules of :func:`path_distance_m`."""
    ny, nx = passable.shape
    dist = np.full((ny, nx), np.inf)
    queue = []
    for i, j in zip(*np.nonzero(sources), strict=True):
        dist[i, j] = 0.0
        queue.append((0.0, int(i), int(j)))
    heapq.heapify(queue)
    while queue:
        d, i, j = heapq.heappop(queue)
        if d > dist[i, j]:
            continue
        for a in (-1, 0, 1):
            for b in (-1, 0, 1):
                ni, nj = i + a, j + b
                if (a, b) == (0, 0) or not (0 <= ni < ny and 0 <= nj < nx) or not passable[ni, nj]:
                    continue
                if a and b and not passable[i, nj] and not passable[ni, j]:
                    continue
                step = res * (SQRT2 if a and b else 1.0)
                if cost is not None:
                    step *= 0.5 * (cost[i, j] + cost[ni, nj])
                if d + step < dist[ni, nj]:
                    dist[ni, nj] = d + step
                    heapq.heappush(queue, (d + step, ni, nj))
    return dist


def test_open_grid_is_octile_distance() -> None:
    res = 240.0
    sources = np.zeros((40, 55), dtype=bool)
    sources[13, 29] = True
    got = path_distance_m(sources, np.ones_like(sources), res)
    ii, jj = np.indices(sources.shape)
    np.testing.assert_allclose(got, _octile_m(ii - 13, jj - 29, res), rtol=1e-12, atol=TOL_EXACT)


def test_open_grid_two_sources_take_the_nearer() -> None:
    sources = np.zeros((30, 30), dtype=bool)
    sources[2, 3] = sources[25, 20] = True
    ii, jj = np.indices(sources.shape)
    expected = np.minimum(_octile_m(ii - 2, jj - 3, 1.0), _octile_m(ii - 25, jj - 20, 1.0))
    np.testing.assert_allclose(path_distance_m(sources, np.ones_like(sources), 1.0), expected, rtol=1e-12)


def test_wall_with_one_gap_forces_the_path_through_it() -> None:
    """Wall in column 4 of a 7 x 9 grid, open only at row 6; source (3, 0), target (3, 8).

    By hand: (3,0) -> (6,3) three diagonals, -> (6,4) one edge step into the gap, -> (6,5) one edge step,
    -> (3,8) three diagonals: 2 + 6 sqrt(2) cells = 20 + 60 sqrt(2) m at 10 m (the open grid would give 80 m).
    """
    passable = np.ones((7, 9), dtype=bool)
    passable[:6, 4] = False
    sources = np.zeros_like(passable)
    sources[3, 0] = True
    d = path_distance_m(sources, passable, 10.0)
    assert d[3, 8] == pytest.approx(20.0 + 60.0 * SQRT2, abs=TOL_EXACT)
    assert d[6, 4] == pytest.approx(10.0 + 30.0 * SQRT2, abs=TOL_EXACT)
    assert np.isinf(d[:6, 4]).all()  # the wall itself


def test_enclosed_region_is_unreachable() -> None:
    passable = np.ones((9, 9), dtype=bool)
    passable[2:7, 2] = passable[2:7, 6] = passable[2, 2:7] = passable[6, 2:7] = False  # a closed square ring
    sources = np.zeros_like(passable)
    sources[0, 0] = True
    d = path_distance_m(sources, passable, 1.0)
    assert np.isinf(d[3:6, 3:6]).all()
    assert np.isinf(d[~passable]).all()
    assert np.isfinite(d[0, 8]) and np.isfinite(d[8, 8])


def test_no_corner_cutting_between_two_obstacles() -> None:
    passable = np.array([[True, False], [False, True]])
    sources = np.array([[True, False], [False, False]])
    assert np.isinf(path_distance_m(sources, passable, 1.0)[1, 1])
    # an anti-diagonal line of impassable cells seals the lower-right triangle
    n = 8
    passable = ~np.eye(n, dtype=bool)[::-1]
    sources = np.zeros((n, n), dtype=bool)
    sources[0, 0] = True
    d = path_distance_m(sources, passable, 1.0)
    ii, jj = np.indices((n, n))
    assert np.isinf(d[ii + jj > n - 1]).all()
    assert np.isfinite(d[ii + jj < n - 1]).all()


def test_diagonal_past_a_single_obstacle_corner_is_allowed() -> None:
    passable = np.ones((3, 3), dtype=bool)
    passable[1, 1] = False
    sources = np.zeros_like(passable)
    sources[0, 1] = True
    assert path_distance_m(sources, passable, 5.0)[1, 2] == pytest.approx(5.0 * SQRT2)


def test_impassable_source_seeds_but_is_never_crossed() -> None:
    passable = np.ones((1, 5), dtype=bool)
    passable[0, 2] = False
    sources = np.zeros_like(passable)
    sources[0, 2] = True
    np.testing.assert_allclose(path_distance_m(sources, passable, 3.0)[0], [6.0, 3.0, 0.0, 3.0, 6.0])
    # a second, passable source on the left: the right side is still reached only from the impassable source
    sources[0, 0] = True
    np.testing.assert_allclose(path_distance_m(sources, passable, 3.0)[0], [0.0, 3.0, 0.0, 3.0, 6.0])


def test_cost_is_the_mean_of_the_two_cells() -> None:
    passable = np.ones((1, 3), dtype=bool)
    sources = np.array([[True, False, False]])
    cost = np.array([[1.0, 3.0, 1.0]])
    # (1 + 3) / 2 + (3 + 1) / 2 = 4 cells of 2 m
    np.testing.assert_allclose(path_distance_m(sources, passable, 2.0, cost)[0], [0.0, 4.0, 8.0])
    # a uniform cost scales every distance
    sources = np.zeros((12, 12), dtype=bool)
    sources[5, 5] = True
    plain = path_distance_m(sources, np.ones_like(sources), 1.0)
    np.testing.assert_allclose(
        path_distance_m(sources, np.ones_like(sources), 1.0, np.full((12, 12), 2.5)), 2.5 * plain
    )


@settings(max_examples=80)
@given(
    st.tuples(st.integers(1, 10), st.integers(1, 10)).flatmap(
        lambda shape: st.tuples(
            arrays(np.bool_, shape, elements=st.booleans()),
            arrays(np.bool_, shape, elements=st.sampled_from([True, True, True, False])),
            arrays(np.float64, shape, elements=st.floats(0.0, 5.0)),
        )
    ),
    st.booleans(),
)
def test_path_distance_equals_reference_dijkstra(grids: tuple, with_cost: bool) -> None:
    sources, passable, cost = grids
    cost_arg = cost if with_cost else None
    np.testing.assert_allclose(
        path_distance_m(sources, passable, 7.0, cost_arg),
        _reference_paths(sources, passable, 7.0, cost_arg),
        rtol=1e-12,
        atol=TOL_EXACT,
    )


def test_path_distance_rejects_bad_input() -> None:
    ok = np.ones((3, 3), dtype=bool)
    with pytest.raises(InputError, match="passable"):
        path_distance_m(ok, ok.astype(float), 1.0)
    with pytest.raises(InputError, match="shape"):
        path_distance_m(ok, np.ones((3, 4), dtype=bool), 1.0)
    with pytest.raises(InputError, match="res_m"):
        path_distance_m(ok, ok, 0.0)
    cost = np.ones((3, 3))
    cost[1, 1] = np.nan
    with pytest.raises(InputError, match="cost has 1 passable"):
        path_distance_m(ok, ok, 1.0, cost)
    blocked = ok.copy()
    blocked[1, 1] = False
    sources = np.zeros_like(ok)
    sources[0, 0] = True
    assert np.isinf(path_distance_m(sources, blocked, 1.0, cost)[1, 1])  # NaN cost on an impassable cell is unused


# --------------------------------------------------------------------------------------- disc footprint


def _brute_footprint(values: np.ndarray, radius_cells: float, worst: str) -> np.ndarray:
    """Loop over every cell and every offset of the disc; NaN off the grid or with NaN inside."""
    ny, nx = values.shape
    reach = int(math.floor(radius_cells + 1e-9))
    offsets = [
        (a, b)
        for a in range(-reach, reach + 1)
        for b in range(-reach, reach + 1)
        if a * a + b * b <= radius_cells * radius_cells * (1.0 + 1e-9)
    ]
    out = np.full((ny, nx), np.nan)
    for i in range(ny):
        for j in range(nx):
            picked = []
            for a, b in offsets:
                if not (0 <= i + a < ny and 0 <= j + b < nx):
                    break
                picked.append(values[i + a, j + b])
            else:
                chosen = np.array(picked)
                if not np.isnan(chosen).any():
                    out[i, j] = chosen.min() if worst == "min" else chosen.max()
    return out


@pytest.mark.parametrize("radius_cells", [0.0, 0.7, 1.0, 1.5, 2.0, 2.3, 3.0, 4.6, 5.0, 7.2])
@pytest.mark.parametrize("worst", ["min", "max"])
def test_footprint_equals_brute_force(radius_cells: float, worst: str) -> None:
    rng = np.random.default_rng(int(radius_cells * 10))
    values = rng.normal(size=(31, 37))
    values[rng.random(values.shape) < 0.01] = np.nan
    res = 4.0  # a power of two: radius_m / res_m is exactly radius_cells
    got = footprint_extreme(values, radius_cells * res, res, worst=worst)  # type: ignore[arg-type]
    np.testing.assert_array_equal(got, _brute_footprint(values, radius_cells, worst))


@settings(max_examples=60)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 14), st.integers(1, 14)),
        elements=st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf])),
    ),
    st.floats(0.0, 6.0),
    st.sampled_from(["min", "max"]),
)
def test_footprint_equals_brute_force_property(values: np.ndarray, radius_cells: float, worst: str) -> None:
    got = footprint_extreme(values, radius_cells * 8.0, 8.0, worst=worst)  # type: ignore[arg-type]
    np.testing.assert_array_equal(got, _brute_footprint(values, radius_cells, worst))


def test_footprint_nan_spreads_over_the_disc_and_edges_are_nan() -> None:
    values = np.zeros((21, 21))
    values[10, 10] = np.nan
    got = footprint_extreme(values, 3.0 * 10.0, 10.0)
    ii, jj = np.indices(values.shape)
    inside = (ii - 10) ** 2 + (jj - 10) ** 2 <= 9
    interior = (ii >= 3) & (ii < 18) & (jj >= 3) & (jj < 18)
    assert np.isnan(got[inside]).all()
    assert (got[interior & ~inside] == 0.0).all()
    assert np.isnan(got[~interior]).all()


def test_footprint_keeps_infinities_apart_from_nan() -> None:
    values = np.ones((9, 9))
    values[4, 4] = -np.inf
    values[0, 7] = np.inf
    assert footprint_extreme(values, 1.0, 1.0)[4, 4] == -np.inf
    assert footprint_extreme(values, 1.0, 1.0, worst="max")[1, 7] == np.inf
    assert footprint_extreme(values, 1.0, 1.0, worst="max")[4, 4] == 1.0


def test_footprint_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="worst"):
        footprint_extreme(np.zeros((3, 3)), 1.0, 1.0, worst="mean")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="radius_m"):
        footprint_extreme(np.zeros((3, 3)), -1.0, 1.0)
    with pytest.raises(InputError, match="2-D"):
        footprint_extreme(np.zeros(3), 1.0, 1.0)
