"""The drl datasets (texture_dsprites, synthetic_cells, digits) and the synthetic cells."""

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from scipy.spatial import ConvexHull

from morphospace.core import registry
from morphospace.core.errors import ConfigError, InputError
from morphospace.drl.datasets import digits, synthetic_cells, texture_dsprites
from morphospace.drl.synthetic_cells import BACKGROUND, CLASSES, VALUE_RANGES, SyntheticCells
from morphospace.drl.synthetic_cells import FACTOR_NAMES as CELL_FACTORS
from morphospace.drl.synthetic_cells import FACTOR_SIZES as CELL_SIZES
from morphospace.drl.texture_dsprites import FACTOR_NAMES as SPRITE_FACTORS

SHAPE, TEXTURE, SIZE, ORIENTATION, X, Y, INTENSITY = range(7)


@pytest.fixture(scope="module")
def sprites():
    return texture_dsprites(n_images=40, image_size=16, channels=1, seed=3)


@pytest.fixture(scope="module")
def cells():
    return synthetic_cells(n_images=40, image_size=32, seed=3)


@pytest.fixture(scope="module")
def clean():
    return SyntheticCells(image_size=64, noise=0.0, blur=0.0)


def changed_factors(adata, names):
    codes = adata.obs[list(names)].to_numpy()
    return codes[0::2] != codes[1::2]


# --- the datasets: layout shared by all three


@pytest.mark.parametrize(
    ("fixture", "factors", "channels", "size"),
    [("sprites", SPRITE_FACTORS, 1, 16), ("cells", CELL_FACTORS, 1, 32)],
)
def test_images_factor_codes_and_split_follow_the_conventions(
    request, fixture, factors, channels, size
):
    adata = request.getfixturevalue(fixture)
    images = adata.obsm["image"]
    assert images.shape == (40, channels, size, size) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert list(adata.obs_names[:2]) == ["image0", "image1"]
    for name in factors:
        assert adata.obs[name].dtype == np.int64
    assert adata.obs["train"].dtype == bool
    assert adata.uns[
        fixture.replace("sprites", "texture_dsprites").replace("cells", "synthetic_cells")
    ]["factors"] == list(factors)


