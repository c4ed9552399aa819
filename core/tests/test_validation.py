"""Shared input checks: each names what was expected and what was found."""

import numpy as np
import pytest

from morphospace.core.errors import IncompatibleComponentsError, InputError
from morphospace.core.geometry import Geometry, check_geometry, check_input_kind, poincare
from morphospace.core.metric import Metric
from morphospace.core.validation import check_array, check_labels, check_same_length


def test_wrong_rank_says_expected_shape():
    with pytest.raises(
        InputError, match=r"x: expected a 2-D array \(n_samples, n_features\), found shape \(3,\)"
    ):
        check_array(np.zeros(3), ndim=2)
    with pytest.raises(
        InputError, match=r"4-D array \(n_samples, channels, height, width\) or a 5-D"
    ):
        check_array(np.zeros((2, 3)), ndim=(4, 5))


def test_nan_and_inf_are_counted_and_located():
    x = np.ones((4, 3))
    x[2, 1] = np.nan
    x[3, 0] = np.inf
    with pytest.raises(
        InputError, match=r"1 NaN and 1 infinite value\(s\), the first at index \(2, 1\)"
    ):
        check_array(x)


def test_empty_and_too_small_inputs():
    with pytest.raises(InputError, match="at least 1 sample"):
        check_array(np.zeros((0, 3)))
    with pytest.raises(InputError, match="at least 5 sample\\(s\\), found 2"):
        check_array(np.zeros((2, 3)), min_samples=5)


def test_channel_count_is_checked():
    with pytest.raises(InputError, match="expected 1 channel\\(s\\) on axis 1, found 3"):
        check_array(np.zeros((2, 3, 8, 8)), ndim=4, channels=1)


def test_non_numeric_arrays_are_refused():
    with pytest.raises(InputError, match="expected numbers, found dtype <U1"):
        check_array(np.array([["a"]]))


def test_labels_of_wrong_length_missing_or_single_class():
    with pytest.raises(InputError, match="labels: has 3 entries but the data has 4 samples"):
        check_labels(["a", "b", "a"], 4)
    with pytest.raises(InputError, match="1 of 3 labels are missing \\(the first at index 1\\)"):
        check_labels(np.array(["a", None, "b"], dtype=object), 3)
    with pytest.raises(InputError, match="at least 2 distinct classes, found 1"):
        check_labels(["a", "a"], 2, min_classes=2)


def test_same_length():
    assert check_same_length(a=np.zeros(3), b=[1, 2, 3]) == 3
    with pytest.raises(InputError, match="a: 3, b: 2"):
        check_same_length(a=np.zeros(3), b=[1, 2])


def test_torch_like_tensors_are_accepted():
    class FakeTensor:
        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return np.ones((2, 2))

    assert check_array(FakeTensor(), ndim=2).shape == (2, 2)


def test_poincare_needs_positive_curvature():
    assert poincare(0.5).curvature == 0.5
    with pytest.raises(InputError, match="curvature c > 0, got -1"):
        poincare(-1)
    with pytest.raises(InputError, match="geometry must be one of euclidean, poincare"):
        Geometry("spherical")


def test_geometry_mismatch_names_both_components():
    with pytest.raises(
        IncompatibleComponentsError,
        match="hyper.kmeans supports poincare embeddings, but dml.nca produces euclidean",
    ):
        check_geometry(Geometry(), ("poincare",), "hyper.kmeans", "dml.nca")


def test_input_kind_mismatch_names_consumer_and_source():
    with pytest.raises(
        IncompatibleComponentsError,
        match=r"vae expects volumes \(n_samples, channels, depth, height, width\), but obsm\['image'\] holds images",
    ):
        check_input_kind((4, 1, 8, 8), ("volumes",), "vae", "obsm['image']")


def test_metric_direction():
    assert Metric(0.9).is_better_than(0.8)
    assert Metric(0.1, higher_is_better=False).is_better_than(0.2)
    assert Metric.from_dict(Metric(0.5, False).to_dict()) == Metric(0.5, False)


def test_a_misspelled_evaluator_input_kind_fails_when_the_class_is_defined():
    from morphospace.core.config import EvaluatorConfig
    from morphospace.core.errors import ConfigError

    with pytest.raises(ConfigError, match="'masx'"):

        class Bad(EvaluatorConfig):
            inputs = {"truth": "masx"}


def test_a_misspelled_encoder_input_kind_fails_when_the_class_is_defined():
    from morphospace.core.config import EncoderConfig
    from morphospace.core.errors import ConfigError

    with pytest.raises(ConfigError, match="imags"):

        class Bad(EncoderConfig):
            input_kinds = ("imags",)


def test_samples_of_another_shape_than_fitted_are_named():
    from morphospace.core.validation import check_fitted_shape

    check_fitted_shape(np.zeros((2, 1, 8, 8)), (1, 8, 8), name="x", owner="m")
    check_fitted_shape(np.zeros((2, 1, 8, 8)), None, name="x", owner="m")  # not fitted yet
    with pytest.raises(
        InputError, match=r"x: m was fitted on samples of shape \(1, 8, 8\), found \(3, 8, 8\)"
    ):
        check_fitted_shape(np.zeros((2, 3, 8, 8)), (1, 8, 8), name="x", owner="m")


def test_values_outside_the_unit_range_are_refused_with_the_range_found():
    from morphospace.core.validation import check_unit_range

    check_unit_range(np.array([0.0, 1.0]), name="x", owner="m")
    with pytest.raises(
        InputError, match=r"x: m takes values in \[0, 1\] \(why\), found values in \[-1, 255\]"
    ):
        check_unit_range(np.array([-1.0, 255.0]), name="x", owner="m", why="why")


def test_otsu_splits_two_modes_between_them():
    from morphospace.core.thresholding import otsu_threshold

    values = np.concatenate([np.full(300, 2.0), np.full(100, 10.0)])
    values += np.random.default_rng(0).normal(0, 0.1, values.size)
    threshold = otsu_threshold(values)
    # the upper edge of the low class's last bin: every low value is at or below it
    # (scikit-image returns that bin's centre, which can cut the low class's top bin)
    assert values[:300].max() <= threshold < values[300:].min()
