"""OME-Zarr and OME-TIFF files as napari layers, through ``morphospace.core.io.read_image``.

Each channel becomes an image layer (napari's ``channel_axis``) named after the file's
channel names, scaled by the file's pixel size, so measurements in napari are physical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from morphospace.core.errors import InputError


def get_reader(path: str | list[str]):
    """The reader for ``path`` if morphospace can read it, else None (napari tries others)."""
    if isinstance(path, list):
        return None
    name = Path(path).name.lower()
    if not name.endswith((".zarr", ".ome.tif", ".ome.tiff")):
        return None
    return read_layers


def read_layers(path: str) -> list[tuple[Any, dict, str]]:
    """``[(data, kwargs, "image")]``: the time points stacked first, one layer per channel."""
    from morphospace.core.io import read_image

    try:
        adata = read_image(path, lazy=True)
    except InputError as exc:
        from napari.utils.notifications import show_error

        show_error(str(exc))
        return []
    key = "volume" if "volume" in adata.obsm else "image"
    data = adata.obsm[key]  # (T, C, [D,] H, W)
    info = adata.uns["image"]
    spatial = ["z", "y", "x"][-(data.ndim - 2) :]
    sizes = info["pixel_size"]
    scale = [1.0] + [float(sizes.get(axis, 1.0)) for axis in spatial]
    if data.shape[0] == 1:
        data, scale = data[0], scale[1:]  # a single time point: no time slider
        channel_axis = 0
    else:
        channel_axis = 1
    kwargs = {
        "channel_axis": channel_axis,
        "name": info["channel_names"],
        "scale": scale,
        "metadata": {"morphospace": {"source": info["source"], "pixel_size": sizes}},
    }
    return [(data, kwargs, "image")]
