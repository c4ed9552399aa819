"""k-means on the Poincaré ball: geodesic assignment, Fréchet-mean centroids, k-means++.

Lloyd's algorithm with the ball's geodesic distance: points go to the nearest centroid
and each centroid moves to the Fréchet (Karcher) mean of its points, found by the
Riemannian gradient iteration ``m <- exp_m(eta mean_i log_m(x_i))`` with a
curvature-aware step ``eta`` (one step per Lloyd iteration, warm-started,
and to convergence once the assignment is stable). Seeding is k-means++ with
squared geodesic distances; the run with the smallest sum of squared distances over
``n_init`` seedings wins. The same routine with ``c=None`` is plain Euclidean k-means
(used by the Euclidean ablation of the segmenter); the *component* refuses Euclidean
input, so a pipeline cannot silently cluster flat embeddings with hyperbolic geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from morphospace.core import EUCLIDEAN, Clusterer, Geometry
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace.hypervae.config import PoincareKMeansConfig
from morphospace.hypervae.poincare_ball import pairwise_dist, poincare_ball

_KARCHER_STEPS = 50  # upper bound; stops at ``tol``


@dataclass
class KMeansResult:
    labels: np.ndarray
    centroids: np.ndarray
    inertia: float
    n_iter: int


def _sq_dist(z: torch.Tensor, centroids: torch.Tensor, c: float | None) -> torch.Tensor:
    if c is None:
        return torch.cdist(z, centroids).pow(2)
    return pairwise_dist(z, centroids, c).pow(2)


def nearest_centroid(z: torch.Tensor, centroids: torch.Tensor, c: float | None) -> np.ndarray:
    """Index of the nearest centroid (geodesic, or Euclidean for ``c=None``) of each row."""
    return _sq_dist(z, centroids.to(z.dtype), c).argmin(1).numpy()


def _seed(z: torch.Tensor, k: int, c: float | None, generator: torch.Generator) -> torch.Tensor:
    """k-means++: each new centroid drawn with probability ∝ squared distance to the nearest."""
    n = len(z)
    first = torch.randint(n, (1,), generator=generator)
    centroids = z[first]
    nearest = _sq_dist(z, centroids, c)[:, 0]
    for _ in range(1, k):
        weights = nearest.clamp_min(0)
        if float(weights.sum()) <= 0:  # fewer distinct points than clusters
            index = torch.randint(n, (1,), generator=generator)
        else:
            index = torch.multinomial(weights, 1, generator=generator)
        centroids = torch.cat([centroids, z[index]])
        nearest = torch.minimum(nearest, _sq_dist(z, z[index], c)[:, 0])
    return centroids


def _update(
    z: torch.Tensor,
    labels: torch.Tensor,
    centroids: torch.Tensor,
    c: float | None,
    steps: int = 1,
    tol: float = 0.0,
) -> torch.Tensor:
    """Move each centroid to (towards, for few ``steps``) the mean of its points."""
    k = len(centroids)
    counts = torch.bincount(labels, minlength=k).to(z.dtype).unsqueeze(1)
    occupied = counts[:, 0] > 0
    if c is None:
        sums = torch.zeros_like(centroids).index_add_(0, labels, z)
        return torch.where(occupied[:, None], sums / counts.clamp_min(1), centroids)
    means = centroids
    manifold = poincare_ball(c)
    sqrt_c = c**0.5
    for _ in range(steps):
        tangent = manifold.logmap(means[labels], z)
        lam = manifold.lambda_x(means, keepdim=True)
        # Riemannian gradient step on (1/2n) sum d(m, x_i)^2 with step 2 / (1 + h): the
        # Hessian's eigenvalues lie in [1, h], h = mean sqrt(c) d coth(sqrt(c) d), so
        # this step contracts fastest (a unit step oscillates when points are spread)
        d = sqrt_c * (lam[labels] * tangent).norm(dim=-1).clamp_min(1e-12)
        h = torch.zeros(k, dtype=z.dtype).index_add_(0, labels, d / torch.tanh(d))
        eta = 2 / (1 + h / counts[:, 0].clamp_min(1))
        step = torch.zeros_like(means).index_add_(0, labels, tangent) / counts.clamp_min(1)
        step = step * eta[:, None]
        means = torch.where(occupied[:, None], manifold.expmap(means, step), means)
        if float((lam * step).norm(dim=-1).max()) <= tol:
            break
    return means


def kmeans(
    z,
    n_clusters: int,
    c: float | None = 1.0,
    *,
    n_init: int = 4,
    max_iter: int = 50,
    tol: float = 1e-5,
    seed: int = 0,
) -> KMeansResult:
    """Cluster ``z`` (n, d) on the ball of curvature ``c`` (or in R^d when ``c`` is None)."""
    z = torch.as_tensor(np.asarray(z), dtype=torch.float64)
    if c is not None:
        z = poincare_ball(c).projx(z)
    if len(z) < n_clusters:
        raise InputError(f"cannot make {n_clusters} clusters from {len(z)} points")
    generator = torch.Generator().manual_seed(seed)
    best: KMeansResult | None = None
    for _ in range(n_init):
        centroids = _seed(z, n_clusters, c, generator)
        labels = None
        n_iter = 0
        # Lloyd iterations with one warm-started Karcher step each; once the assignment
        # is stable, the centroids are taken to their Fréchet means.
        for _ in range(max_iter):
            n_iter += 1
            previous, labels = labels, _sq_dist(z, centroids, c).argmin(1)
            # stable: at most 1 in 10,000 points changed cluster (as sklearn's relative tol)
            stable = previous is not None and int((previous != labels).sum()) <= len(z) // 10_000
            steps = _KARCHER_STEPS if stable else 1
            moved = _update(z, labels, centroids, c, steps=steps, tol=tol)
            shift = (
                (moved - centroids).norm(dim=-1)
                if c is None
                else poincare_ball(c).dist(moved, centroids)
            )
            centroids = moved
            if stable or float(shift.max()) <= tol:
                break
        distances = _sq_dist(z, centroids, c)
        labels = distances.argmin(1)
        inertia = float(distances.gather(1, labels[:, None]).sum())
        if best is None or inertia < best.inertia:
            best = KMeansResult(labels.numpy(), centroids.numpy(), inertia, n_iter)
    return best


class PoincareKMeans(Clusterer):
    """k-means on the Poincaré ball; ``fit_predict(z, geometry=poincare(c))``."""

    Config = PoincareKMeansConfig

    def fit_predict(self, z, geometry: Geometry = EUCLIDEAN) -> np.ndarray:
        self.check_geometry(geometry)
        c = geometry.curvature
        z = check_array(z, name="z", ndim=2, min_samples=self.config.n_clusters)
        norms = np.linalg.norm(z, axis=1)
        radius = 1 / np.sqrt(c)
        if norms.max() >= radius:
            raise InputError(
                f"z: {int((norms >= radius).sum())} point(s) lie on or outside the Poincaré ball "
                f"of curvature {c:g} (radius {radius:.4g}; largest norm {norms.max():.4g}); "
                "were they embedded with another curvature?"
            )
        cfg = self.config
        result = kmeans(
            z,
            cfg.n_clusters,
            c,
            n_init=cfg.n_init,
            max_iter=cfg.max_iter,
            tol=cfg.tol,
            seed=cfg.seed,
        )
        self.cluster_centers_ = result.centroids
        self.inertia_ = result.inertia
        self.n_iter_ = result.n_iter
        self.curvature_ = float(c)
        self.labels_ = result.labels
        return result.labels

    def predict(self, z) -> np.ndarray:
        """Nearest fitted centroid (geodesic) of each row of ``z``."""
        self.check_is_fitted()
        z = torch.as_tensor(check_array(z, name="z", ndim=2), dtype=torch.float64)
        centroids = torch.from_numpy(self.cluster_centers_)
        return (
            _sq_dist(poincare_ball(self.curvature_).projx(z), centroids, self.curvature_)
            .argmin(1)
            .numpy()
        )
