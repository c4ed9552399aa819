"""Label maps and images a step wrote, as image files beside ``result.h5ad``.

A segmenter or translator step with ``export: ome-tiff`` (or ``ome-zarr``) gets one file
per observation under ``images/<key>/``, numbered (``00000.ome.tif``, ...) rather than
named after observations (whose names a dataset chose), with ``index.csv`` mapping files
to observation names. Arrays keep their dtype; a leading axis of a per-observation
array is channels (or hierarchy levels); a dataset read by ``read_image`` lends its
pixel size.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.errors import PipelineError
from morphospace.core.io.images import write_image

SUFFIX = {"ome-tiff": ".ome.tif", "ome-zarr": ".ome.zarr"}
AXES = {2: "YX", 3: "CYX", 4: "CZYX"}


def export_images(folder: Path, key: str, adata: Any, fmt: str) -> Path:
    """Write ``adata.obsm[key]`` per observation under ``folder / "images" / key``."""
    target = folder / "images" / key
    target.mkdir(parents=True)
    stack = np.asarray(adata.obsm[key])
    axes = AXES.get(stack.ndim - 1)
    if axes is None:
        raise PipelineError(
            f"export: obsm[{key!r}] of shape {stack.shape} is not one image per observation "
            "((N, H, W), (N, C, H, W) or (N, C, D, H, W)); remove 'export' from its step"
        )
    pixel_size = dict(adata.uns.get("image", {}).get("pixel_size", {}))
    pixel_size = {a: v for a, v in pixel_size.items() if a.upper() in axes}
    rows = []
    for index, (name, pixels) in enumerate(zip(adata.obs_names, stack, strict=True)):
        file = f"{index:05d}{SUFFIX[fmt]}"
        write_image(target / file, pixels, axes=axes, pixel_size=pixel_size or None)
        rows.append((file, name))
    with open(target / "index.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "obs_name"])
        writer.writerows(rows)
    return target
