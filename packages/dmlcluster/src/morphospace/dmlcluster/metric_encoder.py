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

    def report_figures(self, adata: Any, key: str) -> list[tuple[str, Any]]:
        """Cells before (scaled + PCA) and after the learned metric, coloured by class.

        The pipeline report calls this; both panels show the first two principal axes.
        """
        record = adata.uns.get(key, {})
        labels = record.get("labels") if isinstance(record, dict) else None
        if not labels or labels not in adata.obs or f"X_{key}" not in adata.obsm:
            return []
        import matplotlib.pyplot as plt

        from morphospace.core.pipeline.report import project_2d
        from morphospace.core.tl import get_rep

        use_rep = record.get("use_rep")
        x = get_rep(adata, None if use_rep == "X" else use_rep).astype(np.float64)
        before = apply_front_end(x, self.mean_, self.scale_, self.pca_axes_)
        panels = [("before: scaled + PCA", before), (f"after: {self.name}", adata.obsm[f"X_{key}"])]
        classes = adata.obs[labels].astype(str).to_numpy()
        colours = plt.cm.tab10 if len(np.unique(classes)) <= 10 else plt.cm.tab20
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        for ax, (title, z) in zip(axes, panels):
            points = project_2d(np.asarray(z))
            for i, value in enumerate(np.unique(classes)[:20]):
                chosen = classes == value
                ax.scatter(*points[chosen].T, s=4, alpha=0.7, color=colours(i % 20), label=value)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[1].legend(markerscale=3, fontsize=7, title=labels, title_fontsize=8)
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
