"""A dataset generator: Gaussian blobs as an AnnData."""

import anndata
import numpy as np
import pandas as pd


def make_blobs(n_cells: int = 300, n_features: int = 5, n_blobs: int = 3, seed: int = 0):
    """``n_blobs`` Gaussian populations in ``n_features`` dimensions; label in ``obs['blob']``."""
    rng = np.random.default_rng(seed)
    blob = rng.integers(0, n_blobs, n_cells)
    centres = rng.normal(0, 5, (n_blobs, n_features))
    x = centres[blob] + rng.normal(0, 1, (n_cells, n_features))
    obs = pd.DataFrame(
        {"blob": pd.Categorical([f"blob{b}" for b in blob]), "train": rng.random(n_cells) < 0.5},
        index=[f"cell{i}" for i in range(n_cells)],
    )
    return anndata.AnnData(X=x.astype(np.float32), obs=obs)
