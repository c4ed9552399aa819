"""The DiffKillR workflow as one component: ``diffkillr.annotator``.

``fit`` builds the cell bank from the user's annotated cells (an extra image channel
holding their instance ids, see :mod:`~morphospace.diffkillr.datasets`), trains a
DiffeoInvariantNet on the archetypes and off-centre background windows, and a
DiffeoMappingNet on the archetypes and their masks. ``segment`` annotates every field
and returns a :class:`~morphospace.core.Segmentation`: each field's propagated instance
map ``(N, 1, H, W)`` (a segmenter step stores it in ``obsm["<key>"]``, where
``diffkillr.counting`` and ``diffkillr.registration`` score it against the true masks)
and a ``cells`` table, one row per cell (propagated centre, orientation, matched
archetype, score, area), stored in ``uns["<key>"]["cells"]``. :meth:`Annotator.annotate`
gives the full :class:`FieldAnnotation` of one field (windows, warped masks, timings).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from morphospace.core import Segmentation, Segmenter
from morphospace.core.errors import InputError
from morphospace.core.figures import Figure, FigureContext
from morphospace.core.validation import check_array
from morphospace.diffkillr.cell_bank import CellBank
from morphospace.diffkillr.config import AnnotatorConfig
from morphospace.diffkillr.propagation import FieldAnnotation, annotate_field

BANK_FILE = "cell_bank.npz"
#: Patch side per cell diameter for ``patch_size: auto``: the smallest factor that gives
#: BBBC007's A9 p7d field (the tuning field of ``benchmarks/bench_real_nuclei.py``, never
#: a scored one) its best patch, 32 for nuclei 18.5 px across.
PATCH_PER_CELL = 1.3


def cell_table(annotations: list[FieldAnnotation]) -> pd.DataFrame:
    """One row per cell of the annotated fields (see :meth:`Annotator.segment`)."""
    frames = []
    for row, field in enumerate(annotations):
        area = np.bincount(field.labels.ravel(), minlength=len(field) + 1)[1:]
        frames.append(
            pd.DataFrame(
                {
                    "obs": np.full(len(field), row),
                    "cell": np.arange(1, len(field) + 1),
                    "y": field.centres[:, 0],
                    "x": field.centres[:, 1],
                    "orientation": field.orientations,
                    "archetype": field.archetypes,
                    "score": field.scores,
                    "area": area[: len(field)],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _segmentation(annotations: list[FieldAnnotation]) -> Segmentation:
    maps = np.stack([a.labels[None] for a in annotations]).astype(np.int32)
    return Segmentation(maps, {"cells": cell_table(annotations)})


def patch_size_for(annotations: np.ndarray) -> int:
    """The patch side for the cells annotated in ``annotations (N, 1, H, W)``: room for a
    typical cell and a ring of context, ``PATCH_PER_CELL`` times the median
    area-equivalent diameter of the cells (which, unlike a bounding box, does not grow
    when an elongated cell turns), rounded up to a multiple of 8 (the nets halve it three
    times), at least 16."""
    diameters = [
        2 * np.sqrt(area / np.pi)
        for annotation in annotations
        for area in np.bincount(np.asarray(annotation[0], dtype=np.int64).ravel())[1:]
        if area > 0
    ]
    if not diameters:
        raise InputError(
            "the cell bank is empty: no annotated cell in the annotation channel to size "
            "the patches from"
        )
    return max(16, 8 * int(np.ceil(PATCH_PER_CELL * np.median(diameters) / 8)))


class Annotator(Segmenter):
    """Bank from annotated cells -> both networks -> annotate whole fields."""

    Config = AnnotatorConfig

    def _split(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Image channels (float32) and the annotation channel; a dask array stays lazy."""
        if not hasattr(x, "chunks"):
            x = check_array(x, name="fields", ndim=4)
        elif x.ndim != 4:
            raise InputError(f"fields: expected a 4-D array (N, C, H, W), found shape {x.shape}")
        if x.shape[1] < 2:
            raise InputError(
                f"{self.name}: expected fields (N, C + 1, H, W) with the annotation channel "
                f"at {self.config.annotation_channel}, found {x.shape[1]} channel(s)"
            )
        channel = self.config.annotation_channel % x.shape[1]
        keep = [c for c in range(x.shape[1]) if c != channel]
        return x[:, keep].astype(np.float32), x[:, channel]

    def fit(self, x, y=None) -> Annotator:
        from morphospace.diffkillr.invariant_net import DiffeoInvariantNet
        from morphospace.diffkillr.mapping_net import DiffeoMappingNet

        images, annotations = self._split(x)
        c = self.config
        clock = time.perf_counter()
        patch = c.patch_size
        if patch == "auto":
            patch = patch_size_for(annotations[:, None])
        banks = []
        remaining = c.max_archetypes
        for image, annotation in zip(images, annotations):
            if remaining <= 0 or not (annotation > 0).any():
                continue
            bank = CellBank.from_annotations(
                image,
                annotation,
                int(patch),
                max_cells=remaining,
                background_per_cell=c.background_per_cell,
                seed=c.seed,
            )
            banks.append(bank)
            remaining -= len(bank)
        if not banks:
            raise InputError(
                f"{self.name}: the cell bank is empty: no annotated cell in the annotation "
                "channel of the fields it was fitted on"
            )
        bank = CellBank(
            patches=np.concatenate([b.patches for b in banks]),
            masks=np.concatenate([b.masks for b in banks]),
            centres=np.concatenate([b.centres for b in banks]),
            orientations=np.concatenate([b.orientations for b in banks]),
            background=np.concatenate([b.background for b in banks if b.background is not None])
            if c.background_per_cell
            else None,
            threshold=c.score_threshold,
            background_margin=c.background_margin,
        )
        x_train, y_train = bank.training_set()
        invariant, mapping = c.net_configs(int(patch))
        seconds = {"cell bank": time.perf_counter() - clock}
        clock = time.perf_counter()
        self.invariant_net_ = DiffeoInvariantNet(config=invariant).fit(x_train, y_train)
        seconds["invariant net"] = time.perf_counter() - clock
        clock = time.perf_counter()
        self.mapping_net_ = DiffeoMappingNet(config=mapping).fit(bank.patches, bank.masks)
        seconds["mapping net"] = time.perf_counter() - clock
        clock = time.perf_counter()
        self.bank_ = bank.embed(self.invariant_net_)
        seconds["embed the bank"] = time.perf_counter() - clock
        self.fit_seconds_ = seconds  # where the fit went, per stage (not saved)
        return self

    @property
    def patch_size_(self) -> int:
        """The patch side in use: ``patch_size``, or what ``auto`` chose at fit."""
        self.check_is_fitted()
        return self.bank_.patch_size

    def annotate(self, image: np.ndarray) -> FieldAnnotation:
        """Annotate one field ``(C, H, W)`` (image channels only)."""
        self.check_is_fitted()
        c = self.config
        return annotate_field(
            image,
            self.bank_,
            self.invariant_net_,
            self.mapping_net_,
            stride=c.stride,
            threshold=c.score_threshold,
            nms_distance=c.nms_distance,
            max_overlap=c.max_overlap,
            min_mask_fill=c.min_mask_fill,
            max_cells=c.max_cells,
            prefilter=c.prefilter,
        )

    def segment(self, x) -> Segmentation:
        """Each field's propagated instance map ``(N, 1, H, W)`` and the ``cells`` table.

        ``cells`` columns: ``obs`` (the field's row), ``cell`` (its id in the instance
        map), ``y``, ``x`` (the propagated centre), ``orientation`` (radians, modulo
        pi), ``archetype`` (index in the bank), ``score`` (cosine score of the match)
        and ``area`` (pixels of the stitched mask).
        """
        self.check_is_fitted()
        images, _ = self._split(x)
        return _segmentation([self.annotate(image) for image in images])

    def segment_on_cluster(self, x, client) -> Segmentation:
        """:meth:`segment`, each field annotated tile by tile on ``client``'s cluster
        (:func:`~morphospace.diffkillr.chunked_annotation.annotate_in_chunks`)."""
        from morphospace.diffkillr.chunked_annotation import annotate_in_chunks

        self.check_is_fitted()
        images, _ = self._split(x)  # a lazy field stays on disk until its tiles are read
        annotations = [annotate_in_chunks(self, image, client) for image in images]
        painted = client.compute([a.labels for a in annotations], sync=True)
        for annotation, labels in zip(annotations, painted, strict=True):
            annotation.labels = labels
        return _segmentation(annotations)

    # ------------------------------------------------------------------ report
    def report_figures(self, context: FigureContext) -> list[Figure]:
        """The last field, annotated again (one field: cheap), with its propagation."""
        from morphospace.diffkillr.figures import field_figure, propagation_figure

        record = context.record
        if not self.is_fitted() or record is None or record.use_rep not in context.adata.obsm:
            return []
        images, _ = self._split(np.asarray(context.adata.obsm[record.use_rep][-1:]))
        annotation = self.annotate(images[0])
        return [
            (
                "DiffKillR: archetype, query, warped mask",
                propagation_figure(self.bank_, images[0], annotation),
            ),
            ("DiffKillR: field with propagated masks", field_figure(images[0], annotation)),
        ]

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        if not self.is_fitted():
            return
        self.invariant_net_.save(directory / "invariant_net")
        self.mapping_net_.save(directory / "mapping_net")
        self.bank_.save(directory / BANK_FILE)

    def _load_state(self, directory: Path) -> None:
        from morphospace.diffkillr.invariant_net import DiffeoInvariantNet
        from morphospace.diffkillr.mapping_net import DiffeoMappingNet

        if not (directory / BANK_FILE).exists():
            return
        self.invariant_net_ = DiffeoInvariantNet.load(directory / "invariant_net")
        self.mapping_net_ = DiffeoMappingNet.load(directory / "mapping_net")
        self.bank_ = CellBank.load(directory / BANK_FILE)
