"""Translation speed on this machine: invert + generate with phendiff.ddim against a plain
diffusers loop (the same UNet and schedulers, no wrapper) in the same run.

    python packages/phendiff/benchmarks/bench_speed.py [--size 64] [--steps 50] [--images 16]

Both use the translator's default UNet (block widths 32, 64, 64), untrained: speed does
not depend on the weights. Best of ``--repeats``, one torch thread; also reported: the
share of time in the UNet's forward passes.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch


def plain_loop(unet, forward, inverse, x: torch.Tensor, labels: torch.Tensor, steps: int):
    """DDIM inversion then generation written directly against diffusers."""
    inverse.set_timesteps(steps)
    forward.set_timesteps(steps)
    with torch.no_grad():
        for scheduler in (inverse, forward):
            for t in scheduler.timesteps:
                timestep = torch.full((len(x),), int(t))
                x = scheduler.step(unet(x, timestep, class_labels=labels).sample, t, x).prev_sample
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    torch.set_num_threads(1)

    from morphospace.phendiff.translator import DDIMTranslator, make_schedulers

    rng = np.random.default_rng(0)
    images = rng.random((args.images, 1, args.size, args.size), dtype=np.float32)
    conditions = np.array(["a", "b"] * (args.images // 2))
    translator = DDIMTranslator(
        training={"n_steps": 1, "batch_size": 2},
        inversion_steps=args.steps,
        generation_steps=args.steps,
        inference_batch_size=args.images,
    ).fit(images[:4], conditions[:4])
    forward, inverse = make_schedulers(translator.config)
    x = torch.from_numpy(2 * images - 1)
    labels = torch.from_numpy(translator.class_ids(conditions, len(images)))

    unet_seconds = []
    original = translator.model_.forward

    def timed_forward(*a, **k):
        start = time.perf_counter()
        out = original(*a, **k)
        unet_seconds.append(time.perf_counter() - start)
        return out

    plain, wrapped, shares = [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        plain_loop(translator.model_, forward, inverse, x, labels, args.steps)
        plain.append(time.perf_counter() - start)
        unet_seconds.clear()
        translator.model_.forward = timed_forward
        start = time.perf_counter()
        translator.translate(images, conditions, "b")
        wrapped.append(time.perf_counter() - start)
        del translator.model_.forward
        shares.append(sum(unet_seconds) / wrapped[-1])
    n = args.images
    print(
        f"invert + generate, {args.size}x{args.size}, {args.steps} + {args.steps} DDIM steps, "
        f"{n} images in one batch, 1 thread"
    )
    print("| loop | best s | images/s | time in the UNet |")
    print("|---|---|---|---|")
    print(f"| plain diffusers | {min(plain):.2f} | {n / min(plain):.2f} | |")
    print(
        f"| phendiff.ddim | {min(wrapped):.2f} | {n / min(wrapped):.2f} | "
        f"{100 * max(shares):.0f} % |"
    )


if __name__ == "__main__":
    main()
