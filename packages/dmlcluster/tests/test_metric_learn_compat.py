"""metric-learn 0.7.0 runs on the installed scikit-learn through a narrow patch."""

import inspect
import subprocess
import sys

import numpy as np

from morphospace.dmlcluster import metric_learn_compat as compat


def test_patches_exactly_what_this_scikit_learn_lacks():
    metric_learn = compat.import_metric_learn()
    import metric_learn._util as util

    wrapped = getattr(util.check_array, "__dmlcluster_compat__", False)
    assert wrapped == compat.needs_finite_keyword_patch()
    assert all(
        p.startswith(("metric_learn._util.", "sklearn.utils.extmath.")) for p in compat.PATCHES
    )
    assert metric_learn.__version__ == "0.7.0"


def test_import_is_idempotent():
    compat.import_metric_learn()
    before = list(compat.PATCHES)
    compat.import_metric_learn()
    assert before == compat.PATCHES


def test_metric_learn_nca_fits_on_installed_scikit_learn():
    metric_learn = compat.import_metric_learn()
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (20, 3)), rng.normal(3, 1, (20, 3))])
    y = np.repeat([0, 1], 20)
    model = metric_learn.NCA(max_iter=5, random_state=0).fit(x, y)
    assert model.components_.shape == (3, 3)


def test_keyword_wrapper_renames_force_all_finite():
    seen = {}

    def validator(x, ensure_all_finite=True):
        seen["value"] = ensure_all_finite
        return x

    wrapped = compat._translate_finite_keyword(validator)
    assert wrapped(1, force_all_finite=False) == 1
    assert seen["value"] is False
    assert inspect.signature(wrapped) == inspect.signature(validator)


def _module_state(module):
    return {name: id(value) for name, value in vars(module).items()}


def test_fitting_nca_and_lmnn_leaves_scikit_learn_as_it_was():
    import sklearn.utils
    import sklearn.utils.extmath
    import sklearn.utils.validation

    modules = [sklearn.utils, sklearn.utils.extmath, sklearn.utils.validation]
    before = [_module_state(m) for m in modules]
    metric_learn = compat.import_metric_learn()
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (20, 3)), rng.normal(3, 1, (20, 3))])
    y = np.repeat([0, 1], 20)
    metric_learn.NCA(max_iter=5, random_state=0).fit(x, y).transform(x)
    metric_learn.LMNN(n_neighbors=3, max_iter=5, random_state=0).fit(x, y).transform(x)
    assert [_module_state(m) for m in modules] == before


def test_stable_cumsum_is_lent_to_scikit_learn_only_while_metric_learn_imports():
    code = (
        "import sklearn.utils.extmath as e\n"
        "if hasattr(e, 'stable_cumsum'): del e.stable_cumsum\n"
        "before = dict(vars(e))\n"
        "from morphospace.dmlcluster.metric_learn_compat import import_metric_learn, PATCHES\n"
        "import numpy as np\n"
        "ml = import_metric_learn()\n"
        "x = np.vstack([np.zeros((5, 2)), np.ones((5, 2))]) + np.arange(10)[:, None] * 0.01\n"
        "ml.NCA(max_iter=3).fit(x, [0] * 5 + [1] * 5)\n"
        "assert dict(vars(e)) == before, set(vars(e)) ^ set(before)\n"
        "assert any(p.startswith('sklearn.utils.extmath.stable_cumsum') for p in PATCHES)\n"
        "from metric_learn.base_metric import stable_cumsum\n"
        "assert stable_cumsum(np.ones(4))[-1] == 4.0\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
