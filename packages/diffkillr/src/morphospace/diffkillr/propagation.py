"""Annotation propagation: warp an archetype's mask, points and orientation onto a cell.

With the deformation ``u`` that warps the archetype (moving) onto the cell (fixed),
``cell(x) ~ archetype(x + u(x))``:

- masks (any pixel label) are pulled back with nearest interpolation;
- a point ``p`` of the archetype lands at the ``q`` solving ``q + u(q) = p``;
- an axis ``d`` at ``p`` turns into ``(I + grad u(q))^-1 d``.

:func:`annotate_field` runs the whole method on a field: sliding-window detection
(cosine score to the bank, score filter, a check that the window's object fills the
matched archetype's mask, non-maximum suppression), matching, registration and stitching
of the warped masks into one instance map.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from morphospace.core.crops import crop
from morphospace.core.deformation import Deformation
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace.diffkillr.cell_bank import CellBank
from morphospace.diffkillr.foreground import foreground_threshold, smoothed

logger = logging.getLogger(__name__)


def propagate_masks(masks: np.ndarray, deformation: Deformation) -> np.ndarray:
    """Archetype label maps ``(N, 1, P, P)`` as they lie on the cells (nearest)."""
    return deformation.warp(masks, interpolation="nearest")


def _sample(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``field (2, H, W)`` at ``points (K, 2)``."""
    coords = points.T
    return np.stack([ndimage.map_coordinates(c, coords, order=1, mode="nearest") for c in field], 1)


