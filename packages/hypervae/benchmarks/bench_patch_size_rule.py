"""How the automatic patch size was chosen: synthetic nuclei stacks of three sizes.

Window methods blur boundaries by half a window, so the best patch shrinks with the
objects. This script generates nuclei stacks (textured ellipsoids, flattened in z, on a
noisy background) whose nuclei are 12, 20 or 32 voxels thick, segments each with every
patch size, and prints nucleus Dice per (thickness, patch) and the ratio best patch /
thickness that ``object_size.PATCH_PER_THICKNESS`` is set from. It also checks that the
label-free thickness estimate finds the generated thickness. The real stack
(``bench_real_nuclei.py``) is never used here, so its table stays a test of the rule.

    python packages/hypervae/benchmarks/bench_patch_size_rule.py --seeds 100
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import numpy as np
import torch
from bench_real_nuclei import scores, segment_one_level
from scipy import ndimage

from morphospace.hypervae.object_size import auto_patch_size, estimate_object_thickness


def nuclei_stack(
    thickness: float, rng: np.random.Generator, shape=(40, 128, 128), fill: float = 0.15
):
    """A stack ``(D, H, W)`` of textured ellipsoidal nuclei and its nucleus mask.

    Each nucleus has a z semi-axis of ``thickness / 2`` and y/x semi-axes 1.2-1.6 times
    that; nuclei do not overlap and fill about ``fill`` of the volume. Brightness varies
    between nuclei (0.5-1) and inside each (smooth multiplicative texture), over a
    background of 0.1, blurred (sigma 1) with Gaussian noise of 0.05.
    """
    grid = np.indices(shape, dtype=np.float32)
    mask = np.zeros(shape, bool)
    image = np.full(shape, 0.1, np.float32)
    texture = 1 + 0.3 * ndimage.gaussian_filter(rng.normal(size=shape), 2) * 4
    for _ in range(2000):
        if mask.mean() >= fill:
            break
        semi = np.array([1.0, *rng.uniform(1.2, 1.6, 2)]) * thickness / 2
        centre = [rng.uniform(min(a, s / 2), max(s - a, s / 2)) for a, s in zip(semi, shape)]
        inside = sum(((g - c) / a) ** 2 for g, c, a in zip(grid, centre, semi)) <= 1
        if (ndimage.binary_dilation(inside, iterations=2) & mask).any():
            continue
        mask |= inside
        image[inside] = rng.uniform(0.5, 1.0) * texture[inside]
    image = ndimage.gaussian_filter(image, 1.0) + rng.normal(0, 0.05, shape)
    return image.astype(np.float32), mask.astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[100])
    parser.add_argument("--thickness", type=float, nargs="+", default=[12, 20, 32])
    parser.add_argument("--patch-sizes", type=int, nargs="+", default=[4, 6, 8, 12, 16])
    parser.add_argument("--latents", nargs="+", default=["poincare", "euclidean"])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    table: dict[tuple[float, int], list[float]] = {}
    estimates = []
    for seed in args.seeds:
        for thickness in args.thickness:
            image, truth = nuclei_stack(thickness, np.random.default_rng(seed))
            volume = image[None, None]
            estimates.append(
                (thickness, estimate_object_thickness(volume), auto_patch_size(volume))
            )
            for patch in args.patch_sizes:
                for latent in args.latents:
                    _, labels = segment_one_level(volume, latent, patch, seed, args.steps)
                    dice = scores(truth, labels)[0]
                    table.setdefault((thickness, patch), []).append(dice)
                    print(f"seed {seed} thickness {thickness} patch {patch} {latent}: {dice:.3f}")
    print(f"\nnucleus Dice, mean over seeds {args.seeds} and latents {args.latents}\n")
    print("| thickness | " + " | ".join(f"patch {p}" for p in args.patch_sizes) + " | best |")
    print("|---" * (len(args.patch_sizes) + 2) + "|")
    ratios = []
    for thickness in args.thickness:
        means = [np.mean(table[(thickness, p)]) for p in args.patch_sizes]
        best = args.patch_sizes[int(np.argmax(means))]
        ratios.append(best / thickness)
        cells = " | ".join(f"{m:.3f}" for m in means)
        print(f"| {thickness:g} | {cells} | {best} |")
    ratios = np.round(ratios, 3)
    print(f"\nbest patch / thickness: {ratios.tolist()}, median {np.median(ratios):.3f}")
    print("\n| generated thickness | estimated thickness | automatic patch |")
    print("|---|---|---|")
    for thickness, estimate, patch in estimates:
        print(f"| {thickness:g} | {estimate:.1f} | {patch} |")


if __name__ == "__main__":
    main()
