"""The cell bank: a few annotated archetype cells, their annotations and embeddings.

Built from k annotated cells of a field (:meth:`CellBank.from_annotations`): each
archetype keeps its patch, its mask, its point annotation (the centre) and its
orientation. Once embedded by a DiffeoInvariantNet, :meth:`CellBank.match` gives every
query its nearest archetype, the cosine score, and a cell-vs-background decision: a
query is a cell when its score clears the threshold *and* it is not closer, by more than
a margin, to a background example (off-centre windows around the annotated cells) than
to its archetype.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage

from morphospace.core.crops import crop, crop_cells
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace.diffkillr.diffeomorphisms import principal_axis

logger = logging.getLogger(__name__)


#: An annotated cell smaller than this share of the median annotated cell is a fragment.
MIN_AREA_SHARE = 0.25


def whole_cells(annotations: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The ``ids`` that make good archetypes: not cut by the field's border and not a
    fragment (smaller than ``MIN_AREA_SHARE`` of the median annotated cell). A cut or
    tiny archetype matches many windows with a mask too small to stitch, which floods
    the field with duplicates; left-out ids are logged. All ids are kept if none is whole.
    """
    areas = ndimage.sum_labels(np.ones(annotations.shape), annotations, ids)
    border = np.unique(
        np.concatenate([annotations[[0, -1]].ravel(), annotations[:, [0, -1]].ravel()])
    )
    keep = (areas >= MIN_AREA_SHARE * np.median(areas)) & ~np.isin(ids, border)
    if not keep.any():
        return ids
    if not keep.all():
        logger.warning(
            "cell bank: left out %d annotated cell(s) cut by the field's border or smaller "
            "than a quarter of the median annotated cell (ids %s)",
            int((~keep).sum()),
            ", ".join(map(str, ids[~keep][:10])),
        )
    return ids[keep]


@dataclass
class BankMatch:
    """Per query: nearest archetype, cosine score, best background score, decision."""

    index: np.ndarray
    score: np.ndarray
    background_score: np.ndarray
    is_cell: np.ndarray


