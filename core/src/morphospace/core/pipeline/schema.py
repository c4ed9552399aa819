"""The pipeline document: which dataset, which components, which keys they read and write.

Each step names a component by registry name with its params and the AnnData keys it
reads and writes, as scanpy functions do (``use_rep``, ``labels``, ``key_added``, ...),
so one runner serves all five kinds of component::

    name: breast-cancer-nca
    seed: 0
    dataset: {name: dmlcluster.breast_cancer}
    steps:
      - {component: dmlcluster.nca, use_rep: X, labels: diagnosis, key_added: nca}
      - {component: dmlcluster.leiden, use_rep: X_nca, key_added: leiden}
      - {component: dmlcluster.purity, inputs: {labels_true: diagnosis, labels_pred: leiden}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import yaml

from morphospace.core.errors import PipelineError

#: Which step fields each kind of component reads; the rest must stay unset.
STEP_FIELDS = {
    "encoder": {"use_rep", "labels", "fit_on", "fit"},
    "clusterer": {"use_rep"},
    "evaluator": {"inputs", "where"},
    "registrar": {"moving", "fixed", "moving_labels", "fit"},
    "translator": {"images", "conditions", "target", "fit"},
}
_KIND_FIELDS = set().union(*STEP_FIELDS.values())


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class DatasetRef(_Strict):
    """A registered dataset (``name`` + ``params``) or an ``.h5ad`` file (``path``)."""

    name: str | None = None
    path: str | None = None
    params: dict[str, Any] = {}

    @pydantic.model_validator(mode="after")
    def _one_source(self) -> DatasetRef:
        if (self.name is None) == (self.path is None):
            raise ValueError("give exactly one of 'name' (a registered dataset) or 'path' (.h5ad)")
        if self.path is not None and self.params:
            raise ValueError("'params' apply to a registered dataset, not to a file path")
        return self


class Step(_Strict):
    """One component run on the AnnData, with the keys it reads and writes."""

    component: str
    params: dict[str, Any] = {}
    key_added: str | None = None
    save: bool = pydantic.Field(True, description="save the fitted component with the run")
    # encoders
    use_rep: str | None = None
    labels: str | None = None
    fit_on: str | None = None
    fit: bool | None = None
    # evaluators
    inputs: dict[str, str] | None = None
    where: str | None = None
    # registrars
    moving: str | None = None
    fixed: str | None = None
    moving_labels: str | None = None
    # translators
    images: str | None = None
    conditions: str | None = None
    target: str | None = None

    def set_fields(self) -> set[str]:
        """Kind-specific fields this step sets."""
        return {f for f in _KIND_FIELDS if getattr(self, f) is not None}


class ReportOptions(_Strict):
    color_by: list[str] = pydantic.Field(
        [], description="obs columns to colour embeddings by, besides labels and clusters"
    )


class Pipeline(_Strict):
    """A complete, re-runnable analysis: a dataset, a seed and an ordered list of steps."""

    name: str = "pipeline"
    description: str = ""
    seed: int = 0
    dataset: DatasetRef
    steps: list[Step] = pydantic.Field(min_length=1)
    report: ReportOptions = ReportOptions()
    #: Filled in by the runner in the resolved pipeline: versions that produced it.
    versions: dict[str, str] = {}


def _format_errors(exc: pydantic.ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "document"
        lines.append(f"{where}: {err['msg']}")
    return "; ".join(lines)


def parse_pipeline(data: Any, source: str = "pipeline") -> Pipeline:
    """Validate a pipeline given as a mapping."""
    if not isinstance(data, dict):
        raise PipelineError(
            f"{source}: a pipeline must be a mapping with 'dataset' and 'steps', "
            f"found {type(data).__name__}"
        )
    try:
        return Pipeline.model_validate(data)
    except pydantic.ValidationError as exc:
        raise PipelineError(f"{source} is not a valid pipeline: {_format_errors(exc)}") from None


def load_pipeline(source: str | Path | dict) -> Pipeline:
    """Read a pipeline from a YAML/JSON file, a registered example name, or a mapping."""
    if isinstance(source, Pipeline):
        return source
    if isinstance(source, dict):
        return parse_pipeline(source)
    path = Path(source)
    if path.is_file():
        text, label = path.read_text(encoding="utf-8"), str(path)
    elif path.suffix.lower() in {".yaml", ".yml", ".json"} or path.parent != Path("."):
        raise PipelineError(f"pipeline file {path} does not exist")
    else:
        from morphospace.core.registry import default_registry

        try:
            info = default_registry().pipeline_info(str(source))
        except KeyError as exc:
            raise PipelineError(
                f"{source!r} is neither a pipeline file nor an installed example pipeline: {exc}"
            ) from None
        text, label = info.read_text(), f"example pipeline {info.name}"
    try:
        data = json.loads(text) if label.endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PipelineError(f"{label} is not valid YAML/JSON: {exc}") from None
    return parse_pipeline(data, label)


def dump_pipeline(pipeline: Pipeline) -> str:
    """The pipeline as YAML, every field written out."""
    return yaml.safe_dump(pipeline.model_dump(mode="json"), sort_keys=False)
