"""Helpers shared by the benchmark scripts: thread setup, tables, mean +- std."""

from __future__ import annotations

import argparse
import json
import os

import numpy as np


def setup(
    description: str, variants: list[str] | None = None, annotator_params: bool = False
) -> argparse.Namespace:
    """Parse the shared options (and ``--variants``, choices ``variants``, if given;
    ``--params``, JSON merged into the annotator's, with ``annotator_params``)."""
    parser = argparse.ArgumentParser(description=description)
    if variants:
        parser.add_argument("--variants", nargs="+", choices=variants, default=variants)
    if annotator_params:
        parser.add_argument("--params", type=json.loads, default={}, help="annotator JSON")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds from this one on")
    parser.add_argument("--steps", type=int, default=300, help="optimiser steps per network")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1 is fastest on a shared 2-core machine)",
    )
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    import torch

    torch.set_num_threads(args.threads)
    return args


def mean_std(values) -> str:
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std():.3f}"


def table(title: str, rows: dict[str, list[float]], n: int) -> None:
    print(f"\n{title} (mean ± std over {n} seeds)")
    width = max(len(k) for k in rows)
    print(f"| {'metric'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, values in rows.items():
        print(f"| {name.ljust(width)} | {mean_std(values)} |")


def query_sets(seed: int, n_queries: int = 200):
    """The two query sets of a seed, sharing one bank: deformed archetypes, other cells."""
    from morphospace.diffkillr.datasets import synthetic_cells

    augmented = synthetic_cells(n_queries=n_queries, mode="augmented", seed=seed)
    instances = synthetic_cells(n_queries=n_queries, mode="instances", seed=seed)
    bank = augmented.obs["bank"].to_numpy()
    np.testing.assert_allclose(augmented.obsm["image"][bank], instances.obsm["image"][bank])
    return augmented, instances
