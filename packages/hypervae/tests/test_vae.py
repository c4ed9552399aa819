"""The VAE trains in every ablation configuration, saves, loads, resumes and refuses bad input."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import InputError, NotFittedError
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


def test_training_resumes_from_a_checkpoint(tmp_path, toy, tiny_params):
    volumes = _train_volumes(toy)
    params = {**tiny_params, "checkpoint_every": 2}
    straight = PoincareVAE(**{**params, "n_steps": 4}, checkpoint_dir=str(tmp_path / "a")).fit(
        volumes
    )
    PoincareVAE(**{**params, "n_steps": 2}, checkpoint_dir=str(tmp_path / "b")).fit(volumes)
    resumed = PoincareVAE(**{**params, "n_steps": 4}, checkpoint_dir=str(tmp_path / "b")).fit(
        volumes
    )
    assert len(resumed.history_["loss"]) == 4
    np.testing.assert_allclose(resumed.history_["loss"], straight.history_["loss"], rtol=1e-6)
    np.testing.assert_allclose(
        resumed.encode(_patches(toy)), straight.encode(_patches(toy)), rtol=1e-5
    )
    assert (tmp_path / "b" / "training-state.json").is_file()


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
