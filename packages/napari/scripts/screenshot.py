"""The widget after runs, for docs/napari.md (headless: offscreen Qt, napari's model).

    QT_QPA_PLATFORM=offscreen python packages/napari/scripts/screenshot.py docs/img/napari

Writes ``widget.png`` (hypervae.segmenter on the cells3d nuclei stack) and
``scatter.png`` (dmlcluster.pca on the measured nuclei of stardist's real field, then
dmlcluster.kmeans, with a lasso selection). Needs morphospace-hypervae[cells3d],
morphospace-dmlcluster and the stardist wheel's files.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import numpy as np
from qtpy.QtWidgets import QApplication

from morphospace.core import registry


def _run(app, widget, kind, component, layers, params=None, options=None):
    widget.kind.value = kind
    widget.component.value = component
    for role, layer in layers.items():
        widget.layer_inputs[role].value = widget.viewer.layers[layer]
    for name, value in (options or {}).items():
        widget.task_options[name].value = value
    for name, value in (params or {}).items():
        widget.form[name].value = value
    worker = widget.run()
    while worker is not None and widget.worker is not None:
        app.processEvents()
    print(widget.status.value)


def segmenter(app, path: Path) -> None:
    from napari.components import ViewerModel

    from morphospace.napari.widget import ComponentWidget

    data = registry.load_dataset("hypervae.cells3d_nuclei", downsample=4)
    viewer = ViewerModel()
    viewer.add_image(data.obsm["volume"][0, 0], name="cells3d nuclei", scale=(1.16, 1.04, 1.04))
    widget = ComponentWidget(viewer)
    params = {"patch_size": 4, "n_clusters": "[2]", "training.n_steps": 100}
    _run(app, widget, "segmenter", "hypervae.segmenter", {"image": "cells3d nuclei"}, params)
    widget.native.resize(520, 900)
    widget.native.grab().save(str(path))


def scatter(app, path: Path) -> None:
    import tifffile
    from napari.components import ViewerModel

    from morphospace.napari.widget import ComponentWidget

    data = Path(importlib.util.find_spec("stardist").origin).parent / "data" / "images"
    image, mask = tifffile.imread(data / "img2d.tif"), tifffile.imread(data / "mask2d.tif")
    viewer = ViewerModel()
    viewer.add_image(image.astype(np.float32), name="nuclei")
    viewer.add_labels(mask, name="nuclei masks")
    widget = ComponentWidget(viewer)
    layers = {"image": "nuclei", "cells": "nuclei masks"}
    _run(app, widget, "encoder", "dmlcluster.pca", layers)
    clusters = {"n_clusters": 3}
    _run(app, widget, "clusterer", "dmlcluster.kmeans", {"cells": "nuclei masks"}, clusters)
    points = widget.scatter.points()
    x, y = np.median(points, axis=0)
    spread = points.std(axis=0)
    widget.scatter.select_inside(
        [(x, y), (x + spread[0], y), (x + spread[0], y + spread[1]), (x, y + spread[1])]
    )
    widget.native.resize(520, 760)
    widget.native.grab().save(str(path))


def main(folder: str) -> None:
    app = QApplication.instance() or QApplication([])
    folder = Path(folder)
    segmenter(app, folder / "widget.png")
    scatter(app, folder / "scatter.png")


if __name__ == "__main__":
    main(sys.argv[1])
