"""OME-Zarr and OME-TIFF files open in napari as one layer per channel, in physical units."""

import numpy as np
import pytest

from morphospace.core.io import write_image
from morphospace.napari.reader import get_reader


@pytest.mark.parametrize("name", ["cells.ome.zarr", "cells.ome.tif"])
def test_each_channel_becomes_a_layer_with_the_pixel_size(viewer_model, tmp_path, name):
    pixels = np.random.default_rng(0).integers(0, 999, (2, 5, 12, 14), dtype=np.uint16)
    path = write_image(
        tmp_path / name,
        pixels,
        axes="CZYX",
        pixel_size={"z": 1.0, "y": 0.25, "x": 0.25},
        channel_names=["DNA", "actin"],
    )
    viewer = viewer_model()
    layers = viewer.open(str(path), plugin="morphospace-napari")
    assert [layer.name for layer in layers] == ["DNA", "actin"]
    np.testing.assert_array_equal(np.asarray(layers[1].data), pixels[1])
    np.testing.assert_allclose(layers[0].scale, (1.0, 0.25, 0.25))


def test_other_files_are_left_to_other_readers(tmp_path):
    assert get_reader(str(tmp_path / "table.csv")) is None
    assert get_reader([str(tmp_path / "a.ome.tif")]) is None


def test_a_broken_file_is_a_notification(monkeypatch, tmp_path):
    shown = []
    monkeypatch.setattr("napari.utils.notifications.show_error", shown.append)
    (tmp_path / "broken.ome.tif").write_bytes(b"II*\x00garbage")
    assert get_reader(str(tmp_path / "broken.ome.tif"))(str(tmp_path / "broken.ome.tif")) == []
    assert shown and "not a readable TIFF" in shown[0]
