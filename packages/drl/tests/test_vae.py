"""Ada-GVAE and β-VAE: the two training stages, the code, decoding and bad input."""

import numpy as np
import pytest
import torch

from morphospace.core import registry
from morphospace.core.errors import ConfigError, InputError
from morphospace.core.testing import make_images
from morphospace.drl.config import AdaGVAEConfig
from morphospace.drl.networks import ConvVAE
from morphospace.drl.objectives import pair_losses
from morphospace.drl.vae import AdaGVAE, BetaVAE

TINY = {"latent_dim": 4, "training": {"n_steps": 3, "batch_size": 4}}


@pytest.fixture(scope="module")
def images():
    return make_images(n=10, channels=1, size=16)


@pytest.fixture(scope="module")
def fitted(images):
    return AdaGVAE(**TINY, fine_tune={"n_steps": 2, "batch_size": 4}).fit(images)


def test_the_network_maps_images_of_any_multiple_of_16_to_codes_and_back():
    for size in (16, 32, 64):
        net = ConvVAE(channels=3, size=size, latent_dim=5)
        mu, logvar = net.posterior(torch.zeros(2, 3, size, size))
        assert mu.shape == logvar.shape == (2, 5)
        assert net.decode(mu).shape == (2, 3, size, size)


def test_fit_runs_both_stages_and_records_each(fitted):
    assert len(fitted.history_["loss"]) == 3
    assert len(fitted.history_["fine_tune/loss"]) == 2
    assert "shared_dims" in fitted.history_  # the pair stage logs how many dims were shared
    assert tuple(fitted.image_shape_) == (1, 16, 16)


def test_encode_returns_posterior_means(fitted, images):
    z = fitted.encode(images)
    assert z.shape == (10, 4) and z.dtype == np.float64
    np.testing.assert_array_equal(z, fitted.encode(images))  # means, no sampling


def test_decode_and_traverse_give_images_in_the_unit_range(fitted, images):
    grid = fitted.traverse(images[0], values=(-1.0, 0.0, 1.0))
    assert grid.shape == (4, 3, 1, 16, 16)
    assert grid.min() >= 0 and grid.max() <= 1
    # row d sets dimension d only; the other dimensions keep the image's code
    code = fitted.encode(images[:1])[0]
    for d in range(4):
        expected = code.copy()
        expected[d] = 0.0
        np.testing.assert_allclose(grid[d, 1], fitted.decode(expected[None])[0], atol=1e-6)


def test_same_seed_same_code_other_seed_other_code(images):
    a = BetaVAE(**TINY).fit(images).encode(images)
    b = BetaVAE(**TINY).fit(images).encode(images)
    c = BetaVAE(**TINY, seed=1).fit(images).encode(images)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_beta_vae_without_a_source_trains_on_the_images_alone(images):
    vae = BetaVAE(**TINY, source=None).fit(images)
    assert len(vae.history_["loss"]) == 3


def test_rgb_targets_get_an_rgb_source():
    rgb = make_images(n=6, channels=3, size=16)
    vae = AdaGVAE(**TINY).fit(rgb)
    assert vae.encode(rgb).shape == (6, 4)


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            np.full((4, 1, 16, 16), 2.0, dtype=np.float32),
            r"values in \[0, 1\].*found values in \[2, 2\]",
        ),
        (np.zeros((4, 2, 16, 16), dtype=np.float32), "1 or 3 channels.*found 2"),
        (np.zeros((4, 1, 16, 32), dtype=np.float32), "square.*multiple of 16.*16x32"),
        (np.zeros((4, 1, 24, 24), dtype=np.float32), "multiple of 16.*24x24"),
    ],
)
def test_images_the_network_cannot_model_are_refused(bad, message):
    with pytest.raises(InputError, match=message):
        AdaGVAE(**TINY).fit(bad)


def test_encoding_images_of_another_shape_than_fit_is_refused(fitted):
    with pytest.raises(
        InputError, match=r"fitted on samples of shape \(1, 16, 16\).*\(1, 32, 32\)"
    ):
        fitted.encode(np.zeros((2, 1, 32, 32), dtype=np.float32))


def test_decoding_codes_of_the_wrong_width_is_refused(fitted):
    with pytest.raises(InputError, match="codes of 4 dimensions, found 3"):
        fitted.decode(np.zeros((2, 3)))


def test_label_aggregation_needs_a_dimension_per_source_factor():
    with pytest.raises(ConfigError, match="latent_dim must be at least the 7 factors"):
        registry.create("encoder", "drl.ada_gvae", aggregation="label", latent_dim=5)


