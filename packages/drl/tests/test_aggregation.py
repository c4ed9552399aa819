"""The weak-supervision arithmetic pinned against values computed by hand.

The PyTorch ports of Ada-GVAE get this wrong in two known ways: one takes the threshold
over the whole batch instead of per pair, another passes log-variances where standard
deviations belong and swaps the KL arguments. Each test below would catch one of them.
"""

import math

import pytest
import torch

from morphospace.drl import aggregation


def _t(*rows):
    return torch.tensor(rows, dtype=torch.float64)


def test_kl_between_two_gaussians_matches_the_closed_form_by_hand():
    # KL(N(0, 1) || N(1, 4)) = 0.5 * (log 4 + (1 + 1) / 4 - 1)
    kl = aggregation.gaussian_kl(_t([0.0]), _t([0.0]), _t([1.0]), _t([math.log(4.0)]))
    assert kl.item() == pytest.approx(0.5 * (math.log(4.0) + 0.5 - 1.0))
    assert kl.item() == pytest.approx(0.4431471805599453)


def test_kl_is_taken_from_the_first_posterior_to_the_second():
    # the reverse, KL(N(1, 4) || N(0, 1)) = 0.5 * (-log 4 + (4 + 1) / 1 - 1), is larger
    reverse = aggregation.gaussian_kl(_t([1.0]), _t([math.log(4.0)]), _t([0.0]), _t([0.0]))
    assert reverse.item() == pytest.approx(0.5 * (-math.log(4.0) + 4.0))
    assert reverse.item() == pytest.approx(1.3068528194400546)


def test_kl_takes_log_variances_not_standard_deviations():
    # logvar = log(4) means sd 2; reading it as an sd of 1.386 would give another value
    kl = aggregation.gaussian_kl(_t([0.0]), _t([math.log(4.0)]), _t([0.0]), _t([0.0]))
    assert kl.item() == pytest.approx(0.5 * (-math.log(4.0) + 4.0 - 1.0))


def test_kl_to_the_prior_is_zero_at_the_prior_and_matches_by_hand():
    assert aggregation.kl_to_standard_normal(_t([0.0]), _t([0.0])).item() == 0.0
    # N(1, e): 0.5 * (1 + e - 1 - 1)
    value = aggregation.kl_to_standard_normal(_t([1.0]), _t([1.0])).item()
    assert value == pytest.approx(0.5 * (math.e - 1.0))


def test_the_threshold_is_halfway_between_each_pairs_own_min_and_max():
    delta = _t([0.1, 0.2, 5.0], [10.0, 11.0, 30.0])
    shared = aggregation.adaptive_shared(delta)
    # pair 0: threshold 2.55; pair 1: threshold 20
    assert shared.tolist() == [[True, True, False], [True, True, False]]


def test_a_batch_where_per_batch_and_per_pair_thresholds_disagree():
    delta = _t([0.1, 0.2, 5.0], [10.0, 11.0, 30.0])
    batch_threshold = 0.5 * (delta.min() + delta.max())  # 15.05: what the wrong port does
    assert (delta < batch_threshold).tolist()[0] == [True, True, True]
    assert aggregation.adaptive_shared(delta).tolist()[0] == [True, True, False]


def test_a_pair_with_equal_deltas_shares_nothing():
    # min == max: nothing lies strictly below the midpoint
    assert not aggregation.adaptive_shared(_t([1.0, 1.0, 1.0])).any()


def test_known_changed_factors_keep_their_own_dimensions():
    changed = torch.tensor([[False, True, False], [True, False, True]])
    shared = aggregation.labelled_shared(changed, latent_dim=5)
    assert shared.tolist() == [
        [True, False, True, True, True],
        [False, True, False, True, True],
    ]


def test_gvae_averages_means_and_variances():
    mu, logvar = aggregation.combine(_t([0.0]), _t([0.0]), _t([1.0]), _t([math.log(4.0)]))
    assert mu.item() == pytest.approx(0.5)
    assert logvar.exp().item() == pytest.approx(2.5)


def test_ml_vae_multiplies_the_two_gaussians():
    mu, logvar = aggregation.combine(
        _t([0.0]), _t([0.0]), _t([1.0]), _t([math.log(4.0)]), how="ml_vae"
    )
    # precision 1 + 1/4 = 1.25: variance 0.8, mean 0.8 * (0 / 1 + 1 / 4) = 0.2
    assert logvar.exp().item() == pytest.approx(0.8)
    assert mu.item() == pytest.approx(0.2)


def test_an_unknown_combination_is_refused():
    with pytest.raises(ValueError, match="'gvae' or 'ml_vae'"):
        aggregation.combine(_t([0.0]), _t([0.0]), _t([0.0]), _t([0.0]), how="mean")


def test_only_shared_dimensions_are_replaced():
    mu1, logvar1 = _t([0.0, 0.0]), _t([0.0, 0.0])
    mu2, logvar2 = _t([2.0, 4.0]), _t([0.0, 0.0])
    shared = torch.tensor([[True, False]])
    (m1, v1), (m2, v2) = aggregation.aggregate(mu1, logvar1, mu2, logvar2, shared)
    assert m1.tolist() == [[1.0, 0.0]]
    assert m2.tolist() == [[1.0, 4.0]]
    assert v1.tolist() == v2.tolist() == [[0.0, 0.0]]


def test_gradients_flow_through_the_shared_posterior():
    mu1 = _t([0.0, 0.0]).requires_grad_()
    mu2 = _t([2.0, 4.0]).requires_grad_()
    logvar = _t([0.0, 0.0])
    (m1, _), _ = aggregation.aggregate(mu1, logvar, mu2, logvar, torch.tensor([[True, False]]))
    m1.sum().backward()
    assert mu1.grad.tolist() == [[0.5, 1.0]]
    assert mu2.grad.tolist() == [[0.5, 0.0]]
