"""Headless napari: offscreen Qt for the widgets, and napari's ViewerModel for the viewer.

napari's ``make_napari_viewer`` opens a vispy canvas, which needs OpenGL; this machine
(and CI) has none under ``QT_QPA_PLATFORM=offscreen``. The widget only talks to the
viewer's model (layers, ``add_labels``, ``open``), so the tests drive a ``ViewerModel``.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import pytest


@pytest.fixture
def viewer_model(qtbot):
    from napari.components import ViewerModel

    def make():
        return ViewerModel()

    return make


@pytest.fixture(autouse=True)
def _our_manifest():
    """napari's test plugin manager starts empty: register this distribution's manifest,
    as an installed napari would have discovered it."""
    from npe2 import PluginManager, PluginManifest

    manager = PluginManager.instance()
    if "morphospace-napari" not in manager._manifests:
        manager.register(PluginManifest.from_distribution("morphospace-napari"))
    yield
