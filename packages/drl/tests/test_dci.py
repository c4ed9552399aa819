"""DCI: the entropy scores on hand-made importance matrices, then the GBT estimate on
disentangled, mixed and noise codes, and the importance heatmap in the report."""

import itertools

import anndata
import matplotlib
import numpy as np
import pandas as pd
import pytest

from morphospace.core import tl
from morphospace.core.figures import FigureContext
from morphospace.drl.dci import DCI, completeness_per_factor, disentanglement

matplotlib.use("Agg")

SIZES = {"shape": 3, "size": 4, "hue": 5}
FAST = {"n_estimators": 10, "max_depth": 2}


def factor_grid(repeats: int = 2) -> pd.DataFrame:
    """Every combination of the factors' values, ``repeats`` times (120 rows)."""
    grid = np.array(list(itertools.product(*[range(k) for k in SIZES.values()])))
    return pd.DataFrame(np.repeat(grid, repeats, axis=0), columns=list(SIZES))


def disentangled_code(factors: pd.DataFrame, seed: int = 0) -> np.ndarray:
    return factors.to_numpy() + np.random.default_rng(seed).normal(0, 0.01, factors.shape)


def scores(z, factors, **params) -> dict[str, float]:
    return {k: m.value for k, m in DCI(**{**FAST, **params}).evaluate(z, factors).items()}


# ---------------------------------------------------------------- the entropy scores
def test_a_permutation_matrix_is_fully_disentangled_and_complete():
    importance = np.eye(3)[[2, 0, 1]]
    assert disentanglement(importance) == pytest.approx(1.0)
    assert completeness_per_factor(importance) == pytest.approx([1.0, 1.0, 1.0])


def test_one_dimension_serving_every_factor_is_complete_but_not_disentangled():
    importance = np.array([[0.5, 0.5], [0.0, 0.0]])
    assert disentanglement(importance) == pytest.approx(0.0)
    assert completeness_per_factor(importance) == pytest.approx([1.0, 1.0])


def test_uniform_importances_score_zero():
    importance = np.full((4, 3), 0.25)
    assert disentanglement(importance) == pytest.approx(0.0)
    assert completeness_per_factor(importance) == pytest.approx([0.0, 0.0, 0.0])


def test_dimensions_count_by_their_share_of_importance():
    # dimension 0 (importance 0.75) serves one factor; dimension 1 (0.25) both equally
    importance = np.array([[0.75, 0.0], [0.125, 0.125]])
    assert disentanglement(importance) == pytest.approx(0.75 / 1.0 * 1.0 + 0.25 * 0.0)


# ---------------------------------------------------------------- the estimate
def test_one_dimension_per_factor_scores_near_one():
    factors = factor_grid()
    result = scores(disentangled_code(factors), factors)
    assert result["dci_disentanglement"] > 0.9
    assert result["dci_completeness"] > 0.9
    assert result["dci_informativeness"] > 0.95


def test_a_code_mixing_every_factor_into_every_dimension_is_neither_d_nor_c():
    factors = factor_grid()
    codes = factors.to_numpy(dtype=float)
    mixing = np.eye(3) - 2 / 3  # a reflection: every dimension mixes every factor
    result = scores((codes - codes.mean(0)) / codes.std(0) @ mixing, factors)
    assert result["dci_disentanglement"] < 0.4
    assert result["dci_completeness"] < 0.4


def test_a_code_that_ignores_the_factors_predicts_near_chance():
    factors = factor_grid()
    z = np.random.default_rng(2).normal(size=(len(factors), 3))
    chance = np.mean([1 / k for k in SIZES.values()])  # 0.26
    assert scores(z, factors)["dci_informativeness"] < chance + 0.15


def test_importance_matrix_puts_each_factor_on_its_own_dimension():
    factors = factor_grid()
    importance, names = DCI(**FAST).importance_matrix(disentangled_code(factors), factors)
    assert names == list(SIZES)
    assert importance.shape == (3, 3)
    assert importance.argmax(axis=0).tolist() == [0, 1, 2]


def test_metrics_are_the_three_scores_and_two_per_factor():
    factors = factor_grid(repeats=1)
    expected = {"dci_disentanglement", "dci_completeness", "dci_informativeness"}
    expected |= {f"dci_{s}.{f}" for s in ("completeness", "informativeness") for f in SIZES}
    assert set(scores(disentangled_code(factors), factors)) == expected


def test_the_same_seed_gives_the_same_scores():
    factors = factor_grid(repeats=1)
    z = np.random.default_rng(4).normal(size=(len(factors), 3))
    assert scores(z, factors, seed=7) == scores(z, factors, seed=7)


# ---------------------------------------------------------------- report
def test_the_report_draws_the_importance_matrix_of_the_scored_rows():
    factors = factor_grid(repeats=1)
    adata = anndata.AnnData(
        obs=factors.astype(str).set_index(factors.index.astype(str)),
        obsm={"X_code": disentangled_code(factors)},
    )
    dci = DCI(**FAST)
    tl.evaluate(adata, dci, key_added="dci", z="X_code", factors=["shape", "size"])
    figures = dci.report_figures(FigureContext(adata, "dci"))
    assert len(figures) == 1
    title, fig = figures[0]
    assert "importance" in title
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["shape", "size"]
    matplotlib.pyplot.close(fig)


def test_no_figure_for_a_key_no_evaluation_wrote():
    adata = anndata.AnnData(obs=pd.DataFrame(index=[str(i) for i in range(4)]))
    assert DCI().report_figures(FigureContext(adata, "dci")) == []
