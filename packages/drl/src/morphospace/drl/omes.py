"""OMES, the Overlap and Multiple-Encoding Score of Dapueto, Noceti & Odone ("Transferring
disentangled representations: bridging the gap between synthetic and real images",
NeurIPS 2024): an intervention-based score read from pairs of images that differ in
exactly one factor.

What is computed, step by step:

1. **One-factor pairs, found in the data.** For factor ``f``, rows are grouped by the
   values of every *other* factor; within a group, any two rows with different values of
   ``f`` form a pair. All pairs are used when there are at most ``max_pairs``; otherwise
   ``max_pairs`` ordered pairs are drawn uniformly, with replacement (seeded). Row order
   is never used.
2. **Association** ``R[d, f]``: over the pairs of ``f``, with first and second rows
   ``a``, ``b`` of dimension ``d`` and their common mean ``m``::

       R[d, f] = sum (a - b)^2 / sum ((a - m)^2 + (b - m)^2)  clipped to [0, 1]
               = 1 - max(r, 0),  r the correlation of d across the (symmetrised) pairs

   0 when ``z_d`` stays put when ``f`` changes, 1 when it decorrelates (or anti-correlates).
3. **Inactive dimensions** (variance over all rows below ``active_threshold``) are dropped.
4. **Relative strength** ``A[d, :] = R[d, :] / max_f R[d, f]``: each dimension's factors
   relative to the factor that moves it most (a dimension that no factor moves keeps 0).
5. **Scores per factor** (``F`` factors, ``D`` active dimensions, ``e`` a one-hot vector)::

       ov[d, f] = 1 - |A[d, :] - e_f|_1 / F     (row d is "encodes only f")
       me[d, f] = 1 - |A[:, f] - e_d|_1 / D     (column f is "only d encodes f")
       OS(f)  = sum_d A[d, f] * (A[d, f] ov[d, f]) / sum_d A[d, f]
       MES(f) = sum_d A[d, f] * (A[d, f] me[d, f]) / sum_d A[d, f]
       OMES(f) = alpha OS(f) + (1 - alpha) MES(f)

   i.e. each dimension contributes its strength for ``f`` times its purity, averaged over
   dimensions with that strength as the weight; a factor that no dimension encodes scores
   0. ``omes`` is the mean of ``OMES(f)``, ``omes_overlap`` the mean of ``OS(f)`` and
   ``omes_multiple_encoding`` the mean of ``MES(f)``, so ``omes = alpha * omes_overlap +
   (1 - alpha) * omes_multiple_encoding``. A perfectly disentangled code scores 1; a
   code whose every dimension moves with every factor scores ``alpha / F + (1 - alpha) /
   D``. The weighted average counts weak associations too: a noisy code in which each of
   7 factors has its own dimension but every other dimension shows ``A = 0.1`` for it
   scores 0.60. The authors' code also offers max pooling (the best dimension's
   term alone), which is less sensitive to such noise; it is not offered here.

Why this pooling. The paper's equations were not at hand when this was written (only its
abstract); the definition above follows the authors' public code (scores against the
ideal one-hot row and column, mean absolute deviation, strength-weighted "avg" pooling,
alpha mix, mean over factors), written anew, with three departures:

- ``1 - max(r, 0)`` instead of ``1 - |r|``: when pairs must differ in ``f``, a dimension
  that encodes only ``f`` is *anti*-correlated across the pair (for a binary factor
  ``r = -1``), which ``1 - |r|`` would read as "does not encode ``f``";
- step 4 (rows divided by their maximum): ``R`` is a share of the dimension's variance,
  so a dimension that carries two factors shows each at a partial share, and on raw
  ``R`` that overlap would also lower MES. Scored on ``A``, a dimension shared by two
  factors of equal strength lowers only the overlap, a factor spread over two dimensions
  only the multiple encoding. MES still carries strength, as in the paper: a factor that
  moves its dimension less than that dimension's main factor counts as partly encoded;
- pairs are found in the data, not drawn from a generator, and the correlation uses each
  pair in both orders, so the result does not depend on which row comes first.

The correlations need pairs: with a handful per factor (a small ``where`` selection) a
dimension that happens to be nearly constant over those pairs decorrelates by noise alone.
Factors with no one-factor pair are left out of the scores with a warning; with none at
all the evaluator raises. Every dimension that any factor moves must belong to a factor
in ``factors``: a dimension driven by an unlisted factor changes within every pair, so it
looks like it encodes every listed factor. With no active dimension all scores are 0.
Metrics (higher is better): ``omes``, ``omes_overlap``, ``omes_multiple_encoding`` and
``omes.<factor>`` (``OMES(f)``) for every factor that has pairs.
"""

from __future__ import annotations

import warnings

import numpy as np

from morphospace.core.errors import InputError
from morphospace.core.figures import Figure, FigureContext
from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.drl.config import OMESConfig
from morphospace.drl.factor_codes import check_code_and_factors

#: A dimension whose largest association is below this is moved by no factor (step 4).
_UNMOVED = 1e-9