@dataclass
class CellBank:
    """Archetype patches ``(K, C, P, P)`` with masks, centres and orientations."""

    patches: np.ndarray
    masks: np.ndarray  # (K, 1, P, P) 0/1
    centres: np.ndarray  # (K, 2) point annotation in patch coordinates
    orientations: np.ndarray  # (K,) radians
    labels: np.ndarray | None = None  # (K,) optional class of each archetype
    background: np.ndarray | None = None  # (B, C, P, P) off-centre windows
    embeddings: np.ndarray | None = None
    background_embeddings: np.ndarray | None = None
    threshold: float = 0.8
    background_margin: float = 0.1
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.patches = check_array(self.patches, name="cell bank patches", ndim=4, min_samples=0)
        if len(self.patches) == 0:
            raise InputError("the cell bank is empty: annotate at least one cell")
        k, _, h, w = self.patches.shape
        self.masks = check_array(self.masks, name="cell bank masks", ndim=4)
        if self.masks.shape != (k, 1, h, w):
            raise InputError(
                f"cell bank masks must have shape {(k, 1, h, w)} to match the patches, "
                f"found {self.masks.shape}"
            )
        self.centres = np.asarray(self.centres, dtype=float).reshape(k, 2)
        self.orientations = np.asarray(self.orientations, dtype=float).reshape(k)

    def __len__(self) -> int:
        return len(self.patches)

    @property
    def patch_size(self) -> int:
        return self.patches.shape[-1]

    @classmethod
    def from_annotations(
        cls,
        image: np.ndarray,
        annotations: np.ndarray,
        patch_size: int = 32,
        max_cells: int | None = None,
        orientations: dict[int, float] | None = None,
        background_per_cell: int = 4,
        seed: int = 0,
    ) -> CellBank:
        """A bank from a field ``image (C, H, W)`` and its instance annotations ``(H, W)``.

        Every non-zero id of ``annotations`` is one annotated cell; ids beyond
        ``max_cells`` are ignored. The orientation is the mask's principal axis unless
        given per id in ``orientations``.
        """
        image = check_array(image, name="image", ndim=3)
        annotations = check_array(annotations, name="annotations", ndim=2)
        if annotations.shape != image.shape[1:]:
            raise InputError(
                f"annotations of shape {annotations.shape} do not match the image's "
                f"spatial shape {image.shape[1:]}"
            )
        if annotations.dtype.kind == "f" and not np.all(annotations == np.round(annotations)):
            raise InputError("annotations must be integer instance ids (0 = not annotated)")
        annotations = annotations.astype(np.int64)
        ids = np.unique(annotations[annotations > 0])
        if len(ids) == 0:
            raise InputError("the cell bank is empty: the annotations contain no cell (all zeros)")
        ids = whole_cells(annotations, ids)
        ids = ids[:max_cells] if max_cells else ids
        cells = crop_cells(image, annotations, patch_size, ids=ids)
        centres = np.rint(cells.centroids).astype(int)
        patches, masks = cells.images, cells.masks
        orientation = np.array(
            [(orientations or {}).get(int(i), principal_axis(m[0])) for i, m in zip(ids, masks)]
        )
        c = (patch_size - 1) / 2
        local = np.array([ndimage.center_of_mass(m[0]) for m in masks]) if len(masks) else []
        rng = np.random.default_rng(seed)
        background = None
        if background_per_cell:
            n = background_per_cell * len(ids)
            angle = rng.uniform(0, 2 * np.pi, n)
            radius = rng.uniform(0.35, 0.55, n) * patch_size
            offsets = np.stack([np.sin(angle), np.cos(angle)], 1) * radius[:, None]
            background = crop(
                image, np.repeat(centres, background_per_cell, 0) + offsets, patch_size
            )
        bank = cls(
            patches=patches.astype(np.float32),
            masks=masks,
            centres=np.asarray(local, dtype=float).reshape(-1, 2)
            if len(local)
            else np.full((0, 2), c),
            orientations=orientation,
            labels=ids,
            background=None if background is None else background.astype(np.float32),
        )
        bank.extra["field_centres"] = centres
        return bank

    def training_set(self) -> tuple[np.ndarray, np.ndarray]:
        """Patches and classes to train the encoder: one class per archetype, one for background."""
        x, y = self.patches, np.arange(len(self))
        if self.background is not None and len(self.background):
            x = np.concatenate([x, self.background])
            y = np.concatenate([y, np.full(len(self.background), -1)])
        return x, y

    def embed(self, encoder) -> CellBank:
        """Embed archetypes (and background examples) with a fitted encoder."""
        self.embeddings = np.asarray(encoder.encode(self.patches))
        if self.background is not None and len(self.background):
            self.background_embeddings = np.asarray(encoder.encode(self.background))
        return self

    def match(self, embeddings: np.ndarray, threshold: float | None = None) -> BankMatch:
        """Nearest archetype of each query embedding, with a cell-vs-background decision."""
        if self.embeddings is None:
            raise InputError("the cell bank has no embeddings yet: call bank.embed(encoder) first")
        z = check_array(embeddings, name="query embeddings", ndim=2, min_samples=0)
        if z.shape[1] != self.embeddings.shape[1]:
            raise InputError(
                f"query embeddings have {z.shape[1]} dimensions, the bank's have "
                f"{self.embeddings.shape[1]}"
            )
        similarity = z @ self.embeddings.T
        index = similarity.argmax(1) if len(z) else np.zeros(0, dtype=int)
        score = similarity.max(1) if len(z) else np.zeros(0)
        if self.background_embeddings is not None:
            background = (z @ self.background_embeddings.T).max(1) if len(z) else np.zeros(0)
        else:
            background = np.full(len(z), -np.inf)
        threshold = self.threshold if threshold is None else threshold
        is_cell = (score >= threshold) & (score > background - self.background_margin)
        return BankMatch(index, score, background, is_cell)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        arrays = {k: v for k, v in vars(self).items() if isinstance(v, np.ndarray)}
        np.savez(path, threshold=self.threshold, background_margin=self.background_margin, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> CellBank:
        with np.load(path, allow_pickle=False) as data:
            values = {k: data[k] for k in data.files}
        values["threshold"] = float(values["threshold"])
        values["background_margin"] = float(values.get("background_margin", 0.1))
        return cls(**values)
