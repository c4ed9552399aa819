"""The Run-a-component widget in a headless viewer: choices from the registry without
importing implementations, a form from the Config, a run to Labels layers in a worker
thread, cancel, an error as a notification, and the pipeline of what ran."""

import os
import subprocess
import sys

import numpy as np
import pytest

from morphospace.core.pipeline import load_pipeline
from morphospace.napari.form import read_form
from morphospace.napari.widget import ComponentWidget

TINY = {
    "patch_size": 4,
    "hidden_channels": 4,
    "stride": 4,
    "n_init": 1,
    "training.n_steps": 3,
    "training.batch_size": 6,
    "n_clusters": "[2]",
}


def _volume():
    """Two bright spheres on a dark background, 16 x 24 x 24."""
    z, y, x = np.indices((16, 24, 24))
    volume = 0.1 + 0.8 * (((z - 8) ** 2 + (y - 7) ** 2 + (x - 7) ** 2) < 16)
    volume += 0.8 * (((z - 8) ** 2 + (y - 16) ** 2 + (x - 16) ** 2) < 20)
    return volume.astype(np.float32)


def _wait_until_idle(widget, qtbot):
    """Until the widget has handled its worker's end (its own slots were connected before
    the worker started, so no signal is missed, however fast the worker)."""
    qtbot.waitUntil(lambda: widget.worker is None, timeout=120_000)


@pytest.fixture
def widget(viewer_model):
    viewer = viewer_model()
    viewer.add_image(_volume(), name="nuclei", scale=(2.0, 0.5, 0.5))
    widget = ComponentWidget(viewer)
    widget.component.value = "hypervae.segmenter"
    for name, value in TINY.items():
        widget.form[name].value = value
    return widget


def test_listing_and_building_the_form_import_no_implementation():
    code = (
        "import sys\n"
        "from morphospace.core import registry\n"
        "from morphospace.napari.form import build_form\n"
        "names = [i.name for i in registry.list_components('segmenter')]\n"
        "assert 'hypervae.segmenter' in names, names\n"
        "build_form(registry.config_class('hypervae.segmenter', 'segmenter'))\n"
        "loaded = [m for m in sys.modules if m.startswith(('torch', 'morphospace.hypervae.s'))]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def test_the_form_follows_the_config(widget):
    names = [w.name for w in widget.form]
    assert {"latent", "patch_size", "training.n_steps", "n_clusters"} <= set(names)
    assert "training.checkpoint_dir" not in names  # no folder a layer run could write to
    assert widget.form["latent"].choices == ("poincare", "euclidean")
    params = read_form(widget.form)
    assert params["n_clusters"] == [2] and params["training"]["n_steps"] == 3


def test_a_run_adds_labels_layers_in_the_layers_scale(widget, qtbot):
    assert widget.run() is not None
    _wait_until_idle(widget, qtbot)
    labels = widget.viewer.layers["hypervae.segmenter level 1"]
    assert labels.data.shape == (16, 24, 24) and set(np.unique(labels.data)) == {0, 1}
    np.testing.assert_array_equal(labels.scale, (2.0, 0.5, 0.5))
    assert widget.run_button.enabled and not widget.cancel_button.enabled
    assert "1 label layer(s) added" in widget.status.value


def test_cancel_stops_the_training_at_its_next_step(widget, qtbot):
    assert widget.run() is not None
    widget.cancel()
    _wait_until_idle(widget, qtbot)
    assert "hypervae.segmenter level 1" not in widget.viewer.layers
    assert widget.status.value.endswith("cancelled")


def test_bad_parameters_are_a_notification_not_a_traceback(widget, monkeypatch):
    shown = []
    monkeypatch.setattr("napari.utils.notifications.show_error", shown.append)
    widget.form["n_clusters"].value = "[1]"
    assert widget.run() is None
    assert shown and "at least 2 clusters" in shown[0]
    assert "hypervae.segmenter level 1" not in widget.viewer.layers


def test_what_ran_saves_as_a_valid_pipeline(widget, qtbot, tmp_path):
    assert widget.run() is not None
    _wait_until_idle(widget, qtbot)
    path = widget.save_pipeline(tmp_path / "ran.yaml")
    pipeline = load_pipeline(path)
    step = pipeline.steps[0]
    assert step.component == "hypervae.segmenter" and step.use_rep == "volume"
    assert step.params["training"]["n_steps"] == 3
    assert pipeline.dataset.reader == "image"
    widget.native.grab().save(str(tmp_path / "widget.png"))
    assert (tmp_path / "widget.png").stat().st_size > 1000
