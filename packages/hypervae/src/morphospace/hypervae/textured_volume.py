"""The toy hierarchy as Hsu et al. (NeurIPS 2021, section 4.1) built it: texture, not brightness.

A cell (sphere, radius ~ N(25, 1) in a 50³ volume) on a noisy background holds
vesicles (spheres, r ~ N(8, 0.5)) and mitochondria (cuboids, side 2·N(8, 0.5)); vesicles
hold small spheres (r ~ N(2, 0.2)) and mitochondria small cuboids (side 2·N(3, 0.15)),
the "protein aggregates". Every object lies entirely inside its parent. Every object
instance, the background included, gets its own intensity drawn from a standard normal
plus pink (1/f) noise of magnitude 0.25, so no class can be told by its brightness:
only size, shape and what contains what tell them apart.

=======  =========================================================================
level 1  0 background, 1 cell
level 2  0 background, 1 cytoplasm, 2 vesicle, 3 mitochondrion
level 3  0 background, 1 cytoplasm, 2 vesicle lumen, 3 mitochondrion lumen,
         4 aggregate in a vesicle, 5 aggregate in a mitochondrion
=======  =========================================================================

Lengths scale with ``size / 50``. Where the paper is silent we chose: 1-3 vesicles and
1-3 mitochondria per cell, 1-3 aggregates per organelle, cuboids aligned with the
axes, siblings that do not overlap, and a one-voxel gap to the parent's boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEXTURED_CLASSES = {
    "level1": ["background", "cell"],
    "level2": ["background", "cytoplasm", "vesicle", "mitochondrion"],
    "level3": [
        "background",
        "cytoplasm",
        "vesicle lumen",
        "mitochondrion lumen",
        "vesicle aggregate",
        "mitochondrion aggregate",
    ],
}
#: The paper's clusters per level (more than the classes at level 3).
PAPER_CLUSTERS = (2, 4, 8)
PAPER_SIZE = 50
PINK_NOISE = 0.25


def pink_noise(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with power spectral density ``∝ 1/|f|``, zero mean, unit std."""
    spectrum = np.fft.rfftn(rng.standard_normal(shape))
    frequencies = np.meshgrid(
        *[np.fft.fftfreq(n) for n in shape[:-1]], np.fft.rfftfreq(shape[-1]), indexing="ij"
    )
    radius = np.sqrt(sum(f**2 for f in frequencies))
    radius.flat[0] = np.inf  # no DC component
    field = np.fft.irfftn(spectrum / np.sqrt(radius), s=shape, axes=range(len(shape)))
    return field / field.std()


@dataclass(frozen=True)
class _Shape:
    """A sphere (``half`` is its radius) or an axis-aligned cube (``half`` the half-side)."""

    kind: str
    centre: np.ndarray
    half: float

    def holds(self, child: _Shape, gap: float = 1.0) -> bool:
        """Whether ``child`` lies entirely inside, ``gap`` voxels from the boundary."""
        offset = np.abs(child.centre - self.centre)
        if self.kind == "sphere":
            # the child's farthest point: its far corner, or the sphere's far side
            far = (
                np.linalg.norm(offset + child.half)
                if child.kind == "cube"
                else np.linalg.norm(offset) + child.half
            )
            return far <= self.half - gap
        return offset.max() + child.half <= self.half - gap  # along every axis

    def clear_of(self, other: _Shape) -> bool:
        """Whether the two shapes do not touch."""
        offset = np.abs(self.centre - other.centre)
        if self.kind == other.kind == "cube":
            return offset.max() > self.half + other.half
        if self.kind == other.kind == "sphere":
            return np.linalg.norm(offset) > self.half + other.half
        cube, sphere = (self, other) if self.kind == "cube" else (other, self)
        gap = np.clip(np.abs(sphere.centre - cube.centre) - cube.half, 0, None)
        return np.linalg.norm(gap) > sphere.half

    def mask(self, grid: np.ndarray) -> np.ndarray:
        offset = grid - self.centre[:, None, None, None]
        if self.kind == "sphere":
            return (offset**2).sum(0) <= self.half**2
        return (np.abs(offset) <= self.half).all(0)


def _place(
    parent: _Shape,
    kind: str,
    half: float,
    siblings: list[_Shape],
    rng: np.random.Generator,
    attempts: int = 500,
) -> _Shape | None:
    """A ``kind`` of size ``half`` at a random position inside ``parent``, clear of siblings."""
    reach = parent.half
    for _ in range(attempts):
        child = _Shape(kind, parent.centre + rng.uniform(-reach, reach, 3), half)
        if parent.holds(child) and all(child.clear_of(s) for s in siblings):
            return child
    return None


def make_textured_volume(
    size: int = PAPER_SIZE, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One volume ``(1, S, S, S)`` float32 and its labels ``(3, S, S, S)`` int16."""
    rng = rng if rng is not None else np.random.default_rng()
    scale = size / PAPER_SIZE
    shape = (size, size, size)
    grid = np.indices(shape, dtype=np.float64)
    cell = _Shape("sphere", np.full(3, (size - 1) / 2), rng.normal(25, 1) * scale)
    organelles: list[tuple[_Shape, int]] = []  # (shape, level-2 class)
    kinds = [("sphere", 2)] * int(rng.integers(1, 4)) + [("cube", 3)] * int(rng.integers(1, 4))
    for index in rng.permutation(len(kinds)):
        kind, label = kinds[index]
        placed = _place(cell, kind, rng.normal(8, 0.5) * scale, [s for s, _ in organelles], rng)
        if placed is not None:
            organelles.append((placed, label))
    aggregates: list[tuple[_Shape, int]] = []
    for organelle, label in organelles:
        kind, mean, std = ("sphere", 2, 0.2) if label == 2 else ("cube", 3, 0.15)
        inside: list[_Shape] = []
        for _ in range(int(rng.integers(1, 4))):
            placed = _place(organelle, kind, max(rng.normal(mean, std) * scale, 0.75), inside, rng)
            if placed is not None:
                inside.append(placed)
                aggregates.append((placed, label + 2))
    labels = np.zeros((3, *shape), np.int16)
    intensity = _texture(shape, rng)  # the background's
    for region, level2, level3 in [(cell.mask(grid), 1, 1)] + [
        (s.mask(grid), label, label) for s, label in organelles
    ]:
        labels[0][region] = 1
        labels[1][region] = level2
        labels[2][region] = level3
        intensity[region] = _texture(shape, rng)[region]
    for shape_, label in aggregates:
        region = shape_.mask(grid)
        labels[2][region] = label
        intensity[region] = _texture(shape, rng)[region]
    return intensity[None].astype(np.float32), labels


def _texture(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """One instance's texture: a standard-normal colour plus pink noise of magnitude 0.25."""
    return rng.standard_normal() + PINK_NOISE * pink_noise(shape, rng)
