"""Shared settings: no progress bars, one torch thread (tiny networks, 2 shared cores)."""

import os

import pytest

from morphospace.core.testing import torch_threads

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    with torch_threads(1):
        yield
