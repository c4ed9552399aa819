"""DiffeoMappingNet: returns core Deformations, diffeomorphic by construction, round trips."""

import numpy as np
import pytest

from morphospace.core import Deformation, load
from morphospace.core.errors import InputError
from morphospace.diffkillr.mapping_net import DiffeoMappingNet


def test_register_returns_a_deformation_per_pair(mapping_net, cells):
    deformation = mapping_net.register(cells[0], cells[0][::-1])
    assert isinstance(deformation, Deformation)
    assert deformation.field.shape == (4, 2, 32, 32)


def test_one_moving_patch_is_registered_to_every_fixed_patch(mapping_net, cells):
    assert len(mapping_net.register(cells[0][:1], cells[0])) == 4


def test_svf_field_does_not_fold(mapping_net, cells):
    deformation = mapping_net.register(cells[0], cells[0][::-1], prealign="none")
    assert deformation.folding_fraction() < 0.01


def test_prealignment_recovers_a_quarter_turn(mapping_net, cells):
    moving = cells[0][1:2]
    fixed = np.rot90(moving, 1, axes=(2, 3)).copy()
    warped = mapping_net.register(moving, fixed).warp(moving)
    assert np.corrcoef(warped.ravel(), fixed.ravel())[0, 1] > 0.9


def test_plain_unet_variant_trains(cells, torch_single_thread):
    net = DiffeoMappingNet(
        integration="displacement", training={"n_steps": 2, "batch_size": 2}
    ).fit(cells[0])
    assert net.register(cells[0], cells[0]).field.shape == (4, 2, 32, 32)


def test_wrong_patch_size_is_rejected(mapping_net, cells):
    with pytest.raises(InputError, match="32x32"):
        mapping_net.register(cells[0][:, :, :16, :16], cells[0][:, :, :16, :16])


def test_unpaired_batches_are_rejected(mapping_net, cells):
    with pytest.raises(InputError, match="pair up"):
        mapping_net.register(cells[0][:2], cells[0][:3])


def test_nan_images_are_rejected(mapping_net, cells):
    bad = cells[0].copy()
    bad[1, 0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        mapping_net.register(bad, cells[0])


def test_save_and_load_round_trip_gives_the_same_fields(mapping_net, cells, tmp_path):
    mapping_net.save(tmp_path / "reg")
    loaded = load(tmp_path / "reg")
    np.testing.assert_allclose(
        loaded.register(cells[0], cells[0][::-1]).field,
        mapping_net.register(cells[0], cells[0][::-1]).field,
        atol=1e-5,
    )


def test_more_prealignment_candidates_never_correlate_worse(mapping_net, cells):
    from morphospace.diffkillr.prealign import ncc

    single = DiffeoMappingNet(prealign_candidates=1)
    single.__dict__.update({k: v for k, v in vars(mapping_net).items() if k.endswith("_")})
    moving, fixed = cells[0], np.rot90(cells[0][::-1], 1, axes=(2, 3)).copy()
    one = ncc(single.register(moving, fixed).warp(moving, padding="border"), fixed)
    three = ncc(mapping_net.register(moving, fixed).warp(moving, padding="border"), fixed)
    assert np.all(three >= one - 1e-9)


def test_mask_weight_trains_on_the_masks_given_to_fit(cells, torch_single_thread):
    net = DiffeoMappingNet(mask_weight=1.0, training={"n_steps": 3, "batch_size": 2}).fit(*cells)
    assert len(net.history_["mask"]) == 3
    assert all(0 <= v <= 2 for v in net.history_["mask"])  # two soft Dice losses
    off = DiffeoMappingNet(mask_weight=0, training={"n_steps": 1, "batch_size": 2}).fit(*cells)
    no_masks = DiffeoMappingNet(mask_weight=1, training={"n_steps": 1, "batch_size": 2}).fit(
        cells[0]
    )
    assert "mask" not in off.history_ and "mask" not in no_masks.history_


def test_masks_that_do_not_match_the_images_are_rejected(cells):
    with pytest.raises(InputError, match="masks"):
        DiffeoMappingNet(mask_weight=1.0, training={"n_steps": 1}).fit(cells[0], cells[1][:2])