@pytest.mark.parametrize(
    ("fixture", "factors"), [("sprites", SPRITE_FACTORS), ("cells", CELL_FACTORS)]
)
def test_pairs_differ_in_exactly_one_factor_and_share_their_split(request, fixture, factors):
    adata = request.getfixturevalue(fixture)
    changed = changed_factors(adata, factors)
    np.testing.assert_array_equal(changed.sum(axis=1), 1)
    assert len(set(np.argmax(changed, axis=1))) >= 4  # the changed factor varies
    np.testing.assert_array_equal(adata.obs["pair"], np.arange(40) // 2)
    train = adata.obs["train"].to_numpy()
    np.testing.assert_array_equal(train[0::2], train[1::2])
    assert train[0::2].sum() == 16  # 80 % of the 20 pairs
    images = adata.obsm["image"]
    assert (np.abs(images[0::2] - images[1::2]).max(axis=(1, 2, 3)) > 0.02).all()


def test_without_pairs_images_are_independent_and_any_count_works():
    adata = texture_dsprites(n_images=7, image_size=8, channels=3, one_factor_pairs=False, seed=0)
    assert "pair" not in adata.obs and adata.obsm["image"].shape == (7, 3, 8, 8)
    assert 1 <= adata.obs["train"].sum() <= 6
    assert adata.uns["texture_dsprites"]["one_factor_pairs"] is False


def test_the_seed_fixes_the_dataset():
    a = synthetic_cells(n_images=6, image_size=16, seed=1)
    b = synthetic_cells(n_images=6, image_size=16, seed=1)
    c = synthetic_cells(n_images=6, image_size=16, seed=2)
    np.testing.assert_array_equal(a.obsm["image"], b.obsm["image"])
    pd.testing.assert_frame_equal(a.obs, b.obs)
    assert not np.array_equal(a.obsm["image"], c.obsm["image"])


def test_cells_have_a_class_from_shape_and_texture(cells):
    assert list(cells.obs["class"].cat.categories) == list(CLASSES)
    expected = [CLASSES[2 * s + t] for s, t in cells.obs[["shape", "texture"]].to_numpy()]
    assert cells.obs["class"].astype(str).tolist() == expected


def test_cell_values_lie_in_the_level_of_their_code_and_only_the_changed_one_moves(cells):
    for name, (low, high) in VALUE_RANGES.items():
        width = (high - low) / CELL_SIZES[CELL_FACTORS.index(name)]
        level = (cells.obs[f"{name}_value"] - low) / width
        np.testing.assert_array_equal(np.floor(level).astype(int), cells.obs[name])
    changed = changed_factors(cells, CELL_FACTORS)
    for name in VALUE_RANGES:
        values = cells.obs[f"{name}_value"].to_numpy()
        moved = values[0::2] != values[1::2]
        np.testing.assert_array_equal(moved, changed[:, CELL_FACTORS.index(name)])


def test_digits_are_upsampled_bilinearly_with_a_stratified_split():
    from sklearn.datasets import load_digits

    native = digits(image_size=8)
    np.testing.assert_allclose(native.obsm["image"][:, 0], load_digits().images / 16, atol=1e-6)
    adata = digits(image_size=16, train_fraction=0.75)
    assert adata.obsm["image"].shape == (1797, 1, 16, 16)
    assert list(adata.obs["digit"].cat.categories) == list(range(10))
    share = adata.obs.groupby("digit", observed=True)["train"].mean()
    np.testing.assert_allclose(share, 0.75, atol=0.01)
    # bilinear: the mean grey level is kept, and no value leaves the range of its neighbours
    np.testing.assert_allclose(
        adata.obsm["image"].mean(axis=(1, 2, 3)),
        native.obsm["image"].mean(axis=(1, 2, 3)),
        atol=0.02,
    )
    assert adata.uns["digits"]["factors"] == ["digit"]


def test_registry_reads_defaults_from_source_and_builds_the_datasets():
    filled = registry.default_registry().check_dataset_params(
        "drl.texture_dsprites", {"n_images": 4}
    )
    assert filled == {
        "n_images": 4,
        "image_size": 64,
        "channels": 3,
        "one_factor_pairs": True,
        "train_fraction": 0.8,
        "seed": 0,
    }
    assert registry.default_registry().check_dataset_params("drl.digits", {})["image_size"] == 32
    assert (
        registry.default_registry().check_dataset_params("drl.synthetic_cells", {})["n_images"]
        == 2000
    )
    with pytest.raises(ConfigError, match="unknown parameter"):
        registry.default_registry().check_dataset_params("drl.synthetic_cells", {"channels": 3})
    adata = registry.load_dataset("drl.synthetic_cells", n_images=2, image_size=16)
    assert adata.obsm["image"].shape == (2, 1, 16, 16)


def test_a_dataset_round_trips_through_h5ad(tmp_path):
    import anndata

    adata = synthetic_cells(n_images=4, image_size=16, seed=0)
    adata.write_h5ad(tmp_path / "cells.h5ad")
    back = anndata.read_h5ad(tmp_path / "cells.h5ad")
    np.testing.assert_array_equal(back.obsm["image"], adata.obsm["image"])
    pd.testing.assert_frame_equal(back.obs, adata.obs)
    assert list(back.uns["synthetic_cells"]["factors"]) == list(CELL_FACTORS)


@pytest.mark.parametrize(
    ("function", "params", "match"),
    [
        (texture_dsprites, {"n_images": 1}, r"n_images: expected an integer >= 2, found 1"),
        (synthetic_cells, {"n_images": 5}, r"n_images: expected an even number .* found 5"),
        (
            texture_dsprites,
            {"train_fraction": 1.0},
            r"train_fraction: .*between 0 and 1.* found 1.0",
        ),
        (synthetic_cells, {"train_fraction": 0}, r"train_fraction: .* found 0"),
        (
            texture_dsprites,
            {"n_images": 2, "image_size": 4},
            r"image_size: expected an integer >= 8, found 4",
        ),
        (texture_dsprites, {"n_images": 2, "channels": 4}, r"channels: expected 1 \(grey\) or 3"),
        (
            synthetic_cells,
            {"n_images": 2, "image_size": 8},
            r"image_size: expected an integer >= 16, found 8",
        ),
        (digits, {"image_size": 12}, r"image_size: expected a multiple of 8 .* found 12"),
        (digits, {"train_fraction": -0.5}, r"train_fraction: .* found -0.5"),
    ],
)
def test_bad_params_name_the_parameter_expected_and_found(function, params, match):
    with pytest.raises(ConfigError, match=match):
        function(**params)


# --- the synthetic cells themselves (noise-free, unblurred, so that effects are exact)


def cell(shape=0, texture=0, size=2, orientation=0, x=2, y=2, intensity=3):
    return [shape, texture, size, orientation, x, y, intensity]


def render(clean, rows, instance=0):
    return clean.render(np.array(rows), np.full(len(rows), instance))[:, 0]


def mask_of(image):
    return image > BACKGROUND + 0.02


def test_the_same_codes_and_seeds_give_identical_cells():
    cells = SyntheticCells(image_size=32)
    codes = cells.sample_factors(5, np.random.default_rng(0))
    a = cells.render(codes, np.arange(5), np.arange(5))
    assert a.tobytes() == cells.render(codes, np.arange(5), np.arange(5)).tobytes()
    assert not np.array_equal(a, cells.render(codes, np.arange(5), np.arange(5) + 1))  # noise


def test_intensity_scales_the_cell_and_nothing_else(clean):
    dim, bright = render(clean, [cell(intensity=0), cell(intensity=3)]) - BACKGROUND
    values = clean.values(np.array([cell(intensity=0), cell(intensity=3)]), [0, 0])["intensity"]
    np.testing.assert_allclose(
        dim * (values[1] - BACKGROUND), bright * (values[0] - BACKGROUND), atol=1e-6
    )


def test_size_grows_the_area(clean):
    areas = mask_of(render(clean, [cell(size=s) for s in range(4)])).sum(axis=(1, 2))
    assert np.all(np.diff(areas) > 0)


def test_x_moves_right_and_y_moves_down(clean):
    rows = [cell(x=0, y=3), cell(x=3, y=0)]
    values = clean.values(np.array(rows), [0, 0])
    for image, dx, dy in zip(render(clean, rows), values["x"], values["y"], strict=True):
        centre = ndimage.center_of_mass(mask_of(image))  # (row, col), pixel 0 spans [0, 1)
        assert centre[1] + 0.5 == pytest.approx(32 + 64 * dx, abs=1.0)
        assert centre[0] + 0.5 == pytest.approx(32 + 64 * dy, abs=1.0)


def test_an_elongated_cell_points_along_its_orientation(clean):
    rows = [cell(shape=1, orientation=o) for o in range(8)]
    angles = clean.values(np.array(rows), np.zeros(8, int))["orientation"]
    for image, angle in zip(render(clean, rows), angles, strict=True):
        points = np.argwhere(mask_of(image)).astype(float)
        xy = np.stack([points[:, 1], -points[:, 0]], axis=1)  # world axes, y up
        eigenvalues, eigenvectors = np.linalg.eigh(np.cov(xy.T))
        major = eigenvectors[:, 1]
        found = np.arctan2(major[1], major[0]) % np.pi
        assert min(abs(found - angle), np.pi - abs(found - angle)) < np.radians(6)
        assert eigenvalues[1] / eigenvalues[0] > 3


def test_shapes_are_round_elongated_and_irregular(clean):
    for instance in range(3):
        rows = [cell(shape=s, size=3) for s in range(3)]
        round_, elongated, irregular = render(clean, rows, instance)
        solidity = []
        for image in (round_, elongated, irregular):
            points = np.argwhere(mask_of(image)) + 0.5
            solidity.append(len(points) / ConvexHull(points).volume)
        assert solidity[2] < min(solidity[:2]) - 0.02  # blebs make it concave
        ratio = [
            np.divide(*np.linalg.eigvalsh(np.cov(np.argwhere(mask_of(i)).T))[::-1])
            for i in (round_, elongated)
        ]
        assert ratio[0] < 1.6 < 3 < ratio[1]


def test_punctate_cells_have_fine_bright_granules_and_smooth_ones_do_not(clean):
    for shape in range(3):
        smooth, punctate = render(clean, [cell(shape=shape, texture=t) for t in range(2)])
        inside = ndimage.binary_erosion(mask_of(smooth), iterations=3)
        detail = [np.std((i - ndimage.gaussian_filter(i, 1.5))[inside]) for i in (smooth, punctate)]
        assert detail[1] > 3 * detail[0]


def test_one_instance_keeps_every_detail_when_one_code_changes(clean):
    # granules belong to the instance: a brighter punctate cell has them at the same places
    dim, bright = render(
        clean, [cell(texture=1, intensity=1), cell(texture=1, intensity=3)], instance=4
    )
    other = render(clean, [cell(texture=1, intensity=3)], instance=5)[0]
    correlation = np.corrcoef(dim.ravel(), bright.ravel())[0, 1]
    assert correlation > 0.999 > np.corrcoef(bright.ravel(), other.ravel())[0, 1]


def test_bad_cell_codes_and_seeds_are_refused(clean):
    with pytest.raises(
        InputError, match=r"orientation \(column 3\) expects codes in \[0, 7\], found 8"
    ):
        clean.render(np.array([cell(orientation=8)]), [0])
    with pytest.raises(InputError, match=r"instances: expected 2 seeds .* found shape \(1,\)"):
        clean.render(np.array([cell(), cell()]), [0])
    with pytest.raises(InputError, match=r"expected an array \(n, 7\)"):
        clean.render(np.zeros((1, 5), int), [0])
    with pytest.raises(ConfigError, match="noise"):
        SyntheticCells(noise=-1)


# ------------------------------------------------------------------ real nuclei (stardist's image)
def test_nuclei_are_one_crop_per_ground_truth_nucleus_with_measured_factors():
    from morphospace.drl.datasets import NUCLEUS_FACTORS, nuclei

    adata = nuclei(crop_size=48)
    assert adata.n_obs == 125  # the nuclei of stardist's img2d.tif
    assert adata.obsm["image"].shape == (125, 1, 48, 48)
    assert adata.obsm["image"].dtype == np.float32
    assert adata.obsm["image"].min() >= 0 and adata.obsm["image"].max() <= 1
    masks = adata.obsm["mask"]
    assert (masks.sum(axis=(1, 2, 3)) > 0).all()
    assert masks[:, 0, 24, 24].mean() > 0.9  # crops are centred on their nucleus
    for name, levels in NUCLEUS_FACTORS.items():
        assert set(adata.obs[name]) == set(range(levels))
    # quantile levels: the area terciles hold a third of the nuclei each
    assert adata.obs["area"].value_counts().min() >= 41
    assert adata.obs.groupby("area")["area_value"].max().is_monotonic_increasing
    assert adata.obs["train"].sum() == 100


def test_nuclei_without_stardist_say_what_to_install(monkeypatch):
    import importlib.util

    from morphospace.core.errors import MissingDependencyError
    from morphospace.drl.datasets import nuclei

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "stardist" else real(name, *a)
    )
    with pytest.raises(MissingDependencyError, match=r"pip install 'morphospace-drl\[nuclei\]'"):
        nuclei()


def test_nuclei_crop_size_must_suit_the_network():
    from morphospace.drl.datasets import nuclei

    with pytest.raises(ConfigError, match="crop_size: expected a multiple of 16"):
        nuclei(crop_size=40)
