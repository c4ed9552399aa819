"""Synthetic fluorescence cells: a microscopy-like target whose factors are partly known.

Each image shows one cell on a dark background, single channel. Its class comes from two
factors, its appearance from five nuisance factors that vary freely and are recorded too:

===========  ======  ============================================================
shape        3       round, elongated (an ellipse, axes 1.45 : 1/1.45), irregular
                     (blebs: 4 to 6 narrow bulges of the membrane)
texture      2       smooth (cytoplasm brighter at the centre), punctate (dimmer
                     cytoplasm with 25 to 40 bright granules)
size         4       mean radius 0.12 .. 0.20 of the image side
orientation  8       0 .. pi radians (an elongated cell is the same after a half turn)
x, y         4, 4    centre offset -0.08 .. 0.08 of the side from the image centre
                     (x to the right, y down)
intensity    4       peak brightness 0.45 .. 0.95
===========  ======  ============================================================

The 6 classes are ``"<shape>-<texture>"`` (``round-smooth`` ... ``irregular-punctate``).
A nuisance factor is continuous: its range is cut into equal levels, the code is the
level, and the value lies uniformly inside it (``values`` gives it). Everything a cell
looks like beyond its codes (where the blebs and granules are, the wobble of the
membrane, the offsets inside each level) comes from its *instance* seed, and the camera
noise from a separate noise seed; so two cells with one instance and codes differing in
one factor differ only in that factor (and in noise): the one-factor pairs that OMES needs.
The image is blurred slightly (the optics) before Poisson-like noise is added (the camera),
then clipped to [0, 1].
"""

from __future__ import annotations

import math

import numpy as np

from morphospace.core.errors import ConfigError, InputError
from morphospace.drl.factor_grid import FactorGrid

FACTOR_NAMES: tuple[str, ...] = ("shape", "texture", "size", "orientation", "x", "y", "intensity")
FACTOR_SIZES: tuple[int, ...] = (3, 2, 4, 8, 4, 4, 4)
#: The factors that define the class; the others are nuisance factors.
CLASS_FACTORS: tuple[str, ...] = ("shape", "texture")
NUISANCE_FACTORS: tuple[str, ...] = ("size", "orientation", "x", "y", "intensity")
SHAPES: tuple[str, ...] = ("round", "elongated", "irregular")
TEXTURES: tuple[str, ...] = ("smooth", "punctate")
#: Class ``i`` is shape ``i // 2`` with texture ``i % 2``.
CLASSES: tuple[str, ...] = tuple(f"{s}-{t}" for s in SHAPES for t in TEXTURES)
#: The continuous range of each nuisance factor, cut into ``FACTOR_SIZES`` equal levels.
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "size": (0.12, 0.20),  # mean radius / image side
    "orientation": (0.0, math.pi),  # radians, counter-clockwise
    "x": (-0.08, 0.08),  # centre offset / image side, to the right
    "y": (-0.08, 0.08),  # centre offset / image side, down
    "intensity": (0.45, 0.95),  # peak brightness
}

_ELONGATION = 1.45
BACKGROUND = 0.04


def class_of(factors) -> np.ndarray:
    """Class indices ``(n,)`` (into :data:`CLASSES`) of factor codes ``(n, 7)``."""
    codes = np.asarray(factors)
    return codes[:, 0] * len(TEXTURES) + codes[:, 1]


class _Details:
    """What an instance seed fixes: offsets inside the levels, membrane, blebs, granules."""

    def __init__(self, instance: int):
        rng = np.random.default_rng([int(instance), 0])
        # drawn in a fixed order, whatever the codes, so that changing one code changes
        # nothing else about the cell
        self.offsets = rng.random(len(NUISANCE_FACTORS))
        self.wobble = rng.normal(0, 1, (2, 3)) * np.array([0.025, 0.02, 0.015])  # harmonics 2-4
        self.wobble_phase = rng.uniform(0, 2 * np.pi, 3)
        n_blebs = int(rng.integers(4, 7))
        self.bleb_angles = rng.uniform(0, 2 * np.pi, n_blebs)
        self.bleb_heights = rng.uniform(0.25, 0.4, n_blebs)
        n_granules = int(rng.integers(25, 41))
        self.granule_radius = 0.85 * np.sqrt(rng.random(n_granules))
        self.granule_angle = rng.uniform(0, 2 * np.pi, n_granules)
        self.granule_height = rng.uniform(0.5, 1.0, n_granules)
        self.field_waves = rng.normal(0, 1.5, (4, 2))  # low-frequency modulation of the cytoplasm
        self.field_phase = rng.uniform(0, 2 * np.pi, 4)


