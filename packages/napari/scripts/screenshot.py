"""The widget after a run, for docs/napari.md (headless: offscreen Qt, napari's model).

QT_QPA_PLATFORM=offscreen python packages/napari/scripts/screenshot.py docs/img/napari/widget.png
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

from qtpy.QtWidgets import QApplication

from morphospace.core import registry


def main(path: str) -> None:
    from napari.components import ViewerModel

    from morphospace.napari.widget import ComponentWidget

    app = QApplication.instance() or QApplication([])
    data = registry.load_dataset("hypervae.cells3d_nuclei", downsample=4)
    viewer = ViewerModel()
    viewer.add_image(data.obsm["volume"][0, 0], name="cells3d nuclei", scale=(1.16, 1.04, 1.04))
    widget = ComponentWidget(viewer)
    widget.component.value = "hypervae.segmenter"
    for name, value in {"patch_size": 4, "n_clusters": "[2]", "training.n_steps": 100}.items():
        widget.form[name].value = value
    worker = widget.run()
    while worker is not None and widget.worker is not None:
        app.processEvents()
    widget.native.resize(520, 900)
    widget.native.grab().save(path)
    print(widget.status.value, "->", path)


if __name__ == "__main__":
    main(sys.argv[1])
