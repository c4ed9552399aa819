"""Texture-dSprites: codes and indices, deterministic rendering, what each factor does."""

import numpy as np
import pytest

from morphospace.core.errors import ConfigError, InputError
from morphospace.drl.texture_dsprites import (
    FACTOR_NAMES,
    FACTOR_SIZES,
    GREY_LEVELS,
    LUMA,
    POSITIONS,
    TextureDSprites,
)

TEXTURE, COLOUR, SHAPE, SCALE, ORIENTATION, X, Y = range(7)
SQUARE, ELLIPSE, HEART = range(3)
STRIPES, CHECKERBOARD, DOTS, NOISE, RINGS = range(5)
WHITE = 6


@pytest.fixture(scope="module")
def rgb():
    return TextureDSprites(image_size=64, channels=3)


@pytest.fixture(scope="module")
def grey():
    return TextureDSprites(image_size=64, channels=1)


def sprite(texture=CHECKERBOARD, colour=WHITE, shape=SQUARE, scale=5, orientation=0, x=16, y=16):
    return np.array([[texture, colour, shape, scale, orientation, x, y]])


def test_the_factors_are_those_of_texture_dsprites_in_order(rgb):
    assert FACTOR_NAMES == ("texture", "colour", "shape", "scale", "orientation", "x", "y")
    assert FACTOR_SIZES == (5, 7, 3, 6, 40, 32, 32)
    assert rgb.n_combinations == 25_804_800 == len(rgb)


def test_images_are_float32_in_the_unit_interval_on_a_black_background(rgb, grey):
    factors = rgb.sample_factors(50, np.random.default_rng(0))
    for source, channels in ((rgb, 3), (grey, 1)):
        images = source.render(factors)
        assert images.shape == (50, channels, 64, 64) and images.dtype == np.float32
        assert images.min() >= 0 and images.max() <= 1
    centred = rgb.render(sprite(scale=0))[0]
    assert centred[:, :5, :].max() == 0 and centred[:, :, -5:].max() == 0
    assert centred.max() > 0.9


def test_the_same_factors_give_identical_bytes_alone_or_in_any_batch(rgb):
    factors = rgb.sample_factors(70, np.random.default_rng(1))
    batch = rgb.render(factors)
    one_by_one = np.concatenate([rgb.render(f[None]) for f in factors[::-1]])[::-1]
    fresh = TextureDSprites(64, 3).render(factors)
    assert batch.tobytes() == one_by_one.tobytes() == fresh.tobytes()


def test_index_and_factors_round_trip_including_the_last_index(rgb):
    rng = np.random.default_rng(2)
    index = np.concatenate([[0, 1, rgb.n_combinations - 1], rng.integers(0, len(rgb), 500)])
    factors = rgb.index_to_factors(index)
    assert factors.shape == (503, 7) and factors.dtype == np.int64
    np.testing.assert_array_equal(rgb.factors_to_index(factors), index)
    np.testing.assert_array_equal(factors[2], np.array(FACTOR_SIZES) - 1)
    assert (factors < np.array(FACTOR_SIZES)).all() and (factors >= 0).all()


