"""DiffeoInvariantNet: unit embeddings, clear input errors, safetensors round trip, resumable."""

import numpy as np
import pytest

from morphospace.core import load
from morphospace.core.errors import CheckpointError, InputError, NotFittedError
from morphospace.diffkillr.invariant_net import DiffeoInvariantNet


def test_encode_returns_unit_vectors(invariant_net, cells):
    z = invariant_net.encode(cells[0])
    assert z.shape == (4, invariant_net.config.embedding_dim)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1, atol=1e-5)


def test_reconstruct_returns_patches(invariant_net, cells):
    assert invariant_net.reconstruct(cells[0]).shape == cells[0].shape


def test_patches_of_the_wrong_size_are_rejected(invariant_net, cells):
    with pytest.raises(InputError, match="32x32"):
        invariant_net.encode(cells[0][:, :, :24, :24])


def test_patches_with_nan_are_rejected(invariant_net, cells):
    bad = cells[0].copy()
    bad[0, 0, 3, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        invariant_net.encode(bad)


def test_wrong_channel_count_is_rejected(invariant_net, cells):
    with pytest.raises(InputError, match="channel"):
        invariant_net.encode(np.repeat(cells[0], 2, axis=1))


def test_encode_before_fit_raises():
    with pytest.raises(NotFittedError):
        DiffeoInvariantNet().encode(np.zeros((1, 1, 32, 32)))


def test_save_and_load_round_trip_gives_the_same_embeddings(invariant_net, cells, tmp_path):
    invariant_net.save(tmp_path / "net")
    assert (tmp_path / "net" / "model.safetensors").is_file()
    loaded = load(tmp_path / "net")
    np.testing.assert_allclose(loaded.encode(cells[0]), invariant_net.encode(cells[0]), atol=1e-6)


def test_triplet_loss_option_trains(cells, torch_single_thread):
    net = DiffeoInvariantNet(loss="triplet", training={"n_steps": 3, "batch_size": 4}, views=2).fit(
        cells[0]
    )
    assert len(net.history_["contrastive"]) == 3


def _net(n_steps=4, checkpoint_dir=None, **changes):
    training = {"n_steps": n_steps, "batch_size": 4, "checkpoint_every": 2}
    if checkpoint_dir is not None:
        training["checkpoint_dir"] = str(checkpoint_dir)
    return DiffeoInvariantNet(training=training, views=2, **changes)


def test_training_resumes_from_a_checkpoint_bit_for_bit(cells, tmp_path, torch_single_thread):
    whole = _net().fit(cells[0])
    _net(n_steps=2, checkpoint_dir=tmp_path).fit(cells[0])  # interrupted after 2 steps
    resumed = _net(checkpoint_dir=tmp_path).fit(cells[0])
    assert resumed.history_ == whole.history_ and len(resumed.history_["contrastive"]) == 4
    np.testing.assert_array_equal(resumed.encode(cells[0]), whole.encode(cells[0]))


@pytest.mark.parametrize(
    "changes, named", [({"seed": 1}, "seed 1"), ({"embedding_dim": 8}, "embedding_dim 8")]
)
def test_a_checkpoint_of_another_config_is_refused(
    cells, tmp_path, torch_single_thread, changes, named
):
    _net(n_steps=2, checkpoint_dir=tmp_path).fit(cells[0])
    with pytest.raises(CheckpointError, match=named):
        _net(n_steps=2, checkpoint_dir=tmp_path, **changes).fit(cells[0])


@pytest.mark.slow
def test_intensity_jitter_embeds_a_dimmed_cell_with_its_own_kind(cells, torch_single_thread):
    # four archetypes; a copy of each at 60 % brightness should stay nearest its own
    images = cells[0]
    dim = images.mean() + 0.6 * (images - images.mean())  # contrast down about the mean
    similarity = {}
    for jitter in (0.0, 0.5):
        net = _net(n_steps=60, intensity_jitter=jitter).fit(images)
        z, z_dim = net.encode(images), net.encode(dim.astype(np.float32))
        similarity[jitter] = float(np.mean(np.sum(z * z_dim, axis=1)))
    assert similarity[0.5] > similarity[0.0]
