"""Shared fixtures: tiny volumes and a tiny trained model, one thread (2 shared cores)."""

import os

import numpy as np
import pytest

from morphospace.core.testing import torch_threads

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def toy():
    from morphospace.hypervae.toy_hierarchy import toy_hierarchy

    return toy_hierarchy(n_train=2, n_test=1, size=16, seed=0)


@pytest.fixture(scope="session")
def tiny_params():
    return {"patch_size": 4, "hidden_channels": 4, "training": {"n_steps": 3, "batch_size": 6}}


@pytest.fixture(scope="session")
def fitted_vae(toy, tiny_params):
    from morphospace.hypervae.vae import PoincareVAE

    return PoincareVAE(**tiny_params).fit(toy.obsm["volume"][toy.obs["train"].to_numpy()])


@pytest.fixture
def rng():
    return np.random.default_rng(0)
