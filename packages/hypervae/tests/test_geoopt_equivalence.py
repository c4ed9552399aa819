"""geoopt's Poincaré ball against the hand-derived formulas of Ganea et al. (2018).

``ball_reference`` keeps the formulas hypervae used before it moved onto geoopt; they
are the oracle here, so a geoopt upgrade that changes a value or a gradient fails this
file. float64 throughout, with points at the origin, in the bulk and within 1e-5 of the
boundary (the margin geoopt's projection keeps in float64).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import geoopt
import pytest
import torch


def _load_reference():
    path = Path(__file__).with_name("ball_reference.py")
    spec = importlib.util.spec_from_file_location("hypervae_ball_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()

DTYPE = torch.float64
CURVATURES = (1.0, 0.3, 2.0)


def _points(n: int, d: int, c: float, radii: tuple[float, ...], seed: int) -> torch.Tensor:
    """``n`` points per relative radius (fraction of the ball's radius 1/sqrt(c))."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for r in radii:
        u = torch.randn(n, d, generator=g, dtype=DTYPE)
        out.append(u / u.norm(dim=-1, keepdim=True) * r / math.sqrt(c))
    return torch.cat(out)


RADII = (0.0, 1e-6, 0.1, 0.5, 0.9, 0.999, 1 - 2e-5)


def _values_and_grads(fn, *inputs):
    """``fn``'s output and the gradient of a random projection of it w.r.t. every input."""
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    out = fn(*leaves)
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(7), dtype=DTYPE)
    grads = torch.autograd.grad((out * weights).sum(), leaves)
    return out.detach(), [g.detach() for g in grads]


def _assert_same(fn_ref, fn_new, *inputs, rtol=1e-9, atol=1e-9):
    out_ref, grads_ref = _values_and_grads(fn_ref, *inputs)
    out_new, grads_new = _values_and_grads(fn_new, *inputs)
    assert torch.isfinite(out_new).all()
    torch.testing.assert_close(out_new, out_ref, rtol=rtol, atol=atol)
    for g_new, g_ref in zip(grads_new, grads_ref, strict=True):
        assert torch.isfinite(g_new).all()
        torch.testing.assert_close(g_new, g_ref, rtol=rtol, atol=atol)


@pytest.mark.parametrize("c", CURVATURES)
def test_maps_at_the_origin(c):
    ball = geoopt.PoincareBall(c=torch.tensor(c, dtype=DTYPE))
    x = _points(6, 3, c, RADII, seed=0)
    u = torch.randn(40, 3, generator=torch.Generator().manual_seed(1), dtype=DTYPE) * 2
    _assert_same(lambda v: ref.expmap0(v, c), ball.expmap0, u)
    _assert_same(lambda y: ref.logmap0(y, c), ball.logmap0, x[6:])  # not at 0 (both 0 there)
    _assert_same(lambda y: ref.dist0(y, c), ball.dist0, x[6:], rtol=1e-7)
    _assert_same(lambda y: ref.conformal_factor(y, c, keepdim=False), ball.lambda_x, x)
    _assert_same(lambda y: ref.project(y * 1.5, c), lambda y: ball.projx(y * 1.5), x)


@pytest.mark.parametrize("c", CURVATURES)
def test_mobius_addition_and_maps_between_points(c):
    ball = geoopt.PoincareBall(c=torch.tensor(c, dtype=DTYPE))
    x = _points(6, 3, c, RADII, seed=2)
    y = _points(6, 3, c, RADII[::-1], seed=3)  # near-boundary x meets central y and back
    u = torch.randn(x.shape, generator=torch.Generator().manual_seed(4), dtype=DTYPE)
    _assert_same(lambda a, b: ref.mobius_add(a, b, c), ball.mobius_add, x, y)
    _assert_same(lambda a, v: ref.expmap(a, v, c), ball.expmap, x, u, rtol=1e-7, atol=1e-8)
    _assert_same(lambda a, v: ref.transport0(a, v, c), ball.transp0, x, u)
    central = slice(0, 30)  # log and dist of two points both at the boundary: see below
    _assert_same(lambda a, b: ref.logmap(a, b, c), ball.logmap, x[central], y[central], rtol=1e-6)
    _assert_same(lambda a, b: ref.dist(a, b, c), ball.dist, x[central], y[central], rtol=1e-7)


def test_distance_between_two_boundary_points_is_clamped_finite_by_both():
    """Two antipodal points within 2e-5 of the boundary are ``4 artanh(r) = 23.0`` apart.

    Neither float64 computation reaches that: the reference projects the Möbius
    difference to the 1e-5 margin (12.2), geoopt clamps ``artanh`` at ``1 - 1e-7``
    (16.8). The one place old and new differ; both stay finite with finite gradients.
    """
    ball = geoopt.PoincareBall(c=torch.tensor(1.0, dtype=DTYPE))
    x = _points(10, 3, 1.0, (1 - 2e-5,), seed=5)
    truth = 4 * torch.atanh(torch.tensor(1 - 2e-5, dtype=DTYPE))
    new, (grad_new,) = _values_and_grads(lambda a: ball.dist(a, -a), x)
    old, (grad_old,) = _values_and_grads(lambda a: ref.dist(a, -a, 1.0), x)
    assert torch.isfinite(grad_new).all() and torch.isfinite(grad_old).all()
    torch.testing.assert_close(old, torch.full_like(old, math.log(2 / 1e-5)), rtol=1e-6, atol=0)
    torch.testing.assert_close(new, torch.full_like(new, math.log(2 / 1e-7)), rtol=1e-6, atol=0)
    assert (new < truth).all()


@pytest.mark.parametrize("c", CURVATURES)
def test_pairwise_distance_matches_geoopt_broadcast(c):
    ball = geoopt.PoincareBall(c=torch.tensor(c, dtype=DTYPE))
    x = _points(5, 4, c, (0.0, 0.3, 0.8, 0.99), seed=6)
    y = _points(3, 4, c, (0.2, 0.95), seed=8)
    _assert_same(
        lambda a, b: ref.pairwise_dist(a, b, c),
        lambda a, b: ball.dist(a[:, None], b[None, :]),
        x,
        y,
        rtol=1e-6,
        atol=1e-7,
    )


@pytest.mark.parametrize("c", CURVATURES)
def test_gyroplane_response_is_the_conformal_factor_times_geoopts_distance(c):
    """Ganea et al.'s hyperplane unit ``lambda_p |a| / sqrt(c) asinh(...)`` is geoopt's
    signed, scaled ``dist2plane`` times ``lambda_p``."""
    ball = geoopt.PoincareBall(c=torch.tensor(c, dtype=DTYPE))
    x = _points(4, 3, c, (0.0, 0.2, 0.7, 0.99), seed=9)
    p = _points(4, 3, c, (0.5, 0.0, 0.9, 0.3), seed=10)
    a = ball.transp0(
        p, torch.randn(p.shape, generator=torch.Generator().manual_seed(11), dtype=DTYPE)
    )

    def reference(x, p, a):
        w = ref.mobius_add(-p, x, c)
        a_norm = a.norm(dim=-1)
        inner = (w * a).sum(-1)
        denominator = (1 - c * w.pow(2).sum(-1)) * a_norm
        lam = ref.conformal_factor(p, c, keepdim=False)
        return lam * a_norm / math.sqrt(c) * torch.asinh(2 * math.sqrt(c) * inner / denominator)

    def with_geoopt(x, p, a):
        return ball.lambda_x(p) * ball.dist2plane(x, p=p, a=a, signed=True, scaled=True)

    _assert_same(reference, with_geoopt, x, p, a, rtol=1e-7, atol=1e-9)
