"""Cross-package tests run with every distribution of the repository installed."""

import pytest

from morphospace.core import registry as registry_module


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    monkeypatch.setenv("MORPHOSPACE_PROGRESS", "0")
    registry_module.reset()
    yield
    registry_module.reset()
