"""measure(): one NaN-free row per image; shape, intensity and spot values checked on
hand-made cells; recovers the synthetic ground truth; rejects bad input."""

import numpy as np
import pytest
from scipy import stats

from morphospace.core.errors import InputError
from morphospace.phendiff.datasets import synthetic_doses
from morphospace.phendiff.measurements import feature_columns, measure


def square_cell(size: int = 20, side: int = 8, value: float = 0.5, channels: int = 2):
    """A bright square on a black background, in every channel."""
    image = np.zeros((1, channels, size, size), dtype=np.float32)
    start = (size - side) // 2
    image[:, :, start : start + side, start : start + side] = value
    return image


def test_one_row_per_image_with_shape_intensity_texture_and_spot_columns():
    table = measure(np.concatenate([square_cell(), square_cell(value=0.8)]))
    assert len(table) == 2
    for column in (
        "area", "perimeter", "eccentricity", "solidity", "mean_intensity_0",
        "integrated_intensity_1", "intensity_std_0", "radial_mean_1", "glcm_contrast",
        "spot_count", "empty",
    ):  # fmt: skip
        assert column in table
    assert "empty" not in feature_columns(table)


def test_a_uniform_square_measures_its_area_intensity_and_shape():
    row = measure(square_cell(side=8, value=0.5)).iloc[0]
    assert row["area"] == 64
    assert row["mean_intensity_0"] == pytest.approx(0.5)
    assert row["integrated_intensity_0"] == pytest.approx(32.0)
    assert row["intensity_std_0"] == pytest.approx(0.0, abs=1e-6)
    assert row["solidity"] == pytest.approx(1.0)
    assert row["eccentricity"] == pytest.approx(0.0, abs=1e-6)


def test_segmentation_keeps_the_largest_component():
    image = square_cell(size=24, side=8)
    image[:, :, 0:2, 0:2] = 0.5  # a small speck in the corner
    assert measure(image).iloc[0]["area"] == 64


def test_a_given_mask_replaces_the_segmentation():
    image = square_cell(size=20, side=8)
    mask = np.zeros((1, 20, 20), dtype=np.int32)
    mask[0, 6:10, 6:10] = 1
    row = measure(image, masks=mask).iloc[0]
    assert row["area"] == 16
    assert measure(image, masks=mask[:, None]).iloc[0]["area"] == 16


def test_spots_are_counted_in_the_second_channel():
    image = np.zeros((1, 2, 32, 32), dtype=np.float32)
    image[0, 0, 4:28, 4:28] = 0.4
    for row, col in ((10, 10), (10, 22), (22, 16)):
        image[0, 1, row - 1 : row + 2, col - 1 : col + 2] = 0.9
    assert measure(image).iloc[0]["spot_count"] == 3


def test_radial_mean_is_two_thirds_for_a_uniform_disc_and_zero_for_a_central_spot():
    rows, cols = np.indices((64, 64))
    disc = (np.hypot(rows - 31.5, cols - 31.5) < 20).astype(np.float32)
    image = np.zeros((1, 2, 64, 64), dtype=np.float32)
    image[0, 0] = 0.5 * disc
    image[0, 1, 31:33, 31:33] = 0.9  # all of channel 1 at the centre
    row = measure(image).iloc[0]
    assert row["radial_mean_0"] == pytest.approx(2 / 3, abs=0.02)  # mean radius of a disc
    assert row["radial_mean_1"] == pytest.approx(0.035, abs=0.01)  # 0.7 px of 20


def test_an_empty_image_gives_zeros_flagged_empty_and_a_warning():
    images = np.concatenate([square_cell(), np.zeros((1, 2, 20, 20), dtype=np.float32)])
    with pytest.warns(UserWarning, match="1 of 2 images have no cell"):
        table = measure(images)
    assert not table.isna().any().any()
    assert table["empty"].tolist() == [0.0, 1.0]
    assert (table.iloc[1][feature_columns(table)] == 0).all()


def test_recovers_the_synthetic_ground_truth():
    adata = synthetic_doses(n_per_condition=20, image_size=32, seed=1)
    table = measure(adata.obsm["image"])
    assert not table.isna().any().any()
    area = stats.spearmanr(table["area"], adata.obs["cytoplasm_area"]).statistic
    spots = stats.spearmanr(table["spot_count"], adata.obs["golgi_fragments"]).statistic
    assert area > 0.95
    assert spots > 0.5
    # compound A disperses the Golgi: the spread follows the true fragments across doses
    a = adata.obs["compound"].isin(["untreated", "A"]).to_numpy()
    by_condition = adata.obs[a].assign(spread=table["radial_mean_1"].to_numpy()[a])
    means = by_condition.groupby("condition", observed=True)[["spread", "golgi_fragments"]].mean()
    assert np.corrcoef(means["spread"], means["golgi_fragments"])[0, 1] > 0.9


def test_is_deterministic():
    images = synthetic_doses(n_per_condition=5, image_size=16, n_doses=1).obsm["image"]
    assert measure(images).equals(measure(images))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: measure(np.zeros((2, 8, 8))), r"images: expected a 4-D array"),
        (lambda: measure(square_cell(), channel=2), r"channel: expected a channel index in"),
        (
            lambda: measure(square_cell(), masks=np.ones((1, 5, 5))),
            r"masks: expected shape \(1, 20, 20\)",
        ),
        (lambda: measure(np.full((1, 1, 4, 4), np.nan)), r"images: contains 16 NaN"),
    ],
)
def test_bad_input_raises_input_error_saying_what_was_expected(call, match):
    with pytest.raises(InputError, match=match):
        call()
