"""A missing dependency of a dmlcluster component raises MissingDependencyError with the command."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import MissingDependencyError
from morphospace.dmlcluster import metric_learn_compat


@pytest.fixture
def absent(monkeypatch):
    """Make ``import <name>`` fail as if the package were not installed."""

    def hide(*names):
        for name in names:
            monkeypatch.setitem(__import__("sys").modules, name, None)

    return hide


def _blobs():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0, 1, (20, 2)), rng.normal(6, 1, (20, 2))])


def test_leiden_without_leidenalg_names_the_install_command(absent):
    absent("leidenalg")
    leiden = registry.create("clusterer", "dmlcluster.leiden", flavor="leidenalg")
    with pytest.raises(
        MissingDependencyError,
        match=r"dmlcluster.leiden with flavor='leidenalg' needs the package 'leidenalg', "
        r"which is not installed: pip install 'leidenalg>=0.10'",
    ):
        leiden.fit_predict(_blobs())


def test_leiden_without_igraph_names_the_install_command(absent):
    absent("igraph")
    leiden = registry.create("clusterer", "dmlcluster.leiden")
    with pytest.raises(MissingDependencyError, match=r"'igraph'.*pip install 'igraph>=0.10'"):
        leiden.fit_predict(_blobs())


def test_metric_learn_missing_names_the_pinned_install_command(absent):
    absent("metric_learn", "metric_learn._util")
    with pytest.raises(
        MissingDependencyError, match=r"'metric_learn'.*pip install 'metric-learn==0.7.0'"
    ):
        metric_learn_compat.import_metric_learn()