def _check_seeds(seeds, n: int, name: str) -> np.ndarray:
    array = np.asarray(seeds)
    if array.ndim != 1 or len(array) != n:
        raise InputError(f"{name}: expected {n} seeds (one per image), found shape {array.shape}")
    if array.dtype.kind not in "iu" or (array < 0).any():
        raise InputError(f"{name}: expected non-negative integers, found {array[:5]!r}...")
    return array


class SyntheticCells(FactorGrid):
    """Renders synthetic fluorescence cells from factor codes, instance and noise seeds.

    ``noise`` is the camera's read-noise standard deviation (shot noise grows with the
    signal), ``blur`` the standard deviation in pixels of the optics' Gaussian blur.
    """

    factor_names: tuple[str, ...] = FACTOR_NAMES
    factor_sizes: tuple[int, ...] = FACTOR_SIZES

    def __init__(self, image_size: int = 64, noise: float = 0.02, blur: float = 0.7):
        if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)):
            raise ConfigError(f"image_size: expected an integer >= 16, found {image_size!r}")
        if image_size < 16:
            raise ConfigError(f"image_size: expected an integer >= 16, found {image_size}")
        if not 0 <= noise <= 0.5:
            raise ConfigError(f"noise: expected a standard deviation in [0, 0.5], found {noise}")
        if not 0 <= blur <= image_size / 8:
            raise ConfigError(
                f"blur: expected a sigma in [0, {image_size / 8}] pixels, found {blur}"
            )
        self.image_size = int(image_size)
        self.noise = float(noise)
        self.blur = float(blur)
        centres = np.arange(self.image_size, dtype=np.float64) + 0.5 - self.image_size / 2
        self._x = centres[None, :]
        self._y = -centres[:, None]  # world y points up

    def __repr__(self) -> str:
        return f"SyntheticCells(image_size={self.image_size}, noise={self.noise}, blur={self.blur})"

    def values(self, factors, instances) -> dict[str, np.ndarray]:
        """The continuous value of each nuisance factor, ``{name: (n,)}`` (see VALUE_RANGES)."""
        codes = self._check_factors(factors)
        instances = _check_seeds(instances, len(codes), "instances")
        offsets = np.array([_Details(i).offsets for i in instances]).reshape(len(codes), -1)
        return self._values(codes, offsets)

    @staticmethod
    def _values(codes: np.ndarray, offsets: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for j, name in enumerate(NUISANCE_FACTORS):
            column = FACTOR_NAMES.index(name)
            low, high = VALUE_RANGES[name]
            level = (codes[:, column] + offsets[:, j]) / FACTOR_SIZES[column]
            out[name] = low + (high - low) * level
        return out

    def render(self, factors, instances, noise_seeds=None) -> np.ndarray:
        """Images ``(n, 1, S, S)`` float32 in [0, 1].

        ``instances`` (n,) non-negative ints fix each cell's details; ``noise_seeds`` (n,)
        its camera noise (default: derived from the instance).
        """
        from scipy import ndimage

        codes = self._check_factors(factors)
        instances = _check_seeds(instances, len(codes), "instances")
        if noise_seeds is None:
            noise_seeds = [None] * len(codes)
        else:
            noise_seeds = _check_seeds(noise_seeds, len(codes), "noise_seeds")
        size = self.image_size
        clean = np.empty((len(codes), size, size))
        for i, (row, instance) in enumerate(zip(codes, instances, strict=True)):
            clean[i] = self._cell(row, _Details(instance))
        if self.blur > 0:
            clean = ndimage.gaussian_filter(clean, (0, self.blur, self.blur), mode="nearest")
        images = np.empty((len(codes), 1, size, size), dtype=np.float32)
        for i, (instance, seed) in enumerate(zip(instances, noise_seeds, strict=True)):
            rng = np.random.default_rng([int(instance), 1] if seed is None else [int(seed), 2])
            # Poisson-like: read noise plus shot noise whose variance grows with the signal
            std = self.noise * np.sqrt(1 + 4 * clean[i])
            images[i, 0] = np.clip(clean[i] + std * rng.standard_normal((size, size)), 0, 1)
        return images

    def _cell(self, codes: np.ndarray, details: _Details) -> np.ndarray:
        """The noise-free, unblurred image of one cell."""
        shape, texture = int(codes[0]), int(codes[1])
        value = self._values(codes[None], details.offsets[None])
        size = self.image_size
        radius = value["size"][0] * size  # pixels per object unit
        theta = value["orientation"][0]
        dx = self._x - value["x"][0] * size
        dy = self._y + value["y"][0] * size  # y offset points down, world y up
        # object coordinates: the cell's rotation undone, lengths in units of its radius
        cos, sin = math.cos(theta), math.sin(theta)
        u = (cos * dx + sin * dy) / radius
        v = (cos * dy - sin * dx) / radius
        rho = np.hypot(u, v)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos_phi = np.where(rho > 0, u / rho, 1.0)
            sin_phi = np.where(rho > 0, v / rho, 0.0)

        boundary = self._boundary(shape, cos_phi, sin_phi, details)
        # coverage: a one-pixel ramp across the membrane (radial distance, in pixels)
        inside = np.clip(0.5 - (rho - boundary) * radius, 0, 1)
        field = sum(
            np.cos(w[0] * u + w[1] * v + p)
            for w, p in zip(details.field_waves, details.field_phase, strict=True)
        ) / len(details.field_phase)  # in [-1, 1], smooth
        if texture == 0:  # smooth: brighter towards the centre
            relative = np.clip(rho / boundary, 0, 1)
            inner = 0.8 + 0.2 * (1 - relative**2) + 0.08 * field
        else:  # punctate: dim cytoplasm and bright granules, placed inside the membrane
            angle = details.granule_angle
            reach = self._boundary(shape, np.cos(angle), np.sin(angle), details)
            gu = details.granule_radius * reach * np.cos(angle)
            gv = details.granule_radius * reach * np.sin(angle)
            # granules are isotropic Gaussians, so each is separable in pixel coordinates:
            # their sum is one (S, K) @ (K, S) product instead of K full-size exponentials
            gx = (cos * gu - sin * gv) * radius + value["x"][0] * size  # right of the centre
            gy = -(sin * gu + cos * gv) * radius + value["y"][0] * size  # below the centre
            scale = -1 / (2 * (0.07 * radius) ** 2)
            across = np.exp((self._x[0][:, None] - gx) ** 2 * scale)  # (S, K)
            down = np.exp((-self._y[:, 0][:, None] - gy) ** 2 * scale)  # (S, K)
            granules = (down * details.granule_height) @ across.T
            inner = 0.45 + 0.06 * field + 0.55 * granules
        inner = np.clip(inner, 0, 1)
        return BACKGROUND + (value["intensity"][0] - BACKGROUND) * inside * inner

    @staticmethod
    def _boundary(
        shape: int, cos_phi: np.ndarray, sin_phi: np.ndarray, details: _Details
    ) -> np.ndarray:
        """The membrane's distance from the centre at angles ``phi``, in object units.

        Takes ``cos(phi)`` and ``sin(phi)``: the harmonics follow from them by the
        angle-addition recurrence, with no trigonometric call per pixel.
        """
        wobble = 1.0
        cos_n, sin_n = cos_phi, sin_phi
        for n in range(3):  # harmonics 2, 3, 4
            cos_n, sin_n = cos_n * cos_phi - sin_n * sin_phi, sin_n * cos_phi + cos_n * sin_phi
            p = details.wobble_phase[n]
            cos_np, sin_np = (
                cos_n * math.cos(p) - sin_n * math.sin(p),
                sin_n * math.cos(p) + cos_n * math.sin(p),
            )
            wobble = wobble + details.wobble[0, n] * cos_np + details.wobble[1, n] * sin_np
        if shape == 0:
            return wobble
        if shape == 1:
            a, b = _ELONGATION, 1 / _ELONGATION
            return wobble * a * b / np.hypot(b * cos_phi, a * sin_phi)
        # irregular: narrow bulges (von Mises bumps) on a slightly smaller body
        cos_to_bleb = cos_phi[..., None] * np.cos(details.bleb_angles) + sin_phi[
            ..., None
        ] * np.sin(details.bleb_angles)
        bumps = np.exp(20 * (cos_to_bleb - 1))
        return wobble * (0.88 + bumps @ details.bleb_heights)
