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
    inputs: dict[str, str]
    where: str | None = None


class EvaluatorAdapter(StepAdapter):
    kind = "evaluator"
    model = EvaluatorStep

    def reads(self, item: PlannedStep) -> dict[str, str]:
        declared = item.config.inputs
        keys = {
            v: ("obs" if declared.get(k) == "labels" else "obsm")
            for k, v in item.step.inputs.items()
        }
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

    def run(self, item: PlannedStep, adata: Any, component: Any) -> dict[str, Any]:
        from morphospace.core import tl

        metrics = tl.evaluate(
            adata, component, key_added=item.key, where=item.step.where, **item.step.inputs
        )
        return {name: metric.to_dict() for name, metric in metrics.items()}
