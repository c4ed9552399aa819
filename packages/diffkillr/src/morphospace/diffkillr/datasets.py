"""Datasets as AnnData: synthetic fields and cells with ground truth, and real images
that ship with scikit-image (``immunohistochemistry``, ``cell``; nothing is downloaded).

Fields are observations with ``obsm["image"]`` ``(N, 1, H, W)``; the user's sparse
annotations ride in ``obsm["annotated_image"]`` ``(N, 2, H, W)`` (channel 0 the image,
channel 1 the instance ids of the annotated cells, 0 elsewhere), which is what the
``diffkillr.annotator`` workflow reads. Synthetic fields also carry the full
ground truth in ``obsm["mask"]`` and per-cell tables in ``uns["cells"]``.
"""

from __future__ import annotations

import anndata
import numpy as np
import pandas as pd

from morphospace.diffkillr.synthetic_fields import ARCHETYPES, make_field, render_cell


def _annotate_first(labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.where(np.isin(labels, ids), labels, 0).astype(np.float32)


def synthetic_fields(
    n_fields: int = 3,
    size: int = 128,
    n_cells: int = 30,
    n_annotated: int = 8,
    annotated_fields: int = 1,
    n_archetypes: int = 4,
    seed: int = 0,
) -> anndata.AnnData:
    """Dense synthetic fields; ``n_annotated`` cells of the first ``annotated_fields`` annotated."""
    rng = np.random.default_rng(seed)
    images, masks, annotated, counts, cells = [], [], [], [], []
    for i in range(n_fields):
        f = make_field(size, size, n_cells, archetypes=ARCHETYPES[:n_archetypes], seed=rng)
        images.append(f.image[None])
        masks.append(f.labels[None])
        chosen = rng.permutation(np.arange(1, len(f.centres) + 1))[:n_annotated]
        user = _annotate_first(f.labels, chosen) if i < annotated_fields else np.zeros_like(f.image)
        annotated.append(np.stack([f.image, user]))
        counts.append(len(f.centres))
        cells.append(
            pd.DataFrame(
                {
                    "field": i,
                    "row": f.centres[:, 0],
                    "col": f.centres[:, 1],
                    "orientation": f.orientations,
                    "cell_type": np.asarray(ARCHETYPES)[f.cell_types],
                }
            )
        )
    obs = pd.DataFrame(
        {"annotated": np.arange(n_fields) < annotated_fields, "n_cells": counts},
        index=[f"field{i}" for i in range(n_fields)],
    )
    adata = anndata.AnnData(obs=obs)
    adata.obsm["image"] = np.stack(images).astype(np.float32)
    adata.obsm["mask"] = np.stack(masks).astype(np.int32)
    adata.obsm["annotated_image"] = np.stack(annotated).astype(np.float32)
    table = pd.concat(cells, ignore_index=True)
    adata.uns["cells"] = {c: table[c].to_numpy() for c in table.columns}
    return adata


def synthetic_cells(
    n_archetypes: int = 4,
    n_queries: int = 120,
    patch_size: int = 32,
    mode: str = "augmented",
    noise: float = 0.04,
    seed: int = 0,
) -> anndata.AnnData:
    """Cell patches: one bank cell per archetype plus query cells.

    ``mode="augmented"``: queries are random diffeomorphisms of the bank cells (the
    paper's matching protocol), and ``obsm["displacement"]`` holds each true field from
    the archetype to the query. ``mode="instances"``: queries are other cells of the
    same archetype shape (different size, angle and texture). ``obsm["archetype_image"]``
    and ``obsm["archetype_mask"]`` hold each cell's own archetype (for registration).
    """
    from morphospace.diffkillr.diffeomorphisms import DiffeomorphismSampler

    if mode not in ("augmented", "instances"):
        raise ValueError(f"mode must be 'augmented' or 'instances', got {mode!r}")
    rng = np.random.default_rng(seed)
    kinds = ARCHETYPES[:n_archetypes]
    rendered = [render_cell(k, rng.uniform(0, np.pi), 1.0, rng, patch_size) for k in kinds]
    bank = np.stack([a[None] for a, _ in rendered]).astype(np.float32)
    bank_masks = np.stack([m[None] for _, m in rendered]).astype(np.int32)
    types = rng.integers(n_archetypes, size=n_queries)
    if mode == "augmented":
        batch = DiffeomorphismSampler()(bank[types], bank_masks[types], rng)
        queries, query_masks, fields = batch.images, batch.labels, batch.fields
    else:
        cells = [
            render_cell(kinds[t], rng.uniform(0, np.pi), rng.uniform(0.85, 1.1), rng, patch_size)
            for t in types
        ]
        queries = np.stack([a[None] for a, _ in cells])
        query_masks = np.stack([m[None] for _, m in cells]).astype(np.int32)
        fields = None
    queries = queries + rng.normal(0, noise, queries.shape)
    all_types = np.concatenate([np.arange(n_archetypes), types])
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical(np.asarray(kinds)[all_types]),
            "bank": np.arange(len(all_types)) < n_archetypes,
        },
        index=[f"cell{i}" for i in range(len(all_types))],
    )
    adata = anndata.AnnData(obs=obs)
    adata.obsm["image"] = np.concatenate([bank, queries]).astype(np.float32)
    adata.obsm["mask"] = np.concatenate([bank_masks, query_masks]).astype(np.int32)
    adata.obsm["archetype_image"] = bank[all_types]
    adata.obsm["archetype_mask"] = bank_masks[all_types]
    if fields is not None:
        identity = np.zeros((n_archetypes, 2, patch_size, patch_size))
        adata.obsm["displacement"] = np.concatenate([identity, fields]).astype(np.float32)
    return adata


