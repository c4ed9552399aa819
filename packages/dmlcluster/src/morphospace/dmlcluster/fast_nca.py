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
class(j)])``, ``df/dL = 2 sum_ij W_ij (z_i - z_j)(x_i - x_j)^T`` where ``z = L x``.
Each row of ``W`` sums to zero, so expanding the sum leaves three matrix products and
nothing of size ``d x d`` per pair is ever formed.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError
from morphospace.dmlcluster.config import FastNCAConfig
from morphospace.dmlcluster.metric_encoder import MetricEncoder


def class_blocks(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """``(class, start, stop)`` of each run of a class in sorted ``codes``."""
    values, starts = np.unique(codes, return_index=True)
    stops = np.append(starts[1:], len(codes))
    return list(zip(values.tolist(), starts.tolist(), stops.tolist()))


def nca_batch_gradient(
    l_map: np.ndarray,
    x_anchor: np.ndarray,
    y_anchor: np.ndarray,
    x_cand: np.ndarray,
    y_cand: np.ndarray,
    self_pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, np.ndarray]:
    """Mean ``p_i`` over the anchors and its gradient with respect to ``l_map``.

    Anchors and candidates must be sorted by class (``y_anchor``, ``y_cand``
    non-decreasing): then the same-class pairs are diagonal blocks, read as views.
    ``self_pairs`` = ``(anchor rows, candidate columns)`` marks pairs that are one
    cell, left out of the softmax as in leave-one-out NCA.
    """
    z_a = x_anchor @ l_map.T
    z_c = x_cand @ l_map.T
    # squared distances |a|^2 - 2ab + |b|^2, shifted per row by |a|^2 (softmax-invariant)
    logits = z_a @ (2.0 * z_c.T)
    logits -= (z_c * z_c).sum(axis=1)[None, :]
    if self_pairs is not None:
        logits[self_pairs] = -np.inf
    logits -= logits.max(axis=1, keepdims=True)
    # below e^-50 a neighbour's weight is nil; clipping keeps exp() out of subnormal
    # floats, which are orders of magnitude slower to compute with
    np.maximum(logits, -50.0, out=logits)
    p = np.exp(logits, out=logits)
    if self_pairs is not None:
        p[self_pairs] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    # s = p restricted to same-class pairs: diagonal blocks of the class-sorted matrix
    s_x_cand = np.zeros_like(x_anchor)  # s @ x_cand
    s_t_x_anchor = np.zeros_like(x_cand)  # s.T @ x_anchor
    s_cols = np.zeros(len(x_cand), dtype=p.dtype)  # s.sum(0)
    p_correct = np.zeros(len(x_anchor), dtype=p.dtype)  # s.sum(1) = p_i
    cand_blocks = {k: (start, stop) for k, start, stop in class_blocks(y_cand)}
    for k, a0, a1 in class_blocks(y_anchor):
        if k not in cand_blocks:
            continue
        c0, c1 = cand_blocks[k]
        block = p[a0:a1, c0:c1]
        p_correct[a0:a1] = block.sum(axis=1)
        s_cols[c0:c1] = block.sum(axis=0)
        s_x_cand[a0:a1] = block @ x_cand[c0:c1]
        s_t_x_anchor[c0:c1] = block.T @ x_anchor[a0:a1]
    # w = p * (p_i - same_class): its row sums vanish, so of
    # sum_ij w_ij (z_i - z_j)(x_i - x_j)^T only three products remain
    w_x_cand = p_correct[:, None] * (p @ x_cand) - s_x_cand
    w_t_x_anchor = p.T @ (p_correct[:, None] * x_anchor) - s_t_x_anchor
    w_cols = p.T @ p_correct - s_cols
    grad = -(z_a.T @ w_x_cand) - z_c.T @ w_t_x_anchor + (z_c * w_cols[:, None]).T @ x_cand
    return float(p_correct.mean()), 2.0 * grad / len(x_anchor)


def nca_objective(embedded: np.ndarray, codes: np.ndarray, chunk: int = 1024) -> float:
    """Exact NCA objective of an embedding, per cell: the mean of ``p_i`` over all cells.

    The expected leave-one-out accuracy of the soft 1-NN classifier, what exact NCA
    maximises; computed ``chunk`` rows at a time, so memory is ``chunk x n`` rather
    than ``n x n``. Lets fast and exact NCA be compared on the quantity both optimise.
    """
    e = np.asarray(embedded, dtype=np.float64)
    codes = np.asarray(codes)
    squared = (e * e).sum(axis=1)
    total = 0.0
    for start in range(0, len(e), chunk):
        rows = slice(start, start + chunk)
        logits = 2.0 * e[rows] @ e.T - squared[None, :]
        logits[np.arange(logits.shape[0]), np.arange(start, start + logits.shape[0])] = -np.inf
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits, out=logits)
        same = codes[rows, None] == codes[None, :]
        total += float((p * same).sum(axis=1).dot(1.0 / p.sum(axis=1)))
    return total / len(e)


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
        disjoint = batch + n_cand <= n
        if not disjoint:  # few cells: every cell is a candidate, anchors leave themselves out
            n_cand = n
        # The per-step matrices are small: BLAS threads cost more in synchronisation than
        # they save, and far more when other processes share the cores.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            objective, l_map = self._adam(x, codes, l_map, rng, batch, n_cand, disjoint)
        self.n_iter_ = cfg.max_iter
        self.objective_ = np.asarray(objective)
        return l_map.astype(np.float64)

    def _adam(self, x, codes, l_map, rng, batch, n_cand, disjoint):
        """Adam ascent on the sampled NCA objective; returns (objective per step, map)."""
        cfg, n, dtype = self.config, len(x), x.dtype
        if not disjoint:
            by_class = np.argsort(codes, kind="stable")
            position = np.empty(n, dtype=np.int64)
            position[by_class] = np.arange(n)
        m = np.zeros_like(l_map)
        v = np.zeros_like(l_map)
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        history = []
        for step in range(1, cfg.max_iter + 1):
            if disjoint:
                drawn = rng.choice(n, batch + n_cand, replace=False)
                anchors, cands = drawn[:batch], drawn[batch:]
                anchors = anchors[np.argsort(codes[anchors], kind="stable")]
                cands = cands[np.argsort(codes[cands], kind="stable")]
                self_pairs = None
            else:
                anchors = rng.choice(n, batch, replace=False) if batch < n else np.arange(n)
                anchors = anchors[np.argsort(codes[anchors], kind="stable")]
                cands = by_class
                self_pairs = (np.arange(batch), position[anchors])
            value, grad = nca_batch_gradient(
                l_map, x[anchors], codes[anchors], x[cands], codes[cands], self_pairs
            )
            history.append(value)
            # Adam ascent with a linearly decaying step, so the last steps average noise out
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            rate = cfg.learning_rate * (1.0 - (step - 1) / cfg.max_iter)
            l_map = l_map + (rate * m_hat / (np.sqrt(v_hat) + eps)).astype(dtype)
        return history, l_map
