"""A generator's grid of discrete factors: drawing codes and checking them.

Both procedural datasets (Texture-dSprites, the synthetic cells) describe an image by
one integer code per factor, ``(n, F)`` in the order of ``factor_names``; this base
draws such codes and refuses codes of the wrong shape, type or range, naming the factor.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError


class FactorGrid:
    """Codes ``0 .. factor_sizes[j] - 1`` for each factor ``j`` of ``factor_names``."""

    factor_names: tuple[str, ...] = ()
    factor_sizes: tuple[int, ...] = ()

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` factor codes ``(n, F)`` int64, each factor uniform and independent."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"n: expected a positive number of samples, found {n!r}")
        rng = np.random.default_rng(rng)
        sizes = self.factor_sizes
        return rng.integers(0, sizes, size=(int(n), len(sizes)), dtype=np.int64)

    def _check_factors(self, factors) -> np.ndarray:
        codes = np.asarray(factors)
        names, sizes = self.factor_names, self.factor_sizes
        if codes.ndim != 2 or codes.shape[1] != len(sizes):
            raise InputError(
                f"factors: expected an array (n, {len(sizes)}) of codes in the order "
                f"{', '.join(names)}; found shape {codes.shape}"
            )
        if codes.dtype.kind not in "iu":
            raise InputError(f"factors: expected codes of integers, found dtype {codes.dtype}")
        codes = codes.astype(np.int64)
        bad = (codes < 0) | (codes >= np.asarray(sizes))
        if bad.any():
            row, column = (int(i) for i in np.argwhere(bad)[0])
            raise InputError(
                f"factors: {names[column]} (column {column}) expects codes in "
                f"[0, {sizes[column] - 1}], found {int(codes[row, column])} at row {row}"
            )
        return codes
