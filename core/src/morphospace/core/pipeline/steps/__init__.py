"""One adapter per step kind; adding a kind is one module here and one line below."""

from __future__ import annotations

from typing import Annotated, Union

import pydantic

from morphospace.core.pipeline.steps.base import (
    PlanContext,
    PlannedStep,
    SafeName,
    StepAdapter,
    StepModel,
)
from morphospace.core.pipeline.steps.clusterer import ClustererAdapter
from morphospace.core.pipeline.steps.encoder import EncoderAdapter
from morphospace.core.pipeline.steps.evaluator import EvaluatorAdapter
from morphospace.core.pipeline.steps.registrar import RegistrarAdapter
from morphospace.core.pipeline.steps.segmenter import SegmenterAdapter
from morphospace.core.pipeline.steps.translator import TranslatorAdapter

#: The adapter of every step kind, by component kind.
ADAPTERS: dict[str, StepAdapter] = {
    adapter.kind: adapter
    for adapter in (
        EncoderAdapter(),
        SegmenterAdapter(),
        ClustererAdapter(),
        EvaluatorAdapter(),
        RegistrarAdapter(),
        TranslatorAdapter(),
    )
}

#: A pipeline step: the model of its kind, chosen by the ``kind`` field.
Step = Annotated[
    Union[tuple(adapter.model for adapter in ADAPTERS.values())],  # noqa: UP007
    pydantic.Field(discriminator="kind"),
]

__all__ = ["ADAPTERS", "PlanContext", "PlannedStep", "SafeName", "Step", "StepAdapter", "StepModel"]
