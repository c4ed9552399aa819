"""Purity, ARI and NMI."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from morphospace.core import registry
from morphospace.core.errors import InputError


def evaluate(name, true, pred, **params):
    return registry.create("evaluator", f"dmlcluster.{name}", **params).evaluate(
        labels_true=np.asarray(true), labels_pred=np.asarray(pred)
    )


def test_purity_of_a_known_case():
    # Manning et al. (2008), figure 16.4: three clusters of 17 points, purity 12/17.
    true = list("xxxxxoxooooqxxqqq")
    pred = [0] * 6 + [1] * 6 + [2] * 5
    assert evaluate("purity", true, pred)["purity"].value == pytest.approx(12 / 17)


def test_purity_is_one_for_one_cluster_per_cell_and_majority_share_for_one_cluster():
    true = ["a", "a", "a", "b"]
    assert evaluate("purity", true, [0, 1, 2, 3])["purity"].value == 1.0
    assert evaluate("purity", true, [0, 0, 0, 0])["purity"].value == 0.75


def test_purity_is_higher_is_better():
    assert evaluate("purity", [1, 2], [1, 2])["purity"].higher_is_better


@pytest.mark.parametrize(
    ("name", "reference"),
    [("ari", adjusted_rand_score), ("nmi", normalized_mutual_info_score)],
)
def test_ari_and_nmi_agree_with_scikit_learn(name, reference):
    rng = np.random.default_rng(0)
    true, pred = rng.integers(0, 4, 200), rng.integers(0, 6, 200)
    pred[:100] = true[:100]
    assert evaluate(name, true, pred)[name].value == pytest.approx(reference(true, pred))


def test_nmi_average_method_is_passed_on():
    true, pred = [0, 0, 1, 1, 2], [0, 0, 1, 1, 1]
    value = evaluate("nmi", true, pred, average_method="max")["nmi"].value
    assert value == pytest.approx(normalized_mutual_info_score(true, pred, average_method="max"))


def test_labels_of_different_length_are_refused():
    with pytest.raises(InputError, match="labels_pred: has 2 entries but the data has 3 samples"):
        evaluate("purity", [0, 1, 1], [0, 1])


def test_missing_true_labels_are_refused():
    with pytest.raises(InputError, match="labels_true: 1 of 3 labels are missing"):
        evaluate("ari", np.array([0.0, np.nan, 1.0]), [0, 1, 1])
