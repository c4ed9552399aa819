"""Deformation: pull-back warping, nearest for labels, Jacobian and folding."""

import numpy as np
import pytest

from morphospace.core import Deformation
from morphospace.core.errors import InputError


def _image(n=1, h=6, w=7):
    return np.arange(n * h * w, dtype=float).reshape(n, 1, h, w)


def test_identity_warp_returns_the_image():
    image = _image()
    np.testing.assert_allclose(Deformation.identity(1, 6, 7).warp(image), image)


def test_integer_shift_pulls_from_the_displaced_pixel():
    image = _image()
    field = np.zeros((1, 2, 6, 7))
    field[:, 1] = 2.0  # read two columns to the right
    warped = Deformation(field).warp(image)
    np.testing.assert_allclose(warped[..., :5], image[..., 2:])
    np.testing.assert_allclose(warped[..., 5:], 0)  # zeros padding


def test_border_padding_repeats_the_edge():
    image = _image()
    field = np.zeros((1, 2, 6, 7))
    field[:, 1] = 2.0
    warped = Deformation(field).warp(image, padding="border")
    np.testing.assert_allclose(warped[..., 5:], image[..., 6:7].repeat(2, axis=-1))


def test_bilinear_half_pixel_is_the_mean_of_neighbours():
    image = _image()
    field = np.zeros((1, 2, 6, 7))
    field[:, 0] = 0.5
    warped = Deformation(field).warp(image)
    np.testing.assert_allclose(warped[0, 0, :5], (image[0, 0, :5] + image[0, 0, 1:6]) / 2)


def test_nearest_keeps_label_values_and_dtype():
    labels = np.random.default_rng(0).integers(0, 4, (2, 1, 8, 8)).astype(np.uint8)
    field = np.random.default_rng(1).normal(0, 1.5, (2, 2, 8, 8))
    warped = Deformation(field).warp(labels, interpolation="nearest")
    assert warped.dtype == np.uint8
    assert set(np.unique(warped)) <= set(np.unique(labels)) | {0}


def test_one_field_warps_a_batch():
    images = _image(n=3)
    field = np.zeros((1, 2, 6, 7))
    assert Deformation(field).warp(images).shape == (3, 1, 6, 7)


def test_jacobian_of_a_smooth_map_is_positive_and_folding_is_detected():
    smooth = np.zeros((1, 2, 10, 10))
    smooth[:, 1] = 0.1 * np.arange(10)[None, :]  # uniform stretch by 10%
    deformation = Deformation(smooth)
    np.testing.assert_allclose(deformation.jacobian_determinant(), 1.1)
    assert deformation.folding_fraction() == 0.0
    folded = np.zeros((1, 2, 10, 10))
    folded[:, 1] = -2.0 * np.arange(10)[None, :]  # columns map in reverse order
    assert Deformation(folded).folding_fraction() == 1.0


def test_bad_fields_and_images_are_refused():
    with pytest.raises(InputError, match="expected 2 channel"):
        Deformation(np.zeros((1, 3, 4, 4)))
    with pytest.raises(InputError, match="4-D array"):
        Deformation(np.zeros((2, 4, 4)))
    with pytest.raises(
        InputError, match="spatial shape \\(5, 5\\) but the deformation field has \\(4, 4\\)"
    ):
        Deformation.identity(1, 4, 4).warp(np.zeros((1, 1, 5, 5)))
    with pytest.raises(InputError, match="interpolation must be one of bilinear, nearest"):
        Deformation.identity(1, 4, 4).warp(np.zeros((1, 1, 4, 4)), interpolation="cubic")
