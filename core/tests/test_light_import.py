"""Importing the core, listing plugins and validating pipelines stay light.

Each check runs in a fresh interpreter and inspects ``sys.modules`` afterwards.
"""

import json
import subprocess
import sys

HEAVY = ["torch", "scanpy", "diffusers", "sklearn", "anndata", "pandas", "matplotlib"]
IMPLEMENTATIONS = [
    "morphospace_example.random_projection",
    "morphospace_example.quantile_bins",
    "morphospace_example.rand_index",
    "morphospace_example.blobs",
]


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_the_core_imports_nothing_heavy():
    loaded = _modules_after("import morphospace.core; from morphospace.core import registry")
    assert not loaded & set(HEAVY)


def test_listing_plugins_imports_no_implementation():
    loaded = _modules_after(
        "from morphospace.core.cli import cli\n"
        "try:\n    cli(['plugins'], prog_name='morphospace')\nexcept SystemExit:\n    pass"
    )
    assert not loaded & set(HEAVY)
    assert not loaded & set(IMPLEMENTATIONS)
    assert "morphospace_example.plugin" in loaded


def test_info_and_validation_import_no_implementation():
    loaded = _modules_after(
        "from morphospace.core import registry\n"
        "from morphospace.core.pipeline import plan\n"
        "registry.default_registry().config_class('example.random_projection')\n"
        "plan('example.blobs_pipeline')"
    )
    assert not loaded & set(IMPLEMENTATIONS)
    assert "torch" not in loaded


def test_a_plugin_config_importing_the_training_block_loads_no_numpy():
    code = (
        "import sys\n"
        "from morphospace.core.training import TrainingConfig\n"
        "TrainingConfig(n_steps=3)\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
