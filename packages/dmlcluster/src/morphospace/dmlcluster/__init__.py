"""morphospace-dmlcluster: metric learning + Leiden clustering of cell image features.

Scale and PCA a feature table, learn a distance metric from labelled cells (NCA,
LMNN, MLKR, LFDA, or a scalable NCA), embed every cell with it, cluster a kNN graph
with Leiden and score the clusters by purity. Importing this package is cheap: the
implementations (scikit-learn, metric-learn, igraph) load on first use.

>>> from morphospace.dmlcluster import metric_learning_leiden      # doctest: +SKIP
>>> metric_learning_leiden(adata, labels="cell_type", fit_on="train")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_LAZY = {"metric_learning_leiden": "morphospace.dmlcluster.recipe"}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'morphospace.dmlcluster' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
