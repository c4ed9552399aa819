"""MIG: near 1 for one dimension per factor, lower when mixed, near 0 on noise,
and equal to a value computed by hand from entropies on a tiny case."""

import itertools

import numpy as np
import pandas as pd
import pytest

from morphospace.core.errors import InputError
from morphospace.drl.mig import MIG, discretise

SIZES = {"shape": 3, "size": 4, "hue": 5}


def factor_grid(repeats: int = 3) -> pd.DataFrame:
    """Every combination of the factors' values, ``repeats`` times (180 rows)."""
    grid = np.array(list(itertools.product(*[range(k) for k in SIZES.values()])))
    return pd.DataFrame(np.repeat(grid, repeats, axis=0), columns=list(SIZES))


def scores(z, factors, **params) -> dict[str, float]:
    return {name: m.value for name, m in MIG(**params).evaluate(z, factors).items()}


def test_one_dimension_per_factor_scores_near_one():
    factors = factor_grid()
    z = factors.to_numpy() + np.random.default_rng(0).normal(0, 0.01, factors.shape)
    assert scores(z, factors)["mig"] > 0.95


def test_a_code_mixing_every_factor_into_every_dimension_scores_clearly_lower():
    factors = factor_grid()
    codes = factors.to_numpy(dtype=float)
    mixing = np.eye(3) - 2 / 3  # a reflection: every dimension mixes every factor
    z = (codes - codes.mean(0)) / codes.std(0) @ mixing
    assert scores(z, factors)["mig"] < 0.3


def test_a_code_that_ignores_the_factors_scores_near_zero():
    factors = factor_grid()
    z = np.random.default_rng(2).normal(size=(len(factors), 3))
    assert scores(z, factors)["mig"] < 0.1


def test_matches_the_gap_computed_by_hand_from_entropies():
    # z0 copies a; z1 = a AND b; two bins put each binary value in its own bin
    factors = pd.DataFrame({"a": [0, 0, 1, 1], "b": [0, 1, 0, 1]})
    z = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])

    def h(*p):
        return -sum(q * np.log(q) for q in p if q > 0)

    entropy_factor = h(0.5, 0.5)  # H(a) = H(b) = log 2
    # I(z1; a) = H(z1) - H(z1 | a) = h(1/4, 3/4) - (0 + h(1/2, 1/2)) / 2, same for b
    info_and = h(0.25, 0.75) - h(0.5, 0.5) / 2
    expected_a = (entropy_factor - info_and) / entropy_factor  # z0 carries all of a
    expected_b = (info_and - 0.0) / entropy_factor  # z0 carries nothing of b
    result = scores(z, factors, n_bins=2)
    assert result["mig.a"] == pytest.approx(expected_a, abs=1e-12)
    assert result["mig.b"] == pytest.approx(expected_b, abs=1e-12)
    assert result["mig"] == pytest.approx((expected_a + expected_b) / 2, abs=1e-12)


def test_metrics_are_mig_and_one_per_factor_column():
    factors = factor_grid(repeats=1)
    z = factors.to_numpy(dtype=float)
    assert set(scores(z, factors)) == {"mig", "mig.shape", "mig.size", "mig.hue"}


def test_string_and_categorical_factors_score_like_their_integer_codes():
    factors = factor_grid(repeats=1)
    z = factors.to_numpy() + np.random.default_rng(3).normal(0, 0.3, factors.shape)
    named = pd.DataFrame(
        {
            "shape": factors["shape"].map({0: "disc", 1: "ring", 2: "star"}),
            "size": pd.Categorical(factors["size"].map(lambda s: f"s{s}")),
            "hue": factors["hue"].astype(float),
        }
    )
    assert scores(z, named) == pytest.approx(scores(z, factors))


def test_equal_width_bins_span_each_dimension():
    z = np.array([[0.0, 5.0], [0.49, 5.0], [0.5, 5.0], [1.0, 5.0]])
    assert discretise(z, 2).tolist() == [[0, 0], [0, 0], [1, 0], [1, 0]]


def test_a_factor_with_other_row_count_is_refused_naming_both():
    factors = factor_grid(repeats=1).iloc[:10]
    with pytest.raises(InputError, match="factors has 10 rows, z has 12"):
        MIG().evaluate(np.zeros((12, 3)), factors)


def test_a_factor_with_a_single_value_is_refused():
    factors = pd.DataFrame({"shape": [0, 1, 0, 1], "plate": [7, 7, 7, 7]})
    with pytest.raises(InputError, match="'plate' takes the single value 7"):
        MIG().evaluate(np.random.default_rng(0).normal(size=(4, 2)), factors)


def test_a_continuous_factor_is_refused_with_a_hint_to_bin_it():
    factors = pd.DataFrame({"area": [0.5, 1.25, 2.0, 3.5]})
    with pytest.raises(InputError, match="pandas.cut"):
        MIG().evaluate(np.zeros((4, 2)), factors)


def test_missing_factor_values_are_refused():
    factors = pd.DataFrame({"shape": ["disc", None, "ring", "disc"]})
    with pytest.raises(InputError, match="1 of 4 values are missing"):
        MIG().evaluate(np.zeros((4, 2)), factors)


def test_a_code_with_infinite_values_is_refused():
    z = np.zeros((4, 2))
    z[1, 1] = np.inf
    with pytest.raises(InputError, match="infinite"):
        MIG().evaluate(z, pd.DataFrame({"shape": [0, 1, 0, 1]}))
