"""Gyroplane layers: the Poincaré ball's analogue of an affine (conv) layer.

A gyroplane is ``H_{a,p} = {x : <(-p) ⊕ x, a> = 0}``, the hyperbolic hyperplane through
``p`` with normal ``a``. Its unit responds to a point ``x`` with the signed, scaled
distance (Ganea et al. 2018; Mathieu et al. 2019)::

    f_{a,p}(x) = (lambda_p |a| / sqrt(c)) * asinh(2 sqrt(c) <w, a> / ((1 - c|w|^2) |a|)),
    w = (-p) ⊕ x,

which tends to ``4 <x - p, a>`` as ``c -> 0``. The **gyroplane 3D convolution** replaces
each kernel tap's ``<weight, x>`` of a Conv3d by ``f`` with a gyroplane of its own and
sums over the taps: input ``(B, d, D, H, W)`` holds a ball point per voxel (zero padding
is the ball's origin). It is vectorised over batch, voxels, output channels and taps:
``<w, a>`` and ``|w|^2`` are expanded into one inner product per (voxel, channel, tap)
of per-voxel features with per-tap weights, evaluated tap by tap, so no ``(…, d)``
tensor per (voxel, channel, tap) is built, and it runs on any device.
"""

from __future__ import annotations

import itertools
import math

import geoopt
import torch
from torch import nn
from torch.nn import functional as F

from morphospace.hypervae.poincare_ball import MIN_NORM, poincare_ball


def fast_asinh(x: torch.Tensor) -> torch.Tensor:
    """``asinh`` as ``sign(x) log1p(|x| + x^2 / (1 + sqrt(1 + x^2)))``: accurate near 0, and
    about twice as fast as ``torch.asinh`` on CPU; saturates at ``|x| = 1e18``."""
    t = x.abs().clamp_max(1e18)
    return torch.copysign(torch.log1p(t + t * t / (1 + torch.sqrt(1 + t * t))), x)


def gyroplane_response(x: torch.Tensor, p: torch.Tensor, a: torch.Tensor, c: float) -> torch.Tensor:
    """``f_{a,p}(x)`` by the direct formula; ``x``, ``p``, ``a`` broadcast, shape ``(..., d)``.

    It is ``lambda_p`` times geoopt's signed, scaled distance to the gyroplane.
    """
    manifold = poincare_ball(c)
    distance = manifold.dist2plane(x, p=p, a=a, signed=True, scaled=True)
    return manifold.lambda_x(p) * distance


