"""The example third-party plugin composes with the repository's plugins by name."""

import pytest

from morphospace.core import registry, tl
from morphospace.core.pipeline import run


def _installed(plugin):
    return any(p.name == plugin and p.ok for p in registry.plugins())


def test_third_party_encoder_feeds_a_repository_clusterer(tmp_path):
    if not _installed("dmlcluster"):
        pytest.skip("morphospace-dmlcluster is not installed")
    document = {
        "dataset": {"name": "example.blobs", "params": {"n_cells": 150}},
        "steps": [
            {
                "component": "example.random_projection",
                "params": {"n_components": 3},
                "key_added": "proj",
            },
            {"component": "dmlcluster.kmeans", "use_rep": "X_proj", "key_added": "km"},
            {"component": "dmlcluster.ari", "inputs": {"labels_true": "blob", "labels_pred": "km"}},
            {
                "component": "example.rand_index",
                "inputs": {"labels_true": "blob", "labels_pred": "km"},
            },
        ],
    }
    result = run(document, tmp_path / "out")
    assert set(result.metrics) == {"ari", "rand_index"}
    assert (tmp_path / "out" / "components" / "km" / "config.json").exists()


def test_repository_encoder_feeds_the_third_party_evaluator():
    if not _installed("dmlcluster"):
        pytest.skip("morphospace-dmlcluster is not installed")
    adata = registry.load_dataset("example.blobs", n_cells=150)
    tl.encode(adata, "dmlcluster.pca", n_components=2)
    tl.cluster(adata, "example.quantile_bins", use_rep="X_pca", n_clusters=3)
    metrics = tl.evaluate(
        adata, "example.rand_index", labels_true="blob", labels_pred="quantile_bins"
    )
    assert 0 < metrics["rand_index"].value <= 1


def test_the_example_pipeline_runs_through_the_cli(tmp_path):
    from click.testing import CliRunner

    from morphospace.core.cli import cli

    result = CliRunner().invoke(
        cli, ["run", "example.blobs_pipeline", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert "rand_index=" in result.output
