"""A suite of realistic cell diffeomorphisms, each returned with its exact displacement field.

Every transform is a map of pixel coordinates about the patch centre. It is written as
the pull-back displacement ``u`` of :class:`morphospace.core.Deformation` (``warped(x) =
image(x + u(x))``, channel 0 rows, channel 1 columns), so the deformed image *is*
``Deformation(u).warp(image)`` and registration can be scored against ``u``. Labels are
warped with nearest interpolation so instance ids survive. Angles are in radians,
measured as ``atan2(d_row, d_col)``.

Kinds (after the DiffKillR paper): rotation, uniform stretch, directional stretch,
volume-preserving stretch along the object's principal axis, partial stretch (one side
of a cut) and a random smooth elastic field whose Jacobian stays positive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from morphospace.core.deformation import Deformation
from morphospace.core.validation import check_array

#: A coordinate map: ``(rows, cols) -> (u_rows, u_cols)``, the pull-back displacement.
FieldFunction = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

KINDS = (
    "rotation",
    "uniform_stretch",
    "directional_stretch",
    "volume_preserving_stretch",
    "partial_stretch",
    "elastic",
)


@dataclass
class DeformedBatch:
    """Deformed images, their labels (nearest-warped, or None) and the exact fields used."""

    images: np.ndarray
    labels: np.ndarray | None
    fields: np.ndarray  # (N, 2, H, W), pull-back displacement in pixels
    kinds: list[str]


def _direction(angle: float) -> np.ndarray:
    return np.array([np.sin(angle), np.cos(angle)])  # (row, col)


def linear_field(matrix: np.ndarray, shape: tuple[int, int]) -> FieldFunction:
    """Pull-back of the forward linear map ``p -> matrix (p - c) + c`` about the centre ``c``."""
    inverse = np.linalg.inv(np.asarray(matrix, dtype=float))
    centre = (np.asarray(shape, dtype=float) - 1) / 2

    def field(rows, cols):
        dy, dx = rows - centre[0], cols - centre[1]
        src_y = inverse[0, 0] * dy + inverse[0, 1] * dx
        src_x = inverse[1, 0] * dy + inverse[1, 1] * dx
        return src_y - dy, src_x - dx

    return field


def rotation_matrix(angle: float) -> np.ndarray:
    """Forward rotation in (row, col) coordinates: an axis at ``theta`` -> ``theta + angle``."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, s], [-s, c]])


def rotation(shape, angle: float) -> FieldFunction:
    return linear_field(rotation_matrix(angle), shape)


def uniform_stretch(shape, scale: float) -> FieldFunction:
    return linear_field(np.eye(2) * scale, shape)


def directional_stretch(shape, angle: float, scale: float) -> FieldFunction:
    d = _direction(angle)
    return linear_field(np.eye(2) + (scale - 1) * np.outer(d, d), shape)


def volume_preserving_stretch(shape, angle: float, scale: float) -> FieldFunction:
    """Stretch by ``scale`` along ``angle`` and by ``1/scale`` across it (area kept)."""
    d = _direction(angle)
    n = np.array([-d[1], d[0]])
    return linear_field(scale * np.outer(d, d) + np.outer(n, n) / scale, shape)


def partial_stretch(shape, angle: float, scale: float, offset: float = 0.0) -> FieldFunction:
    """Stretch by ``scale`` along ``angle`` only beyond a cut at ``offset`` px from the centre.

    The map is continuous at the cut and monotone along ``angle``, hence invertible.
    """
    d = _direction(angle)
    centre = (np.asarray(shape, dtype=float) - 1) / 2

    def field(rows, cols):
        t = (rows - centre[0]) * d[0] + (cols - centre[1]) * d[1] - offset
        shift = np.where(t > 0, t / scale - t, 0.0)
        return shift * d[0], shift * d[1]

    return field


def elastic(shape, rng: np.random.Generator, magnitude: float, smoothness: float) -> FieldFunction:
    """A smooth random field, scaled so its largest gradient stays below 0.5 (no folding)."""
    noise = rng.normal(size=(2, *shape))
    grid = np.stack([ndimage.gaussian_filter(c, smoothness, mode="reflect") for c in noise])
    grid *= magnitude / max(float(grid.std()), 1e-12)
    gradient = max(float(np.abs(np.gradient(c, axis=a)).max()) for c in grid for a in (0, 1))
    if gradient > 0.25:
        grid *= 0.25 / gradient

    def field(rows, cols):
        coords = np.stack([rows, cols])
        return tuple(ndimage.map_coordinates(c, coords, order=1, mode="nearest") for c in grid)

    return field


def translation(shift) -> FieldFunction:
    """Shift the content by ``shift = (rows, cols)`` pixels."""
    dy, dx = float(shift[0]), float(shift[1])

    def field(rows, cols):
        return np.full_like(rows, -dy, dtype=float), np.full_like(cols, -dx, dtype=float)

    return field


def compose(outer: FieldFunction, inner: FieldFunction) -> FieldFunction:
    """The pull-back of applying ``inner`` first, then ``outer``: ``u_o + u_i(x + u_o)``."""

    def field(rows, cols):
        oy, ox = outer(rows, cols)
        iy, ix = inner(rows + oy, cols + ox)
        return oy + iy, ox + ix

    return field


def evaluate(function: FieldFunction, shape: tuple[int, int]) -> np.ndarray:
    """The field ``(2, H, W)`` of ``function`` on the pixel grid."""
    rows, cols = np.meshgrid(
        np.arange(shape[0], dtype=float), np.arange(shape[1], dtype=float), indexing="ij"
    )
    uy, ux = function(rows, cols)
    return np.stack([np.broadcast_to(uy, shape), np.broadcast_to(ux, shape)])


