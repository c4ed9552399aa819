"""Gyroplane 3D convolution: the vectorised layer against a per-voxel Python loop.

Also the layer's arithmetic rate against this CPU's dense float32 matmul rate, measured
in the same run: the layer evaluates one ``asinh`` per (voxel, channel, tap), so it is
bound by elementwise work, not by multiply-adds. Run it on an otherwise idle machine.

python packages/hypervae/benchmarks/bench_gyroplane_speed.py
"""

from __future__ import annotations

import argparse
import time

import torch

from morphospace.hypervae.gyroplane import GyroplaneConv3d, gyroplane_conv3d_loop
from morphospace.hypervae.poincare_ball import poincare_ball


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_rate(n: int = 1024) -> float:
    """float32 GFLOP/s of one ``n x n`` matmul on the current threads."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / _best_of(lambda: a @ b, 5) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dense = matmul_rate()
    print(f"dense float32 matmul (1024^3, {args.threads} thread): {dense:.1f} GFLOP/s\n")
    print(
        "| input (B, d, D, H, W) | channels | kernel | loop (s) | vectorised (ms) | speed-up "
        "| layer GFLOP/s (% of matmul) | asinh / s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for shape, channels, kernel in [
        ((2, 3, 8, 8, 8), 16, 1),
        ((2, 3, 8, 8, 8), 16, 3),
        ((4, 3, 12, 12, 12), 32, 3),
    ]:
        torch.manual_seed(0)
        layer = GyroplaneConv3d(shape[1], channels, kernel)
        x = poincare_ball(1.0).expmap0(torch.randn(shape).movedim(1, -1) * 0.5).movedim(-1, 1)
        x = x.contiguous()
        with torch.no_grad():
            loop = _best_of(lambda layer=layer, x=x: gyroplane_conv3d_loop(layer, x), 1)
            fast = _best_of(lambda layer=layer, x=x: layer(x), 5)
            error = (layer(x) - gyroplane_conv3d_loop(layer, x)).abs().max().item()
        units = shape[0] * shape[2] * shape[3] * shape[4] * channels * kernel**3
        # per unit: the (d + 1)-term inner product and the scaled sum, in multiply-adds
        flops = 2 * units * (shape[1] + 2)
        rate = flops / fast / 1e9
        print(
            f"| {shape} | {channels} | {kernel} | {loop:.2f} | {fast * 1e3:.1f} | "
            f"{loop / fast:.0f}x (max diff {error:.1e}) | {rate:.2f} ({100 * rate / dense:.1f} %) "
            f"| {units / fast / 1e6:.0f} M |",
            flush=True,
        )


if __name__ == "__main__":
    main()
