"""Encoders: scaling + PCA + a learned metric; shapes, learning, persistence, bad input."""

import numpy as np
import pytest

from morphospace.core import registry, tl
from morphospace.core.errors import InputError, NotFittedError
from morphospace.dmlcluster.label_agreement import purity_score
from morphospace.dmlcluster.leiden import Leiden

SUPERVISED = ["nca", "fast_nca", "lmnn", "mlkr", "lfda"]
FAST_PARAMS = {
    "nca": {"max_iter": 30},
    "lmnn": {"max_iter": 50},
    "mlkr": {"max_iter": 30},
    "fast_nca": {"max_iter": 60},
}


def make(name, **params):
    return registry.create(
        "encoder", f"dmlcluster.{name}", **{**FAST_PARAMS.get(name, {}), **params}
    )


@pytest.mark.parametrize("name", SUPERVISED)
def test_output_has_n_components_columns(name, separable):
    x, y = separable
    z = make(name, n_components=2).fit(x, y).encode(x)
    assert z.shape == (len(x), 2)
    assert np.isfinite(z).all()


@pytest.mark.parametrize("name", ["pca", *SUPERVISED])
def test_default_output_keeps_the_pca_dimension(name, separable):
    x, y = separable
    encoder = make(name, pca_components=5) if name != "pca" else make(name, n_components=5)
    assert encoder.fit(x, y).encode(x).shape == (len(x), 5)


def test_pca_components_are_capped_at_the_number_of_features(separable):
    x, y = separable
    assert make("pca").fit(x).encode(x).shape == (len(x), x.shape[1])  # default 50 > 23 features


@pytest.mark.parametrize("name", ["nca", "fast_nca", "lmnn", "mlkr"])
def test_metric_learning_beats_pca_when_noise_dominates_the_variance(name, separable):
    x, y = separable

    def purity(encoder):
        z = encoder.fit(x, y).encode(x)
        return purity_score(y, Leiden(resolution=0.5).fit_predict(z))

    baseline = purity(make("pca", n_components=2))
    learned = purity(make(name, n_components=2))
    assert learned > baseline + 0.1
    assert learned > 0.9


@pytest.mark.parametrize("name", ["pca", *SUPERVISED])
def test_save_and_load_give_the_same_embedding(name, separable, tmp_path):
    x, y = separable
    encoder = make(name, n_components=3).fit(x, y)
    encoder.save(tmp_path / name)
    loaded = type(encoder).load(tmp_path / name)
    assert loaded.get_params() == encoder.get_params()
    np.testing.assert_allclose(loaded.encode(x), encoder.encode(x))


def test_same_seed_gives_the_same_fast_nca(separable):
    x, y = separable
    a = make("fast_nca", seed=3).fit(x, y).encode(x)
    b = make("fast_nca", seed=3).fit(x, y).encode(x)
    np.testing.assert_array_equal(a, b)


def test_scaling_makes_the_embedding_invariant_to_feature_units(separable):
    x, y = separable
    rescaled = x * np.array([1000.0] + [1.0] * (x.shape[1] - 1))
    a = make("pca").fit(x).encode(x)
    b = make("pca").fit(rescaled).encode(rescaled)
    np.testing.assert_allclose(a, b, atol=1e-8)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_features_are_refused(bad, separable):
    x, y = separable
    x = x.copy()
    x[5, 2] = bad
    with pytest.raises(InputError, match=r"dmlcluster.nca: x: contains .* index \(5, 2\)"):
        make("nca").fit(x, y)


def test_missing_labels_are_refused(separable):
    x, _ = separable
    with pytest.raises(InputError, match="expected y with one class label per cell .*found None"):
        make("nca").fit(x)


def test_labels_of_wrong_length_are_refused(separable):
    x, y = separable
    with pytest.raises(InputError, match="has 119 entries but the data has 120 samples"):
        make("lmnn").fit(x, y[:-1])


def test_labels_with_missing_entries_are_refused(separable):
    x, y = separable
    y = y.astype(object)
    y[7] = None
    with pytest.raises(InputError, match="1 of 120 labels are missing"):
        make("mlkr").fit(x, y)


def test_a_single_class_is_refused(separable):
    x, _ = separable
    with pytest.raises(InputError, match="expected at least 2 distinct classes, found 1"):
        make("lfda").fit(x, np.zeros(len(x)))


def test_fewer_cells_than_components_is_refused(separable):
    x, y = separable
    with pytest.raises(InputError, match="23 principal components need at least 24 cells, found 6"):
        make("nca").fit(x[::20], y[::20])


def test_more_output_components_than_input_dimensions_is_refused(separable):
    x, y = separable
    with pytest.raises(InputError, match="n_components=30, but the data has only 23 dimensions"):
        make("nca", n_components=30).fit(x, y)


def test_encoding_other_features_than_fitted_is_refused(separable):
    x, y = separable
    encoder = make("pca").fit(x)
    with pytest.raises(InputError, match="expected 23 features \\(as in fit\\), found 9"):
        encoder.encode(x[:, :9])


def test_encoding_before_fit_is_refused(separable):
    with pytest.raises(NotFittedError):
        make("nca").encode(separable[0])


def test_lmnn_refuses_classes_smaller_than_its_neighbourhood(separable):
    x, y = separable
    y = y.copy()
    y[:2] = "rare"
    with pytest.raises(InputError, match="more than n_neighbors=3 cells, but the smallest has 2"):
        make("lmnn").fit(x, y)


def test_a_label_column_that_does_not_exist_is_named(small_ifc):
    with pytest.raises(
        InputError,
        match="labels column 'cell_type' is not in adata.obs; available columns: population",
    ):
        tl.encode(small_ifc, "dmlcluster.nca", labels="cell_type")


def test_supervised_encoder_without_label_column_is_refused(small_ifc):
    with pytest.raises(InputError, match="learns from labels"):
        tl.encode(small_ifc, "dmlcluster.nca")
