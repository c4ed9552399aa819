"""Every kind in the widget, on a headless viewer: an encoder's embedding as a scatter
linked to the cells, a clusterer colouring them, an annotator's Points and Vectors, a
registrar's warped layer, a translator loaded from a fitted folder, and the progress
bar fed by the trainer."""

import numpy as np
import pytest

from morphospace.core.pipeline import load_pipeline
from morphospace.napari.widget import SELECTION_LAYER, ComponentWidget


def _wait_until_idle(widget, qtbot):
    qtbot.waitUntil(lambda: widget.worker is None, timeout=120_000)


def _discs(shape=(48, 48), cells=((12, 12, 5), (12, 34, 7), (34, 20, 9))):
    """A field of bright discs of radii 5, 7, 9 and its instance labels 1, 2, 3."""
    rows, cols = np.indices(shape)
    image, labels = np.full(shape, 0.1, np.float32), np.zeros(shape, np.int32)
    for label, (r, c, radius) in enumerate(cells, 1):
        inside = (rows - r) ** 2 + (cols - c) ** 2 <= radius**2
        image[inside], labels[inside] = 0.3 + 0.2 * label, label
    return image, labels


def _setup(widget, kind, component, layers=None, options=None, params=None):
    widget.kind.value = kind
    widget.component.value = component
    for role, layer in (layers or {}).items():
        widget.layer_inputs[role].value = widget.viewer.layers[layer]
    for name, value in (options or {}).items():
        widget.task_options[name].value = value
    for name, value in (params or {}).items():
        widget.form[name].value = value


@pytest.fixture
def field_viewer(viewer_model):
    viewer = viewer_model()
    image, labels = _discs()
    viewer.add_image(image, name="field", scale=(0.5, 0.5))
    viewer.add_labels(labels, name="nuclei", scale=(0.5, 0.5))
    return viewer


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr("napari.utils.notifications.show_error", shown.append)
    return shown


def test_each_kind_asks_for_its_own_layers(field_viewer):
    widget = ComponentWidget(field_viewer)
    roles = {}
    for kind in ("segmenter", "encoder", "clusterer", "registrar", "translator"):
        widget.kind.value = kind
        roles[kind] = [combo.name for combo in widget.layer_inputs]
    assert roles == {
        "segmenter": ["image", "annotations"],
        "encoder": ["image", "cells"],
        "clusterer": ["cells"],
        "registrar": ["moving", "fixed"],
        "translator": ["image"],
    }
    widget.kind.value = "encoder"
    assert widget.layer_inputs["cells"].choices == (field_viewer.layers["nuclei"],)


def test_an_encoder_embeds_each_cell_and_the_scatter_selects_cells(field_viewer, qtbot):
    widget = ComponentWidget(field_viewer)
    _setup(widget, "encoder", "example.random_projection", {"image": "field", "cells": "nuclei"})
    assert widget.run() is not None
    _wait_until_idle(widget, qtbot)
    embedding = widget.state["embedding"]
    np.testing.assert_array_equal(embedding.cell_ids, [1, 2, 3])
    assert embedding.vectors.shape == (3, 2) and not widget.scatter.isHidden()
    assert "3 cells embedded in 2-D" in widget.status.value
    # a lasso around the second cell's point shows that cell alone
    x, y = widget.scatter.points()[1]
    widget.scatter.select_inside([(x - 1e-6, y - 1e-6), (x + 1e-6, y - 1e-6), (x, y + 1e-6)])
    selected = field_viewer.layers[SELECTION_LAYER]
    assert set(np.unique(selected.data)) == {0, 2}
    np.testing.assert_array_equal(selected.data == 2, field_viewer.layers["nuclei"].data == 2)
    np.testing.assert_array_equal(selected.scale, (0.5, 0.5))


def test_measured_features_follow_the_cells(field_viewer):
    from morphospace.napari.layers import cell_measurements, cells_of

    image, labels = _discs()
    table, names = cell_measurements(cells_of(image[None], labels, None))
    assert names[:4] == ["area", "extent_row", "extent_col", "fill"]
    np.testing.assert_array_equal(table[:, 0], [(labels == k).sum() for k in (1, 2, 3)])
    np.testing.assert_allclose(
        table[:, names.index("intensity_mean_0")], [0.5, 0.7, 0.9], rtol=1e-6
    )
    assert np.all(table[:, names.index("fill")] < 1)  # a disc fills less than its box


