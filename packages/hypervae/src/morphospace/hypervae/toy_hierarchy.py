"""A generator of 3D volumes with a three-level hierarchy and ground truth at each level.

Each volume holds a few irregular cell-like bodies; each contains a nucleus-like body,
which contains small vesicles. The levels partition the volume ever more finely:

=======  ==================================================================
level 1  0 background, 1 cell
level 2  0 background, 1 cytoplasm, 2 nucleus (with its vesicles)
level 3  0 background, 1 cytoplasm, 2 nucleoplasm, 3 vesicle
=======  ==================================================================

Regions differ in mean intensity *and* texture (cytoplasm is smooth, nucleoplasm
granular), shapes are ellipsoids with a smooth random boundary, and Gaussian noise is
added. Train and test volumes come from different random streams of the same seed,
so a model never sees the volumes it is scored on. :func:`toy_hierarchy` also builds
the paper's harder variant (``contrast="texture"``), where brightness tells nothing.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import ndimage

LEVEL_CLASSES = {
    "level1": ["background", "cell"],
    "level2": ["background", "cytoplasm", "nucleus"],
    "level3": ["background", "cytoplasm", "nucleoplasm", "vesicle"],
}


def _smooth_noise(shape, sigma: float, rng: np.random.Generator) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return field / (field.std() + 1e-12)


def _blob(grid: np.ndarray, centre, radius: float, roughness: np.ndarray, rng) -> np.ndarray:
    """An ellipsoid of mean radius ``radius`` whose boundary is bent by ``roughness``."""
    axes = radius * rng.uniform(0.8, 1.2, 3)
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    offset = np.tensordot(rotation, grid - np.asarray(centre)[:, None, None, None], axes=1)
    level = np.sqrt(((offset / axes[:, None, None, None]) ** 2).sum(0))
    return level + 0.15 * roughness < 1


def make_volume(
    size: int = 32,
    rng: np.random.Generator | None = None,
    noise: float = 0.05,
    n_cells: tuple[int, int] = (2, 4),
) -> tuple[np.ndarray, np.ndarray]:
    """One volume ``(1, S, S, S)`` float32 and its labels ``(3, S, S, S)`` int16."""
    rng = rng if rng is not None else np.random.default_rng()
    shape = (size, size, size)
    grid = np.indices(shape, dtype=np.float64)
    roughness = _smooth_noise(shape, size / 10, rng)
    cell = np.zeros(shape, bool)
    nucleus = np.zeros(shape, bool)
    vesicle = np.zeros(shape, bool)
    placed: list[tuple[np.ndarray, float]] = []
    for _ in range(int(rng.integers(n_cells[0], n_cells[1] + 1))):
        for _attempt in range(50):
            radius = rng.uniform(0.26, 0.34) * size
            centre = rng.uniform(radius, size - radius, 3)
            if all(np.linalg.norm(centre - c) > 0.8 * (radius + r) for c, r in placed):
                break
        else:
            continue
        placed.append((centre, radius))
        body = _blob(grid, centre, radius, roughness, rng) & ~cell
        n_radius = radius * rng.uniform(0.5, 0.6)
        n_centre = centre + rng.uniform(-0.2, 0.2, 3) * radius
        core = _blob(grid, n_centre, n_radius, roughness, rng) & body
        for _v in range(int(rng.integers(2, 5))):
            direction = rng.standard_normal(3)
            v_centre = (
                n_centre + direction / np.linalg.norm(direction) * rng.uniform(0, 0.5) * n_radius
            )
            v_radius = max(1.5, n_radius * rng.uniform(0.25, 0.35))
            vesicle |= (
                np.sqrt(((grid - v_centre[:, None, None, None]) ** 2).sum(0)) < v_radius
            ) & core
        cell |= body
        nucleus |= core
    labels = np.zeros((3, *shape), np.int16)
    labels[0][cell] = 1
    labels[1][cell] = 1
    labels[1][nucleus] = 2
    labels[2][cell] = 1
    labels[2][nucleus] = 2
    labels[2][vesicle] = 3
    fine = ndimage.gaussian_filter(rng.standard_normal(shape), 0.7)
    fine /= fine.std() + 1e-12
    smooth = _smooth_noise(shape, 2.5, rng)
    intensity = np.full(shape, 0.1) + 0.03 * smooth  # background
    intensity[cell] = (0.45 + 0.04 * smooth)[cell]  # cytoplasm: smooth
    intensity[nucleus] = (0.5 + 0.15 * fine)[nucleus]  # nucleoplasm: granular
    intensity[vesicle] = 0.9
    intensity += noise * rng.standard_normal(shape)
    return intensity[None].astype(np.float32), labels


def toy_hierarchy(
    n_train: int = 4,
    n_test: int = 2,
    size: int = 32,
    noise: float = 0.05,
    seed: int = 0,
    contrast: Literal["intensity", "texture"] = "intensity",
    n_validation: int = 0,
):
    """An AnnData of ``n_train + n_validation + n_test`` whole volumes.

    ``contrast="intensity"`` (this module's generator: every region has its own mean
    intensity) or ``"texture"`` (the paper's: :mod:`~morphospace.hypervae.textured_volume`,
    classes told apart only by size, shape and nesting; ``noise`` does not apply).
    ``obsm["volume"]`` is ``(N, 1, S, S, S)``, ``obsm["truth"]`` the labels
    ``(N, 3, S, S, S)`` of levels 1-3, ``obs["split"]`` is train / validation / test and
    ``obs["train"]`` marks training volumes. The splits come from independent streams
    (``seed`` spawns them), so adding volumes to one leaves the others unchanged.
    """
    import anndata

    from morphospace.hypervae.textured_volume import TEXTURED_CLASSES, make_textured_volume

    if size < 16:
        raise ValueError(f"size must be at least 16 voxels, got {size}")
    if contrast not in ("intensity", "texture"):
        raise ValueError(
            f"contrast must be 'intensity' (regions differ in brightness) or 'texture' "
            f"(the paper's toy data), got {contrast!r}"
        )
    classes = LEVEL_CLASSES if contrast == "intensity" else TEXTURED_CLASSES
    train_seq, test_seq, validation_seq = np.random.SeedSequence(seed).spawn(3)
    volumes, truths, split = [], [], []
    for name, seq, count in (
        ("train", train_seq, n_train),
        ("validation", validation_seq, n_validation),
        ("test", test_seq, n_test),
    ):
        for child in seq.spawn(count):
            rng = np.random.default_rng(child)
            if contrast == "intensity":
                volume, labels = make_volume(size, rng, noise)
            else:
                volume, labels = make_textured_volume(size, rng)
            volumes.append(volume)
            truths.append(labels)
            split.append(name)
    obs = pd.DataFrame(
        {
            "split": pd.Categorical(split, categories=["train", "validation", "test"]),
            "train": np.array(split) == "train",
        },
        index=[f"volume{i}" for i in range(len(split))],
    )
    adata = anndata.AnnData(obs=obs, obsm={"volume": np.stack(volumes), "truth": np.stack(truths)})
    adata.uns["toy_hierarchy"] = {
        "levels": list(classes),
        "classes": {k: list(v) for k, v in classes.items()},
        "contrast": contrast,
        "size": size,
        "noise": noise if contrast == "intensity" else None,
        "seed": seed,
    }
    return adata
