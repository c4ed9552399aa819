"""Cells of a field from its instance label image: exact centroids, areas and boxes, each
cell's own mask, a stated crop policy (never resampled), files or arrays, clear errors."""

import logging

import numpy as np
import pytest

from morphospace.core.errors import InputError
from morphospace.core.io import read_labelled_cells


def field():
    """A 2-channel 40 x 50 field with three cells: two rectangles and one disc."""
    labels = np.zeros((40, 50), np.uint16)
    labels[5:11, 4:12] = 3  # 6 x 8 rectangle
    labels[20:24, 30:32] = 7  # 4 x 2 rectangle
    rows, cols = np.indices(labels.shape)
    labels[(rows - 30) ** 2 + (cols - 10) ** 2 <= 9] = 9  # disc of radius 3
    image = np.stack([labels > 0, np.full(labels.shape, 0.5)]).astype(np.float32)
    return image, labels


def test_each_cell_is_one_observation_with_exact_geometry():
    image, labels = field()
    adata = read_labelled_cells(image, labels, size=10)
    assert adata.obs["label"].tolist() == [3, 7, 9]
    assert list(adata.obs_names) == ["cell3", "cell7", "cell9"]
    first = adata.obs.iloc[0]
    assert first["area"] == 48
    assert (first["centroid_row"], first["centroid_col"]) == (7.5, 7.5)
    assert [first[f"bbox_{k}"] for k in ("min_row", "min_col", "max_row", "max_col")] == [
        5,
        4,
        11,
        12,
    ]
    assert adata.obs.iloc[2]["area"] == (labels == 9).sum()
    np.testing.assert_allclose(adata.obs.iloc[2][["centroid_row", "centroid_col"]], [30, 10])
    assert adata.obsm["image"].shape == (3, 2, 10, 10)
    assert adata.obsm["mask"].shape == (3, 1, 10, 10) and adata.obsm["mask"].dtype == np.uint8
    # each mask is the cell itself, all of it, and nothing of the others
    assert adata.obsm["mask"].reshape(3, -1).sum(1).tolist() == [48, 8, (labels == 9).sum()]
    np.testing.assert_array_equal(adata.obsm["image"][:, 0] > 0, adata.obsm["mask"][:, 0] > 0)
    assert adata.uns["labelled_cells"]["field_shape"] == list(labels.shape)


def test_without_a_size_every_cell_fits_and_a_too_small_crop_says_so(caplog):
    image, labels = field()
    assert read_labelled_cells(image, labels).uns["labelled_cells"]["size"] == 8
    with caplog.at_level(logging.WARNING):
        adata = read_labelled_cells(image, labels, size=4)
    assert adata.uns["labelled_cells"]["cells_cut"] == 2
    assert "2 of 3 cells are larger than the 4-pixel crop" in caplog.text


def test_cells_at_the_border_read_the_fill_value():
    image, labels = field()
    labels[0:2, 48:50] = 11  # a cell in the corner
    adata = read_labelled_cells(image, labels, size=8, fill=-1.0)
    corner = adata.obsm["image"][-1, 1]
    assert (corner == -1.0).sum() > 0 and (corner == 0.5).sum() > 0


def test_files_in_integer_units(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    image, labels = field()
    tifffile.imwrite(tmp_path / "field.tif", (image * 65535).astype(np.uint16))
    tifffile.imwrite(tmp_path / "labels.tif", labels)
    np.save(tmp_path / "labels.npy", labels.astype(np.int32))
    from_tif = read_labelled_cells(tmp_path / "field.tif", tmp_path / "labels.tif", size=10)
    from_npy = read_labelled_cells(str(tmp_path / "field.tif"), tmp_path / "labels.npy", size=10)
    np.testing.assert_allclose(from_tif.obsm["image"][:, 1].max(), 0.5, atol=1e-4)
    np.testing.assert_array_equal(from_tif.obsm["mask"], from_npy.obsm["mask"])
    assert from_tif.uns["labelled_cells"]["labels"] == str(tmp_path / "labels.tif")


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.zeros((40, 50), np.uint8), "no cells"),
        (np.full((40, 50), 0.5), "fractional"),
        (np.full((40, 50), -1), "must be >= 0"),
        (np.zeros((2, 2, 40, 50), np.uint8), r"\(H, W\) or \(D, H, W\)"),
        (np.zeros((40, 49), np.uint8), r"40 x 50 pixels but labels is 40 x 49"),
        (np.array([["a"] * 50] * 40), "integer cell ids"),
    ],
)
def test_bad_labels_are_refused_clearly(labels, message):
    image, _ = field()
    with pytest.raises(InputError, match=message):
        read_labelled_cells(image, labels)


def test_bad_images_and_files_are_refused_clearly(tmp_path):
    image, labels = field()
    bad = image.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        read_labelled_cells(bad, labels)
    with pytest.raises(InputError, match="is not a file"):
        read_labelled_cells(tmp_path / "missing.tif", labels)
    (tmp_path / "notes.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="not an image file"):
        read_labelled_cells(image, tmp_path / "notes.csv")
    (tmp_path / "broken.tif").write_bytes(b"II*\x00garbage")
    pytest.importorskip("tifffile")
    with pytest.raises(InputError, match="not a readable image"):
        read_labelled_cells(image, tmp_path / "broken.tif")
    with pytest.raises(InputError, match="size"):
        read_labelled_cells(image, labels, size=0)


def test_crop_cells_takes_chosen_ids_and_none():
    from morphospace.core.crops import crop_cells

    image, labels = field()
    chosen = crop_cells(image, labels, 10, ids=np.array([9, 3]))
    assert chosen.ids.tolist() == [9, 3]
    np.testing.assert_allclose(chosen.centroids[1], [7.5, 7.5])
    assert chosen.masks.reshape(2, -1).sum(1).tolist() == [(labels == 9).sum(), 48]
    empty = crop_cells(image, labels, 10, ids=np.array([], int))
    assert empty.images.shape == (0, 2, 10, 10) and empty.masks.shape == (0, 1, 10, 10)


def test_cells_of_a_volume_are_cubes_with_their_own_masks():
    labels = np.zeros((12, 20, 24), np.uint16)
    labels[2:6, 3:9, 4:8] = 5  # a 4 x 6 x 4 box of 96 voxels
    z, y, x = np.indices(labels.shape)
    labels[(z - 8) ** 2 + (y - 14) ** 2 + (x - 16) ** 2 <= 4] = 8
    volume = np.stack([labels > 0, np.full(labels.shape, 0.25)]).astype(np.float32)
    adata = read_labelled_cells(volume, labels)
    assert adata.obsm["volume"].shape == (2, 2, 6, 6, 6)  # the largest extent, 6
    assert adata.obsm["mask"].shape == (2, 1, 6, 6, 6)
    box = adata.obs.iloc[0]
    assert box["area"] == 96 and adata.obs.iloc[1]["area"] == (labels == 8).sum()
    assert (box["centroid_z"], box["centroid_row"], box["centroid_col"]) == (3.5, 5.5, 5.5)
    assert [box[f"bbox_{k}"] for k in ("min_z", "max_z", "min_row", "max_col")] == [2, 6, 3, 8]
    assert adata.obsm["mask"].reshape(2, -1).sum(1).tolist() == [96, (labels == 8).sum()]
    # a single-channel volume needs no channel axis; a 2-D image for 3-D labels is refused
    assert read_labelled_cells(volume[0], labels).obsm["volume"].shape[1] == 1
    with pytest.raises(InputError, match=r"expected \(D, H, W\) or \(C, D, H, W\)"):
        read_labelled_cells(volume[0, 0], labels)
