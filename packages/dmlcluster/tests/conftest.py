"""Small, fast data shared by the dmlcluster tests."""

import numpy as np
import pytest


@pytest.fixture
def separable():
    """Three well-separated classes in 3 features, and 20 features driven by two
    class-blind factors: after scaling these dominate the top principal components,
    so PCA to 2-D misses the classes and a learned metric must find them."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(["a", "b", "c"]), 40)
    centres = {"a": 0.0, "b": 3.0, "c": 6.0}
    signal = np.array([centres[c] for c in y])[:, None] + rng.normal(0, 0.5, (120, 3))
    factors = rng.normal(0, 1.0, (120, 2))
    noise = np.repeat(factors, 10, axis=1) + rng.normal(0, 0.1, (120, 20))
    return np.column_stack([signal, noise]), y


@pytest.fixture
def small_ifc():
    from morphospace.dmlcluster.synthetic_ifc import make_imaging_flow_cytometry

    return make_imaging_flow_cytometry(n_cells=400, n_features=20, seed=0)
