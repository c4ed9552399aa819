"""Segmenter steps: fit on some observations, write label maps and per-object tables."""

from __future__ import annotations

from typing import Any, Literal

import pydantic

from morphospace.core.geometry import check_input_kind
from morphospace.core.pipeline.steps.base import (
    PlannedStep,
    StepAdapter,
    StepModel,
    column_of,
    fit_on_rows,
)


class SegmenterStep(StepModel):
    kind: Literal["segmenter"] = "segmenter"
    export: Literal["ome-tiff", "ome-zarr"] | None = pydantic.Field(
        None, description="also write each observation's result as an image file under images/"
    )
    use_rep: str
    labels: str | None = None
    fit_on: str | None = None
    fit: bool = True


class SegmenterAdapter(StepAdapter):
    kind = "segmenter"
    model = SegmenterStep

    def reads(self, item: PlannedStep) -> dict[str, str]:
        keys = {item.step.use_rep: "obsm"}
        if item.step.labels:
            keys[item.step.labels] = "obsm"
        if item.step.fit_on:
            keys[column_of(item.step.fit_on)] = "obs"
        return keys

    def writes(self, item: PlannedStep) -> dict[str, str]:
        return {item.key: "obsm"}

    def check_data(self, item: PlannedStep, shapes: dict[str, tuple[int, ...]]) -> None:
        shape = shapes.get(item.step.use_rep)
        if shape is not None:
            source = f"use_rep={item.step.use_rep!r}"
            check_input_kind(shape, item.config.input_kinds, item.info.name, source)

    def run(self, item: PlannedStep, adata: Any, component: Any) -> None:
        from morphospace.core import tl

        tl.segment(adata, component, **fit_on_rows(item))
