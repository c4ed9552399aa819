"""The plugin is discoverable, light to import, and every component is creatable by name."""

import subprocess
import sys
from pathlib import Path

import pytest

from morphospace.core import registry

PACKAGE = Path(__file__).resolve().parents[1]
COMPONENTS = {
    "diffkillr.invariant_net": "encoder",
    "diffkillr.mapping_net": "registrar",
    "diffkillr.annotator": "encoder",
    "diffkillr.matching": "evaluator",
    "diffkillr.registration": "evaluator",
    "diffkillr.counting": "evaluator",
    "diffkillr.orientation": "evaluator",
}


def test_importing_plugin_and_config_and_planning_pipelines_does_not_import_torch():
    code = (
        "import sys\n"
        "import morphospace.diffkillr.plugin, morphospace.diffkillr.config\n"
        "from morphospace.core import registry\n"
        "from morphospace.core.pipeline.runner import plan\n"
        "registry.list()\n"
        "for name in ('diffkillr.annotate', 'diffkillr.cells', 'diffkillr.ihc'):\n"
        "    plan(name)\n"
        "registry.info('diffkillr.annotator')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'skimage' not in sys.modules, 'skimage was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_namespace_init_file_is_shipped():
    assert not (PACKAGE / "src" / "morphospace" / "__init__.py").exists()


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_every_component_is_creatable_through_the_registry(name):
    component = registry.create(COMPONENTS[name], name)
    assert component.name == name


def test_unknown_parameter_is_rejected_with_the_component_name():
    with pytest.raises(Exception, match="diffkillr.mapping_net.*integraton"):
        registry.create("registrar", "diffkillr.mapping_net", integraton="svf")


def test_annotator_validates_nested_network_params():
    with pytest.raises(Exception, match="n_stepz"):
        registry.create("encoder", "diffkillr.annotator", invariant_net={"n_stepz": 3})


def test_datasets_and_pipelines_are_declared():
    names = {d.name for d in registry.datasets()}
    assert {
        "diffkillr.synthetic_fields",
        "diffkillr.synthetic_cells",
        "diffkillr.immunohistochemistry",
        "diffkillr.cell",
    } <= names
    pipelines = {p.name for p in registry.pipelines()}
    assert {"diffkillr.annotate", "diffkillr.cells"} <= pipelines
