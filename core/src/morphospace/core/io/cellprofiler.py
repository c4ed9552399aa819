"""CellProfiler per-object measurement tables as AnnData, ready for an encoder.

CellProfiler's ExportToSpreadsheet writes one row per object (a nucleus, a cell) and one
column per measurement (``AreaShape_Area``, ``Intensity_MeanIntensity_DNA``, ...), next
to ``ImageNumber``, ``ObjectNumber`` and the ``Metadata_*`` of each image (plate, well,
treatment). :func:`read_cellprofiler` puts the measurements in ``X`` (their names in
``var_names``) and the identifiers and metadata in ``obs``. A column that cannot be a
feature is dropped and said so, in a warning and in ``uns["cellprofiler"]["dropped"]``:
text columns outside ``Metadata_*``, and constant columns (they carry no information
and break standardisation). Missing values (CellProfiler writes ``nan`` where a
measurement failed) are kept and counted, since an encoder refuses them: drop or impute
those cells first.

A table whose header spans two rows (the object name above each feature, as the
combined per-object export writes it) is read with ``<object>_<feature>`` names.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from morphospace.core.errors import InputError

#: Columns that identify an object rather than measure it; they go to ``obs``.
ID_COLUMNS = ("ImageNumber", "ObjectNumber")
METADATA_PREFIX = "Metadata_"


def _read_table(path: Path) -> Any:
    import pandas as pd

    try:
        table = pd.read_csv(path, header=0, low_memory=False)
        first = [str(c) for c in table.columns]
        second = [str(v) for v in table.iloc[0]] if len(table) else []
        if "ImageNumber" not in first and "ImageNumber" in second:  # a two-row header
            table = pd.read_csv(path, header=[0, 1], low_memory=False)
            table.columns = [
                feature
                if feature in ID_COLUMNS or obj.startswith("Unnamed")
                else f"{obj}_{feature}"
                for obj, feature in table.columns
            ]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CellProfiler CSV table: {exc}") from None
    if table.empty:
        raise InputError(f"{path}: the table has no rows")
    return table


def read_cellprofiler(path: str | Path) -> Any:
    """The per-object table at ``path`` (CSV) as AnnData: measurements in ``X``,
    ``ImageNumber``/``ObjectNumber`` and ``Metadata_*`` columns in ``obs``."""
    import anndata
    import numpy as np
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such CellProfiler table (expected a .csv file)")
    table = _read_table(path)
    identifiers = [c for c in table.columns if c in ID_COLUMNS or c.startswith(METADATA_PREFIX)]
    dropped: dict[str, str] = {}
    features = []
    for column in table.columns:
        if column in identifiers:
            continue
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().sum() > table[column].isna().sum():
            dropped[column] = "not numeric"
        elif values.nunique(dropna=True) <= 1:
            dropped[column] = "constant"
        else:
            features.append(column)
    if not features:
        raise InputError(
            f"{path}: no numeric measurement columns besides {', '.join(identifiers) or 'none'}"
            f" (dropped: {', '.join(dropped) or 'none'}); is this a per-object table?"
        )
    x = table[features].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    obs = table[identifiers].copy()
    if all(c in obs for c in ID_COLUMNS):
        obs.index = [
            f"{i}_{o}" for i, o in zip(obs["ImageNumber"], obs["ObjectNumber"], strict=True)
        ]
    else:
        obs.index = [str(i) for i in range(len(obs))]
    missing = {c: int(n) for c, n in zip(features, np.isnan(x).sum(0), strict=True) if n}
    adata = anndata.AnnData(X=x, obs=obs)
    adata.var_names = features
    adata.uns["cellprofiler"] = {"path": str(path), "dropped": dropped, "missing": missing}
    notes = []
    if dropped:
        notes.append(
            f"dropped {len(dropped)} column(s): "
            + ", ".join(f"{c} ({why})" for c, why in list(dropped.items())[:8])
            + (" ..." if len(dropped) > 8 else "")
        )
    if missing:
        notes.append(
            f"{int(np.isnan(x).any(1).sum())} object(s) have missing measurements in "
            f"{len(missing)} column(s) (e.g. {next(iter(missing))}); drop or impute them "
            "before fitting"
        )
    if notes:
        warnings.warn(f"read_cellprofiler({path.name}): " + "; ".join(notes), stacklevel=2)
    return adata