def _jacobian(u: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jacobian ``I + grad u`` of ``x -> x + u(x)`` at one point ``q``."""
    gradient = np.stack(np.gradient(u, axis=(1, 2)), axis=1)  # (2 components, 2 axes, H, W)
    return np.eye(2) + _sample(gradient.reshape(4, *u.shape[1:]), q[None])[0].reshape(2, 2)


def propagate_points(
    points: np.ndarray, deformation: Deformation, iterations: int = 5
) -> np.ndarray:
    """Move archetype points ``(N, K, 2)`` (or ``(N, 2)``) onto the cells.

    Solves ``q + u(q) = p``: start from the grid pixel whose image is closest to ``p``
    (robust to large rotations, where fixed-point iteration diverges), then refine
    with Newton steps.
    """
    points = np.asarray(points, dtype=float)
    single = points.ndim == 2
    points = points[:, None] if single else points
    if len(points) != len(deformation):
        raise InputError(f"{len(points)} point sets for {len(deformation)} deformations")
    height, width = deformation.shape
    grid = np.stack(np.indices((height, width), dtype=float))
    out = points.copy()
    for n, u in enumerate(deformation.field):
        image = (grid + u).reshape(2, -1)
        for k, p in enumerate(points[n]):
            start = int(np.argmin(((image - p[:, None]) ** 2).sum(0)))
            q = np.array(divmod(start, width), dtype=float)
            for _ in range(iterations):
                residual = q + _sample(u, q[None])[0] - p
                if np.abs(residual).max() < 1e-3:
                    break
                try:
                    q = q - np.linalg.solve(_jacobian(u, q), residual)
                except np.linalg.LinAlgError:
                    break
            out[n, k] = q
    return out[:, 0] if single else out


def propagate_orientations(
    angles: np.ndarray, points: np.ndarray, deformation: Deformation
) -> tuple[np.ndarray, np.ndarray]:
    """Turn archetype axes ``angles (N,)`` anchored at ``points (N, 2)``; return (angles, points).

    Angles are ``atan2(d_row, d_col)``, returned modulo pi.
    """
    angles = np.asarray(angles, dtype=float)
    mapped = propagate_points(np.asarray(points, dtype=float), deformation)
    out = np.empty(len(angles))
    for n, (theta, q) in enumerate(zip(angles, mapped)):
        d = np.linalg.solve(_jacobian(deformation.field[n], q), [np.sin(theta), np.cos(theta)])
        out[n] = np.arctan2(d[0], d[1]) % np.pi
    return out, mapped


# ---------------------------------------------------------------------- detection
def window_centres(box: tuple[slice, slice], stride: int) -> np.ndarray:
    """Centres ``(M, 2)`` of the field's windows (a ``stride`` grid from pixel 0) that lie
    in ``box``, row-major."""
    rows, cols = (np.arange(-(-b.start // stride) * stride, b.stop, stride) for b in box)
    return np.stack(np.meshgrid(rows, cols, indexing="ij"), -1).reshape(-1, 2)


@dataclass
class Candidates:
    """Windows that score as a cell, in the order their centres were given."""

    embedded: np.ndarray  # (M, 2) centres of the windows embedded (past the prefilter)
    centres: np.ndarray  # (C, 2) centres of the windows scoring as a cell
    scores: np.ndarray  # (C,) cosine score to the nearest archetype
    archetypes: np.ndarray  # (C,) index of that archetype in the bank
    mask_fill: np.ndarray  # (C,) how much of that archetype's mask the window's object fills


def find_candidates(
    image: np.ndarray,
    centres: np.ndarray,
    bank: CellBank,
    encoder,
    *,
    fill: float,
    foreground: float | None,
    threshold: float | None,
) -> Candidates:
    """Embed the windows of ``image (C, H, W)`` at ``centres`` and keep those matching an
    archetype, with the :func:`mask_fill` of its mask (``fill`` is the background). With
    ``foreground`` (a threshold of :func:`smoothed`), only windows centred above it are
    embedded. Reads ``image`` within half a patch (and :data:`SMOOTHING_RADIUS`) of the
    centres, and ``fill`` past its border: a tile with that halo gives the same
    candidates as the whole field."""
    if foreground is not None:
        inside = smoothed(image)[centres[:, 0], centres[:, 1]] > foreground
        centres = centres[inside]
    if len(centres) == 0:  # nothing in the foreground: no window to embed
        return Candidates(centres, centres, np.zeros(0), np.zeros(0, dtype=int), np.zeros(0))
    match = bank.match(encoder.encode(crop(image, centres, bank.patch_size, fill=fill)), threshold)
    cells = np.flatnonzero(match.is_cell)
    index = match.index[cells]
    filled = mask_fill(image, centres[cells], bank.masks[index], background=fill)
    return Candidates(centres, centres[cells], match.score[cells], index, filled)


def mask_fill(
    image: np.ndarray, centres: np.ndarray, masks: np.ndarray, *, background: float
) -> np.ndarray:
    """How much of each mask ``(K, 1, P, P)`` centred on ``centres`` the object under it
    fills: the share of the mask's pixels (within the field) brighter than halfway
    between ``background`` and the mask's mean (channel mean of ``image``).

    With the mask of the archetype a window matched, this tells a cell from debris: a
    cell fills the mask of a cell like it, while a speck or fibre that matched a
    cell-sized archetype puts its brightness in a small part of the mask and leaves the
    rest near the background. The level is relative to each window's own brightness, so
    dim cells pass as bright ones do. Reads ``image`` within half a patch of the centres.
    """
    if len(centres) == 0:
        return np.zeros(0)
    brightness = image.mean(0, keepdims=True, dtype=np.float64)
    windows = crop(brightness, centres, masks.shape[-1], fill=np.nan)[:, 0]
    inside = (masks[:, 0] > 0) & ~np.isnan(windows)  # the mask's pixels on the field
    area = np.maximum(inside.sum((1, 2)), 1)
    mean = np.where(inside, windows, 0).sum((1, 2)) / area
    level = (background + mean) / 2
    bright = np.where(inside, windows, -np.inf) > level[:, None, None]
    return bright.sum((1, 2)) / area


def register_detections(
    image: np.ndarray,
    centres: np.ndarray,
    archetypes: np.ndarray,
    bank: CellBank,
    registrar,
    *,
    fill: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Register each detection's archetype onto its window and carry the annotations
    over: warped masks ``(K, 1, P, P)``, orientations ``(K,)`` and points ``(K, 2)`` in
    window coordinates."""
    size = bank.patch_size
    if len(centres) == 0:
        empty = np.zeros((0, 1, size, size), dtype=bank.masks.dtype)
        return empty, np.zeros(0), np.zeros((0, 2))
    queries = crop(image, centres, size, fill=fill)
    deformation = registrar.register(bank.patches[archetypes], queries)
    warped = propagate_masks(bank.masks[archetypes], deformation)
    orient, points = propagate_orientations(
        bank.orientations[archetypes], bank.centres[archetypes], deformation
    )
    return warped, orient, points


def non_maximum_suppression(
    centres: np.ndarray, scores: np.ndarray, min_distance: float
) -> np.ndarray:
    """Indices (into the inputs) of the detections kept, best first.

    A detection is kept unless a better-scoring *kept* one lies within ``min_distance``.
    Unlike the original implementation, nothing is removed from a list while it is
    iterated, and every score is read through the detection's own index.
    """
    centres = np.asarray(centres, dtype=float).reshape(-1, 2)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if len(centres) != len(scores):
        raise InputError(f"{len(centres)} centres but {len(scores)} scores")
    order = np.argsort(-scores, kind="stable")
    suppressed = np.zeros(len(scores), dtype=bool)
    keep = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        close = ((centres - centres[i]) ** 2).sum(1) < min_distance**2
        suppressed |= close
    return np.asarray(keep, dtype=int)


def _window_origin(centres: np.ndarray, size: int) -> np.ndarray:
    """The top-left field pixel of each ``size`` window centred on ``centres``."""
    return np.rint(np.asarray(centres, dtype=float)).astype(int).reshape(-1, 2) - size // 2


def stitch_decisions(
    masks: np.ndarray,
    centres: np.ndarray,
    order: np.ndarray | None = None,
    max_overlap: float = 1.0,
    points: np.ndarray | None = None,
) -> np.ndarray:
    """Which of the masks ``(K, 1, P, P)`` centred on ``centres`` to keep, pasting them
    in ``order`` (best first): a mask of which more than ``max_overlap`` is already
    claimed by masks kept before it is a second detection of a cell already pasted and
    is left out. So is, given ``points`` ``(K, 2)`` (each cell's propagated centre, in
    its window), a detection whose centre lands on a claimed pixel: a cell's centre lies
    in its own mask, so that one is a second detection, however little its mask
    overlaps (two windows on the ends of one elongated cell). This is non-maximum
    suppression by mask overlap, which tells duplicates from touching cells where a
    centre distance cannot. Returns the kept indices in order; :func:`paint_box` draws
    them.

    No map of the field is needed: the pixels claimed so far are held in blocks of the
    mask's size, only where masks lie (memory grows with the cells, not the field)."""
    size = masks.shape[-1]
    origins = _window_origin(centres, size)
    order = np.arange(len(masks)) if order is None else np.asarray(order)
    claimed: dict[tuple[int, int], np.ndarray] = {}
    kept = []
    for k in order:
        (r, c), mask = origins[k], masks[k, 0] > 0
        top, left = r // size, c // size  # the 2 x 2 blocks the window touches
        canvas = np.zeros((2 * size, 2 * size), dtype=bool)
        for i, j in np.ndindex(2, 2):
            block = claimed.get((top + i, left + j))
            if block is not None:
                canvas[i * size : (i + 1) * size, j * size : (j + 1) * size] = block
        dr, dc = r - top * size, c - left * size
        window = canvas[dr : dr + size, dc : dc + size]
        free = mask & ~window
        if not free.any() or free.sum() < (1 - max_overlap) * mask.sum():
            continue
        if points is not None:
            centre = np.clip(np.rint(points[k]), 0, size - 1).astype(int)
            if window[centre[0], centre[1]]:
                continue
        kept.append(k)
        window |= mask
        for i, j in np.ndindex(2, 2):
            claimed[(top + i, left + j)] = canvas[
                i * size : (i + 1) * size, j * size : (j + 1) * size
            ].copy()
    return np.asarray(kept, dtype=int)


def paint_box(box: tuple[slice, slice], masks: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The instance map of the field's pixels in ``box``: masks ``(K, 1, P, P)`` (already
    the kept ones, best first) painted with ids ``1..K``, each pixel keeping the first.
    A box of the field gives the same pixels as the whole field's map."""
    size = masks.shape[-1] if len(masks) else 1
    (r0, r1), (c0, c1) = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
    labels = np.zeros((r1 - r0, c1 - c0), dtype=np.int32)
    origins = _window_origin(centres, size)
    near = np.flatnonzero(
        (origins[:, 0] < r1)
        & (origins[:, 0] + size > r0)
        & (origins[:, 1] < c1)
        & (origins[:, 1] + size > c0)
    )
    for k in near:
        r, c = origins[k]
        rows = slice(max(r, r0), min(r + size, r1))
        cols = slice(max(c, c0), min(c + size, c1))
        mask = masks[k, 0, rows.start - r : rows.stop - r, cols.start - c : cols.stop - c] > 0
        target = labels[rows.start - r0 : rows.stop - r0, cols.start - c0 : cols.stop - c0]
        target[mask & (target == 0)] = k + 1
    return labels


@dataclass
class FieldAnnotation:
    """The annotation of one field."""

    labels: np.ndarray  # (H, W) instance map, 0 = background (lazy from annotate_in_chunks)
    centres: np.ndarray  # (K, 2) propagated point annotations, field coordinates
    orientations: np.ndarray  # (K,) radians, modulo pi
    archetypes: np.ndarray  # (K,) matched archetype index
    scores: np.ndarray  # (K,) cosine score of the match
    windows: np.ndarray  # (K, 2) window centres
    warped_masks: np.ndarray  # (K, 1, P, P)
    timings: dict[str, float] = field(default_factory=dict)
    # what each detection stage passed on, to see where cells are lost
    embedded_windows: np.ndarray | None = None  # (M, 2) centres of the windows embedded
    candidate_windows: np.ndarray | None = None  # (C, 2) those scoring as a cell, before NMS
    candidate_scores: np.ndarray | None = None  # (C,)
    candidate_mask_fill: np.ndarray | None = None  # (C,) of the matched archetype's mask
    nms_windows: np.ndarray | None = None  # (K0, 2) filling their mask and kept by NMS

    def __len__(self) -> int:
        return len(self.centres)


def check_field(image, bank: CellBank):
    """``image`` as a field ``(C, H, W)`` with the bank's channels, or a clear error."""
    if not hasattr(image, "chunks"):  # a dask array stays lazy
        image = check_array(image, name="field image", ndim=3)
    if image.ndim != 3:
        raise InputError(f"field image: expected (C, H, W), found shape {tuple(image.shape)}")
    if image.shape[0] != bank.patches.shape[1]:
        raise InputError(
            f"the field has {image.shape[0]} channel(s), the cell bank's patches "
            f"{bank.patches.shape[1]}"
        )
    return image


def annotate_field(
    image: np.ndarray,
    bank: CellBank,
    encoder,
    registrar,
    *,
    stride: int = 4,
    threshold: float | None = None,
    nms_distance: float | None = None,
    max_cells: int = 2000,
    prefilter: str = "otsu",
    max_overlap: float = 0.5,
    min_mask_fill: float = 0.4,
) -> FieldAnnotation:
    """Detect, match, register and stitch every cell of ``image (C, H, W)``.

    A window matching an archetype is a cell when its object fills at least
    ``min_mask_fill`` of that archetype's mask (:func:`mask_fill`; debris does not).
    Detections closer than ``nms_distance`` (a fraction of the patch) to a better one
    are dropped before registration; after it, a detection whose warped mask lies more
    than ``max_overlap`` on better cells already pasted, or whose propagated centre
    lands on one, is dropped too.

    ``prefilter="otsu"`` embeds only the windows whose centre lies in the foreground of
    the smoothed image (Otsu threshold), which skips most of the background cheaply;
    ``"none"`` embeds every window.
    """
    image = check_field(image, bank)
    if prefilter not in ("otsu", "none"):
        raise InputError(f"prefilter must be 'otsu' or 'none', got {prefilter!r}")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    fill = float(np.median(image))
    foreground = foreground_threshold(smoothed(image)) if prefilter == "otsu" else None
    found = find_candidates(
        image,
        window_centres((slice(0, image.shape[1]), slice(0, image.shape[2])), stride),
        bank,
        encoder,
        fill=fill,
        foreground=foreground,
        threshold=threshold,
    )
    timings["detect: embed, match, mask fill"] = time.perf_counter() - t
    t = time.perf_counter()
    kept = select_detections(found, bank.patch_size, nms_distance, max_cells, min_mask_fill)
    timings["detect: NMS"] = time.perf_counter() - t
    t = time.perf_counter()
    warped, orient, points = register_detections(
        image, found.centres[kept], found.archetypes[kept], bank, registrar, fill=fill
    )
    timings["register"] = time.perf_counter() - t
    t = time.perf_counter()
    result = assemble(
        image.shape[1:], found, kept, warped, orient, points, bank.patch_size, max_overlap
    )
    timings["stitch"] = time.perf_counter() - t
    result.timings = timings
    return result


def select_detections(
    found: Candidates,
    size: int,
    nms_distance: float | None,
    max_cells: int,
    min_mask_fill: float,
) -> np.ndarray:
    """Indices into ``found``'s candidates that fill at least ``min_mask_fill`` of their
    archetype's mask and survive non-maximum suppression at ``nms_distance`` patches
    (default 0.35), best first, at most ``max_cells``."""
    solid = np.flatnonzero(found.mask_fill >= min_mask_fill)
    distance = (nms_distance or 0.35) * size
    keep = solid[non_maximum_suppression(found.centres[solid], found.scores[solid], distance)]
    if len(keep) > max_cells:
        logger.warning(
            "%d cells detected in one field, only the best %d (max_cells) are kept; raise "
            "max_cells for a larger field",
            len(keep),
            max_cells,
        )
    return keep[:max_cells]


def assemble(
    shape: tuple[int, int],
    found: Candidates,
    kept: np.ndarray,
    warped: np.ndarray,
    orient: np.ndarray,
    points: np.ndarray,
    size: int,
    max_overlap: float,
    paint=None,
) -> FieldAnnotation:
    """Stitch the registered detections ``kept`` (best first) into the field's annotation.

    ``paint(masks, centres)`` draws the label map of the stitched masks; by default
    :func:`paint_box` of the whole field (the tiled annotator paints tile by tile)."""
    centres = found.centres[kept]
    unique = stitch_decisions(warped, centres, max_overlap=max_overlap, points=points)
    if paint is None:
        whole = (slice(0, shape[0]), slice(0, shape[1]))
        labels = paint_box(whole, warped[unique], centres[unique])
    else:
        labels = paint(warped[unique], centres[unique])
    final = kept[unique]
    return FieldAnnotation(
        labels=labels,
        centres=(points + centres - size // 2)[unique],
        orientations=orient[unique],
        archetypes=found.archetypes[final],
        scores=found.scores[final],
        windows=found.centres[final],
        warped_masks=warped[unique],
        embedded_windows=found.embedded,
        candidate_windows=found.centres,
        candidate_scores=found.scores,
        candidate_mask_fill=found.mask_fill,
        nms_windows=centres,
    )