def test_a_clusterer_colours_the_embedded_cells(field_viewer, qtbot, errors):
    widget = ComponentWidget(field_viewer)
    _setup(widget, "clusterer", "example.quantile_bins", {"cells": "nuclei"})
    assert widget.run() is None  # nothing embedded yet
    assert "run an encoder on 'nuclei' first" in errors[0]
    _setup(widget, "encoder", "example.random_projection", {"image": "field", "cells": "nuclei"})
    widget.run()
    _wait_until_idle(widget, qtbot)
    _setup(
        widget, "clusterer", "example.quantile_bins", {"cells": "nuclei"}, params={"n_clusters": 3}
    )
    widget.run()
    _wait_until_idle(widget, qtbot)
    painted = field_viewer.layers["example.quantile_bins clusters"].data
    labels = field_viewer.layers["nuclei"].data
    clusters = widget.state["embedding"].clusters
    assert sorted(clusters) == [0, 1, 2]
    for cell, cluster in zip((1, 2, 3), clusters, strict=True):
        assert set(np.unique(painted[labels == cell])) == {cluster + 1}
    assert (painted[labels == 0] == 0).all()
    assert "3 clusters of 3 cells" in widget.status.value


def test_an_image_encoder_on_crops_saves_as_an_encoder_then_clusterer_pipeline(
    viewer_model, qtbot, tmp_path
):
    from morphospace.core import registry
    from morphospace.core.geometry import poincare

    viewer = viewer_model()
    rng = np.random.default_rng(0)
    volume = rng.random((16, 32, 32)).astype(np.float32)
    labels = np.zeros((16, 32, 32), np.int32)
    labels[4:12, 4:12, 4:12], labels[4:12, 18:26, 18:26] = 1, 2
    viewer.add_image(volume, name="stack")
    viewer.add_labels(labels, name="cells")
    # the VAE learns from the whole stack (its patches), then embeds each cell's crop
    params = {"patch_size": 8, "hidden_channels": 4, "training": {"n_steps": 3, "batch_size": 6}}
    vae = registry.create("encoder", "hypervae.poincare_vae", **params).fit(volume[None, None])
    vae.save(tmp_path / "vae")
    widget = ComponentWidget(viewer)
    _setup(
        widget,
        "encoder",
        "hypervae.poincare_vae",
        {"image": "stack", "cells": "cells"},
        {"crop_size": 8},
    )
    widget.fitted.value = tmp_path / "vae"
    widget.run()
    _wait_until_idle(widget, qtbot)
    assert "embedding" in widget.state, widget.status.value
    embedding = widget.state["embedding"]
    assert embedding.vectors.shape == (2, 3) and embedding.geometry == poincare(1.0)
    assert np.all(np.linalg.norm(embedding.vectors, axis=1) < 1)  # inside the ball
    _setup(
        widget,
        "clusterer",
        "hypervae.poincare_kmeans",
        {"cells": "cells"},
        params={"n_clusters": 2},
    )
    widget.run()
    _wait_until_idle(widget, qtbot)
    assert "2 clusters of 2 cells" in widget.status.value, widget.status.value
    pipeline = load_pipeline(widget.save_pipeline(tmp_path / "ran.yaml"))
    assert pipeline.dataset.reader == "labelled_cells"
    assert pipeline.dataset.params == {"labels": "LABELS.tif", "size": 8}
    assert [s.component for s in pipeline.steps] == [
        "hypervae.poincare_vae",
        "hypervae.poincare_kmeans",
    ]
    assert pipeline.steps[1].use_rep == pipeline.steps[0].key_added == "X_poincare_vae"
    # the loaded encoder's saved parameters, which the pipeline refits with
    assert pipeline.steps[0].params["hidden_channels"] == 4
    assert pipeline.steps[0].params["training"]["n_steps"] == 3


ANNOTATOR = {
    "patch_size": 16,
    "max_archetypes": 2,
    "invariant_net.training.n_steps": 2,
    "invariant_net.training.batch_size": 4,
    "mapping_net.training.n_steps": 2,
    "mapping_net.training.batch_size": 4,
    "mapping_net.prealign": "none",
}


