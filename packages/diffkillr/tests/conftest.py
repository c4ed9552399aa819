"""Shared tiny data and tiny fitted networks (a few optimiser steps: seconds)."""

import numpy as np
import pytest

from morphospace.core.testing import torch_threads
from morphospace.diffkillr.synthetic_fields import ARCHETYPES, render_cell


@pytest.fixture(autouse=True, scope="session")
def _quiet(tmp_path_factory):
    import os

    os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")


@pytest.fixture(scope="session")
def cells():
    """Four archetype patches (1, 32, 32) and their masks."""
    rng = np.random.default_rng(0)
    rendered = [render_cell(k, 0.3 * i, 1.0, rng) for i, k in enumerate(ARCHETYPES[:4])]
    images = np.stack([a[None] for a, _ in rendered]).astype(np.float32)
    masks = np.stack([m[None] for _, m in rendered]).astype(np.int32)
    return images, masks


@pytest.fixture(scope="session")
def torch_single_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def invariant_net(cells, torch_single_thread):
    from morphospace.diffkillr.invariant_net import DiffeoInvariantNet

    return DiffeoInvariantNet(training={"n_steps": 6, "batch_size": 4}, views=2).fit(
        cells[0], np.arange(4)
    )


@pytest.fixture(scope="session")
def mapping_net(cells, torch_single_thread):
    from morphospace.diffkillr.mapping_net import DiffeoMappingNet

    return DiffeoMappingNet(training={"n_steps": 6, "batch_size": 4}).fit(cells[0])