def test_more_changed_factors_than_the_source_has_are_refused(images):
    with pytest.raises((ConfigError, InputError, ValueError), match="7"):
        AdaGVAE(**TINY, pairs={"k": 8}).fit(images)


def test_the_pair_loss_shares_dimensions_of_identical_images_only_where_deltas_are_small():
    torch.manual_seed(0)
    net = ConvVAE(channels=1, size=16, latent_dim=6)
    x = torch.rand(3, 1, 16, 16)
    config = AdaGVAEConfig(latent_dim=6)
    losses = pair_losses(net, x, x, torch.zeros(3, 7, dtype=torch.bool), config)
    # identical images: every delta is 0, min == max, nothing lies below the midpoint
    assert losses["shared_dims"].item() == 0.0
    labelled = AdaGVAEConfig(latent_dim=8, aggregation="label")
    changed = torch.zeros(3, 7, dtype=torch.bool)
    changed[:, 2] = True
    net8 = ConvVAE(channels=1, size=16, latent_dim=8)
    losses = pair_losses(net8, x, x.flip(-1), changed, labelled)
    assert losses["shared_dims"].item() == 7.0  # all but the changed factor's dimension


def test_report_draws_traversals_and_the_code_coloured_by_the_labels_scored_on_it():
    import anndata
    import pandas as pd

    from morphospace.core import tl
    from morphospace.core.figures import FigureContext

    images = make_images(n=12, channels=1, size=16)
    obs = pd.DataFrame(
        {"kind": list("abc") * 4, "train": [True] * 8 + [False] * 4},
        index=[f"cell{i}" for i in range(12)],
    )
    adata = anndata.AnnData(obs=obs, obsm={"image": images})
    encoder = tl.encode(adata, AdaGVAE(**TINY), use_rep="image", key_added="code")
    tl.evaluate(adata, "drl.probe", z="X_code", labels="kind", params={"n_folds": 2})
    figures = encoder.report_figures(FigureContext(adata, "code"))
    titles = [title for title, _ in figures]
    assert titles == ["code: latent traversals", "code: code on its two most active dimensions"]
    traversal_axes = figures[0][1].axes
    assert len(traversal_axes) == 4 * 5  # one row per dimension, five values
    scatter = figures[1][1].axes[0]
    assert scatter.get_legend().get_title().get_text() == "kind"


# ------------------------------------------------------------------ the target's own pairs
def test_pair_ids_make_fine_tuning_weakly_supervised(images):
    pairs = np.repeat(np.arange(5), 2)  # rows (0, 1), (2, 3), ...
    vae = AdaGVAE(**TINY, fine_tune={"n_steps": 2, "batch_size": 3}).fit(images, pairs)
    assert "fine_tune/shared_dims" in vae.history_  # the pair loss ran, not the β-VAE loss
    plain = AdaGVAE(**TINY, fine_tune={"n_steps": 2, "batch_size": 3}).fit(images)
    assert "fine_tune/shared_dims" not in plain.history_


def test_pairs_are_found_by_id_whatever_the_row_order():
    from morphospace.drl.objectives import pair_rows

    first, second = pair_rows(np.array(["b", "a", "b", "c", "a", "c"]), 6)
    assert sorted(zip(first.tolist(), second.tolist(), strict=True)) == [(0, 2), (1, 4), (3, 5)]


@pytest.mark.parametrize(
    "ids, params, message",
    [
        ([0, 0, 1, 1, 1, 2, 2, 3, 3, 4], {}, "id 1 has 3"),
        ([0, 0, 1, 1, 2, 2, 3, 3, 4], {}, "has 9 entries but the data has 10"),
        (list(range(10)), {}, "id 0 has 1"),
        (np.repeat(np.arange(5), 2), {"aggregation": "label", "latent_dim": 7}, "'label' needs"),
    ],
)
def test_pair_ids_that_are_not_pairs_are_refused_before_training(images, ids, params, message):
    vae = AdaGVAE(**{**TINY, **params}, fine_tune={"n_steps": 2, "batch_size": 3})
    with pytest.raises(InputError, match=message):
        vae.fit(images, np.asarray(ids))
    assert not vae.is_fitted()


def test_pair_ids_without_fine_tuning_are_refused(images):
    with pytest.raises(InputError, match="pairs supervise fine-tuning; set fine_tune"):
        AdaGVAE(**TINY).fit(images, np.repeat(np.arange(5), 2))


def test_beta_vae_ignores_y_as_an_unsupervised_estimator_does(images):
    with_y = BetaVAE(**TINY).fit(images, np.arange(10)).encode(images)
    np.testing.assert_array_equal(with_y, BetaVAE(**TINY).fit(images).encode(images))
