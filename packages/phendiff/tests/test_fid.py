"""FID and KID: known values (0 on identical sets, the Gaussian closed form, a hand-made
KID), the identity baseline, the encoder path, clear errors, and the conformance kit."""

import numpy as np
import pytest

from morphospace.core.errors import ConfigError, InputError
from morphospace.phendiff.datasets import synthetic_doses
from morphospace.phendiff.fid import (
    FID,
    frechet_distance,
    kernel_inception_distance,
    unbiased_mmd2,
)


def with_moments(n: int, mean, cov, seed: int) -> np.ndarray:
    """``n`` rows whose sample mean and covariance (ddof=1) are exactly ``mean``, ``cov``."""
    x = np.random.default_rng(seed).normal(size=(n, len(mean)))
    x -= x.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T  # sample cov = I
    return x @ np.linalg.cholesky(np.asarray(cov, dtype=float)).T + np.asarray(mean)


def scores(images, translated, conditions, **params):
    params = {"source": "untreated", "target": "B_3.0", "kid_subsets": 20, **params}
    metrics = FID(**params).evaluate(images=images, translated=translated, conditions=conditions)
    return {name: m.value for name, m in metrics.items()}


def test_fid_of_a_set_against_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(50, 4))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_two_gaussians_matches_the_closed_form():
    # |mu_a - mu_b|^2 = 1 + 4; Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) = 5 + 5 - 2 (2 + 2) = 2
    a = with_moments(200, [0.0, 0.0], np.diag([1.0, 4.0]), seed=0)
    b = with_moments(200, [1.0, 2.0], np.diag([4.0, 1.0]), seed=1)
    assert frechet_distance(a, b) == pytest.approx(7.0, rel=1e-9)


@pytest.mark.parametrize(("n", "d"), [(5, 40), (60, 3)])  # the n x n and the d x d route
def test_fid_agrees_with_the_matrix_square_root_formula(n, d):
    from scipy import linalg

    rng = np.random.default_rng(4)
    a = rng.normal(size=(n, d))
    b = rng.normal(size=(n + 3, d)) @ rng.normal(size=(d, d)) * 0.5 + 0.3
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = np.real(linalg.sqrtm(cov_a @ cov_b))
    diff = a.mean(0) - b.mean(0)
    expected = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_fid_of_a_rank_deficient_set_is_finite():
    a = np.random.default_rng(0).normal(size=(3, 6))  # covariance of rank 2 in 6 dimensions
    b = np.random.default_rng(1).normal(size=(3, 6))
    assert np.isfinite(frechet_distance(a, b)) and frechet_distance(a, b) >= 0


def test_unbiased_mmd2_matches_a_hand_computed_case():
    # k(a, b) = (ab + 1)^3: within x k(0,1) = 1; within y k(1,2) = 27;
    # across (1 + 1 + 8 + 27) / 4 = 9.25; MMD^2 = 1 + 27 - 2 * 9.25
    x, y = np.array([[0.0], [1.0]]), np.array([[1.0], [2.0]])
    assert unbiased_mmd2(x, y) == pytest.approx(9.5)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_a_shifted_one():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    same = kernel_inception_distance(x, y, 20, 100, np.random.default_rng(1))
    shifted = kernel_inception_distance(x, y + 1.0, 20, 100, np.random.default_rng(1))
    assert abs(same) < 0.05
    assert shifted > 1.0


def test_translating_into_the_real_target_images_scores_zero_fid(doses):
    images, conditions = doses
    translated = images.copy()
    translated[conditions == "untreated"] = images[conditions == "B_3.0"]
    result = scores(images, translated, conditions)
    assert result["fid"] == pytest.approx(0.0, abs=1e-6)
    assert result["fid_identity"] > 1.0
    assert abs(result["kid"]) < result["kid_identity"]


def test_no_translation_scores_the_identity_baseline(doses):
    images, conditions = doses
    result = scores(images, images, conditions)
    assert result["fid"] == pytest.approx(result["fid_identity"])
    assert result["kid"] == pytest.approx(result["kid_identity"])
    assert set(result) == {"fid", "kid", "fid_identity", "kid_identity"}


def test_the_identity_fid_grows_with_the_dose():
    # the lowest dose is within the cells' spread, the top dose far outside it
    adata = synthetic_doses(n_per_condition=30, image_size=32, compounds=1, seed=4)
    images, conditions = adata.obsm["image"], adata.obs["condition"].astype(str).to_numpy()
    low = scores(images, images, conditions, target="A_0.1")["fid_identity"]
    top = scores(images, images, conditions, target="A_3.0")["fid_identity"]
    assert top > 2 * low


def test_metrics_are_lower_is_better_and_seeded(doses):
    images, conditions = doses
    metrics = FID(source="untreated", target="B_3.0", kid_subsets=5).evaluate(
        images=images, translated=images, conditions=conditions
    )
    assert not any(m.higher_is_better for m in metrics.values())
    again = scores(images, images, conditions, kid_subsets=5)
    assert again == {name: m.value for name, m in metrics.items()}


def test_features_can_come_from_a_registered_encoder(doses, monkeypatch):
    from morphospace.core import registry

    class MeanPerChannel:  # a stand-in encoder: fit records it was fitted on the real images
        def fit(self, x, y=None):
            self.n_fitted_ = len(x)
            return self

        def encode(self, x):
            return np.asarray(x).mean(axis=(2, 3))

    created = {}

    def create(kind, name, **params):
        created.update(kind=kind, name=name, params=params)
        created["encoder"] = MeanPerChannel()
        return created["encoder"]

    monkeypatch.setattr(registry, "create", create)
    images, conditions = doses
    result = scores(images, images, conditions, features="x.mean", features_params={"k": 1})
    assert created["kind"] == "encoder" and created["name"] == "x.mean"
    assert created["params"] == {"k": 1} and created["encoder"].n_fitted_ == len(images)
    assert result["fid"] > 0 and result["fid"] == pytest.approx(result["fid_identity"])


def test_an_unknown_condition_is_named_with_the_known_ones(doses):
    images, conditions = doses
    with pytest.raises(InputError, match=r"target: condition 'A_3.0' is not among .*'B_3.0'"):
        scores(images, images, conditions, target="A_3.0")


def test_fewer_than_two_rows_of_a_set_is_an_input_error(doses):
    images, conditions = doses
    conditions = conditions.copy()
    conditions[conditions == "B_3.0"] = "other"
    conditions[-1] = "B_3.0"
    with pytest.raises(InputError, match=r"real target: expected at least 2 images.* found 1"):
        scores(images, images, conditions)


def test_translated_of_another_shape_is_an_input_error(doses):
    images, conditions = doses
    with pytest.raises(InputError, match=r"translated: expected the shape of images"):
        scores(images, images[:, :1], conditions)


def test_conditions_of_the_wrong_length_are_an_input_error(doses):
    images, conditions = doses
    with pytest.raises(InputError, match=r"conditions: has 47 entries"):
        scores(images, images, conditions[:-1])


def test_source_equal_to_target_is_a_config_error():
    with pytest.raises(ConfigError, match="source and target must be different"):
        FID(source="a", target="a")
