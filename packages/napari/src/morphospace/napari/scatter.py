"""An embedding as a scatter plot linked to its cells: draw a lasso, see those cells.

The first two coordinates of each cell's vector are plotted (a Poincaré-ball embedding
inside its boundary circle), coloured by cluster once a clusterer has run. A lasso
selection calls ``on_select(cell ids)``; the widget shows those cells as a Labels layer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.path import Path as PolygonPath
from matplotlib.widgets import LassoSelector

from morphospace.napari.tasks import Embedding


class EmbeddingScatter(FigureCanvasQTAgg):
    """A Qt canvas with one point per cell of an :class:`Embedding`."""

    def __init__(self, on_select: Callable[[np.ndarray], None]):
        self.figure = Figure(figsize=(3.2, 3.2), layout="constrained")
        super().__init__(self.figure)
        self.axes = self.figure.add_subplot()
        self.on_select = on_select
        self.embedding: Embedding | None = None
        self.selected = np.zeros(0, bool)
        self.lasso = LassoSelector(self.axes, self.select_inside)
        self.setMinimumHeight(260)

    def show_embedding(self, embedding: Embedding) -> None:
        self.embedding = embedding
        self.selected = np.zeros(len(embedding.cell_ids), bool)
        self.redraw()

    def points(self) -> np.ndarray:
        """The plotted 2-D positions ``(N, 2)`` (a 1-D embedding is spread on y = 0)."""
        vectors = self.embedding.vectors
        return (
            vectors[:, :2]
            if vectors.shape[1] >= 2
            else np.column_stack([vectors[:, 0], 0 * vectors[:, 0]])
        )

    def select_inside(self, vertices) -> None:
        """Select the points inside a lasso polygon and report their cells."""
        if self.embedding is None:
            return
        self.selected = PolygonPath(vertices).contains_points(self.points())
        self.redraw()
        self.on_select(self.embedding.cell_ids[self.selected])

    def redraw(self) -> None:
        ax, embedding = self.axes, self.embedding
        ax.clear()
        if embedding is None:
            return
        xy = self.points()
        if embedding.clusters is None:
            ax.scatter(xy[:, 0], xy[:, 1], color="tab:blue", s=12, linewidths=0)
        else:
            ax.scatter(xy[:, 0], xy[:, 1], c=embedding.clusters, cmap="tab10", s=12, linewidths=0)
        if self.selected.any():
            ax.scatter(*xy[self.selected].T, facecolors="none", edgecolors="black", s=40)
        if embedding.geometry.kind == "poincare":
            radius = 1 / np.sqrt(embedding.geometry.curvature)
            ax.add_patch(_circle(radius))
            ax.set_aspect("equal")
        ax.set_title(f"{embedding.encoder}: dims 1-2 of {embedding.vectors.shape[1]}", fontsize=9)
        ax.tick_params(labelsize=7)
        self.draw_idle()


def _circle(radius: float):
    from matplotlib.patches import Circle

    return Circle((0, 0), radius, fill=False, linestyle="--", color="grey")
