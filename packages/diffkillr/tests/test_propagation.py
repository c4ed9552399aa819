"""Propagation of masks, points and orientations; detection (NMS) and stitching."""

import numpy as np
import pytest

from morphospace.core import Deformation
from morphospace.diffkillr import propagation as P
from morphospace.diffkillr.cell_bank import CellBank
from morphospace.diffkillr.diffeomorphisms import (
    evaluate,
    principal_axis,
    rotation,
    uniform_stretch,
)


def test_nms_keeps_the_best_of_each_cluster_and_indexes_the_inputs():
    centres = np.array([[10, 10], [11, 10], [30, 30], [10, 12], [31, 29], [60, 60]])
    scores = np.array([0.7, 0.9, 0.8, 0.95, 0.85, 0.1])
    keep = P.non_maximum_suppression(centres, scores, min_distance=5)
    np.testing.assert_array_equal(keep, [3, 4, 5])  # indices into the inputs, best first


def test_nms_keeps_a_detection_suppressed_only_by_a_suppressed_one():
    # b is close to a, c is close to b but not to a: a suppresses b, c survives
    centres = np.array([[0, 0], [0, 4], [0, 8]])
    keep = P.non_maximum_suppression(centres, np.array([0.9, 0.8, 0.7]), min_distance=5)
    np.testing.assert_array_equal(keep, [0, 2])


def _stitch(shape, masks, centres, order=None, max_overlap=1.0):
    kept = P.stitch_decisions(masks, centres, order, max_overlap)
    whole = (slice(0, shape[0]), slice(0, shape[1]))
    return P.paint_box(whole, masks[kept], centres[kept]), kept


def test_window_centres_cover_the_field_at_the_stride_and_a_box_keeps_the_fields_grid():
    whole = P.window_centres((slice(0, 40), slice(0, 24)), stride=4)
    assert len(whole) == 10 * 6 and whole.max(0).tolist() == [36, 20]
    box = P.window_centres((slice(5, 13), slice(0, 3)), stride=4)
    assert box.tolist() == [[8, 0], [12, 0]]  # on the field's grid, not the box's


def test_stitching_gives_each_pixel_to_the_first_cell():
    masks = np.ones((2, 1, 4, 4), dtype=np.uint8)
    labels, kept = _stitch((10, 10), masks, np.array([[4, 4], [5, 5]]), order=np.array([1, 0]))
    np.testing.assert_array_equal(kept, [1, 0])  # ids follow the order: mask 1 is id 1
    assert (labels == 1).sum() == 16 and (labels == 2).sum() == 7


def test_stitching_drops_a_second_detection_of_a_pasted_cell_but_keeps_a_touching_one():
    masks = np.ones((3, 1, 6, 6), dtype=np.uint8)
    # mask 1 overlaps mask 0 on 25 of its 36 pixels: a duplicate; mask 2 touches mask 0
    centres = np.array([[10, 10], [11, 11], [10, 16]])
    labels, kept = _stitch((30, 30), masks, centres, max_overlap=0.5)
    np.testing.assert_array_equal(kept, [0, 2])
    assert set(np.unique(labels)) == {0, 1, 2} and (labels == 2).sum() == 36
    _, all_kept = _stitch((30, 30), masks, centres)  # by default: every mask with a free pixel
    np.testing.assert_array_equal(all_kept, [0, 1, 2])


def test_stitching_drops_a_detection_whose_centre_lands_on_a_pasted_cell():
    masks = np.ones((3, 1, 8, 8), dtype=np.uint8)
    # mask 1 lies half on mask 0 (allowed by max_overlap 0.5), but the centre propagated
    # into it, (10, 11), is mask 0's pixel: a second detection of that cell; mask 2 touches
    centres = np.array([[10, 10], [10, 14], [10, 22]])
    points = np.array([[4.0, 4.0], [4.0, 1.0], [4.0, 4.0]])  # in window coordinates
    _, by_overlap = _stitch((30, 30), masks, centres, max_overlap=0.5)
    np.testing.assert_array_equal(by_overlap, [0, 1, 2])
    kept = P.stitch_decisions(masks, centres, max_overlap=0.5, points=points)
    np.testing.assert_array_equal(kept, [0, 2])