def principal_axis(mask: np.ndarray) -> float:
    """Angle of the major axis of a binary (or weight) image, from its second moments."""
    weights = np.asarray(mask, dtype=float)
    total = weights.sum()
    if total <= 0:
        return 0.0
    rows, cols = np.indices(weights.shape)
    my, mx = (weights * rows).sum() / total, (weights * cols).sum() / total
    cyy = (weights * (rows - my) ** 2).sum() / total
    cxx = (weights * (cols - mx) ** 2).sum() / total
    cxy = (weights * (rows - my) * (cols - mx)).sum() / total
    return float(0.5 * np.arctan2(2 * cxy, cxx - cyy))


def warp(images: np.ndarray, labels: np.ndarray | None, fields: np.ndarray):
    """Warp images (bilinear, border padding) and labels (nearest) by ``fields``."""
    deformation = Deformation(fields)
    warped = deformation.warp(images, padding="border").astype(np.float32)
    warped_labels = None if labels is None else deformation.warp(labels, interpolation="nearest")
    return warped, warped_labels


class DiffeomorphismSampler:
    """Draws random diffeomorphisms of the requested kinds.

    Each sample is one kind; when ``"rotation"`` is among the kinds every other kind is
    also composed with a random rotation, since cells in a field lie at any angle.
    ``max_translation`` (px) adds a random shift, as a detection window is never
    exactly centred on its cell.
    """

    def __init__(
        self,
        kinds: Sequence[str] = KINDS,
        max_rotation: float = 180.0,
        max_stretch: float = 0.25,
        elastic_magnitude: float = 1.5,
        elastic_smoothness: float = 4.0,
        max_translation: float = 0.0,
    ):
        unknown = [k for k in kinds if k not in KINDS]
        if unknown or not kinds:
            raise ValueError(f"kinds must be a non-empty subset of {KINDS}, got {list(kinds)}")
        self.kinds = tuple(kinds)
        self.max_rotation = np.deg2rad(max_rotation)
        self.max_stretch = max_stretch
        self.elastic_magnitude = elastic_magnitude
        self.elastic_smoothness = elastic_smoothness
        self.max_translation = max_translation

    def _scale(self, rng: np.random.Generator) -> float:
        s = 1 + rng.uniform(0.3, 1.0) * self.max_stretch
        return s if rng.random() < 0.5 else 1 / s

    def sample_function(
        self, shape: tuple[int, int], rng: np.random.Generator, axis: float | None = None
    ) -> tuple[str, FieldFunction]:
        """One random ``(kind, field function)``; ``axis`` is the object's principal axis."""
        kind = self.kinds[rng.integers(len(self.kinds))]
        axis = rng.uniform(0, np.pi) if axis is None else axis
        if kind == "rotation":
            function = rotation(shape, rng.uniform(-self.max_rotation, self.max_rotation))
        elif kind == "uniform_stretch":
            function = uniform_stretch(shape, 1 + rng.uniform(-1, 1) * self.max_stretch * 0.6)
        elif kind == "directional_stretch":
            function = directional_stretch(shape, rng.uniform(0, np.pi), self._scale(rng))
        elif kind == "volume_preserving_stretch":
            function = volume_preserving_stretch(shape, axis, self._scale(rng))
        elif kind == "partial_stretch":
            offset = rng.uniform(-0.15, 0.15) * min(shape)
            function = partial_stretch(
                shape, rng.uniform(0, 2 * np.pi), 1 + self.max_stretch * 1.5, offset
            )
        else:
            function = elastic(shape, rng, self.elastic_magnitude, self.elastic_smoothness)
        if kind != "rotation" and "rotation" in self.kinds and self.max_rotation > 0:
            turn = rotation(shape, rng.uniform(-self.max_rotation, self.max_rotation))
            function = compose(function, turn)
        if self.max_translation > 0:
            shift = rng.uniform(-self.max_translation, self.max_translation, 2)
            function = compose(function, translation(shift))
        return kind, function

    def sample_fields(
        self, n: int, shape: tuple[int, int], rng: np.random.Generator, axes=None
    ) -> tuple[np.ndarray, list[str]]:
        fields, kinds = [], []
        for i in range(n):
            kind, function = self.sample_function(shape, rng, None if axes is None else axes[i])
            fields.append(evaluate(function, shape))
            kinds.append(kind)
        return np.stack(fields), kinds

    def __call__(
        self, images: np.ndarray, labels: np.ndarray | None = None, rng=None
    ) -> DeformedBatch:
        """Deform each image (and label map) of a batch ``(N, C, H, W)`` by its own sample."""
        rng = np.random.default_rng(rng)
        images = check_array(images, name="images", ndim=4)
        if labels is not None:
            labels = check_array(labels, name="labels", ndim=4)
            if labels.shape[0] != images.shape[0] or labels.shape[2:] != images.shape[2:]:
                raise ValueError(
                    f"labels of shape {labels.shape} do not match images of shape {images.shape}"
                )
        weights = (labels[:, 0] > 0) if labels is not None else images.mean(axis=1)
        axes = [principal_axis(w) for w in weights]
        fields, kinds = self.sample_fields(len(images), images.shape[2:], rng, axes)
        warped, warped_labels = warp(images, labels, fields)
        return DeformedBatch(warped, warped_labels, fields, kinds)
