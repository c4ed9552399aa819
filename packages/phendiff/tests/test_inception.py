"""FID's Inception-v3 from a local file: the graph and names of the FID weight files,
2,048 features per image, a saved encoder gives the same features, FID can use it, and
bad files or images are refused with what was expected."""

import numpy as np
import pytest
import torch

from morphospace.core import registry
from morphospace.core.errors import CheckpointError, InputError
from morphospace.phendiff.inception import (
    FEATURES,
    InceptionEncoder,
    InceptionV3,
    inception_from_weights,
    save_random_inception,
)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return save_random_inception(tmp_path_factory.mktemp("w") / "inception.safetensors")


@pytest.fixture(scope="module")
def encoder(weights):
    images = np.random.default_rng(0).uniform(size=(3, 1, 32, 32)).astype(np.float32)
    return InceptionEncoder(weights=str(weights)).fit(images)


def test_the_graph_has_the_layers_and_shapes_of_the_fid_weight_files():
    state = InceptionV3().state_dict()
    shapes = {
        "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
        "Conv2d_4a_3x3.bn.running_var": (192,),
        "Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1),
        "Mixed_6a.branch3x3.conv.weight": (384, 288, 3, 3),
        "Mixed_6e.branch7x7dbl_5.conv.weight": (192, 192, 1, 7),
        "Mixed_7a.branch3x3_2.conv.weight": (320, 192, 3, 3),
        "Mixed_7c.branch3x3dbl_3b.conv.weight": (384, 384, 3, 1),
        "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1),
    }
    for key, shape in shapes.items():
        assert tuple(state[key].shape) == shape, key
    convolutions = [k for k in state if k.endswith("conv.weight")]
    assert len(convolutions) == 94  # Inception-v3 without its auxiliary head
    parameters = sum(p.numel() for p in InceptionV3().parameters())
    assert parameters == 21_785_568  # torchvision's inception_v3 less fc and AuxLogits


def test_encodes_2048_features_per_image_of_any_size_and_channels(encoder):
    rng = np.random.default_rng(1)
    grey = rng.uniform(size=(2, 1, 24, 40)).astype(np.float32)
    features = encoder.encode(grey)
    assert features.shape == (2, FEATURES) and np.isfinite(features).all()
    np.testing.assert_allclose(encoder.encode(np.repeat(grey, 3, axis=1)), features, rtol=1e-5)
    assert not np.allclose(features[0], features[1])


def test_a_saved_encoder_gives_the_same_features(encoder, tmp_path):
    images = np.random.default_rng(2).uniform(size=(2, 1, 16, 16)).astype(np.float32)
    encoder.save(tmp_path / "inception")
    loaded = InceptionEncoder.load(tmp_path / "inception")
    np.testing.assert_array_equal(loaded.encode(images), encoder.encode(images))


def test_a_file_without_batch_counters_loads(weights, tmp_path):
    from safetensors.torch import load_file, save_file

    state = {k: v for k, v in load_file(str(weights)).items() if "num_batches" not in k}
    save_file(state, str(tmp_path / "old.safetensors"))
    network = inception_from_weights(tmp_path / "old.safetensors")
    assert torch.equal(
        network.Mixed_5b.branch1x1.conv.weight, state["Mixed_5b.branch1x1.conv.weight"]
    )


def test_fid_can_score_on_inception_features(weights, encoder):
    from morphospace.phendiff.fid import frechet_distance

    rng = np.random.default_rng(3)
    images = rng.uniform(size=(6, 1, 16, 16)).astype(np.float32)
    conditions = np.array(["a"] * 3 + ["b"] * 3)
    translated = np.clip(images + 0.1, 0, 1)
    fid = registry.create(
        "evaluator",
        "phendiff.fid",
        source="a",
        target="b",
        features="phendiff.inception",
        features_params={"weights": str(weights)},
        kid_subsets=2,
    )
    scores = fid.evaluate(images=images, translated=translated, conditions=conditions)
    real_b, moved_a = encoder.encode(images[3:]), encoder.encode(translated[:3])
    expected = frechet_distance(real_b.astype(np.float64), moved_a.astype(np.float64))
    assert scores["fid"].value == pytest.approx(expected, rel=1e-4)


def test_refuses_bad_files_and_images(weights, tmp_path):
    images = np.zeros((2, 1, 8, 8), dtype=np.float32)
    with pytest.raises(InputError, match="weights: name a local Inception-v3 file"):
        InceptionEncoder().fit(images)
    with pytest.raises(InputError, match="never unpickles"):
        InceptionEncoder(weights=str(tmp_path / "pt_inception.pth")).fit(images)
    from safetensors.torch import save_file

    save_file({"Conv2d_1a_3x3.conv.weight": torch.zeros(1)}, str(tmp_path / "vit.safetensors"))
    with pytest.raises(CheckpointError, match="does not fit FID's Inception-v3: missing"):
        InceptionEncoder(weights=str(tmp_path / "vit.safetensors")).fit(images)
    encoder = InceptionEncoder(weights=str(weights))
    with pytest.raises(InputError, match="expected 1 \\(grey\\) or 3 \\(RGB\\) channels"):
        encoder.fit(np.zeros((2, 2, 8, 8), dtype=np.float32))
    with pytest.raises(InputError, match=r"takes values in \[0, 1\]"):
        encoder.fit(images + 2)
