"""The pair sampler: exactly k factors change, uniformly chosen, each to a different value."""

import numpy as np
import pytest

from morphospace.core.errors import ConfigError, InputError
from morphospace.drl.pairs import PairSampler
from morphospace.drl.texture_dsprites import FACTOR_SIZES

# chi-square quantiles at 99.9 %, by degrees of freedom: a fair sampler fails 1 run in 1000
CHI2_999 = {3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46}


def chi_square(counts: np.ndarray) -> float:
    expected = counts.sum() / len(counts)
    return float(((counts - expected) ** 2 / expected).sum())


@pytest.mark.parametrize("k", range(1, 8))
def test_exactly_k_factors_change_and_changed_is_where_codes_differ(k):
    first, second, changed = PairSampler(FACTOR_SIZES, k=k).sample(2000, np.random.default_rng(k))
    assert first.shape == second.shape == changed.shape == (2000, 7)
    assert first.dtype == second.dtype == np.int64 and changed.dtype == bool
    np.testing.assert_array_equal(changed.sum(axis=1), k)
    np.testing.assert_array_equal(first != second, changed)
    assert (second >= 0).all() and (second < np.array(FACTOR_SIZES)).all()


def test_the_changed_factor_is_uniform_among_factors():
    _, _, changed = PairSampler(FACTOR_SIZES, k=1).sample(14000, np.random.default_rng(0))
    assert chi_square(changed.sum(axis=0)) < CHI2_999[6]


def test_a_changed_factor_takes_each_other_value_equally_often():
    first, second, changed = PairSampler((5, 3), k=1).sample(8000, np.random.default_rng(1))
    rows = changed[:, 0]
    shift = (second[rows, 0] - first[rows, 0]) % 5
    counts = np.bincount(shift, minlength=5)
    assert counts[0] == 0  # never the same value
    assert chi_square(counts[1:]) < CHI2_999[3]
    assert chi_square(np.bincount(first[:, 0], minlength=5)) < CHI2_999[4]


def test_a_two_valued_factor_always_flips():
    first, second, changed = PairSampler((2, 2, 2), k=2).sample(500, np.random.default_rng(2))
    np.testing.assert_array_equal(second[changed], 1 - first[changed])


def test_unknown_k_is_drawn_uniformly_from_one_to_k_max():
    sampler = PairSampler(FACTOR_SIZES, k=None, k_max=4)
    first, second, changed = sampler.sample(8000, np.random.default_rng(3))
    counts = changed.sum(axis=1)
    assert set(np.unique(counts)) == {1, 2, 3, 4}
    assert chi_square(np.bincount(counts)[1:]) < CHI2_999[3]
    np.testing.assert_array_equal(first != second, changed)


def test_factors_with_one_value_never_change():
    first, second, changed = PairSampler((4, 1, 3, 1), k=2).sample(300, np.random.default_rng(4))
    assert changed[:, [0, 2]].all() and not changed[:, [1, 3]].any()
    assert (first[:, [1, 3]] == 0).all() and (second[:, [1, 3]] == 0).all()


def test_the_same_seed_gives_the_same_pairs():
    sampler = PairSampler(FACTOR_SIZES, k=None, k_max=3)
    a = sampler.sample(100, np.random.default_rng(7))
    b = sampler.sample(100, np.random.default_rng(7))
    c = sampler.sample(100, np.random.default_rng(8))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(sampler.sample(5, 7)[0], sampler.sample(5, 7)[0])  # a seed


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"k": 8}, r"k=8 is larger than the number of factors, 7"),
        ({"k": None, "k_max": 9}, r"k_max=9 \(k=None\) is larger than the number of factors, 7"),
        ({"k": 0}, r"k: expected an integer >= 1, found 0"),
        ({"k": None, "k_max": 0}, r"k_max: expected an integer >= 1, found 0"),
        ({"k": 1.5}, r"k: expected an integer >= 1, found 1.5"),
    ],
)
def test_impossible_k_is_refused_naming_both_numbers(params, match):
    with pytest.raises(ConfigError, match=match):
        PairSampler(FACTOR_SIZES, **params)


def test_k_beyond_the_factors_that_can_change_is_refused():
    with pytest.raises(
        ConfigError, match=r"k=3 is larger than the number of factors that can change, 2"
    ):
        PairSampler((4, 1, 3), k=3)


def test_bad_factor_sizes_and_sample_counts_are_refused():
    with pytest.raises(ConfigError, match="at least 1 value"):
        PairSampler((3, 0))
    with pytest.raises(ConfigError, match="non-empty sequence of integers"):
        PairSampler(())
    with pytest.raises(InputError, match="positive number of pairs, found 0"):
        PairSampler(FACTOR_SIZES).sample(0, np.random.default_rng(0))
