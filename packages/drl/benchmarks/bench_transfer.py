"""Transfer to a target: source only, source + fine-tuning, the target alone, and PCA.

    python packages/drl/benchmarks/bench_transfer.py --target synthetic_cells --seeds 0 1 2
    python packages/drl/benchmarks/bench_transfer.py --target nuclei --seeds 0 1 2

Every encoder is fitted on the target's training images (the source-only Ada-GVAE uses
them for nothing but their size) and read out on the held-out images (nuclei, 125 in
all: fitted and read out on all of them; no encoder sees a label): GBT and MLP probe
accuracy of the target's label over stratified folds, and, where the target has
one-factor pairs (synthetic_cells), OMES against its known factors. Rows:

- ``pca``: the classical baseline, PCA of the pixels to ``--latent-dim`` components;
- ``ada_gvae``: Ada-GVAE on Texture-dSprites pairs only (no fine-tuning);
- ``ada_gvae+ft``: the same, fine-tuned on the target with the β-VAE loss;
- ``beta_vae_target``: a β-VAE trained on the target alone, for as many steps as
  ``ada_gvae+ft`` trains in all.

The paper's pattern is that fine-tuning raises accuracy while keeping OMES.
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

TARGETS = {
    #: dataset params, the label probed, the factors OMES scores (None: no one-factor
    #: pairs), whether encoders fit on the training images and are read out on the
    #: held-out ones, or (too few images: nuclei) fit and read out on all of them
    "synthetic_cells": (
        {"n_images": 2000, "image_size": 32},
        "class",
        ["shape", "texture", "size", "orientation", "x", "y", "intensity"],
        True,
    ),
    "digits": ({"image_size": 32}, "digit", None, True),
    "nuclei": ({"crop_size": 32}, "area", None, False),
}


def pca_codes(train: np.ndarray, test: np.ndarray, dim: int, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    pca = PCA(n_components=dim, random_state=seed).fit(train.reshape(len(train), -1))
    return pca.transform(test.reshape(len(test), -1))


def encoders(args: argparse.Namespace, seed: int) -> dict[str, dict]:
    common = {"latent_dim": args.latent_dim, "seed": seed}
    source = {"n_steps": args.steps, "batch_size": args.batch}
    tune = {"n_steps": args.fine_tune_steps, "batch_size": 2 * args.batch}
    return {
        "ada_gvae": {"name": "drl.ada_gvae", **common, "training": source},
        "ada_gvae+ft": {"name": "drl.ada_gvae", **common, "training": source, "fine_tune": tune},
        "beta_vae_target": {
            "name": "drl.beta_vae",
            **common,
            "source": None,
            "training": {
                "n_steps": args.steps + args.fine_tune_steps,
                "batch_size": 2 * args.batch,
            },
        },
    }


def readout(z: np.ndarray, data, label: str, factors: list[str] | None, folds: int) -> dict:
    probe = registry.create("evaluator", "drl.probe", n_folds=folds)
    scores = probe.evaluate(z=z, labels=data.obs[label].to_numpy())
    row = {
        "gbt": float(scores["probe_gbt_accuracy"].value),
        "mlp": float(scores["probe_mlp_accuracy"].value),
    }
    if factors:
        omes = registry.create("evaluator", "drl.omes").evaluate(z=z, factors=data.obs[factors])
        row["omes"] = float(omes["omes"].value)
    return row


def run(args: argparse.Namespace) -> list[dict]:
    params, label, factors, split = TARGETS[args.target]
    rows = []
    for seed in args.seeds:
        data = registry.load_dataset(f"drl.{args.target}", **params, seed=seed)
        images = np.asarray(data.obsm["image"], dtype=np.float32)
        train_rows = data.obs["train"].to_numpy() if split else np.ones(data.n_obs, dtype=bool)
        read_rows = ~train_rows if split else train_rows
        held_out = data[read_rows]
        start = time.perf_counter()
        z = pca_codes(images[train_rows], images[read_rows], args.latent_dim, seed)
        row = {"seed": seed, "method": "pca", "fit_s": round(time.perf_counter() - start, 1)}
        rows.append({**row, **readout(z, held_out, label, factors, args.folds)})
        print(json.dumps(rows[-1]), flush=True)
        for method, config in encoders(args, seed).items():
            config = dict(config)
            encoder = registry.create("encoder", config.pop("name"), **config)
            start = time.perf_counter()
            encoder.fit(images[train_rows])
            row = {"seed": seed, "method": method, "fit_s": round(time.perf_counter() - start, 1)}
            z = encoder.encode(images[read_rows])
            rows.append({**row, **readout(z, held_out, label, factors, args.folds)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=sorted(TARGETS), default="synthetic_cells")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1500, help="source steps")
    parser.add_argument("--fine-tune-steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=32, help="source pairs per step")
    parser.add_argument("--latent-dim", type=int, default=10)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    torch.set_num_threads(args.threads)
    rows = run(args)
    print()
    read = "held-out images" if TARGETS[args.target][3] else "all images (no labels seen)"
    print(f"target {args.target}, seeds {args.seeds}, read out on {read}, mean ± std")
    print(mean_std_table(rows, [c for c in ("gbt", "mlp", "omes", "fit_s") if c in rows[0]]))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
