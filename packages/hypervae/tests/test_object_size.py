"""The label-free object-thickness estimate and the automatic patch size built on it."""

import numpy as np
import pytest

from morphospace.hypervae.object_size import (
    MAX_AUTO_PATCH,
    MIN_AUTO_PATCH,
    PATCH_PER_THICKNESS,
    auto_patch_size,
    estimate_object_thickness,
)


def balls(radius: float, shape=(32, 64, 64), centres=((16, 16, 16), (16, 44, 40)), flatten=1.0):
    """Bright ellipsoids (z semi-axis ``radius * flatten``) on a dark noisy background."""
    grid = np.indices(shape)
    volume = np.full(shape, 0.1)
    semi = np.array([radius * flatten, radius, radius])
    for centre in centres:
        inside = sum(((g - c) / a) ** 2 for g, c, a in zip(grid, centre, semi, strict=True)) <= 1
        volume[inside] = 1.0
    noise = np.random.default_rng(0).normal(0, 0.05, shape)
    return (volume + noise)[None, None].astype(np.float32)


@pytest.mark.parametrize("radius", [4, 7, 10])
def test_the_thickness_of_balls_is_their_diameter(radius):
    assert estimate_object_thickness(balls(radius)) == pytest.approx(2 * radius, abs=1.5)


def test_a_flattened_nucleus_counts_by_its_short_axis():
    assert estimate_object_thickness(balls(10, flatten=0.5)) == pytest.approx(10, abs=1.5)


def test_a_flat_volume_has_no_objects():
    assert estimate_object_thickness(np.ones((1, 1, 16, 16, 16), np.float32)) is None
    assert auto_patch_size(np.ones((1, 1, 16, 16, 16), np.float32), default=5) == 5


def test_channels_are_averaged_and_volumes_pooled():
    one = balls(6)
    two_channels = np.concatenate([one, one], axis=1)
    assert estimate_object_thickness(two_channels) == estimate_object_thickness(one)
    assert estimate_object_thickness(np.concatenate([one, balls(6)])) == pytest.approx(12, abs=1.5)


def test_the_automatic_patch_follows_the_thickness_within_bounds():
    thickness = estimate_object_thickness(balls(10))
    assert auto_patch_size(balls(10)) == round(PATCH_PER_THICKNESS * thickness)
    assert auto_patch_size(balls(1.5)) == MIN_AUTO_PATCH  # tiny objects: the smallest patch
    big = balls(40, shape=(96, 96, 96), centres=((48, 48, 48),))
    assert auto_patch_size(big) == MAX_AUTO_PATCH
    # never more than half the smallest axis: the triplet loss needs a 2x parent patch
    shallow = balls(20, shape=(12, 64, 64), centres=((6, 32, 32),))
    assert round(PATCH_PER_THICKNESS * estimate_object_thickness(shallow)) > 6
    assert auto_patch_size(shallow) == 6


def test_the_segmenter_resolves_auto_from_its_training_volumes_and_saves_it(tmp_path):
    from morphospace.hypervae.segmentation import HierarchicalSegmenter

    volume = balls(10)
    segmenter = HierarchicalSegmenter(
        training={"n_steps": 2}, hidden_channels=4, n_clusters=(2,), stride=4, n_init=1
    )
    assert segmenter.config.patch_size == "auto"
    segmenter.fit(volume)
    assert segmenter.patch_size_ == auto_patch_size(volume) == segmenter.vae_.config.patch_size
    labels = segmenter.segment(volume).label_maps
    assert labels.shape == (1, 1, *volume.shape[2:])
    segmenter.save(tmp_path / "segmenter")
    loaded = HierarchicalSegmenter.load(tmp_path / "segmenter")
    assert loaded.config.patch_size == "auto" and loaded.patch_size_ == segmenter.patch_size_
    np.testing.assert_array_equal(loaded.segment(volume).label_maps, labels)
