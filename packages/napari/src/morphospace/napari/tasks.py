"""What the widget does with each kind of component: the layers it reads, the work it
runs in a thread, and the layers it adds.

=========== ================================== ==========================================
kind        reads                              adds
=========== ================================== ==========================================
segmenter   an image (+ annotated cells for    a Labels layer per level; Points at the
            segmenters that learn from a few)  cells' centres, Vectors along their axes
encoder     an image and a labels layer of     the embedding, as a scatter plot linked to
            its cells                          the cells (select points: see the cells)
clusterer   the last embedding of those cells  the cells coloured by cluster
registrar   a moving and a fixed image         the warped image and its displacements
translator  an image (and its condition)       the image as under the target condition
=========== ================================== ==========================================

A component is fitted on the layers it runs on, or loaded already fitted from a folder
the user names (translators, which learn from many images of several conditions, need
one). Each task returns a :class:`Prepared`: checks and conversions happen before the
thread starts, so bad input is an error at once, never a half-run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from magicgui import widgets

from morphospace.core.errors import InputError
from morphospace.napari.layers import (
    arrows,
    batch_key,
    cell_measurements,
    cells_of,
    displacement_arrows,
    image_of,
    labels_of,
    paint_cells,
)


@dataclass(frozen=True)
class LayerInput:
    """One layer a task reads: its role, its napari layer type, whether it may be empty."""

    role: str
    layer_type: Literal["Image", "Labels"]
    optional: bool = False
    tooltip: str = ""


@dataclass
class Embedding:
    """The cells of a labels layer and the vectors an encoder gave them."""

    layer: Any  # the labels layer
    cell_ids: np.ndarray  # (N,) the label of each row
    vectors: np.ndarray  # (N, d)
    geometry: Any
    encoder: str
    clusters: np.ndarray | None = None


@dataclass
class Prepared:
    """A run, ready to start: ``work`` runs in the worker thread and returns a result,
    ``show`` adds layers on the main thread and returns the status line; ``pipeline``
    is the run as a pipeline (dataset + steps) or ``None`` with ``why_no_pipeline``."""

    work: Callable[[], Any]
    show: Callable[[Any], str]
    pipeline: dict[str, Any] | None = None
    why_no_pipeline: str = ""


@dataclass
class Context:
    """What a task may use besides its layers: the viewer, the task's option values, the
    component, whether it came fitted, and the widget's shared state."""

    viewer: Any
    options: dict[str, Any]
    component: Any
    fitted: bool
    state: dict[str, Any] = field(default_factory=dict)


def _file_name(layer: Any) -> str | None:
    source = getattr(getattr(layer, "source", None), "path", None)
    return Path(source).name if source else None


def _step(component: Any, params: dict, use_rep: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "component": component.name,
        "params": params,
        "use_rep": use_rep,
        "key_added": key,
        **extra,
    }


class Task:
    """A kind's run: subclasses name their inputs and options and build a :class:`Prepared`."""

    kind: ClassVar[str]
    inputs: ClassVar[tuple[LayerInput, ...]]

    def options(self) -> list[widgets.Widget]:
        """Widgets for the task's own settings (beside the component's parameters)."""
        return []

    def prepare(self, layers: dict[str, Any], context: Context, params: dict) -> Prepared:
        raise NotImplementedError