def _nuclei_annotations(channel: np.ndarray, n_annotated: int, seed: int) -> np.ndarray:
    """Stand-in for a user's annotations: ``n_annotated`` well-separated nuclei (Otsu + size)."""
    from skimage import filters, measure

    smooth = filters.gaussian(channel, 1.0)
    labels = measure.label(smooth > filters.threshold_otsu(smooth))
    regions = [r for r in measure.regionprops(labels) if 40 <= r.area <= 800 and r.solidity > 0.8]
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(regions))[:n_annotated]
    out = np.zeros(channel.shape, dtype=np.float32)
    for new, index in enumerate(chosen, 1):
        out[labels == regions[index].label] = new
    return out


def _field_adata(image: np.ndarray, size: int, n_annotated: int, seed: int, name: str):
    """Two ``size`` crops of ``image``: the top-left one annotated, the bottom-right one not."""
    crops = [image[:size, :size], image[-size:, -size:]]
    annotations = [_nuclei_annotations(crops[0], n_annotated, seed), np.zeros_like(crops[1])]
    obs = pd.DataFrame({"annotated": [True, False]}, index=[f"{name}_0", f"{name}_1"])
    adata = anndata.AnnData(obs=obs)
    adata.obsm["image"] = np.stack(crops)[:, None].astype(np.float32)
    adata.obsm["annotated_image"] = np.stack(
        [np.stack([c, a]) for c, a in zip(crops, annotations)]
    ).astype(np.float32)
    return adata


def immunohistochemistry(size: int = 256, n_annotated: int = 8, seed: int = 0) -> anndata.AnnData:
    """The hematoxylin channel (nuclei) of scikit-image's bundled IHC image, two fields."""
    from skimage import color, data

    channel = color.rgb2hed(data.immunohistochemistry())[..., 0]
    channel = (channel - channel.min()) / (np.ptp(channel) or 1.0)
    return _field_adata(channel, size, n_annotated, seed, "ihc")


def cell(size: int = 256, n_annotated: int = 8, seed: int = 0) -> anndata.AnnData:
    """scikit-image's bundled bright-field ``cell`` image, two fields."""
    from skimage import data

    return _field_adata(data.cell().astype(np.float32) / 255.0, size, n_annotated, seed, "cell")
