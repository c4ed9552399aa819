"""Does translation reproduce the dose effect? PhenDiff on the synthetic doses.

    python packages/phendiff/benchmarks/bench_doses.py --seeds 0 1 2 [--figures DIR]

Per seed, one conditional DDIM is trained on the training cells of every condition
(untreated; compounds A and B at 0.1, 0.3, 1 and 3). The held-out untreated cells are
then translated to every condition (to untreated itself: a reconstruction), and three
things are reported:

- **the dose effect**: each compound's known phenotype, measured on the images (A
  disperses the Golgi: ``radial_mean_1``, with ``spot_count`` beside it; B contracts the
  cytoplasm: ``area``), averaged per condition over the real held-out cells and over the
  translations, and the correlation of the two across untreated and the 4 doses;
- **FID / KID** on classical measurements of the translations against the real held-out
  cells of the target, beside the identity baseline (the untranslated untreated cells);
- **reconstruction error** (untreated -> untreated) against the number of DDIM steps,
  beside the mean distance between an untreated cell and a real top-dose cell.

Settings were chosen on seed 10, which is not reported. ``--figures`` writes the docs'
figures for the first seed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from morphospace.core import registry

#: The phenotype each compound moves, as measured on images; the first is the goal's.
PHENOTYPES = {"A": ("radial_mean_1", "spot_count"), "B": ("area",)}
RECONSTRUCTION_STEPS = (5, 10, 20, 50)


def each_seed(args: argparse.Namespace, run) -> list[dict]:
    """``run(seed)`` for each of ``--seeds``, each result printed as JSON as it comes and
    all of them kept in ``--out``."""
    results = []
    for seed in args.seeds:
        results.append(run(seed))
        print(json.dumps(results[-1]), flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=1))
    return results


def fitted_ddim(images, conditions, args: argparse.Namespace, seed: int) -> tuple:
    """The benchmark's DDIM (``--widths``, ``--steps`` of 32, ``--ddim-steps``) fitted on
    ``images`` under ``conditions``, and the seconds the fit took."""
    ddim = registry.create(
        "translator",
        "phendiff.ddim",
        block_out_channels=tuple(args.widths),
        training={"n_steps": args.steps, "batch_size": 32},
        inversion_steps=args.ddim_steps,
        generation_steps=args.ddim_steps,
        seed=seed,
    )
    start = time.perf_counter()
    ddim.fit(images, conditions)
    return ddim, round(time.perf_counter() - start, 1)


def run_seed(seed: int, args: argparse.Namespace, figures: Path | None) -> dict:
    from morphospace.phendiff.measurements import measure

    data = registry.load_dataset(
        "phendiff.synthetic_doses",
        n_per_condition=args.cells,
        image_size=args.size,
        train_fraction=args.train_fraction,
        seed=seed,
    )
    images = np.asarray(data.obsm["image"], dtype=np.float32)
    conditions = data.obs["condition"].astype(str).to_numpy()
    train = data.obs["train"].to_numpy()
    held = ~train
    ddim, fit_s = fitted_ddim(images[train], conditions[train], args, seed)
    result: dict = {"seed": seed, "fit_s": fit_s}

    order = list(data.obs["condition"].cat.categories)
    untreated = images[held & (conditions == "untreated")]
    real = {c: measure(images[held & (conditions == c)], channel=0) for c in order}
    result["n_untreated"] = len(untreated)
    result["by_guidance"] = {}
    for guidance in args.guidance:
        ddim.config = ddim.config.model_copy(update={"generation_guidance": guidance})
        start = time.perf_counter()
        noise = ddim.invert(untreated, "untreated")
        translated = {c: ddim.generate(noise, c) for c in order}
        scores = score(images, conditions, held, order, untreated, translated, real)
        scores["translate_s"] = round(time.perf_counter() - start, 1)
        result["by_guidance"][guidance] = scores
        if figures is not None and guidance == args.guidance[0]:
            shown = (untreated, translated, real, scores["fake"])
        del scores["fake"]

    targets = order[1:]
    top = images[held & (conditions == targets[-1])]
    result["untreated_to_top_dose_l2"] = float(
        np.mean([np.linalg.norm(u - t) for u in untreated for t in top])
    )
    errors = {}
    for steps in RECONSTRUCTION_STEPS:
        ddim.config = ddim.config.model_copy(
            update={"inversion_steps": steps, "generation_steps": steps, "generation_guidance": 1}
        )
        rebuilt = ddim.translate(untreated, "untreated", "untreated")
        difference = (rebuilt - untreated).reshape(len(untreated), -1)
        errors[steps] = float(np.linalg.norm(difference, axis=1).mean())
    result["reconstruction_l2"] = errors
    if figures is not None:
        draw(figures, *shown, errors, result)
    return result


def score(images, conditions, held, order, untreated, translated, real) -> dict:
    """The dose effect and FID/KID of one set of translations of the held-out untreated."""
    from morphospace.phendiff.measurements import measure

    targets = order[1:]
    fake = {c: measure(translated[c], channel=0) for c in order}
    effect = {}
    for compound, columns in PHENOTYPES.items():
        mine = ["untreated", *[c for c in targets if c.startswith(f"{compound}_")]]
        for column in columns:
            r = [float(real[c][column].mean()) for c in mine]
            f = [float(fake[c][column].mean()) for c in mine]
            effect[f"{compound}.{column}"] = {
                "conditions": mine,
                "real": r,
                "translated": f,
                "correlation": float(np.corrcoef(r, f)[0, 1]),
            }
    fid = {}
    rows = held & np.isin(conditions, order)
    for target in targets:
        translations = images[rows].copy()
        source_rows = conditions[rows] == "untreated"
        translations[source_rows] = translated[target]
        evaluator = registry.create(
            "evaluator",
            "phendiff.fid",
            source="untreated",
            target=target,
            kid_subsets=50,
            kid_subset_size=min(30, int(source_rows.sum())),
        )
        scores = evaluator.evaluate(
            images=images[rows], translated=translations, conditions=conditions[rows]
        )
        fid[target] = {k: float(v.value) for k, v in scores.items()}
    return {"dose_effect": effect, "fid": fid, "fake": fake}


def draw(figures, untreated, translated, real, fake, errors, result) -> None:
    """The docs' figures: translation grids, phenotype per condition, error vs steps."""
    import matplotlib

    matplotlib.use("Agg")
    from morphospace.phendiff.figures import (
        measurement_by_condition,
        reconstruction_curve,
        translation_grid,
    )

    figures.mkdir(parents=True, exist_ok=True)
    saved = []
    for compound, channel, name in (("A", 1, "Golgi"), ("B", 0, "cytoplasm")):
        targets = {c: v[:3] for c, v in translated.items() if c.startswith(f"{compound}_")}
        fig = translation_grid(
            untreated[:3],
            targets,
            "untreated",
            channel=channel,
            title=f"held-out untreated cells translated to compound {compound} ({name} channel)",
        )
        saved.append((f"translations-{compound}.png", fig))
    for compound, columns in PHENOTYPES.items():
        column = columns[0]
        mine = ["untreated", *[c for c in real if c.startswith(f"{compound}_")]]
        fig = measurement_by_condition(
            {c: real[c][column].to_numpy() for c in mine},
            {c: fake[c][column].to_numpy() for c in mine},
            column,
            title=f"compound {compound}: {column}, real held-out cells vs translated untreated",
        )
        saved.append((f"measurement-{compound}.png", fig))
    fig = reconstruction_curve(
        list(errors), list(errors.values()), result["untreated_to_top_dose_l2"]
    )
    saved.append(("reconstruction.png", fig))
    for name, fig in saved:
        fig.savefig(figures / name, dpi=72)