def test_points_and_orientations_follow_a_rotation():
    field = evaluate(rotation((32, 32), 0.5), (32, 32))[None]
    angles, points = P.propagate_orientations(
        np.array([0.0]), np.array([[15.5, 20.0]]), Deformation(field)
    )
    assert angles[0] == pytest.approx(0.5, abs=1e-3)
    np.testing.assert_allclose(
        points[0], [15.5 + 4.5 * np.sin(0.5), 15.5 + 4.5 * np.cos(0.5)], atol=1e-3
    )


def test_points_follow_a_quarter_turn_where_fixed_point_iteration_would_diverge():
    from morphospace.diffkillr.prealign import candidate_field

    field = candidate_field(1, 32)[None]
    points = P.propagate_points(np.array([[15.5, 20.0]]), Deformation(field))
    np.testing.assert_allclose(points[0], [11.0, 15.5], atol=1e-6)


def test_propagated_mask_of_a_stretch_matches_the_stretched_cell(cells):
    field = evaluate(uniform_stretch((32, 32), 1.2), (32, 32))[None]
    masks = P.propagate_masks(cells[1][:1], Deformation(field))
    assert masks.sum() == pytest.approx(cells[1][0].sum() * 1.44, rel=0.1)
    assert principal_axis(masks[0, 0]) == pytest.approx(principal_axis(cells[1][0, 0]), abs=0.05)


class _OneHot:
    """A stand-in encoder: the more of the window's centre is bright, the more cell-like."""

    def encode(self, x):
        bright = x[:, 0, 14:19, 14:19].mean((1, 2))
        z = np.stack([bright, 1 - bright], 1)
        return z / np.linalg.norm(z, axis=1, keepdims=True)


class _Identity:
    def register(self, moving, fixed):
        return Deformation(np.zeros((len(fixed), 2, *fixed.shape[2:])))


def _bank_of_one(image, mask):
    """A bank whose one archetype is the field's top-left patch, embedded for _OneHot."""
    bank = CellBank(
        image[None, :, :32, :32], mask, np.array([[16.0, 16.0]]), np.zeros(1), threshold=0.5
    )
    bank.embeddings = np.array([[1.0, 0.0]])
    bank.background_embeddings = np.array([[0.0, 1.0]])
    return bank


def test_annotate_field_detects_registers_and_stitches():
    image = np.zeros((1, 64, 64))
    image[0, 14:19, 14:19] = 1
    image[0, 44:49, 30:35] = 1
    mask = np.zeros((1, 1, 32, 32), dtype=np.uint8)
    mask[0, 0, 14:19, 14:19] = 1
    bank = _bank_of_one(image, mask)
    result = P.annotate_field(image, bank, _OneHot(), _Identity(), stride=2, nms_distance=0.5)
    assert len(result) == 2
    assert set(np.unique(result.labels)) == {0, 1, 2}
    assert {tuple(c) for c in result.centres.astype(int)} == {(16, 16), (46, 32)}
    assert set(result.timings) >= {"register", "stitch"}
    # each detection stage passes on a subset of the one before: where cells are lost
    stages = [result.embedded_windows, result.candidate_windows, result.nms_windows]
    stages.append(result.windows)
    for before, after in zip(stages, stages[1:], strict=False):
        assert {tuple(c) for c in after} <= {tuple(c) for c in before}
    assert len(result.candidate_scores) == len(result.candidate_windows)
    assert len(result.candidate_mask_fill) == len(result.candidate_windows)


def _disc(size, radius):
    rows, cols = np.indices((size, size)) - size // 2
    return (rows**2 + cols**2 <= radius**2).astype(float)


@pytest.mark.parametrize("gain, offset", [(1.0, 0.0), (0.2, 0.0), (3.0, 0.5)])
def test_mask_fill_tells_a_cell_from_a_speck_at_any_brightness(gain, offset):
    cell_mask = _disc(32, 9)[None, None].astype(np.uint8)
    field = np.zeros((1, 64, 128))
    field[0, :, :64] = np.pad(_disc(32, 9), 16)  # a cell, centred at (32, 32)
    field[0, :, 64:] = np.pad(_disc(32, 2.5), 16)  # a speck at (32, 96)
    noise = np.random.default_rng(0).normal(0, 0.03, field.shape)
    field = gain * (field + noise) + offset
    filled = P.mask_fill(
        field,
        np.array([[32, 32], [32, 96]]),
        np.concatenate([cell_mask, cell_mask]),
        background=float(np.median(field)),
    )
    assert filled[0] > 0.9
    assert filled[1] < 0.25  # 21 speck pixels (and some noise) of a 253-pixel mask


