"""The ViT backbone read from a local file, and the MLP VAE on backbone features."""

import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from morphospace.core import registry
from morphospace.core.errors import CheckpointError, ConfigError, InputError, PipelineError
from morphospace.core.testing import make_images
from morphospace.drl import backbones
from morphospace.drl.feature_vae import FeatureVAE

TINY = {"latent_dim": 3, "source_pairs": 16, "training": {"n_steps": 2, "batch_size": 8}}


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return backbones.save_random_vit(tmp_path_factory.mktemp("vit") / "vit.safetensors")


def test_the_vit_is_sized_by_its_weights_file_and_ignores_the_head(weights):
    vit = backbones.vit_from_weights(weights)
    assert (vit.width, len(vit.blocks), vit.patch) == (64, 2, 8)
    assert vit.blocks[0].heads == 1  # width / 64
    assert not any(p.requires_grad for p in vit.parameters())  # frozen


def test_a_block_computes_pre_norm_multi_head_attention_and_mlp(weights):
    block = backbones.vit_from_weights(weights).blocks[0]
    x = torch.randn(2, 5, 64)
    attention = torch.nn.MultiheadAttention(64, 1, batch_first=True)
    attention.in_proj_weight.data.copy_(block.attn.qkv.weight)  # q, k, v stacked alike
    attention.in_proj_bias.data.copy_(block.attn.qkv.bias)
    attention.out_proj.weight.data.copy_(block.attn.proj.weight)
    attention.out_proj.bias.data.copy_(block.attn.proj.bias)
    h = block.norm1(x)
    y = x + attention(h, h, h, need_weights=False)[0]
    y = y + block.mlp.fc2(torch.nn.functional.gelu(block.mlp.fc1(block.norm2(y))))
    torch.testing.assert_close(block(x), y, atol=1e-5, rtol=1e-5)


def test_positions_are_kept_on_their_grid_and_interpolated_elsewhere(weights):
    vit = backbones.vit_from_weights(weights)
    assert vit.positions(4, 4) is vit.pos_embed
    wider = vit.positions(8, 8)
    assert wider.shape == (1, 65, 64)
    torch.testing.assert_close(wider[:, 0], vit.pos_embed[:, 0])  # the class token's own


def test_features_of_grey_images_at_any_multiple_of_the_patch(weights):
    vit = backbones.vit_from_weights(weights)
    images = make_images(n=3, channels=1, size=20)
    for size in (32, 64):
        features = backbones.vit_features(vit, images, size)
        assert features.shape == (3, 64) and np.isfinite(features).all()
    rgb = np.repeat(images, 3, axis=1)
    np.testing.assert_allclose(
        backbones.vit_features(vit, images, 32), backbones.vit_features(vit, rgb, 32), atol=1e-6
    )


def test_a_pickle_file_is_refused_with_the_conversion_to_run(tmp_path):
    path = tmp_path / "dino.pth"
    path.write_bytes(b"not read")
    with pytest.raises(InputError, match=r"expected a \.safetensors file.*save_file"):
        backbones.vit_from_weights(path)


def test_a_missing_weights_file_is_named(tmp_path):
    with pytest.raises(InputError, match="absent.safetensors does not exist"):
        backbones.vit_from_weights(tmp_path / "absent.safetensors")


def test_a_corrupt_file_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        backbones.vit_from_weights(path)


def test_weights_of_another_architecture_are_refused_naming_the_keys(weights, tmp_path):
    state = load_file(str(weights))
    resnet = {"conv1.weight": torch.zeros(8, 3, 7, 7)}
    save_file(resnet, str(tmp_path / "resnet.safetensors"))
    with pytest.raises(CheckpointError, match="not a ViT of the DINO/timm layout.*cls_token"):
        backbones.vit_from_weights(tmp_path / "resnet.safetensors")
    extra = {**state, "blocks.0.attn.q_bias": torch.zeros(64)}
    save_file(extra, str(tmp_path / "extra.safetensors"))
    with pytest.raises(CheckpointError, match=r"unexpected: blocks\.0\.attn\.q_bias"):
        backbones.vit_from_weights(tmp_path / "extra.safetensors")
    wrong = {**state, "blocks.1.mlp.fc1.weight": torch.zeros(100, 64)}
    save_file(wrong, str(tmp_path / "wrong.safetensors"))
    with pytest.raises(
        CheckpointError,
        match=r"shapes differ for: blocks\.1\.mlp\.fc1\.weight \(100, 64\) \(the model has \(256, 64\)\)",
    ):
        backbones.vit_from_weights(tmp_path / "wrong.safetensors")


