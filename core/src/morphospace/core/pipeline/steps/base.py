"""What every step kind shares: the step document's common fields and the adapter protocol.

A *step kind* (encoder, clusterer, ...) is one module of this package holding a pydantic
step model (the keys that kind reads and writes, as scanpy names them) and an adapter
that plans and runs it. The runner is a loop over adapters and never names a kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import pydantic

from morphospace.core.errors import short_repr

#: A name that becomes a file or folder name inside the output directory.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def _safe_name(value: str) -> str:
    if not SAFE_NAME.fullmatch(value) or ".." in value:
        raise ValueError(
            "must be a plain name (letters, digits, '_', '-', '.'; starting with a letter or "
            f"digit; no '..'; at most 100 characters), found {short_repr(value)}: it names a "
            "folder inside the output directory"
        )
    return value


SafeName = Annotated[str, pydantic.AfterValidator(_safe_name)]


class StepModel(pydantic.BaseModel):
    """Fields of every step: the component, its params, the key it writes, saving."""

    model_config = pydantic.ConfigDict(extra="forbid")

    kind: str
    component: str
    params: dict[str, Any] = {}
    key_added: SafeName | None = None
    save: bool = pydantic.Field(True, description="save the fitted component with the run")

    @classmethod
    def kind_fields(cls) -> list[str]:
        """The fields this kind adds to the common ones, for error messages."""
        return [name for name in cls.model_fields if name not in StepModel.model_fields]


@dataclass
class PlanContext:
    """What earlier steps produced, for the checks of later ones."""

    #: ``obsm`` key -> (geometry, producing component name), for embeddings.
    geometries: dict[str, tuple[Any, str]] = field(default_factory=dict)


@dataclass
class PlannedStep:
    """A step resolved against the registry, with validated config and its output key."""

    index: int
    step: StepModel
    info: Any  # registry.ComponentInfo
    config: Any
    key: str
    adapter: StepAdapter

    @property
    def label(self) -> str:
        return f"step {self.index} ({self.info.name})"

    def reads(self) -> dict[str, str]:
        """The AnnData keys this step reads: ``{key: "obs" | "obsm"}``."""
        return self.adapter.reads(self)

    def writes(self) -> dict[str, str]:
        """The AnnData keys this step writes."""
        return self.adapter.writes(self)


class StepAdapter:
    """How the pipeline runner plans and runs one kind of component.

    Subclasses set ``kind`` (the component kind they run) and ``model`` (its step
    model) and implement :meth:`reads`, :meth:`writes` and :meth:`run`; the checks
    default to nothing.
    """

    kind: ClassVar[str]
    model: ClassVar[type[StepModel]]

    def reads(self, item: PlannedStep) -> dict[str, str]:
        raise NotImplementedError

    def writes(self, item: PlannedStep) -> dict[str, str]:
        raise NotImplementedError

    def recorded_keys(self, item: PlannedStep) -> list[str]:
        """The keys under which ``tl`` records this step, which its figures draw."""
        return [item.key]

    def check_plan(self, item: PlannedStep, context: PlanContext) -> None:
        """Raise :class:`PipelineError` if the step cannot work (before any data loads)."""

    def check_data(self, item: PlannedStep, shapes: dict[str, tuple[int, ...]]) -> None:
        """Raise if the arrays the step will read have the wrong shape (data loaded)."""

    def run(self, item: PlannedStep, adata: Any, component: Any) -> dict[str, Any] | None:
        """Run the step on ``adata``; return metrics (``{name: Metric.to_dict()}``) or None."""
        raise NotImplementedError


def fit_on_rows(item: PlannedStep) -> dict[str, Any]:
    """The ``tl`` arguments of a step that fits on the rows ``fit_on`` selects, then applies
    to every row (encoders, segmenters)."""
    step = item.step
    return {
        "use_rep": step.use_rep,
        "labels": step.labels,
        "fit": step.fit,
        "fit_on": step.fit_on,
        "key_added": item.key,
    }


def column_of(where: str | None) -> str | None:
    """The obs column a selection such as ``"~train"`` or ``"batch == 2"`` reads."""
    if where is None:
        return None
    for op in ("==", "!="):
        if op in where:
            return where.split(op, 1)[0].strip()
    return where.strip().lstrip("~").strip()
