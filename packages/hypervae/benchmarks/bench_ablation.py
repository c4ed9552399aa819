"""The paper's ablation on the toy hierarchy: Dice at three levels over seeds.

Each seed generates its own train and test volumes, trains every configuration from
scratch on the train volumes and segments the held-out test volumes (k-means per level,
Hungarian-matched Dice). Prints a markdown table: mean and 95 % interval over seeds.

    # the paper's data (contrast texture), k = 2 / 4 / 8, scored as the paper's code does
    python packages/hypervae/benchmarks/bench_ablation.py --contrast texture --seeds 0 1 2 3 4
    # the intensity-contrast generator, k = 2 / 3 / 4
    python packages/hypervae/benchmarks/bench_ablation.py --seeds 0 1 2
    # the paper's scale (50^3, 80 train / 20 validation / 20 test): for a GPU, where
    # accelerate puts training and window embedding; unchanged code on CPU, just slow
    python packages/hypervae/benchmarks/bench_ablation.py --contrast texture --scale paper \
        --steps 5000 --batch-size 96

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
from scipy import stats

from morphospace.hypervae.baselines import window_kmeans
from morphospace.hypervae.dice import Dice
from morphospace.hypervae.segmentation import HierarchicalSegmenter
from morphospace.hypervae.toy_hierarchy import toy_hierarchy

#: The rows of the paper's ablation table: what each configuration switches off.
CONFIGS = {
    "Euclidean base": {"latent": "euclidean", "triplet_weight": 0.0},
    "Euclidean + triplet": {"latent": "euclidean"},
    "hyperbolic base": {"decoder_input": "linear", "triplet_weight": 0.0},
    "hyperbolic + triplet": {"decoder_input": "linear"},
    "hyperbolic + gyroplane": {"triplet_weight": 0.0},
    "hyperbolic + gyroplane + triplet": {},
}
#: The paper's own training settings (section 4), as far as they carry over.
PAPER = "paper's settings: d 2, c 1, triplet 1e3, encoder 16-128 kernel 5, 5^3 patches"
PAPER_SETTINGS = {
    "latent_dim": 2,
    "curvature": 1.0,
    "triplet_weight": 1000.0,
    "triplet_margin": 0.2,
    "encoder_channels": [16, 32, 64, 128],
    "encoder_kernel_size": 5,
    "patch_size": 5,
}
#: Not in the paper: the trained full model, clustered by Euclidean k-means on logmap0(z).
TANGENT = "hyperbolic + gyroplane + triplet, tangent-space k-means"
BASELINE = "no learning: window mean + std, k-means"
LEVELS = ("dice_level1", "dice_level2", "dice_level3")


def parse_setting(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as JSON where it parses (numbers), else a string."""
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of the 95 % t-interval over seeds (axis 0)."""
    n = len(values)
    if n < 2:
        return values.mean(0), np.full(values.shape[1:], np.nan)
    half = stats.t.ppf(0.975, n - 1) * values.std(0, ddof=1) / np.sqrt(n)
    return values.mean(0), half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contrast", choices=["intensity", "texture"], default="intensity")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--scale", choices=["reduced", "paper"], default="reduced")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=None, help="patches per step")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--n-train", type=int, default=4)
    parser.add_argument("--n-validation", type=int, default=0)
    parser.add_argument("--n-test", type=int, default=4)
    parser.add_argument("--stride", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--configs", nargs="+", default=[*CONFIGS, TANGENT, PAPER, BASELINE], metavar="NAME"
    )
    parser.add_argument("--set", type=parse_setting, action="append", default=[], metavar="K=V")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.scale == "paper":  # the paper's data: 120 volumes of 50^3
        args.size, args.n_train, args.n_validation, args.n_test = 50, 80, 20, 20
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"device: {device} (accelerate's choice), {args.threads} CPU threads", flush=True)
    texture = args.contrast == "texture"
    n_clusters = (2, 4, 8) if texture else (2, 3, 4)
    # the paper's code averages Dice over matched pairs; the same here when k >= classes
    dice = Dice(average="matched" if texture else "classes")
    settings = dict(args.set)
    training: dict[str, object] = {"n_steps": args.steps}
    if args.batch_size is not None:
        training["batch_size"] = args.batch_size
    common = {"n_clusters": n_clusters, "stride": args.stride, "training": training}
    scores: dict[str, list[list[float]]] = {name: [] for name in args.configs}
    times: dict[str, list[float]] = {name: [] for name in args.configs}
    for seed in args.seeds:
        data = toy_hierarchy(
            n_train=args.n_train,
            n_validation=args.n_validation,
            n_test=args.n_test,
            size=args.size,
            seed=seed,
            contrast=args.contrast,
        )
        train = data.obsm["volume"][data.obs["train"].to_numpy()]
        test = (data.obs["split"] == "test").to_numpy()
        trained: dict[str, HierarchicalSegmenter] = {}
        for name in args.configs:
            start = time.perf_counter()
            if name == BASELINE:
                maps = window_kmeans(data.obsm["volume"][test], n_clusters, stride=args.stride)
            elif name == TANGENT:  # the full model's network, other clustering: no retraining
                base = "hyperbolic + gyroplane + triplet"
                model = HierarchicalSegmenter(
                    **{**settings, **CONFIGS[base]}, **common, seed=seed, cluster_space="tangent"
                )
                model.vae_ = trained[base].vae_
                maps = model.segment(data.obsm["volume"][test]).label_maps
            else:
                overrides = PAPER_SETTINGS if name == PAPER else CONFIGS[name]
                model = HierarchicalSegmenter(**{**settings, **overrides}, **common, seed=seed)
                maps = model.fit(train).segment(data.obsm["volume"][test]).label_maps
                trained[name] = model
            metrics = dice.evaluate(truth=data.obsm["truth"][test], segmentation=maps)
            scores[name].append([metrics[k].value for k in LEVELS])
            times[name].append(time.perf_counter() - start)
            print(
                f"seed {seed} {name}: "
                + " / ".join(f"{v:.3f}" for v in scores[name][-1])
                + f" ({times[name][-1]:.0f} s)",
                flush=True,
            )
    print(
        f"\nDice on held-out toy volumes (contrast {args.contrast}, {args.size}^3, "
        f"{args.n_train} train / {args.n_test} test per seed, {device}), k = {n_clusters}, "
        f"{args.steps} steps, seeds {args.seeds}, settings {settings or 'default'}; "
        "mean ± 95 % interval over seeds\n"
    )
    print("| configuration | level 1 | level 2 | level 3 | train + segment (s) |")
    print("|---|---|---|---|---|")
    for name in args.configs:
        mean, half = interval(np.array(scores[name]))
        cells = [f"{m:.3f} ± {h:.3f}" for m, h in zip(mean, half, strict=True)]
        print(f"| {name} | " + " | ".join(cells) + f" | {np.mean(times[name]):.0f} |")


if __name__ == "__main__":
    main()
