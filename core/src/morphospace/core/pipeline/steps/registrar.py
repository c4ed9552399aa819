"""Registrar steps: register moving onto fixed images, carry label maps along."""

from __future__ import annotations

from typing import Any, Literal

from morphospace.core.pipeline.steps.base import PlannedStep, StepAdapter, StepModel


class RegistrarStep(StepModel):
    kind: Literal["registrar"] = "registrar"
    moving: str
    fixed: str
    moving_labels: str | None = None
    fit: bool = True


class RegistrarAdapter(StepAdapter):
    kind = "registrar"
    model = RegistrarStep

    def reads(self, item: PlannedStep) -> dict[str, str]:
        keys = {item.step.moving: "obsm", item.step.fixed: "obsm"}
        if item.step.moving_labels:
            keys[item.step.moving_labels] = "obsm"
        return keys

    def writes(self, item: PlannedStep) -> dict[str, str]:
        keys = {item.key: "obsm", f"{item.key}_displacement": "obsm"}
        if item.step.moving_labels:
            keys[f"{item.key}_labels"] = "obsm"
        return keys

    def run(self, item: PlannedStep, adata: Any, component: Any) -> None:
        from morphospace.core import tl

        step = item.step
        tl.register(
            adata,
            component,
            moving=step.moving,
            fixed=step.fixed,
            moving_labels=step.moving_labels,
            fit=step.fit,
            key_added=item.key,
        )
