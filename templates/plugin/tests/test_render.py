"""The plugin template, as a plugin author meets it: rendered with copier for every
component kind, built and installed beside the core, found by the registry through its
entry point, and its own tests (the core's conformance kit and a behaviour test) pass."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parents[1]
QUESTIONS = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
KINDS = QUESTIONS["component_kind"]["choices"]


def render(destination: Path, **answers) -> Path:
    from copier import run_copy

    run_copy(str(TEMPLATE), destination, data=answers, defaults=True, quiet=True)
    return destination


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_the_rendered_plugin_installs_is_listed_and_passes_its_tests(kind, tmp_path):
    plugin = render(tmp_path / "plugin", plugin_name=f"my_{kind}", component_kind=kind)
    site = tmp_path / "site"  # installed there, not into this environment
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(plugin)],
        check=True,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "MORPHOSPACE_STRICT_PLUGINS": "1"}
    listed = subprocess.run(
        [sys.executable, "-m", "morphospace.core", "plugins"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    assert f"my_{kind}." in listed.stdout and kind in listed.stdout
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=plugin,
        env=env,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_the_component_is_named_after_the_answers(tmp_path):
    plugin = render(
        tmp_path / "p", plugin_name="cell_shapes", component_kind="clusterer", component_name="gmm"
    )
    package = plugin / "src" / "morphospace_cell_shapes"
    assert (package / "gmm.py").is_file() and (plugin / "tests" / "test_gmm.py").is_file()
    pyproject = (plugin / "pyproject.toml").read_text()
    assert 'name = "morphospace-cell-shapes"' in pyproject
    assert 'cell_shapes = "morphospace_cell_shapes.plugin"' in pyproject
    assert 'target="morphospace_cell_shapes.gmm:Gmm"' in (package / "plugin.py").read_text()


def test_a_name_that_is_not_an_identifier_is_refused(tmp_path):
    from copier.errors import CopierError

    with pytest.raises((CopierError, ValueError)):
        render(tmp_path / "p", plugin_name="My Plugin!")