class SegmenterTask(Task):
    kind = "segmenter"
    inputs = (
        LayerInput("image", "Image"),
        LayerInput(
            "annotations",
            "Labels",
            optional=True,
            tooltip="a few cells drawn by hand, for segmenters that learn from annotated "
            "cells (diffkillr.annotator): added as the annotation channel",
        ),
    )

    def prepare(self, layers, context, params):
        component, image_layer = context.component, layers["image"]
        image = image_of(image_layer)
        channel = getattr(component.config, "annotation_channel", None)
        annotated = layers.get("annotations")
        if channel is not None:
            if annotated is None:
                raise InputError(
                    f"{component.name} learns from cells you annotate: draw a few in a "
                    "Labels layer and choose it as 'annotations'"
                )
            ids = labels_of(annotated, like=image, role="annotations").astype(np.float32)
            image = np.insert(image, channel % (image.shape[0] + 1), ids, axis=0)
        batch = image[None]

        def work():
            if not context.fitted:
                component.fit(batch)
            return component.segment(batch)

        def show(result):
            maps = result.label_maps[0]  # (levels, [D,] H, W)
            for level, labels in enumerate(maps, 1):
                context.viewer.add_labels(
                    np.asarray(labels),
                    name=f"{component.name} level {level}",
                    scale=image_layer.scale,
                )
            shown = [f"{len(maps)} label layer(s)"]
            shown += self._show_cells(result, image_layer, component.name, context.viewer)
            return f"{component.name}: {' and '.join(shown)} added"

        source = _file_name(image_layer)
        pipeline = None
        if channel is None:
            pipeline = {
                "dataset": {"reader": "image", "path": source or "IMAGE.tif"},
                "steps": [
                    _step(component, params, batch_key(image), "segmentation", export="ome-tiff")
                ],
            }
        why = "" if pipeline else "annotated cells are a layer, not yet a pipeline dataset"
        return Prepared(work, show, pipeline, why)

    @staticmethod
    def _show_cells(result: Any, image_layer: Any, name: str, viewer: Any) -> list[str]:
        """Points at the centres and Vectors along the axes of a ``cells`` table (y, x,
        orientation), for segmenters that report them."""
        table = result.tables.get("cells")
        if table is None or not {"y", "x"} <= set(table.columns):
            return []
        table = table[table["obs"] == 0] if "obs" in table else table
        scale = image_layer.scale[-2:]
        features = table.drop(columns=[c for c in ("obs", "y", "x") if c in table]).reset_index(
            drop=True
        )
        viewer.add_points(
            table[["y", "x"]].to_numpy(float),
            name=f"{name} centres",
            scale=scale,
            features=features,
            size=3,
            face_color="yellow",
        )
        added = ["centres (Points)"]
        if "orientation" in table:
            # as long as the cell is wide: the diameter of a disc of its area
            length = 2 * np.sqrt(table["area"].to_numpy(float) / np.pi) if "area" in table else 10.0
            vectors = arrows(table, length)
            viewer.add_vectors(
                vectors, name=f"{name} axes", scale=scale, edge_width=1, edge_color="cyan"
            )
            added.append("axes (Vectors)")
        return added


class EncoderTask(Task):
    kind = "encoder"
    inputs = (
        LayerInput("image", "Image"),
        LayerInput("cells", "Labels", tooltip="the cells to embed: an instance label image"),
    )

    def options(self):
        return [
            widgets.SpinBox(
                name="crop_size",
                label="crop size",
                value=0,
                min=0,
                max=4096,
                tooltip="edge of each cell's crop in pixels; 0: the largest cell's box",
            )
        ]

    def prepare(self, layers, context, params):
        component, image_layer, cells_layer = context.component, layers["image"], layers["cells"]
        image = image_of(image_layer)
        labels = labels_of(cells_layer, like=image, role="cells")
        cells = cells_of(image, labels, context.options.get("crop_size"))
        kinds = component.input_kinds
        if "features" in kinds and not {"images", "volumes"} & set(kinds):
            x, _ = cell_measurements(cells)
            use_rep = None
        else:
            use_rep = "volume" if "volume" in cells.obsm else "image"
            x = np.asarray(cells.obsm[use_rep])
        cell_ids = cells.obs["label"].to_numpy()

        def work():
            if not context.fitted:
                component.fit(x)
            return component.encode(x)

        def show(vectors):
            context.state["embedding"] = Embedding(
                cells_layer, cell_ids, np.asarray(vectors), component.geometry, component.name
            )
            context.state["encoder_pipeline"] = pipeline
            return f"{component.name}: {len(cell_ids)} cells embedded in {vectors.shape[1]}-D"

        pipeline, why = None, "per-cell measurements are computed here, not by a pipeline reader"
        if use_rep is not None:
            source, labels_source = _file_name(image_layer), _file_name(cells_layer)
            dataset_params = {"labels": labels_source or "LABELS.tif"}
            if context.options.get("crop_size"):
                dataset_params["size"] = context.options["crop_size"]
            pipeline = {
                "dataset": {
                    "reader": "labelled_cells",
                    "path": source or "IMAGE.tif",
                    "params": dataset_params,
                },
                "steps": [_step(component, params, use_rep, f"X_{component.name.split('.')[-1]}")],
            }
        return Prepared(work, show, pipeline, why)


