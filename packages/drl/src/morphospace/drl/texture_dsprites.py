"""Texture-dSprites: a procedural source of images whose 7 factors of variation are known.

dSprites (Matthey et al. 2017) with a texture and a colour inside each sprite, as used by
Dapueto et al. to pre-train disentangled encoders for microscopy. The factors, in order:

=============  ====  ==========================================================
texture        5     stripes, checkerboard, dots, smooth noise (fBm), rings
colour         7     light blue, salmon, pink, green, yellow, light cyan, white
shape          3     square, ellipse, heart
scale          6     0.5 .. 1, linearly (as dSprites)
orientation    40    2 pi k / 40, k = 0 .. 39 (counter-clockwise)
x              32    sprite centre from 0.22 to 0.78 of the width, left to right
y              32    sprite centre from 0.22 to 0.78 of the height, top to bottom
=============  ====  ==========================================================

The 25.8 million combinations are never materialised: an image is rendered from its
codes on demand, deterministically (no hidden random state), so the same codes always
give the same bytes. The original's Brodatz photographs cannot ship, so the five
textures are drawn in code, in object coordinates: they rotate and scale with the sprite.

Images can be rendered at any size: a target's images are never resized for the model;
the source is rendered at the target's size and channel count instead. With one channel
the image is the luminance (Rec. 709 weights, as ``skimage.color.rgb2gray``), and the 7
colours were chosen so that their luminances are 7 distinct grey levels from 0.45 to 1
(:data:`GREY_LEVELS`): the colour factor stays identifiable in grey.

Known invariances (as in dSprites): a square whose texture is symmetric under a quarter
turn (checkerboard, dots, rings) looks the same at orientations k and k + 10 (90°), and
an ellipse with such a texture, or with stripes, at k and k + 20 (180°); orientation is
only identifiable modulo those turns for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from morphospace.core.errors import ConfigError, InputError
from morphospace.drl.factor_grid import FactorGrid

FACTOR_NAMES: tuple[str, ...] = ("texture", "colour", "shape", "scale", "orientation", "x", "y")
FACTOR_SIZES: tuple[int, ...] = (5, 7, 3, 6, 40, 32, 32)

TEXTURES: tuple[str, ...] = ("stripes", "checkerboard", "dots", "noise", "rings")
COLOUR_NAMES: tuple[str, ...] = (
    "light blue",
    "salmon",
    "pink",
    "green",
    "yellow",
    "light cyan",
    "white",
)
#: RGB of each colour, in [0, 1]; their luminances are spread evenly from 0.45 to 1.
COLOURS: np.ndarray = np.array(
    [
        [0.407, 0.407, 1.000],
        [1.000, 0.418, 0.418],
        [1.000, 0.488, 1.000],
        [0.034, 1.000, 0.034],
        [1.000, 0.845, 0.000],
        [0.569, 1.000, 1.000],
        [1.000, 1.000, 1.000],
    ],
    dtype=np.float32,
)
#: Rec. 709 luminance weights (those of ``skimage.color.rgb2gray``).
LUMA: np.ndarray = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)
#: The grey level of each colour when ``channels=1``: 0.45, 0.54, ..., 1.0.
GREY_LEVELS: np.ndarray = (COLOURS @ LUMA).astype(np.float32)
SHAPES: tuple[str, ...] = ("square", "ellipse", "heart")
SCALES: np.ndarray = np.linspace(0.5, 1.0, 6, dtype=np.float32)
ORIENTATIONS: np.ndarray = (2 * np.pi * np.arange(40) / 40).astype(np.float32)
#: Sprite centres as fractions of the image side (x: of the width, y: of the height).
POSITIONS: np.ndarray = np.linspace(0.22, 0.78, 32, dtype=np.float32)
#: Half the side of a square at scale 1, as a fraction of the image side. The sprite
#: spans [-1, 1] in object coordinates; at scale 1 a square rotated 45° reaches 0.27 of
#: the side from its centre, so at the outermost positions only its corners leave the image.
HALF_SIDE = 0.19

#: Texture values stay in [LOW, 1] so the shape is visible whatever the texture.
LOW = 0.35
_CHUNK = 32  # images rendered together: keeps every temporary array in cache


# --- shapes: signed distances in object units (negative inside), exact or close to it
# near the boundary, which is all the one-pixel anti-aliased edge needs.


def _square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(u), np.abs(v)) - 1


_ELLIPSE_AXES = (1.0, 0.6)


def _ellipse(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # first-order distance to the level set k = 1 of k = |(u / a, v / b)|: (k - 1) / |grad k|
    a2, b2 = _ELLIPSE_AXES[0] ** 2, _ELLIPSE_AXES[1] ** 2
    k = np.sqrt(u * u / a2 + v * v / b2)
    gradient = np.sqrt((u / a2) ** 2 + (v / b2) ** 2) + 1e-6
    return (k - 1) * k / gradient


# The heart is a diamond (a square turned 45°, half-diagonal D, centred at (0, C)) with
# two discs on its upper sides; it spans [-0.99, 0.99] x [-0.905, 0.905].
_HEART_D = 0.82
_HEART_C = -0.085
_HEART_R = _HEART_D / math.sqrt(2)


def _heart(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    w = v - np.float32(_HEART_C)
    diamond = np.maximum(np.abs(u + w), np.abs(w - u)) * np.float32(1 / math.sqrt(2)) - np.float32(
        _HEART_R
    )
    lobe_v = (w - np.float32(_HEART_D / 2)) ** 2
    au = np.abs(u) - np.float32(_HEART_D / 2)  # both discs at once: they mirror each other
    lobes = np.sqrt(au * au + lobe_v) - np.float32(_HEART_R)
    return np.minimum(diamond, lobes)


_SHAPE_DISTANCE: tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], ...] = (
    _square,
    _ellipse,
    _heart,
)


# --- textures: smooth functions of object coordinates with values in [0, 1], mapped to
# [LOW, 1] by the caller. Periods are in object units (the sprite spans 2).

_TWO_PI = np.float32(2 * np.pi)


def _stripes(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.cos(u * (_TWO_PI / np.float32(2 / 3)))


def _checkerboard(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # cos * cos (not sin * sin): a cell is centred on the sprite, so a quarter turn maps
    # the board onto itself; the clip sharpens the soft board into cells
    board = np.cos(u * np.float32(2 * np.pi)) * np.cos(v * np.float32(2 * np.pi))
    return np.clip(0.5 + 1.5 * board, 0, 1)


_DOT_SPACING = np.float32(0.5)
_DOT_SIGMA = 0.1


def _dots(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    du = u - _DOT_SPACING * np.round(u / _DOT_SPACING)
    dv = v - _DOT_SPACING * np.round(v / _DOT_SPACING)
    return np.exp((du * du + dv * dv) * np.float32(-1 / (2 * _DOT_SIGMA**2)))


def _noise_table(size: int = 64, cells_per_unit: float = 16.0) -> np.ndarray:
    """A periodic fBm-like field in [0, 1]: fixed-seed white noise shaped by 1/f^1.5."""
    rng = np.random.default_rng(20230917)  # fixed: the table is part of the texture's definition
    spectrum = np.fft.fft2(rng.standard_normal((size, size)))
    freq = np.fft.fftfreq(size) * size
    radius = np.hypot(freq[:, None], freq[None, :])
    # cycles per object unit = radius / (size / cells_per_unit); keep at most 2 (period 0.5)
    keep = (radius > 0) & (radius <= 2 * size / cells_per_unit)
    gain = np.where(keep, 1 / np.maximum(radius, 1) ** 1.5, 0)
    field = np.fft.ifft2(spectrum * gain).real
    # equalised (ranks, uniform in [0, 1]): plain min-max scaling leaves most of it mid-grey
    ranks = np.argsort(np.argsort(field, axis=None)).reshape(field.shape)
    return (ranks / (ranks.size - 1)).astype(np.float32)


_NOISE = _noise_table()
_NOISE_SIZE = _NOISE.shape[0]
_NOISE_CELLS_PER_UNIT = np.float32(16.0)


def _noise(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # bilinear lookup in the periodic table; the sprite covers half a period
    tu = u * _NOISE_CELLS_PER_UNIT
    tv = v * _NOISE_CELLS_PER_UNIT
    fu = np.floor(tu)
    fv = np.floor(tv)
    au, av = tu - fu, tv - fv
    size = _NOISE_SIZE
    i0 = fv.astype(np.int64) % size
    j0 = fu.astype(np.int64) % size
    i1 = (i0 + 1) % size
    j1 = (j0 + 1) % size
    flat = _NOISE.ravel()
    top = flat[i0 * size + j0] * (1 - au) + flat[i0 * size + j1] * au
    bottom = flat[i1 * size + j0] * (1 - au) + flat[i1 * size + j1] * au
    return top * (1 - av) + bottom * av


def _rings(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.cos(np.sqrt(u * u + v * v) * (_TWO_PI / np.float32(0.5)))


_TEXTURE_VALUE: tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], ...] = (
    _stripes,
    _checkerboard,
    _dots,
    _noise,
    _rings,
)


def _check_integers(array: np.ndarray, name: str, expected: str) -> None:
    if array.dtype.kind not in "iu":
        raise InputError(f"{name}: expected {expected} of integers, found dtype {array.dtype}")


class TextureDSprites(FactorGrid):
    """The Texture-dSprites source, rendered on demand at ``image_size`` with ``channels``.

    Indexing follows dSprites' mixed radix: the last factor (y) varies fastest, so
    ``index = ((((texture * 7 + colour) * 3 + shape) * 6 + scale) * 40 + orientation)
    * 32 + x) * 32 + y``. ``source[i]`` returns image ``i`` and its factor codes, so the
    source can stand in for a (huge) map-style dataset.
    """

    factor_names: tuple[str, ...] = FACTOR_NAMES
    factor_sizes: tuple[int, ...] = FACTOR_SIZES

    def __init__(self, image_size: int = 64, channels: int = 3):
        if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)):
            raise ConfigError(f"image_size: expected an integer >= 8, found {image_size!r}")
        if image_size < 8:
            raise ConfigError(f"image_size: expected an integer >= 8, found {image_size}")
        if isinstance(channels, bool) or channels not in (1, 3):
            raise ConfigError(f"channels: expected 1 (grey) or 3 (RGB), found {channels!r}")
        self.image_size = int(image_size)
        self.channels = int(channels)
        self._bases = np.cumprod((1,) + FACTOR_SIZES[:0:-1], dtype=np.int64)[::-1].copy()
        self._grid = np.arange(self.image_size, dtype=np.float32) + np.float32(0.5)
        self._colours = COLOURS if self.channels == 3 else GREY_LEVELS[:, None]

    def __repr__(self) -> str:
        return f"TextureDSprites(image_size={self.image_size}, channels={self.channels})"

    @property
    def n_combinations(self) -> int:
        """The number of distinct factor combinations (25,804,800)."""
        return int(np.prod(FACTOR_SIZES, dtype=np.int64))

    def __len__(self) -> int:
        return self.n_combinations

    # --- codes and indices

    def index_to_factors(self, index) -> np.ndarray:
        """Factor codes ``(n, 7)`` int64 of flat indices ``(n,)`` (an int gives ``(1, 7)``)."""
        flat = np.atleast_1d(np.asarray(index))
        if flat.ndim != 1:
            raise InputError(f"index: expected an int or a 1-D array, found shape {flat.shape}")
        _check_integers(flat, "index", "an int or an array")
        flat = flat.astype(np.int64)
        bad = (flat < 0) | (flat >= self.n_combinations)
        if bad.any():
            raise InputError(
                f"index: expected values in [0, {self.n_combinations - 1}], found "
                f"{int(flat[np.argmax(bad)])} (at position {int(np.argmax(bad))})"
            )
        return (flat[:, None] // self._bases) % np.asarray(FACTOR_SIZES, dtype=np.int64)

    def factors_to_index(self, factors) -> np.ndarray:
        """Flat indices ``(n,)`` int64 of factor codes ``(n, 7)``; inverse of the above."""
        codes = self._check_factors(factors)
        return codes @ self._bases

    # --- rendering

    def render(self, factors) -> np.ndarray:
        """Images ``(n, C, S, S)`` float32 in [0, 1] of factor codes ``(n, 7)``."""
        codes = self._check_factors(factors)
        size = self.image_size
        out = np.empty((len(codes), self.channels, size, size), dtype=np.float32)
        for start in range(0, len(codes), _CHUNK):
            out[start : start + _CHUNK] = self._render_chunk(codes[start : start + _CHUNK])
        return out

    def __getitem__(self, index) -> tuple[np.ndarray, np.ndarray]:
        """Image ``(C, S, S)`` and factor codes ``(7,)`` of flat index ``index``.

        Negative indices count from the end, as for a sequence.
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise InputError(f"index: expected an int, found {type(index).__name__}")
        if -self.n_combinations <= index < 0:
            index += self.n_combinations
        factors = self.index_to_factors(int(index))
        return self.render(factors)[0], factors[0]

    def _render_chunk(self, codes: np.ndarray) -> np.ndarray:
        size = self.image_size
        texture, colour, shape, scale, orientation, x, y = codes.T
        pixels_per_unit = SCALES[scale] * np.float32(HALF_SIDE * size)  # (n,)
        inverse = (1 / pixels_per_unit)[:, None, None]
        theta = ORIENTATIONS[orientation]
        cos = np.cos(theta)[:, None, None] * inverse
        sin = np.sin(theta)[:, None, None] * inverse
        # object coordinates of every pixel centre: world axes with Y up, then the sprite's
        # rotation undone and its scale divided out
        dx = self._grid[None, None, :] - (POSITIONS[x] * np.float32(size))[:, None, None]
        dy = (POSITIONS[y] * np.float32(size))[:, None, None] - self._grid[None, :, None]
        u = cos * dx + sin * dy
        v = cos * dy - sin * dx
        value = np.empty_like(u)
        for kind in np.unique(shape):
            rows = shape == kind
            distance = _SHAPE_DISTANCE[kind](u[rows], v[rows])
            # coverage of a pixel by the shape: a one-pixel linear ramp across the edge
            value[rows] = np.clip(
                0.5 - distance * pixels_per_unit[rows][:, None, None], 0, 1, dtype=np.float32
            )
        for kind in np.unique(texture):
            rows = texture == kind
            value[rows] *= np.float32(LOW) + np.float32(1 - LOW) * _TEXTURE_VALUE[kind](
                u[rows], v[rows]
            )
        return value[:, None] * self._colours[colour][:, :, None, None]
