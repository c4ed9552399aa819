"""Normal distributions on the Poincaré ball with exact ``log_prob`` and samplers.

Densities are with respect to the ball's Riemannian volume ``lambda_x^d dx`` (multiply
by ``lambda_x^d`` for a density in ambient coordinates). Following Mathieu et al.
(2019), "Continuous hierarchical representations with Poincaré VAEs":

* the **wrapped normal** pushes ``v ~ N(0, diag(scale^2))`` through
  ``z = exp_mu(v / lambda_mu)``; its log-density is
  ``log N(lambda_mu log_mu z; 0, scale^2) - (d-1) log(sinh(sqrt(c) r) / (sqrt(c) r))``
  with ``r = d_c(mu, z)``;
* the **Riemannian normal** has density ``exp(-d_c(mu, z)^2 / (2 scale^2)) / Z(scale)``;
  its radius is drawn by rejection sampling and its normaliser ``Z`` is a 1-D integral
  computed by quadrature in log space (the closed form is an alternating sum that loses
  every digit for small ``scale`` or large ``d``).
"""

from __future__ import annotations

import math

import torch

from morphospace.hypervae.poincare_ball import MIN_NORM, log_sinhc, poincare_ball

_QUADRATURE_POINTS = 2049  # odd, for Simpson's rule


