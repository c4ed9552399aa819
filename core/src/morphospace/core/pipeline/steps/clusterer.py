"""Clusterer steps: group an embedding into a categorical ``obs[<key>]``."""

from __future__ import annotations

from typing import Any, Literal

from morphospace.core.geometry import check_geometry
from morphospace.core.pipeline.steps.base import PlanContext, PlannedStep, StepAdapter, StepModel


class ClustererStep(StepModel):
    kind: Literal["clusterer"] = "clusterer"
    use_rep: str | None = None


class ClustererAdapter(StepAdapter):
    kind = "clusterer"
    model = ClustererStep

    def reads(self, item: PlannedStep) -> dict[str, str]:
        return {item.step.use_rep or "X": "obsm"}

    def writes(self, item: PlannedStep) -> dict[str, str]:
        return {item.key: "obs"}

    def check_plan(self, item: PlannedStep, context: PlanContext) -> None:
        rep = item.step.use_rep or "X"
        source = context.geometries.get(rep) or context.geometries.get(f"X_{rep}")
        if source is not None:
            check_geometry(source[0], item.config.supported_geometries, item.info.name, source[1])

    def run(self, item: PlannedStep, adata: Any, component: Any) -> None:
        from morphospace.core import tl

        tl.cluster(adata, component, use_rep=item.step.use_rep, key_added=item.key)
