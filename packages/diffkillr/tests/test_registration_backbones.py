"""The registration ablation's backbones: near-identity at start, trainable, diffeomorphic
under SVF integration, and the cost volume of the CorrMLP-like network on a known shift."""

import numpy as np
import pytest
import torch

from morphospace.core import load
from morphospace.core.errors import InputError
from morphospace.diffkillr.mapping_net import DiffeoMappingNet
from morphospace.diffkillr.registration_backbones import (
    CorrMLP,
    VoxelMorphUNet,
    build_backbone,
    local_correlation,
)


@pytest.mark.parametrize("name", ["unet", "voxelmorph", "corrmlp"])
def test_every_backbone_starts_at_the_identity_map(name):
    torch.manual_seed(0)
    net = build_backbone(name, 2, 8, 3)
    field = net(torch.randn(3, 2, 32, 32))
    assert field.shape == (3, 2, 32, 32)
    assert field.abs().max() < 1e-2  # pixels: warping by it changes nothing visible


def test_voxelmorph_has_its_published_widths():
    net = VoxelMorphUNet(2)
    encoder = [layer[0].out_channels for layer in net.down]
    decoder = [layer[0].out_channels for layer in net.up]
    full = [layer[0].out_channels for layer in net.extra]
    assert (encoder, decoder, full) == ([16, 32, 32, 32], [32, 32, 32, 32], [32, 16, 16])


def test_the_cost_volume_peaks_at_the_shift_between_the_images():
    torch.manual_seed(0)
    fixed = torch.randn(1, 4, 16, 16)
    moving = torch.roll(fixed, shifts=(1, -2), dims=(2, 3))  # moving(x + (1, -2)) = fixed(x)
    volume = local_correlation(fixed, moving, radius=2)[0, :, 4:12, 4:12].mean((1, 2))
    dy, dx = divmod(int(volume.argmax()), 5)
    assert (dy - 2, dx - 2) == (1, -2)


def test_corrmlp_reads_the_pair_as_moving_then_fixed():
    net = CorrMLP(4, 8, 2)
    assert net.channels == 2 and len(net.levels) == 3


@pytest.mark.parametrize(
    ("backbone", "integration"),
    [("voxelmorph", "displacement"), ("voxelmorph", "svf"), ("corrmlp", "displacement")],
)
def test_each_ablation_row_trains_registers_and_round_trips(
    backbone, integration, cells, torch_single_thread, tmp_path
):
    net = DiffeoMappingNet(
        backbone=backbone, integration=integration, training={"n_steps": 2, "batch_size": 2}
    ).fit(*cells)
    deformation = net.register(cells[0], cells[0][::-1], prealign="none")
    assert deformation.field.shape == (4, 2, 32, 32) and np.isfinite(deformation.field).all()
    if integration == "svf":
        assert deformation.folding_fraction() < 0.01
    net.save(tmp_path / "net")
    again = load(tmp_path / "net").register(cells[0], cells[0][::-1], prealign="none")
    np.testing.assert_allclose(again.field, deformation.field, atol=1e-5)


def test_voxelmorph_needs_patches_divisible_by_16(cells):
    net = DiffeoMappingNet(backbone="voxelmorph", patch_size=24)
    with pytest.raises(InputError, match="divisible by 16"):
        net.fit(np.zeros((2, 1, 24, 24), np.float32))
