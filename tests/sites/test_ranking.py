"""TOPSIS closeness and the Pareto front against published examples, step-by-step references and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lupex.errors import InputError
from lupex.sites import pareto_front, topsis_closeness

# --- named tolerances [-] (closeness is dimensionless)
#: Same formula evaluated in a different order: float64 rounding only.
TOL_ROUNDING = 1e-12
#: Published closeness values: 3 printed decimals, from tables rounded at every step (A3 of the fighter-aircraft
#: example computes to 0.6135 and is printed 0.613).
TOL_PRINTED = 1e-3


def _topsis_reference(x: np.ndarray, w: np.ndarray, benefit: np.ndarray) -> dict[str, np.ndarray]:
    """TOPSIS written out step by step from Hwang & Yoon (1981), one loop per step, no vectorised shortcuts."""
    n, m = x.shape
    r = np.empty_like(x)
    for j in range(m):
        norm = np.sqrt(sum(x[i, j] ** 2 for i in range(n)))
        for i in range(n):
            r[i, j] = x[i, j] / norm
    v = r * w[None, :]
    ideal = np.array([v[:, j].max() if benefit[j] else v[:, j].min() for j in range(m)])
    anti = np.array([v[:, j].min() if benefit[j] else v[:, j].max() for j in range(m)])
    s_plus = np.array([np.sqrt(sum((v[i, j] - ideal[j]) ** 2 for j in range(m))) for i in range(n)])
    s_minus = np.array([np.sqrt(sum((v[i, j] - anti[j]) ** 2 for j in range(m))) for i in range(n)])
    with np.errstate(invalid="ignore"):  # 0/0 where every column is constant
        closeness = s_minus / (s_plus + s_minus)
    return {"ideal": ideal, "anti": anti, "closeness": closeness}


# ---------------------------------------------------------------------------------------------- TOPSIS


def test_topsis_hand_computed_example() -> None:
    """values [[3, 4], [4, 3], [0, 0]], weights 0.5 / 0.5, both benefit.

    Column norms are 5, so v = [[0.3, 0.4], [0.4, 0.3], [0, 0]]; ideal (0.4, 0.4), anti-ideal (0, 0).
    Row 1: S+ = 0.1, S- = 0.5, C = 0.5 / 0.6 = 5/6; row 2 the same by symmetry; row 3: S- = 0, C = 0.
    """
    got = topsis_closeness(np.array([[3.0, 4.0], [4.0, 3.0], [0.0, 0.0]]), [0.5, 0.5], np.array([True, True]))
    np.testing.assert_allclose(got, [5.0 / 6.0, 5.0 / 6.0, 0.0], rtol=0, atol=TOL_ROUNDING)


def test_topsis_fighter_aircraft_example_of_hwang_and_yoon() -> None:
    """The fighter-aircraft example of Hwang & Yoon (1981), "Multiple Attribute Decision Making", TOPSIS chapter.

    Criteria: maximum speed [Mach], ferry range [NM], maximum payload [lb], purchasing cost [1e6 $] (the only
    cost criterion), reliability and manoeuvrability (qualitative, on the book's interval scale), weights
    0.2, 0.1, 0.1, 0.1, 0.2, 0.3. The book ranks A1 > A3 > A4 > A2 with C = 0.643, 0.268, 0.613, 0.312 (A1..A4;
    quoted from memory of the book, not re-checked against a copy: the step-by-step reference below is the
    binding check, to rounding).
    """
    x = np.array(
        [
            [2.0, 1500, 20000, 5.5, 5, 9],
            [2.5, 2700, 18000, 6.5, 3, 5],
            [1.8, 2000, 21000, 4.5, 7, 7],
            [2.2, 1800, 20000, 5.0, 5, 5],
        ]
    )
    w = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.3])
    benefit = np.array([True, True, True, False, True, True])
    got = topsis_closeness(x, w, benefit)
    np.testing.assert_allclose(got, _topsis_reference(x, w, benefit)["closeness"], rtol=0, atol=TOL_ROUNDING)
    np.testing.assert_allclose(got, [0.643, 0.268, 0.613, 0.312], rtol=0, atol=TOL_PRINTED)
    assert list(np.argsort(-got)) == [0, 2, 3, 1]


def test_topsis_reference_reproduces_published_ideal_solutions() -> None:
    """Car example of the TOPSIS help page of the R package MCDA (Bigaret, Meyer et al.), which prints the
    weighted ideal and anti-ideal solutions: the reference reproduces them to their 9 printed digits, then the
    closeness of lupex equals the reference's."""
    x = np.array([[5490, 51.4, 8.5, 285], [6500, 70.6, 7, 288], [6489, 54.3, 7.5, 290]])  # Corsa, Clio, Fiesta
    w = np.array([0.35, 0.25, 0.25, 0.15])
    benefit = np.array([False, True, True, True])  # purchase price, economy, aesthetics, boot capacity
    ref = _topsis_reference(x, w, benefit)
    np.testing.assert_allclose(ref["ideal"], [0.179573776, 0.171636015, 0.159499658, 0.087302767], atol=1e-9)
    np.testing.assert_allclose(ref["anti"], [0.212610118, 0.124958799, 0.131352659, 0.085797547], atol=1e-9)
    np.testing.assert_allclose(topsis_closeness(x, w, benefit), ref["closeness"], rtol=0, atol=TOL_ROUNDING)


def _weights(m: int) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, m, elements=st.floats(0.01, 1.0)).map(lambda a: a / a.sum())