class GyroplaneConv3d(nn.Module):
    """3D convolution whose taps are gyroplane units; ``kernel_size`` any, output same size.

    Each tap's point ``p`` is a :class:`geoopt.ManifoldParameter` on the ball (train it
    with a Riemannian optimiser, e.g. ``geoopt.optim.RiemannianAdam``); its normal is
    ``a = transp0(p, normal)``, the parallel transport of a Euclidean ``normal`` from
    the origin, so ``a`` always lies in ``p``'s tangent space.
    """

    def __init__(self, in_dim: int, out_channels: int, kernel_size: int = 3, c: float = 1.0):
        super().__init__()
        if c <= 0:
            raise ValueError(f"curvature must be > 0, got {c}")
        self.in_dim, self.out_channels, self.kernel_size, self.c = (
            in_dim,
            out_channels,
            kernel_size,
            c,
        )
        shape = (out_channels, kernel_size, kernel_size, kernel_size, in_dim)
        fan_in = in_dim * kernel_size**3
        manifold = poincare_ball(c)
        points = manifold.expmap0(torch.randn(shape) * 0.1 / math.sqrt(fan_in)).float()
        self.points = geoopt.ManifoldParameter(points, manifold=manifold)
        self.normal = nn.Parameter(torch.randn(shape) / math.sqrt(fan_in))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def points_and_normals(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``p`` and ``a`` with the ball coordinate last: ``(K, k, k, k, d)`` each."""
        return self.points, poincare_ball(self.c).transp0(self.points, self.normal)

    def tap_coefficients(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per (channel, tap): the weights of the argument's inner product ``(K, T, d + 1)``
        and the response's scale ``lambda_p |a| / sqrt(c)`` ``(K, T)``, ``T = k^3``.

        With ``w = (-p) ⊕ x``, ``A = 1 - 2c<x,p> + c|x|^2``, ``B = 1 - c|p|^2`` and
        ``D = 1 - 2c<x,p> + c^2 |p|^2 |x|^2``: ``<w, a> = (B <x,a> - A <p,a>) / D`` and
        ``1 - c|w|^2 = B (1 - c|x|^2) / D``, so ``D`` cancels in ``f``'s argument::

            2 sqrt(c) <w,a> / ((1 - c|w|^2) |a|)
              = alpha (<x, a + 2c beta p> - beta (1 + c|x|^2)) / (1 - c|x|^2),

        ``alpha = 2 sqrt(c) / |a|``, ``beta = <p,a> / B``: an inner product of the voxel's
        features ``(x, 1 + c|x|^2) / (1 - c|x|^2)`` with these ``d + 1`` weights.
        """
        c, sqrt_c = self.c, math.sqrt(self.c)
        p, a = self.points_and_normals()
        p = p.reshape(self.out_channels, -1, self.in_dim)
        a = a.reshape(self.out_channels, -1, self.in_dim)
        big_b = (1 - c * p.pow(2).sum(-1)).clamp_min(MIN_NORM)
        a_norm = a.norm(dim=-1).clamp_min(MIN_NORM)
        alpha = 2 * sqrt_c / a_norm
        beta = (p * a).sum(-1) / big_b
        weight = alpha.unsqueeze(-1) * (a + 2 * c * beta.unsqueeze(-1) * p)
        coefficients = torch.cat([weight, -(alpha * beta).unsqueeze(-1)], dim=-1)
        return coefficients, 2 / big_b * a_norm / sqrt_c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] != self.in_dim:
            raise ValueError(
                f"GyroplaneConv3d expects (batch, {self.in_dim}, depth, height, width), "
                f"got {tuple(x.shape)}"
            )
        k, c = self.kernel_size, self.c
        left, right = (k - 1) // 2, k // 2
        padded = F.pad(x, (left, right, left, right, left, right))  # zeros: the origin
        x2 = padded.pow(2).sum(1, keepdim=True)
        inv = 1 / (1 - c * x2).clamp_min(MIN_NORM)
        features = torch.cat([padded * inv, (1 + c * x2) * inv], dim=1)  # (B, d + 1, ...)
        coefficients, scale = self.tap_coefficients()
        depth, height, width = x.shape[2:]
        # one tap at a time: each step's (B, K, D, H, W) block stays in cache, where all
        # taps at once stream a k^3 times larger tensor through memory several times
        response = self.bias.view(1, -1, 1, 1, 1)
        for tap, (i, j, m) in enumerate(itertools.product(range(k), repeat=3)):
            shifted = features[:, :, i : i + depth, j : j + height, m : m + width]
            argument = torch.einsum("oc,bcdhw->bodhw", coefficients[:, tap], shifted)
            response = response + fast_asinh(argument) * scale[:, tap].view(1, -1, 1, 1, 1)
        return response


def gyroplane_conv3d_loop(layer: GyroplaneConv3d, x: torch.Tensor) -> torch.Tensor:
    """The same convolution voxel by voxel with :func:`gyroplane_response` (slow reference).

    Loops over batch and voxels in Python, vectorised over output channels and taps
    only; used to test :class:`GyroplaneConv3d` and as the speed baseline.
    """
    k = layer.kernel_size
    left, right = (k - 1) // 2, k // 2
    padded = F.pad(x, (left, right, left, right, left, right))
    p, a = layer.points_and_normals()  # (K, k, k, k, d)
    batch, _, depth, height, width = x.shape
    out = torch.empty(
        batch, layer.out_channels, depth, height, width, dtype=x.dtype, device=x.device
    )
    for b in range(batch):
        for i in range(depth):
            for j in range(height):
                for m in range(width):
                    patch = padded[b, :, i : i + k, j : j + k, m : m + k].movedim(
                        0, -1
                    )  # (k,k,k,d)
                    response = gyroplane_response(patch.unsqueeze(0), p, a, layer.c)  # (K,k,k,k)
                    out[b, :, i, j, m] = response.sum(dim=(1, 2, 3)) + layer.bias
    return out
