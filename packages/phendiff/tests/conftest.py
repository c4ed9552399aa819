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
