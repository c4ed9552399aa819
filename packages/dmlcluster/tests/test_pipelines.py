"""The example pipelines validate without heavy imports and run end to end."""

import json

import pytest

from morphospace.core import registry
from morphospace.core.pipeline import load_pipeline, plan, run

SMALL = {
    "name": "small",
    "seed": 0,
    "dataset": {"name": "dmlcluster.synthetic_ifc", "params": {"n_cells": 300, "n_features": 20}},
    "steps": [
        {
            "component": "dmlcluster.nca",
            "params": {"max_iter": 20},
            "labels": "population",
            "fit_on": "train",
            "key_added": "nca",
        },
        {"component": "dmlcluster.leiden", "use_rep": "X_nca", "key_added": "leiden_nca"},
        {
            "component": "dmlcluster.purity",
            "inputs": {"labels_true": "population", "labels_pred": "leiden_nca"},
            "where": "~train",
            "key_added": "purity_heldout",
        },
    ],
}


@pytest.mark.parametrize("name", ["breast_cancer", "pbmc68k_reduced", "synthetic_ifc"])
def test_example_pipelines_plan(name):
    steps = plan(f"dmlcluster.{name}")
    assert [s.info.kind for s in steps][:2] == ["encoder", "clusterer"]
    encoders = [s.info.name for s in steps if s.info.kind == "encoder"]
    assert "dmlcluster.pca" in encoders


def test_a_pipeline_runs_into_a_directory(tmp_path):
    result = run(SMALL, tmp_path / "out", report=False)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert 0 < metrics["purity_heldout"]["purity"]["value"] <= 1
    loaded = registry.get_class("dmlcluster.nca").load(tmp_path / "out" / "components" / "nca")
    assert loaded.encode(result.adata.X).shape == result.adata.obsm["X_nca"].shape


def test_the_seed_reaches_the_components():
    resolved = plan({**SMALL, "seed": 7})
    assert resolved[0].config.seed == 7


@pytest.mark.slow
def test_breast_cancer_demo_pipeline_reproduces_its_metrics(tmp_path):
    first = run("dmlcluster.breast_cancer", tmp_path / "a", report=False)
    again = run(
        load_pipeline(str(tmp_path / "a" / "pipeline.resolved.yaml")), tmp_path / "b", report=False
    )
    assert first.metrics == again.metrics
    assert first.metrics["purity_heldout_nca"]["purity"]["value"] > 0.9


def test_report_shows_each_metric_before_and_after_learning(tmp_path):
    run(SMALL, tmp_path / "out")
    figures = sorted(p.name for p in (tmp_path / "out" / "figures").iterdir())
    assert any("before-and-after" in name for name in figures)
