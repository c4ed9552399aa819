"""PhenDiff's figures draw what they say: one panel per image and target with its
difference map, one box per condition and side, the error curve with its reference;
the feature-shift evaluator draws its measurement in a run's report."""

import numpy as np
import pytest

from morphospace.phendiff.figures import (
    measurement_by_condition,
    reconstruction_curve,
    translation_grid,
)


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_translation_grid_has_a_translation_and_a_difference_per_image_and_target():
    images = np.full((3, 2, 8, 8), 0.5, dtype=np.float32)
    brighter = {"A": images + 0.25, "B": images - 0.5}
    fig = translation_grid(images, brighter, "untreated", channel=0)
    axes = np.asarray(fig.axes).reshape(6, 3)  # 2 rows per image; real + 2 targets
    assert [ax.get_title() for ax in axes[0]] == ["real, untreated", "as A", "as B"]
    difference = axes[1, 1].images[0]
    assert np.allclose(difference.get_array(), 0.25)
    assert difference.get_clim() == (-0.5, 0.5)  # one symmetric scale for every target
    assert not axes[1, 0].axison  # no difference under the real image


def test_measurement_by_condition_draws_a_box_per_condition_and_side():
    real = {"untreated": np.arange(10.0), "A_1.0": np.arange(10.0) + 5}
    translated = {"A_1.0": np.arange(10.0) + 4}
    fig = measurement_by_condition(real, translated, "area")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["untreated", "A_1.0"]
    assert ax.get_ylabel() == "area"
    assert len(ax.patches) == 3  # two real boxes, one translated
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["real", "translated"]


def test_reconstruction_curve_plots_errors_against_steps_and_the_reference():
    fig = reconstruction_curve([5, 10, 50], [3.0, 2.0, 0.5], between=4.0)
    (ax,) = fig.axes
    curve, reference = ax.lines
    assert list(curve.get_xdata()) == [5, 10, 50]
    assert list(curve.get_ydata()) == [3.0, 2.0, 0.5]
    assert list(reference.get_ydata()) == [4.0, 4.0]


def test_the_feature_shift_report_shows_its_measurement_real_and_translated(doses):
    import anndata
    import pandas as pd

    from morphospace.core import tl
    from morphospace.core.figures import FigureContext
    from morphospace.phendiff.feature_shift import FeatureShift

    images, conditions = doses
    obs = pd.DataFrame(
        {"condition": conditions, "train": np.arange(len(images)) % 2 == 0},
        index=[f"cell{i}" for i in range(len(images))],
    )
    adata = anndata.AnnData(obs=obs, obsm={"image": images, "as_b": images})
    evaluator = FeatureShift(source="untreated", target="B_3.0", measurement="area")
    tl.evaluate(
        adata, evaluator, key_added="shift", where="~train",
        images="image", translated="as_b", conditions="condition",
    )  # fmt: skip
    ((title, fig),) = evaluator.report_figures(FigureContext(adata, "shift"))
    assert "area real vs translated" in title
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["untreated", "B_3.0"]
    assert len(ax.patches) == 3  # real untreated and B_3.0, translated B_3.0