@st.composite
def _problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 12))
    m = draw(st.integers(1, 5))
    x = draw(arrays(np.float64, (n, m), elements=st.floats(0.1, 1e4)))
    return x, draw(_weights(m)), draw(arrays(np.bool_, m))


@settings(max_examples=100)
@given(_problems())
def test_topsis_equals_step_by_step_reference(problem: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    x, w, benefit = problem
    ref = _topsis_reference(x, w, benefit)["closeness"]
    got = topsis_closeness(x, w, benefit)
    finite = np.isfinite(ref)  # the reference is 0/0 where every column is constant
    np.testing.assert_allclose(got[finite], ref[finite], rtol=0, atol=1e-9)
    assert ((got >= 0.0) & (got <= 1.0)).all()


@settings(max_examples=100)
@given(_problems(), st.data())
def test_topsis_invariants(problem: tuple[np.ndarray, np.ndarray, np.ndarray], data: st.DataObject) -> None:
    x, w, benefit = problem
    base = topsis_closeness(x, w, benefit)
    # a unit change (positive factor per column) changes nothing
    factors = data.draw(arrays(np.float64, x.shape[1], elements=st.floats(1e-3, 1e3)))
    np.testing.assert_allclose(topsis_closeness(x * factors, w, benefit), base, atol=1e-9)
    # negating a column and flipping its direction changes nothing
    np.testing.assert_allclose(topsis_closeness(-x, w, ~benefit), base, atol=1e-9)
    # reordering candidates reorders the result
    perm = data.draw(st.permutations(range(x.shape[0])))
    np.testing.assert_allclose(topsis_closeness(x[perm], w, benefit), base[perm], atol=1e-12)
    # the ideal candidate gets 1, the anti-ideal candidate 0 (unless every column is constant)
    best = np.where(benefit, x.max(axis=0), x.min(axis=0))
    worst = np.where(benefit, x.min(axis=0), x.max(axis=0))
    got = topsis_closeness(np.vstack([x, best, worst]), w, benefit)
    if not (x == x[0]).all():
        assert got[-2] == pytest.approx(1.0, abs=1e-12)
        assert got[-1] == pytest.approx(0.0, abs=1e-12)


def test_topsis_constant_columns_have_no_influence() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(1.0, 10.0, size=(8, 3))
    w = np.array([0.5, 0.3, 0.2])
    benefit = np.array([True, False, True])
    base = topsis_closeness(x, w, benefit)
    for constant in (0.0, 7.0):
        with_constant = np.hstack([x, np.full((8, 1), constant)])
        got = topsis_closeness(with_constant, np.append(w * 0.6, 0.4), np.append(benefit, True))
        np.testing.assert_allclose(got, base, atol=1e-12)
    np.testing.assert_array_equal(topsis_closeness(np.ones((4, 2)), [0.5, 0.5], np.array([True, False])), 0.5)


def test_topsis_weight_errors() -> None:
    x = np.ones((3, 2))
    benefit = np.array([True, True])
    with pytest.raises(InputError, match=r"weights sum to 0\.9, not 1 .*divide them by their sum"):
        topsis_closeness(x, [0.5, 0.4], benefit)
    with pytest.raises(InputError, match="finite and >= 0"):
        topsis_closeness(x, [1.5, -0.5], benefit)
    with pytest.raises(InputError, match="finite and >= 0"):
        topsis_closeness(x, [np.nan, 1.0], benefit)
    with pytest.raises(InputError, match="one weight per criterion"):
        topsis_closeness(x, [1.0], benefit)
    topsis_closeness(x, [0.5, 0.5 + 5e-7], benefit)  # within 1e-6: accepted


def test_topsis_rejects_nan_rows_and_bad_benefit() -> None:
    x = np.ones((5, 2))
    x[1, 0] = np.nan
    x[3, 1] = np.inf
    with pytest.raises(InputError, match=r"values has 2 of 5 row\(s\) with NaN"):
        topsis_closeness(x, [0.5, 0.5], np.array([True, True]))
    with pytest.raises(InputError, match="benefit"):
        topsis_closeness(np.ones((5, 2)), [0.5, 0.5], np.array([1, 0]))
    with pytest.raises(InputError, match="2-D"):
        topsis_closeness(np.ones(5), [1.0], np.array([True]))


# ---------------------------------------------------------------------------------------------- Pareto


def _pareto_brute(x: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """All pairs at once: row k dominates row i when it is >= everywhere and > somewhere (gains)."""
    g = np.where(benefit, x, -x)
    ge = (g[:, None, :] >= g[None, :, :]).all(axis=2)
    gt = (g[:, None, :] > g[None, :, :]).any(axis=2)
    dominates = ge & gt  # [k, i]
    return ~dominates.any(axis=0)


@settings(max_examples=150)
@given(
    st.tuples(st.integers(1, 40), st.integers(1, 4)).flatmap(
        lambda shape: st.tuples(
            arrays(np.float64, shape, elements=st.integers(0, 4).map(float)),  # small integers: many ties
            arrays(np.bool_, shape[1]),
        )
    )
)
def test_pareto_equals_brute_force(problem: tuple[np.ndarray, np.ndarray]) -> None:
    x, benefit = problem
    np.testing.assert_array_equal(pareto_front(x, benefit), _pareto_brute(x, benefit))


def test_pareto_on_random_continuous_data() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 3))
    benefit = np.array([True, False, True])
    np.testing.assert_array_equal(pareto_front(x, benefit), _pareto_brute(x, benefit))


def test_pareto_small_example() -> None:
    # (illumination, slope): larger illumination and smaller slope are better
    x = np.array([[0.9, 5.0], [0.8, 3.0], [0.7, 6.0], [0.9, 5.0], [0.95, 10.0]])
    got = pareto_front(x, np.array([True, False]))
    np.testing.assert_array_equal(got, [True, True, False, True, True])  # row 2 dominated by row 0; 0 and 3 tie


def test_pareto_rejects_nan() -> None:
    with pytest.raises(InputError, match=r"1 of 2 row\(s\)"):
        pareto_front(np.array([[1.0, np.nan], [1.0, 2.0]]), np.array([True, True]))
