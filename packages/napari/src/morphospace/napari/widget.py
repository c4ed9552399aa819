"""Run an installed segmenter on an image layer and get its label maps as Labels layers.

The component list comes from the registry without importing any implementation; the
parameter form from the component's Config. The run happens in a worker thread (the
viewer stays responsive), with a busy bar and a cancel button that stops the run at its
next stage (after fitting, before segmenting). Errors appear as napari notifications,
not tracebacks. "Save as pipeline" writes the YAML of what ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from magicgui import widgets

from morphospace.core import registry
from morphospace.core.atomic import atomic_write_text
from morphospace.napari.form import build_form, read_form

#: What this widget runs today, and the layer each kind reads.
KINDS = {"segmenter": "image"}


def _as_batch(data: Any) -> tuple[np.ndarray, str]:
    """A layer's array as one observation ``(1, 1, [D,] H, W)`` and its AnnData key."""
    array = np.asarray(data, dtype=np.float32)
    if array.ndim not in (2, 3):
        raise ValueError(
            f"the layer is {array.ndim}-D (shape {array.shape}); pick a 2-D image or a 3-D "
            "volume of one channel"
        )
    return array[None, None], ("image" if array.ndim == 2 else "volume")


class ComponentWidget(widgets.Container):
    """Pick a component, set its parameters, run it on the selected layer."""

    def __init__(self, napari_viewer: Any):
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.last_run: dict[str, Any] | None = None
        self.kind = widgets.ComboBox(label="kind", choices=list(KINDS))
        self.component = widgets.ComboBox(label="component", choices=self._component_names)
        self.layer = widgets.ComboBox(label="image layer", choices=self._image_layers)
        self.form = widgets.Container(labels=True)
        self.run_button = widgets.PushButton(text="Run")
        self.cancel_button = widgets.PushButton(text="Cancel", enabled=False)
        self.save_button = widgets.PushButton(text="Save as pipeline", enabled=False)
        self.progress = widgets.ProgressBar(value=0, min=0, max=1, visible=False)
        self.status = widgets.Label(value="")
        self.extend(
            [
                self.kind,
                self.component,
                self.layer,
                self.form,
                self.run_button,
                self.cancel_button,
                self.progress,
                self.status,
                self.save_button,
            ]
        )
        self.component.changed.connect(self._rebuild_form)
        self.run_button.changed.connect(self.run)
        self.cancel_button.changed.connect(self.cancel)
        self.save_button.changed.connect(self._ask_and_save)
        self.viewer.layers.events.inserted.connect(lambda _: self.layer.reset_choices())
        self.viewer.layers.events.removed.connect(lambda _: self.layer.reset_choices())
        self._rebuild_form()

    # ------------------------------------------------------------------ choices
    def _component_names(self, _widget: Any = None) -> list[str]:
        return [info.name for info in registry.list_components(self.kind.value)]

    def _image_layers(self, _widget: Any = None) -> list[Any]:
        from napari.layers import Image

        return [layer for layer in self.viewer.layers if isinstance(layer, Image)]

    def _rebuild_form(self, _value: Any = None) -> None:
        self.form.clear()
        if self.component.value:
            config = registry.config_class(self.component.value, self.kind.value)
            self.form.extend(list(build_form(config)))

    # ------------------------------------------------------------------ running
    def run(self, _value: Any = None) -> Any:
        """Start the selected component on the selected layer; returns the worker."""
        from morphospace.core.errors import MorphospaceError
        from napari.qt.threading import thread_worker

        layer, name = self.layer.value, self.component.value
        if layer is None or name is None:
            self._error("choose a component and an image layer first")
            return None
        params = read_form(self.form)
        try:
            batch, key = _as_batch(layer.data)
            component = registry.create(self.kind.value, name, **params)
        except (MorphospaceError, ValueError) as exc:
            self._error(str(exc))
            return None

        @thread_worker
        def work():
            yield "fitting"
            component.fit(batch)
            yield "segmenting"
            return component.segment(batch)

        worker = work()
        worker.yielded.connect(lambda stage: self.status.set_value(f"{name}: {stage}"))
        worker.returned.connect(lambda result: self._show(result, layer, name))
        worker.errored.connect(lambda exc: self._error(str(exc)))
        worker.aborted.connect(lambda: self.status.set_value(f"{name}: cancelled"))
        worker.finished.connect(self._idle)
        self.last_run = {"component": name, "params": params, "layer": layer, "key": key}
        self._busy()
        self.worker = worker
        worker.start()
        return worker

    def cancel(self, _value: Any = None) -> None:
        """Stop the run at its next stage boundary (a stage itself is not interrupted)."""
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelling after the current stage"

    def _show(self, result: Any, layer: Any, name: str) -> None:
        maps = result.label_maps[0]  # (levels, [D,] H, W)
        for level, labels in enumerate(maps, 1):
            self.viewer.add_labels(
                np.asarray(labels), name=f"{name} level {level}", scale=layer.scale
            )
        self.status.value = f"{name}: {len(maps)} label layer(s) added"
        self.save_button.enabled = True

    def _busy(self) -> None:
        self.run_button.enabled = False
        self.cancel_button.enabled = True
        self.progress.max = 0  # napari's busy bar: the stages report, not percentages
        self.progress.visible = True

    def _idle(self) -> None:
        self.run_button.enabled = True
        self.cancel_button.enabled = False
        self.progress.visible = False
        self.progress.max = 1
        self.worker = None

    def _error(self, message: str) -> None:
        from napari.utils.notifications import show_error

        self.status.value = message
        show_error(message)

    # ------------------------------------------------------------------ save as pipeline
    def pipeline(self) -> dict[str, Any]:
        """The pipeline of the last run: its image read from the layer's file, the step."""
        if self.last_run is None:
            raise ValueError("nothing has run yet")
        run = self.last_run
        source = getattr(run["layer"].source, "path", None)
        return {
            "name": f"napari-{run['component']}",
            "description": "written by morphospace-napari's Run a component widget",
            "dataset": {"reader": "image", "path": Path(source).name if source else "IMAGE.tif"},
            "steps": [
                {
                    "component": run["component"],
                    "params": run["params"],
                    "use_rep": run["key"],
                    "key_added": "segmentation",
                    "export": "ome-tiff",
                }
            ],
        }

    def save_pipeline(self, path: str | Path) -> Path:
        """Write :meth:`pipeline` as YAML to ``path`` (atomically)."""
        path = Path(path)
        atomic_write_text(path, yaml.safe_dump(self.pipeline(), sort_keys=False))
        return path

    def _ask_and_save(self, _value: Any = None) -> None:
        from qtpy.QtWidgets import QFileDialog

        target, _ = QFileDialog.getSaveFileName(caption="Save pipeline", filter="*.yaml")
        if target:
            self.status.value = f"wrote {self.save_pipeline(target)}"
