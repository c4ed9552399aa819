"""Pipelines: validation before work, atomic outputs, reproducible resolved pipelines."""

import json
import sys

import numpy as np
import pytest
import yaml

from morphospace.core.errors import (
    ComponentNotFoundError,
    IncompatibleComponentsError,
    MorphospaceError,
    PipelineError,
)
from morphospace.core.pipeline import load_pipeline, plan, run

BLOBS = {
    "name": "blobs",
    "seed": 3,
    "dataset": {"name": "example.blobs", "params": {"n_cells": 120}},
    "steps": [
        {
            "component": "example.random_projection",
            "use_rep": "X",
            "fit_on": "train",
            "key_added": "proj",
        },
        {
            "component": "example.quantile_bins",
            "params": {"n_clusters": 3},
            "use_rep": "X_proj",
            "key_added": "bins",
        },
        {
            "component": "example.rand_index",
            "inputs": {"labels_true": "blob", "labels_pred": "bins"},
            "where": "~train",
        },
    ],
}


def _with(**changes):
    document = json.loads(json.dumps(BLOBS))
    document.update(changes)
    return document


def _step(index, **changes):
    document = _with()
    document["steps"][index].update(changes)
    return document


def test_run_writes_every_output(tmp_path):
    result = run(BLOBS, tmp_path / "out")
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {
        ".morphospace-output",
        "result.h5ad",
        "metrics.json",
        "pipeline.resolved.yaml",
        "report.html",
        "components",
        "figures",
    }
    assert sorted(p.name for p in (out / "components").iterdir()) == ["bins", "proj"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 < metrics["rand_index"]["rand_index"]["value"] <= 1
    assert metrics == result.metrics
    report = (out / "report.html").read_text()
    assert "rand_index" in report and "data:image/png;base64" in report
    import anndata

    adata = anndata.read_h5ad(out / "result.h5ad")
    assert "X_proj" in adata.obsm and "bins" in adata.obs


def test_resolved_pipeline_fills_defaults_records_versions_and_reproduces(tmp_path):
    first = run(BLOBS, tmp_path / "a")
    resolved = yaml.safe_load((tmp_path / "a" / "pipeline.resolved.yaml").read_text())
    assert resolved["steps"][0]["params"] == {"n_components": 2, "seed": 3}  # seed from pipeline
    assert resolved["steps"][2]["key_added"] == "rand_index"
    assert resolved["versions"]["morphospace-example-plugin"] == "0.2.0"
    assert "morphospace-core" in resolved["versions"]
    again = run(tmp_path / "a" / "pipeline.resolved.yaml", tmp_path / "b")
    assert again.metrics == first.metrics


def test_registered_example_pipeline_runs_by_name(tmp_path):
    result = run("example.blobs_pipeline", tmp_path / "out")
    assert "rand_index" in result.metrics


def test_validation_imports_no_implementation_module():
    for name in [
        m
        for m in sys.modules
        if m.startswith("morphospace_example.") and "config" not in m and "plugin" not in m
    ]:
        del sys.modules[name]
    plan(BLOBS)
    assert not [m for m in sys.modules if m.startswith("morphospace_example.random")]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _with(dataset={"name": "example.blobz"}),
            "dataset: no installed plugin provides the dataset 'example.blobz'",
        ),
        (
            _step(0, component="example.random_projectoin"),
            "step 1 \\(example.random_projectoin\\): .*Did you mean 'example.random_projection'",
        ),
        (
            _step(1, params={"n_cluster": 3}),
            "step 2 .*unknown parameter 'n_cluster'. Did you mean 'n_clusters'",
        ),
        (
            _step(1, params={"n_clusters": "three"}),
            "step 2 .*parameter 'n_clusters': Input should be a valid integer",
        ),
        (_step(1, labels="blob"), "step 2 .*a clusterer step does not take 'labels'"),
        (_step(0, moving_labels="mask"), "step 1 .*an? encoder step does not take 'moving_labels'"),
        (_step(2, inputs={"labels_true": "blob"}), "step 3 .*missing: labels_pred"),
        (_step(1, key_added="proj"), "key_added 'proj' is already written by step 1"),
        (_with(steps=[]), "steps: List should have at least 1 item"),
        (_with(dataset={"name": "a", "path": "b.h5ad"}), "exactly one of 'name'"),
        (_with(unexpected=1), "unexpected: Extra inputs are not permitted"),
    ],
)
def test_invalid_pipelines_fail_before_any_output(tmp_path, document, message):
    with pytest.raises(MorphospaceError, match=message):
        run(document, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_incompatible_geometry_fails_at_validation(fake_plugins, tmp_path):
    fake_plugins.add_good()
    registry = fake_plugins.registry()
    document = {
        "dataset": {"name": "ball.tiny", "params": {"n_cells": 8}},
        "steps": [
            {"component": "ball.hyper", "key_added": "ball"},
            {"component": "ball.bins", "use_rep": "X_ball"},
        ],
    }
    with pytest.raises(
        IncompatibleComponentsError,
        match="ball.bins supports euclidean embeddings, but ball.hyper produces poincare",
    ):
        plan(document, registry)
    with pytest.raises(IncompatibleComponentsError):
        run(document, tmp_path / "out", registry=registry)
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # only the fake plugins


def test_missing_key_in_dataset_fails_before_work_and_leaves_nothing(tmp_path):
    document = _step(2, inputs={"labels_true": "cell_type", "labels_pred": "bins"})
    with pytest.raises(
        PipelineError,
        match="step 3 .* reads obs\\['cell_type'\\].*available obs keys: bins, blob, train",
    ):
        run(document, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_failure_inside_a_step_leaves_no_output(tmp_path, monkeypatch):
    from morphospace.core import registry

    def broken(self, z, geometry=None):
        raise RuntimeError("clustering exploded")

    monkeypatch.setattr(registry.get_class("example.quantile_bins"), "fit_predict", broken)
    with pytest.raises(RuntimeError, match="clustering exploded"):
        run(BLOBS, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_kept_unless_overwrite(tmp_path):
    run(BLOBS, tmp_path / "out")
    with pytest.raises(MorphospaceError, match="already exists and is not empty"):
        run(BLOBS, tmp_path / "out")
    run(BLOBS, tmp_path / "out", overwrite=True)
    assert (tmp_path / "out" / "metrics.json").exists()


def test_pipeline_files_missing_or_malformed(tmp_path):
    with pytest.raises(PipelineError, match="pipeline file .*nope.yaml does not exist"):
        load_pipeline(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [unclosed\n")
    with pytest.raises(PipelineError, match="bad.yaml is not valid YAML/JSON"):
        load_pipeline(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(
        PipelineError, match="must be a mapping with 'dataset' and 'steps', found list"
    ):
        load_pipeline(bad)
    with pytest.raises(PipelineError, match="neither a pipeline file nor an installed example"):
        load_pipeline("no_such_pipeline")


def test_dataset_from_h5ad_path_under_the_inputs_folder(tmp_path):
    from morphospace.core import registry

    (tmp_path / "in").mkdir()
    registry.load_dataset("example.blobs", n_cells=50).write_h5ad(tmp_path / "in" / "cells.h5ad")
    result = run(_with(dataset={"path": "cells.h5ad"}), tmp_path / "out", inputs=tmp_path / "in")
    assert result.adata.n_obs == 50
    with pytest.raises(PipelineError, match=r"in/missing.h5ad does not exist"):
        run(_with(dataset={"path": "missing.h5ad"}), tmp_path / "out2", inputs=tmp_path / "in")


def test_unknown_component_error_type():
    with pytest.raises(PipelineError):
        plan(_step(0, component="nope.nothing"))
    assert issubclass(PipelineError, ValueError) and issubclass(ComponentNotFoundError, KeyError)


def test_report_colours_each_embedding_by_its_own_labels_and_clusters(tmp_path):
    from morphospace.core.pipeline.report import color_columns

    document = _with()
    document["steps"].insert(1, {"component": "example.random_projection", "key_added": "other"})
    result = run(document, tmp_path / "out")
    # the known labels first, then the clusters: the same panel order for every embedding
    assert color_columns(result.resolved, result.adata, "X_proj") == ["blob", "bins"]
    assert color_columns(result.resolved, result.adata, "X_other") == []


@pytest.mark.parametrize("shape", [(1, 5), (1, 1), (4, 1), (6, 2), (6, 7)])
def test_embeddings_of_any_size_project_to_two_columns(shape):
    from morphospace.core.figures import project_2d

    points, axes = project_2d(np.random.default_rng(0).normal(size=shape))
    assert points.shape == (shape[0], 2) and np.isfinite(points).all()
    assert axes == (("PC 1", "PC 2") if shape[1] > 2 else ("dim 1", "dim 2"))


def test_validate_checks_dataset_params_without_importing_the_dataset_module():
    del_modules = [m for m in sys.modules if m == "morphospace_example.blobs"]
    for name in del_modules:
        del sys.modules[name]
    with pytest.raises(PipelineError, match=r"dataset: .*unknown parameter\(s\) n_cels.*n_cells"):
        plan(_with(dataset={"name": "example.blobs", "params": {"n_cels": 10}}))
    assert "morphospace_example.blobs" not in sys.modules


def test_the_resolved_pipeline_records_every_dataset_default(tmp_path):
    result = run(BLOBS, tmp_path / "out", report=False)
    params = result.resolved.dataset.params
    assert params["n_cells"] == 120 and len(params) > 1
    again = run(result.resolved, tmp_path / "again", report=False)
    assert again.metrics == result.metrics


def test_the_report_tables_metrics_by_step_folds_the_pipeline_and_says_what_rows_are(tmp_path):
    import re

    document = _with()
    document["steps"][-1]["key_added"] = "held_out"
    document["steps"].append(
        {
            "component": "example.rand_index",
            "inputs": {"labels_true": "blob", "labels_pred": "blob"},
            "key_added": "perfect_all",
        }
    )
    report = (run(document, tmp_path / "out").out / "report.html").read_text()
    rows = re.findall(r"<tr><td>(\w+)</td><td>([^<]+)</td><td>(.*?)</td></tr>", report)
    assert [(step, cells) for step, cells, _ in rows] == [
        ("held_out", "~train"),
        ("perfect_all", "all"),
    ]
    assert rows[1][2] == "<b>1</b>"  # the best of the column is marked
    assert "rand_index &uarr;" in report
    assert "120 observations (the rows of the result" in report and "variables" not in report
    folded = report.split("<details>", 1)[1]
    assert "n_clusters: 3" in folded and "null" not in folded


def test_every_figure_of_the_report_is_a_decodable_png_matching_its_file(tmp_path):
    """What a browser would load: each <img> of report.html is an embedded PNG that
    decodes, and the same image is saved under figures/ (no browser installs offline)."""
    import base64
    import io
    from html.parser import HTMLParser

    import matplotlib.image as mpimg

    out = run(BLOBS, tmp_path / "out").out
    sources = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                sources.append(dict(attrs)["src"])

    Images().feed((out / "report.html").read_text(encoding="utf-8"))
    files = sorted((out / "figures").iterdir())
    assert sources and len(sources) == len(files)
    for source, path in zip(sources, files, strict=True):
        prefix, data = source.split(",", 1)
        assert prefix == "data:image/png;base64"
        png = base64.b64decode(data, validate=True)
        assert png == path.read_bytes()
        pixels = mpimg.imread(io.BytesIO(png), format="png")
        assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100
