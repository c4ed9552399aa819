"""The pipeline document: which dataset, which components, which keys they read and write.

Each step names a component by registry name with its params and the AnnData keys it
reads and writes, as scanpy functions do (``use_rep``, ``labels``, ``key_added``, ...).
Which keys a step takes depends on its kind (the component's); each kind's step model
lives in :mod:`morphospace.core.pipeline.steps`. A step may say its ``kind``; when it
does not, the installed component's kind is filled in before validation::

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
from typing import Any, Literal

import pydantic
import yaml

from morphospace.core.config import Seed
from morphospace.core.errors import (
    MorphospaceError,
    PipelineError,
    cap_message,
    validator_message,
)
from morphospace.core.pipeline.readers import READERS, check_reader_params
from morphospace.core.pipeline.steps import ADAPTERS, Step
from morphospace.core.pipeline.steps.base import SafeName


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class DatasetRef(_Strict):
    """A registered dataset (``name`` + ``params``) or the user's own files: ``path`` read
    by a ``reader`` of :mod:`morphospace.core.io` (``h5ad`` when none is named), with the
    reader's keyword arguments as ``params``. Paths are plain names, read under the folder
    the user gives the runner (``--inputs DIR``)."""

    name: str | None = None
    path: SafeName | None = None
    reader: Literal[tuple(READERS)] | None = None  # type: ignore[valid-type]
    params: dict[str, Any] = {}

    @pydantic.model_validator(mode="after")
    def _one_source(self) -> DatasetRef:
        if (self.name is None) == (self.path is None):
            raise ValueError(
                "give exactly one of 'name' (a registered dataset) or 'path' (your own files, "
                "with a 'reader')"
            )
        if self.reader is not None and self.path is None:
            raise ValueError("'reader' reads a 'path'; a registered dataset needs neither")
        if self.path is not None:
            check_reader_params(self.reader or "h5ad", self.params)
        return self


class ReportOptions(_Strict):
    color_by: list[str] = pydantic.Field(
        [], description="obs columns to colour embeddings by, besides labels and clusters"
    )
    split: str | None = pydantic.Field(
        "train",
        description="boolean obs column of training rows: figures show held-out rows first",
    )
    view: Literal["pca", "umap"] = pydantic.Field(
        "pca",
        description="how embeddings wider than 2 are drawn: their first two principal axes, "
        "or UMAP where umap-learn is installed (PCA otherwise, and the axes say so)",
    )


class Pipeline(_Strict):
    """A complete, re-runnable analysis: a dataset, a seed and an ordered list of steps."""

    name: str = "pipeline"
    description: str = ""
    seed: Seed = 0
    dataset: DatasetRef
    steps: list[Step] = pydantic.Field(min_length=1)
    report: ReportOptions = ReportOptions()
    #: Filled in by the runner in the resolved pipeline: versions that produced it.
    versions: dict[str, str] = {}


def _step_label(data: Any, index: Any) -> str:
    try:
        component = data["steps"][index]["component"]
    except (KeyError, IndexError, TypeError):
        component = "?"
    return f"step {int(index) + 1} ({component})"


def _format_error(err: dict[str, Any], data: Any) -> str:
    """One validation error in words; errors inside a step name the step and its kind."""
    loc = list(err["loc"])
    if len(loc) >= 3 and loc[0] == "steps" and isinstance(loc[1], int) and loc[2] in ADAPTERS:
        label, kind, rest = _step_label(data, loc[1]), loc[2], loc[3:]
        model = ADAPTERS[kind].model
        article = "an" if kind[0] in "aeiou" else "a"
        if err["type"] == "extra_forbidden" and rest:
            return (
                f"{label}: {article} {kind} step does not take {rest[0]!r}; it takes "
                f"{', '.join(model.kind_fields())}"
            )
        if err["type"] == "missing" and rest:
            return f"{label}: {article} {kind} step needs {rest[0]!r}"
        where = ".".join(str(p) for p in rest) or "step"
        return f"{label}: {where}: {validator_message(err)}"
    where = ".".join(str(p) for p in loc) or "document"
    return f"{where}: {validator_message(err)}"


def _fill_kinds(data: dict, registry: Any) -> dict:
    """A copy of ``data`` whose steps all say their ``kind``, looked up in the registry."""
    steps = data.get("steps")
    if not isinstance(steps, list):
        return data
    filled = []
    for index, step in enumerate(steps):
        if isinstance(step, dict) and "kind" not in step and isinstance(step.get("component"), str):
            if registry is None:
                from morphospace.core.registry import default_registry

                registry = default_registry()
            try:
                step = {"kind": registry.info(step["component"]).kind, **step}
            except MorphospaceError as exc:
                raise PipelineError(f"{_step_label(data, index)}: {exc}") from None
        filled.append(step)
    return {**data, "steps": filled}


def parse_pipeline(data: Any, source: str = "pipeline", registry: Any = None) -> Pipeline:
    """Validate a pipeline given as a mapping (step kinds looked up in ``registry``)."""
    if not isinstance(data, dict):
        raise PipelineError(
            f"{source}: a pipeline must be a mapping with 'dataset' and 'steps', "
            f"found {type(data).__name__}"
        )
    data = _fill_kinds(data, registry)
    try:
        return Pipeline.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(_format_error(err, data) for err in exc.errors())
        raise PipelineError(cap_message(f"{source} is not a valid pipeline: {problems}")) from None


#: Limits that keep a small hostile document small once loaded.
MAX_DEPTH = 64
MAX_NODES = 100_000


class _DocumentLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys, deep nesting and alias bombs."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise PipelineError(
                    f"the document nests deeper than {MAX_DEPTH} levels (line {mark.line + 1})"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: Any) -> Any:
        _check_expanded_size(node)
        return super().construct_document(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise PipelineError(
                    f"duplicate key {key!r} on line {line} (first on line {seen[key]}): "
                    "the last one would silently win; keep one"
                )
            if isinstance(key, str | int | float | bool):
                seen[key] = line
        return super().construct_mapping(node, deep)


def _children(node: Any) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expanded_size(root: Any) -> None:
    """Refuse a node graph whose aliases expand beyond :data:`MAX_NODES` or :data:`MAX_DEPTH`.

    Aliases share nodes, so a 300-byte document can stand for millions of values (and
    a self-reference for infinitely many); sizes are counted once per shared node.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    visiting: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children = _children(node)
        if children_done:
            visiting.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES or depth[key] > MAX_DEPTH:
                raise PipelineError(
                    f"the document's aliases (*name) expand to more than {MAX_NODES} values "
                    f"or {MAX_DEPTH} levels (near line {node.start_mark.line + 1}); "
                    "write the values out"
                )
            continue
        if key in visiting:
            raise PipelineError(
                f"an alias refers to the value that contains it (line {node.start_mark.line + 1})"
            )
        visiting.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in visiting:
                raise PipelineError(
                    f"an alias refers to the value that contains it "
                    f"(line {child.start_mark.line + 1})"
                )
            if id(child) not in size:
                stack.append((child, False))


