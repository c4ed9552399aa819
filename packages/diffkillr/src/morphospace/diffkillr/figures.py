"""Report figures: archetype / query / warped-mask overlays and an annotated field."""

from __future__ import annotations

import numpy as np

from morphospace.core.crops import crop
from morphospace.diffkillr.cell_bank import CellBank
from morphospace.diffkillr.propagation import FieldAnnotation


def propagation_figure(bank: CellBank, image: np.ndarray, annotation: FieldAnnotation, n: int = 5):
    """Rows of (archetype with its mask, query window, query with the warped mask)."""
    import matplotlib.pyplot as plt

    n = min(n, len(annotation))
    fig, axes = plt.subplots(max(n, 1), 3, figsize=(6, 2 * max(n, 1)), squeeze=False)
    queries = crop(image, annotation.windows[:n], bank.patch_size)
    for i in range(n):
        k = annotation.archetypes[i]
        axes[i, 0].imshow(bank.patches[k, 0], cmap="gray")
        axes[i, 0].contour(bank.masks[k, 0], levels=[0.5], colors="cyan", linewidths=1)
        axes[i, 1].imshow(queries[i, 0], cmap="gray")
        axes[i, 2].imshow(queries[i, 0], cmap="gray")
        axes[i, 2].contour(
            annotation.warped_masks[i, 0], levels=[0.5], colors="yellow", linewidths=1
        )
        axes[i, 1].set_title(f"score {annotation.scores[i]:.2f}", fontsize=8)
    for ax, title in zip(axes[0], ("archetype", "query", "warped mask")):
        ax.set_title(title if ax is not axes[0, 1] else f"query ({ax.get_title()})", fontsize=8)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def field_figure(image: np.ndarray, annotation: FieldAnnotation):
    """The field with propagated mask outlines, centres and orientation ticks."""
    import matplotlib.pyplot as plt
    from skimage.segmentation import find_boundaries

    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(image[0], cmap="gray")
    edges = find_boundaries(annotation.labels, mode="inner")
    overlay = np.zeros((*edges.shape, 4))
    overlay[edges] = (1.0, 0.85, 0.0, 1.0)
    ax.imshow(overlay)
    if len(annotation):
        r, c = annotation.centres[:, 0], annotation.centres[:, 1]
        dy, dx = np.sin(annotation.orientations) * 5, np.cos(annotation.orientations) * 5
        ax.plot(np.stack([c - dx, c + dx]), np.stack([r - dy, r + dy]), color="red", lw=1)
        ax.scatter(c, r, s=6, color="red")
    ax.set_title(f"{len(annotation)} cells annotated", fontsize=9)
    ax.set_axis_off()
    fig.tight_layout()
    return fig
