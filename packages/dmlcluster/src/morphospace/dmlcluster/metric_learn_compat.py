"""Import metric-learn 0.7.0 on any scikit-learn from 1.4.2 up, without downgrading it.

metric-learn 0.7.0 (its last release) breaks on newer scikit-learn in two places:

* ``metric_learn._util`` calls ``check_array``/``check_X_y`` with ``force_all_finite=``,
  renamed ``ensure_all_finite`` in scikit-learn 1.6 and removed in 1.8 (``TypeError``
  at ``fit``);
* ``metric_learn.base_metric`` imports ``sklearn.utils.extmath.stable_cumsum``, removed
  in 1.10 (``ImportError`` at import).

:func:`import_metric_learn` repairs exactly these two, and only when they are broken,
without changing scikit-learn for the rest of the process:

* ``stable_cumsum`` is lent to ``sklearn.utils.extmath`` only while ``metric_learn`` is
  first imported (``base_metric`` binds it by name at import, and looks it up nowhere
  else), then removed again. During that one import another thread could see the lent
  function; nothing else in the process is changed at any time.
* the two validation functions are rebound *inside* ``metric_learn._util`` (not in
  scikit-learn) to wrappers that translate the keyword. That is a change to
  metric-learn for the process, which cannot fit on this scikit-learn without it.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from morphospace.core.dependencies import require

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


_import_lock = threading.Lock()


@contextmanager
def _stable_cumsum_while_importing() -> Iterator[None]:
    """Lend ``stable_cumsum`` to ``sklearn.utils.extmath`` while metric-learn first imports."""
    import sklearn.utils.extmath as extmath

    if "metric_learn.base_metric" in sys.modules or not needs_stable_cumsum_patch():
        yield
        return
    extmath.stable_cumsum = _stable_cumsum
    PATCHES.append("sklearn.utils.extmath.stable_cumsum (while importing metric_learn)")
    try:
        yield
    finally:
        del extmath.stable_cumsum


def import_metric_learn() -> ModuleType:
    """Return the ``metric_learn`` module, patched to run on the installed scikit-learn."""
    with _import_lock:  # one thread lends and patches at a time
        with _stable_cumsum_while_importing():
            metric_learn = require(
                "metric_learn",
                install="metric-learn==0.7.0",
                needed_for="dmlcluster's metric learners",
            )
        import metric_learn._util as util

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
