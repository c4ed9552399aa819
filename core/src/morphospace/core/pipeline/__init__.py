"""Pipelines: a validated YAML/JSON document of a dataset and named steps, and its runner."""

from morphospace.core.pipeline.runner import RunResult, plan, run
from morphospace.core.pipeline.schema import DatasetRef, Pipeline, Step, load_pipeline

__all__ = ["DatasetRef", "Pipeline", "RunResult", "Step", "load_pipeline", "plan", "run"]
