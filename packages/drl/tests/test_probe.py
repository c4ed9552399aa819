"""Probe: a separable label is read perfectly, a random one at chance, the same seed gives
the same scores, and a class too small for the folds is refused by name."""

import numpy as np
import pytest

from morphospace.core.errors import InputError
from morphospace.drl.probe import Probe

N = 60


def separable() -> tuple[np.ndarray, np.ndarray]:
    """Three classes of 20, set apart along dimension 0; dimensions 1-3 are noise."""
    rng = np.random.default_rng(0)
    labels = np.repeat(["disc", "ring", "star"], N // 3)
    z = rng.normal(size=(N, 4))
    z[:, 0] += 6 * np.repeat(np.arange(3), N // 3)
    return z, labels


def scores(z, labels, **params) -> dict[str, float]:
    probe = Probe(**{"n_folds": 2, **params})
    return {name: m.value for name, m in probe.evaluate(z, labels).items()}


def test_a_separable_label_is_read_perfectly_by_both_models():
    result = scores(*separable())
    for model in ("gbt", "mlp"):
        assert result[f"probe_{model}_accuracy"] == pytest.approx(1.0)
        assert result[f"probe_{model}_balanced_accuracy"] == pytest.approx(1.0)
        assert result[f"probe_{model}_accuracy_std"] == pytest.approx(0.0)


def test_a_random_label_is_read_at_chance():
    z, _ = separable()
    labels = np.random.default_rng(1).permutation(np.arange(N) % 3)
    result = scores(z, labels)
    for model in ("gbt", "mlp"):
        assert result[f"probe_{model}_balanced_accuracy"] < 1 / 3 + 0.2


def test_metrics_are_accuracy_and_balanced_accuracy_with_their_spread_per_model():
    probe = Probe(n_folds=2, models=("mlp",))
    metrics = probe.evaluate(*separable())
    assert set(metrics) == {
        "probe_mlp_accuracy",
        "probe_mlp_balanced_accuracy",
        "probe_mlp_accuracy_std",
        "probe_mlp_balanced_accuracy_std",
    }
    assert metrics["probe_mlp_accuracy"].higher_is_better
    assert not metrics["probe_mlp_accuracy_std"].higher_is_better


def test_the_same_seed_gives_the_same_scores():
    z, _ = separable()
    labels = np.random.default_rng(2).permutation(np.arange(N) % 2)  # binary: one tree a stage
    assert scores(z, labels, seed=5) == scores(z, labels, seed=5)


def test_the_trees_rely_on_the_dimension_that_separates_the_classes():
    importance = Probe(n_folds=2).gbt_importance(*separable())
    assert importance.shape == (4,)
    assert importance.sum() == pytest.approx(1.0)
    assert importance.argmax() == 0


def test_a_class_smaller_than_the_number_of_folds_is_refused_by_name():
    z, labels = separable()
    labels[:18] = "ring"  # leaves 2 discs
    with pytest.raises(InputError, match=r"class 'disc' has 2 member\(s\), fewer than n_folds=3"):
        scores(z, labels, n_folds=3)


def test_a_single_class_is_refused():
    z, _ = separable()
    with pytest.raises(InputError, match="at least 2 distinct classes"):
        scores(z, np.zeros(N, dtype=int))


def test_labels_of_another_length_are_refused():
    z, labels = separable()
    with pytest.raises(InputError, match="has 59 entries but the data has 60"):
        scores(z, labels[:-1])
