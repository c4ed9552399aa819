"""A folder of single-cell crops (and a table about them) as AnnData.

One image file per cell: ``.png`` (read by matplotlib), ``.tif``/``.tiff`` (tifffile,
``pip install tifffile``) or ``.npy``. Each becomes ``(C, H, W)``: a 2-D image has one
channel; a 3-D one keeps its channels first, or is transposed when they are last (its
last axis at most 4 long and its first longer). Integer pixels are scaled by their
type's maximum into [0, 1]; float pixels are kept as they are.

Crops of different sizes are never resampled. Without ``size`` they must all match;
with it, each is padded (centred, with ``fill``) or centre-cropped to ``size x size``.
A table (CSV or Parquet) with a ``file`` column of file names gives ``obs``; each of its
rows must name one image and each image one row.
"""

from __future__ import annotations

import glob as globbing
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.errors import InputError, problem_list

SUFFIXES = (".png", ".tif", ".tiff", ".npy")


def _files(source: str | Path) -> list[Path]:
    """The image files of a folder, or those a glob pattern matches, sorted by name."""
    path = Path(source)
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() in SUFFIXES]
    elif any(ch in str(source) for ch in "*?["):
        files = [Path(p) for p in globbing.glob(str(source)) if Path(p).suffix.lower() in SUFFIXES]
    else:
        raise InputError(f"{source}: expected a folder of crops or a glob pattern, found neither")
    if not files:
        raise InputError(f"{source}: no crops found (expected {', '.join(SUFFIXES)} files)")
    return sorted(files, key=lambda p: p.name)


def _read(path: Path) -> np.ndarray:
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            pixels = np.load(path, allow_pickle=False)
        elif suffix == ".png":
            import matplotlib.image

            pixels = matplotlib.image.imread(path)
        else:
            from morphospace.core.dependencies import require

            tifffile = require("tifffile", install="tifffile", needed_for="reading TIFF crops")
            pixels = tifffile.imread(path)
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"{path}: not a readable image: {exc}") from None
    if pixels.dtype.kind in "ui":
        pixels = pixels / np.iinfo(pixels.dtype).max
    return np.asarray(pixels, dtype=np.float32)


def _channels_first(pixels: np.ndarray, path: Path) -> np.ndarray:
    if pixels.ndim == 2:
        return pixels[None]
    if pixels.ndim == 3:
        if pixels.shape[-1] <= 4 < pixels.shape[0]:
            return np.moveaxis(pixels, -1, 0)
        return pixels
    raise InputError(f"{path}: expected a 2-D or 3-D image, found shape {pixels.shape}")


def _fit(image: np.ndarray, size: int, fill: float) -> np.ndarray:
    """``image (C, H, W)`` padded (centred) or centre-cropped to ``size x size``."""
    out = np.full((image.shape[0], size, size), fill, dtype=image.dtype)
    h, w = image.shape[1:]
    src_r, src_c = max((h - size) // 2, 0), max((w - size) // 2, 0)
    dst_r, dst_c = max((size - h) // 2, 0), max((size - w) // 2, 0)
    rows, cols = min(h, size), min(w, size)
    out[:, dst_r : dst_r + rows, dst_c : dst_c + cols] = image[
        :, src_r : src_r + rows, src_c : src_c + cols
    ]
    return out


def _table(path: str | Path, files: list[Path], column: str) -> Any:
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such table")
    try:
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for a bad file
        raise InputError(f"{path}: not a readable table: {exc}") from None
    if column not in table:
        raise InputError(
            f"{path}: expected a {column!r} column naming each crop's file, found "
            f"{', '.join(map(str, table.columns))}"
        )
    names = table[column].astype(str).map(lambda name: Path(name).name)
    duplicated = sorted(set(names[names.duplicated()]))
    have = [p.name for p in files]
    unmatched = sorted(set(names) - set(have))
    untabled = sorted(set(have) - set(names))
    if duplicated or unmatched or untabled:
        problems = problem_list(
            [
                ("rows naming no crop", unmatched),
                ("crops without a row", untabled),
                ("files named twice", duplicated),
            ]
        )
        raise InputError(f"{path}: the table's rows do not match the crops: {problems}")
    table = table.assign(**{column: names.to_numpy()}).set_index(names.to_numpy())
    return table.loc[have].reset_index(drop=True)


def read_crops(
    source: str | Path,
    table: str | Path | None = None,
    *,
    size: int | None = None,
    fill: float = 0.0,
    file_column: str = "file",
) -> Any:
    """Crops in ``source`` (a folder or a glob) as AnnData: ``obsm["image"]``
    ``(N, C, H, W)`` float32, ``obs`` from ``table`` (or the file names alone)."""
    import anndata
    import pandas as pd

    files = _files(source)
    images = [_channels_first(_read(path), path) for path in files]
    channels = {image.shape[0] for image in images}
    if len(channels) > 1:
        first = {
            c: next(p.name for p, i in zip(files, images, strict=True) if i.shape[0] == c)
            for c in sorted(channels)
        }
        raise InputError(
            f"{source}: crops have different channel counts: "
            + ", ".join(f"{c} (e.g. {name})" for c, name in first.items())
        )
    if size is None:
        shapes = {image.shape[1:] for image in images}
        if len(shapes) > 1:
            raise InputError(
                f"{source}: crops have different sizes ({', '.join(map(str, sorted(shapes)[:4]))}"
                f"{' ...' if len(shapes) > 4 else ''}); name a size to pad or centre-crop them "
                "to (they are never resampled)"
            )
    else:
        images = [_fit(image, size, fill) for image in images]
    stack = np.stack(images)
    if table is None:
        obs = pd.DataFrame({file_column: [p.name for p in files]})
    else:
        obs = _table(table, files, file_column)
    obs.index = [p.stem for p in files]
    adata = anndata.AnnData(obs=obs, obsm={"image": stack})
    adata.uns["crops"] = {"source": str(source), "size": size, "fill": fill}
    return adata
