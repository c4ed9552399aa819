"""The toy generator: nested levels, every class present, train and test disjoint."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.hypervae.toy_hierarchy import LEVEL_CLASSES, make_volume


def test_shapes_and_keys(toy):
    assert toy.obsm["volume"].shape == (3, 1, 16, 16, 16)
    assert toy.obsm["truth"].shape == (3, 3, 16, 16, 16)
    assert toy.obs["train"].tolist() == [True, True, False]
    assert toy.uns["toy_hierarchy"]["levels"] == list(LEVEL_CLASSES)


def test_levels_refine_each_other():
    _, labels = make_volume(32, np.random.default_rng(3))
    level1, level2, level3 = labels
    np.testing.assert_array_equal(level1 > 0, level2 > 0)
    np.testing.assert_array_equal(level2 == 2, level3 >= 2)  # nucleus = nucleoplasm + vesicles
    np.testing.assert_array_equal(level2 == 1, level3 == 1)


def test_every_class_of_every_level_occurs():
    _, labels = make_volume(32, np.random.default_rng(0))
    for level, classes in enumerate(LEVEL_CLASSES.values()):
        assert set(np.unique(labels[level])) == set(range(len(classes)))


def test_regions_differ_in_intensity():
    volume, labels = make_volume(32, np.random.default_rng(1), noise=0.0)
    means = [volume[0][labels[2] == k].mean() for k in range(4)]
    assert means[0] < means[1] < means[3] and means[2] < means[3]


def test_seeded_and_train_test_differ():
    a = registry.load_dataset("hypervae.toy_hierarchy", n_train=1, n_test=1, size=16, seed=5)
    b = registry.load_dataset("hypervae.toy_hierarchy", n_train=1, n_test=1, size=16, seed=5)
    np.testing.assert_array_equal(a.obsm["volume"], b.obsm["volume"])
    assert not np.allclose(a.obsm["volume"][0], a.obsm["volume"][1])
    # adding training volumes does not change the test volumes
    c = registry.load_dataset("hypervae.toy_hierarchy", n_train=3, n_test=1, size=16, seed=5)
    np.testing.assert_array_equal(a.obsm["volume"][-1], c.obsm["volume"][-1])


def test_too_small_volumes_are_refused():
    with pytest.raises(ValueError, match="at least 16"):
        registry.load_dataset("hypervae.toy_hierarchy", size=8)


# ------------------------------------------------------------- the paper's textured variant
def _textured(seed, size=32):
    from morphospace.hypervae.textured_volume import make_textured_volume

    return make_textured_volume(size, np.random.default_rng(seed))


def test_textured_levels_nest_as_the_paper_describes():
    volume, (level1, level2, level3) = _textured(0)
    assert volume.shape == (1, 32, 32, 32) and volume.dtype == np.float32
    np.testing.assert_array_equal(level1 > 0, level2 > 0)
    np.testing.assert_array_equal(level2 == 1, level3 == 1)  # cytoplasm
    np.testing.assert_array_equal(level2 == 2, np.isin(level3, [2, 4]))  # vesicle ⊃ spheres
    np.testing.assert_array_equal(level2 == 3, np.isin(level3, [3, 5]))  # mitochondrion ⊃ cubes
    assert set(np.unique(level3)) == set(range(6))


def test_textured_objects_have_the_papers_sizes_at_full_scale():
    from scipy import ndimage

    _, labels = _textured(3, size=50)
    cell_radius = (3 * (labels[0] > 0).sum() / (4 * np.pi)) ** (1 / 3)
    assert 22 < cell_radius < 28  # r ~ N(25, 1), clipped a little by the volume's faces
    vesicles, n = ndimage.label(labels[1] == 2)
    radii = [(3 * (vesicles == i).sum() / (4 * np.pi)) ** (1 / 3) for i in range(1, n + 1)]
    assert n >= 1 and all(6.5 < r < 9.5 for r in radii)  # r ~ N(8, 0.5)
    cubes, m = ndimage.label(labels[1] == 3)
    sides = [(cubes == i).sum() ** (1 / 3) for i in range(1, m + 1)]
    assert m >= 1 and all(14 < s < 20 for s in sides)  # side 2·N(8, 0.5), whole voxels


def test_textured_classes_cannot_be_told_by_brightness():
    """Each instance's colour is a standard normal draw: the cell is brighter than the
    background in about half the volumes, not in all of them."""
    brighter = []
    for seed in range(40):
        volume, labels = _textured(100 + seed, size=16 * 2)
        brighter.append(volume[0][labels[0] == 1].mean() > volume[0][labels[0] == 0].mean())
    assert 0.25 < np.mean(brighter) < 0.75


def test_pink_noise_has_a_one_over_f_spectrum():
    from morphospace.hypervae.textured_volume import pink_noise

    field = pink_noise((64, 64, 64), np.random.default_rng(0))
    assert abs(field.mean()) < 1e-6 and field.std() == pytest.approx(1.0)
    power = np.abs(np.fft.fftn(field)) ** 2
    f = np.sqrt(sum(g**2 for g in np.meshgrid(*[np.fft.fftfreq(64)] * 3, indexing="ij")))
    bins = np.logspace(np.log10(0.03), np.log10(0.45), 8)
    which = np.digitize(f, bins)
    centres = [f[which == i].mean() for i in range(1, len(bins))]
    levels = [power[which == i].mean() for i in range(1, len(bins))]
    slope = np.polyfit(np.log(centres), np.log(levels), 1)[0]
    assert -1.15 < slope < -0.85


def test_the_dataset_builds_either_variant_with_a_validation_split():
    data = registry.load_dataset(
        "hypervae.toy_hierarchy", n_train=2, n_validation=1, n_test=1, size=16, contrast="texture"
    )
    assert data.obs["split"].tolist() == ["train", "train", "validation", "test"]
    assert data.obs["train"].sum() == 2
    assert data.uns["toy_hierarchy"]["classes"]["level2"][2:] == ["vesicle", "mitochondrion"]
    assert data.uns["toy_hierarchy"]["contrast"] == "texture"
    # a validation split leaves the train and test volumes as they were
    without = registry.load_dataset(
        "hypervae.toy_hierarchy", n_train=2, n_test=1, size=16, contrast="texture"
    )
    np.testing.assert_array_equal(without.obsm["volume"][-1], data.obsm["volume"][-1])
    np.testing.assert_array_equal(without.obsm["volume"][:2], data.obsm["volume"][:2])
    with pytest.raises(ValueError, match="contrast must be 'intensity'"):
        registry.load_dataset("hypervae.toy_hierarchy", size=16, contrast="colour")
