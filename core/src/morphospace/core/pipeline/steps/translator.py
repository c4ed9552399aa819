"""Translator steps: turn every image into its look under a ``target`` condition."""

from __future__ import annotations

from typing import Any, Literal

import pydantic

from morphospace.core.pipeline.steps.base import PlannedStep, StepAdapter, StepModel, column_of


class TranslatorStep(StepModel):
    kind: Literal["translator"] = "translator"
    export: Literal["ome-tiff", "ome-zarr"] | None = pydantic.Field(
        None, description="also write each observation's result as an image file under images/"
    )
    images: str
    conditions: str
    target: str | int | list[str | int]  #: a list: fitted once, one obsm key per target
    fit: bool = True
    fit_on: str | None = None  #: the rows it is fitted on (e.g. ``train``); all by default


class TranslatorAdapter(StepAdapter):
    kind = "translator"
    model = TranslatorStep

    def reads(self, item: PlannedStep) -> dict[str, str]:
        keys = {item.step.images: "obsm", item.step.conditions: "obs"}
        if item.step.fit_on:
            keys[column_of(item.step.fit_on)] = "obs"
        return keys

    def writes(self, item: PlannedStep) -> dict[str, str]:
        return dict.fromkeys(self.recorded_keys(item), "obsm")

    def recorded_keys(self, item: PlannedStep) -> list[str]:
        """One key, or ``<key>_<target>`` per target of a list."""
        from morphospace.core.tl import translation_keys

        return list(translation_keys(item.key, item.step.target))

    def run(self, item: PlannedStep, adata: Any, component: Any) -> None:
        from morphospace.core import tl

        step = item.step
        tl.translate(
            adata,
            component,
            images=step.images,
            conditions=step.conditions,
            target=step.target,
            fit=step.fit,
            fit_on=step.fit_on,
            key_added=item.key,
        )
