"""A dense 2-D deformation: a displacement field in pixels that can warp images and labels.

Convention (the one of ``scipy.ndimage.map_coordinates`` and voxelmorph): the field
``u`` has shape ``(N, 2, H, W)``, channel 0 the displacement along rows (y) and channel
1 along columns (x), and warping *pulls*: ``warped[n, :, i, j] = image[n, :, i + u_y,
j + u_x]``. Points that fall outside the image read ``padding`` (zeros or the border).
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError
from morphospace.core.validation import check_array

INTERPOLATIONS = ("bilinear", "nearest")
PADDINGS = ("zeros", "border")


class Deformation:
    """Displacement field ``(N, 2, H, W)`` in pixels (see the module docstring)."""

    def __init__(self, field: np.ndarray):
        field = check_array(field, name="displacement field", ndim=4, channels=2)
        self.field = field.astype(np.float64, copy=False)

    @classmethod
    def identity(cls, n: int, height: int, width: int) -> Deformation:
        return cls(np.zeros((n, 2, height, width)))

    def __len__(self) -> int:
        return self.field.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        """Spatial shape ``(H, W)`` of the field."""
        return self.field.shape[2], self.field.shape[3]

    def __repr__(self) -> str:
        largest = self.max_displacement()
        return f"Deformation(n={len(self)}, shape={self.shape}, max |u|={largest:.3g} px)"

    def max_displacement(self) -> float:
        return float(np.sqrt((self.field**2).sum(axis=1)).max())

    def warp(
        self, images: np.ndarray, interpolation: str = "bilinear", padding: str = "zeros"
    ) -> np.ndarray:
        """Warp ``images`` ``(N, C, H, W)`` by this field.

        ``interpolation="nearest"`` keeps label maps' values and dtype (use it for
        masks); ``"bilinear"`` returns floats. A field with N=1 warps every image.
        """
        if interpolation not in INTERPOLATIONS:
            raise InputError(
                f"interpolation must be one of {', '.join(INTERPOLATIONS)}, got {interpolation!r}"
            )
        if padding not in PADDINGS:
            raise InputError(f"padding must be one of {', '.join(PADDINGS)}, got {padding!r}")
        images = check_array(images, name="images", ndim=4, allow_nonfinite=False)
        n, _, height, width = images.shape
        if (height, width) != self.shape:
            raise InputError(
                f"images have spatial shape {(height, width)} but the deformation field "
                f"has {self.shape}"
            )
        if len(self) not in (1, n):
            raise InputError(f"deformation holds {len(self)} fields but {n} images were given")
        rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
        yy = rows[None] + self.field[:, 0]
        xx = cols[None] + self.field[:, 1]
        yy, xx = np.broadcast_to(yy, (n, height, width)), np.broadcast_to(xx, (n, height, width))
        if interpolation == "nearest":
            return _sample_nearest(images, yy, xx, padding)
        return _sample_bilinear(images, yy, xx, padding)

    def jacobian_determinant(self) -> np.ndarray:
        """Determinant of the Jacobian of ``x -> x + u(x)``, shape ``(N, H, W)``.

        Negative values mark folding: the map is not invertible there.
        """
        duy_dy, duy_dx = np.gradient(self.field[:, 0], axis=(1, 2))
        dux_dy, dux_dx = np.gradient(self.field[:, 1], axis=(1, 2))
        return (1 + duy_dy) * (1 + dux_dx) - duy_dx * dux_dy

    def folding_fraction(self) -> float:
        """Fraction of pixels whose Jacobian determinant is not positive."""
        return float((self.jacobian_determinant() <= 0).mean())


def _batch_index(n: int) -> np.ndarray:
    return np.arange(n)[:, None, None]


def _gather(images: np.ndarray, yi: np.ndarray, xi: np.ndarray) -> np.ndarray:
    # advanced indices around a slice put the indexed axes first: (N, H, W, C)
    return np.moveaxis(images[_batch_index(len(images)), :, yi, xi], -1, 1)


def _sample_nearest(images, yy, xx, padding):
    height, width = images.shape[2:]
    yi, xi = np.rint(yy).astype(np.int64), np.rint(xx).astype(np.int64)
    inside = (yi >= 0) & (yi < height) & (xi >= 0) & (xi < width)
    out = _gather(images, np.clip(yi, 0, height - 1), np.clip(xi, 0, width - 1))
    if padding == "zeros":
        out = np.where(inside[:, None], out, np.zeros((), dtype=images.dtype))
    return out


def _sample_bilinear(images, yy, xx, padding):
    height, width = images.shape[2:]
    values = images.astype(np.float64, copy=False)
    y0, x0 = np.floor(yy).astype(np.int64), np.floor(xx).astype(np.int64)
    wy, wx = yy - y0, xx - x0
    out = np.zeros(values.shape, dtype=np.float64)
    for dy, dx, weight in (
        (0, 0, (1 - wy) * (1 - wx)),
        (0, 1, (1 - wy) * wx),
        (1, 0, wy * (1 - wx)),
        (1, 1, wy * wx),
    ):
        yi, xi = y0 + dy, x0 + dx
        if padding == "zeros":
            weight = weight * ((yi >= 0) & (yi < height) & (xi >= 0) & (xi < width))
        corner = _gather(values, np.clip(yi, 0, height - 1), np.clip(xi, 0, width - 1))
        out += weight[:, None] * corner
    return out