def test_the_feature_vae_trains_on_source_features_then_fine_tunes(weights):
    images = make_images(n=8, channels=1, size=16)
    vae = FeatureVAE(
        **TINY,
        backbone_weights=str(weights),
        backbone_image_size=32,
        fine_tune={"n_steps": 2, "batch_size": 4},
    ).fit(images)
    assert len(vae.history_["loss"]) == 2 and len(vae.history_["fine_tune/loss"]) == 2
    z = vae.encode(images)
    assert z.shape == (8, 3) and np.isfinite(z).all()
    # features are standardised with the source's statistics, stored in the weights
    assert vae.model_.feature_scale.shape == (64,)
    assert math.isfinite(float(vae.model_.feature_scale.min()))


def test_a_checkpoint_carries_its_backbone(weights, tmp_path):
    images = make_images(n=6, channels=1, size=16)
    vae = FeatureVAE(**TINY, backbone_weights=str(weights), backbone_image_size=32).fit(images)
    vae.save(tmp_path / "vae")
    assert (tmp_path / "vae" / "backbone.safetensors").is_file()
    np.testing.assert_array_equal(
        FeatureVAE.load(tmp_path / "vae").encode(images), vae.encode(images)
    )


def test_a_registered_encoder_is_a_backbone_fitted_on_the_images(tmp_path):
    images = make_images(n=6, channels=1, size=16)
    beta = {"latent_dim": 5, "source": None, "training": {"n_steps": 2, "batch_size": 4}}
    vae = FeatureVAE(**TINY, backbone="drl.beta_vae", backbone_params=beta).fit(images)
    assert vae.backbone_.name == "drl.beta_vae" and vae.n_features_ == 5
    vae.save(tmp_path / "vae")
    loaded = FeatureVAE.load(tmp_path / "vae")
    np.testing.assert_array_equal(loaded.encode(images), vae.encode(images))


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "backbone 'vit' needs backbone_weights"),
        ({"backbone": "resnet"}, "'vit' or a registered encoder's qualified name"),
        ({"backbone": "drl.beta_vae", "backbone_weights": "w.safetensors"}, "read only by"),
    ],
)
def test_backbone_settings_that_cannot_work_are_refused(params, message):
    with pytest.raises(ConfigError, match=message):
        registry.create("encoder", "drl.feature_vae", **params)


def test_a_patch_size_that_does_not_divide_the_input_side_is_refused(weights):
    vae = FeatureVAE(**TINY, backbone_weights=str(weights), backbone_image_size=36)
    with pytest.raises(InputError, match="36 is not a multiple of the ViT's patch size 8"):
        vae.fit(make_images(n=4, channels=1, size=16))


def test_a_pipeline_reads_backbone_weights_only_from_the_inputs_folder(weights, tmp_path):
    from morphospace.core.pipeline import plan, run

    step = {
        "component": "drl.feature_vae",
        "params": {**TINY, "backbone_weights": "../../vit.safetensors"},
        "use_rep": "image",
    }
    pipeline = {"dataset": {"name": "drl.digits", "params": {"image_size": 16}}, "steps": [step]}
    with pytest.raises(PipelineError, match="backbone_weights must be a plain name"):
        plan(pipeline)
    step["params"]["backbone_weights"] = weights.name
    with pytest.raises(PipelineError, match="pass --inputs DIR"):
        run(pipeline, tmp_path / "out", report=False)
    result = run(pipeline, tmp_path / "out", report=False, inputs=weights.parent)
    assert result.adata.obsm["X_feature_vae"].shape[1] == 3


def test_the_feature_vae_fine_tunes_on_the_targets_pairs_too(weights):
    images = make_images(n=8, channels=1, size=16)
    vae = FeatureVAE(
        **TINY,
        backbone_weights=str(weights),
        backbone_image_size=32,
        fine_tune={"n_steps": 2, "batch_size": 4},
    ).fit(images, np.repeat(np.arange(4), 2))
    assert "fine_tune/shared_dims" in vae.history_
