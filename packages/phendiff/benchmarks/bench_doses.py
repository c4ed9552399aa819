"""Does translation reproduce the dose effect? PhenDiff on the synthetic doses.

    python packages/phendiff/benchmarks/bench_doses.py --seed 0 [--size 32] [--steps 2000]

One conditional DDIM is trained on the training cells of every condition. The held-out
untreated cells are then translated to every dose of every compound, and three things
are reported:

- **the dose effect**: for each compound, its known phenotype (A: Golgi spots, measured
  as ``spot_count``; B: cytoplasm ``area``) averaged per condition over real held-out
  cells and over translated untreated cells, and the correlation of the two across
  untreated + 4 doses;
- **FID / KID** (classical measurements) of the translations against the real target,
  beside the identity baseline (the untranslated untreated cells);
- **reconstruction error** (untreated -> untreated) against the number of DDIM steps,
  next to the mean distance between an untreated cell and a real top-dose cell.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

from morphospace.core import registry

PHENOTYPE = {"A": "spot_count", "B": "area"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--cells", type=int, default=40, help="cells per condition")
    parser.add_argument("--steps", type=int, default=2000, help="training steps")
    parser.add_argument("--ddim-steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    torch.set_num_threads(args.threads)
    from morphospace.phendiff.measurements import measure

    data = registry.load_dataset(
        "phendiff.synthetic_doses", n_per_condition=args.cells, image_size=args.size, seed=args.seed
    )
    images = np.asarray(data.obsm["image"], dtype=np.float32)
    conditions = data.obs["condition"].astype(str).to_numpy()
    train = data.obs["train"].to_numpy()
    held = ~train
    ddim = registry.create(
        "translator",
        "phendiff.ddim",
        block_out_channels=(16, 32, 32),
        training={"n_steps": args.steps, "batch_size": 32},
        inversion_steps=args.ddim_steps,
        generation_steps=args.ddim_steps,
        seed=args.seed,
    )
    start = time.perf_counter()
    ddim.fit(images[train], conditions[train])
    results: dict = {"seed": args.seed, "fit_s": round(time.perf_counter() - start, 1)}

    untreated = images[held & (conditions == "untreated")]
    targets = [c for c in data.obs["condition"].cat.categories if c != "untreated"]
    start = time.perf_counter()
    translated = {t: ddim.translate(untreated, "untreated", t) for t in targets}
    results["translate_s"] = round(time.perf_counter() - start, 1)

    def measured(x: np.ndarray, column: str) -> float:
        return float(measure(x, channel=0, spot_channel=1)[column].mean())

    effect = {}
    for compound, column in PHENOTYPE.items():
        mine = ["untreated", *[t for t in targets if t.startswith(f"{compound}_")]]
        real = [measured(images[held & (conditions == c)], column) for c in mine]
        fake = [measured(untreated, column)] + [measured(translated[c], column) for c in mine[1:]]
        effect[compound] = {
            "conditions": mine,
            "real": real,
            "translated": fake,
            "correlation": float(np.corrcoef(real, fake)[0, 1]),
        }
    results["dose_effect"] = effect

    fid = {}
    rows = held & np.isin(conditions, ["untreated", *targets])
    for target in targets:
        translations = images[rows].copy()
        source_rows = conditions[rows] == "untreated"
        translations[source_rows] = translated[target]
        evaluator = registry.create(
            "evaluator",
            "phendiff.fid",
            source="untreated",
            target=target,
            kid_subsets=20,
            kid_subset_size=min(15, int(source_rows.sum())),
        )
        scores = evaluator.evaluate(
            images=images[rows], translated=translations, conditions=conditions[rows]
        )
        fid[target] = {k: round(float(v.value), 3) for k, v in scores.items()}
    results["fid"] = fid

    top = images[held & (conditions == targets[-1])]
    between = float(
        np.mean([np.linalg.norm(u - t) for u in untreated for t in top[: len(untreated)]])
    )
    errors = {}
    for steps in (5, 10, 20, 50):
        ddim.config = ddim.config.model_copy(
            update={"inversion_steps": steps, "generation_steps": steps}
        )
        rebuilt = ddim.translate(untreated, "untreated", "untreated")
        errors[steps] = float(
            np.linalg.norm((rebuilt - untreated).reshape(len(untreated), -1), axis=1).mean()
        )
    results["reconstruction_l2"] = errors
    results["untreated_to_top_dose_l2"] = between

    print(json.dumps(results, indent=1))
    print()
    print("| compound | phenotype | real, untreated -> top dose | translated | correlation |")
    print("|---|---|---|---|---|")
    for compound, row in effect.items():
        real = " / ".join(f"{v:.1f}" for v in row["real"])
        fake = " / ".join(f"{v:.1f}" for v in row["translated"])
        print(
            f"| {compound} | {PHENOTYPE[compound]} | {real} | {fake} | {row['correlation']:.3f} |"
        )
    print()
    print("| target | FID | FID identity | KID | KID identity |")
    print("|---|---|---|---|---|")
    for target, row in fid.items():
        cells = (row["fid"], row["fid_identity"], row["kid"], row["kid_identity"])
        print(f"| {target} | " + " | ".join(str(c) for c in cells) + " |")
    print()
    print("| DDIM steps | reconstruction L2 |")
    print("|---|---|")
    for steps, value in errors.items():
        print(f"| {steps} | {value:.3f} |")
    print(f"| (untreated to real top dose) | {between:.3f} |")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
