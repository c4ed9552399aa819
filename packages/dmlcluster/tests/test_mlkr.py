"""MLKR on class labels: codes for two classes, one-hot vectors for more."""

import numpy as np
from scipy.optimize import check_grad

from morphospace.dmlcluster.mlkr import MLKREncoder, _one_hot_mlkr_class


def _loss_parts(model, x, codes):
    def value(flat):
        model.n_iter_ = 0
        return model._loss(flat, x, codes)[0]

    def grad(flat):
        model.n_iter_ = 0
        return model._loss(flat, x, codes)[1]

    return value, grad


def test_one_hot_loss_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    codes = rng.integers(0, 3, 30).astype(float)
    model = _one_hot_mlkr_class()()
    value, grad = _loss_parts(model, x, codes)
    flat = rng.normal(0, 0.5, 8)  # a 2 x 4 map
    assert check_grad(value, grad, flat) < 1e-5 * max(1.0, np.abs(grad(flat)).max())


def test_one_hot_loss_on_two_classes_is_twice_the_codes_loss():
    # With targets y and 1 - y, both outputs have the same squared error.
    from morphospace.dmlcluster.metric_learn_compat import import_metric_learn

    rng = np.random.default_rng(1)
    x = rng.normal(size=(25, 3))
    codes = rng.integers(0, 2, 25).astype(float)
    flat = rng.normal(0, 0.5, 9)
    onehot_model, codes_model = _one_hot_mlkr_class()(), import_metric_learn().MLKR()
    onehot_model.n_iter_ = codes_model.n_iter_ = 0
    cost_onehot, grad_onehot = onehot_model._loss(flat, x, codes)
    cost_codes, grad_codes = codes_model._loss(flat, x, codes)
    np.testing.assert_allclose(cost_onehot, 2 * cost_codes)
    np.testing.assert_allclose(grad_onehot, 2 * grad_codes)


def test_auto_targets_are_one_hot_for_three_classes(separable):
    x, y = separable
    auto = MLKREncoder(max_iter=5).fit(x, y).components_
    onehot = MLKREncoder(max_iter=5, targets="onehot").fit(x, y).components_
    codes = MLKREncoder(max_iter=5, targets="codes").fit(x, y).components_
    np.testing.assert_allclose(auto, onehot)
    assert not np.allclose(auto, codes)


def test_auto_targets_are_codes_for_two_classes(separable):
    x, y = separable
    x, y = x[y != "c"], y[y != "c"]
    auto = MLKREncoder(max_iter=5).fit(x, y).components_
    codes = MLKREncoder(max_iter=5, targets="codes").fit(x, y).components_
    np.testing.assert_allclose(auto, codes)