def _log_normal(v: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``log N(v; 0, diag(scale^2))`` summed over the last axis."""
    return (-0.5 * (v / scale) ** 2 - torch.log(scale) - 0.5 * math.log(2 * math.pi)).sum(-1)


class EuclideanNormal:
    """Diagonal normal in R^d with the same interface (the Euclidean ablation)."""

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor):
        self.loc, self.scale = loc, scale.expand_as(loc)

    def rsample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn(
            self.loc.shape, dtype=self.loc.dtype, device=self.loc.device, generator=generator
        )
        return self.loc + self.scale * eps

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return _log_normal(z - self.loc, self.scale)


class WrappedNormal:
    """Wrapped (pushed-forward) normal on the ball; ``scale`` is diagonal, shape of ``loc``."""

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor, c: float = 1.0):
        self.loc, self.scale, self.c = loc, scale.expand_as(loc), c
        self.dim = loc.shape[-1]
        self.manifold = poincare_ball(c)

    def rsample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn(
            self.loc.shape, dtype=self.loc.dtype, device=self.loc.device, generator=generator
        )
        v = self.scale * eps
        lam = self.manifold.lambda_x(self.loc, keepdim=True)
        return self.manifold.expmap(self.loc, v / lam)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        lam = self.manifold.lambda_x(self.loc, keepdim=True)
        v = lam * self.manifold.logmap(self.loc, z)
        r = self.manifold.dist(self.loc, z)
        sqrt_c = math.sqrt(self.c)
        return _log_normal(v, self.scale) - (self.dim - 1) * log_sinhc(sqrt_c * r)


def riemannian_normal_log_normaliser(scale: torch.Tensor, dim: int, c: float = 1.0) -> torch.Tensor:
    """``log Z`` with ``Z = |S^{d-1}| int_0^inf exp(-r^2/2s^2) (sinh(sqrt(c) r)/sqrt(c))^{d-1} dr``.

    ``scale`` has shape ``(..., 1)``; the result has shape ``(...)``. Simpson's rule in
    ``t = r / scale`` on ``[0, (d-1) sqrt(c) scale + 12]``, which holds the integrand's
    mass to double precision, summed with ``logsumexp``; differentiable in ``scale``.
    """
    sqrt_c = math.sqrt(c)
    upper = (dim - 1) * sqrt_c * scale + 12.0  # (..., 1)
    u = torch.linspace(0, 1, _QUADRATURE_POINTS, dtype=scale.dtype, device=scale.device)
    t = u * upper  # (..., n)
    r = scale * t
    if dim > 1:
        log_r = torch.log(r.clamp_min(torch.finfo(r.dtype).tiny))
        log_f = -0.5 * t**2 + (dim - 1) * (log_r + log_sinhc(sqrt_c * r))
        log_f = torch.where(t > 0, log_f, torch.full_like(log_f, -math.inf))
    else:
        log_f = -0.5 * t**2
    weights = torch.ones_like(u)  # Simpson: 1, 4, 2, 4, ..., 2, 4, 1 (times h / 3)
    weights[1:-1:2] = 4
    weights[2:-1:2] = 2
    log_step = torch.log(scale * upper / (3 * (_QUADRATURE_POINTS - 1)))  # dr = scale * dt
    log_integral = torch.logsumexp(log_f + torch.log(weights), dim=-1) + log_step.squeeze(-1)
    log_sphere = math.log(2) + dim / 2 * math.log(math.pi) - math.lgamma(dim / 2)
    return log_sphere + log_integral


def sample_radius(
    scale: torch.Tensor, dim: int, c: float = 1.0, generator=None, max_rounds: int = 10_000
) -> torch.Tensor:
    """Radii ``r > 0`` with density ``∝ exp(-r^2/2s^2) sinh(sqrt(c) r)^{d-1}`` by rejection.

    Two exact envelopes, chosen per sample: for ``(d-1) c s^2 < 1`` a scaled chi
    distribution (from ``sinh(x)/x <= exp(x^2/6)``), otherwise a normal centred at
    ``(d-1) sqrt(c) s^2`` (from ``sinh(x) <= e^x / 2``). Both accept with probability
    bounded away from 0 in their regime. ``scale`` is ``(..., 1)``; returns ``(..., 1)``.
    """
    scale = scale.detach()
    sqrt_c = math.sqrt(c)
    small = (dim - 1) * c * scale**2 < 1
    chi_scale = 1 / torch.sqrt(1 / scale**2 - (dim - 1) * c / 3 * small.to(scale.dtype))
    shift = (dim - 1) * sqrt_c * scale**2
    radius = torch.zeros_like(scale)
    pending = torch.ones_like(scale, dtype=torch.bool)
    for _ in range(max_rounds):
        n = int(pending.sum())
        if n == 0:
            return radius
        s, cs, m, sm = scale[pending], chi_scale[pending], shift[pending], small[pending]
        chi = torch.randn(
            (n, max(dim, 1)), dtype=scale.dtype, device=scale.device, generator=generator
        ).norm(dim=-1)
        gauss = torch.randn(n, dtype=scale.dtype, device=scale.device, generator=generator)
        proposal = torch.where(sm, cs * chi, m + s * gauss)
        x = sqrt_c * proposal.clamp_min(0)
        log_accept = torch.where(
            sm,
            (dim - 1) * (log_sinhc(x) - x**2 / 6),
            (dim - 1) * torch.log1p(-torch.exp(-2 * x).clamp_max(1 - 1e-12)),
        )
        log_u = torch.log(
            torch.rand(n, dtype=scale.dtype, device=scale.device, generator=generator)
        )
        accepted = (proposal > 0) & (log_u < log_accept)
        index = pending.nonzero(as_tuple=True)
        chosen = tuple(i[accepted] for i in index)
        radius[chosen] = proposal[accepted]
        pending[chosen] = False
    raise RuntimeError(f"rejection sampler did not finish in {max_rounds} rounds")


class RiemannianNormal:
    """Riemannian (maximum-entropy) normal on the ball; ``scale`` is isotropic, ``(..., 1)``."""

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor, c: float = 1.0):
        self.loc, self.c = loc, c
        self.scale = scale.expand(*loc.shape[:-1], 1)
        self.dim = loc.shape[-1]
        self.manifold = poincare_ball(c)

    def rsample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """A sample; gradients flow to ``loc`` exactly and to ``scale`` through ``r = s * (r/s)``.

        The radius is drawn with ``scale`` detached and rescaled, which is exact in the
        flat limit and a cheap surrogate for the implicit reparameterisation elsewhere.
        """
        radius = sample_radius(self.scale, self.dim, self.c, generator)
        radius = self.scale * (radius / self.scale.detach())
        direction = torch.randn(
            self.loc.shape, dtype=self.loc.dtype, device=self.loc.device, generator=generator
        )
        direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(MIN_NORM)
        v = radius * direction
        return self.manifold.expmap(self.loc, v / self.manifold.lambda_x(self.loc, keepdim=True))

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        r = self.manifold.dist(self.loc, z)
        s = self.scale.squeeze(-1)
        return -(r**2) / (2 * s**2) - riemannian_normal_log_normaliser(self.scale, self.dim, self.c)


def make_distribution(kind: str, loc: torch.Tensor, scale: torch.Tensor, c: float | None):
    """``kind`` in ``wrapped_normal``, ``riemannian_normal``; ``c=None`` means Euclidean."""
    if c is None:
        return EuclideanNormal(loc, scale)
    if kind == "wrapped_normal":
        return WrappedNormal(loc, scale, c)
    if kind == "riemannian_normal":
        return RiemannianNormal(loc, scale[..., :1], c)
    raise ValueError(f"unknown distribution {kind!r}; use wrapped_normal or riemannian_normal")
