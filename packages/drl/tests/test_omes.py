"""OMES: one-factor pairs are found in the data; a disentangled code scores 1; a dimension
shared by two factors lowers only the overlap, a factor spread over two dimensions only
the multiple encoding; inactive dimensions and row order change nothing."""

import itertools
import warnings

import anndata
import matplotlib
import numpy as np
import pandas as pd
import pytest

from morphospace.core import tl
from morphospace.core.errors import InputError
from morphospace.core.figures import FigureContext
from morphospace.drl.factor_heatmap import scored_inputs
from morphospace.drl.omes import OMES, one_factor_pairs, overlap_and_multiple_encoding

matplotlib.use("Agg")

SIZES = {"shape": 4, "size": 4, "hue": 3}


def factor_grid(repeats: int = 2) -> pd.DataFrame:
    """Every combination of the factors' values, ``repeats`` times (96 rows)."""
    grid = np.array(list(itertools.product(*[range(k) for k in SIZES.values()])))
    return pd.DataFrame(np.repeat(grid, repeats, axis=0), columns=list(SIZES))


def code(*columns: np.ndarray, seed: int = 0) -> np.ndarray:
    """The columns side by side, plus a little noise (as an encoder's posterior means)."""
    z = np.column_stack(columns).astype(float)
    return z + np.random.default_rng(seed).normal(0, 0.01, z.shape)


def scores(z, factors, **params) -> dict[str, float]:
    return {name: m.value for name, m in OMES(**params).evaluate(z, factors).items()}


@pytest.fixture
def factors() -> pd.DataFrame:
    return factor_grid()


# ---------------------------------------------------------------- pairs
def test_pairs_are_exactly_the_rows_that_differ_in_that_factor_alone():
    codes = np.random.default_rng(0).integers(0, 2, size=(30, 3))
    first, second = one_factor_pairs(codes, 1, max_pairs=10_000, rng=None)
    found = set(zip(first.tolist(), second.tolist(), strict=True))
    expected = {
        (i, j)
        for i in range(30)
        for j in range(30)
        if (codes[i] != codes[j]).tolist() == [False, True, False]
    }
    assert found == expected


def test_at_most_max_pairs_are_drawn_each_differing_in_the_factor_alone(factors):
    codes = factors.to_numpy()
    first, second = one_factor_pairs(codes, 0, max_pairs=50, rng=np.random.default_rng(0))
    assert len(first) == 50
    changed = codes[first] != codes[second]
    assert changed[:, 0].all() and not changed[:, 1:].any()


def test_no_one_factor_pair_is_refused_naming_the_generator_option():
    factors = pd.DataFrame({"shape": [0, 1, 2, 3], "size": [0, 1, 2, 3]})
    with pytest.raises(InputError, match=r"one_factor_pairs=True"):
        OMES().evaluate(np.random.default_rng(0).normal(size=(4, 2)), factors)


def test_a_factor_without_pairs_is_left_out_with_a_warning():
    # hue changes only together with shape: no pair differs in hue alone
    factors = pd.DataFrame({"shape": [0, 1, 0, 1, 2, 2], "hue": [0, 1, 0, 1, 1, 1]})
    factors["size"] = [0, 0, 1, 1, 0, 1]
    z = code(factors["shape"], factors["size"], factors["hue"])
    with pytest.warns(UserWarning, match="'hue'"):
        result = scores(z, factors)
    assert "omes.hue" not in result and "omes.shape" in result


# ---------------------------------------------------------------- known answers
def test_one_dimension_per_factor_scores_one(factors):
    result = scores(code(factors["shape"], factors["size"], factors["hue"]), factors)
    assert result["omes"] == pytest.approx(1.0, abs=1e-3)
    assert result["omes_overlap"] == pytest.approx(1.0, abs=1e-3)
    assert result["omes_multiple_encoding"] == pytest.approx(1.0, abs=1e-3)


def test_a_code_mixing_every_factor_into_every_dimension_scores_clearly_lower(factors):
    codes = factors.to_numpy(dtype=float)
    mixing = np.eye(3) - 2 / 3  # a reflection: every dimension mixes every factor
    z = code(*((codes - codes.mean(0)) / codes.std(0) @ mixing).T)
    assert scores(z, factors)["omes"] < 0.6


def test_a_binary_factor_that_flips_its_dimension_counts_as_fully_encoded():
    # across a pair that must differ, a binary factor's dimension is anti-correlated
    factors = pd.DataFrame({"on": [0, 1] * 8, "level": np.repeat(np.arange(4), 4)})
    z = code(factors["on"], factors["level"])
    association, names, _ = OMES().association_matrix(z, factors)
    assert names == ["on", "level"]
    assert association[0, 0] == pytest.approx(1.0)
    assert association[0, 1] < 0.01


