"""Run any installed component on napari layers: segmenters, encoders, clusterers,
registrars and translators (what each reads and adds: :mod:`morphospace.napari.tasks`).

The component list comes from the registry without importing any implementation; the
parameter form from the component's Config. A run happens in a worker thread (the viewer
stays responsive) with a progress bar fed by the core's progress loops (training steps,
volumes segmented) and a cancel button that stops it at the next step. Errors appear as
napari notifications, not tracebacks. "Save as pipeline" writes the YAML of what ran.
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
from morphospace.napari.tasks import TASKS, Context, Prepared

#: Milliseconds between two looks at the worker's progress.
PROGRESS_POLL_MS = 100
#: The Labels layer that shows the cells selected in the scatter plot.
SELECTION_LAYER = "selected cells"


class RunCancelled(Exception):
    """Raised inside the run by the progress listener once Cancel was pressed."""


class ComponentWidget(widgets.Container):
    """Pick a kind and a component, set its parameters and layers, run it."""

    def __init__(self, napari_viewer: Any):
        from qtpy.QtCore import QTimer

        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.state: dict[str, Any] = {}
        self.prepared: Prepared | None = None
        self._last_run: dict[str, Any] | None = None
        self._progress: tuple[str, int, int | None] | None = None
        self._cancel_requested = False
        self.kind = widgets.ComboBox(label="kind", choices=list(TASKS))
        self.component = widgets.ComboBox(label="component", choices=self._component_names)
        self.layer_inputs = widgets.Container(labels=True)
        self.task_options = widgets.Container(labels=True)
        self.fitted = widgets.FileEdit(
            label="fitted component",
            mode="d",
            nullable=True,
            tooltip="a folder saved by morphospace (a pipeline's components/<key>): apply it "
            "instead of fitting on these layers; its saved parameters are used",
        )
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
                self.layer_inputs,
                self.task_options,
                self.fitted,
                self.form,
                self.run_button,
                self.cancel_button,
                self.progress,
                self.status,
                self.save_button,
            ]
        )
        self.scatter = self._make_scatter()
        self.kind.changed.connect(self._kind_changed)
        self.component.changed.connect(self._rebuild_form)
        self.run_button.changed.connect(self.run)
        self.cancel_button.changed.connect(self.cancel)
        self.save_button.changed.connect(self._ask_and_save)
        self.viewer.layers.events.inserted.connect(self._reset_layer_choices)
        self.viewer.layers.events.removed.connect(self._reset_layer_choices)
        self.timer = QTimer()
        self.timer.setInterval(PROGRESS_POLL_MS)
        self.timer.timeout.connect(self._show_progress)
        self._kind_changed()

    # ------------------------------------------------------------------ choices
    def _component_names(self, _widget: Any = None) -> list[str]:
        return [info.name for info in registry.list_components(self.kind.value)]

    def _layers_of(self, layer_type: str):
        def choices(_widget: Any = None) -> list[Any]:
            import napari.layers

            cls = getattr(napari.layers, layer_type)
            return [layer for layer in self.viewer.layers if isinstance(layer, cls)]

        return choices

    def _kind_changed(self, _value: Any = None) -> None:
        task = TASKS[self.kind.value]
        self.layer_inputs.clear()
        for spec in task.inputs:
            self.layer_inputs.append(
                widgets.ComboBox(
                    name=spec.role,
                    label=f"{spec.role} ({spec.layer_type.lower()})",
                    choices=self._layers_of(spec.layer_type),
                    nullable=spec.optional,
                    tooltip=spec.tooltip,
                )
            )
        self._clear_optional_layers()
        self.task_options.clear()
        self.task_options.extend(task.options())
        self.component.reset_choices()
        self._rebuild_form()

    def _clear_optional_layers(self) -> None:
        """Leave optional layers (annotations) empty: they are chosen, never assumed."""
        for spec in TASKS[self.kind.value].inputs:
            if spec.optional:
                self.layer_inputs[spec.role].value = None

    def _reset_layer_choices(self, _event: Any = None) -> None:
        chosen = {combo.name: combo.value for combo in self.layer_inputs}
        for combo in self.layer_inputs:
            combo.reset_choices()
        # an optional layer left empty stays empty when a layer is added
        for spec in TASKS[self.kind.value].inputs:
            if spec.optional and chosen[spec.role] is None:
                self.layer_inputs[spec.role].value = None

    def _rebuild_form(self, _value: Any = None) -> None:
        self.fitted.value = None  # a fitted folder belongs to the component it was chosen for
        self.form.clear()
        if self.component.value:
            config = registry.config_class(self.component.value, self.kind.value)
            self.form.extend(list(build_form(config)))

    # ------------------------------------------------------------------ running
    def run(self, _value: Any = None) -> Any:
        """Start the chosen component on the chosen layers; returns the worker (or None
        after showing why it could not start)."""
        from morphospace.core.errors import MorphospaceError
        from napari.qt.threading import thread_worker

        kind, name = self.kind.value, self.component.value
        task = TASKS[kind]
        layers = {combo.name: combo.value for combo in self.layer_inputs}
        missing = [spec.role for spec in task.inputs if not spec.optional and not layers[spec.role]]
        if name is None or missing:
            what = ", ".join(missing) or "component"
            self._error(f"choose a component and the {what} layer(s) first")
            return None
        params = read_form(self.form)
        options = {widget.name: widget.value for widget in self.task_options}
        try:
            component, fitted = self._component(kind, name, params)
            if fitted:  # what runs is the saved config, and a saved pipeline refits it
                params = component.config.model_dump(mode="json", exclude_defaults=True)
            context = Context(self.viewer, options, component, fitted, self.state)
            prepared = task.prepare(layers, context, params)
        except (MorphospaceError, ValueError) as exc:
            self._error(str(exc))
            return None

        @thread_worker(ignore_errors=True)  # errors go to _failed, not back into Qt's loop
        def work():
            from morphospace.core.training import listen_to_progress

            with listen_to_progress(self._listen):
                return prepared.work()

        worker = work()
        worker.returned.connect(lambda result: self._show(prepared, result))
        worker.errored.connect(self._failed)
        worker.finished.connect(self._idle)
        self.prepared = None
        self._last_run = {"component": name, "params": params, "prepared": prepared}
        self._busy(name)
        self.worker = worker
        worker.start()
        return worker

    def _component(self, kind: str, name: str, params: dict) -> tuple[Any, bool]:
        folder = self.fitted.value
        if folder is None or str(folder) in ("", "."):
            return registry.create(kind, name, **params), False
        return registry.get_class(name, kind).load(Path(folder)), True

    def cancel(self, _value: Any = None) -> None:
        """Stop the run at its next training step or item (one step is not interrupted)."""
        if self.worker is not None:
            self._cancel_requested = True
            self.status.value = "cancelling at the next step"

    def _listen(self, desc: str, done: int, total: int | None) -> None:
        """The run's progress, heard in the worker thread; read by the timer."""
        if self._cancel_requested:
            raise RunCancelled
        self._progress = (desc, done, total)

    def _show_progress(self) -> None:
        if self._progress is None or self._cancel_requested:
            return
        desc, done, total = self._progress
        if total:
            self.progress.max, self.progress.value = total, min(done, total)
            self.status.value = f"{desc}: {done}/{total}"
        else:
            self.progress.max = 0  # busy bar: a loop of unknown length
            self.status.value = f"{desc}: {done}"

    def _show(self, prepared: Prepared, result: Any) -> None:
        self.status.value = prepared.show(result)
        self.prepared = prepared
        self.save_button.enabled = prepared.pipeline is not None
        if not self.save_button.enabled:
            self.save_button.tooltip = f"not a pipeline: {prepared.why_no_pipeline}"
        embedding = self.state.get("embedding")
        if embedding is not None:
            self.scatter.show_embedding(embedding)
            self.scatter.setVisible(True)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, RunCancelled):
            self.status.value = f"{self._last_run['component']}: cancelled"
        else:
            self._error(str(exc))

    def _busy(self, name: str) -> None:
        self._cancel_requested = False
        self._progress = None
        self.run_button.enabled = False
        self.cancel_button.enabled = True
        self.save_button.enabled = False
        self.progress.max, self.progress.value = 0, 0
        self.progress.visible = True
        self.status.value = f"{name}: starting"
        self.timer.start()

    def _idle(self) -> None:
        self.timer.stop()
        self.run_button.enabled = True
        self.cancel_button.enabled = False
        self.progress.visible = False
        self.progress.max = 1
        self.worker = None

    def _error(self, message: str) -> None:
        from napari.utils.notifications import show_error

        self.status.value = message
        show_error(message)

    # ------------------------------------------------------------------ scatter
    def _make_scatter(self):
        from morphospace.napari.scatter import EmbeddingScatter

        scatter = EmbeddingScatter(on_select=self.show_selected_cells)
        scatter.setVisible(False)
        self.native.layout().addWidget(scatter)
        return scatter

    def show_selected_cells(self, cell_ids: np.ndarray) -> None:
        """Show only ``cell_ids`` of the embedded labels layer, in ``selected cells``."""
        embedding = self.state["embedding"]
        labels = np.asarray(embedding.layer.data)
        selected = np.where(np.isin(labels, cell_ids), labels, 0)
        if SELECTION_LAYER in self.viewer.layers:
            self.viewer.layers[SELECTION_LAYER].data = selected
        else:
            self.viewer.add_labels(selected, name=SELECTION_LAYER, scale=embedding.layer.scale)
        self.status.value = f"{len(cell_ids)} cell(s) selected"

    # ------------------------------------------------------------------ save as pipeline
    def pipeline(self) -> dict[str, Any]:
        """The pipeline of the last run: its dataset read from the layers' files, its steps."""
        if self.prepared is None or self._last_run is None:
            raise ValueError("nothing has run yet")
        if self.prepared.pipeline is None:
            raise ValueError(f"this run is not a pipeline: {self.prepared.why_no_pipeline}")
        return {
            "name": f"napari-{self._last_run['component']}",
            "description": "written by morphospace-napari's Run a component widget",
            **self.prepared.pipeline,
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
