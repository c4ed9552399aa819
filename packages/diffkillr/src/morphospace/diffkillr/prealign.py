"""Non-learned pre-alignment: the best of the 8 flips/90-degree rotations of a patch.

Registration networks handle moderate deformations; a cell lying upside down or
mirrored relative to its archetype is easier to fix exactly by trying the eight
symmetries of the square (the dihedral group D4) and keeping the one with the highest
normalised cross-correlation or mutual information with the target. Each candidate is
also returned as an exact pull-back displacement field, so it composes with a
registration field (:func:`compose_with`).
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError
from morphospace.core.validation import check_array


def _dihedral(array: np.ndarray, index: int) -> np.ndarray:
    """Symmetry ``index`` (0..7) of the last two axes: ``index % 4`` quarter turns, then a flip."""
    out = np.rot90(array, index % 4, axes=(-2, -1))
    return np.flip(out, axis=-1) if index >= 4 else out


def dihedral_map(index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(A, b)`` with candidate(x) = original(A x + b), x as (row, col)."""
    rows, cols = np.indices((size, size))
    t_rows, t_cols = _dihedral(rows, index), _dihedral(cols, index)
    origin = np.array([t_rows[0, 0], t_cols[0, 0]], dtype=float)
    matrix = np.array(
        [
            [t_rows[1, 0] - origin[0], t_rows[0, 1] - origin[0]],
            [t_cols[1, 0] - origin[1], t_cols[0, 1] - origin[1]],
        ],
        dtype=float,
    )
    return matrix, origin


def candidate_field(index: int, size: int) -> np.ndarray:
    """The pull-back field ``(2, P, P)`` of symmetry ``index``."""
    rows, cols = np.indices((size, size))
    return np.stack([_dihedral(rows, index) - rows, _dihedral(cols, index) - cols]).astype(float)


def ncc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation of matching rows of two ``(N, ...)`` arrays."""
    a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(1, keepdims=True)
    b = b.reshape(len(b), -1) - b.reshape(len(b), -1).mean(1, keepdims=True)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


def mutual_information(a: np.ndarray, b: np.ndarray, bins: int = 16) -> np.ndarray:
    """Histogram mutual information (nats) of matching rows of two ``(N, ...)`` arrays."""
    out = np.empty(len(a))
    for i, (x, y) in enumerate(zip(a.reshape(len(a), -1), b.reshape(len(b), -1))):
        joint, _, _ = np.histogram2d(x, y, bins=bins)
        p = joint / joint.sum()
        px, py = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
        nz = p > 0
        out[i] = float((p[nz] * np.log(p[nz] / (px @ py)[nz])).sum())
    return out


def prealign(moving: np.ndarray, fixed: np.ndarray, metric: str = "ncc", flips: bool = True):
    """Choose, per pair, the symmetry of ``moving`` most similar to ``fixed``.

    ``flips=False`` tries the 4 rotations only (mirror images are then never matched,
    and the composed field stays orientation-preserving). Returns ``(aligned moving
    (N, C, P, P), chosen index (N,), scores (N, 8 or 4))``.
    """
    moving = check_array(moving, name="moving", ndim=4)
    fixed = check_array(fixed, name="fixed", ndim=4)
    if moving.shape != fixed.shape:
        raise InputError(f"moving {moving.shape} and fixed {fixed.shape} must have one shape")
    if moving.shape[2] != moving.shape[3]:
        raise InputError(f"pre-alignment needs square patches, found {moving.shape[2:]}")
    if metric not in ("ncc", "mi"):
        raise InputError(f"metric must be 'ncc' or 'mi', got {metric!r}")
    score = ncc if metric == "ncc" else mutual_information
    candidates = range(8 if flips else 4)
    scores = np.stack([score(_dihedral(moving, k), fixed) for k in candidates], axis=1)
    chosen = scores.argmax(1)
    aligned = np.stack([_dihedral(m, k) for m, k in zip(moving, chosen)])
    return aligned, chosen, scores


def apply(images: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Apply symmetry ``indices[i]`` to ``images[i]``."""
    return np.stack([_dihedral(m, int(k)) for m, k in zip(images, indices)])


def compose_with(indices: np.ndarray, fields: np.ndarray) -> np.ndarray:
    """Total pull-back field of symmetry ``indices[i]`` followed by ``fields[i]``.

    The registration field ``u`` maps the aligned moving image ``m(T x)`` onto the fixed
    one, so the total map is ``x -> T(x + u(x))`` and its field ``T(x + u(x)) - x``.
    """
    size = fields.shape[-1]
    rows, cols = np.indices(fields.shape[2:], dtype=float)
    out = np.empty_like(fields, dtype=float)
    for i, (k, u) in enumerate(zip(indices, fields)):
        matrix, origin = dihedral_map(int(k), size)
        y, x = rows + u[0], cols + u[1]
        out[i, 0] = matrix[0, 0] * y + matrix[0, 1] * x + origin[0] - rows
        out[i, 1] = matrix[1, 0] * y + matrix[1, 1] * x + origin[1] - cols
    return out
