"""Shared settings: offline, no progress bars, one torch thread (tiny UNets, 2 shared cores)."""

import os

import pytest

from morphospace.core.testing import torch_threads

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def doses():
    """24 untreated and 24 top-dose-B cells (cytoplasm contracted by half), 32 pixels:
    what the translation evaluators score."""
    import numpy as np

    from morphospace.phendiff.datasets import synthetic_doses

    adata = synthetic_doses(n_per_condition=30, image_size=32, n_doses=1, seed=5)
    conditions = adata.obs["condition"].astype(str).to_numpy()
    keep = np.concatenate(
        [np.flatnonzero(conditions == "untreated")[:24], np.flatnonzero(conditions == "B_3.0")]
    )
    return adata.obsm["image"][keep], conditions[keep]
