"""Datasets: real ones that ship in dependencies, and the synthetic generator."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import InputError, MissingDependencyError
from morphospace.dmlcluster.datasets import stratified_split

needs_scanpy = pytest.mark.skipif(
    importlib.util.find_spec("scanpy") is None, reason="pbmc68k_reduced ships inside scanpy"
)


def test_breast_cancer_is_569_nuclei_by_30_features_with_a_diagnosis():
    adata = registry.load_dataset("dmlcluster.breast_cancer")
    assert adata.shape == (569, 30)
    assert set(adata.obs["diagnosis"]) == {"malignant", "benign"}
    assert adata.obs["train"].dtype == bool
    assert "mean radius" in adata.var_names


@needs_scanpy
def test_pbmc68k_reduced_loads_from_scanpy_without_importing_it():
    code = (
        "import sys\n"
        "from morphospace.core import registry\n"
        "a = registry.load_dataset('dmlcluster.pbmc68k_reduced')\n"
        "assert a.shape == (700, 765), a.shape\n"
        "assert a.obs['bulk_labels'].nunique() == 10\n"
        "assert 'louvain' not in a.obs and not a.obsm\n"
        "assert 'scanpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pbmc68k_reduced_without_scanpy_says_what_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "scanpy" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDependencyError, match=r"morphospace-dmlcluster\[scanpy\]"):
        registry.load_dataset("dmlcluster.pbmc68k_reduced")


def test_split_is_stratified_and_reproducible():
    labels = np.array(["a"] * 80 + ["b"] * 20)
    train = stratified_split(labels, 0.25, seed=0)
    assert train[:80].sum() == 20 and train[80:].sum() == 5
    np.testing.assert_array_equal(train, stratified_split(labels, 0.25, seed=0))
    assert not np.array_equal(train, stratified_split(labels, 0.25, seed=1))


def test_split_fraction_outside_zero_one_is_refused():
    with pytest.raises(InputError, match="between 0 and 1"):
        stratified_split(np.array([0, 1]), 1.0, seed=0)


def test_synthetic_ifc_shape_and_annotations(small_ifc):
    assert small_ifc.shape == (400, 20)
    assert set(small_ifc.obs["population"]) == {"P0", "P1", "P2", "P3"}
    assert set(small_ifc.obs["phase"]) == {"G1", "S", "G2M"}
    assert {"area", "eccentricity", "radial_moment", "intensity_ch1"} <= set(small_ifc.var_names)


def test_synthetic_ifc_intensities_are_heavy_tailed():
    from scipy.stats import kurtosis

    adata = registry.load_dataset("dmlcluster.synthetic_ifc", n_cells=3000)
    assert kurtosis(adata[:, "intensity_ch1"].X.ravel()) > 3  # a Gaussian has 0


def test_synthetic_ifc_odd_populations_differ_only_in_marker_co_variation():
    adata = registry.load_dataset("dmlcluster.synthetic_ifc", n_cells=6000)
    pop = adata.obs["population"].to_numpy()
    logs = np.log(adata[:, ["intensity_ch3", "intensity_ch4"]].X)
    p0, p1 = logs[pop == "P0"], logs[pop == "P1"]
    np.testing.assert_allclose(p0.mean(0), p1.mean(0), atol=0.1)  # same means
    assert np.corrcoef(p0.T)[0, 1] > 0.3 > -0.3 > np.corrcoef(p1.T)[0, 1]


def test_synthetic_ifc_dna_content_follows_the_cell_cycle():
    adata = registry.load_dataset("dmlcluster.synthetic_ifc", n_cells=3000)
    dna = adata[:, "dna_intensity"].X.ravel()
    phase = adata.obs["phase"].to_numpy()
    assert np.median(dna[phase == "G2M"]) > 1.7 * np.median(dna[phase == "G1"])


def test_synthetic_ifc_refuses_too_few_features():
    with pytest.raises(InputError, match="n_features: expected at least 16"):
        registry.load_dataset("dmlcluster.synthetic_ifc", n_features=8)
