"""Sliding-window segmentation and the toy pipeline that `morphospace run` executes."""

from pathlib import Path

import numpy as np
import pytest
import torch

from morphospace.core.errors import InputError
from morphospace.hypervae.poincare_ball import poincare_ball
from morphospace.hypervae.segmentation import (
    HierarchicalSegmenter,
    embed_volume,
    interpolate_box,
    paint,
    segment_volume,
    window_grid,
)

PIPELINE = (
    Path(__file__).resolve().parents[1] / "src/morphospace/hypervae/pipelines/toy_segmentation.yaml"
)


def test_windows_are_centred_on_the_stride_grid():
    volume = np.random.default_rng(0).random((1, 9, 8, 7)).astype(np.float32)

    def centre_value(batch):  # the voxel at the window centre, as a 1-D "embedding"
        return batch[:, 0, 2, 2, 2][:, None]

    z, grid = embed_volume(centre_value, volume, patch_size=4, stride=2, batch_size=5)
    assert grid == window_grid(volume.shape[1:], 2) == (5, 4, 4)
    np.testing.assert_array_equal(z[:, 0].reshape(grid).numpy(), volume[0, ::2, ::2, ::2])


def test_batches_do_not_change_the_embeddings():
    volume = np.random.default_rng(1).random((2, 8, 8, 8)).astype(np.float32)

    def mean(batch):
        return batch.mean(dim=(2, 3, 4))

    a, _ = embed_volume(mean, volume, 4, 3, batch_size=7)
    b, _ = embed_volume(mean, volume, 4, 3, batch_size=1000)
    torch.testing.assert_close(a, b)


def test_paint_gives_each_voxel_its_nearest_centre():
    grid = np.array([[[0, 1, 2]]])
    painted = paint(grid, stride=2, box=(slice(0, 1), slice(0, 1), slice(0, 6)))
    np.testing.assert_array_equal(painted[0, 0], [0, 0, 1, 1, 2, 2])


def test_interpolation_is_exact_for_linear_fields_and_copies_past_the_last_centre():
    shape, stride = (7, 6, 5), 2
    grid = window_grid(shape, stride)  # centres at 0, 2, 4, (6)
    centres = np.stack(np.meshgrid(*[np.arange(g) * stride for g in grid], indexing="ij"), -1)
    z = torch.from_numpy(centres.reshape(-1, 3)).double()
    whole = tuple(slice(0, n) for n in shape)
    dense = interpolate_box(z.reshape(*grid, 3), whole, stride, None).reshape(*shape, 3)
    voxels = np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), -1)
    last = np.array([(g - 1) * stride for g in grid])
    np.testing.assert_allclose(dense.numpy(), np.minimum(voxels, last), atol=1e-12)


def test_interpolated_ball_embeddings_stay_in_the_ball():
    z = poincare_ball(1.0).expmap0(torch.randn(27, 3, dtype=torch.float64) * 3)
    whole = (slice(0, 6),) * 3
    dense = interpolate_box(z.reshape(3, 3, 3, 3), whole, 2, 1.0)
    assert dense.shape == (216, 3) and (dense.norm(dim=-1) < 1).all()


@pytest.mark.parametrize(
    ("upsample", "max_points"), [("nearest", None), ("interpolate", None), ("interpolate", 50)]
)
def test_perfect_window_embeddings_give_a_perfect_coarse_segmentation(upsample, max_points):
    labels = np.zeros((1, 12, 12, 12), np.float32)
    labels[:, :, :, 6:] = 1  # two half-volumes, boundary between centres 4|6 and 8

    def centre(batch):
        return batch[:, 0, 2, 2, 2][:, None]

    maps = segment_volume(
        centre, labels, patch_size=4, stride=2, n_clusters=(2,), curvature=None, upsample=upsample
    )
    assert maps.shape == (1, 12, 12, 12)
    agree = (maps[0] == labels[0]).mean()
    assert max(agree, 1 - agree) >= 11 / 12  # at most the boundary layer differs


def test_segmenter_labels_every_voxel_at_every_level(toy, tiny_params):
    seg = HierarchicalSegmenter(**tiny_params, stride=4, n_clusters=(2, 3, 4), n_init=1)
    train = toy.obsm["volume"][toy.obs["train"].to_numpy()]
    maps = seg.fit(train).segment(toy.obsm["volume"]).label_maps
    assert maps.shape == (3, 3, 16, 16, 16)
    for level, k in enumerate((2, 3, 4)):
        assert set(np.unique(maps[:, level])) <= set(range(k))


def test_the_regions_table_gives_the_size_of_every_label(fitted_segmenter, toy):
    result = fitted_segmenter.segment(toy.obsm["volume"])
    regions = result.tables["regions"]
    for (obs, level), rows in regions.groupby(["obs", "level"]):
        labels = result.label_maps[obs, level - 1]
        assert rows["voxels"].sum() == labels.size
        for label, voxels in zip(rows["label"], rows["voxels"], strict=True):
            assert (labels == label).sum() == voxels


def test_the_segmenter_owns_a_fitted_vae_with_its_vae_params(fitted_segmenter):
    from morphospace.hypervae.vae import PoincareVAE

    vae = fitted_segmenter.vae_
    assert isinstance(vae, PoincareVAE) and vae.is_fitted()
    assert vae.config.patch_size == fitted_segmenter.config.patch_size
    assert vae.config.training == fitted_segmenter.config.training


def test_segmenter_refuses_volumes_smaller_than_a_patch(fitted_segmenter):
    with pytest.raises(InputError, match="smaller than the patch"):
        fitted_segmenter.segment(np.zeros((1, 1, 3, 16, 16), np.float32))


def test_segmenter_refuses_nan(fitted_segmenter):
    volume = np.zeros((1, 1, 16, 16, 16), np.float32)
    volume[0, 0, 0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        fitted_segmenter.segment(volume)


@pytest.fixture(scope="module")
def fitted_segmenter(toy, tiny_params):
    train = toy.obsm["volume"][toy.obs["train"].to_numpy()]
    return HierarchicalSegmenter(**tiny_params, stride=4, n_init=1).fit(train)


@pytest.mark.slow
def test_example_pipeline_runs_with_figures(tmp_path):
    from morphospace.core.pipeline.runner import run
    from morphospace.core.pipeline.schema import load_pipeline

    pipeline = load_pipeline(PIPELINE).model_dump()
    pipeline["dataset"]["params"] = {"n_train": 2, "n_test": 1, "size": 16}
    pipeline["steps"][0]["params"].update(
        {
            "training": {"n_steps": 3},
            "patch_size": 4,
            "hidden_channels": 4,
            "stride": 4,
            "n_init": 1,
        }
    )
    result = run(pipeline, tmp_path / "run")
    dice = result.metrics["dice"]
    assert {"dice_level1", "dice_level2", "dice_level3"} <= set(dice)
    assert all(0 <= m["value"] <= 1 for m in dice.values())
    figures = sorted(p.name for p in (tmp_path / "run" / "figures").iterdir())
    assert any("segmentation-of-volume2" in name for name in figures)
    assert (
        tmp_path / "run" / "components" / "segmentation" / "vae" / "model.safetensors"
    ).is_file()
    assert "regions" in result.adata.uns["segmentation"]
