"""Every component passes the conformance kit; the plugin ships its datasets and stays light."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from morphospace.core import registry
from morphospace.core.testing import ComponentCase, parametrize_with_checks

PACKAGE = Path(__file__).resolve().parents[1]

#: The cases the conformance kit runs here and in the cross env (tests/test_conformance.py).
CASES = [
    ComponentCase("dmlcluster.lmnn", params={"max_iter": 20}),  # 1000 steps by default
    ComponentCase("dmlcluster.mlkr", params={"max_iter": 50}),
    "dmlcluster",  # every other component, on the kit's default data
]


@parametrize_with_checks(CASES)
def test_conformance(check):
    check()


def test_datasets_and_pipelines_are_registered():
    datasets = {d.name for d in registry.datasets()}
    assert {
        "dmlcluster.breast_cancer",
        "dmlcluster.pbmc68k_reduced",
        "dmlcluster.synthetic_ifc",
    } <= datasets
    demos = {p.name for p in registry.pipelines() if p.demo}
    # the demo reproduces the published table's pattern on both real datasets
    assert {"dmlcluster.breast_cancer", "dmlcluster.pbmc68k_reduced"} <= demos


def test_listing_components_imports_no_heavy_library():
    code = (
        "import sys\n"
        "import morphospace.dmlcluster.plugin, morphospace.dmlcluster.config\n"
        "from morphospace.core import registry\n"
        "registry.list(); registry.info('dmlcluster.nca'); registry.default_registry().config_class('dmlcluster.nca')\n"
        "from morphospace.core.pipeline import plan\n"
        "plan('dmlcluster.breast_cancer')\n"
        "heavy = [m for m in ('sklearn', 'metric_learn', 'scanpy', 'igraph', 'leidenalg',"
        " 'torch') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_wheel_ships_the_namespace_package_and_its_pipelines(tmp_path):
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=PACKAGE,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "morphospace/__init__.py" not in names
    assert "morphospace/dmlcluster/plugin.py" in names
    assert "morphospace/dmlcluster/pipelines/breast_cancer.yaml" in names


def test_supervised_encoders_declare_that_they_need_labels():
    for name in ["nca", "fast_nca", "lmnn", "mlkr", "lfda"]:
        assert registry.default_registry().config_class(f"dmlcluster.{name}").requires_labels
    assert not registry.default_registry().config_class("dmlcluster.pca").requires_labels
