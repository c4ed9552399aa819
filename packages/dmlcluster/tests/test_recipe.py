"""The one-line helper: scale, PCA, learn, embed, Leiden, purity on an AnnData."""

import pytest

from morphospace.core.errors import InputError
from morphospace.dmlcluster import metric_learning_leiden


def test_writes_embedding_clusters_and_held_out_and_in_sample_purity(small_ifc):
    result = metric_learning_leiden(
        small_ifc, "population", method="nca", fit_on="train", max_iter=20
    )
    assert set(result) == {"purity_heldout", "purity_insample", "n_clusters"}
    assert "X_nca" in small_ifc.obsm and "leiden_nca" in small_ifc.obs
    metrics = small_ifc.uns["metrics"]
    assert metrics["purity_heldout_nca"]["purity"]["value"] == result["purity_heldout"]
    assert small_ifc.uns["purity_heldout_nca"]["where"] == "~train"


def test_method_none_is_the_pca_baseline_and_needs_no_labels_to_fit(small_ifc):
    result = metric_learning_leiden(small_ifc, "population", method="none", key_added="base")
    assert set(result) == {"purity_insample", "n_clusters"}
    assert small_ifc.uns["base"]["component"] == "dmlcluster.pca"


def test_unknown_method_is_refused(small_ifc):
    with pytest.raises(InputError, match="method must be one of"):
        metric_learning_leiden(small_ifc, "population", method="umap")
