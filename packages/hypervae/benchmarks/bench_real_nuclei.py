"""Real 3D nuclei (cells3d): the segmenter against Otsu and window-statistics k-means.

One level, nucleus vs background, on ``hypervae.cells3d_nuclei`` (30 × 128 × 128 voxels
after 2× block averaging). Prints nucleus Dice (the cluster matched to nuclei against the
labels) and the level's Hungarian-matched Dice (mean of background and nucleus), mean
and spread over training seeds for the learned models.

    python packages/hypervae/benchmarks/bench_real_nuclei.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import numpy as np
import torch
from skimage.filters import threshold_otsu

from morphospace.core import registry
from morphospace.hypervae.baselines import window_kmeans
from morphospace.hypervae.dice import Dice, matched_labels
from morphospace.hypervae.object_size import auto_patch_size, estimate_object_thickness
from morphospace.hypervae.segmentation import HierarchicalSegmenter


def scores(truth: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(nucleus Dice after matching, level Dice: mean over background and nucleus)."""
    matched = matched_labels(truth, labels)
    nucleus = (
        2 * ((matched == 1) & (truth == 1)).sum() / ((matched == 1).sum() + (truth == 1).sum())
    )
    level = Dice().evaluate(truth=truth[None, None], segmentation=labels[None, None])
    return float(nucleus), level["dice_level1"].value


def segment_one_level(volume, latent, patch, seed: int, steps: int):
    """The fitted segmenter and its one-level (object vs background) labels of ``volume``
    ``(1, C, D, H, W)``."""
    model = HierarchicalSegmenter(
        latent=latent, patch_size=patch, n_clusters=(2,), seed=seed, training={"n_steps": steps}
    )
    return model, model.fit(volume).segment(volume).label_maps[0, 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--patch-sizes",
        type=lambda v: v if v == "auto" else int(v),
        nargs="+",
        default=["auto"],
        help="window edges, or 'auto' (the segmenter's default, from the object thickness)",
    )
    parser.add_argument("--downsample", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = registry.load_dataset("hypervae.cells3d_nuclei", downsample=args.downsample)
    volume, truth = data.obsm["volume"][0], data.obsm["truth"][0, 0]
    rows: list[tuple[str, list[tuple[float, float]], float]] = []

    start = time.perf_counter()
    otsu = (volume[0] > threshold_otsu(volume[0])).astype(np.int64)
    rows.append(
        ("Otsu threshold (no learning)", [scores(truth, otsu)], time.perf_counter() - start)
    )
    auto = auto_patch_size(volume[None])
    print(
        f"auto patch size: {auto} (object thickness {estimate_object_thickness(volume[None]):.1f})"
    )
    for patch in args.patch_sizes:
        start = time.perf_counter()
        size = auto if patch == "auto" else patch
        windows = window_kmeans(volume[None], (2,), patch_size=size)[0, 0]
        rows.append(
            (
                f"window mean + std, k-means (patch {size}, no learning)",
                [scores(truth, windows)],
                time.perf_counter() - start,
            )
        )
    for patch in args.patch_sizes:
        for name, latent in (
            ("hypervae, Poincaré", "poincare"),
            ("hypervae, Euclidean", "euclidean"),
        ):
            results, elapsed = [], []
            for seed in args.seeds:
                start = time.perf_counter()
                model, labels = segment_one_level(volume[None], latent, patch, seed, args.steps)
                chosen = model.patch_size_
                results.append(scores(truth, labels))
                elapsed.append(time.perf_counter() - start)
                print(f"{name} patch {patch} seed {seed}: {results[-1]}", flush=True)
            shown = f"auto = {chosen}" if patch == "auto" else patch
            rows.append(
                (f"{name} (patch {shown}, {args.steps} steps)", results, float(np.mean(elapsed)))
            )
    print(
        f"\ncells3d nuclei, {volume.shape[1:]} voxels (downsample {args.downsample}), "
        f"{data.uns['cells3d_nuclei']['n_nuclei']} nuclei; learned rows: mean (min-max) over "
        f"seeds {args.seeds}\n"
    )
    print("| method | nucleus Dice | level Dice (background + nucleus) | time (s) |")
    print("|---|---|---|---|")
    for name, values, seconds in rows:
        values = np.array(values)
        cells = [
            f"{values[:, i].mean():.3f}"
            + (f" ({values[:, i].min():.3f}-{values[:, i].max():.3f})" if len(values) > 1 else "")
            for i in range(2)
        ]
        print(f"| {name} | {cells[0]} | {cells[1]} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