def test_mask_fill_counts_only_the_masks_pixels_on_the_field():
    field = np.pad(_disc(32, 9), 16)[None, 30:]  # a cell cut by the top border at row 2
    mask = _disc(32, 9)[None, None].astype(np.uint8)  # its mask reaches 7 rows past it
    filled = P.mask_fill(field, np.array([[2, 32]]), mask, background=0.0)
    assert filled[0] == 1.0  # read as background, the rows past the border would leave 0.67


def test_annotate_field_drops_debris_that_scores_as_a_cell():
    image = np.zeros((1, 64, 64))
    image[0, 13:20, 13:20] = 1  # a cell, 7 x 7
    image[0, 44:47, 30:34] = 1  # a fibre: bright enough for the encoder, fills 12/49
    mask = np.zeros((1, 1, 32, 32), dtype=np.uint8)
    mask[0, 0, 13:20, 13:20] = 1
    bank = _bank_of_one(image, mask)
    run = dict(stride=1, nms_distance=0.5)
    kept = P.annotate_field(image, bank, _OneHot(), _Identity(), min_mask_fill=0, **run)
    assert len(kept) == 2  # without the check, the fibre is a cell
    result = P.annotate_field(image, bank, _OneHot(), _Identity(), **run)
    assert len(result) == 1 and np.abs(result.centres[0] - 16).max() <= 1  # the cell


def test_a_field_with_more_cells_than_max_cells_says_so(caplog):
    import logging

    found = P.Candidates(
        np.zeros((0, 2)),
        np.array([[0, 0], [0, 50], [0, 100]]),
        np.ones(3),
        np.zeros(3, int),
        np.ones(3),
    )
    with caplog.at_level(logging.WARNING):
        kept = P.select_detections(found, size=16, nms_distance=None, max_cells=2, min_mask_fill=0)
    assert len(kept) == 2
    assert "3 cells detected in one field, only the best 2 (max_cells)" in caplog.text


def _dense_stitch(shape, masks, centres, max_overlap):
    """Stitching on a padded map of the whole field: the obvious version, as reference."""
    size, half = masks.shape[-1], masks.shape[-1] // 2
    padded = np.zeros((shape[0] + 2 * half, shape[1] + 2 * half), dtype=np.int32)
    kept = []
    for k in range(len(masks)):
        r, c = np.rint(centres[k]).astype(int)
        window = padded[r : r + size, c : c + size]
        mask = masks[k, 0] > 0
        free = mask & (window == 0)
        if not free.any() or free.sum() < (1 - max_overlap) * mask.sum():
            continue
        kept.append(k)
        window[free] = len(kept)
    return padded[half:-half, half:-half], np.asarray(kept, dtype=int)


@pytest.mark.parametrize("max_overlap", [1.0, 0.5, 0.2])
def test_stitching_without_a_field_map_and_painting_by_box_equal_the_dense_version(max_overlap):
    rng = np.random.default_rng(int(max_overlap * 10))
    masks = (rng.random((60, 1, 9, 9)) < 0.7).astype(np.uint8)
    centres = rng.uniform(0, 46, (60, 2))  # windows past the border, many overlapping
    expected, expected_kept = _dense_stitch((50, 47), masks, centres, max_overlap)
    labels, kept = _stitch((50, 47), masks, centres, max_overlap=max_overlap)
    np.testing.assert_array_equal(kept, expected_kept)
    np.testing.assert_array_equal(labels, expected)
    for rows, cols in [(slice(0, 20), slice(0, 47)), (slice(13, 50), slice(30, 47))]:
        box = P.paint_box((rows, cols), masks[kept], centres[kept])
        np.testing.assert_array_equal(box, expected[rows, cols])
