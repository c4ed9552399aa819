"""Known factors of variation as integer codes, checked against the code ``z`` they score.

The factor scores (MIG, DCI, OMES) and the probe read a code ``z`` (N, d) and discrete
labels: a DataFrame of obs columns (integer codes, strings or categoricals) or one label
column. Each column becomes integer codes ``0..K-1`` in sorted value order (category order
for a categorical). A factor with one value cannot be scored and is refused, as are
missing values and non-integer floats (a continuous factor must be binned first), so a
score never silently covers fewer factors or rows than the caller passed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from morphospace.core.errors import InputError
from morphospace.core.validation import check_array


def column_codes(values: Any, name: str) -> tuple[np.ndarray, list]:
    """Integer codes ``(N,)`` of one column of labels, and the ``K`` values they stand for.

    ``name`` starts every error message (e.g. ``"drl.mig: factor 'shape'"``).
    """
    column = pd.Series(values) if not isinstance(values, pd.Series) else values
    missing = column.isna().to_numpy()
    if missing.any():
        raise InputError(
            f"{name}: {int(missing.sum())} of {len(column)} values are missing (the first at "
            f"row {int(np.argmax(missing))}); drop those rows or fill them"
        )
    if column.dtype.kind == "f":
        fractional = column.to_numpy() != np.round(column.to_numpy())
        if fractional.any():
            raise InputError(
                f"{name}: expected discrete values (integer codes, strings or categories), "
                f"found non-integer numbers such as {column.iloc[int(np.argmax(fractional))]!r}; "
                "bin a continuous factor first (e.g. pandas.cut)"
            )
    try:
        codes, uniques = pd.factorize(column, sort=True)
    except TypeError:  # values of mixed types cannot be sorted: keep first-seen order
        codes, uniques = pd.factorize(column, sort=False)
    return codes.astype(np.int64), np.asarray(uniques).tolist()


def check_code_and_factors(
    z: Any, factors: Any, component: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``z`` as float64 ``(N, d)``, the factors as int64 codes ``(N, F)``, and their names.

    ``factors`` is a DataFrame (one column per factor), a Series (one factor) or a 2-D
    array (columns named ``factor_0``, ``factor_1``, ...). Every factor must take at least
    two values over the N rows.
    """
    z = check_array(z, name=f"{component}: z", ndim=2).astype(np.float64)
    table = _as_frame(factors, component)
    if len(table) != len(z):
        raise InputError(f"{component}: factors has {len(table)} rows, z has {len(z)}")
    if table.shape[1] == 0:
        raise InputError(f"{component}: factors has no columns; name at least one factor")
    names = [str(c) for c in table.columns]
    if len(set(names)) < len(names):
        raise InputError(f"{component}: factors has repeated column names {names}")
    codes = np.empty((len(z), len(names)), dtype=np.int64)
    for i, (label, column) in enumerate(table.items()):
        codes[:, i], values = column_codes(column, f"{component}: factor {str(label)!r}")
        if len(values) < 2:
            raise InputError(
                f"{component}: factor {str(label)!r} takes the single value {values[0]!r} in "
                f"all {len(z)} rows, so nothing can be scored for it; drop the column or "
                "evaluate rows where it varies"
            )
    return z, codes, names


def _as_frame(factors: Any, component: str) -> pd.DataFrame:
    if isinstance(factors, pd.DataFrame):
        return factors
    if isinstance(factors, pd.Series):
        return factors.to_frame(name=factors.name if factors.name is not None else "factor_0")
    try:
        array = np.asarray(factors)
    except Exception as exc:
        raise InputError(
            f"{component}: factors: expected a DataFrame of factor columns, found "
            f"{type(factors).__name__} ({exc})"
        ) from None
    if array.ndim != 2:
        raise InputError(
            f"{component}: factors: expected a DataFrame of factor columns (n_samples, "
            f"n_factors), found shape {array.shape}"
        )
    return pd.DataFrame(array, columns=[f"factor_{i}" for i in range(array.shape[1])])
