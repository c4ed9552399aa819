"""AnnData tools write scanpy-style keys and check compositions before working."""

import numpy as np
import pandas as pd
import pytest

from morphospace.core import Evaluator, Metric, Registrar, Segmentation, Segmenter, registry, tl
from morphospace.core.config import EvaluatorConfig
from morphospace.core.deformation import Deformation
from morphospace.core.errors import IncompatibleComponentsError, InputError


def test_encode_writes_obsm_and_records_what_ran(blobs):
    encoder = tl.encode(blobs, "example.random_projection", n_components=2, fit_on="train")
    assert blobs.obsm["X_random_projection"].shape == (200, 2)
    record = blobs.uns["random_projection"]
    assert record["component"] == "example.random_projection"
    assert record["params"] == {"n_components": 2, "seed": 0}
    assert record["fit_on"] == "train" and record["geometry"]["kind"] == "euclidean"
    assert encoder.is_fitted()


def test_key_added_chooses_the_key(blobs):
    tl.encode(blobs, "example.random_projection", key_added="proj")
    tl.cluster(blobs, "example.quantile_bins", use_rep="proj", key_added="bins", n_clusters=3)
    assert "X_proj" in blobs.obsm
    assert blobs.obs["bins"].dtype == "category"
    assert list(blobs.obs["bins"].cat.categories) == ["0", "1", "2"]
    assert blobs.uns["bins"]["n_clusters"] == 3


def test_evaluate_stores_metrics_and_honours_where(blobs):
    blobs.obs["same"] = blobs.obs["blob"]
    metrics = tl.evaluate(
        blobs, "example.rand_index", labels_true="blob", labels_pred="same", where="~train"
    )
    assert metrics["rand_index"].value == 1.0
    assert blobs.uns["metrics"]["rand_index"]["rand_index"]["value"] == 1.0
    assert blobs.uns["rand_index"]["where"] == "~train"


def test_select_by_value(blobs):
    mask = tl.select(blobs, "blob == blob1")
    assert mask.sum() == (blobs.obs["blob"] == "blob1").sum()
    with pytest.raises(InputError, match="column 'blob' must be boolean"):
        tl.select(blobs, "blob")


def test_cluster_refuses_geometry_it_does_not_support(blobs, fake_plugins):
    fake_plugins.add_good()
    ball = fake_plugins.registry().create("encoder", "ball.hyper")
    tl.encode(blobs, ball, key_added="ball")
    assert blobs.uns["ball"]["geometry"] == {"kind": "poincare", "curvature": 1.0}
    with pytest.raises(
        IncompatibleComponentsError,
        match="example.quantile_bins supports euclidean embeddings, but .* produces poincare",
    ):
        tl.cluster(blobs, "example.quantile_bins", use_rep="X_ball")


def test_missing_keys_list_what_is_available(blobs):
    with pytest.raises(
        InputError, match="use_rep='X_pca' is not in adata.obsm; available keys: none"
    ):
        tl.cluster(blobs, "example.quantile_bins", use_rep="X_pca")
    with pytest.raises(
        InputError, match="column 'cell_type' is not in adata.obs; available columns: blob, train"
    ):
        tl.evaluate(blobs, "example.rand_index", labels_true="cell_type", labels_pred="blob")


def test_evaluate_names_missing_inputs(blobs):
    with pytest.raises(
        InputError,
        match="takes the inputs labels_true \\(labels\\), labels_pred \\(labels\\); missing: labels_pred",
    ):
        tl.evaluate(blobs, "example.rand_index", labels_true="blob")


def test_params_with_an_instance_are_refused(blobs):
    encoder = registry.create("encoder", "example.random_projection")
    with pytest.raises(InputError, match="pass them to its constructor"):
        tl.encode(blobs, encoder, n_components=3)


def test_wrong_input_kind_fails_before_fitting(blobs):
    blobs.obsm["image"] = np.zeros((blobs.n_obs, 1, 4, 4))
    with pytest.raises(IncompatibleComponentsError, match="expects features .* holds images"):
        tl.encode(blobs, "example.random_projection", use_rep="image")


def test_nan_features_are_refused_with_location(blobs):
    blobs.X[3, 2] = np.nan
    with pytest.raises(InputError, match="1 NaN .* at index \\(3, 2\\)"):
        tl.encode(blobs, "example.random_projection")


@pytest.mark.parametrize(
    ("selection", "other"),
    [
        ("train", "~train"),
        ("~train", "train"),
        ("batch == a", "batch != a"),
        ("b != 'x'", "b == 'x'"),
    ],
)
def test_complement_selects_the_other_cells(selection, other):
    assert tl.complement(selection) == other


def test_an_encoder_returns_vectors_and_label_maps_are_refused(blobs):
    from morphospace.core import Encoder, EncoderConfig

    class ImagesConfig(EncoderConfig):
        input_kinds = ("images",)

    class Threshold(Encoder):
        Config = ImagesConfig

        def encode(self, x):
            return (np.asarray(x) > 0.5).astype(np.int64)

    blobs.obsm["image"] = np.random.default_rng(0).random((blobs.n_obs, 1, 4, 4))
    with pytest.raises(
        InputError,
        match=r"output: expected a 2-D array \(n_samples, n_features\), found shape \(200, 1, 4, 4\)",
    ):
        tl.encode(blobs, Threshold(), use_rep="image", key_added="mask")


