"""Differentiable warping of images by pull-back displacement fields, and their integration.

Same convention as :class:`morphospace.core.Deformation`: fields ``(N, 2, H, W)`` in
pixels, channel 0 rows, channel 1 columns, ``warped(x) = image(x + u(x))``. A stationary
velocity field ``v`` is integrated by scaling and squaring (Arsigny et al. 2006):
``u = v / 2**T``, then ``T`` times ``u <- u + u o (id + u)``, which yields a
diffeomorphism whenever the scaled field is small.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _grid(field: torch.Tensor) -> torch.Tensor:
    n, _, height, width = field.shape
    rows = torch.arange(height, dtype=field.dtype, device=field.device).view(1, height, 1)
    cols = torch.arange(width, dtype=field.dtype, device=field.device).view(1, 1, width)
    y = (rows + field[:, 0]) * (2 / max(height - 1, 1)) - 1
    x = (cols + field[:, 1]) * (2 / max(width - 1, 1)) - 1
    return torch.stack([x, y], dim=-1)


def warp(
    images: torch.Tensor, field: torch.Tensor, mode: str = "bilinear", padding: str = "border"
) -> torch.Tensor:
    """Sample ``images`` at ``x + field(x)`` (the spatial transformer)."""
    return F.grid_sample(images, _grid(field), mode=mode, padding_mode=padding, align_corners=True)


def compose(outer: torch.Tensor, inner: torch.Tensor) -> torch.Tensor:
    """Field of warping by ``inner`` and then by ``outer``: ``outer + inner o (id + outer)``."""
    return outer + warp(inner, outer)


def scaling_and_squaring(velocity: torch.Tensor, steps: int = 7) -> torch.Tensor:
    """Integrate a stationary velocity field into a displacement field."""
    field = velocity / (2**steps)
    for _ in range(steps):
        field = compose(field, field)
    return field


def smoothness(field: torch.Tensor) -> torch.Tensor:
    """Mean squared finite difference of a field (the diffusion regulariser)."""
    dy = field[:, :, 1:, :] - field[:, :, :-1, :]
    dx = field[:, :, :, 1:] - field[:, :, :, :-1]
    return (dy**2).mean() + (dx**2).mean()


def ncc_loss(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """One minus the global normalised cross-correlation of each pair, averaged."""
    a = a.flatten(1) - a.flatten(1).mean(1, keepdim=True)
    b = b.flatten(1) - b.flatten(1).mean(1, keepdim=True)
    ncc = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)
    return (1 - ncc).mean()


def dice_loss(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """One minus the soft Dice overlap of each pair of (soft) masks, averaged."""
    a, b = a.flatten(1), b.flatten(1)
    dice = (2 * (a * b).sum(1) + eps) / (a.sum(1) + b.sum(1) + eps)
    return (1 - dice).mean()
