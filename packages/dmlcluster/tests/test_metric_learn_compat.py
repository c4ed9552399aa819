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


def test_works_when_stable_cumsum_is_gone_as_in_scikit_learn_1_10():
    code = (
        "import sklearn.utils.extmath as e\n"
        "if hasattr(e, 'stable_cumsum'): del e.stable_cumsum\n"
        "from morphospace.dmlcluster.metric_learn_compat import import_metric_learn, PATCHES\n"
        "ml = import_metric_learn()\n"
        "assert 'sklearn.utils.extmath.stable_cumsum' in PATCHES, PATCHES\n"
        "import numpy as np\n"
        "assert e.stable_cumsum(np.ones(4))[-1] == 4.0\n"
        "from metric_learn.base_metric import stable_cumsum\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
