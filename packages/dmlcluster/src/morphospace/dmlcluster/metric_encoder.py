"""The shared shape of every dmlcluster encoder: scale, PCA, then a learned linear map.

:class:`SoftNeighbourEncoder` adds the start shared by NCA and MLKR.

Subclasses implement :meth:`MetricEncoder.learn_map` only. Learned state is four
arrays (``mean_``, ``scale_``, ``pca_axes_``, ``components_``), so save/load goes
through the core's ``.npz`` path and an embedding is ``((x - mean) / scale) @
pca_axes.T @ components.T``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.errors import InputError
from morphospace.core.figures import Figure, FigureContext, project_2d, scatter_by
from morphospace.core.interfaces import Encoder
from morphospace.core.validation import check_array, check_labels
from morphospace.dmlcluster.metric_learn_compat import starting_directions
from morphospace.dmlcluster.preprocessing import (
    apply_front_end,
    fit_front_end,
    scale_to_nearest_neighbours,
)


class MetricEncoder(Encoder):
    """Scaling + PCA + a linear map ``components_`` learned by :meth:`learn_map`."""

    def learn_map(self, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        """Return the map ``(n_components, z.shape[1])`` learned from preprocessed ``z``."""
        raise NotImplementedError

    def fit(self, x: Any, y: Any = None) -> MetricEncoder:
        x = check_array(x, name=f"{self.name}: x", ndim=2, min_samples=2).astype(np.float64)
        labels = None
        if self.config.requires_labels:
            if y is None:
                raise InputError(
                    f"{self.name} learns a metric from labels: expected y with one class "
                    f"label per cell ({x.shape[0]} cells), found None"
                )
            labels = check_labels(y, x.shape[0], name=f"{self.name}: y", min_classes=2)
        self.mean_, self.scale_, self.pca_axes_ = fit_front_end(
            x, self.config.scale, self._pca_components()
        )
        z = apply_front_end(x, self.mean_, self.scale_, self.pca_axes_)
        self._check_n_components(z)
        self.components_ = np.asarray(self.learn_map(z, labels), dtype=np.float64)
        return self

    def encode(self, x: Any) -> np.ndarray:
        self.check_is_fitted()
        x = check_array(x, name=f"{self.name}: x", ndim=2)
        if x.shape[1] != self.mean_.shape[0]:
            raise InputError(
                f"{self.name}: expected {self.mean_.shape[0]} features (as in fit), "
                f"found {x.shape[1]}"
            )
        z = apply_front_end(x.astype(np.float64), self.mean_, self.scale_, self.pca_axes_)
        return z @ self.components_.T

    def report_figures(self, context: FigureContext) -> list[Figure]:
        """Cells before (scaled + PCA) and after the learned metric, coloured by class.

        Both panels show their first two principal axes.
        """
        adata, key, record = context.adata, context.key, context.record
        if record is None or not record.labels or record.labels not in adata.obs:
            return []
        if f"X_{key}" not in adata.obsm:
            return []
        import matplotlib.pyplot as plt

        x = context.rep(record.use_rep).astype(np.float64)
        before = apply_front_end(x, self.mean_, self.scale_, self.pca_axes_)
        panels = [("before: scaled + PCA", before), (f"after: {self.name}", adata.obsm[f"X_{key}"])]
        classes = adata.obs[record.labels].to_numpy()
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, (title, z) in zip(axes, panels, strict=True):
            points, axis_names = project_2d(np.asarray(z))
            legend = record.labels if ax is axes[1] else None
            scatter_by(ax, points, classes, title=title, axis_names=axis_names, legend_title=legend)
        axes[0].get_legend().remove()
        fig.tight_layout()
        return [(f"{self.name} ({key}): before and after metric learning", fig)]

    # ------------------------------------------------------------------ helpers
    def _pca_components(self) -> int | None:
        return self.config.pca_components

    def _check_n_components(self, z: np.ndarray) -> None:
        wanted = getattr(self.config, "n_components", None)
        if wanted is not None and wanted > z.shape[1]:
            raise InputError(
                f"{self.name}: n_components={wanted}, but the data has only {z.shape[1]} "
                "dimensions after scaling and PCA; expected n_components <= "
                f"{z.shape[1]}"
            )

    @staticmethod
    def class_codes(y: np.ndarray) -> np.ndarray:
        """Integer codes ``0..K-1`` of class labels of any type (sorted class order)."""
        _, codes = np.unique(y.astype(str) if y.dtype.kind == "O" else y, return_inverse=True)
        return codes.ravel()


class SoftNeighbourEncoder(MetricEncoder):
    """A metric learned through a softmax over ``exp(-d²)`` (NCA, MLKR), whose start
    must not saturate that softmax; its config is a ``SoftNeighbourConfig``."""

    def starting_map(self, z: np.ndarray, y: np.ndarray, *, has_classes: bool = True) -> Any:
        """The ``init`` handed to metric-learn.

        ``"auto"``: metric-learn's own start. ``"nearest_neighbour"``: the same
        directions, shrunk by :func:`scale_to_nearest_neighbours`.
        """
        if self.config.init == "auto":
            return "auto"
        directions = starting_directions(
            z,
            y,
            self.config.n_components or z.shape[1],
            has_classes=has_classes,
            seed=self.config.seed,
        )
        return scale_to_nearest_neighbours(z, directions)
