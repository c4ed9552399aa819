"""Report figures of the factor scores: a dimensions x factors matrix drawn as a heatmap.

DCI (importances) and OMES (associations) each explain their score with one matrix whose
rows are code dimensions and whose columns are the known factors. The figure recomputes
it from what ``tl.evaluate`` recorded: the obsm key of ``z``, the factor columns and the
rows it scored (``where``). matplotlib is imported only when drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from morphospace.core.errors import InputError
from morphospace.core.figures import FigureContext
from morphospace.core.tl import select


def scored_inputs(context: FigureContext) -> tuple[np.ndarray, pd.DataFrame] | None:
    """``(z, factors)`` as the step that wrote ``context.key`` scored them, or None.

    None when the key was not written by an evaluation of a ``z`` against ``factors``
    or when those keys are no longer in the AnnData.
    """
    record = context.record
    if record is None:
        return None
    rep, columns = record.inputs.get("z"), record.inputs.get("factors")
    if rep is None or columns is None:
        return None
    columns = [columns] if isinstance(columns, str) else [str(c) for c in columns]
    adata = context.adata
    if any(c not in adata.obs.columns for c in columns):
        return None
    try:
        z = context.rep(str(rep))
        rows = select(adata, record.reads.get("where"))
    except InputError:
        return None
    kept = np.flatnonzero(rows)
    return z[kept], adata.obs[columns].iloc[kept].reset_index(drop=True)


def matrix_heatmap(
    matrix: np.ndarray,
    factor_names: Sequence[str],
    dims: Sequence[int],
    *,
    title: str,
    value_label: str,
    vmax: float | None = None,
) -> Any:
    """A heatmap of ``matrix`` (dims x factors), each cell annotated with its value."""
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix, dtype=float)
    n_dims, n_factors = matrix.shape
    top = float(vmax if vmax is not None else max(matrix.max(initial=0.0), 1e-12))
    fig, ax = plt.subplots(figsize=(1.6 + 0.9 * n_factors, 1.2 + 0.4 * max(n_dims, 2)))
    image = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=top, aspect="auto")
    for (row, col), value in np.ndenumerate(matrix):
        colour = "white" if value > 0.6 * top else "black"
        ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(n_factors), [str(n) for n in factor_names], rotation=45, ha="right")
    ax.set_yticks(range(n_dims), [str(d) for d in dims])
    ax.tick_params(labelsize=8)
    ax.set_xlabel("factor", fontsize=8)
    ax.set_ylabel("code dimension", fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, label=value_label, shrink=0.8)
    fig.tight_layout()
    return fig
