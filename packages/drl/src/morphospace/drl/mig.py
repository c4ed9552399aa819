"""MIG, the mutual information gap (Chen et al., "Isolating sources of disentanglement in
VAEs", NeurIPS 2018), estimated as disentanglement_lib does for discrete factors.

Each code dimension is cut into ``n_bins`` equal-width bins between its minimum and
maximum; ``I[d, f]`` is the mutual information (nats) between binned ``z_d`` and factor
``f`` and ``H(f)`` the factor's entropy. A factor's gap is the difference between its two
most informative dimensions, normalised by its entropy::

    MIG(f) = (I[d1, f] - I[d2, f]) / H(f),   MIG = mean over factors of MIG(f)

With a one-dimensional code the second term is 0. Metrics (higher is better): ``mig`` and
``mig.<factor>`` for every factor column. A constant dimension falls in one bin and
carries no information. Binning makes MIG positive on pure noise by the plug-in bias of
mutual information, about ``(n_bins - 1)(K - 1) / 2N`` nats for a factor of K values.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.drl.config import MIGConfig
from morphospace.drl.factor_codes import check_code_and_factors


def discretise(z: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index ``0..n_bins-1`` of every value, equal-width bins per column of ``z``."""
    low, high = z.min(axis=0), z.max(axis=0)
    width = np.where(high > low, (high - low) / n_bins, 1.0)
    return np.clip(np.floor((z - low) / width), 0, n_bins - 1).astype(np.int64)


def entropy(codes: np.ndarray) -> float:
    """Shannon entropy (nats) of integer codes."""
    p = np.bincount(codes) / len(codes)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def mutual_information_matrix(binned: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``I[d, f]`` in nats between every binned dimension and every factor."""
    from sklearn.metrics import mutual_info_score

    return np.array(
        [
            [mutual_info_score(codes[:, f], binned[:, d]) for f in range(codes.shape[1])]
            for d in range(binned.shape[1])
        ]
    )


def mutual_information_gaps(info: np.ndarray, entropies: np.ndarray) -> np.ndarray:
    """Per factor: (largest - second largest ``I[:, f]``) / ``H(f)``."""
    ranked = np.sort(info, axis=0)[::-1]
    second = ranked[1] if len(ranked) > 1 else np.zeros(info.shape[1])
    return (ranked[0] - second) / entropies


class MIG(Evaluator):
    """Mutual information gap of a code ``z`` (N, d) against the known ``factors``."""

    Config = MIGConfig

    def evaluate(self, z, factors) -> dict[str, Metric]:
        z, codes, names = check_code_and_factors(z, factors, self.name)
        info = mutual_information_matrix(discretise(z, self.config.n_bins), codes)
        entropies = np.array([entropy(codes[:, f]) for f in range(codes.shape[1])])
        gaps = mutual_information_gaps(info, entropies)
        metrics = {"mig": Metric(float(gaps.mean()), higher_is_better=True)}
        for name, gap in zip(names, gaps, strict=True):
            metrics[f"mig.{name}"] = Metric(float(gap), higher_is_better=True)
        return metrics
