"""The four-configuration ablation on the toy hierarchy: Dice at three levels over seeds.

Each seed generates its own train and test volumes, trains every configuration from
scratch on the train volumes and segments the held-out test volumes (k-means with 2,
3 and 4 clusters for levels 1-3, Hungarian-matched Dice). Prints a markdown table.

    python packages/hypervae/benchmarks/bench_ablation.py --seeds 0 1 2 --steps 300

``--set KEY=VALUE`` (repeatable) changes a segmenter setting in every configuration where
the ablation does not fix it, e.g. ``--set latent_dim=2 --set curvature=0.3`` (the
Euclidean rows ignore ``curvature``; ``triplet_weight`` stays 0 in the base rows).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import numpy as np
import torch

from morphospace.hypervae.dice import Dice
from morphospace.hypervae.segmentation import HierarchicalSegmenter, segment_volume
from morphospace.hypervae.toy_hierarchy import toy_hierarchy

CONFIGS = {
    "hyperbolic + gyroplane + triplet": {},
    "hyperbolic base": {"decoder_input": "linear", "triplet_weight": 0.0},
    "Euclidean base": {"latent": "euclidean", "triplet_weight": 0.0},
    "Euclidean + triplet": {"latent": "euclidean"},
}
#: Not in the paper: the trained full model, clustered by Euclidean k-means on logmap0(z).
EXTRA = {
    "hyperbolic + gyroplane + triplet, tangent-space k-means": (
        "hyperbolic + gyroplane + triplet",
        {"cluster_space": "tangent"},
    )
}
LEVELS = ("dice_level1", "dice_level2", "dice_level3")
BASELINE = "no learning: window mean + std, k-means"


def window_statistics(batch: torch.Tensor) -> torch.Tensor:
    """A learning-free reference embedding: each window's mean and standard deviation."""
    flat = batch.flatten(1)
    return torch.stack([flat.mean(1), flat.std(1)], dim=1)


def baseline_maps(volumes: np.ndarray, stride: int = 2) -> np.ndarray:
    return np.stack(
        [
            segment_volume(
                window_statistics,
                v,
                patch_size=8,
                stride=stride,
                n_clusters=(2, 3, 4),
                curvature=None,
            )
            for v in volumes
        ]
    )


def parse_setting(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as JSON where it parses (numbers), else a string."""
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--n-train", type=int, default=4)
    parser.add_argument("--n-test", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--configs", nargs="+", default=[*CONFIGS, *EXTRA])
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--set", type=parse_setting, action="append", default=[], metavar="K=V")
    args = parser.parse_args()
    if not args.no_baseline:
        args.configs = [*args.configs, BASELINE]
    torch.set_num_threads(args.threads)
    settings = dict(args.set)
    training = {"n_steps": args.steps}
    scores: dict[str, list[list[float]]] = {name: [] for name in args.configs}
    times: dict[str, list[float]] = {name: [] for name in args.configs}
    for seed in args.seeds:
        data = toy_hierarchy(n_train=args.n_train, n_test=args.n_test, size=args.size, seed=seed)
        train = data.obsm["volume"][data.obs["train"].to_numpy()]
        test = ~data.obs["train"].to_numpy()
        trained: dict[str, HierarchicalSegmenter] = {}
        for name in args.configs:
            start = time.perf_counter()
            if name == BASELINE:
                maps = baseline_maps(data.obsm["volume"][test])
            elif name in EXTRA:  # same trained network, other clustering: no retraining
                base, overrides = EXTRA[name]
                model = HierarchicalSegmenter(
                    **{**settings, **CONFIGS[base], **overrides}, training=training, seed=seed
                )
                model.vae_ = trained[base].vae_
                maps = model.segment(data.obsm["volume"][test]).label_maps
            else:
                config = {**settings, **CONFIGS[name]}  # the ablation's switches win
                model = HierarchicalSegmenter(**config, training=training, seed=seed)
                maps = model.fit(train).segment(data.obsm["volume"][test]).label_maps
                trained[name] = model
            metrics = Dice().evaluate(truth=data.obsm["truth"][test], segmentation=maps)
            scores[name].append([metrics[k].value for k in LEVELS])
            times[name].append(time.perf_counter() - start)
            print(
                f"seed {seed} {name}: "
                + " / ".join(f"{v:.3f}" for v in scores[name][-1])
                + f" ({times[name][-1]:.0f} s)",
                flush=True,
            )
    print(
        f"\nDice on held-out toy volumes ({args.size}^3, {args.n_train} train / {args.n_test} "
        f"test per seed), {args.steps} steps, seeds {args.seeds}, "
        f"settings {settings or 'default'}; mean ± std over seeds\n"
    )
    print("| configuration | level 1 | level 2 | level 3 | train + segment (s) |")
    print("|---|---|---|---|---|")
    for name in args.configs:
        values = np.array(scores[name])
        cells = [f"{m:.3f} ± {s:.3f}" for m, s in zip(values.mean(0), values.std(0), strict=True)]
        print(f"| {name} | " + " | ".join(cells) + f" | {np.mean(times[name]):.0f} |")


if __name__ == "__main__":
    main()
