"""Real datasets that ship inside dependencies, as AnnData with a held-out split.

Each has its class label in ``obs`` and a boolean ``obs["train"]``: metric learners
fit on the ``train`` cells and clusters are scored on the rest (``where: "~train"``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from morphospace.core.dependencies import missing_dependency
from morphospace.core.errors import InputError


def stratified_split(labels: np.ndarray, train_fraction: float, seed: int) -> np.ndarray:
    """A boolean mask holding ``train_fraction`` of each class (at least one cell each side)."""
    if not 0 < train_fraction < 1:
        raise InputError(
            f"train_fraction must be between 0 and 1 (exclusive), got {train_fraction}"
        )
    rng = np.random.default_rng(seed)
    train = np.zeros(len(labels), dtype=bool)
    for value in pd.unique(labels):
        members = np.flatnonzero(labels == value)
        rng.shuffle(members)
        n_train = int(round(train_fraction * len(members)))
        n_train = min(max(n_train, 1), len(members) - 1) if len(members) > 1 else 1
        train[members[:n_train]] = True
    return train


def breast_cancer(train_fraction: float = 0.5, seed: int = 0):
    """Wisconsin diagnostic breast cancer (scikit-learn): 569 nuclei x 30 image features.

    The features describe cell nuclei in images of fine-needle aspirates (radius,
    texture, perimeter, area, smoothness, ..., as mean, error and worst value);
    ``obs["diagnosis"]`` is ``malignant`` or ``benign``.
    """
    import anndata
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    diagnosis = np.asarray(data.target_names)[data.target]
    obs = pd.DataFrame(
        {
            "diagnosis": pd.Categorical(diagnosis, categories=list(data.target_names)),
            "train": stratified_split(diagnosis, train_fraction, seed),
        },
        index=[f"nucleus{i}" for i in range(len(diagnosis))],
    )
    var = pd.DataFrame(index=[str(name) for name in data.feature_names])
    return anndata.AnnData(X=data.data.astype(np.float32), obs=obs, var=var)


def _scanpy_file(name: str) -> Path:
    spec = importlib.util.find_spec("scanpy")  # locates scanpy without importing it
    if spec is None or not spec.submodule_search_locations:
        raise missing_dependency(
            "scanpy",
            install="morphospace-dmlcluster[scanpy]",
            needed_for="dataset dmlcluster.pbmc68k_reduced (a file that scanpy ships)",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / name
    if not path.is_file():
        raise InputError(f"expected scanpy to ship {path}, but the file is missing")
    return path


def pbmc68k_reduced(train_fraction: float = 0.5, seed: int = 0):
    """scanpy's 700 PBMCs x 765 genes (normalised, log, scaled); ``obs["bulk_labels"]``.

    Read from the file scanpy installs (no download, no scanpy import). The
    precomputed PCA, UMAP and neighbour graph are dropped: the pipeline makes its own.
    """
    import warnings

    import anndata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        full = anndata.read_h5ad(_scanpy_file("10x_pbmc68k_reduced.h5ad"))
    obs = full.obs.drop(columns=["louvain"], errors="ignore").copy()
    obs["train"] = stratified_split(obs["bulk_labels"].to_numpy(), train_fraction, seed)
    x = np.asarray(full.X, dtype=np.float32)
    return anndata.AnnData(X=x, obs=obs, var=full.var.copy())