def test_one_dimension_shared_by_two_factors_lowers_overlap_not_multiple_encoding(factors):
    z = code(factors["shape"] + factors["size"], factors["hue"])
    result = scores(z, factors)
    assert result["omes_overlap"] < 0.85
    assert result["omes_multiple_encoding"] == pytest.approx(1.0, abs=0.01)


def test_one_factor_spread_over_two_dimensions_lowers_multiple_encoding_not_overlap(factors):
    z = code(factors["shape"], factors["shape"], factors["size"], factors["hue"])
    result = scores(z, factors)
    assert result["omes_multiple_encoding"] < 0.95
    assert result["omes_overlap"] == pytest.approx(1.0, abs=0.01)
    assert result["omes.shape"] < result["omes.size"] == pytest.approx(1.0, abs=0.01)


def test_a_factor_no_dimension_encodes_scores_zero(factors):
    result = scores(code(factors["shape"], factors["size"]), factors)
    assert result["omes.hue"] == pytest.approx(0.0, abs=0.01)
    assert result["omes.shape"] == pytest.approx(1.0, abs=0.01)


def test_alpha_weighs_overlap_against_multiple_encoding(factors):
    z = code(factors["shape"] + factors["size"], factors["hue"])
    result = scores(z, factors, alpha=0.25)
    expected = 0.25 * result["omes_overlap"] + 0.75 * result["omes_multiple_encoding"]
    assert result["omes"] == pytest.approx(expected)


def test_the_scores_of_a_hand_made_association_matrix():
    # dimension 0 moves with both factors equally, dimension 1 with neither
    overlap, multiple = overlap_and_multiple_encoding(np.array([[1.0, 1.0], [0.0, 0.0]]))
    # row [1, 1] is |.|_1 = 1 away from each one-hot: 1 - 1/2; column [1, 0] is one-hot
    assert overlap == pytest.approx([0.5, 0.5])
    assert multiple == pytest.approx([1.0, 1.0])


# ---------------------------------------------------------------- invariances
def test_a_constant_dimension_is_inactive_and_changes_nothing(factors):
    z = code(factors["shape"] + factors["size"], factors["hue"])
    with_constant = np.column_stack([z[:, :1], np.full(len(z), 3.0), z[:, 1:]])
    assert scores(with_constant, factors) == scores(z, factors)
    _, _, active = OMES().association_matrix(with_constant, factors)
    assert active.tolist() == [0, 2]


def test_row_order_does_not_matter(factors):
    z = code(factors["shape"] + factors["size"], factors["shape"], factors["hue"])
    order = np.random.default_rng(5).permutation(len(z))
    shuffled = scores(z[order], factors.iloc[order].reset_index(drop=True))
    assert shuffled == pytest.approx(scores(z, factors))


def test_subsampled_pairs_are_seeded_and_close_to_all_pairs(factors):
    z = code(factors["shape"] + factors["size"], factors["hue"])
    few = scores(z, factors, max_pairs=60, seed=3)
    assert few == scores(z, factors, max_pairs=60, seed=3)
    assert few["omes"] == pytest.approx(scores(z, factors)["omes"], abs=0.05)


def test_a_collapsed_code_scores_zero_with_a_warning(factors):
    z = np.random.default_rng(0).normal(0, 0.01, (len(factors), 3))
    with pytest.warns(UserWarning, match="active_threshold"):
        assert scores(z, factors)["omes"] == 0.0


# ---------------------------------------------------------------- report
def test_the_report_draws_the_association_matrix_of_the_scored_rows(factors):
    adata = anndata.AnnData(
        obs=factors.set_index(factors.index.astype(str)).assign(train=np.arange(96) % 2 == 0),
        obsm={"X_code": code(factors["shape"], factors["size"], factors["hue"])},
    )
    omes = OMES()
    columns = ["shape", "size", "hue"]
    tl.evaluate(adata, omes, key_added="omes", where="~train", z="code", factors=columns)
    context = FigureContext(adata, "omes")
    z, scored = scored_inputs(context)  # the rows the step scored: the held-out half
    assert z.shape == (48, 3) and scored.columns.tolist() == columns
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the held-out half still has pairs for every factor
        figures = omes.report_figures(context)
    assert len(figures) == 1
    _, fig = figures[0]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == columns
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0", "1", "2"]
    matplotlib.pyplot.close(fig)
