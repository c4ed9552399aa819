"""Input checks shared by every component, with messages that say what was expected.

Nothing here coerces silently: a wrong rank, channel count, NaN/inf, an empty input
or labels of the wrong length raise :class:`~morphospace.core.errors.InputError`.
Torch tensors and array-likes are accepted and returned as numpy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.errors import InputError

_SHAPES = {
    2: "(n_samples, n_features)",
    4: "(n_samples, channels, height, width)",
    5: "(n_samples, channels, depth, height, width)",
}


def _to_numpy(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except Exception as exc:
        raise InputError(f"{name}: expected an array, found {type(x).__name__} ({exc})") from None


def check_array(
    x: Any,
    *,
    name: str = "x",
    ndim: int | tuple[int, ...] | None = None,
    min_samples: int = 1,
    channels: int | None = None,
    allow_nonfinite: bool = False,
    numeric: bool = True,
) -> np.ndarray:
    """Return ``x`` as a numpy array after checking rank, size, channels and finiteness.

    ``ndim`` may be one rank or several; ``channels`` checks axis 1 (images/volumes).
    """
    array = _to_numpy(x, name)
    if ndim is not None:
        ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in ranks:
            expected = " or ".join(
                f"a {r}-D array {_SHAPES[r]}" if r in _SHAPES else f"a {r}-D array" for r in ranks
            )
            raise InputError(f"{name}: expected {expected}, found shape {array.shape}")
    if array.ndim == 0 or array.shape[0] < min_samples:
        found = 0 if array.ndim == 0 else array.shape[0]
        raise InputError(f"{name}: expected at least {min_samples} sample(s), found {found}")
    if array.size == 0:
        raise InputError(f"{name}: is empty (shape {array.shape})")
    if channels is not None and array.shape[1] != channels:
        raise InputError(
            f"{name}: expected {channels} channel(s) on axis 1, found {array.shape[1]} "
            f"(shape {array.shape})"
        )
    if numeric:
        if array.dtype.kind not in "biuf":
            raise InputError(f"{name}: expected numbers, found dtype {array.dtype}")
        if not allow_nonfinite and array.dtype.kind == "f":
            finite = np.isfinite(array)
            if not finite.all():
                bad = np.argwhere(~finite)[0]
                n_nan = int(np.isnan(array).sum())
                n_inf = int((~finite).sum()) - n_nan
                raise InputError(
                    f"{name}: contains {n_nan} NaN and {n_inf} infinite value(s), the first "
                    f"at index {tuple(int(i) for i in bad)}; remove or impute them first"
                )
    return array


def check_labels(
    y: Any, n_samples: int, *, name: str = "labels", min_classes: int = 1
) -> np.ndarray:
    """Return labels as a 1-D array of length ``n_samples`` with no missing entries."""
    labels = _to_numpy(y, name)
    if labels.ndim != 1:
        raise InputError(f"{name}: expected a 1-D array of labels, found shape {labels.shape}")
    if labels.shape[0] != n_samples:
        raise InputError(
            f"{name}: has {labels.shape[0]} entries but the data has {n_samples} samples"
        )
    missing = _missing_mask(labels)
    if missing.any():
        raise InputError(
            f"{name}: {int(missing.sum())} of {n_samples} labels are missing "
            f"(the first at index {int(np.argmax(missing))}); drop those samples or label them"
        )
    n_classes = len(np.unique(labels))
    if n_classes < min_classes:
        raise InputError(
            f"{name}: expected at least {min_classes} distinct classes, found {n_classes}"
        )
    return labels


def _missing_mask(labels: np.ndarray) -> np.ndarray:
    if labels.dtype.kind == "f":
        return np.isnan(labels)
    if labels.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in labels])
    return np.zeros(labels.shape, dtype=bool)


def check_same_length(**arrays: Any) -> int:
    """Raise unless all arrays have the same first dimension; return it."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        found = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise InputError(f"expected the same number of samples in each input, found {found}")
    return next(iter(lengths.values()))


def check_fitted_shape(
    array: np.ndarray, fitted: tuple[int, ...] | None, *, name: str, owner: str
) -> None:
    """Refuse samples whose shape (all but the first axis) differs from the fitted one."""
    if fitted is not None and tuple(array.shape[1:]) != tuple(fitted):
        raise InputError(
            f"{name}: {owner} was fitted on samples of shape {tuple(fitted)}, found "
            f"{tuple(array.shape[1:])}"
        )


def check_unit_range(array: np.ndarray, *, name: str, owner: str, why: str = "") -> None:
    """Refuse values outside [0, 1] (pixel intensities a model expects scaled)."""
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        reason = f" ({why})" if why else ""
        raise InputError(
            f"{name}: {owner} takes values in [0, 1]{reason}, found values in "
            f"[{low:.3g}, {high:.3g}]; rescale the images first"
        )
