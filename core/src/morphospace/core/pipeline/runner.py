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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.atomic import atomic_directory
from morphospace.core.distributed import connect, use_cluster
from morphospace.core.errors import MorphospaceError, PipelineError
from morphospace.core.pipeline.exports import export_images
from morphospace.core.pipeline.paths import check_path_names, place_paths
from morphospace.core.pipeline.readers import read_dataset
from morphospace.core.pipeline.schema import Pipeline, dump_pipeline, load_pipeline
from morphospace.core.pipeline.steps import ADAPTERS, PlanContext, PlannedStep
from morphospace.core.registry import Registry, default_registry

logger = logging.getLogger("morphospace")


@dataclass
class RunResult:
    out: Path
    adata: Any
    metrics: dict[str, dict[str, Any]]
    resolved: Pipeline
    components: dict[str, Any] = field(default_factory=dict)


def plan(
    pipeline: Pipeline | str | Path | dict, registry: Registry | None = None
) -> list[PlannedStep]:
    """Resolve and check every step without loading data or importing implementations."""
    registry = registry or default_registry()
    pipeline = load_pipeline(pipeline, registry)
    if pipeline.dataset.name is not None:
        try:
            registry.check_dataset_params(pipeline.dataset.name, pipeline.dataset.params)
        except MorphospaceError as exc:
            raise PipelineError(f"dataset: {exc}") from None
    planned: list[PlannedStep] = []
    context = PlanContext()
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
        if info.kind != step.kind:
            raise PipelineError(
                f"{label}: the step says kind {step.kind!r}, but {info.name} is a {info.kind}"
            )
        key = step.key_added or info.short_name
        if key in keys:
            raise PipelineError(
                f"{label}: key_added {key!r} is already written by step {keys[key]}; "
                "give each step its own key_added"
            )
        keys[key] = index
        check_path_names(config, label)
        item = PlannedStep(index, step, info, config, key, ADAPTERS[info.kind])
        item.adapter.check_plan(item, context)
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
        item.adapter.check_data(item, shapes)
        for key, where in item.writes().items():
            available.add((where, key))


def _load_dataset(pipeline: Pipeline, registry: Registry, inputs: Path | None) -> Any:
    ref = pipeline.dataset
    if ref.path is not None:
        return read_dataset(ref.reader, ref.path, ref.params, inputs)
    return registry.load_dataset(ref.name, **ref.params)


def resolve(
    pipeline: Pipeline, planned: list[PlannedStep], registry: Registry | None = None
) -> Pipeline:
    """The pipeline with every default filled in and the versions that ran it."""
    from morphospace.core import __version__

    steps = [
        item.step.model_copy(
            update={"params": item.config.model_dump(mode="json"), "key_added": item.key}
        )
        for item in planned
    ]
    versions = {"morphospace-core": __version__}
    versions.update({i.info.plugin.distribution: i.info.plugin.version for i in planned})
    dataset = pipeline.dataset
    if dataset.name is not None:
        registry = registry or default_registry()
        params = registry.check_dataset_params(dataset.name, dataset.params)
        dataset = dataset.model_copy(update={"params": params})
    return pipeline.model_copy(update={"steps": steps, "versions": versions, "dataset": dataset})


@contextmanager
def _cluster(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """The Dask cluster the run applies components on, if one was asked for."""
    if scheduler is None and workers is None:
        yield None
        return
    with connect(scheduler, n_workers=workers or 2) as client, use_cluster(client):
        logger.info(
            "applying fitted components on %s (dashboard %s)", client, client.dashboard_link
        )
        yield client


def run(
    pipeline: Pipeline | str | Path | dict,
    out: str | Path,
    overwrite: bool = False,
    registry: Registry | None = None,
    report: bool = True,
    checkpoints: str | Path | None = None,
    inputs: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> RunResult:
    """Run ``pipeline`` and write its results to ``out`` (all or nothing).

    ``checkpoints`` is the folder under which steps may keep resumable training state
    (a step's ``training.checkpoint_dir`` names a subfolder of it); ``inputs`` the
    folder that files named by steps' params (e.g. backbone weights) are read from.
    With ``scheduler`` (a Dask scheduler's address) or ``workers`` (that many local
    worker processes), fitted components are applied on that cluster
    (:func:`~morphospace.core.distributed.use_cluster`); fitting stays in this process.
    """
    registry = registry or default_registry()
    pipeline = load_pipeline(pipeline, registry)
    planned = plan(pipeline, registry)
    resolved = resolve(pipeline, planned, registry)
    roots = {
        "directory": None if checkpoints is None else Path(checkpoints),
        "input_file": None if inputs is None else Path(inputs),
    }
    configs = [place_paths(item.config, roots, item.label) for item in planned]
    for name, version in pipeline.versions.items():
        if resolved.versions.get(name, version) != version:
            logger.warning(
                "pipeline was resolved with %s %s, running %s",
                name,
                version,
                resolved.versions[name],
            )
    with _cluster(scheduler, workers), atomic_directory(out, overwrite=overwrite) as tmp:
        random.seed(pipeline.seed)
        np.random.seed(pipeline.seed)
        logger.info("loading dataset %s", pipeline.dataset.name or pipeline.dataset.path)
        adata = _load_dataset(pipeline, registry, roots["input_file"])
        check_keys(planned, adata)
        metrics: dict[str, dict[str, Any]] = {}
        components: dict[str, Any] = {}
        drawn: dict[str, Any] = {}  # recorded key -> component, for the report's figures
        for item, config in zip(planned, configs, strict=True):
            logger.info("%s -> %s", item.label, item.key)
            component = registry.create(item.info.kind, item.info.name, config=config)
            try:
                step_metrics = item.adapter.run(item, adata, component)
            except MorphospaceError as exc:
                raise type(exc)(f"{item.label}: {exc}") from exc
            components[item.key] = component
            drawn.update(dict.fromkeys(item.adapter.recorded_keys(item), component))
            if step_metrics is not None:
                metrics[item.key] = step_metrics
            elif item.step.save:
                component.save(tmp / "components" / item.key)
        for item in planned:
            if getattr(item.step, "export", None) is not None:
                for key in item.adapter.recorded_keys(item):
                    export_images(tmp, key, adata, item.step.export)
        adata.uns["pipeline"] = dump_pipeline(resolved)
        adata.write_h5ad(tmp / "result.h5ad")
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        (tmp / "pipeline.resolved.yaml").write_text(dump_pipeline(resolved), encoding="utf-8")
        if report:
            from morphospace.core.pipeline.report import write_report

            write_report(tmp, resolved, adata, metrics, drawn)
    final = Path(out)
    logger.info("wrote %s", final)
    return RunResult(final, adata, metrics, resolved, components)