class ClustererTask(Task):
    kind = "clusterer"
    inputs = (LayerInput("cells", "Labels", tooltip="cells an encoder has embedded"),)

    def prepare(self, layers, context, params):
        component, cells_layer = context.component, layers["cells"]
        embedding: Embedding | None = context.state.get("embedding")
        if embedding is None or embedding.layer is not cells_layer:
            raise InputError(
                f"{component.name} groups embedded cells: run an encoder on "
                f"{cells_layer.name!r} first (kind 'encoder')"
            )
        component.check_geometry(embedding.geometry, embedding.encoder)

        def work():
            return component.fit_predict(embedding.vectors, embedding.geometry)

        def show(clusters):
            clusters = np.asarray(clusters)
            embedding.clusters = clusters
            painted = paint_cells(np.asarray(cells_layer.data), embedding.cell_ids, clusters)
            context.viewer.add_labels(
                painted, name=f"{component.name} clusters", scale=cells_layer.scale
            )
            return f"{component.name}: {len(np.unique(clusters))} clusters of {len(clusters)} cells"

        pipeline, why = None, "the cells were embedded from per-cell measurements"
        encoder_pipeline = context.state.get("encoder_pipeline")
        if encoder_pipeline is not None:
            use_rep = encoder_pipeline["steps"][0]["key_added"]
            pipeline = {
                **encoder_pipeline,
                "steps": [
                    *encoder_pipeline["steps"],
                    _step(component, params, use_rep, "clusters"),
                ],
            }
        return Prepared(work, show, pipeline, why)


class RegistrarTask(Task):
    kind = "registrar"
    inputs = (LayerInput("moving", "Image"), LayerInput("fixed", "Image"))

    def prepare(self, layers, context, params):
        component, moving_layer = context.component, layers["moving"]
        moving, fixed = image_of(moving_layer, "moving"), image_of(layers["fixed"], "fixed")
        if moving.shape != fixed.shape or moving.ndim != 3:
            raise InputError(
                f"registration needs two 2-D images of one shape; moving is {moving.shape[1:]}, "
                f"fixed is {fixed.shape[1:]}"
            )

        def work():
            if not context.fitted:
                component.fit(np.stack([moving, fixed]))
            deformation = component.register(moving[None], fixed[None])
            return deformation, deformation.warp(moving[None])[0]

        def show(result):
            deformation, warped = result
            name = f"{moving_layer.name} registered ({component.name})"
            context.viewer.add_image(warped[0], name=name, scale=moving_layer.scale)
            every = max(min(moving.shape[1:]) // 16, 1)
            vectors = displacement_arrows(deformation.field[0], every)
            if len(vectors):
                context.viewer.add_vectors(
                    vectors,
                    name=f"{name} displacements",
                    scale=moving_layer.scale[-2:],
                    edge_width=0.5,
                    edge_color="orange",
                )
            return (
                f"{component.name}: registered, largest displacement "
                f"{deformation.max_displacement():.1f} px, folding "
                f"{deformation.folding_fraction():.1%}"
            )

        return Prepared(work, show, None, "a pair of layers is not yet a pipeline dataset")


class TranslatorTask(Task):
    kind = "translator"
    inputs = (LayerInput("image", "Image"),)

    def options(self):
        return [
            widgets.LineEdit(name="source", tooltip="the condition the image was taken under"),
            widgets.LineEdit(name="target", tooltip="the condition to see it under"),
        ]

    def prepare(self, layers, context, params):
        component, image_layer = context.component, layers["image"]
        if not context.fitted:
            raise InputError(
                f"{component.name} learns from many images of several conditions: fit it in "
                "a pipeline (morphospace run) and choose its folder as 'fitted component'"
            )
        source, target = (str(context.options.get(k) or "").strip() for k in ("source", "target"))
        if not source or not target:
            raise InputError("name the image's condition ('source') and the one to see ('target')")
        image = image_of(image_layer)

        def work():
            return component.translate(image[None], source, target)[0]

        def show(translated):
            translated, name = np.asarray(translated), f"{image_layer.name} as {target}"
            if translated.shape[0] == 1:
                context.viewer.add_image(translated[0], name=name, scale=image_layer.scale)
            else:  # one layer per channel, as napari shows a multi-channel image
                context.viewer.add_image(
                    translated, channel_axis=0, name=name, scale=image_layer.scale
                )
            return f"{component.name}: {image_layer.name} translated from {source} to {target}"

        return Prepared(work, show, None, "translation applies a fitted component to one layer")


TASKS: dict[str, Task] = {
    task.kind: task
    for task in (SegmenterTask(), EncoderTask(), ClustererTask(), RegistrarTask(), TranslatorTask())
}
