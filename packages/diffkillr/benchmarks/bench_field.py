"""Whole-field annotation on synthetic data: counting F1 vs blob_log, orientation error vs
copying the archetype's label, per-cell mask DSC, and the speed of annotating a 512x512
field of ~100 cells (cells/s and a per-stage breakdown).

Protocol per seed: a 256x256 training field (dense, some debris) in which 12 cells are
annotated (masks and orientations) forms the bank; both networks train on it from
scratch; two other 512x512 fields are annotated: ~100 well-separated cells (the speed
setting) and ~220 touching cells among 120 bits of debris. blob_log's threshold is tuned
on the training field's full ground truth (an advantage the method does not get).

    python packages/diffkillr/benchmarks/bench_field.py --seeds 6 --steps 300
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from common import setup, table

from morphospace.diffkillr.annotator import Annotator
from morphospace.diffkillr.counting import counting_scores, matched_pairs
from morphospace.diffkillr.orientation import angle_errors
from morphospace.diffkillr.registration import dice_iou
from morphospace.diffkillr.synthetic_fields import make_field

TOLERANCE = 6.0


def blob_points(image: np.ndarray, threshold: float) -> np.ndarray:
    from skimage.feature import blob_log

    blobs = blob_log(image, min_sigma=3, max_sigma=8, num_sigma=6, threshold=threshold)
    return blobs[:, :2]


def tune_blob_threshold(field) -> float:
    best = max(
        (counting_scores([field.centres], [blob_points(field.image, t)], TOLERANCE)["f1"], t)
        for t in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
    )
    return best[1]


def evaluate_field(annotator, field, blob_threshold: float, tag: str) -> dict[str, float]:
    t = time.perf_counter()
    result = annotator.annotate(field.image[None])
    total = time.perf_counter() - t
    scores = counting_scores([field.centres], [result.centres], TOLERANCE)
    blob = counting_scores([field.centres], [blob_points(field.image, blob_threshold)], TOLERANCE)
    matched = matched_pairs(field.centres, result.centres, TOLERANCE)
    true_idx = np.array([r for r, _ in matched], dtype=int)
    pred_idx = np.array([c for _, c in matched], dtype=int)
    propagated = angle_errors(field.orientations[true_idx], result.orientations[pred_idx])
    copied = angle_errors(
        field.orientations[true_idx], annotator.bank_.orientations[result.archetypes[pred_idx]]
    )
    true_masks = np.stack([field.labels == i + 1 for i in true_idx])
    pred_masks = np.stack([result.labels == j + 1 for j in pred_idx])
    dsc, _ = dice_iou(true_masks, pred_masks)
    out = {
        f"[{tag}] true cells": float(len(field.centres)),
        f"[{tag}] counting F1, DiffKillR": scores["f1"],
        f"[{tag}] counting F1, blob_log": blob["f1"],
        f"[{tag}] precision / recall, DiffKillR": scores["precision"],
        f"[{tag}] recall, DiffKillR": scores["recall"],
        f"[{tag}] orientation L1 rad, propagated": float(propagated.mean()),
        f"[{tag}] orientation L1 rad, copy archetype": float(copied.mean()),
        f"[{tag}] per-cell mask DSC (matched cells)": float(dsc.mean()),
        f"[{tag}] annotation time s": total,
        f"[{tag}] cells / s": len(result) / total,
    }
    out[f"[{tag}] precision, DiffKillR"] = out.pop(f"[{tag}] precision / recall, DiffKillR")
    for stage, seconds in result.timings.items():
        out[f"[{tag}]   stage: {stage}, s"] = seconds
    return out


def run_seed(seed: int, steps: int, params: dict) -> dict[str, float]:
    dense = {"min_distance": 13.0, "debris": 120}
    train = make_field(256, 256, 60, seed=1000 + seed, min_distance=13.0, debris=30)
    sparse_test = make_field(512, 512, 110, seed=2000 + seed)
    dense_test = make_field(512, 512, 220, seed=3000 + seed, **dense)
    rng = np.random.default_rng(seed)
    ids = rng.permutation(np.arange(1, len(train.centres) + 1))[:12]
    annotations = np.where(np.isin(train.labels, ids), train.labels, 0).astype(np.float32)
    nets = {
        net: {**params.get(net, {}), "training": {"n_steps": steps}}
        for net in ("invariant_net", "mapping_net")
    }
    annotator = Annotator(**{**params, "seed": seed, **nets})
    t = time.perf_counter()
    annotator.fit(np.stack([train.image, annotations])[None])
    out = {"training time s (both nets)": time.perf_counter() - t}
    # the user also gave each annotated cell's orientation
    annotator.bank_.orientations = train.orientations[np.sort(ids)[: len(annotator.bank_)] - 1]
    threshold = tune_blob_threshold(train)
    out.update(evaluate_field(annotator, sparse_test, threshold, "512x512 ~100 cells"))
    out.update(evaluate_field(annotator, dense_test, threshold, "512x512 dense + debris"))
    return out


def main() -> None:
    args = setup(__doc__, annotator_params=True)
    rows: dict[str, list[float]] = defaultdict(list)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for name, value in run_seed(seed, args.steps, args.params).items():
            rows[name].append(value)
        print(
            f"seed {seed}: " + ", ".join(f"{k}={v[-1]:.3f}" for k, v in rows.items() if "F1" in k)
        )
    table(f"Whole-field annotation, {args.steps} steps per network", rows, args.seeds)


if __name__ == "__main__":
    main()
