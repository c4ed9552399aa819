"""Encoder steps: fit on some cells, embed every cell into ``obsm["X_<key>"]``."""

from __future__ import annotations

from typing import Any, Literal

from morphospace.core.errors import PipelineError
from morphospace.core.geometry import check_input_kind
from morphospace.core.pipeline.steps.base import (
    PlanContext,
    PlannedStep,
    StepAdapter,
    StepModel,
    column_of,
    fit_on_rows,
)


class EncoderStep(StepModel):
    kind: Literal["encoder"] = "encoder"
    use_rep: str | None = None
    labels: str | None = None
    fit_on: str | None = None
    fit: bool = True


class EncoderAdapter(StepAdapter):
    kind = "encoder"
    model = EncoderStep

    def reads(self, item: PlannedStep) -> dict[str, str]:
        step = item.step
        keys = {step.use_rep or "X": "obsm"}
        keys.update({k: "obs" for k in (step.labels, column_of(step.fit_on)) if k})
        return keys

    def writes(self, item: PlannedStep) -> dict[str, str]:
        return {f"X_{item.key}": "obsm"}

    def check_plan(self, item: PlannedStep, context: PlanContext) -> None:
        if item.config.requires_labels and item.step.labels is None:
            raise PipelineError(
                f"{item.label}: {item.info.name} learns from labels; set 'labels: <obs column>'"
            )
        context.geometries[f"X_{item.key}"] = (item.config.output_geometry(), item.info.name)

    def check_data(self, item: PlannedStep, shapes: dict[str, tuple[int, ...]]) -> None:
        rep = item.step.use_rep or "X"
        shape = shapes.get(rep, shapes.get(f"X_{rep}"))
        if shape is not None:  # None: an earlier step's output, checked when run
            check_input_kind(shape, item.config.input_kinds, item.info.name, f"use_rep={rep!r}")
        shapes[f"X_{item.key}"] = (shapes["X"][0], 2)  # any embedding is a feature table

    def run(self, item: PlannedStep, adata: Any, component: Any) -> None:
        from morphospace.core import tl

        tl.encode(adata, component, **fit_on_rows(item))
