"""Weak supervision: pairs of factor codes that differ in exactly ``k`` factors.

Locatello et al. (2020) train Ada-GVAE on pairs ``(x1, x2)`` whose factors agree except
for ``k`` of them, without saying which (``k`` fixed, or drawn per pair when unknown).
The changed factors are a uniform random subset of the factors that can change, and each
takes a new value drawn uniformly among its *other* values. The reference implementation
redraws the changed factor among all its values, so some of its "changed" factors keep
their value; here a changed factor always changes, so ``changed`` is exactly
``factors1 != factors2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from morphospace.core.errors import ConfigError, InputError


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name}: expected an integer >= 1, found {value!r}")
    return int(value)


class PairSampler:
    """Draws pairs of factor codes that differ in ``k`` factors.

    ``factor_sizes`` gives the number of values of each factor; a factor with one value
    can never change. ``k`` factors change in every pair; with ``k=None`` each pair draws
    its own ``k`` uniformly from ``1..k_max`` (``k_max`` is ignored when ``k`` is given).
    """

    def __init__(self, factor_sizes: Sequence[int], k: int | None = 1, k_max: int = 1):
        sizes = np.asarray(factor_sizes)
        if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu":
            raise ConfigError(
                f"factor_sizes: expected a non-empty sequence of integers, found "
                f"{list(np.atleast_1d(sizes).tolist())!r}"
            )
        if (sizes < 1).any():
            raise ConfigError(
                f"factor_sizes: every factor needs at least 1 value, found {sizes.tolist()}"
            )
        self.factor_sizes = tuple(int(s) for s in sizes)
        n_factors = len(self.factor_sizes)
        self._changeable = np.flatnonzero(sizes > 1)
        n_changeable = len(self._changeable)
        k_max = _positive_int(k_max, "k_max")
        if k is not None:
            k = _positive_int(k, "k")
            largest, what = k, f"k={k}"
        else:
            largest, what = k_max, f"k_max={k_max} (k=None)"
        if largest > n_factors:
            raise ConfigError(
                f"{what} is larger than the number of factors, {n_factors}: at most "
                f"{n_factors} factors can change in a pair"
            )
        if largest > n_changeable:
            raise ConfigError(
                f"{what} is larger than the number of factors that can change, "
                f"{n_changeable}: only {n_changeable} of the {n_factors} factors have more "
                f"than one value (sizes {list(self.factor_sizes)})"
            )
        self.k = k
        self.k_max = k_max

    def __repr__(self) -> str:
        return f"PairSampler(factor_sizes={self.factor_sizes}, k={self.k}, k_max={self.k_max})"

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(factors1, factors2, changed)``: ``(n, F)`` int64, ``(n, F)`` int64, ``(n, F)`` bool.

        ``factors1`` is uniform over all codes; ``changed[i, j]`` is True exactly where
        ``factors1[i, j] != factors2[i, j]``. ``rng`` may be a Generator or a seed.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"n: expected a positive number of pairs, found {n!r}")
        n = int(n)
        rng = np.random.default_rng(rng)
        sizes = np.asarray(self.factor_sizes, dtype=np.int64)
        factors1 = rng.integers(0, sizes, size=(n, len(sizes)), dtype=np.int64)
        k_max = self.k_max if self.k is None else self.k
        counts = rng.integers(1, k_max + 1, size=n) if self.k is None else np.full(n, k_max)
        # a uniform random subset of size counts[i] among the changeable factors: the
        # factors whose random keys rank below counts[i]
        keys = rng.random((n, len(self._changeable)))
        ranks = np.argsort(np.argsort(keys, axis=1), axis=1)
        changed = np.zeros((n, len(sizes)), dtype=bool)
        changed[:, self._changeable] = ranks < counts[:, None]
        # a shift in 1..size-1 modulo size is uniform over the other values
        shift = rng.integers(1, np.maximum(sizes, 2), size=(n, len(sizes)), dtype=np.int64)
        factors2 = np.where(changed, (factors1 + shift) % sizes, factors1)
        return factors1, factors2, changed