def test_an_annotator_adds_labels_points_at_centres_and_vectors_along_axes(
    field_viewer, qtbot, errors
):
    widget = ComponentWidget(field_viewer)
    _setup(widget, "segmenter", "diffkillr.annotator", {"image": "field"}, params=ANNOTATOR)
    assert widget.run() is None
    assert "draw a few in a Labels layer and choose it as 'annotations'" in errors[0]
    _setup(widget, "segmenter", "diffkillr.annotator", {"annotations": "nuclei"})
    widget.run()
    _wait_until_idle(widget, qtbot)
    assert not errors[1:], errors
    labels = field_viewer.layers["diffkillr.annotator level 1"]
    assert labels.data.shape == (48, 48)
    n = len(np.unique(labels.data)) - 1
    points = field_viewer.layers["diffkillr.annotator centres"]
    vectors = field_viewer.layers["diffkillr.annotator axes"]
    assert len(points.data) == len(vectors.data) == n
    assert {"orientation", "score", "area"} <= set(points.features.columns)
    np.testing.assert_allclose(vectors.data[:, 0] + vectors.data[:, 1] / 2, points.data)
    assert "save" not in widget.status.value and not widget.save_button.enabled


def test_a_registrar_adds_the_warped_moving_image(viewer_model, qtbot):
    viewer = viewer_model()
    fixed, _ = _discs((16, 16), ((8, 8, 4),))
    moving, _ = _discs((16, 16), ((8, 10, 4),))
    viewer.add_image(moving, name="moving")
    viewer.add_image(fixed, name="fixed")
    widget = ComponentWidget(viewer)
    params = {
        "patch_size": 16,
        "depth": 2,
        "training.n_steps": 2,
        "training.batch_size": 2,
        "prealign": "none",
    }
    _setup(
        widget,
        "registrar",
        "diffkillr.mapping_net",
        {"moving": "moving", "fixed": "fixed"},
        params=params,
    )
    widget.run()
    _wait_until_idle(widget, qtbot)
    warped = viewer.layers["moving registered (diffkillr.mapping_net)"]
    assert warped.data.shape == (16, 16) and np.isfinite(warped.data).all()
    assert "registered, largest displacement" in widget.status.value


def test_a_translator_comes_fitted_from_a_folder(viewer_model, qtbot, tmp_path, errors):
    from morphospace.core import registry

    images = np.concatenate([np.zeros((2, 1, 8, 8)), np.ones((2, 1, 8, 8))]).astype(np.float32)
    fitted = registry.create("translator", "example.mean_shift").fit(
        images, ["dmso"] * 2 + ["drug"] * 2
    )
    fitted.save(tmp_path / "mean_shift")
    viewer = viewer_model()
    viewer.add_image(np.full((8, 8), 0.25, np.float32), name="cell")
    widget = ComponentWidget(viewer)
    options = {"source": "dmso", "target": "drug"}
    _setup(widget, "translator", "example.mean_shift", {"image": "cell"}, options)
    assert widget.run() is None and "choose its folder as 'fitted component'" in errors[0]
    widget.fitted.value = tmp_path / "mean_shift"
    widget.run()
    _wait_until_idle(widget, qtbot)
    np.testing.assert_allclose(viewer.layers["cell as drug"].data, 1.25)
    widget.task_options["target"].value = "unknown"
    widget.run()
    _wait_until_idle(widget, qtbot)
    assert "unknown" in errors[-1] and "known: dmso, drug" in errors[-1]


def test_the_progress_bar_follows_the_training_steps(field_viewer, qtbot):
    widget = ComponentWidget(field_viewer)
    field_viewer.add_image(np.random.default_rng(0).random((16, 24, 24)), name="volume")
    params = {"patch_size": 4, "hidden_channels": 4, "stride": 4, "n_init": 1, "n_clusters": "[2]",
              "training.n_steps": 5, "training.batch_size": 6}  # fmt: skip
    _setup(widget, "segmenter", "hypervae.segmenter", {"image": "volume"}, params=params)
    heard, listen = [], widget._listen
    widget._listen = lambda *event: (heard.append(event), listen(*event))
    widget.run()
    _wait_until_idle(widget, qtbot)
    training = [(done, total) for desc, done, total in heard if desc.endswith("training")]
    assert training == [(step, 5) for step in range(6)]
    # what the timer shows of the latest event
    widget._progress = ("hypervae.poincare_vae training", 3, 5)
    widget._show_progress()
    assert (widget.progress.max, widget.progress.value) == (5, 3)
    assert widget.status.value == "hypervae.poincare_vae training: 3/5"
