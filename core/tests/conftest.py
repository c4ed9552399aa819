"""Fixtures for the core's tests: fake plugin distributions made on the fly.

A fake distribution is a ``*.dist-info`` folder (METADATA + entry_points.txt) and a
module in a temporary directory put on ``sys.path``; ``importlib.metadata`` finds it
exactly as it finds an installed plugin, so discovery is tested for real.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from morphospace.core import registry as registry_module
from morphospace.core.plugin import ENTRY_POINT_GROUP
from morphospace.core.registry import Registry

GOOD_PLUGIN = """
from morphospace.core.plugin import PLUGIN_API_VERSION, ComponentSpec, DatasetSpec, hookimpl

@hookimpl
def morphospace_api_version():
    return PLUGIN_API_VERSION

@hookimpl
def morphospace_components():
    return [
        ComponentSpec("encoder", "{component}", "{module}_impl:Ball", "a Poincaré encoder",
                      config="{module}_impl:BallConfig"),
        ComponentSpec("clusterer", "bins", "morphospace_example.quantile_bins:QuantileBins",
                      "a Euclidean-only clusterer", config="morphospace_example.config:QuantileBinsConfig"),
    ]

@hookimpl
def morphospace_datasets():
    return [DatasetSpec("tiny", "{module}_impl:tiny", "four cells")]
"""

GOOD_IMPL = """
import numpy as np
from morphospace.core import Encoder, EncoderConfig, poincare

class BallConfig(EncoderConfig):
    curvature: float = 1.0

    def output_geometry(self):
        return poincare(self.curvature)

class Ball(Encoder):
    Config = BallConfig

    def fit(self, x, y=None):
        self.fitted_ = True
        return self

    def encode(self, x):
        x = np.asarray(x, dtype=float)[:, :2]
        return 0.5 * x / (1 + np.linalg.norm(x, axis=1, keepdims=True))

def tiny(n_cells: int = 4):
    import anndata, numpy as np
    return anndata.AnnData(np.arange(n_cells * 3, dtype=float).reshape(n_cells, 3))
"""


class FakePlugins:
    """Writes fake plugin distributions into one directory on ``sys.path``."""

    def __init__(self, root: Path):
        self.root = root

    def add(
        self,
        dist: str,
        plugin: str,
        module: str,
        source: str,
        impl: str | None = None,
        version: str = "0.1",
    ) -> None:
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{plugin} = {module}\n")
        (self.root / f"{module}.py").write_text(textwrap.dedent(source))
        if impl is not None:
            (self.root / f"{module}_impl.py").write_text(textwrap.dedent(impl))

    def add_good(
        self,
        dist: str = "fake-ball",
        plugin: str = "ball",
        module: str = "fake_ball",
        component: str = "hyper",
    ) -> None:
        self.add(
            dist, plugin, module, GOOD_PLUGIN.format(module=module, component=component), GOOD_IMPL
        )

    def entry_points(self) -> list:
        return [
            ep
            for dist in metadata.distributions(path=[str(self.root)])
            for ep in dist.entry_points
            if ep.group == ENTRY_POINT_GROUP
        ]

    def registry(self, strict: bool | None = None) -> Registry:
        importlib.invalidate_caches()
        return Registry(strict=strict, entry_points=self.entry_points())


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch) -> FakePlugins:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield FakePlugins(root)
    for name in [m for m in sys.modules if m.startswith("fake_")]:
        del sys.modules[name]


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    """Every test sees a freshly discovered registry of the example plugin, quiet progress."""
    monkeypatch.setenv("MORPHOSPACE_PROGRESS", "0")
    # The core is tested against the example plugin alone, whatever else is installed.
    others = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)} - {"example"}
    monkeypatch.setenv("MORPHOSPACE_DISABLE_PLUGINS", ",".join(sorted(others)))
    monkeypatch.delenv("MORPHOSPACE_STRICT_PLUGINS", raising=False)
    registry_module.reset()
    yield
    registry_module.reset()


@pytest.fixture
def blobs():
    """The example plugin's blobs dataset (200 cells, 5 features, 3 blobs)."""
    return registry_module.load_dataset("example.blobs", n_cells=200)
