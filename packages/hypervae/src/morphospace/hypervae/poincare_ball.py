"""The Poincaré ball of curvature ``-c``: geoopt's manifold, and the two things it lacks.

Every map, distance and Möbius operation in this plugin is geoopt's
(:class:`geoopt.PoincareBall`, after Ganea et al. 2018), reached through
:func:`poincare_ball`. Added here: :func:`pairwise_dist`, an all-pairs distance that
builds no ``(n, m, d)`` tensor (k-means on 100k points), and :func:`log_sinhc`, the
volume correction of the wrapped normal's density.
"""

from __future__ import annotations

import functools
import math

import geoopt
import torch

#: Smallest norm used in divisions.
MIN_NORM = 1e-15


@functools.cache
def poincare_ball(c: float) -> geoopt.PoincareBall:
    """geoopt's ball of curvature ``-c``; ``c`` kept in float64, so float64 points lose
    nothing to a float32 curvature and float32 points stay float32."""
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"curvature must be > 0 and finite, got {c}")
    return geoopt.PoincareBall(c=torch.tensor(float(c), dtype=torch.float64))


def log_sinhc(x: torch.Tensor) -> torch.Tensor:
    """``log(sinh(x) / x)`` for ``x >= 0``, exact near 0 and without overflow for large x."""
    x = x.abs()
    small = x < 1e-2
    xs = torch.where(small, torch.ones_like(x), x)
    large = xs + torch.log1p(-torch.exp(-2 * xs)) - math.log(2.0) - torch.log(xs)
    return torch.where(small, x * x / 6, large)


def pairwise_dist(x: torch.Tensor, y: torch.Tensor, c: float) -> torch.Tensor:
    """Distances between every row of ``x`` (n, d) and every row of ``y`` (m, d): (n, m).

    geoopt's ``dist`` on broadcast ``(n, 1, d)`` and ``(1, m, d)`` gives the same values
    (tested) but builds ``(n, m, d)`` tensors; here ``|(-x) ⊕ y|^2 = |x - y|^2 /
    (1 - 2c<x,y> + c^2 |x|^2 |y|^2)`` (Ganea et al., eq. 4) needs only ``x @ y.T``.
    """
    x2 = x.pow(2).sum(-1, keepdim=True)  # (n, 1)
    y2 = y.pow(2).sum(-1, keepdim=True).T  # (1, m)
    xy = x @ y.T  # (n, m)
    diff2 = (x2 - 2 * xy + y2).clamp_min(0)
    den = (1 - 2 * c * xy + c**2 * x2 * y2).clamp_min(MIN_NORM)
    sqrt_c = math.sqrt(c)
    # geoopt's clamp: artanh's argument at most 1 - 1e-7
    return 2 / sqrt_c * torch.atanh((sqrt_c * (diff2 / den).sqrt()).clamp_max(1 - 1e-7))
