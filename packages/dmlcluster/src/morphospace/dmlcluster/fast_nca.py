"""NCA that scales to hundreds of thousands of cells: mini-batch Adam on sampled neighbours.

The NCA objective (Goldberger et al., NIPS 2005) is the expected number of cells a
stochastic 1-NN classifier gets right, ``f(L) = sum_i p_i`` with
``p_i = sum_{j in class(i)} p_ij`` and ``p_ij = softmax_j(-||L x_i - L x_j||^2)``.
Exact NCA evaluates all ``n^2`` pairs per step. Here each step draws

* ``batch_size`` *anchor* cells ``i`` and
* ``n_candidates`` *candidate* neighbours ``j`` (uniformly, without replacement),

computes the softmax of each anchor over the candidates only, and takes one Adam
ascent step on ``mean_i p_i``. A step costs ``O(batch_size * n_candidates * d)`` no
matter how many cells there are, so time is set by ``max_iter`` and memory by the
data itself.

Departure from exact NCA: the softmax runs over a random subset, so ``p_i`` is the
ratio estimator ``sum_{j in S, class(j) = class(i)} e^{-d_ij} / sum_{j in S} e^{-d_ij}``
of the exact one (the ``n / |S|`` factors cancel). Neighbours are sparser in ``S``
than in all cells, so the learned map is, to first order, the one exact NCA learns
on ``n_candidates`` cells: the same directions at a smaller overall scale. The kNN
graph Leiden clusters does not depend on that scale.

Gradient (derived from the definitions above): with ``W_ij = p_ij (p_i - [class(i) =
class(j)])``, ``df/dL = 2 sum_ij W_ij (z_i - z_j)(x_i - x_j)^T`` where ``z = L x``;
expanding the sum gives four matrix products, so nothing of size ``d x d`` per pair
is ever formed.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError
from morphospace.dmlcluster.config import FastNCAConfig
from morphospace.dmlcluster.metric_encoder import MetricEncoder


def nca_batch_gradient(
    l_map: np.ndarray,
    x_anchor: np.ndarray,
    y_anchor: np.ndarray,
    x_cand: np.ndarray,
    y_cand: np.ndarray,
    same_cell: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Mean ``p_i`` over the anchors and its gradient with respect to ``l_map``.

    ``same_cell`` (anchors x candidates, bool) marks pairs that are one cell, which
    are left out of the softmax as in leave-one-out NCA.
    """
    z_a = x_anchor @ l_map.T
    z_c = x_cand @ l_map.T
    # squared distances ||z_a - z_c||^2 by the expansion a^2 - 2ab + b^2
    dist = (z_a * z_a).sum(1)[:, None] - 2.0 * (z_a @ z_c.T) + (z_c * z_c).sum(1)[None, :]
    np.maximum(dist, 0.0, out=dist)
    if same_cell is not None:
        dist[same_cell] = np.inf
    logits = -dist
    logits -= logits.max(axis=1, keepdims=True)
    # below e^-50 a neighbour's weight is nil; clipping keeps exp() out of subnormal
    # floats, which are orders of magnitude slower to compute with
    np.maximum(logits, -50.0, out=logits)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    same_class = y_anchor[:, None] == y_cand[None, :]
    p_correct = (p * same_class).sum(axis=1)
    w = p * (p_correct[:, None] - same_class)
    rows, cols = w.sum(axis=1), w.sum(axis=0)
    # sum_ij w_ij (z_i - z_j)(x_i - x_j)^T, expanded
    grad = (
        (z_a * rows[:, None]).T @ x_anchor
        - z_a.T @ (w @ x_cand)
        - z_c.T @ (w.T @ x_anchor)
        + (z_c * cols[:, None]).T @ x_cand
    )
    n = len(x_anchor)
    return float(p_correct.mean()), 2.0 * grad / n


class FastNCAEncoder(MetricEncoder):
    """NCA by stochastic mini-batches; see the module docstring for how it departs from NCA."""

    Config = FastNCAConfig

    def learn_map(self, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        cfg = self.config
        dtype = np.dtype(cfg.dtype)
        codes = self.class_codes(y)
        n, d_in = z.shape
        d_out = cfg.n_components or d_in
        rng = np.random.default_rng(cfg.seed)
        x = z.astype(dtype, copy=False)
        # Start from the top principal axes (the data is PCA-rotated already), scaled so
        # that a typical squared distance between cells is about 1.
        l_map = np.eye(d_out, d_in, dtype=dtype)
        typical = float(
            np.mean(np.sum((x[rng.integers(0, n, 256)] - x[rng.integers(0, n, 256)]) ** 2, 1))
        )
        if not typical > 0:
            raise InputError(f"{self.name}: all cells are identical after preprocessing")
        l_map *= dtype.type(1.0 / np.sqrt(typical))
        batch = min(cfg.batch_size, n)
        n_cand = min(cfg.n_candidates, n)
        m = np.zeros_like(l_map)
        v = np.zeros_like(l_map)
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        history = []
        for step in range(1, cfg.max_iter + 1):
            anchors = rng.choice(n, batch, replace=False) if batch < n else np.arange(n)
            cands = rng.choice(n, n_cand, replace=False) if n_cand < n else np.arange(n)
            same_cell = anchors[:, None] == cands[None, :]
            value, grad = nca_batch_gradient(
                l_map, x[anchors], codes[anchors], x[cands], codes[cands], same_cell
            )
            history.append(value)
            # Adam ascent with a linearly decaying step, so the last steps average noise out
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            rate = cfg.learning_rate * (1.0 - (step - 1) / cfg.max_iter)
            l_map = l_map + (rate * m_hat / (np.sqrt(v_hat) + eps)).astype(dtype)
        self.n_iter_ = cfg.max_iter
        self.objective_ = np.asarray(history)
        return l_map.astype(np.float64)
