"""The whole method in one call on an AnnData: scale, PCA, learn, embed, Leiden, purity.

Built on :mod:`morphospace.core.tl`, so the results land where scanpy users look:
``obsm["X_<method>"]``, ``obs["leiden_<method>"]``, ``uns["metrics"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from morphospace.core import tl
from morphospace.core.errors import InputError

if TYPE_CHECKING:
    from anndata import AnnData

METHODS = ("none", "pca", "nca", "fast_nca", "lmnn", "mlkr", "lfda")


def metric_learning_leiden(
    adata: AnnData,
    labels: str,
    *,
    method: str = "nca",
    fit_on: str | None = None,
    use_rep: str | None = None,
    n_neighbors: int = 15,
    resolution: float = 1.0,
    seed: int = 0,
    key_added: str | None = None,
    **params: Any,
) -> dict[str, float]:
    """Learn a metric from ``obs[labels]``, embed, cluster with Leiden and score purity.

    ``method`` is ``"nca"``, ``"fast_nca"``, ``"lmnn"``, ``"mlkr"``, ``"lfda"`` or
    ``"none"`` (scaling + PCA only); ``params`` go to its encoder (``n_components``,
    ``pca_components``, ``scale``, ...). With ``fit_on`` (a boolean obs column or a
    selection such as ``"batch == 'a'"``) the metric is learned on those cells only and
    purity is reported on the *other* cells (``purity_heldout``) beside the fitted ones
    (``purity_insample``); without it, on all cells (``purity_insample``).

    Writes ``obsm["X_<key>"]``, ``obs["leiden_<key>"]`` and ``uns["metrics"]``, where
    ``key`` is ``key_added`` or the method's name; returns the purities and the
    number of clusters.

    >>> metric_learning_leiden(adata, "cell_type", fit_on="train")  # doctest: +SKIP
    {'purity_heldout': 0.95, 'purity_insample': 0.98, 'n_clusters': 7}
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    encoder = "pca" if method == "none" else method
    key = key_added or method
    if encoder == "pca":
        tl.encode(adata, "dmlcluster.pca", use_rep=use_rep, fit_on=fit_on, key_added=key, **params)
    else:
        tl.encode(
            adata,
            f"dmlcluster.{encoder}",
            use_rep=use_rep,
            labels=labels,
            fit_on=fit_on,
            key_added=key,
            seed=seed,
            **params,
        )
    cluster_key = f"leiden_{key}"
    tl.cluster(
        adata,
        "dmlcluster.leiden",
        use_rep=f"X_{key}",
        key_added=cluster_key,
        n_neighbors=n_neighbors,
        resolution=resolution,
        seed=seed,
    )
    result: dict[str, float] = {}
    scored = (
        [("insample", fit_on)]
        if fit_on is None
        else [("heldout", tl.complement(fit_on)), ("insample", fit_on)]
    )
    for name, where in scored:
        metrics = tl.evaluate(
            adata,
            "dmlcluster.purity",
            where=where,
            key_added=f"purity_{name}_{key}",
            labels_true=labels,
            labels_pred=cluster_key,
        )
        result[f"purity_{name}"] = float(metrics["purity"])
    result["n_clusters"] = int(adata.obs[cluster_key].nunique())
    return result
