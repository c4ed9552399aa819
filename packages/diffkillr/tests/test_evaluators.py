"""The evaluators' numbers on hand-made cases."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import InputError
from morphospace.diffkillr.counting import counting_scores, instance_centres
from morphospace.diffkillr.matching import retrieval_scores


def test_matching_map_and_top_k_on_a_known_ranking():
    bank = np.array([[1.0, 0], [0, 1.0], [-1.0, 0]])
    queries = np.array([[0.9, 0.2], [0.9, 0.5]])
    # query 0's class (0) ranks first; query 1's class (1) ranks second
    scores = retrieval_scores(queries, [0, 1], bank, [0, 1, 2], top_k=(1, 3))
    assert scores["top1_accuracy"] == 0.5
    assert scores["top3_accuracy"] == 1.0
    assert scores["map"] == pytest.approx((1 + 1 / 2) / 2)


def test_matching_evaluator_uses_the_bank_column():
    ev = registry.create("evaluator", "diffkillr.matching")
    z = np.array([[1.0, 0], [0, 1.0], [0.9, 0.1], [0.2, 0.9]])
    metrics = ev.evaluate(
        embedding=z,
        labels=np.array(["a", "b", "a", "b"]),
        bank=np.array([True, True, False, False]),
    )
    assert metrics["top1_accuracy"].value == 1.0 and metrics["map"].value == 1.0


def test_matching_with_an_empty_bank_is_an_error():
    ev = registry.create("evaluator", "diffkillr.matching")
    with pytest.raises(InputError, match="empty"):
        ev.evaluate(embedding=np.eye(2), labels=np.array([0, 1]), bank=np.array([False, False]))


def test_registration_dsc_iou_on_known_masks():
    true = np.zeros((1, 1, 4, 4))
    true[0, 0, :2] = 1  # 8 pixels
    pred = np.zeros((1, 1, 4, 4))
    pred[0, 0, 1:3] = 1  # 8 pixels, 4 shared
    metrics = registry.create("evaluator", "diffkillr.registration").evaluate(
        masks_true=true, masks_pred=pred
    )
    assert metrics["dsc"].value == pytest.approx(0.5)
    assert metrics["iou"].value == pytest.approx(4 / 12)


@pytest.mark.parametrize("name", ["diffkillr.registration", "diffkillr.counting"])
def test_flattened_masks_are_refused_not_reshaped(name):
    masks = np.zeros((2, 1, 16, 16), dtype=int)
    masks[:, :, 4:8, 4:8] = 1
    with pytest.raises(InputError, match="4-D"):
        registry.create("evaluator", name).evaluate(
            masks_true=masks.reshape(2, 256, 1), masks_pred=masks
        )


def test_registration_field_error_and_folding():
    true = np.zeros((1, 2, 8, 8))
    pred = np.ones((1, 2, 8, 8))
    metrics = registry.create("evaluator", "diffkillr.registration").evaluate(
        displacement_true=true, displacement_pred=pred
    )
    assert metrics["endpoint_error"].value == pytest.approx(np.sqrt(2))
    assert (
        metrics["folding_fraction"].value == 0 and not metrics["folding_fraction"].higher_is_better
    )


def test_registration_needs_a_pair():
    with pytest.raises(InputError, match="at least one pair"):
        registry.create("evaluator", "diffkillr.registration").evaluate()


def test_counting_f1_on_a_known_case():
    true = [np.array([[10, 10], [30, 30], [50, 50]])]
    pred = [np.array([[11, 10], [30, 33], [70, 70], [90, 90]])]
    scores = counting_scores(true, pred, tolerance=5)
    assert scores["precision"] == 0.5 and scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_counting_matches_one_to_one():
    scores = counting_scores([np.array([[10, 10]])], [np.array([[10, 11], [11, 10]])], 5)
    assert scores["precision"] == 0.5 and scores["recall"] == 1.0


def test_counting_evaluator_reads_instance_maps():
    labels = np.zeros((1, 1, 20, 20), dtype=int)
    labels[0, 0, 2:5, 2:5] = 1
    labels[0, 0, 12:15, 12:15] = 2
    assert instance_centres(labels[0, 0]).tolist() == [[3.0, 3.0], [13.0, 13.0]]
    metrics = registry.create("evaluator", "diffkillr.counting").evaluate(
        masks_true=labels, masks_pred=labels.astype(float)
    )
    assert metrics["f1"].value == 1.0


def test_orientation_error_is_axial():
    ev = registry.create("evaluator", "diffkillr.orientation")
    metrics = ev.evaluate(
        orientation_true=np.array([0.1, 3.1]), orientation_pred=np.array([3.1, 0.1])
    )
    assert metrics["l1"].value == pytest.approx(np.pi - 3.0, abs=1e-9)
    assert metrics["angular_error_deg"].value == pytest.approx(np.degrees(np.pi - 3.0))
