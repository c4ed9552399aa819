"""Whole fields and volumes (TIFF, OME-TIFF, ImageJ TIFF, OME-Zarr) as AnnData.

Any axis order becomes ``(C, H, W)`` for a 2-D field or ``(C, D, H, W)`` for a volume;
a time axis becomes the observations (one per time point), RGB samples become channels.
The physical pixel size (OME ``PhysicalSize*``, ImageJ ``spacing`` and resolution tags,
OME-Zarr ``scale`` transformations) and channel names are kept in ``uns["image"]``.
With ``lazy=True`` the pixels stay on disk as a dask array, read chunk by chunk, for
images larger than memory. Pixels keep their type: models scale intensities themselves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.atomic import atomic_file, atomic_new_directory
from morphospace.core.dependencies import require
from morphospace.core.errors import InputError

#: Axis letters a file may use, and what they become.
KNOWN_AXES = {"T": "T", "C": "C", "S": "C", "Z": "Z", "Y": "Y", "X": "X"}


def _tiff(path: Path, lazy: bool) -> tuple[Any, str, dict[str, float], list[str] | None]:
    tifffile = require("tifffile", install="morphospace-core[io]", needed_for="reading TIFF")
    try:
        with tifffile.TiffFile(path) as tif:
            ome = _ome_xml(tif.ome_metadata, path) if tif.is_ome and tif.ome_metadata else None
            if ome is not None:
                _refuse_other_files(ome, path)  # before tifffile resolves the series
            series = tif.series[0]
            axes = series.axes
            sizes, names = _ome_metadata(ome) if ome is not None else _imagej_metadata(tif)
            if lazy:
                dask_array = require(
                    "dask.array", install="morphospace-core[io]", needed_for="lazy reading"
                )
                pixels = dask_array.from_zarr(series.aszarr())
            else:
                pixels = series.asarray()
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise InputError(f"{path}: not a readable TIFF: {exc}") from None
    if pixels.size == 0:
        raise InputError(f"{path}: not a readable TIFF (it holds no pixels)")
    return pixels, axes, sizes, names


def _ome_xml(text: str, path: Path) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise InputError(f"{path}: unreadable OME metadata: {exc}") from None


def _refuse_other_files(root: ElementTree.Element, path: Path) -> None:
    """A multi-file OME-TIFF names other files its pixels live in; they are not followed
    (a file handed to morphospace must not make it read others)."""
    others = sorted(
        {
            e.get("FileName")
            for e in root.iter()
            if e.tag.endswith("UUID") and e.get("FileName") not in (None, path.name)
        }
    )
    if others:
        raise InputError(
            f"{path}: a multi-file OME-TIFF whose pixels are also in {', '.join(others)}; "
            "morphospace reads one file at a time (save the series as one file)"
        )


def _ome_metadata(root: ElementTree.Element) -> tuple[dict[str, float], list[str] | None]:
    """Pixel sizes (the file's unit, µm by default) and channel names from OME-XML."""
    pixels = next((e for e in root.iter() if e.tag.endswith("Pixels")), None)
    if pixels is None:
        return {}, None
    sizes = {
        axis: float(pixels.get(f"PhysicalSize{axis}"))
        for axis in "XYZ"
        if pixels.get(f"PhysicalSize{axis}") is not None
    }
    channels = [e for e in pixels if e.tag.endswith("Channel")]
    names = [c.get("Name") or f"channel{i}" for i, c in enumerate(channels)]
    return sizes, names or None


def _imagej_metadata(tif: Any) -> tuple[dict[str, float], None]:
    """Pixel sizes from ImageJ's ``spacing`` (Z) and the resolution tags (X, Y)."""
    sizes: dict[str, float] = {}
    if not (tif.is_imagej and tif.imagej_metadata is not None):
        return sizes, None
    if "spacing" in tif.imagej_metadata:
        sizes["Z"] = float(tif.imagej_metadata["spacing"])
    tags = tif.pages[0].tags
    for axis, tag in (("X", "XResolution"), ("Y", "YResolution")):
        if tag in tags:
            numerator, denominator = tags[tag].value
            if numerator:
                sizes[axis] = denominator / numerator
    return sizes, None


def _ome_zarr(path: Path, lazy: bool) -> tuple[Any, str, dict[str, float], list[str] | None]:
    zarr = require("zarr", install="morphospace-core[io]", needed_for="reading OME-Zarr")
    try:
        group = zarr.open_group(str(path), mode="r")
        attrs = dict(group.attrs)
    except Exception as exc:  # zarr raises many kinds for a folder that is not a group
        raise InputError(f"{path}: not a readable OME-Zarr: {exc}") from None
    attrs = attrs.get("ome", attrs)  # OME-Zarr 0.5 nests its keys under "ome"
    if "multiscales" not in attrs:
        raise InputError(f"{path}: a zarr group without OME 'multiscales' metadata")
    scales = attrs["multiscales"][0]
    names_of_axes = [a if isinstance(a, str) else a["name"] for a in scales["axes"]]
    if not all(len(a) == 1 for a in names_of_axes):
        raise InputError(f"{path}: axes {names_of_axes} are not one letter each (t, c, z, y, x)")
    axes = "".join(names_of_axes).upper()
    dataset = scales["datasets"][0]  # the full-resolution level
    key = str(dataset.get("path", ""))
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InputError(
            f"{path}: multiscales dataset path {key!r} is not a plain key inside the OME-Zarr "
            "folder; it is not followed"
        )
    try:
        array = group[key]
    except KeyError:
        raise InputError(
            f"{path}: multiscales names dataset {key!r}, which it does not hold"
        ) from None
    if lazy:
        dask_array = require(
            "dask.array", install="morphospace-core[io]", needed_for="lazy reading"
        )
        pixels = dask_array.from_zarr(array)
    else:
        pixels = array[...]
    sizes: dict[str, float] = {}
    for transform in dataset.get("coordinateTransformations", []):
        if transform.get("type") == "scale":
            sizes = {
                a: float(s) for a, s in zip(axes, transform["scale"], strict=False) if a in "XYZ"
            }
    names = [
        c.get("label", f"channel{i}")
        for i, c in enumerate(attrs.get("omero", {}).get("channels", []))
    ]
    return pixels, axes, sizes, names or None


def _normalise(pixels: Any, axes: str, source: Path) -> tuple[Any, str]:
    """``pixels`` reordered to ``(T, C, [Z,] Y, X)`` with missing T and C added."""
    axes = axes.upper()
    if len(axes) != pixels.ndim:
        raise InputError(
            f"{source}: axes {axes!r} name {len(axes)} axes but the image has {pixels.ndim} "
            f"(shape {tuple(pixels.shape)})"
        )
    unknown = sorted({a for a in axes if a not in KNOWN_AXES})
    if unknown:
        raise InputError(
            f"{source}: unknown axes {', '.join(unknown)} in {axes!r}; name them with "
            "axes= (letters T, C, Z, Y, X; S for RGB samples)"
        )
    mapped = "".join(KNOWN_AXES[a] for a in axes)
    if len(set(mapped)) != len(mapped):
        raise InputError(f"{source}: axes {axes!r} repeat an axis (S counts as C)")
    if "Y" not in mapped or "X" not in mapped:
        raise InputError(f"{source}: axes {axes!r} have no Y and X")
    for axis in "TC":
        if axis not in mapped:
            pixels = pixels[None]
            mapped = axis + mapped
    order = "TC" + ("Z" if "Z" in mapped else "") + "YX"
    return pixels.transpose([mapped.index(a) for a in order]), order


def read_image(path: str | Path, *, axes: str | None = None, lazy: bool = False) -> Any:
    """A TIFF / OME-TIFF / ImageJ TIFF file or an OME-Zarr folder as AnnData.

    ``obsm["image"]`` ``(T, C, H, W)`` for a field or ``obsm["volume"]`` ``(T, C, D, H, W)``
    for a volume, one observation per time point; ``uns["image"]`` holds the source,
    the file's axes, ``pixel_size`` (``{"z", "y", "x"}`` as the file states them) and
    ``channel_names``. ``axes`` overrides the file's axis letters (e.g. ``"ZYX"`` for a
    plain TIFF stack read as pages); ``lazy`` keeps the pixels on disk (dask).
    """
    import anndata
    import pandas as pd

    source = Path(path)
    if not source.exists():
        raise InputError(f"{source}: no such image file or OME-Zarr folder")
    if source.is_dir():
        pixels, file_axes, sizes, names = _ome_zarr(source, lazy)
    elif source.suffix.lower() in (".tif", ".tiff"):
        pixels, file_axes, sizes, names = _tiff(source, lazy)
    else:
        raise InputError(f"{source}: expected a .tif/.tiff file or an OME-Zarr folder")
    pixels, order = _normalise(pixels, axes or file_axes, source)
    n_time, n_channels = pixels.shape[:2]
    if names is not None and len(names) != n_channels:
        names = None  # metadata that does not match the pixels is not trusted
    key = "volume" if "Z" in order else "image"
    obs = pd.DataFrame({"time": np.arange(n_time)}, index=[f"t{t}" for t in range(n_time)])
    adata = anndata.AnnData(obs=obs, obsm={key: pixels})
    adata.uns["image"] = {
        "source": str(source),
        "axes": axes or file_axes,
        "pixel_size": {a.lower(): sizes[a] for a in "ZYX" if a in sizes and a in order},
        "channel_names": names or [f"channel{i}" for i in range(n_channels)],
        "lazy": lazy,
    }
    return adata


def write_image(
    path: str | Path,
    pixels: np.ndarray,
    *,
    axes: str,
    pixel_size: dict[str, float] | None = None,
    channel_names: list[str] | None = None,
) -> Path:
    """Write ``pixels`` (axes as named, e.g. ``"CYX"``, ``"CZYX"``) as an OME-TIFF
    (``.tif``/``.tiff``) or an OME-Zarr 0.4 folder (``.zarr``), atomically: the file or
    folder appears complete or not at all, and an existing one is never overwritten.

    ``pixel_size`` maps ``"z"``/``"y"``/``"x"`` to micrometres; label maps and images
    keep their dtype. :func:`read_image` reads both back with their metadata.
    """
    destination = Path(path)
    pixels = np.asarray(pixels)
    axes = axes.upper()
    if len(axes) != pixels.ndim or set(axes) - set("TCZYX") or len(set(axes)) != len(axes):
        raise InputError(
            f"axes {axes!r}: expected one distinct letter of T, C, Z, Y, X per axis of the "
            f"{pixels.ndim}-D array (shape {pixels.shape})"
        )
    if destination.exists():
        raise InputError(f"{destination} exists; morphospace does not overwrite image files")
    sizes = {k.upper(): float(v) for k, v in (pixel_size or {}).items()}
    names = list(channel_names) if channel_names is not None else None
    suffix = destination.suffix.lower()
    if suffix in (".tif", ".tiff"):
        tifffile = require("tifffile", install="morphospace-core[io]", needed_for="writing TIFF")
        metadata: dict[str, Any] = {"axes": axes}
        metadata.update({f"PhysicalSize{a}": v for a, v in sizes.items()})
        if names is not None:
            metadata["Channel"] = {"Name": names}
        with atomic_file(destination) as tmp:
            tifffile.imwrite(tmp, pixels, ome=True, metadata=metadata)
        return destination
    if suffix != ".zarr":
        raise InputError(f"{destination}: expected a .tif/.tiff file or a .zarr folder")
    zarr = require("zarr", install="morphospace-core[io]", needed_for="writing OME-Zarr")
    with atomic_new_directory(destination) as tmp:
        group = zarr.open_group(str(tmp), mode="w", zarr_format=2)
        chunks = tuple(
            min(n, 1 if a in "TC" else 256) for a, n in zip(axes, pixels.shape, strict=True)
        )
        array = group.create_array("0", shape=pixels.shape, dtype=pixels.dtype, chunks=chunks)
        array[...] = pixels
        kinds = {"T": "time", "C": "channel"}
        group.attrs["multiscales"] = [
            {
                "version": "0.4",
                "axes": [
                    {"name": a.lower(), "type": kinds.get(a, "space")}
                    | ({"unit": "micrometer"} if a in sizes else {})
                    for a in axes
                ],
                "datasets": [
                    {
                        "path": "0",
                        "coordinateTransformations": [
                            {"type": "scale", "scale": [sizes.get(a, 1.0) for a in axes]}
                        ],
                    }
                ],
            }
        ]
        if names is not None:
            group.attrs["omero"] = {"channels": [{"label": n} for n in names]}
    return destination
