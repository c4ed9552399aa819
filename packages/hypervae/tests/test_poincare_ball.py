"""The ball as hypervae uses it (geoopt underneath): inverses, identities, and no NaN/inf
near the boundary in float32 and float64, where training and k-means run."""

import math

import pytest
import torch

from morphospace.hypervae.poincare_ball import log_sinhc, pairwise_dist, poincare_ball

DTYPES = [torch.float32, torch.float64]


def _points(n, d, c, dtype, scale=0.5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return poincare_ball(c).expmap0(torch.randn(n, d, generator=g, dtype=dtype) * scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_float32_points_stay_float32_with_a_float64_curvature(dtype):
    x = _points(5, 3, 0.3, dtype)
    ball = poincare_ball(0.3)
    for out in (x, ball.logmap0(x), ball.dist(x, x.flip(0)), ball.lambda_x(x)):
        assert out.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", [0.5, 1.0, 2.0])
def test_logmap0_inverts_expmap0(dtype, c):
    # geodesic radius up to 4: float32 keeps points 4e-3 away from the boundary, i.e. r < 6
    u = torch.nn.functional.normalize(torch.randn(100, 3, dtype=dtype), dim=-1)
    u = u * torch.linspace(0, 2, 100, dtype=dtype)[:, None] / c**0.5
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    ball = poincare_ball(c)
    torch.testing.assert_close(ball.logmap0(ball.expmap0(u)), u, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logmap_inverts_expmap_at_any_point(dtype):
    ball = poincare_ball(1.0)
    x = _points(50, 3, 1.0, dtype)
    v = torch.nn.functional.normalize(torch.randn(50, 3, dtype=dtype), dim=-1)
    u = v * torch.linspace(0, 2, 50, dtype=dtype)[:, None] / ball.lambda_x(x, keepdim=True)
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(ball.logmap(x, ball.expmap(x, u)), u, atol=tol, rtol=tol)


def test_mobius_addition_identities():
    ball = poincare_ball(1.5)
    x = _points(20, 4, 1.5, torch.float64)
    zero = torch.zeros_like(x)
    torch.testing.assert_close(ball.mobius_add(zero, x), x)
    torch.testing.assert_close(ball.mobius_add(-x, x), zero, atol=1e-12, rtol=0)


def test_distance_is_symmetric_and_matches_the_origin_formula():
    ball = poincare_ball(1.0)
    x, y = _points(30, 3, 1.0, torch.float64), _points(30, 3, 1.0, torch.float64, seed=1)
    torch.testing.assert_close(ball.dist(x, y), ball.dist(y, x))
    torch.testing.assert_close(ball.dist(torch.zeros_like(x), x), ball.dist0(x))
    # the Riemannian norm of log_x(y) is the distance
    lam = ball.lambda_x(x, keepdim=True)
    torch.testing.assert_close((lam * ball.logmap(x, y)).norm(dim=-1), ball.dist(x, y))


def test_distance_obeys_the_triangle_inequality():
    ball = poincare_ball(1.0)
    x, y, z = (_points(200, 2, 1.0, torch.float64, scale=1.5, seed=s) for s in range(3))
    assert (ball.dist(x, z) <= ball.dist(x, y) + ball.dist(y, z) + 1e-9).all()


@pytest.mark.parametrize("c", [0.3, 0.8, 2.0])
def test_pairwise_distances_match_geoopts_rowwise_distances(c):
    x = _points(7, 3, c, torch.float64, scale=2.0)
    y = _points(5, 3, c, torch.float64, seed=3)
    expected = poincare_ball(c).dist(x[:, None], y[None])
    torch.testing.assert_close(pairwise_dist(x, y, c), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_nan_or_inf_at_the_boundary(dtype):
    ball = poincare_ball(1.0)
    direction = torch.nn.functional.normalize(torch.randn(64, 3, dtype=dtype), dim=-1)
    near = direction * (1 - torch.logspace(-2, -12, 64, dtype=dtype))[:, None]
    huge = (direction * 1e4).requires_grad_(True)  # tangent vectors far beyond the ball
    on_ball = ball.expmap0(huge)
    assert (on_ball.norm(dim=-1) < 1).all()
    outputs = [
        on_ball,
        ball.logmap0(near),
        ball.dist(near, near.flip(0)),
        ball.dist0(near),
        ball.mobius_add(near, near.flip(0)),
        ball.logmap(near, near.flip(0)),
        ball.expmap(near, torch.randn_like(near)),
        pairwise_dist(near, near, 1.0),
        ball.lambda_x(near),
    ]
    for out in outputs:
        assert torch.isfinite(out).all()
    ball.dist0(on_ball).sum().backward()
    assert torch.isfinite(huge.grad).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradients_at_the_origin_are_finite(dtype):
    ball = poincare_ball(1.0)
    u = torch.zeros(4, 3, dtype=dtype, requires_grad=True)
    (ball.expmap0(u).sum() + ball.logmap0(ball.expmap0(u)).sum()).backward()
    assert torch.isfinite(u.grad).all()


def test_projection_keeps_points_strictly_inside():
    x = torch.tensor([[2.0, 0.0], [0.3, 0.4]])
    y = poincare_ball(1.0).projx(x)
    assert y[0].norm() < 1
    torch.testing.assert_close(y[1], x[1])


@pytest.mark.parametrize("c", [0.0, -1.0, math.inf, math.nan])
def test_a_curvature_that_is_no_ball_is_refused(c):
    with pytest.raises(ValueError, match="curvature must be > 0"):
        poincare_ball(c)


def test_log_sinhc_is_accurate_from_zero_to_large():
    x = torch.tensor([0.0, 1e-6, 1e-3, 0.5, 3.0, 50.0, 800.0], dtype=torch.float64)
    expected = torch.tensor([0.0, 1e-12 / 6, 1e-6 / 6], dtype=torch.float64)
    torch.testing.assert_close(log_sinhc(x[:3]), expected, rtol=1e-6, atol=1e-18)
    torch.testing.assert_close(log_sinhc(x[3:5]), torch.log(torch.sinh(x[3:5]) / x[3:5]))
    assert torch.isfinite(log_sinhc(x)).all()
