"""The encoders' report figures: latent traversals and the code on its most active
dimensions, coloured by the labels a later step scored it against."""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.figures import Figure, FigureContext, scatter_by, step_record


def traversal_figure(encoder: Any, context: FigureContext) -> list[Figure]:
    import matplotlib.pyplot as plt

    record = context.record
    if record is None or record.use_rep is None:
        return []
    images = context.rep(record.use_rep)
    first = int(context.held_out_first()[0])
    grid = encoder.traverse(images[first])
    rows, cols = grid.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.1 * rows), squeeze=False)
    for d in range(rows):
        for j in range(cols):
            ax = axes[d, j]
            ax.imshow(_displayable(grid[d, j]), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(f"z{d}", rotation=0, labelpad=12)
    fig.suptitle(f"{encoder.name}: latent traversals of one held-out image (z = -2 .. 2)")
    fig.tight_layout()
    figures = [(f"{context.key}: latent traversals", fig)]
    embedding = _embedding_on_top_dimensions(context, encoder.name)
    if embedding is not None:
        figures.append(embedding)
    return figures


def _displayable(image: np.ndarray) -> np.ndarray:
    return image[0] if image.shape[0] == 1 else np.moveaxis(image, 0, -1)


def _embedding_on_top_dimensions(context: FigureContext, name: str) -> Figure | None:
    """The code drawn on its two most active dimensions, coloured by the labels scored on it."""
    import matplotlib.pyplot as plt

    key = f"X_{context.key}"
    if key not in context.adata.obsm:
        return None
    z = np.asarray(context.adata.obsm[key])
    if z.shape[1] < 2:
        return None
    top = np.argsort(z.var(axis=0))[::-1][:2]
    columns = []
    for uns_key in context.adata.uns:
        other = step_record(context.adata, uns_key)
        if other is not None and key in other.inputs.values():
            labels = other.inputs.get("labels")
            if isinstance(labels, str) and labels in context.adata.obs and labels not in columns:
                columns.append(labels)
    columns = columns or [None]
    fig, axes = plt.subplots(1, len(columns), figsize=(5.2 * len(columns), 4), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        values = None if column is None else context.adata.obs[column].to_numpy()
        scatter_by(
            ax,
            z[:, top],
            values,
            title=f"{name}: the two most active dimensions",
            axis_names=(f"z{top[0]}", f"z{top[1]}"),
            legend_title=column,
        )
    fig.tight_layout()
    return (f"{context.key}: code on its two most active dimensions", fig)
