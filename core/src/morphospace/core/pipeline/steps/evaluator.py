"""Evaluator steps: score named obs/obsm inputs, optionally on some cells only."""

from __future__ import annotations

from typing import Any, Literal

from morphospace.core.errors import PipelineError
from morphospace.core.pipeline.steps.base import (
    PlanContext,
    PlannedStep,
    StepAdapter,
    StepModel,
    column_of,
)


class EvaluatorStep(StepModel):
    kind: Literal["evaluator"] = "evaluator"
    inputs: dict[str, str | list[str]]  #: a 'factors' input names a list of obs columns
    where: str | None = None


class EvaluatorAdapter(StepAdapter):
    kind = "evaluator"
    model = EvaluatorStep

    def reads(self, item: PlannedStep) -> dict[str, str]:
        declared = item.config.inputs
        keys: dict[str, str] = {}
        for name, value in item.step.inputs.items():
            if declared.get(name) == "factors":
                keys.update((column, "obs") for column in _names(value))
            else:
                keys[value] = "obs" if declared.get(name) == "labels" else "obsm"
        if item.step.where:
            keys[column_of(item.step.where)] = "obs"
        return keys

    def writes(self, item: PlannedStep) -> dict[str, str]:
        return {}

    def check_plan(self, item: PlannedStep, context: PlanContext) -> None:
        declared, given = item.config.inputs, item.step.inputs
        unknown = sorted(set(given) - set(declared))
        absent = sorted(set(declared) - set(given) - set(item.config.optional_inputs))
        if unknown or absent:
            raise PipelineError(
                f"{item.label}: inputs must name "
                f"{', '.join(f'{k} ({v})' for k, v in declared.items())}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                + (f"; missing: {', '.join(absent)}" if absent else "")
            )
        for name, value in given.items():
            if declared[name] != "factors" and not isinstance(value, str):
                raise PipelineError(
                    f"{item.label}: input {name} ({declared[name]}) names one key, found "
                    f"{value!r}; only 'factors' inputs take a list of obs columns"
                )

    def run(self, item: PlannedStep, adata: Any, component: Any) -> dict[str, Any]:
        from morphospace.core import tl

        metrics = tl.evaluate(
            adata, component, key_added=item.key, where=item.step.where, **item.step.inputs
        )
        return {name: metric.to_dict() for name, metric in metrics.items()}


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
