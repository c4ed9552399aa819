"""Every plugin of the repository, installed together, loads and stays light."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from morphospace.core import registry
from morphospace.core.pipeline import plan

ROOT = Path(__file__).resolve().parents[1]
#: distributions under packages/ that register with morphospace (morphospace-napari is a
#: napari plugin instead: it declares a napari.manifest entry point, not this one)
PLUGINS = sorted(
    p.name
    for p in (ROOT / "packages").iterdir()
    if (p / "pyproject.toml").is_file()
    and '"morphospace.plugins"' in (p / "pyproject.toml").read_text(encoding="utf-8")
)
HEAVY = {"torch", "sklearn", "scanpy", "metric_learn", "diffusers", "geoopt", "accelerate"}


def test_every_repository_plugin_is_installed_and_ok():
    status = {p.name: p for p in registry.plugins()}
    for name in PLUGINS:
        assert name in status, f"packages/{name} is not installed in this environment"
        assert status[name].ok, f"{name}: {status[name].reason}"
    assert registry.default_registry().clashes() == []


@pytest.mark.parametrize("component", [c.name for c in registry.list()])
def test_every_component_declares_a_light_config(component):
    record = registry.info(component)
    assert record.config is not None, f"{component} names no config module"
    config = registry.default_registry().config_class(component)
    assert config.__module__ != record.target.split(":")[0]


def test_every_example_pipeline_validates():
    for pipeline in registry.pipelines():
        assert plan(pipeline.name), pipeline.name


def test_listing_and_validating_everything_imports_nothing_heavy():
    code = (
        "import sys, json\n"
        "from morphospace.core import registry\n"
        "from morphospace.core.pipeline import plan\n"
        "registry.list()\n"
        "[registry.default_registry().config_class(c.name) for c in registry.list()]\n"
        "[plan(p.name) for p in registry.pipelines()]\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


@pytest.mark.parametrize("folder", ["../../victim", "/tmp/elsewhere"])
def test_a_pipeline_cannot_send_training_state_outside_the_given_folders(folder):
    """A torch step's checkpoint_dir in a pipeline file is a plain name under --checkpoints."""
    from morphospace.core.errors import PipelineError

    document = {
        "dataset": {"name": "hypervae.toy_hierarchy"},
        "steps": [
            {
                "component": "hypervae.poincare_vae",
                "params": {"training": {"checkpoint_dir": folder}},
                "use_rep": "volume",
            }
        ],
    }
    with pytest.raises(PipelineError, match="training.checkpoint_dir must be a plain name"):
        plan(document)
