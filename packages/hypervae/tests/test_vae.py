"""The VAE trains in every ablation configuration, saves, loads, resumes and refuses bad input."""

import numpy as np
import pytest
import torch

from morphospace.core import registry
from morphospace.core.errors import CheckpointError, ConfigError, InputError, NotFittedError
from morphospace.core.geometry import EUCLIDEAN, poincare
from morphospace.core.training import MODEL_FILE
from morphospace.hypervae.vae import PoincareVAE

ABLATIONS = {
    "hyperbolic+gyroplane+triplet": {},
    "hyperbolic base": {"decoder_input": "linear", "triplet_weight": 0.0},
    "euclidean base": {"latent": "euclidean", "triplet_weight": 0.0},
    "euclidean+triplet": {"latent": "euclidean"},
    "riemannian normal": {"distribution": "riemannian_normal"},
    "gyroplane kernel 1": {"gyroplane_kernel_size": 1, "curvature": 0.5},
}


def _train_volumes(toy):
    return toy.obsm["volume"][toy.obs["train"].to_numpy()]


def _patches(toy, n=5, size=4):
    return toy.obsm["volume"][:1, :, :size, :size, :size].repeat(n, axis=0)


@pytest.mark.parametrize("name", list(ABLATIONS))
def test_every_configuration_trains_and_embeds(toy, tiny_params, name):
    vae = PoincareVAE(**tiny_params, **ABLATIONS[name]).fit(_train_volumes(toy))
    assert set(vae.history_) >= {"loss", "reconstruction", "kl"}
    assert ("triplet" in vae.history_) == (vae.config.triplet_weight > 0)
    z = vae.encode(_patches(toy))
    assert z.shape == (5, 3) and np.isfinite(z).all()
    if vae.geometry.kind == "poincare":
        assert (np.linalg.norm(z, axis=1) < 1 / np.sqrt(vae.config.curvature)).all()


@pytest.mark.parametrize("patch_size", [5, 4])
def test_the_papers_encoder_and_patches_of_any_size(toy, tiny_params, patch_size):
    """Four convs of kernel 5 (the paper's 16/32/64/128, narrower here), 5^3 patches: the
    decoder upsamples a 2^3 grid to 8^3 and crops, so reconstructions match the patch."""
    params = {**tiny_params, "patch_size": patch_size}
    vae = PoincareVAE(**params, encoder_channels=(2, 3, 4, 5), encoder_kernel_size=5)
    vae.fit(_train_volumes(toy))
    convs = [m for m in vae.model_.encoder if isinstance(m, torch.nn.Conv3d)]
    assert [c.out_channels for c in convs] == [2, 3, 4, 5]
    assert all(c.kernel_size == (5, 5, 5) for c in convs)
    patches = np.random.default_rng(0).random((4, 1, patch_size, patch_size, patch_size))
    z = vae.encode(patches.astype(np.float32))
    assert z.shape == (4, 3) and np.isfinite(z).all()
    with torch.no_grad():
        out = vae.model_.decode(torch.from_numpy(z).float())
    assert out.shape == (4, 1, patch_size, patch_size, patch_size)


def test_raw_16_bit_intensities_train_the_same_model_as_scaled_ones(toy, tiny_params):
    """The fitted percentile range maps any affine rescaling of the stack to one input."""
    volumes = _train_volumes(toy)
    raw = np.round(np.clip(volumes * 3000 + 100, 0, 65535)).astype(np.uint16)
    scaled = PoincareVAE(**tiny_params).fit((raw.astype(np.float32) - 100) / 3000)
    from_raw = PoincareVAE(**tiny_params).fit(raw)
    np.testing.assert_allclose(
        from_raw.intensity_range_, scaled.intensity_range_ * 3000 + 100, rtol=1e-4, atol=1e-3
    )
    np.testing.assert_allclose(
        from_raw.encode(_patches(toy) * 3000 + 100), scaled.encode(_patches(toy)), atol=1e-3
    )
    as_given = PoincareVAE(**tiny_params, intensity_scaling="none").fit(volumes)
    np.testing.assert_array_equal(as_given.intensity_range_, [[0.0, 1.0]])


def test_geometry_is_declared(fitted_vae):
    assert fitted_vae.geometry == poincare(1.0)
    assert PoincareVAE(latent="euclidean").geometry == EUCLIDEAN


def test_same_seed_same_model(toy, tiny_params, fitted_vae):
    again = PoincareVAE(**tiny_params).fit(_train_volumes(toy))
    np.testing.assert_array_equal(again.encode(_patches(toy)), fitted_vae.encode(_patches(toy)))


