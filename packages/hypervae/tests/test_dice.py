"""Dice and IoU after Hungarian matching, per level."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import InputError
from morphospace.hypervae.dice import Dice, matched_labels, overlap_scores


def test_a_relabelled_perfect_segmentation_scores_one():
    truth = np.random.default_rng(0).integers(0, 3, (2, 2, 4, 4, 4))
    permuted = np.array([2, 0, 1])[truth]
    metrics = Dice().evaluate(truth=truth, segmentation=permuted)
    for level in (1, 2):
        assert metrics[f"dice_level{level}"].value == pytest.approx(1.0)
        assert metrics[f"iou_level{level}"].value == pytest.approx(1.0)
    assert metrics["dice_mean"].higher_is_better


def test_hand_computed_scores():
    truth = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    pred = np.array([5, 5, 5, 7, 7, 7, 7, 7])
    dice, iou, ids, matched = overlap_scores(truth, pred)
    # cluster 5 -> class 0: 2*3/(3+4); cluster 7 -> class 1: 2*4/(5+4)
    np.testing.assert_allclose(dice, [6 / 7, 8 / 9])
    np.testing.assert_allclose(iou, [3 / 4, 4 / 5])
    np.testing.assert_array_equal(ids, [0, 1])
    assert matched.all()


def test_a_class_without_a_cluster_scores_zero():
    truth = np.array([0, 0, 1, 1, 2, 2])
    pred = np.zeros(6, int)
    dice, _, _, matched = overlap_scores(truth, pred)
    assert sorted(dice)[:2] == [0.0, 0.0] and matched.sum() == 1


def test_the_papers_average_skips_classes_left_without_a_cluster():
    """Two clusters for three classes: the default counts the unmatched class as 0, the
    paper's code averages the two matched pairs; with enough clusters they agree."""
    truth = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]).reshape(1, 1, 12, 1, 1)
    pred = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]).reshape(1, 1, 12, 1, 1)
    classes = Dice().evaluate(truth=truth, segmentation=pred)["dice_level1"].value
    matched = Dice(average="matched").evaluate(truth=truth, segmentation=pred)
    assert classes == pytest.approx((1 + 2 * 4 / 12 + 0) / 3)
    assert matched["dice_level1"].value == pytest.approx((1 + 2 * 4 / 12) / 2)
    finer = np.arange(12).reshape(1, 1, 12, 1, 1) // 4 * 2  # 3 clusters
    assert Dice(average="matched").evaluate(truth=truth, segmentation=finer)[
        "dice_level1"
    ].value == pytest.approx(Dice().evaluate(truth=truth, segmentation=finer)["dice_level1"].value)


def test_flattened_segmentation_is_reshaped_against_the_truth():
    truth = np.random.default_rng(1).integers(0, 2, (3, 3, 4, 4, 4))
    metrics = Dice().evaluate(truth=truth, segmentation=truth.reshape(3, -1))
    assert metrics["dice_level3"].value == pytest.approx(1.0)


def test_ignore_background_leaves_class_zero_out():
    truth = np.array([[0, 0, 0, 0, 1, 1]])[:, None, None, None, :]
    pred = np.array([[0, 0, 0, 0, 0, 1]])[:, None, None, None, :]
    with_bg = Dice().evaluate(truth=truth, segmentation=pred)["dice_level1"].value
    without = Dice(ignore_background=True).evaluate(truth=truth, segmentation=pred)
    assert without["dice_level1"].value == pytest.approx(2 / 3)
    assert with_bg == pytest.approx((8 / 9 + 2 / 3) / 2)


def test_shape_mismatch_is_refused():
    with pytest.raises(InputError, match="one label per voxel"):
        Dice().evaluate(truth=np.zeros((2, 1, 4, 4, 4), int), segmentation=np.zeros((2, 10), int))
    with pytest.raises(InputError, match="volumes"):
        Dice().evaluate(truth=np.zeros((2, 1, 4, 4, 4), int), segmentation=np.zeros((3, 64), int))


def test_wrong_rank_and_nan_are_refused():
    with pytest.raises(InputError, match="4-D"):
        Dice().evaluate(truth=np.zeros((2, 4, 4)), segmentation=np.zeros((2, 4, 4)))
    seg = np.zeros((1, 1, 2, 2, 2))
    seg[0, 0, 0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        Dice().evaluate(truth=np.zeros((1, 1, 2, 2, 2)), segmentation=seg)


def test_matched_labels_map_clusters_onto_classes():
    truth = np.array([0, 0, 1, 1, 2])
    pred = np.array([9, 9, 4, 4, 4])
    np.testing.assert_array_equal(matched_labels(truth, pred), [0, 0, 1, 1, 1])


def test_creatable_with_declared_inputs():
    dice = registry.create("evaluator", "hypervae.dice")
    assert set(dice.config.inputs) == {"truth", "segmentation"}
