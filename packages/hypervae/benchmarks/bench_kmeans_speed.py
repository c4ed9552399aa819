"""Poincaré k-means on 100,000 points: time and agreement with the planted clusters.

python packages/hypervae/benchmarks/bench_kmeans_speed.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from morphospace.core.geometry import poincare
from morphospace.hypervae.poincare_ball import poincare_ball
from morphospace.hypervae.poincare_kmeans import PoincareKMeans


def planted(n: int, dim: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``k`` wrapped-normal clusters with centres at geodesic radius 2 from the origin."""
    g = torch.Generator().manual_seed(seed)
    directions = torch.nn.functional.normalize(
        torch.randn(k, dim, generator=g, dtype=torch.float64), dim=-1
    )
    ball = poincare_ball(1.0)
    centres = ball.expmap0(directions * 1.0)  # |u| = 1 -> geodesic radius 2
    labels = torch.randint(k, (n,), generator=g)
    v = torch.randn(n, dim, generator=g, dtype=torch.float64) * 0.5
    mu = centres[labels]
    return ball.expmap(mu, v / ball.lambda_x(mu, keepdim=True)).numpy(), labels.numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print("| points | dim | clusters | n_init | time (s) | iterations | agreement with planted |")
    print("|---|---|---|---|---|---|---|")
    for dim, k, n_init in [(2, 4, 1), (3, 4, 1), (3, 4, 4), (8, 8, 1)]:
        z, truth = planted(100_000, dim, k)
        model = PoincareKMeans(n_clusters=k, n_init=n_init)
        start = time.perf_counter()
        labels = model.fit_predict(z, geometry=poincare(1.0))
        elapsed = time.perf_counter() - start
        table = np.zeros((k, k))
        np.add.at(table, (labels, truth), 1)
        from scipy.optimize import linear_sum_assignment

        rows, cols = linear_sum_assignment(-table)
        agreement = table[rows, cols].sum() / len(z)
        print(
            f"| 100,000 | {dim} | {k} | {n_init} | {elapsed:.1f} | {model.n_iter_} | "
            f"{agreement:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
