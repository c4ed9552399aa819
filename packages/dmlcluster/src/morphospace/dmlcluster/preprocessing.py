"""Scaling and PCA: the front end of every dmlcluster encoder, in plain numpy.

Kept as arrays (means, scales, principal axes) so a fitted encoder saves to ``.npz``
and reloads without pickling a scikit-learn object.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError


def fit_scaler(x: np.ndarray, scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and scale; a constant feature keeps scale 1 instead of dividing by 0."""
    mean = x.mean(axis=0)
    if not scale:
        return mean, np.ones(x.shape[1])
    std = x.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def n_principal_components(requested: int | None, n_cells: int, n_features: int) -> int:
    """How many principal axes to keep: at most ``requested`` and at most the features.

    Fewer cells than that is an error, not a silent cut: PCA of ``n`` cells has only
    ``n - 1`` informative axes.
    """
    wanted = n_features if requested is None else min(requested, n_features)
    if n_cells <= wanted:
        raise InputError(
            f"expected more cells than components: {wanted} principal components need at "
            f"least {wanted + 1} cells, found {n_cells}; lower pca_components/n_components "
            "or give more cells"
        )
    return wanted


def fit_pca(z: np.ndarray, n_components: int) -> np.ndarray:
    """The top ``n_components`` principal axes ``(n_components, n_features)`` of centred ``z``.

    Signs are fixed (largest loading positive) so refits give identical embeddings.
    """
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    axes = vt[:n_components]
    signs = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])
    return axes * signs[:, None]


def fit_front_end(
    x: np.ndarray, scale: bool, pca_components: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, scale, axes)``: ``(x - mean) / scale @ axes.T`` is what the metric sees."""
    mean, scales = fit_scaler(x, scale)
    z = (x - mean) / scales
    if pca_components is None:
        return mean, scales, np.eye(x.shape[1])
    k = n_principal_components(pca_components, *x.shape)
    return mean, scales, fit_pca(z, k)


def apply_front_end(
    x: np.ndarray, mean: np.ndarray, scales: np.ndarray, axes: np.ndarray
) -> np.ndarray:
    return ((x - mean) / scales) @ axes.T


def scale_to_nearest_neighbours(z: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """``directions``, shrunk if needed so that in ``z @ map.T`` the median squared
    distance from a cell to its nearest other cell is at most 1.

    A stochastic-neighbour softmax ``exp(-d²)`` (NCA, MLKR) started there spreads its
    weight over a cell's near neighbours and has useful gradients. At the raw scale of
    30-50 standardised features (median nearest-neighbour distance² 5-170) it is a hard
    1-NN and L-BFGS barely moves; a start already below that scale is left alone.
    """
    from sklearn.neighbors import NearestNeighbors

    embedded = z @ directions.T
    distances, _ = NearestNeighbors(n_neighbors=2).fit(embedded).kneighbors(embedded)
    squared = float(np.median(distances[:, 1] ** 2))
    if not squared > 0:
        raise InputError(
            "expected distinct cells: in the starting map, more than half of the cells "
            "have an identical twin, so no neighbour scale can be set"
        )
    return directions / np.sqrt(max(squared, 1.0))
