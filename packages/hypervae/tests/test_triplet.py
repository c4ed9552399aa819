"""Multi-scale triplets have the promised geometry; the margin is used."""

import numpy as np
import pytest
import torch

from morphospace.core.errors import InputError
from morphospace.hypervae.triplet import (
    check_volume_size,
    hierarchical_triplet_loss,
    sample_triplets,
)


def _coordinate_volume(size):
    """A 3-channel volume whose channels hold each voxel's z, y, x coordinates."""
    return np.indices((size, size, size)).astype(np.float32)[None]


def test_positive_is_the_centre_of_the_parent_and_negative_lies_outside(rng):
    patch, size = 4, 16
    volume = _coordinate_volume(size)
    anchors, positives, negatives = sample_triplets(volume, patch, 50, rng)
    assert anchors.shape == positives.shape == negatives.shape == (50, 3, patch, patch, patch)
    # the anchor is a 2P parent pooled by 2: its mean coordinate is the parent's centre,
    # which is the positive's centre
    np.testing.assert_allclose(
        anchors.mean(axis=(2, 3, 4)), positives.mean(axis=(2, 3, 4)), atol=1e-5
    )
    parent_lo = positives.min(axis=(2, 3, 4)) - patch // 2
    parent_hi = parent_lo + 2 * patch - 1
    neg_lo, neg_hi = negatives.min(axis=(2, 3, 4)), negatives.max(axis=(2, 3, 4))
    disjoint = ((neg_hi < parent_lo) | (neg_lo > parent_hi)).any(axis=1)
    assert disjoint.all()


@pytest.mark.parametrize("margin", [0.0, 0.5, 2.0])
def test_margin_is_used(margin):
    a = torch.zeros(3, 2)
    p = torch.tensor([[0.1, 0.0]] * 3)
    n = torch.tensor([[0.0, 1.0]] * 3)

    def distance(x, y):
        return (x - y).norm(dim=-1)

    loss = hierarchical_triplet_loss(a, p, n, margin, distance)
    assert float(loss) == pytest.approx(max(0.0, 0.1 - 1.0 + margin))


def test_volume_smaller_than_a_parent_patch_is_refused():
    with pytest.raises(InputError, match="smaller than the parent patch"):
        check_volume_size((12, 16, 16), 8, need_negatives=False)


def test_volume_without_room_for_negatives_is_refused_only_with_the_triplet_loss():
    check_volume_size((16, 16, 16), 8, need_negatives=False)
    with pytest.raises(InputError, match="negative"):
        check_volume_size((16, 16, 16), 8, need_negatives=True)
