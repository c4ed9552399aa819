"""Readers a pipeline's dataset may name, and the files they are allowed to read.

``dataset: {reader: crops, path: my_crops, params: {table: crops.csv, size: 64}}`` reads
the user's own files with :mod:`morphospace.core.io`. What a reader reads (``path``
and its file params, e.g. ``table``) must be plain names: the runner reads them under
the folder the user gives (``--inputs DIR``), never elsewhere. Checking params needs no
import of the readers' dependencies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from morphospace.core.errors import PipelineError
from morphospace.core.pipeline.steps.base import _safe_name

#: reader -> (function in morphospace.core.io, params that name files, params allowed)
READERS: dict[str, tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {
    "h5ad": (None, (), ()),
    "crops": ("read_crops", ("table",), ("table", "size", "fill", "file_column")),
    "labelled_cells": ("read_labelled_cells", ("labels",), ("labels", "size", "fill")),
    "cellprofiler": ("read_cellprofiler", (), ()),
    "image": ("read_image", (), ("axes", "lazy")),
}
#: params a reader cannot do without
REQUIRED = {"labelled_cells": ("labels",)}


def check_reader_params(reader: str, params: dict[str, Any]) -> None:
    """Refuse params the reader does not take, missing ones, and file params that are not
    plain names (``ValueError``, for pydantic to report)."""
    _, files, allowed = READERS[reader]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) if allowed else "no params"
        raise ValueError(f"reader {reader!r} takes {takes}; unknown: {', '.join(unknown)}")
    missing = [name for name in REQUIRED.get(reader, ()) if name not in params]
    if missing:
        raise ValueError(f"reader {reader!r} needs params: {', '.join(missing)}")
    for name in files:
        if name in params:
            try:
                _safe_name(str(params[name]))
            except ValueError as exc:
                raise ValueError(f"params.{name} {exc}") from None


def read_dataset(reader: str | None, path: str, params: dict[str, Any], inputs: Path | None):
    """The AnnData ``reader`` makes of ``path`` (and its file params) under ``inputs``."""
    if inputs is None:
        raise PipelineError(
            f"dataset: path {path!r} names a file to read; a pipeline may do so only under "
            "a folder you give: pass --inputs DIR (inputs= in Python)"
        )
    reader = reader or "h5ad"
    function, files, _ = READERS[reader]
    source = Path(inputs) / path
    if not source.exists():
        raise PipelineError(f"dataset: {source} does not exist (path {path!r} under --inputs)")
    if reader == "h5ad":
        if not source.is_file():
            raise PipelineError(f"dataset: {source} is not an .h5ad file")
        import anndata

        return anndata.read_h5ad(source)
    from morphospace.core import io

    placed = {k: str(Path(inputs) / v) if k in files else v for k, v in params.items()}
    return getattr(io, function)(source, **placed)