def one_factor_pairs(
    codes: np.ndarray, factor: int, max_pairs: int, rng: np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(first, second)`` of ordered pairs that differ in ``factor`` only.

    ``codes`` is ``(N, F)`` integer codes. Every ordered pair (both orders) when there are
    at most ``max_pairs`` unordered ones, else ``max_pairs`` ordered pairs drawn from
    ``rng`` uniformly, with replacement (``rng`` is used only then).
    """
    others = np.delete(codes, factor, axis=1)
    if others.shape[1]:
        group = np.unique(others, axis=0, return_inverse=True)[1].ravel()
    else:
        group = np.zeros(len(codes), dtype=np.int64)
    value = codes[:, factor]
    order = np.lexsort((value, group))  # rows sorted by group, then by value of the factor
    sorted_group = group[order]
    block = sorted_group * (int(value.max()) + 1) + value[order]  # (group, value), ascending
    group_start = np.searchsorted(sorted_group, sorted_group, side="left")
    group_end = np.searchsorted(sorted_group, sorted_group, side="right")
    value_start = np.searchsorted(block, block, side="left")
    value_end = np.searchsorted(block, block, side="right")
    # partners of a row: the rows of its group outside its own value block
    partners = (group_end - group_start) - (value_end - value_start)
    total = int(partners.sum())  # ordered pairs, twice the unordered ones
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if total <= 2 * max_pairs:
        position = np.repeat(np.arange(len(order)), partners)
        offset = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners)
    else:
        position = rng.choice(len(order), size=max_pairs, p=partners / total)
        offset = rng.integers(0, partners[position])
    # the offset-th partner: count through the group, skipping the row's own value block
    skip = offset >= value_start[position] - group_start[position]
    partner = group_start[position] + offset
    partner = partner + np.where(skip, value_end[position] - value_start[position], 0)
    return order[position], order[partner]


def pair_association(z: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``1 - max(r, 0)`` per dimension, ``r`` the correlation of ``z`` across the pairs."""
    a, b = z[first], z[second]
    mean = (a.mean(axis=0) + b.mean(axis=0)) / 2
    spread = ((a - mean) ** 2).sum(axis=0) + ((b - mean) ** 2).sum(axis=0)
    change = ((a - b) ** 2).sum(axis=0)
    ratio = np.divide(change, spread, out=np.zeros_like(change), where=spread > 0)
    return np.clip(ratio, 0.0, 1.0)


def overlap_and_multiple_encoding(association: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``OS(f)`` and ``MES(f)`` per factor from ``R`` (active dims x factors), steps 4-5."""
    n_dims, n_factors = association.shape
    if n_dims == 0:
        return np.zeros(n_factors), np.zeros(n_factors)
    top = association.max(axis=1, keepdims=True)
    strength = np.divide(association, top, out=np.zeros_like(association), where=top > _UNMOVED)
    # |A[d, :] - e_f|_1 = sum_k A[d, k] - A[d, f] + (1 - A[d, f]), as 0 <= A <= 1
    row_purity = 1 - (strength.sum(axis=1, keepdims=True) - 2 * strength + 1) / n_factors
    column_purity = 1 - (strength.sum(axis=0, keepdims=True) - 2 * strength + 1) / n_dims
    weight = strength.sum(axis=0)

    def pooled(purity: np.ndarray) -> np.ndarray:
        total = (strength**2 * purity).sum(axis=0)
        return np.divide(total, weight, out=np.zeros(n_factors), where=weight > 0)

    return pooled(row_purity), pooled(column_purity)


class OMES(Evaluator):
    """Overlap and multiple-encoding score of ``z`` (N, d) from one-factor pairs of rows."""

    Config = OMESConfig

    def association_matrix(self, z, factors) -> tuple[np.ndarray, list[str], np.ndarray]:
        """``(R, factor names, active dims)``: ``R[i, j]`` associates active dimension
        ``active[i]`` with factor ``names[j]``; factors without one-factor pairs are left out.
        """
        z, codes, names = check_code_and_factors(z, factors, self.name)
        active = np.flatnonzero(z.var(axis=0) >= self.config.active_threshold)
        rng = np.random.default_rng(self.config.seed)
        columns, scored = [], []
        for f, name in enumerate(names):
            first, second = one_factor_pairs(codes, f, self.config.max_pairs, rng)
            if len(first):
                columns.append(pair_association(z[:, active], first, second))
                scored.append(name)
        if not scored:
            raise InputError(
                f"{self.name}: no pairs of rows differ in exactly one factor; OMES needs "
                "one-factor pairs, e.g. texture_dsprites(one_factor_pairs=True)"
            )
        missing = [name for name in names if name not in scored]
        if missing:
            warnings.warn(
                f"{self.name}: no pairs of rows differ in {', '.join(map(repr, missing))} "
                "alone; OMES leaves those factors out",
                UserWarning,
                stacklevel=2,
            )
        if len(active) == 0:
            warnings.warn(
                f"{self.name}: every dimension of z varies less than active_threshold="
                f"{self.config.active_threshold}; no dimension encodes anything, OMES is 0",
                UserWarning,
                stacklevel=2,
            )
        return np.stack(columns, axis=1), scored, active

    def evaluate(self, z, factors) -> dict[str, Metric]:
        association, names, _ = self.association_matrix(z, factors)
        overlap, multiple = overlap_and_multiple_encoding(association)
        alpha = self.config.alpha
        per_factor = alpha * overlap + (1 - alpha) * multiple
        metrics = {
            "omes": float(per_factor.mean()),
            "omes_overlap": float(overlap.mean()),
            "omes_multiple_encoding": float(multiple.mean()),
        }
        for name, value in zip(names, per_factor, strict=True):
            metrics[f"omes.{name}"] = float(value)
        return {key: Metric(value, higher_is_better=True) for key, value in metrics.items()}

    def report_figures(self, context: FigureContext) -> list[Figure]:
        """The association matrix ``R`` behind the score: active dimensions x factors."""
        from morphospace.drl.factor_heatmap import matrix_heatmap, scored_inputs

        inputs = scored_inputs(context)
        if inputs is None:
            return []
        association, names, active = self.association_matrix(*inputs)
        if len(active) == 0:
            return []
        title = f"{self.name} ({context.key}): 1 - max(corr, 0) across one-factor pairs"
        fig = matrix_heatmap(
            association, names, active, title=title, value_label="association", vmax=1.0
        )
        return [(f"{self.name} ({context.key}): association matrix", fig)]
