"""Ada-GVAE against β-VAE on Texture-dSprites at equal training budget: OMES, DCI, MIG.

    python packages/drl/benchmarks/bench_disentanglement.py --seeds 0 1 2
    python packages/drl/benchmarks/bench_disentanglement.py --seeds 10 11 --set beta_vae.beta=4

Both models see the same number of images per step (Ada-GVAE ``batch`` pairs, β-VAE
``2 * batch`` single images) for the same number of steps, on the same grey source at
``--size``. Each is scored on held-out Texture-dSprites images drawn with one-factor
pairs (``texture_dsprites(one_factor_pairs=True)``, seed ``1000 + seed``), on the
posterior means. Settings were chosen on seeds 10-11; the docs report seeds 0-2.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
from common import mean_std_table

from morphospace.core import registry
from morphospace.drl.datasets import texture_dsprites
from morphospace.drl.texture_dsprites import FACTOR_NAMES

METRICS = {
    "omes": ("drl.omes", "omes"),
    "dci_d": ("drl.dci", "dci_disentanglement"),
    "dci_c": ("drl.dci", "dci_completeness"),
    "dci_i": ("drl.dci", "dci_informativeness"),
    "mig": ("drl.mig", "mig"),
}


def parse_settings(pairs: list[str]) -> dict[str, dict]:
    """``METHOD.KEY=VALUE`` (value as JSON, else a string) into per-method params."""
    settings: dict[str, dict] = {"ada_gvae": {}, "beta_vae": {}}
    for item in pairs:
        target, value = item.split("=", 1)
        method, key = target.split(".", 1)
        try:
            settings[method][key] = json.loads(value)
        except json.JSONDecodeError:
            settings[method][key] = value
    return settings


def score(z: np.ndarray, factors, evaluators: dict) -> dict[str, float]:
    results: dict[str, float] = {}
    cache: dict[str, dict] = {}
    for column, (name, metric) in METRICS.items():
        if name not in cache:
            cache[name] = evaluators[name].evaluate(z=z, factors=factors)
        results[column] = float(cache[name][metric].value)
    return results


def run(args: argparse.Namespace) -> list[dict]:
    settings = parse_settings(args.set)
    evaluators = {name: registry.create("evaluator", name) for name, _ in METRICS.values()}
    rows = []
    for seed in args.seeds:
        data = texture_dsprites(
            n_images=args.n_eval, image_size=args.size, channels=1, seed=1000 + seed
        )
        images = np.asarray(data.obsm["image"])
        factors = data.obs[list(FACTOR_NAMES)]
        for method in ("ada_gvae", "beta_vae"):
            batch = args.batch if method == "ada_gvae" else 2 * args.batch
            params = {
                "latent_dim": args.latent_dim,
                "seed": seed,
                "training": {"n_steps": args.steps, "batch_size": batch},
                **settings[method],
            }
            encoder = registry.create("encoder", f"drl.{method}", **params)
            start = time.perf_counter()
            encoder.fit(images)  # no fine_tune: the images only fix size and channels
            fit_s = time.perf_counter() - start
            row = {"seed": seed, "method": method, "fit_s": round(fit_s, 1)}
            row.update(score(encoder.encode(images), factors, evaluators))
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=32, help="Ada-GVAE pairs per step")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--n-eval", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", nargs="*", default=[], metavar="METHOD.KEY=VALUE")
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    torch.set_num_threads(args.threads)
    rows = run(args)
    print()
    print(f"seeds {args.seeds}, {args.steps} steps, {args.size}x{args.size} grey, mean ± std")
    print(mean_std_table(rows, [*METRICS, "fit_s"]))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
