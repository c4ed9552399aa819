"""Datasets of the phendiff plugin as AnnData.

Images in ``obsm["image"]`` ``(N, C, H, W)`` float32 in [0, 1], the condition of each
image in the categorical ``obs["condition"]``, a boolean ``obs["train"]`` split
(stratified by condition) and the parameters in ``uns[<dataset name>]``.
"""

from __future__ import annotations


def synthetic_doses(
    n_per_condition: int = 100,
    image_size: int = 64,
    compounds: int = 2,
    n_doses: int = 4,
    train_fraction: float = 0.8,
    seed: int = 0,
):
    """Synthetic two-channel cells (cytoplasm + nucleus, Golgi-like spots) treated with
    ``compounds`` compounds (A fragments the Golgi, B contracts the cytoplasm, C does half
    of each) at ``n_doses`` half-log doses ending at 3.0, plus untreated cells.

    ``obs``: ``condition`` (categorical: ``"untreated"``, ``"A_0.1"``, ... ``"B_3.0"``),
    ``compound`` (categorical, ``"untreated"`` for controls), ``dose`` (0 for controls),
    ``train``, the ground truth ``golgi_fragments`` and ``cytoplasm_area`` (pixels), and
    the nuisance ``cell_radius``, ``elongation``, ``orientation``, ``brightness``. The top
    dose loses 20% of its cells to toxicity. ``uns["synthetic_doses"]`` holds the params
    and the true dose-response of each compound.
    """
    import anndata
    import pandas as pd

    from morphospace.phendiff.synthetic_doses import UNTREATED, generate

    images, columns, info = generate(
        n_per_condition=n_per_condition,
        image_size=image_size,
        compounds=compounds,
        n_doses=n_doses,
        train_fraction=train_fraction,
        seed=seed,
    )
    obs = pd.DataFrame(columns, index=[f"cell{i}" for i in range(len(images))])
    obs["condition"] = pd.Categorical(obs["condition"], categories=info["conditions"])
    obs["compound"] = pd.Categorical(
        obs["compound"], categories=[UNTREATED, *info["dose_response"]]
    )
    adata = anndata.AnnData(obs=obs)
    adata.obsm["image"] = images
    adata.uns["synthetic_doses"] = info
    return adata
