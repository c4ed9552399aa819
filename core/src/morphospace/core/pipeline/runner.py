"""Run a pipeline: plan it without importing implementations, then execute atomically.

:func:`plan` resolves every step through the registry, validates its params with the
component's light ``Config`` and checks the composition (kind-specific fields,
evaluator inputs, geometry between an encoder and a clusterer) before any data is
loaded. :func:`run` then loads the dataset, checks that every key a step reads will
exist and has the right rank, runs the steps through :mod:`morphospace.core.tl`, and
writes into a temporary directory that becomes ``out`` only when everything succeeded:
``result.h5ad``, ``metrics.json``, ``pipeline.resolved.yaml``, ``components/<key>/``
and ``report.html``.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.atomic import atomic_directory
from morphospace.core.errors import MorphospaceError, PipelineError
from morphospace.core.geometry import check_geometry, check_input_kind
from morphospace.core.pipeline.schema import (
    STEP_FIELDS,
    Pipeline,
    Step,
    dump_pipeline,
    load_pipeline,
)
from morphospace.core.registry import ComponentInfo, Registry, default_registry

logger = logging.getLogger("morphospace")

#: The fields each kind of step must set.
REQUIRED_FIELDS = {
    "encoder": (),
    "clusterer": (),
    "evaluator": ("inputs",),
    "registrar": ("moving", "fixed"),
    "translator": ("images", "conditions", "target"),
}


@dataclass
class PlannedStep:
    """A step resolved against the registry, with validated params and its output key."""

    index: int
    step: Step
    info: ComponentInfo
    config: Any
    key: str

    @property
    def label(self) -> str:
        return f"step {self.index} ({self.info.name})"

    def reads(self) -> dict[str, str]:
        """The AnnData keys this step reads: ``{key: "obs" | "obsm"}``."""
        step, kind = self.step, self.info.kind
        if kind == "encoder":
            keys = {step.use_rep or "X": "obsm"}
            keys.update({k: "obs" for k in (step.labels, _column(step.fit_on)) if k})
            return keys
        if kind == "clusterer":
            return {step.use_rep or "X": "obsm"}
        if kind == "evaluator":
            declared = self.config.inputs
            keys = {
                v: ("obs" if declared.get(k) == "labels" else "obsm")
                for k, v in step.inputs.items()
            }
            if step.where:
                keys[_column(step.where)] = "obs"
            return keys
        if kind == "registrar":
            keys = {step.moving: "obsm", step.fixed: "obsm"}
            if step.moving_labels:
                keys[step.moving_labels] = "obsm"
            return keys
        return {step.images: "obsm", step.conditions: "obs"}

    def writes(self) -> dict[str, str]:
        kind = self.info.kind
        if kind == "encoder":
            embedding = self.config.output_kind == "embedding"
            return {f"X_{self.key}" if embedding else self.key: "obsm"}
        if kind == "clusterer":
            return {self.key: "obs"}
        if kind == "registrar":
            keys = {self.key: "obsm", f"{self.key}_displacement": "obsm"}
            if self.step.moving_labels:
                keys[f"{self.key}_labels"] = "obsm"
            return keys
        if kind == "translator":
            return {self.key: "obsm"}
        return {}


@dataclass
class RunResult:
    out: Path
    adata: Any
    metrics: dict[str, dict[str, Any]]
    resolved: Pipeline
    components: dict[str, Any] = field(default_factory=dict)


def _column(where: str | None) -> str | None:
    if where is None:
        return None
    for op in ("==", "!="):
        if op in where:
            return where.split(op, 1)[0].strip()
    return where.strip().lstrip("~").strip()


def plan(
    pipeline: Pipeline | str | Path | dict, registry: Registry | None = None
) -> list[PlannedStep]:
    """Resolve and check every step without loading data or importing implementations."""
    pipeline = load_pipeline(pipeline)
    registry = registry or default_registry()
    if pipeline.dataset.name is not None:
        try:
            registry.dataset_info(pipeline.dataset.name)
        except MorphospaceError as exc:
            raise PipelineError(f"dataset: {exc}") from None
    planned: list[PlannedStep] = []
    produced_geometry: dict[str, tuple[Any, str]] = {}
    keys: dict[str, int] = {}
    for index, step in enumerate(pipeline.steps, 1):
        label = f"step {index} ({step.component})"
        try:
            info = registry.info(step.component)
            config_cls = registry.config_class(info.name)
            params = dict(step.params)
            if "seed" in config_cls.model_fields and "seed" not in params:
                params["seed"] = pipeline.seed
            config = config_cls.from_params(params, component=info.name)
        except MorphospaceError as exc:
            raise PipelineError(f"{label}: {exc}") from None
        kind = info.kind
        extra = sorted(step.set_fields() - STEP_FIELDS[kind])
        if extra:
            raise PipelineError(
                f"{label}: a {kind} step does not take {', '.join(map(repr, extra))}; "
                f"it takes {', '.join(sorted(STEP_FIELDS[kind]))}"
            )
        missing = [f for f in REQUIRED_FIELDS[kind] if getattr(step, f) is None]
        if missing:
            raise PipelineError(f"{label}: a {kind} step needs {', '.join(map(repr, missing))}")
        key = step.key_added or info.short_name
        if key in keys:
            raise PipelineError(
                f"{label}: key_added {key!r} is already written by step {keys[key]}; "
                "give each step its own key_added"
            )
        keys[key] = index
        item = PlannedStep(index, step, info, config, key)
        if kind == "encoder":
            if config.requires_labels and step.labels is None:
                raise PipelineError(
                    f"{label}: {info.name} learns from labels; set 'labels: <obs column>'"
                )
            if config.output_kind == "embedding":
                produced_geometry[f"X_{key}"] = (config.output_geometry(), info.name)
        elif kind == "clusterer":
            rep = step.use_rep or "X"
            source = produced_geometry.get(rep) or produced_geometry.get(f"X_{rep}")
            if source is not None:
                check_geometry(source[0], config.supported_geometries, info.name, source[1])
        elif kind == "evaluator":
            declared, given = config.inputs, step.inputs or {}
            unknown = sorted(set(given) - set(declared))
            absent = sorted(set(declared) - set(given) - set(config.optional_inputs))
            if unknown or absent:
                raise PipelineError(
                    f"{label}: inputs must name "
                    f"{', '.join(f'{k} ({v})' for k, v in declared.items())}"
                    + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                    + (f"; missing: {', '.join(absent)}" if absent else "")
                )
        planned.append(item)
    return planned


def check_keys(planned: list[PlannedStep], adata: Any) -> None:
    """Raise before any work if a step reads a key that will not exist, or of the wrong rank."""
    available = {("obs", c) for c in adata.obs.columns} | {("obsm", k) for k in adata.obsm}
    available.add(("obsm", "X"))
    shapes = {k: np.shape(v) for k, v in adata.obsm.items()}
    shapes["X"] = adata.shape
    for item in planned:
        for key, where in item.reads().items():
            found = (where, key) in available or (
                where == "obsm" and ("obsm", f"X_{key}") in available
            )
            if not found:
                names = sorted(k for w, k in available if w == where)
                raise PipelineError(
                    f"{item.label} reads {where}[{key!r}], which neither the dataset nor an "
                    f"earlier step provides; available {where} keys: {', '.join(names) or 'none'}"
                )
        if item.info.kind == "encoder":
            rep = item.step.use_rep or "X"
            shape = shapes.get(rep, shapes.get(f"X_{rep}"))
            if shape is not None:  # None: label maps of an earlier step, checked when run
                check_input_kind(shape, item.config.input_kinds, item.info.name, f"use_rep={rep!r}")
        for key, where in item.writes().items():
            available.add((where, key))
            if item.info.kind == "encoder" and key.startswith("X_"):
                shapes[key] = (adata.n_obs, 2)  # any embedding is a feature table


def _load_dataset(pipeline: Pipeline, registry: Registry) -> Any:
    ref = pipeline.dataset
    if ref.path is not None:
        path = Path(ref.path)
        if not path.is_file():
            raise PipelineError(f"dataset file {path} does not exist")
        import anndata

        return anndata.read_h5ad(path)
    return registry.load_dataset(ref.name, **ref.params)


def _run_step(item: PlannedStep, adata: Any, registry: Registry) -> tuple[Any, dict | None]:
    from morphospace.core import tl

    component = registry.get_class(item.info.name)(item.config)
    step, kind, key = item.step, item.info.kind, item.key
    fit = step.fit is not False
    if kind == "encoder":
        tl.encode(
            adata,
            component,
            use_rep=step.use_rep,
            labels=step.labels,
            fit=fit,
            fit_on=step.fit_on,
            key_added=key,
        )
    elif kind == "clusterer":
        tl.cluster(adata, component, use_rep=step.use_rep, key_added=key)
    elif kind == "evaluator":
        metrics = tl.evaluate(adata, component, key_added=key, where=step.where, **step.inputs)
        return component, {name: m.to_dict() for name, m in metrics.items()}
    elif kind == "registrar":
        tl.register(
            adata,
            component,
            moving=step.moving,
            fixed=step.fixed,
            moving_labels=step.moving_labels,
            fit=fit,
            key_added=key,
        )
    else:
        tl.translate(
            adata,
            component,
            images=step.images,
            conditions=step.conditions,
            target=step.target,
            fit=fit,
            key_added=key,
        )
    return component, None


def resolve(pipeline: Pipeline, planned: list[PlannedStep]) -> Pipeline:
    """The pipeline with every default filled in and the versions that ran it."""
    from morphospace.core import __version__

    steps = []
    for item in planned:
        values = item.step.model_dump()
        values["params"] = item.config.model_dump(mode="json")
        values["key_added"] = item.key
        if item.info.kind in ("encoder", "registrar", "translator") and values["fit"] is None:
            values["fit"] = True
        steps.append(Step.model_validate(values))
    versions = {"morphospace-core": __version__}
    versions.update({i.info.plugin.distribution: i.info.plugin.version for i in planned})
    return pipeline.model_copy(update={"steps": steps, "versions": versions})


def run(
    pipeline: Pipeline | str | Path | dict,
    out: str | Path,
    overwrite: bool = False,
    registry: Registry | None = None,
    report: bool = True,
) -> RunResult:
    """Run ``pipeline`` and write its results to ``out`` (all or nothing)."""
    pipeline = load_pipeline(pipeline)
    registry = registry or default_registry()
    planned = plan(pipeline, registry)
    resolved = resolve(pipeline, planned)
    for name, version in pipeline.versions.items():
        if resolved.versions.get(name, version) != version:
            logger.warning(
                "pipeline was resolved with %s %s, running %s",
                name,
                version,
                resolved.versions[name],
            )
    with atomic_directory(out, overwrite=overwrite) as tmp:
        random.seed(pipeline.seed)
        np.random.seed(pipeline.seed)
        logger.info("loading dataset %s", pipeline.dataset.name or pipeline.dataset.path)
        adata = _load_dataset(pipeline, registry)
        check_keys(planned, adata)
        metrics: dict[str, dict[str, Any]] = {}
        components: dict[str, Any] = {}
        for item in planned:
            logger.info("%s -> %s", item.label, item.key)
            try:
                component, step_metrics = _run_step(item, adata, registry)
            except MorphospaceError as exc:
                raise type(exc)(f"{item.label}: {exc}") from exc
            components[item.key] = component
            if step_metrics is not None:
                metrics[item.key] = step_metrics
            elif item.step.save:
                component.save(tmp / "components" / item.key)
        adata.uns["pipeline"] = dump_pipeline(resolved)
        adata.write_h5ad(tmp / "result.h5ad")
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        (tmp / "pipeline.resolved.yaml").write_text(dump_pipeline(resolved), encoding="utf-8")
        if report:
            from morphospace.core.pipeline.report import write_report

            write_report(tmp, resolved, adata, metrics, components)
    final = Path(out)
    logger.info("wrote %s", final)
    return RunResult(final, adata, metrics, resolved, components)
