"""synthetic_doses: images, conditions and ground truth; dose effects subtle at low doses
and clear at the top one; deterministic; bad params named."""

import numpy as np
import pytest

from morphospace.core.errors import ConfigError
from morphospace.phendiff.datasets import synthetic_doses
from morphospace.phendiff.synthetic_doses import hill


@pytest.fixture(scope="module")
def adata():
    return synthetic_doses(n_per_condition=60, image_size=32, seed=0)


def effect_in_stds(adata, column: str, condition: str) -> float:
    obs = adata.obs
    control = obs.loc[obs["condition"] == "untreated", column].astype(float)
    treated = obs.loc[obs["condition"] == condition, column].astype(float)
    return abs(treated.mean() - control.mean()) / control.std()


def test_images_are_two_channel_float32_in_unit_range(adata):
    images = adata.obsm["image"]
    assert images.shape == (adata.n_obs, 2, 32, 32)
    assert images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1


def test_conditions_are_untreated_first_then_each_compound_by_dose(adata):
    expected = ["untreated"] + [f"{c}_{d}" for c in "AB" for d in (0.1, 0.3, 1.0, 3.0)]
    assert list(adata.obs["condition"].cat.categories) == expected
    assert list(adata.obs["compound"].cat.categories) == ["untreated", "A", "B"]


def test_obs_holds_dose_split_and_ground_truth(adata):
    obs = adata.obs
    for column in ("condition", "compound", "dose", "train", "golgi_fragments", "cytoplasm_area"):
        assert column in obs
    assert (obs.loc[obs["condition"] == "untreated", "dose"] == 0).all()
    assert (obs.loc[obs["condition"] == "A_0.3", "dose"] == 0.3).all()
    assert obs["train"].dtype == bool
    per_condition = obs.groupby("condition", observed=True)["train"].mean()
    assert ((per_condition > 0.75) & (per_condition < 0.85)).all()  # stratified 0.8


def test_top_dose_loses_cells_to_toxicity(adata):
    counts = adata.obs["condition"].value_counts()
    assert counts["untreated"] == counts["A_1.0"] == 60
    assert counts["A_3.0"] == counts["B_3.0"] == 48


def test_lowest_dose_effect_is_below_one_std_of_untreated_cells(adata):
    assert effect_in_stds(adata, "golgi_fragments", "A_0.1") < 1
    assert effect_in_stds(adata, "cytoplasm_area", "B_0.1") < 1


def test_top_dose_effect_is_above_two_stds_of_untreated_cells(adata):
    assert effect_in_stds(adata, "golgi_fragments", "A_3.0") > 2
    assert effect_in_stds(adata, "cytoplasm_area", "B_3.0") > 2


def test_each_compound_moves_only_its_own_phenotype(adata):
    assert effect_in_stds(adata, "cytoplasm_area", "A_3.0") < 0.5
    assert effect_in_stds(adata, "golgi_fragments", "B_3.0") < 0.5


def test_uns_records_params_and_the_true_dose_response(adata):
    info = adata.uns["synthetic_doses"]
    assert info["params"]["n_per_condition"] == 60 and info["params"]["seed"] == 0
    response = info["dose_response"]["A"]
    assert response["doses"] == [0.1, 0.3, 1.0, 3.0]
    np.testing.assert_allclose(response["effect"], hill(np.array([0.1, 0.3, 1.0, 3.0])))
    assert response["effect"] == sorted(response["effect"])
    assert info["dose_response"]["B"]["cytoplasm_area_factor"][-1] < 0.6


def test_same_seed_gives_the_same_dataset_and_another_seed_does_not():
    a = synthetic_doses(n_per_condition=5, image_size=16, n_doses=1, seed=3)
    b = synthetic_doses(n_per_condition=5, image_size=16, n_doses=1, seed=3)
    c = synthetic_doses(n_per_condition=5, image_size=16, n_doses=1, seed=4)
    np.testing.assert_array_equal(a.obsm["image"], b.obsm["image"])
    assert a.obs.equals(b.obs)
    assert not np.array_equal(a.obsm["image"], c.obsm["image"])


def test_fewer_doses_keep_the_top_dose_and_a_third_compound_is_available():
    adata = synthetic_doses(n_per_condition=5, image_size=16, compounds=3, n_doses=2)
    assert list(adata.obs["condition"].cat.categories) == [
        "untreated", "A_1.0", "A_3.0", "B_1.0", "B_3.0", "C_1.0", "C_3.0",
    ]  # fmt: skip


def test_round_trips_through_h5ad(tmp_path):
    import anndata

    adata = synthetic_doses(n_per_condition=5, image_size=16, n_doses=1)
    adata.write_h5ad(tmp_path / "doses.h5ad")
    again = anndata.read_h5ad(tmp_path / "doses.h5ad")
    np.testing.assert_array_equal(again.obsm["image"], adata.obsm["image"])
    assert list(again.obs["condition"]) == list(adata.obs["condition"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_per_condition": 1}, r"n_per_condition: expected an integer >= 5, found 1"),
        ({"image_size": 8}, r"image_size: expected an integer in \[16, 1024\], found 8"),
        ({"compounds": 4}, r"compounds: expected an integer in \[1, 3\], found 4"),
        ({"n_doses": 0}, r"n_doses: expected an integer in \[1, 8\], found 0"),
        ({"n_doses": True}, r"n_doses: expected an integer"),
        ({"train_fraction": 1.0}, r"train_fraction: expected a number in \(0, 1\), found 1.0"),
        ({"seed": -1}, r"seed: expected an integer in \[0, 4294967295\], found -1"),
    ],
)
def test_bad_params_raise_config_error_naming_parameter_expected_and_found(params, match):
    with pytest.raises(ConfigError, match=match):
        synthetic_doses(**params)