def mean_sd(values: list[float], digits: int = 2) -> str:
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def report(results: list[dict]) -> None:
    seeds = ", ".join(str(r["seed"]) for r in results)
    print(f"\nseeds {seeds}; mean ± sd over seeds")
    for guidance in results[0]["by_guidance"]:
        report_translations(guidance, [r["by_guidance"][guidance] for r in results])
    print("\n| DDIM steps | reconstruction L2 |")
    print("|---|---|")
    for steps in RECONSTRUCTION_STEPS:
        print(f"| {steps} | {mean_sd([r['reconstruction_l2'][steps] for r in results])} |")
    between = mean_sd([r["untreated_to_top_dose_l2"] for r in results])
    print(f"| (untreated cell to real top-dose cell) | {between} |")
    fit = mean_sd([r["fit_s"] for r in results], 0)
    first = results[0]["by_guidance"][next(iter(results[0]["by_guidance"]))]
    translate = mean_sd(
        [r["by_guidance"][g]["translate_s"] for r in results for g in r["by_guidance"]], 1
    )
    print(f"\nfit {fit} s; inverting {results[0]['n_untreated']} cells and generating each")
    print(f"under all {len(first['fid']) + 1} conditions {translate} s")


def report_translations(guidance: float, results: list[dict]) -> None:
    print(f"\n#### generation guidance {guidance}\n")
    print("| compound.phenotype | real: untreated / 0.1 / 0.3 / 1 / 3 | translated | correlation |")
    print("|---|---|---|---|")
    for key in results[0]["dose_effect"]:
        rows = [r["dose_effect"][key] for r in results]
        real = " / ".join(f"{np.mean(v):.3g}" for v in zip(*[row["real"] for row in rows]))
        fake = " / ".join(f"{np.mean(v):.3g}" for v in zip(*[row["translated"] for row in rows]))
        corr = mean_sd([row["correlation"] for row in rows], 3)
        per_seed = ", ".join(f"{row['correlation']:.3f}" for row in rows)
        print(f"| {key} | {real} | {fake} | {corr} ({per_seed}) |")
    print("\n| target | FID | FID identity | KID | KID identity | translated better |")
    print("|---|---|---|---|---|---|")
    for target in results[0]["fid"]:
        rows = [r["fid"][target] for r in results]
        better = sum(row["fid"] < row["fid_identity"] for row in rows)
        cells = [mean_sd([row[k] for row in rows], 1) for k in ("fid", "fid_identity")]
        cells += [mean_sd([row[k] for row in rows], 2) for k in ("kid", "kid_identity")]
        print(f"| {target} | " + " | ".join(cells) + f" | {better} of {len(rows)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--cells", type=int, default=200, help="cells per condition")
    parser.add_argument("--train-fraction", type=float, default=0.75)
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 32])
    parser.add_argument("--steps", type=int, default=4000, help="training steps")
    parser.add_argument("--ddim-steps", type=int, default=20)
    parser.add_argument(
        "--guidance", type=float, nargs="+", default=[1.0, 2.0], help="at generation"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--figures", type=Path, help="write the docs' figures here")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    torch.set_num_threads(args.threads)
    first = args.seeds[0]
    report(
        each_seed(args, lambda seed: run_seed(seed, args, args.figures if seed == first else None))
    )


if __name__ == "__main__":
    main()
