"""The Segmenter kind: a typed result, written by tl.segment and by a pipeline step."""

import numpy as np
import pandas as pd
import pytest

from morphospace.core import Segmentation, Segmenter, SegmenterConfig, tl
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array


class ThresholdConfig(SegmenterConfig):
    threshold: float = 0.5


class Threshold(Segmenter):
    """Pixels above a threshold learned as the mean of the training images."""

    Config = ThresholdConfig

    def fit(self, x, y=None):
        self.level_ = float(check_array(x, ndim=4).mean())
        return self

    def segment(self, x):
        self.check_is_fitted()
        x = check_array(x, ndim=4)
        maps = (x[:, :1] > self.level_).astype(np.int32)
        areas = maps.reshape(len(x), -1).sum(1)
        table = pd.DataFrame({"obs": np.arange(len(x)), "area": areas})
        return Segmentation(maps, {"objects": table})


@pytest.fixture
def images():
    import anndata

    rng = np.random.default_rng(0)
    x = rng.random((6, 1, 8, 8))
    adata = anndata.AnnData(
        obs=pd.DataFrame({"train": [True] * 3 + [False] * 3}, index=list("abcdef"))
    )
    adata.obsm["image"] = x
    return adata


def test_tl_segment_writes_maps_and_tables_with_obs_names(images):
    tl.segment(images, Threshold(), use_rep="image", fit_on="train", key_added="seg")
    assert images.obsm["seg"].shape == (6, 1, 8, 8)
    table = images.uns["seg"]["objects"]
    assert list(table["obs"]) == list("abcdef")
    assert images.uns["seg"]["fit_on"] == "train"
    level = images.obsm["image"][:3].mean()
    assert (table["area"].to_numpy() == (images.obsm["image"][:, 0] > level).sum((1, 2))).all()


def test_a_segmentation_refuses_float_maps_and_bad_rows():
    with pytest.raises(InputError, match="integer label maps"):
        Segmentation(np.zeros((2, 1, 4, 4)))
    with pytest.raises(InputError, match="row numbers 0..1"):
        Segmentation(np.zeros((2, 1, 4, 4), int), {"t": pd.DataFrame({"obs": [0, 5]})})


def test_segment_refuses_features(images):
    images.obsm["features"] = np.zeros((6, 3))
    with pytest.raises(Exception, match="images"):
        tl.segment(images, Threshold(), use_rep="features")
