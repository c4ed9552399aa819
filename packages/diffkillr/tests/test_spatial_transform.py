"""The torch spatial transformer agrees with core's Deformation; scaling and squaring does not fold."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from morphospace.core import Deformation  # noqa: E402
from morphospace.diffkillr import spatial_transform as st  # noqa: E402
from morphospace.diffkillr.diffeomorphisms import evaluate, rotation  # noqa: E402


def test_torch_warp_matches_core_deformation(cells):
    images = cells[0].astype(np.float64)
    field = np.repeat(evaluate(rotation((32, 32), 0.4), (32, 32))[None], len(images), 0)
    expected = Deformation(field).warp(images, padding="border")
    got = st.warp(torch.tensor(images), torch.tensor(field)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_scaling_and_squaring_of_a_small_velocity_does_not_fold():
    rng = np.random.default_rng(0)
    velocity = torch.tensor(rng.normal(0, 1.5, (4, 2, 32, 32)))
    velocity = torch.nn.functional.avg_pool2d(velocity, 5, 1, 2) * 3  # smooth, a few px
    field = st.scaling_and_squaring(velocity, steps=7).numpy()
    assert Deformation(field).folding_fraction() == 0


def test_the_same_field_used_directly_folds_where_the_exponential_does_not():
    rng = np.random.default_rng(1)
    velocity = torch.tensor(rng.normal(0, 1, (2, 2, 32, 32)))
    velocity = torch.nn.functional.avg_pool2d(velocity, 7, 1, 3) * 10
    assert Deformation(velocity.numpy()).folding_fraction() > 0.02
    assert Deformation(st.scaling_and_squaring(velocity, 8).numpy()).folding_fraction() == 0


def test_integrating_minus_the_velocity_inverts_the_map():
    rng = np.random.default_rng(2)
    velocity = torch.nn.functional.avg_pool2d(
        torch.tensor(rng.normal(0, 2, (1, 2, 32, 32))), 7, 1, 3
    )
    forward = st.scaling_and_squaring(velocity, 7)
    backward = st.scaling_and_squaring(-velocity, 7)
    residual = st.compose(forward, backward)[..., 4:-4, 4:-4].abs()
    assert residual.mean() < 0.05 and residual.max() < 0.2  # bilinear resampling error


def test_dice_loss_is_zero_for_equal_masks_and_one_for_disjoint_ones():
    a = torch.zeros(1, 1, 4, 4)
    a[..., :2, :] = 1
    assert float(st.dice_loss(a, a)) == pytest.approx(0, abs=1e-6)
    assert float(st.dice_loss(a, 1 - a)) == pytest.approx(1, abs=1e-6)
    assert float(st.dice_loss(a, a * 0.5)) == pytest.approx(1 - 1 / 1.5, abs=1e-5)
