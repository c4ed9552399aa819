"""What a Segmenter returns: label maps and per-object tables, as one typed result.

A workflow that finds many objects in one observation (every nucleus of a field, every
region of a volume at every level) returns it from the call, so nothing is left on the
component for a second method to read. :func:`morphospace.core.tl.segment` writes the
maps to ``obsm[<key>]`` and each table to ``uns[<key>][<name>]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from morphospace.core.errors import InputError


@dataclass(frozen=True)
class Segmentation:
    """Integer label maps ``(N, L, H, W)`` or ``(N, L, D, H, W)`` and tables by name.

    ``L`` counts label maps per observation (levels of a hierarchy, or 1). Each table
    is a pandas DataFrame with one row per object; its integer column ``obs`` is the
    row of the input the object was found in.
    """

    label_maps: np.ndarray
    tables: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        maps = np.asarray(self.label_maps)
        if maps.ndim not in (4, 5) or maps.dtype.kind not in "iu":
            raise InputError(
                "a Segmentation holds integer label maps (N, L, H, W) or (N, L, D, H, W), "
                f"found dtype {maps.dtype} and shape {maps.shape}"
            )
        object.__setattr__(self, "label_maps", maps)
        import pandas as pd

        for name, table in self.tables.items():
            if not isinstance(table, pd.DataFrame):
                raise InputError(
                    f"Segmentation table {name!r} must be a pandas DataFrame, found "
                    f"{type(table).__name__}"
                )
            if "obs" in table.columns:
                rows = table["obs"].to_numpy()
                if rows.dtype.kind not in "iu" or ((rows < 0) | (rows >= len(maps))).any():
                    raise InputError(
                        f"Segmentation table {name!r}: column 'obs' must hold row numbers "
                        f"0..{len(maps) - 1} of the segmented input, found {rows[:5].tolist()}"
                    )

    def __len__(self) -> int:
        return len(self.label_maps)
