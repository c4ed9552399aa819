"""Reconstruction: L2 and per-pixel RMSE on hand-made cases, clear errors, conformance."""

import numpy as np
import pytest

from morphospace.core.errors import InputError
from morphospace.phendiff.reconstruction import Reconstruction


def scores(images, reconstructed):
    metrics = Reconstruction().evaluate(images=images, reconstructed=reconstructed)
    return {name: m.value for name, m in metrics.items()}


def test_a_perfect_reconstruction_scores_zero():
    images = np.random.default_rng(0).random((3, 2, 4, 4))
    assert scores(images, images.copy()) == {"l2": 0.0, "rmse_per_pixel": 0.0}


def test_matches_errors_computed_by_hand():
    # image 0 is off by 0.5 in 4 of its 8 values: L2 = sqrt(4 * 0.25) = 1
    # image 1 is off by 1 in 1 value: L2 = 1; image 2 is exact: L2 = 0
    images = np.zeros((3, 2, 2, 2))
    reconstructed = images.copy()
    reconstructed[0, 0] = 0.5
    reconstructed[1, 1, 0, 0] = -1.0
    result = scores(images, reconstructed)
    assert result["l2"] == pytest.approx(2 / 3)
    # squared errors: 4 * 0.25 + 1 = 2 over 24 values
    assert result["rmse_per_pixel"] == pytest.approx(np.sqrt(2 / 24))


def test_is_in_the_images_units_and_lower_is_better():
    images = np.zeros((2, 1, 3, 3))
    result = Reconstruction().evaluate(images=images, reconstructed=images + 2.0)
    assert result["rmse_per_pixel"].value == pytest.approx(2.0)
    assert result["l2"].value == pytest.approx(6.0)  # sqrt(9 * 4)
    assert not any(m.higher_is_better for m in result.values())


def test_a_shape_mismatch_is_an_input_error():
    with pytest.raises(InputError, match=r"reconstructed: expected the shape of images"):
        scores(np.zeros((2, 1, 4, 4)), np.zeros((2, 1, 4, 5)))


def test_a_nan_in_the_reconstruction_is_an_input_error():
    reconstructed = np.zeros((2, 1, 4, 4))
    reconstructed[1, 0, 2, 2] = np.nan
    with pytest.raises(InputError, match=r"reconstructed: contains 1 NaN"):
        scores(np.zeros((2, 1, 4, 4)), reconstructed)
