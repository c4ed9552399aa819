"""Each diffeomorphism returns the exact field that produced the deformed image."""

import numpy as np
import pytest

from morphospace.core import Deformation
from morphospace.diffkillr import diffeomorphisms as D


@pytest.mark.parametrize("kind", D.KINDS)
def test_returned_field_reproduces_the_deformed_image_and_labels(kind, cells):
    images, masks = cells
    batch = D.DiffeomorphismSampler([kind])(images, masks, rng=1)
    deformation = Deformation(batch.fields)
    np.testing.assert_allclose(deformation.warp(images, padding="border"), batch.images, atol=1e-5)
    np.testing.assert_array_equal(deformation.warp(masks, interpolation="nearest"), batch.labels)
    assert batch.kinds == [kind] * len(images)


@pytest.mark.parametrize("kind", D.KINDS)
def test_every_kind_is_a_diffeomorphism_without_folding(kind, cells):
    batch = D.DiffeomorphismSampler([kind])(cells[0], cells[1], rng=2)
    assert Deformation(batch.fields).folding_fraction() == 0


def test_labels_keep_their_values_under_nearest_warping(cells):
    labels = cells[1] * 7
    batch = D.DiffeomorphismSampler()(cells[0], labels, rng=3)
    assert set(np.unique(batch.labels)) <= {0, 7}


def test_rotation_turns_an_axis_by_its_angle():
    mask = np.zeros((33, 33))
    mask[15:18, 6:27] = 1
    field = D.evaluate(D.rotation((33, 33), 0.5), (33, 33))[None]
    rotated = Deformation(field).warp(mask[None, None], interpolation="nearest")[0, 0]
    assert D.principal_axis(rotated) == pytest.approx(0.5, abs=0.05)


def test_volume_preserving_stretch_keeps_the_area():
    field = D.evaluate(D.volume_preserving_stretch((32, 32), 0.4, 1.3), (32, 32))[None]
    assert np.allclose(Deformation(field).jacobian_determinant()[0, 2:-2, 2:-2], 1, atol=1e-6)


def test_partial_stretch_leaves_the_other_side_of_the_cut_unchanged():
    field = D.evaluate(D.partial_stretch((32, 32), 0.0, 1.4, offset=0.0), (32, 32))
    assert np.all(field[:, :, :16] == 0)  # columns left of the centre
    assert np.abs(field[:, :, 20:]).max() > 0


def test_compose_matches_warping_twice(cells):
    image = cells[0][:1].astype(float)
    outer = D.rotation((32, 32), 0.3)
    inner = D.uniform_stretch((32, 32), 1.2)
    twice = Deformation(D.evaluate(outer, (32, 32))[None]).warp(
        Deformation(D.evaluate(inner, (32, 32))[None]).warp(image, padding="border"),
        padding="border",
    )
    once = Deformation(D.evaluate(D.compose(outer, inner), (32, 32))[None]).warp(
        image, padding="border"
    )
    assert np.abs(twice - once)[..., 6:-6, 6:-6].mean() < 0.02


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="subset"):
        D.DiffeomorphismSampler(["twist"])


def test_labels_that_do_not_match_images_are_rejected(cells):
    with pytest.raises(ValueError, match="do not match"):
        D.DiffeomorphismSampler()(cells[0], cells[1][:, :, :16])


def test_translation_shifts_the_content():
    image = np.zeros((1, 1, 16, 16))
    image[0, 0, 5, 7] = 1
    field = D.evaluate(D.translation((2, -3)), (16, 16))[None]
    moved = Deformation(field).warp(image, interpolation="nearest")
    assert moved[0, 0, 7, 4] == 1 and moved.sum() == 1


def test_sampler_with_translation_still_returns_the_exact_field(cells):
    batch = D.DiffeomorphismSampler(max_translation=3)(cells[0], cells[1], rng=4)
    np.testing.assert_array_equal(
        Deformation(batch.fields).warp(cells[1], interpolation="nearest"), batch.labels
    )
