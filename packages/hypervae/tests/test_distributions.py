"""Densities on the ball integrate to 1 in 2-D and agree with their samplers."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from morphospace.hypervae.distributions import (
    RiemannianNormal,
    WrappedNormal,
    riemannian_normal_log_normaliser,
    sample_radius,
)
from morphospace.hypervae.poincare_ball import poincare_ball

CASES = [
    ("wrapped", 1.0, [0.3, -0.2], [0.4, 0.25]),
    ("wrapped", 2.0, [-0.1, 0.4], [0.6, 0.3]),
    ("riemannian", 1.0, [0.3, -0.2], [0.5]),
    ("riemannian", 0.5, [0.5, 0.6], [0.8]),
]


def _make(kind, c, loc, scale):
    loc = torch.tensor(loc, dtype=torch.float64)
    scale = torch.tensor(scale, dtype=torch.float64)
    return (WrappedNormal if kind == "wrapped" else RiemannianNormal)(loc, scale, c)


def _grid(c, n=1200):
    """Midpoints of a square grid covering the disk, the disk mask and the cell area."""
    radius = 1 / math.sqrt(c)
    edges = torch.linspace(-radius, radius, n + 1, dtype=torch.float64)
    mid = (edges[1:] + edges[:-1]) / 2
    xx, yy = torch.meshgrid(mid, mid, indexing="ij")
    z = torch.stack([xx.ravel(), yy.ravel()], -1)
    inside = c * z.pow(2).sum(-1) < 1 - 1e-9
    return z[inside], (2 * radius / n) ** 2


def _ambient_density(dist, z, c):
    """Density in ambient coordinates: the Riemannian one times lambda_z^2 (2-D)."""
    return dist.log_prob(z).exp() * poincare_ball(c).lambda_x(z) ** 2


@pytest.mark.parametrize(("kind", "c", "loc", "scale"), CASES)
def test_density_integrates_to_one_in_2d(kind, c, loc, scale):
    dist = _make(kind, c, loc, scale)
    z, area = _grid(c)
    total = float((_ambient_density(dist, z, c) * area).sum())
    assert total == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize(("kind", "c", "loc", "scale"), CASES)
def test_samples_match_the_density(kind, c, loc, scale):
    torch.manual_seed(0)
    dist = _make(kind, c, loc, scale)
    n = 100_000
    samples = _make(kind, c, [loc] * n, [scale] * n).rsample()
    z, area = _grid(c, n=800)
    weights = _ambient_density(dist, z, c) * area
    for f in (lambda p: p[:, 0], lambda p: p[:, 1], lambda p: p.pow(2).sum(-1)):
        values = f(samples)
        expected = float((f(z) * weights).sum() / weights.sum())
        error = 5 * float(values.std()) / math.sqrt(n) + 2e-3
        assert float(values.mean()) == pytest.approx(expected, abs=error)


def test_wrapped_normal_at_origin_with_tiny_scale_is_the_euclidean_normal():
    loc = torch.zeros(3, dtype=torch.float64)
    scale = torch.tensor([0.01, 0.02, 0.03], dtype=torch.float64)
    z = torch.tensor([0.004, -0.01, 0.02], dtype=torch.float64)
    # near the origin the ball is R^d scaled by lambda_0 = 2: v = 2 z
    flat = torch.distributions.Normal(0, scale).log_prob(2 * z).sum()
    assert float(WrappedNormal(loc, scale).log_prob(z)) == pytest.approx(float(flat), rel=1e-3)


@pytest.mark.parametrize("dim", [1, 2, 3, 6])
@pytest.mark.parametrize("sigma", [0.05, 0.5, 2.0])
def test_riemannian_normaliser_matches_adaptive_quadrature(dim, sigma):
    c = 1.3

    def integrand(r):
        return math.exp(-(r**2) / (2 * sigma**2)) * (
            math.sinh(math.sqrt(c) * r) / math.sqrt(c)
        ) ** (dim - 1)

    upper = (dim - 1) * math.sqrt(c) * sigma**2 + 20 * sigma
    value, _ = integrate.quad(integrand, 0, upper, limit=200)
    sphere = 2 * math.pi ** (dim / 2) / math.gamma(dim / 2)
    expected = math.log(sphere * value)
    got = riemannian_normal_log_normaliser(torch.tensor([[sigma]], dtype=torch.float64), dim, c)
    assert float(got) == pytest.approx(expected, rel=1e-8, abs=1e-8)


def test_riemannian_normaliser_has_the_closed_form_in_2d():
    c, sigma = 0.7, 0.9
    closed = (
        2
        * math.pi
        / (2 * math.sqrt(c))
        * 2
        * sigma
        * math.sqrt(math.pi / 2)
        * math.exp(c * sigma**2 / 2)
        * math.erf(math.sqrt(c) * sigma / math.sqrt(2))
    )
    got = riemannian_normal_log_normaliser(torch.tensor([[sigma]], dtype=torch.float64), 2, c)
    assert float(got) == pytest.approx(math.log(closed), rel=1e-9)


@pytest.mark.parametrize(("dim", "sigma"), [(5, 0.1), (5, 1.5), (10, 0.3), (3, 3.0)])
def test_rejection_sampler_radius_matches_its_density(dim, sigma):
    c = 1.0
    torch.manual_seed(1)
    radii = sample_radius(torch.full((40_000, 1), sigma, dtype=torch.float64), dim, c).numpy()

    def density(r):
        return math.exp(-(r**2) / (2 * sigma**2) + (dim - 1) * math.log(math.sinh(r) + 1e-300))

    upper = (dim - 1) * sigma**2 + 20 * sigma
    norm, _ = integrate.quad(density, 0, upper, limit=200)
    mean, _ = integrate.quad(lambda r: r * density(r), 0, upper, limit=200)
    second, _ = integrate.quad(lambda r: r * r * density(r), 0, upper, limit=200)
    expected_mean = mean / norm
    std = math.sqrt(second / norm - expected_mean**2)
    assert radii.mean() == pytest.approx(expected_mean, abs=5 * std / math.sqrt(len(radii)))
    assert (radii > 0).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["wrapped", "riemannian"])
def test_log_prob_and_samples_stay_finite_near_the_boundary(dtype, kind):
    torch.manual_seed(0)
    loc = torch.nn.functional.normalize(torch.randn(64, 3, dtype=dtype), dim=-1) * (1 - 1e-7)
    loc = poincare_ball(1.0).projx(loc).requires_grad_(True)
    scale = torch.full((64, 3 if kind == "wrapped" else 1), 0.7, dtype=dtype, requires_grad=True)
    dist = (WrappedNormal if kind == "wrapped" else RiemannianNormal)(loc, scale, 1.0)
    z = dist.rsample()
    log_p = dist.log_prob(z)
    assert torch.isfinite(z).all() and (z.norm(dim=-1) < 1).all()
    assert torch.isfinite(log_p).all()
    log_p.sum().backward()
    assert torch.isfinite(loc.grad).all() and torch.isfinite(scale.grad).all()


def test_monte_carlo_kl_of_identical_distributions_is_zero():
    loc = torch.tensor([[0.2, 0.1]], dtype=torch.float64)
    scale = torch.tensor([[0.3, 0.3]], dtype=torch.float64)
    q = WrappedNormal(loc, scale)
    z = q.rsample()
    assert float(q.log_prob(z) - WrappedNormal(loc.clone(), scale.clone()).log_prob(z)) == 0.0
    assert np.isfinite(float(q.log_prob(z)))
