"""Datasets: synthetic ground truth is consistent; the bundled images load offline."""

import numpy as np

from morphospace.core import registry
from morphospace.diffkillr.synthetic_fields import make_field


def test_synthetic_field_ground_truth_is_consistent():
    field = make_field(96, 96, 15, seed=1)
    n = len(field.centres)
    assert field.labels.max() == n == len(field.orientations) == len(field.cell_types)
    assert np.isfinite(field.image).all() and field.image.dtype == np.float32
    for i, (r, c) in enumerate(field.centres.astype(int), 1):
        assert (field.labels[max(r - 9, 0) : r + 10, max(c - 9, 0) : c + 10] == i).any()


def test_synthetic_fields_dataset_carries_sparse_annotations():
    adata = registry.load_dataset(
        "diffkillr.synthetic_fields", n_fields=2, size=64, n_cells=8, n_annotated=3
    )
    assert adata.obsm["image"].shape == (2, 1, 64, 64)
    annotations = adata.obsm["annotated_image"][:, 1]
    assert len(np.unique(annotations[0])) - 1 == 3 and annotations[1].max() == 0
    np.testing.assert_array_equal(adata.obsm["annotated_image"][:, 0], adata.obsm["image"][:, 0])
    assert len(adata.uns["cells"]["orientation"]) == adata.obs["n_cells"].sum()


def test_synthetic_cells_carry_true_fields():
    adata = registry.load_dataset("diffkillr.synthetic_cells", n_queries=6)
    assert adata.obsm["displacement"].shape == (10, 2, 32, 32)
    assert adata.obs["bank"].sum() == 4


def test_bundled_skimage_images_load_without_network():
    for name in ("diffkillr.immunohistochemistry", "diffkillr.cell"):
        adata = registry.load_dataset(name, size=128, n_annotated=3)
        image = adata.obsm["annotated_image"]
        assert image.shape == (2, 2, 128, 128) and np.isfinite(image).all()
        assert image[0, 1].max() >= 1 and image[1, 1].max() == 0
        assert adata.obs["annotated"].tolist() == [True, False]
