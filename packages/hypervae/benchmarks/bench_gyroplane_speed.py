"""Gyroplane 3D convolution: the vectorised layer against a per-voxel Python loop.

python packages/hypervae/benchmarks/bench_gyroplane_speed.py
"""

from __future__ import annotations

import argparse
import time

import torch

from morphospace.hypervae import poincare_ball as ball
from morphospace.hypervae.gyroplane import GyroplaneConv3d, gyroplane_conv3d_loop


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print("| input (B, d, D, H, W) | channels | kernel | loop (s) | vectorised (ms) | speed-up |")
    print("|---|---|---|---|---|---|")
    for shape, channels, kernel in [
        ((2, 3, 8, 8, 8), 16, 1),
        ((2, 3, 8, 8, 8), 16, 3),
        ((4, 3, 12, 12, 12), 32, 3),
    ]:
        torch.manual_seed(0)
        layer = GyroplaneConv3d(shape[1], channels, kernel)
        x = ball.expmap0(torch.randn(shape).movedim(1, -1) * 0.5).movedim(-1, 1)
        with torch.no_grad():
            loop = _best_of(lambda layer=layer, x=x: gyroplane_conv3d_loop(layer, x), 1)
            fast = _best_of(lambda layer=layer, x=x: layer(x), 5)
            error = (
                (layer(x) - gyroplane_conv3d_loop(layer, x)).abs().max().item()
                if kernel == 1
                else None
            )
        note = f" (max diff {error:.1e})" if error is not None else ""
        print(
            f"| {shape} | {channels} | {kernel} | {loop:.2f} | {fast * 1e3:.1f} | "
            f"{loop / fast:.0f}x{note} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
