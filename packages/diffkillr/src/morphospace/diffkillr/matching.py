"""Evaluator ``diffkillr.matching``: does each query cell retrieve its own archetype?

For every query, the bank entries are ranked by cosine similarity; the metrics are the
mean average precision (MAP) of the entries sharing the query's label and the top-k
accuracy of the nearest entries. Without a ``bank`` column every cell is a query
against all the others (leave-one-out retrieval).
"""

from __future__ import annotations

import numpy as np

from morphospace.core import Evaluator, Metric
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array, check_labels
from morphospace.diffkillr.config import MatchingConfig


def retrieval_scores(
    queries: np.ndarray,
    query_labels,
    bank: np.ndarray,
    bank_labels,
    top_k=(1, 3),
    exclude_self=False,
) -> dict[str, float]:
    """MAP and top-k accuracy of cosine retrieval of ``bank`` entries for each query."""
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    b = bank / np.maximum(np.linalg.norm(bank, axis=1, keepdims=True), 1e-12)
    similarity = q @ b.T
    if exclude_self:
        np.fill_diagonal(similarity, -np.inf)
    order = np.argsort(-similarity, axis=1, kind="stable")
    relevant = np.asarray(bank_labels)[order] == np.asarray(query_labels)[:, None]
    if exclude_self:
        relevant[:, -1] = False  # the query itself, ranked last
    hits = np.cumsum(relevant, axis=1)
    ranks = np.arange(1, relevant.shape[1] + 1)
    n_relevant = relevant.sum(1)
    ap = np.where(n_relevant > 0, (relevant * hits / ranks).sum(1) / np.maximum(n_relevant, 1), 0.0)
    scores = {"map": float(ap.mean())}
    for k in top_k:
        scores[f"top{k}_accuracy"] = float(relevant[:, :k].any(1).mean())
    return scores


class Matching(Evaluator):
    """MAP and top-k accuracy of matching query cells to the cell bank."""

    Config = MatchingConfig

    def evaluate(self, embedding, labels, bank=None) -> dict[str, Metric]:
        z = check_array(embedding, name="embedding", ndim=2)
        labels = check_labels(labels, len(z), name="labels")
        if bank is None:
            scores = retrieval_scores(z, labels, z, labels, self.config.top_k, exclude_self=True)
        else:
            in_bank = check_labels(bank, len(z), name="bank").astype(bool)
            if not in_bank.any():
                raise InputError("the cell bank is empty: no cell has bank == True")
            if in_bank.all():
                raise InputError("every cell is in the bank: there is no query to match")
            scores = retrieval_scores(
                z[~in_bank], labels[~in_bank], z[in_bank], labels[in_bank], self.config.top_k
            )
        return {name: Metric(value) for name, value in scores.items()}
