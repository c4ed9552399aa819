"""Dense synthetic microscopy fields with ground truth: instance masks, centres, orientations.

Cells are drawn from a few archetype shapes (ellipse, teardrop, bean, rounded triangle,
round), each with its own texture (nucleus position, rim, speckle), at random angles,
sizes and small elastic jitter, packed densely (touching is allowed), then blurred and
noised. Each cell's orientation is the angle ``atan2(d_row, d_col)`` of its major axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

ARCHETYPES = ("ellipse", "teardrop", "bean", "triangle", "round")
#: Cells are about 18 x 11 px at size 1, filling half of a 32 px patch.
CELL_SCALE = 1.3


@dataclass
class SyntheticField:
    """One field: image (H, W), instance labels (H, W) and per-cell ground truth."""

    image: np.ndarray
    labels: np.ndarray  # 0 background, i >= 1 the i-th cell
    centres: np.ndarray  # (n, 2) row, col
    orientations: np.ndarray  # (n,) radians
    cell_types: np.ndarray  # (n,) index into ARCHETYPES


def _shape_mask(kind: str, u: np.ndarray, v: np.ndarray, size: float) -> np.ndarray:
    """Inside-test of archetype ``kind`` in its own frame (u along the major axis)."""
    a, b = 7.0 * size, 4.2 * size
    if kind == "ellipse":
        return (u / a) ** 2 + (v / b) ** 2 <= 1
    if kind == "teardrop":
        width = b * np.clip(1 + 0.55 * u / a, 0.25, None)
        return (u / a) ** 2 + (v / width) ** 2 <= 1
    if kind == "bean":
        bent = v - 0.09 * (u**2) / size + 0.09 * a * a / size / 3
        return (u / (a * 1.05)) ** 2 + (bent / b) ** 2 <= 1
    if kind == "triangle":
        r, phi = np.hypot(u, v), np.arctan2(v, u)
        return r <= 6.0 * size * (1 + 0.22 * np.cos(3 * phi)) * (1 + 0.25 * np.cos(2 * phi))
    return np.hypot(u / 1.1, v) <= 5.0 * size


def _texture(kind: str, u, v, size, rng) -> np.ndarray:
    """Cytoplasm level, a nucleus placed per archetype, and fine speckle."""
    nucleus_at = {
        "ellipse": (0.0, 0.0),
        "teardrop": (3.5, 0.0),
        "bean": (-3.0, 1.0),
        "triangle": (2.0, 0.0),
        "round": (0.0, 0.0),
    }[kind]
    nu, nv = nucleus_at[0] * size, nucleus_at[1] * size
    radius = (2.0 if kind != "round" else 3.0) * size
    nucleus = np.exp(-((u - nu) ** 2 + (v - nv) ** 2) / (2 * radius**2))
    level = {"ellipse": 0.55, "teardrop": 0.5, "bean": 0.6, "triangle": 0.5, "round": 0.45}[kind]
    speckle = ndimage.gaussian_filter(rng.normal(size=u.shape), 0.8) * 0.25
    return level + 0.4 * nucleus + speckle


def render_cell(
    kind: str,
    angle: float,
    size: float,
    rng: np.random.Generator,
    patch: int = 32,
    jitter: float = 0.6,
) -> tuple[np.ndarray, np.ndarray]:
    """A centred cell patch ``(intensity, mask)`` of archetype ``kind`` along ``angle``."""
    c = (patch - 1) / 2
    rows, cols = np.indices((patch, patch), dtype=float)
    dy, dx = rows - c, cols - c
    if jitter > 0:  # smooth shape variation between cells of one archetype
        noise = [ndimage.gaussian_filter(rng.normal(size=(patch, patch)), 4) for _ in range(2)]
        scale = jitter / max(float(np.std(noise)), 1e-9) * 0.5
        dy, dx = dy + noise[0] * scale, dx + noise[1] * scale
    u = np.sin(angle) * dy + np.cos(angle) * dx
    v = -np.cos(angle) * dy + np.sin(angle) * dx
    size = size * CELL_SCALE
    mask = _shape_mask(kind, u, v, size)
    intensity = np.where(mask, _texture(kind, u, v, size, rng), 0.0)
    # a bright rim marks the membrane
    rim = mask & ~ndimage.binary_erosion(mask, iterations=1)
    intensity = np.where(rim, intensity + 0.25, intensity)
    return intensity, mask


def make_field(
    height: int = 256,
    width: int = 256,
    n_cells: int = 60,
    archetypes: tuple[str, ...] = ARCHETYPES[:4],
    min_distance: float = 15.0,
    size_range: tuple[float, float] = (0.85, 1.1),
    noise: float = 0.04,
    blur: float = 0.7,
    seed: int | np.random.Generator | None = 0,
    patch: int = 32,
    debris: int = 0,
) -> SyntheticField:
    """A dense field of ``n_cells`` (fewer if they do not fit ``min_distance`` apart).

    ``debris`` adds that many bright non-cell specks and short fibres (not in the
    ground truth), as in real preparations.
    """
    rng = np.random.default_rng(seed)
    margin = 8
    centres: list[tuple[int, int]] = []
    for _ in range(n_cells * 60):
        if len(centres) == n_cells:
            break
        p = (int(rng.integers(margin, height - margin)), int(rng.integers(margin, width - margin)))
        if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 >= min_distance**2 for q in centres):
            centres.append(p)
    image = np.zeros((height, width))
    labels = np.zeros((height, width), dtype=np.int32)
    half = patch // 2
    padded_image = np.pad(image, half)
    padded_labels = np.pad(labels, half)
    orientations, types = [], []
    for i, (r, c) in enumerate(centres, 1):
        t = int(rng.integers(len(archetypes)))
        angle = float(rng.uniform(0, np.pi))
        intensity, mask = render_cell(archetypes[t], angle, rng.uniform(*size_range), rng, patch)
        rs, cs = slice(r + half - half, r + half + half), slice(c + half - half, c + half + half)
        free = mask & (padded_labels[rs, cs] == 0)
        padded_labels[rs, cs][free] = i
        padded_image[rs, cs][free] = intensity[free]
        orientations.append(angle)
        types.append(t)
    image = padded_image[half:-half, half:-half]
    labels = padded_labels[half:-half, half:-half]
    rows, cols = np.indices((height, width))
    for _ in range(debris):
        r, c = rng.uniform(0, height), rng.uniform(0, width)
        if rng.random() < 0.5:  # a speck
            spot = ((rows - r) ** 2 + (cols - c) ** 2) <= rng.uniform(1.5, 3.0) ** 2
        else:  # a thin fibre
            angle, length = rng.uniform(0, np.pi), rng.uniform(8, 20)
            along = (rows - r) * np.sin(angle) + (cols - c) * np.cos(angle)
            across = -(rows - r) * np.cos(angle) + (cols - c) * np.sin(angle)
            spot = (np.abs(along) <= length / 2) & (np.abs(across) <= 1.0)
        spot &= labels == 0
        image[spot] = rng.uniform(0.6, 1.0)
    image = ndimage.gaussian_filter(image + 0.08, blur) + rng.normal(0, noise, image.shape)
    present = np.isin(np.arange(1, len(centres) + 1), np.unique(labels))
    # relabel to consecutive ids (a cell fully covered by its neighbours disappears)
    keep = np.flatnonzero(present)
    lookup = np.zeros(len(centres) + 1, dtype=np.int32)
    lookup[keep + 1] = np.arange(1, len(keep) + 1)
    return SyntheticField(
        image=np.clip(image, 0, None).astype(np.float32),
        labels=lookup[labels],
        centres=np.asarray(centres, dtype=float).reshape(-1, 2)[keep],
        orientations=np.asarray(orientations)[keep],
        cell_types=np.asarray(types, dtype=np.int64)[keep],
    )