def test_save_load_round_trip_uses_safetensors(tmp_path, toy, fitted_vae):
    path = fitted_vae.save(tmp_path / "vae")
    assert (path / MODEL_FILE).is_file()
    assert not list(path.glob("*.pt")) and not list(path.glob("*.pkl"))
    loaded = registry.default_registry().get_class("hypervae.poincare_vae").load(path)
    np.testing.assert_array_equal(loaded.encode(_patches(toy)), fitted_vae.encode(_patches(toy)))
    np.testing.assert_array_equal(loaded.intensity_range_, fitted_vae.intensity_range_)


def _vae(tiny_params, directory=None, n_steps=4, **changes):
    training = {**tiny_params["training"], "n_steps": n_steps, "checkpoint_every": 2}
    if directory is not None:
        training["checkpoint_dir"] = str(directory)
    return PoincareVAE(**{**tiny_params, "training": training, **changes})


def test_training_resumes_from_a_checkpoint_bit_for_bit(tmp_path, toy, tiny_params):
    volumes = _train_volumes(toy)
    straight = _vae(tiny_params, tmp_path / "a").fit(volumes)
    _vae(tiny_params, tmp_path / "b", n_steps=2).fit(volumes)  # stopped after 2 steps
    resumed = _vae(tiny_params, tmp_path / "b").fit(volumes)
    assert resumed.history_ == straight.history_ and len(resumed.history_["loss"]) == 4
    np.testing.assert_array_equal(resumed.encode(_patches(toy)), straight.encode(_patches(toy)))
    assert (tmp_path / "b" / "training-state.json").is_file()


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"seed": 1}, "seed 1"),
        ({"hidden_channels": 8}, "hidden_channels 8"),
        ({"latent": "euclidean"}, "latent 'euclidean'"),
        ({"n_steps": 2}, "training.n_steps 2 is below the saved step 4"),
    ],
)
def test_a_checkpoint_of_another_config_is_refused(tmp_path, toy, tiny_params, changes, named):
    volumes = _train_volumes(toy)
    _vae(tiny_params, tmp_path).fit(volumes)
    with pytest.raises(CheckpointError, match=named):
        _vae(tiny_params, tmp_path, **changes).fit(volumes)


def test_a_checkpoint_of_other_data_channels_is_refused(tmp_path, toy, tiny_params):
    volumes = _train_volumes(toy)
    _vae(tiny_params, tmp_path).fit(volumes)
    with pytest.raises(CheckpointError, match="in_channels 2"):
        _vae(tiny_params, tmp_path).fit(np.concatenate([volumes, volumes], axis=1))


def test_the_segmenters_own_fields_do_not_invalidate_the_vaes_state(tmp_path, toy, tiny_params):
    from morphospace.hypervae.segmentation import HierarchicalSegmenter

    volumes = _train_volumes(toy)
    training = {**tiny_params["training"], "checkpoint_dir": str(tmp_path)}
    params = {**tiny_params, "training": training}
    first = HierarchicalSegmenter(**params, stride=4).fit(volumes)
    again = HierarchicalSegmenter(**params, stride=2, n_clusters=(2, 3)).fit(volumes)
    assert again.vae_.history_ == first.vae_.history_


@pytest.mark.parametrize("curvature", [float("inf"), float("nan")])
def test_a_non_finite_curvature_is_refused(curvature):
    with pytest.raises(ConfigError, match="curvature must be > 0 and finite"):
        registry.create("encoder", "hypervae.poincare_vae", curvature=curvature)


def test_wrong_rank_is_refused(tiny_params):
    with pytest.raises(InputError, match="5-D"):
        PoincareVAE(**tiny_params).fit(np.zeros((2, 16, 16, 16), np.float32))


def test_volumes_smaller_than_a_parent_patch_are_refused(tiny_params):
    with pytest.raises(InputError, match="smaller than the parent patch"):
        PoincareVAE(**tiny_params).fit(np.zeros((2, 1, 6, 16, 16), np.float32))


def test_nan_volumes_are_refused(tiny_params):
    volumes = np.zeros((2, 1, 16, 16, 16), np.float32)
    volumes[1, 0, 3, 3, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        PoincareVAE(**tiny_params).fit(volumes)


def test_encode_needs_patches_of_the_patch_size(toy, fitted_vae):
    with pytest.raises(InputError, match="hypervae.segmenter"):
        fitted_vae.encode(toy.obsm["volume"])
    with pytest.raises(InputError, match="channel"):
        fitted_vae.encode(np.zeros((2, 2, 4, 4, 4), np.float32))


def test_encode_before_fit_is_refused():
    with pytest.raises(NotFittedError):
        PoincareVAE().encode(np.zeros((1, 1, 8, 8, 8), np.float32))
