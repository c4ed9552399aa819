"""Import metric-learn 0.7.0 on any scikit-learn from 1.4.2 up, without downgrading it.

metric-learn 0.7.0 (its last release) breaks on newer scikit-learn in two places:

* ``metric_learn._util`` calls ``check_array``/``check_X_y`` with ``force_all_finite=``,
  renamed ``ensure_all_finite`` in scikit-learn 1.6 and removed in 1.8 (``TypeError``
  at ``fit``);
* ``metric_learn.base_metric`` imports ``sklearn.utils.extmath.stable_cumsum``, removed
  in 1.10 (``ImportError`` at import).

:func:`import_metric_learn` repairs exactly these two, and only when they are broken:
it adds ``stable_cumsum`` to ``sklearn.utils.extmath`` if it is missing, and rebinds
the two validation functions *inside* ``metric_learn._util`` (not in scikit-learn) to
wrappers that translate the keyword. Everything else is left alone.
"""

from __future__ import annotations

import functools
import inspect
from types import ModuleType
from typing import Any

#: What was patched in this process, for tests and bug reports.
PATCHES: list[str] = []


def _stable_cumsum(arr: Any, axis: Any = None, rtol: float = 1e-05, atol: float = 1e-08) -> Any:
    """A float64 cumulative sum, as scikit-learn's removed ``stable_cumsum`` returned."""
    import numpy as np

    return np.cumsum(arr, axis=axis, dtype=np.float64)


def _translate_finite_keyword(function: Any) -> Any:
    """Wrap a scikit-learn validator so that ``force_all_finite=`` still works."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "force_all_finite" in kwargs:
            kwargs["ensure_all_finite"] = kwargs.pop("force_all_finite")
        return function(*args, **kwargs)

    wrapper.__dmlcluster_compat__ = True
    return wrapper


def needs_finite_keyword_patch() -> bool:
    """True when scikit-learn's ``check_array`` no longer accepts ``force_all_finite``."""
    from sklearn.utils import check_array

    return "force_all_finite" not in inspect.signature(check_array).parameters


def needs_stable_cumsum_patch() -> bool:
    """True when ``sklearn.utils.extmath`` no longer has ``stable_cumsum``."""
    import sklearn.utils.extmath as extmath

    return not hasattr(extmath, "stable_cumsum")


def import_metric_learn() -> ModuleType:
    """Return the ``metric_learn`` module, patched to run on the installed scikit-learn."""
    try:
        import sklearn.utils.extmath as extmath
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError(
            "dmlcluster needs scikit-learn: pip install 'scikit-learn>=1.4.2'"
        ) from exc
    if needs_stable_cumsum_patch():
        extmath.stable_cumsum = _stable_cumsum
        PATCHES.append("sklearn.utils.extmath.stable_cumsum")
    try:
        import metric_learn
        import metric_learn._util as util
    except ImportError as exc:
        raise ImportError(
            f"dmlcluster needs metric-learn 0.7.0: pip install metric-learn==0.7.0 ({exc})"
        ) from exc
    if needs_finite_keyword_patch():
        for name in ("check_array", "check_X_y"):
            function = getattr(util, name)
            if not getattr(function, "__dmlcluster_compat__", False):
                setattr(util, name, _translate_finite_keyword(function))
                PATCHES.append(f"metric_learn._util.{name}")
    return metric_learn


def starting_directions(z: Any, y: Any, n_components: int, *, has_classes: bool, seed: int) -> Any:
    """The map metric-learn's ``init="auto"`` starts from: LDA, PCA or the identity.

    metric-learn 0.7.0 has no public function for it; its private
    ``_initialize_components`` (the one its NCA and MLKR call) is used, so the choice
    follows metric-learn's own rule (LDA when ``n_components`` is at most the number
    of classes, PCA when it is below the dimension, else the identity).
    """
    import_metric_learn()
    from metric_learn._util import _initialize_components

    return _initialize_components(
        n_components, z, y, init="auto", random_state=seed, has_classes=has_classes
    )
