"""The figure interface: what a component may draw in a run's report, and helpers for it.

A component adds figures to ``report.html`` by overriding
:meth:`~morphospace.core.component.Component.report_figures`, which receives a
:class:`FigureContext`: the result AnnData, the key its step wrote, what
:mod:`morphospace.core.tl` recorded about that step (:class:`StepRecord`) and which
rows were used for training. Plugins read everything through these public names,
never through the layout of ``adata.uns``. matplotlib is imported only when drawing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: What ``report_figures`` returns: ``(title, matplotlib figure)`` pairs.
Figure = tuple[str, Any]


@dataclass(frozen=True)
class StepRecord:
    """What a ``tl`` call recorded about the step that wrote ``key``.

    ``reads`` holds the keys it read by role (``use_rep``, ``labels``, ``fit_on``,
    ``moving``, ``images``, ...); ``inputs`` an evaluator's named inputs.
    """

    key: str
    component: str
    params: Mapping[str, Any] = field(default_factory=dict)
    reads: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)  #: a name or, for factors, names

    @property
    def use_rep(self) -> str | None:
        return self.reads.get("use_rep")

    @property
    def labels(self) -> str | None:
        return self.reads.get("labels")


#: The entries of a ``tl`` record that are not keys the step read.
_NOT_READS = {"component", "params", "inputs", "geometry", "output", "n_clusters"}


def step_record(adata: Any, key: str) -> StepRecord | None:
    """The :class:`StepRecord` of the step that wrote ``key``, or None if none did."""
    record = adata.uns.get(key)
    if not isinstance(record, Mapping) or "component" not in record:
        return None
    return StepRecord(
        key=key,
        component=str(record["component"]),
        params=dict(record.get("params", {})),
        reads={
            k: v for k, v in record.items() if k not in _NOT_READS and isinstance(v, str | bool)
        },
        inputs=dict(record.get("inputs", {})),
    )


@dataclass
class FigureContext:
    """Everything a component's report figures may use, through public names."""

    adata: Any
    key: str
    #: The boolean obs column that marks training rows (``report.split`` of the
    #: pipeline); None when the data have no such column.
    split: str | None = "train"

    def __post_init__(self) -> None:
        column = self.adata.obs.get(self.split) if self.split else None
        if column is None or column.dtype != bool:
            self.split = None

    @property
    def record(self) -> StepRecord | None:
        return step_record(self.adata, self.key)

    def rep(self, name: str | None) -> np.ndarray:
        """``adata.X`` or an ``obsm`` array, as :func:`morphospace.core.tl.get_rep` reads it."""
        from morphospace.core.tl import get_rep

        return get_rep(self.adata, None if name == "X" else name)

    def training_rows(self) -> np.ndarray:
        """A boolean mask of training rows (all False without a split)."""
        if self.split is None:
            return np.zeros(self.adata.n_obs, dtype=bool)
        return self.adata.obs[self.split].to_numpy(dtype=bool)

    def held_out_first(self) -> np.ndarray:
        """Row indices, held-out rows first: what a figure of a few examples should show."""
        train = self.training_rows()
        order = np.arange(self.adata.n_obs)
        return np.concatenate([order[~train], order[train]])


def project_2d(
    z: np.ndarray, view: str = "pca", seed: int = 0
) -> tuple[np.ndarray, tuple[str, str]]:
    """``z`` drawn in 2-D, ``(N, 2)``, with the names of the two axes.

    ``z`` wider than 2 is reduced: to its first two principal axes (centred), or with
    ``view="umap"`` by UMAP (seeded) where umap-learn is installed; without it, PCA, and
    the axis names say that UMAP was asked for. ``z`` of 2 columns or fewer is drawn as is.
    """
    z = np.asarray(z, dtype=float)
    if z.shape[1] <= 2:
        return np.pad(z, ((0, 0), (0, 2 - z.shape[1]))), ("dim 1", "dim 2")
    if view == "umap" and len(z) > 3:
        try:
            import umap
        except ImportError:
            names = ("PC 1 (umap-learn not installed)", "PC 2")
        else:
            reducer = umap.UMAP(n_neighbors=min(15, len(z) - 1), random_state=seed)
            return np.asarray(reducer.fit_transform(z), dtype=float), ("UMAP 1", "UMAP 2")
    else:
        names = ("PC 1", "PC 2")
    centred = z - z.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    z = centred @ vt[:2].T  # fewer than 2 columns when there are fewer than 2 rows
    return np.pad(z, ((0, 0), (0, 2 - z.shape[1]))), names


def robust_limits(points: np.ndarray, quantile: float = 0.01) -> tuple[tuple, tuple]:
    """Axis limits holding all but the outer ``quantile`` of points on each side."""
    low, high = np.quantile(points, [quantile, 1 - quantile], axis=0)
    pad = 0.05 * np.maximum(high - low, 1e-12)
    return (low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1])


def scatter_by(
    ax: Any,
    points: np.ndarray,
    values: np.ndarray | None = None,
    *,
    title: str = "",
    axis_names: tuple[str, str] = ("dim 1", "dim 2"),
    legend_title: str | None = None,
    max_categories: int = 20,
) -> None:
    """Scatter ``points`` coloured by category ``values``, legend beside the axes."""
    import matplotlib.pyplot as plt

    if values is None:
        ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.7)
    else:
        values = np.asarray(values).astype(str)
        categories = np.unique(values)[:max_categories]
        palette = plt.cm.tab10 if len(categories) <= 10 else plt.cm.tab20
        for i, value in enumerate(categories):
            chosen = values == value
            ax.scatter(*points[chosen].T, s=4, alpha=0.7, color=palette(i), label=value)
        ax.legend(
            markerscale=3,
            fontsize=7,
            title=legend_title,
            title_fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
        )
    if len(points) > 20:
        xlim, ylim = robust_limits(points)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
    ax.set_xlabel(axis_names[0], fontsize=8)
    ax.set_ylabel(axis_names[1], fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