def test_indices_are_mixed_radix_with_y_fastest(rgb):
    np.testing.assert_array_equal(rgb.index_to_factors(1), [[0, 0, 0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(rgb.index_to_factors(32), [[0, 0, 0, 0, 0, 1, 0]])
    np.testing.assert_array_equal(
        rgb.index_to_factors(32 * 32 * 40 * 6 * 3), [[0, 1, 0, 0, 0, 0, 0]]
    )


def test_indexing_returns_the_rendered_image_and_its_codes(rgb):
    image, factors = rgb[123_456]
    assert image.shape == (3, 64, 64) and factors.shape == (7,)
    np.testing.assert_array_equal(image, rgb.render(factors[None])[0])
    _, last = rgb[-1]
    np.testing.assert_array_equal(last, np.array(FACTOR_SIZES) - 1)


def test_sampled_factors_cover_every_value_of_every_factor(rgb):
    factors = rgb.sample_factors(5000, np.random.default_rng(3))
    assert factors.dtype == np.int64
    for j, size in enumerate(FACTOR_SIZES):
        assert set(np.unique(factors[:, j])) == set(range(size))
    same = rgb.sample_factors(10, np.random.default_rng(4))
    np.testing.assert_array_equal(same, rgb.sample_factors(10, np.random.default_rng(4)))


def test_every_factor_changes_the_image(rgb, grey):
    rng = np.random.default_rng(5)
    base = rgb.sample_factors(30, rng)
    for j, size in enumerate(FACTOR_SIZES):
        other = base.copy()
        # one orientation step never hits a symmetry (quarter turns can, see below)
        step = 1 if j == ORIENTATION else rng.integers(1, size, len(base))
        other[:, j] = (base[:, j] + step) % size
        for source in (rgb, grey):
            change = np.abs(source.render(base) - source.render(other)).max(axis=(1, 2, 3))
            assert (change > 0.05).all(), FACTOR_NAMES[j]


def test_grey_is_the_luminance_and_each_colour_has_its_own_grey_level(rgb, grey):
    assert np.all(np.diff(GREY_LEVELS) > 0.08)
    assert GREY_LEVELS[0] == pytest.approx(0.45, abs=0.01) and GREY_LEVELS[-1] == pytest.approx(1)
    factors = np.repeat(sprite(texture=NOISE), 7, axis=0)
    factors[:, COLOUR] = np.arange(7)
    images = grey.render(factors)[:, 0]
    np.testing.assert_allclose(
        images, np.einsum("nchw,c->nhw", rgb.render(factors), LUMA), atol=1e-6
    )
    brightest = images.max(axis=(1, 2))
    np.testing.assert_allclose(brightest / brightest[-1], GREY_LEVELS, rtol=1e-5)
    # each colour of the RGB source is its own hue too
    assert len({tuple(np.round(c, 2)) for c in rgb.render(factors).max(axis=(2, 3))}) == 7


def test_area_grows_with_the_square_of_scale_and_shapes_keep_their_order(grey):
    factors = np.array(
        [[STRIPES, WHITE, shape, scale, 0, 16, 16] for shape in range(3) for scale in (0, 5)]
    )
    area = (grey.render(factors)[:, 0] > 0).sum(axis=(1, 2)).reshape(3, 2)
    ratio = area[:, 1] / area[:, 0]
    np.testing.assert_allclose(ratio, 4, rtol=0.2)  # scale 1 vs 0.5
    square, ellipse, heart = area[:, 1]
    assert square > heart > ellipse


def test_a_quarter_turn_leaves_a_square_with_a_symmetric_texture_unchanged(rgb):
    for texture in (CHECKERBOARD, DOTS, RINGS):
        upright, tilted, quarter = rgb.render(
            np.concatenate([sprite(texture=texture, orientation=o) for o in (0, 5, 10)])
        )
        np.testing.assert_allclose(quarter, upright, atol=1e-4)
        assert np.abs(tilted - upright).max() > 0.5
    # stripes break the symmetry: the quarter turn is visible
    upright, quarter = rgb.render(
        np.concatenate([sprite(texture=STRIPES, orientation=o) for o in (0, 10)])
    )
    assert np.abs(quarter - upright).max() > 0.5


def test_an_ellipse_repeats_after_a_half_turn_and_a_heart_does_not(rgb):
    half = [sprite(texture=RINGS, shape=ELLIPSE, orientation=o) for o in (0, 10, 20)]
    upright, quarter, turned = rgb.render(np.concatenate(half))
    np.testing.assert_allclose(turned, upright, atol=1e-4)
    assert np.abs(quarter - upright).max() > 0.5
    upright, turned = rgb.render(
        np.concatenate([sprite(texture=RINGS, shape=HEART, orientation=o) for o in (0, 20)])
    )
    assert np.abs(turned - upright).max() > 0.5


def test_x_moves_right_and_y_moves_down_to_the_stated_positions(grey):
    factors = np.array(
        [[CHECKERBOARD, WHITE, SQUARE, 0, 0, x, y] for x, y in ((0, 31), (31, 0), (10, 20))]
    )
    images = grey.render(factors)[:, 0]
    rows, cols = np.indices((64, 64)) + 0.5
    for image, (x, y) in zip(images, factors[:, [X, Y]], strict=True):
        weight = image / image.sum()
        assert (weight * cols).sum() == pytest.approx(POSITIONS[x] * 64, abs=0.3)
        assert (weight * rows).sum() == pytest.approx(POSITIONS[y] * 64, abs=0.3)


def test_any_image_size_renders_the_same_scene(grey):
    factors = sprite(texture=RINGS, scale=3, x=5, y=25)
    small = TextureDSprites(image_size=32, channels=1).render(factors)[0, 0]
    large = grey.render(factors)[0, 0]
    assert small.shape == (32, 32)
    downsampled = large.reshape(32, 2, 32, 2).mean(axis=(1, 3))
    assert np.abs(downsampled - small).mean() < 0.02
    assert TextureDSprites(image_size=8, channels=1).render(factors).shape == (1, 1, 8, 8)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"channels": 2}, r"channels: expected 1 \(grey\) or 3 \(RGB\), found 2"),
        ({"image_size": 7}, r"image_size: expected an integer >= 8, found 7"),
        ({"image_size": 32.0}, r"image_size: expected an integer >= 8, found 32.0"),
    ],
)
def test_bad_settings_are_refused(params, match):
    with pytest.raises(ConfigError, match=match):
        TextureDSprites(**params)


def test_bad_codes_are_refused_naming_the_factor_and_its_range(rgb):
    with pytest.raises(InputError, match=r"expected an array \(n, 7\).*found shape \(1, 6\)"):
        rgb.render(np.zeros((1, 6), dtype=int))
    with pytest.raises(InputError, match=r"found shape \(7,\)"):
        rgb.render(np.zeros(7, dtype=int))
    bad = sprite(orientation=40)
    with pytest.raises(
        InputError, match=r"orientation \(column 4\) expects codes in \[0, 39\], found 40"
    ):
        rgb.render(bad)
    with pytest.raises(InputError, match=r"colour .* found -1"):
        rgb.factors_to_index(sprite(colour=-1))
    with pytest.raises(InputError, match="integer"):
        rgb.render(sprite().astype(float))


def test_bad_indices_are_refused(rgb):
    with pytest.raises(InputError, match=r"\[0, 25804799\], found 25804800"):
        rgb.index_to_factors([3, rgb.n_combinations])
    with pytest.raises(InputError, match="found -1"):
        rgb.index_to_factors(-1)
    with pytest.raises(InputError, match="dtype float64"):
        rgb.index_to_factors(1.0)
    with pytest.raises(InputError, match=r"\[0, 25804799\]"):
        rgb[len(rgb)]
    with pytest.raises(InputError, match="positive number of samples, found 0"):
        rgb.sample_factors(0, np.random.default_rng(0))
