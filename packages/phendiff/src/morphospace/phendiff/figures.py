"""The translator's report figure: real images, their translations and the difference."""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.figures import Figure, FigureContext


def translation_figure(name: str, context: FigureContext, n_images: int = 4) -> list[Figure]:
    """Up to ``n_images`` held-out images of other conditions than the step's target:
    the real image, its translation and translation minus real (first channel)."""
    import matplotlib.pyplot as plt

    record = context.record
    if record is None or "target" not in record.reads:
        return []
    target, reads = str(record.reads["target"]), record.reads
    images, translated = context.rep(reads["images"]), context.rep(context.key)
    conditions = context.adata.obs[reads["conditions"]].astype(str).to_numpy()
    rows = [r for r in context.held_out_first() if conditions[r] != target][:n_images]
    if not rows:
        return []
    fig, axes = plt.subplots(3, len(rows), figsize=(2.1 * len(rows), 6.4), squeeze=False)
    limit = float(np.abs(translated[rows, 0] - images[rows, 0]).max()) or 1.0
    for column, row in enumerate(rows):
        panels: list[tuple[Any, dict, str]] = [
            (images[row, 0], {"cmap": "gray", "vmin": 0, "vmax": 1}, conditions[row]),
            (translated[row, 0], {"cmap": "gray", "vmin": 0, "vmax": 1}, f"as {target}"),
            (
                translated[row, 0] - images[row, 0],
                {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit},
                "translated - real",
            ),
        ]
        for ax, (image, style, title) in zip(axes[:, column], panels, strict=True):
            ax.imshow(image, **style)
            ax.set_title(title, fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"{name}: held-out images translated to {target}")
    fig.tight_layout()
    return [(f"{context.key}: translations to {target}", fig)]
