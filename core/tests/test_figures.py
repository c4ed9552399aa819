"""The figure interface: public records of what a step read, split-aware ordering, robust axes."""

import numpy as np
import pytest

from morphospace.core import registry, tl
from morphospace.core.figures import (
    FigureContext,
    project_2d,
    robust_limits,
    step_record,
)


@pytest.fixture
def encoded(blobs):
    blobs.obs["train"] = np.arange(blobs.n_obs) % 4 != 0
    tl.encode(blobs, "example.random_projection", fit_on="train", key_added="proj")
    return blobs


def test_step_record_names_what_the_step_read(encoded):
    record = step_record(encoded, "proj")
    assert record.component == "example.random_projection"
    assert record.use_rep == "X"
    assert record.reads["fit_on"] == "train"
    assert record.params["n_components"] == 2
    assert step_record(encoded, "nothing") is None


def test_held_out_rows_come_first(encoded):
    context = FigureContext(encoded, "proj", split="train")
    order = context.held_out_first()
    assert sorted(order) == list(range(encoded.n_obs))
    n_held_out = int((~encoded.obs["train"]).sum())
    assert (order[:n_held_out] % 4 == 0).all()


@pytest.mark.parametrize("split", [None, "missing", "blob"])
def test_without_a_boolean_split_column_nothing_counts_as_training(encoded, split):
    context = FigureContext(encoded, "proj", split=split)
    assert context.split is None
    assert not context.training_rows().any()


def test_one_outlier_does_not_squash_the_axes():
    points = np.random.default_rng(0).normal(size=(500, 2))
    points[0] = (1e6, -1e6)
    (x0, x1), (y0, y1) = robust_limits(points)
    assert x1 < 10 and y0 > -10


def test_project_2d_names_its_axes():
    _, names = project_2d(np.random.default_rng(0).normal(size=(10, 5)))
    assert names == ("PC 1", "PC 2")


def test_project_2d_uses_umap_when_asked_and_installed(monkeypatch):
    import sys
    import types

    calls = []

    class FakeUMAP:
        def __init__(self, n_neighbors, random_state):
            calls.append((n_neighbors, random_state))

        def fit_transform(self, z):
            return z[:, :2] * 10

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    z = np.random.default_rng(0).normal(size=(10, 5))
    points, names = project_2d(z, "umap", seed=3)
    assert names == ("UMAP 1", "UMAP 2") and calls == [(9, 3)]
    np.testing.assert_allclose(points, z[:, :2] * 10)


def test_project_2d_falls_back_to_pca_and_says_so_without_umap(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "umap", None)  # import umap raises ImportError
    z = np.random.default_rng(0).normal(size=(10, 5))
    points, names = project_2d(z, "umap")
    assert names[0] == "PC 1 (umap-learn not installed)"
    np.testing.assert_allclose(points, project_2d(z)[0])


def test_the_report_passes_each_component_a_context(tmp_path, monkeypatch):
    from morphospace.core.pipeline import run

    seen = []
    cls = registry.get_class("example.random_projection")

    def report_figures(self, context):
        seen.append((context.key, context.record.use_rep, context.split))
        return []

    monkeypatch.setattr(cls, "report_figures", report_figures, raising=False)
    document = {
        "dataset": {"name": "example.blobs", "params": {"n_cells": 40}},
        "steps": [{"component": "example.random_projection", "key_added": "proj"}],
        "report": {"split": None},
    }
    run(document, tmp_path / "out")
    assert seen == [("proj", "X", None)]
