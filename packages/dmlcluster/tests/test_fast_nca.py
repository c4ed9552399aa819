"""The scalable NCA: its gradient, its agreement with exact NCA, and its memory."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import check_grad

from morphospace.dmlcluster.fast_nca import FastNCAEncoder, nca_batch_gradient, nca_objective
from morphospace.dmlcluster.label_agreement import purity_score
from morphospace.dmlcluster.leiden import Leiden
from morphospace.dmlcluster.metric_learn_compat import import_metric_learn


def _data(n=40, d=5, seed=0):
    """Cells sorted by class, as nca_batch_gradient expects."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), np.sort(rng.integers(0, 3, n))


def test_gradient_matches_finite_differences():
    x, y = _data()
    rng = np.random.default_rng(1)
    anchors = np.sort(rng.choice(40, 15, replace=False))
    self_pairs = (np.arange(15), anchors)  # candidates are all 40 cells
    shape = (3, x.shape[1])

    def value(flat):
        return nca_batch_gradient(flat.reshape(shape), x[anchors], y[anchors], x, y, self_pairs)[0]

    def grad(flat):
        out = nca_batch_gradient(flat.reshape(shape), x[anchors], y[anchors], x, y, self_pairs)
        return out[1].ravel()

    assert check_grad(value, grad, rng.normal(0, 0.3, 15)) < 1e-6


def test_gradient_with_disjoint_candidates_matches_finite_differences():
    x, y = _data(seed=3)
    anchors, cands = np.arange(0, 40, 2), np.arange(1, 40, 2)
    shape = (2, x.shape[1])

    def value(flat):
        return nca_batch_gradient(flat.reshape(shape), x[anchors], y[anchors], x[cands], y[cands])[
            0
        ]

    def grad(flat):
        out = nca_batch_gradient(flat.reshape(shape), x[anchors], y[anchors], x[cands], y[cands])
        return out[1].ravel()

    assert check_grad(value, grad, np.random.default_rng(4).normal(0, 0.3, 10)) < 1e-6


def test_with_every_cell_as_anchor_and_candidate_it_is_exact_nca():
    # metric-learn's loss is -sum_i p_i and its gradient; ours is the mean and its gradient.
    x, y = _data()
    model = import_metric_learn().NCA()
    model.n_iter_ = 0
    flat = np.random.default_rng(2).normal(0, 0.3, 25)
    mask = y[:, None] == y[None, :]
    loss, grad = model._loss_grad_lbfgs(flat, x, mask, -1.0)
    everyone = np.arange(len(x))
    value, ours = nca_batch_gradient(flat.reshape(5, 5), x, y, x, y, (everyone, everyone))
    np.testing.assert_allclose(value, -loss / len(x))
    np.testing.assert_allclose(ours.ravel(), -grad / len(x), rtol=1e-6, atol=1e-10)


def test_objective_is_metric_learns_loss_per_cell_in_any_chunking():
    x, y = _data(n=50, seed=5)
    y = np.random.default_rng(6).permutation(y)  # the objective needs no class order
    l_map = np.random.default_rng(7).normal(0, 0.4, (5, 5))
    model = import_metric_learn().NCA()
    model.n_iter_ = 0
    loss, _ = model._loss_grad_lbfgs(l_map.ravel(), x, y[:, None] == y[None, :], -1.0)
    for chunk in [7, 50, 1024]:
        assert nca_objective(x @ l_map.T, y, chunk=chunk) == pytest.approx(-loss / 50)


def test_matches_exact_nca_purity_on_non_linear_populations(small_ifc):
    from morphospace.dmlcluster.nca import NCAEncoder

    x, y = small_ifc.X, small_ifc.obs["population"].to_numpy()
    train = small_ifc.obs["train"].to_numpy()

    def heldout_purity(encoder):
        z = encoder.fit(x[train], y[train]).encode(x[~train])
        return purity_score(y[~train], Leiden(resolution=0.5).fit_predict(z))

    exact = heldout_purity(NCAEncoder(max_iter=50))
    fast = heldout_purity(FastNCAEncoder(batch_size=64, n_candidates=64, max_iter=200))
    assert fast > exact - 0.05


def test_reaches_exact_nca_objective(small_ifc):
    # With few cells every cell is anchor and candidate: the sampled objective is the
    # exact one, and Adam must climb it at least as high as metric-learn's L-BFGS.
    from morphospace.dmlcluster.nca import NCAEncoder

    x, y = small_ifc.X, small_ifc.obs["population"].to_numpy()
    train = small_ifc.obs["train"].to_numpy()
    codes = NCAEncoder.class_codes(y[train])

    def objective(encoder):
        return nca_objective(encoder.fit(x[train], y[train]).encode(x[train]), codes)

    exact = objective(NCAEncoder(max_iter=50))
    assert 0.9 < exact <= 1.0
    assert objective(FastNCAEncoder()) >= exact - 0.01


def test_objective_rises_during_training(separable):
    x, y = separable
    encoder = FastNCAEncoder(batch_size=64, n_candidates=64, max_iter=100).fit(x, y)
    start, end = encoder.objective_[:10].mean(), encoder.objective_[-10:].mean()
    assert end > start + 0.1


@pytest.mark.slow
def test_fits_200000_cells_in_a_few_gib():
    # The bound is 24 GiB; exact NCA would hold about 2,400 GiB of n x n matrices here.
    code = (
        "import resource\n"
        "from morphospace.dmlcluster.synthetic_ifc import make_imaging_flow_cytometry\n"
        "from morphospace.dmlcluster.fast_nca import FastNCAEncoder\n"
        "a = make_imaging_flow_cytometry(n_cells=200_000, n_features=40)\n"
        "z = FastNCAEncoder(max_iter=50).fit(a.X, a.obs['population'].to_numpy()).encode(a.X)\n"
        "assert z.shape == (200_000, 40)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert float(out.stdout.strip()) < 4.0
