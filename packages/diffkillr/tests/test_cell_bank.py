"""The cell bank: built from annotated cells, matches queries, refuses bad input."""

import numpy as np
import pytest

from morphospace.core.crops import crop
from morphospace.core.errors import InputError
from morphospace.diffkillr.cell_bank import CellBank
from morphospace.diffkillr.synthetic_fields import make_field


@pytest.fixture(scope="module")
def field():
    return make_field(96, 96, 12, seed=3)


def test_bank_holds_one_archetype_per_annotated_cell(field):
    annotations = np.where(np.isin(field.labels, [1, 2, 3]), field.labels, 0)
    bank = CellBank.from_annotations(field.image[None], annotations, 32, background_per_cell=2)
    assert len(bank) == 3
    assert bank.patches.shape == (3, 1, 32, 32) and bank.masks.shape == (3, 1, 32, 32)
    assert bank.background.shape == (6, 1, 32, 32)
    # the mask of each archetype is its own cell, centred in the patch
    np.testing.assert_allclose(bank.centres, 15.5, atol=1.0)
    for k in range(3):
        assert bank.masks[k].sum() == (field.labels == k + 1).sum()


def test_empty_annotations_are_an_error(field):
    with pytest.raises(InputError, match="empty"):
        CellBank.from_annotations(field.image[None], np.zeros_like(field.labels))


def test_an_empty_bank_is_an_error():
    with pytest.raises(InputError, match="empty"):
        CellBank(np.zeros((0, 1, 32, 32)), np.zeros((0, 1, 32, 32)), np.zeros((0, 2)), np.zeros(0))


def test_annotations_that_do_not_match_the_image_are_an_error(field):
    with pytest.raises(InputError, match="do not match"):
        CellBank.from_annotations(field.image[None], field.labels[:50])


def test_masks_that_do_not_match_the_patches_are_an_error():
    with pytest.raises(InputError, match="match the patches"):
        CellBank(np.zeros((2, 1, 32, 32)), np.zeros((2, 1, 16, 16)), np.zeros((2, 2)), np.zeros(2))


def test_match_picks_the_nearest_archetype_and_separates_background():
    bank = CellBank(
        np.zeros((2, 1, 8, 8)), np.ones((2, 1, 8, 8)), np.zeros((2, 2)), np.zeros(2), threshold=0.5
    )
    bank.embeddings = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    bank.background_embeddings = np.array([[0, 0, 1.0]])
    queries = np.array([[0.9, 0.1, 0], [0.1, 0.9, 0.3], [0, 0.3, 0.95], [0.3, 0.3, 0.0]])
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    match = bank.match(queries)
    np.testing.assert_array_equal(match.index, [0, 1, 1, 0])
    np.testing.assert_array_equal(match.is_cell, [True, True, False, True])


def test_match_without_embeddings_is_an_error():
    bank = CellBank(np.zeros((1, 1, 8, 8)), np.ones((1, 1, 8, 8)), np.zeros((1, 2)), np.zeros(1))
    with pytest.raises(InputError, match="embed"):
        bank.match(np.ones((1, 3)))


def test_save_and_load_round_trip(field, tmp_path):
    bank = CellBank.from_annotations(field.image[None], np.where(field.labels == 1, 1, 0))
    bank.embeddings = np.ones((1, 4))
    bank.save(tmp_path / "bank.npz")
    loaded = CellBank.load(tmp_path / "bank.npz")
    np.testing.assert_array_equal(loaded.patches, bank.patches)
    np.testing.assert_array_equal(loaded.embeddings, bank.embeddings)


def test_crop_pads_outside_the_image_with_the_fill_value():
    image = np.ones((1, 10, 10))
    window = crop(image, np.array([[0, 0]]), 4, fill=0)
    assert window.shape == (1, 1, 4, 4)
    assert window[0, 0, :2].sum() == 0 and window[0, 0, 2:, 2:].sum() == 4


def test_cells_cut_by_the_border_and_fragments_are_left_out_of_the_bank(caplog):
    image = np.random.default_rng(0).random((1, 64, 64)).astype(np.float32)
    annotations = np.zeros((64, 64), np.int64)
    annotations[10:20, 10:20] = 1  # whole, 100 px
    annotations[30:40, 30:40] = 2  # whole, 100 px
    annotations[0:8, 40:50] = 3  # cut by the top border
    annotations[50:52, 10:12] = 4  # a 4-pixel fragment
    with caplog.at_level("WARNING"):
        bank = CellBank.from_annotations(image, annotations, patch_size=16, background_per_cell=0)
    np.testing.assert_array_equal(bank.labels, [1, 2])
    assert "left out 2 annotated cell(s)" in caplog.text and "ids 3, 4" in caplog.text
    # when no annotated cell is whole, they are all kept rather than none
    only_cut = np.where(annotations == 3, 3, 0)
    bank = CellBank.from_annotations(image, only_cut, patch_size=16, background_per_cell=0)
    np.testing.assert_array_equal(bank.labels, [3])
