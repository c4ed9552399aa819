"""The conformance kit over every installed component, all plugins installed together.

A repository plugin gives its components small params and data in the ``CASES`` of
its ``packages/<name>/tests/test_plugin.py`` (read from there, so each case is written
once); every other component, a third-party plugin's included, runs on the kit's
default data for its kind.
"""

import importlib.util
from pathlib import Path

import pytest

from morphospace.core import registry
from morphospace.core.testing import expand, parametrize_with_checks, torch_threads

ROOT = Path(__file__).resolve().parents[1]


def _repository_cases() -> list:
    cases = []
    for path in sorted(ROOT.glob("packages/*/tests/test_plugin.py")):
        plugin = path.parents[1].name
        if not any(p.name == plugin and p.ok for p in registry.plugins()):
            continue  # not installed in this environment
        spec = importlib.util.spec_from_file_location(f"_conformance_{plugin}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases += module.CASES
    return cases


COMPONENTS = [*_repository_cases(), *sorted(p.name for p in registry.plugins() if p.ok)]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    with torch_threads(1):
        yield


def test_every_installed_component_is_checked():
    checked = [case.name for case in expand(COMPONENTS)]
    assert sorted(checked) == sorted(c.name for c in registry.list())


@parametrize_with_checks(COMPONENTS)
def test_conformance(check):
    check()
