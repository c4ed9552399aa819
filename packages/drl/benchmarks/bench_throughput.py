"""Throughput on this machine: the Texture-dSprites generator, and Ada-GVAE training through
the core's trainer against a plain torch loop on the same network, loss and batches.

    python packages/drl/benchmarks/bench_throughput.py [--steps 60] [--size 64] [--repeats 3]

The plain loop is what a user would write by hand: AdamW, the same pair sampler and
renderer, ``pair_losses``, ``backward``, ``step``. The trainer adds accelerate,
per-step seeding, the learning-rate schedule and the history; the goal is < 10 % over
the plain loop. Both run on one torch thread, alternating, best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from morphospace.drl.config import AdaGVAEConfig
from morphospace.drl.networks import ConvVAE
from morphospace.drl.objectives import pair_losses
from morphospace.drl.pairs import PairSampler
from morphospace.drl.texture_dsprites import FACTOR_SIZES, TextureDSprites
from morphospace.drl.vae import AdaGVAE


def generator_rate(size: int, channels: int, n: int = 2000, repeats: int = 3) -> float:
    source = TextureDSprites(image_size=size, channels=channels)
    factors = source.sample_factors(n, np.random.default_rng(0))
    best = min(_timed(lambda: source.render(factors)) for _ in range(repeats))
    return n / best


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def plain_loop(size: int, steps: int, batch: int, seed: int = 0) -> None:
    """The hand-written loop: same network, sampler, renderer and loss as the trainer's."""
    config = AdaGVAEConfig(training={"n_steps": steps, "batch_size": batch})
    torch.manual_seed(seed)
    model = ConvVAE(1, size, config.latent_dim)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.training.learning_rate)
    source = TextureDSprites(image_size=size, channels=1)
    sampler = PairSampler(FACTOR_SIZES, k=1)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        f1, f2, changed = sampler.sample(batch, rng)
        x1, x2 = (torch.from_numpy(source.render(f)) for f in (f1, f2))
        losses = pair_losses(model, x1, x2, torch.from_numpy(changed), config)
        losses["loss"].backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)


def trainer_fit(size: int, steps: int, batch: int) -> None:
    x = np.zeros((2, 1, size, size), dtype=np.float32)
    AdaGVAE(training={"n_steps": steps, "batch_size": batch}).fit(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch", type=int, default=32, help="pairs per step")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    torch.set_num_threads(1)

    print("| generator | images/s |")
    print("|---|---|")
    for size in (32, 64):
        for channels in (1, 3):
            print(
                f"| {size}x{size}, {channels} channel(s) | {generator_rate(size, channels):,.0f} |"
            )

    trainer_fit(args.size, 2, args.batch)  # warm-up: imports, accelerate's first start
    plain_loop(args.size, 2, args.batch)
    plain, trained = [], []
    for _ in range(args.repeats):
        plain.append(_timed(lambda: plain_loop(args.size, args.steps, args.batch)))
        trained.append(_timed(lambda: trainer_fit(args.size, args.steps, args.batch)))
    images = 2 * args.batch * args.steps
    print()
    print(
        f"Ada-GVAE training, {args.size}x{args.size} grey, {args.steps} steps of {args.batch} pairs"
    )
    print("| loop | best s | images/s | over the plain loop |")
    print("|---|---|---|---|")
    print(f"| plain torch | {min(plain):.2f} | {images / min(plain):,.0f} | |")
    overhead = min(trained) / min(plain) - 1
    print(f"| core trainer | {min(trained):.2f} | {images / min(trained):,.0f} | {overhead:+.1%} |")


if __name__ == "__main__":
    main()
