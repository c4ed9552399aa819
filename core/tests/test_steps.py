"""Step adapters: one per component kind, per-kind step models, a runner without branches."""

import inspect

import pytest
import yaml

from morphospace.core.errors import PipelineError
from morphospace.core.interfaces import INTERFACES
from morphospace.core.pipeline import ADAPTERS, Pipeline, load_pipeline, plan, runner
from morphospace.core.pipeline.steps.registrar import RegistrarStep

BLOBS = {
    "seed": 1,
    "dataset": {"name": "example.blobs", "params": {"n_cells": 60}},
    "steps": [
        {"component": "example.random_projection", "key_added": "proj"},
        {"component": "example.quantile_bins", "use_rep": "X_proj"},
        {
            "component": "example.rand_index",
            "inputs": {"labels_true": "blob", "labels_pred": "quantile_bins"},
        },
    ],
}


def test_every_component_kind_has_an_adapter_whose_model_names_it():
    assert set(ADAPTERS) == set(INTERFACES)
    for kind, adapter in ADAPTERS.items():
        assert adapter.kind == kind
        assert adapter.model.model_fields["kind"].default == kind


def test_the_runner_names_no_kind():
    source = inspect.getsource(runner)
    for kind in ADAPTERS:
        assert f'"{kind}"' not in source


def test_steps_are_parsed_into_the_model_of_their_kind():
    pipeline = load_pipeline(BLOBS)
    assert [type(s).__name__ for s in pipeline.steps] == [
        "EncoderStep",
        "ClustererStep",
        "EvaluatorStep",
    ]
    assert pipeline.steps[0].fit is True  # a default of the encoder step, not a None


def test_a_resolved_pipeline_records_each_kind_and_validates_without_a_registry():
    planned = plan(BLOBS)
    resolved = runner.resolve(load_pipeline(BLOBS), planned)
    document = yaml.safe_load(runner.dump_pipeline(resolved))
    assert [s["kind"] for s in document["steps"]] == ["encoder", "clusterer", "evaluator"]
    assert Pipeline.model_validate(document) == resolved
    assert "moving" not in document["steps"][0]  # only the encoder's own fields


def test_a_step_whose_kind_disagrees_with_its_component_is_refused():
    document = {**BLOBS, "steps": [{"kind": "clusterer", **BLOBS["steps"][0]}]}
    with pytest.raises(
        PipelineError, match="kind 'clusterer', but example.random_projection is an? encoder"
    ):
        plan(document)


def test_a_missing_required_field_names_the_kind():
    document = {**BLOBS, "steps": [{"component": "example.rand_index"}]}
    with pytest.raises(
        PipelineError, match=r"step 1 \(example.rand_index\): an evaluator step needs 'inputs'"
    ):
        plan(document)


def test_registrar_steps_require_both_images():
    assert {"moving", "fixed"} <= {
        n for n, f in RegistrarStep.model_fields.items() if f.is_required()
    }


def test_only_a_factors_input_takes_a_list_of_columns():
    pipeline = yaml.safe_load(yaml.safe_dump(BLOBS))
    pipeline["steps"][2]["inputs"]["labels_true"] = ["blob", "train"]
    with pytest.raises(PipelineError, match=r"labels_true \(labels\) names one key"):
        plan(pipeline)
