"""Sliding-window segmentation time of one 64^3 volume after training (3 levels).

python packages/hypervae/benchmarks/bench_segmentation_speed.py
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import torch

from morphospace.hypervae.segmentation import HierarchicalSegmenter, embed_volume
from morphospace.hypervae.toy_hierarchy import toy_hierarchy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--strides", type=int, nargs="+", default=[2, 1])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = toy_hierarchy(n_train=1, n_test=1, size=64, seed=0)
    train, test = data.obsm["volume"][:1], data.obsm["volume"][1:]
    print("| volume | patch | stride | windows | embed (s) | embed + 3-level k-means + paint (s) |")
    print("|---|---|---|---|---|---|")
    for stride in args.strides:
        model = HierarchicalSegmenter(training={"n_steps": 2}, stride=stride, seed=0).fit(train)
        start = time.perf_counter()
        z, grid = embed_volume(model.vae_.embed_patches, test[0], 8, stride, 512)
        embed = time.perf_counter() - start
        start = time.perf_counter()
        maps = model.segment(test).label_maps
        total = time.perf_counter() - start
        assert maps.shape == (1, 3, 64, 64, 64)
        print(f"| 64^3 | 8 | {stride} | {len(z)} | {embed:.1f} | {total:.1f} |", flush=True)


if __name__ == "__main__":
    main()
