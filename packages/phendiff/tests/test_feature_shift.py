"""FeatureShift on synthetic doses: a translation that lands on the real target agrees
with the real shift; no translation does not move; clear errors; conformance."""

import numpy as np
import pytest

from morphospace.core.errors import ConfigError, InputError
from morphospace.phendiff.feature_shift import FeatureShift, pearson, shift_agreement


def perfect_translation(images, conditions):
    """Every untreated row replaced by a real top-dose image (the ideal translator)."""
    translated = images.copy()
    translated[conditions == "untreated"] = images[conditions == "B_3.0"]
    return translated


def scores(images, translated, conditions, **params):
    params = {"source": "untreated", "target": "B_3.0", **params}
    metrics = FeatureShift(**params).evaluate(
        images=images, translated=translated, conditions=conditions
    )
    return {name: m.value for name, m in metrics.items()}


def test_a_translation_onto_the_real_target_agrees_with_the_real_shift(doses):
    images, conditions = doses
    result = scores(images, perfect_translation(images, conditions), conditions)
    assert result["shift_error"] == pytest.approx(0.0, abs=1e-9)
    assert result["shift_agreement"] == pytest.approx(1.0)
    assert result["ks_pvalue"] == pytest.approx(1.0)
    assert result["ks_statistic"] == pytest.approx(0.0)
    assert result["feature_correlation"] == pytest.approx(1.0)


def test_no_translation_shows_no_shift_and_is_told_apart_from_the_target(doses):
    images, conditions = doses
    result = scores(images, images, conditions)
    # untranslated: the error is the whole real shift, the cytoplasm's contraction (area
    # in pixels, about 200 untreated)
    assert result["shift_error"] > 50
    assert result["shift_agreement"] == pytest.approx(0.0)
    assert result["ks_pvalue"] < 0.01
    assert result["feature_correlation"] == 0.0  # the translated shift is 0 for every feature


def test_a_half_way_translation_agrees_by_half(doses):
    images, conditions = doses
    translated = perfect_translation(images, conditions)
    source_rows = np.flatnonzero(conditions == "untreated")
    # half the source rows translated, half left alone: about half of the real shift
    translated[source_rows[::2]] = images[source_rows[::2]]
    result = scores(images, translated, conditions)
    assert 0.3 < result["shift_agreement"] < 0.7
    assert result["feature_correlation"] > 0.9  # every feature moves in proportion


def test_another_measurement_can_be_chosen(doses):
    images, conditions = doses
    same = scores(
        images, perfect_translation(images, conditions), conditions, measurement="mean_intensity_1"
    )
    assert same["shift_error"] == pytest.approx(0.0, abs=1e-9)
    assert scores(images, images, conditions, measurement="mean_intensity_1")["shift_error"] > 0


def test_directions_say_which_scores_rank_translations(doses):
    images, conditions = doses
    metrics = FeatureShift(source="untreated", target="B_3.0").evaluate(
        images=images, translated=images, conditions=conditions
    )
    assert metrics["shift_agreement"].higher_is_better
    assert not metrics["shift_error"].higher_is_better
    assert metrics["ks_pvalue"].higher_is_better
    assert metrics["feature_correlation"].higher_is_better
    assert not metrics["ks_statistic"].higher_is_better


def test_shift_agreement_and_pearson_on_hand_made_values():
    assert shift_agreement(2.0, 2.0) == 1.0
    assert shift_agreement(2.0, 1.0) == 0.5
    assert shift_agreement(2.0, 3.0) == 0.5
    assert shift_agreement(2.0, -10.0) == -1.0  # clipped
    assert shift_agreement(0.0, 0.0) == 1.0
    assert pearson(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])) == pytest.approx(1.0)
    assert pearson(np.array([1.0, 2.0, 3.0]), np.zeros(3)) == 0.0


def test_an_unknown_measurement_names_the_available_ones(doses):
    images, conditions = doses
    with pytest.raises(ConfigError, match=r"measurement: expected one of area, .*spot_count"):
        scores(images, images, conditions, measurement="volume")


def test_an_unknown_source_is_named_with_the_known_ones(doses):
    images, conditions = doses
    with pytest.raises(InputError, match=r"source: condition 'dmso' is not among .*'untreated'"):
        scores(images, images, conditions, source="dmso")


def test_translated_of_another_shape_is_an_input_error(doses):
    images, conditions = doses
    with pytest.raises(InputError, match=r"translated: expected the shape of images"):
        scores(images, images[:-1], conditions)