class Spots(Segmenter):
    """One 'spot' per pixel above 0.5; the table lists them."""

    def __init__(self, tables=None, **params):
        super().__init__(**params)
        self._tables = tables

    def segment(self, x):
        maps = (np.asarray(x)[:, :1] > 0.5).astype(np.int32)
        if self._tables is not None:
            return Segmentation(maps, self._tables)
        obs, _, y, x_ = np.nonzero(maps)
        return Segmentation(maps, {"spots": pd.DataFrame({"obs": obs, "y": y, "x": x_})})


def test_per_object_tables_of_a_segmenter_go_to_uns_and_survive_h5ad(blobs, tmp_path):
    import anndata

    blobs.obsm["image"] = np.random.default_rng(0).random((blobs.n_obs, 1, 4, 4))
    tl.segment(blobs, Spots(), use_rep="image", fit=False, key_added="spots")
    table = blobs.uns["spots"]["spots"]
    assert len(table) == int((blobs.obsm["image"] > 0.5).sum())
    first = table.iloc[0]
    assert blobs[first["obs"]].obsm["image"][0, 0, first["y"], first["x"]] > 0.5  # obs names
    blobs.write_h5ad(tmp_path / "spots.h5ad")
    reread = anndata.read_h5ad(tmp_path / "spots.h5ad").uns["spots"]["spots"]
    pd.testing.assert_frame_equal(reread, table, check_dtype=False)


def test_a_table_may_not_take_a_name_of_the_record(blobs):
    blobs.obsm["image"] = np.zeros((blobs.n_obs, 1, 4, 4))
    taken = Spots({"component": pd.DataFrame()})
    with pytest.raises(InputError, match="the table name 'component' is taken in uns\\['bad'\\]"):
        tl.segment(blobs, taken, use_rep="image", fit=False, key_added="bad")


class ShiftRight(Registrar):
    """Moves every image one pixel to the right (a fixed deformation, nothing learned)."""

    def register(self, moving, fixed):
        field = np.zeros((len(moving), 2, *np.shape(moving)[2:]))
        field[:, 1] = -1.0  # warping pulls: warped[:, j] = moving[:, j - 1]
        return Deformation(field)


def test_register_carries_label_maps_along_with_nearest_interpolation(blobs):
    rng = np.random.default_rng(0)
    blobs.obsm["moving"] = rng.random((blobs.n_obs, 1, 5, 6))
    blobs.obsm["fixed"] = rng.random((blobs.n_obs, 1, 5, 6))
    labels = rng.integers(0, 7, size=(blobs.n_obs, 1, 5, 6))
    blobs.obsm["mask"] = labels
    tl.register(
        blobs, ShiftRight(), moving="moving", fixed="fixed", moving_labels="mask", key_added="w"
    )
    warped = blobs.obsm["w_labels"]
    assert warped.dtype == labels.dtype
    np.testing.assert_array_equal(warped[..., 1:], labels[..., :-1])
    assert (warped[..., 0] == 0).all()  # pulled from outside the image: background
    np.testing.assert_allclose(blobs.obsm["w"][..., 1:], blobs.obsm["moving"][..., :-1])
    assert blobs.uns["w"]["moving_labels"] == "mask"


def test_register_refuses_label_maps_of_another_size(blobs):
    blobs.obsm["moving"] = np.zeros((blobs.n_obs, 1, 5, 6))
    blobs.obsm["mask"] = np.zeros((blobs.n_obs, 1, 4, 6), dtype=int)
    with pytest.raises(
        InputError, match=r"moving_labels obsm\['mask'\] must be label maps \(N, C, H, W\)"
    ):
        tl.register(blobs, ShiftRight(), moving="moving", fixed="moving", moving_labels="mask")


class CountsDistinctRows(Evaluator):
    """Scores a factor table: how many distinct combinations of the named columns."""

    Config = type("FactorInputs", (EvaluatorConfig,), {"inputs": {"factors": "factors"}})

    def evaluate(self, factors):
        assert isinstance(factors, pd.DataFrame)
        self.columns_seen_ = list(factors.columns)
        distinct = len(factors.drop_duplicates())
        return {"distinct": Metric(float(distinct), higher_is_better=True)}


def test_a_factors_input_reaches_the_evaluator_as_a_table_of_the_named_columns(blobs):
    blobs.obs["parity"] = np.arange(blobs.n_obs) % 2
    evaluator = CountsDistinctRows()
    metrics = tl.evaluate(blobs, evaluator, factors=["blob", "parity"], where="train")
    assert evaluator.columns_seen_ == ["blob", "parity"]
    train = blobs.obs[blobs.obs["train"]]
    assert metrics["distinct"].value == len(train[["blob", "parity"]].drop_duplicates())
    assert tl.evaluate(blobs, evaluator, factors="blob")["distinct"].value == 3


def test_a_factors_input_names_its_missing_column(blobs):
    with pytest.raises(InputError, match="factors column 'size' is not in adata.obs"):
        tl.evaluate(blobs, CountsDistinctRows(), factors=["blob", "size"])


def test_a_list_is_refused_for_an_input_that_is_one_column(blobs):
    with pytest.raises(InputError, match=r"labels_true \(labels\) names one key"):
        tl.evaluate(blobs, "example.rand_index", labels_true=["blob", "train"], labels_pred="blob")
