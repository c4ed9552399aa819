"""The hand-derived Poincaré-ball formulas hypervae used before geoopt: the test oracle.

Kept unchanged from the module they came from (only ``log_sinhc``, still in the package,
is left out) so that ``test_geoopt_equivalence.py`` can hold geoopt to them.

Poincaré-ball primitives, numerically careful, in one place (torch, any dtype or device).

The ball of curvature ``-c`` (``c > 0``) is ``{x : c |x|^2 < 1}`` with conformal factor
``lambda_x = 2 / (1 - c |x|^2)``. Formulas follow Ganea et al. (2018), "Hyperbolic
neural networks". Every function clamps what can blow up: norms away from 0 (so
gradients at the origin are finite), ``artanh`` away from ±1, and points away from the
boundary by a dtype-dependent margin (float32 cannot tell ``1 - 1e-8`` from 1).
"""

from __future__ import annotations

import torch

#: Relative distance to the boundary that :func:`project` keeps, per dtype (as geoopt).
BALL_EPS = {torch.float16: 1e-2, torch.bfloat16: 1e-2, torch.float32: 4e-3, torch.float64: 1e-5}
#: Smallest norm used in divisions.
MIN_NORM = 1e-15


def _sqrt_c(c: float | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(c, dtype=like.dtype, device=like.device).sqrt()


def _norm(x: torch.Tensor, keepdim: bool = True) -> torch.Tensor:
    return x.norm(dim=-1, keepdim=keepdim).clamp_min(MIN_NORM)


def artanh(x: torch.Tensor) -> torch.Tensor:
    """``artanh`` clamped inside (-1, 1) so it stays finite in float32 and float64."""
    eps = BALL_EPS.get(x.dtype, 1e-5) * 1e-2
    x = x.clamp(-1 + eps, 1 - eps)
    return 0.5 * (torch.log1p(x) - torch.log1p(-x))


def project(x: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Pull points that are on or outside the boundary back inside the ball."""
    norm = _norm(x)
    max_norm = (1 - BALL_EPS.get(x.dtype, 1e-5)) / _sqrt_c(c, x)
    return torch.where(norm > max_norm, x / norm * max_norm, x)


def conformal_factor(
    x: torch.Tensor, c: float | torch.Tensor = 1.0, keepdim: bool = True
) -> torch.Tensor:
    """``lambda_x = 2 / (1 - c |x|^2)``."""
    c = torch.as_tensor(c, dtype=x.dtype, device=x.device)
    return 2 / (1 - c * x.pow(2).sum(-1, keepdim=keepdim)).clamp_min(MIN_NORM)


def mobius_add(x: torch.Tensor, y: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Möbius addition ``x ⊕_c y`` (the ball's analogue of translation)."""
    c = torch.as_tensor(c, dtype=x.dtype, device=x.device)
    xy = (x * y).sum(-1, keepdim=True)
    x2 = x.pow(2).sum(-1, keepdim=True)
    y2 = y.pow(2).sum(-1, keepdim=True)
    num = (1 + 2 * c * xy + c * y2) * x + (1 - c * x2) * y
    den = 1 + 2 * c * xy + c**2 * x2 * y2
    return project(num / den.clamp_min(MIN_NORM), c)


def expmap0(u: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Exponential map at the origin: tangent vector ``u`` to a point of the ball."""
    sqrt_c = _sqrt_c(c, u)
    norm = _norm(u)
    return project(torch.tanh(sqrt_c * norm) * u / (sqrt_c * norm), c)


def logmap0(y: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Logarithmic map at the origin (inverse of :func:`expmap0`)."""
    sqrt_c = _sqrt_c(c, y)
    norm = _norm(y)
    return artanh(sqrt_c * norm) * y / (sqrt_c * norm)


def expmap(x: torch.Tensor, u: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Exponential map at ``x`` of the tangent vector ``u``."""
    sqrt_c = _sqrt_c(c, u)
    norm = _norm(u)
    second = torch.tanh(sqrt_c * conformal_factor(x, c) * norm / 2) * u / (sqrt_c * norm)
    return mobius_add(x, second, c)


def logmap(x: torch.Tensor, y: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Logarithmic map at ``x`` of ``y`` (inverse of :func:`expmap`)."""
    sqrt_c = _sqrt_c(c, x)
    w = mobius_add(-x, y, c)
    norm = _norm(w)
    return 2 / (sqrt_c * conformal_factor(x, c)) * artanh(sqrt_c * norm) * w / norm


def dist(
    x: torch.Tensor, y: torch.Tensor, c: float | torch.Tensor = 1.0, keepdim: bool = False
) -> torch.Tensor:
    """Geodesic distance ``2/sqrt(c) artanh(sqrt(c) |-x ⊕ y|)``."""
    sqrt_c = _sqrt_c(c, x)
    return 2 / sqrt_c * artanh(sqrt_c * mobius_add(-x, y, c).norm(dim=-1, keepdim=keepdim))


def dist0(x: torch.Tensor, c: float | torch.Tensor = 1.0, keepdim: bool = False) -> torch.Tensor:
    """Geodesic distance to the origin."""
    sqrt_c = _sqrt_c(c, x)
    return 2 / sqrt_c * artanh(sqrt_c * x.norm(dim=-1, keepdim=keepdim))


def pairwise_dist(x: torch.Tensor, y: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Distances between every row of ``x`` (n, d) and every row of ``y`` (m, d): (n, m).

    Uses ``cosh d = 1 + 2c|x-y|^2 / ((1-c|x|^2)(1-c|y|^2))`` written through ``artanh``
    of the Möbius difference's norm, expanded so no (n, m, d) tensor is built.
    """
    c = torch.as_tensor(c, dtype=x.dtype, device=x.device)
    x2 = x.pow(2).sum(-1, keepdim=True)  # (n, 1)
    y2 = y.pow(2).sum(-1, keepdim=True).T  # (1, m)
    xy = x @ y.T  # (n, m)
    # |(-x) ⊕ y|^2 = |x - y|^2 / (1 - 2c<x,y> + c^2 |x|^2 |y|^2)  (Ganea et al., eq. 4)
    diff2 = (x2 - 2 * xy + y2).clamp_min(0)
    den = (1 - 2 * c * xy + c**2 * x2 * y2).clamp_min(MIN_NORM)
    norm = (diff2 / den).clamp_min(0).sqrt()
    return 2 / c.sqrt() * artanh(c.sqrt() * norm)


def transport0(x: torch.Tensor, v: torch.Tensor, c: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Parallel transport of ``v`` from the origin to ``x``: ``(lambda_0 / lambda_x) v``."""
    return v * 2 / conformal_factor(x, c)