def _load_yaml(text: str) -> Any:
    loader = _DocumentLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _load_json(text: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
        keys = [k for k, _ in pairs]
        duplicated = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
        if duplicated is not None:
            try:  # YAML reads JSON with line numbers: let it name the line
                _load_yaml(text)
            except PipelineError:
                raise
            except yaml.YAMLError:
                pass
            raise PipelineError(f"duplicate key {duplicated!r}: the last one would silently win")
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise PipelineError(f"the document nests deeper than {MAX_DEPTH} levels") from None


def _nesting(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)
    return deepest


def read_document(text: str, label: str) -> Any:
    """Parse pipeline YAML/JSON ``text`` safely: no tags, no duplicate keys, bounded size."""
    try:
        data = _load_json(text) if label.endswith(".json") else _load_yaml(text)
    except PipelineError as exc:
        raise PipelineError(f"{label}: {exc}") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PipelineError(cap_message(f"{label} is not valid YAML/JSON: {exc}")) from None
    if _nesting(data) > MAX_DEPTH:
        raise PipelineError(f"{label}: the document nests deeper than {MAX_DEPTH} levels")
    return data


def load_pipeline(source: str | Path | dict, registry: Any = None) -> Pipeline:
    """Read a pipeline from a YAML/JSON file, a registered example name, or a mapping."""
    if isinstance(source, Pipeline):
        return source
    if isinstance(source, dict):
        return parse_pipeline(source, registry=registry)
    path = Path(source)
    if path.is_dir():
        raise PipelineError(f"{path} is a directory; give the pipeline's YAML or JSON file")
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PipelineError(f"cannot read pipeline file {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise PipelineError(f"pipeline file {path} is not UTF-8 text: {exc}") from None
        label = str(path)
    elif path.suffix.lower() in {".yaml", ".yml", ".json"} or path.parent != Path("."):
        raise PipelineError(f"pipeline file {path} does not exist")
    else:
        from morphospace.core.registry import default_registry

        try:
            info = (registry or default_registry()).pipeline_info(str(source))
        except KeyError as exc:
            raise PipelineError(
                f"{source!r} is neither a pipeline file nor an installed example pipeline: {exc}"
            ) from None
        (registry or default_registry()).check_requirements(info)
        text, label = info.read_text(), f"example pipeline {info.name}"
    return parse_pipeline(read_document(text, label), label, registry)


def dump_pipeline(pipeline: Pipeline) -> str:
    """The pipeline as YAML, every field written out."""
    return yaml.safe_dump(pipeline.model_dump(mode="json"), sort_keys=False)
