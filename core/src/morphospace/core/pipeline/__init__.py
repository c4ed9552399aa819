"""Pipelines: a validated YAML/JSON document of a dataset and named steps, and its runner."""

from morphospace.core.pipeline.runner import RunResult, plan, run
from morphospace.core.pipeline.schema import DatasetRef, Pipeline, load_pipeline
from morphospace.core.pipeline.steps import ADAPTERS, Step

__all__ = [
    "ADAPTERS",
    "DatasetRef",
    "Pipeline",
    "RunResult",
    "Step",
    "load_pipeline",
    "plan",
    "run",
]
