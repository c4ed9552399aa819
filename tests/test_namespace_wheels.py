"""Every wheel shares the PEP 420 namespace: none may contain morphospace/__init__.py."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = [ROOT / "core", ROOT / "tests" / "example_plugin"] + sorted(
    p for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file()
)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheels")
    built = {}
    for source in DISTRIBUTIONS:
        before = set(out.iterdir())
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "-w",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
        )
        (wheel,) = set(out.iterdir()) - before
        built[source.name] = wheel
    return built


def test_no_wheel_owns_the_namespace(wheels):
    for name, wheel in wheels.items():
        files = zipfile.ZipFile(wheel).namelist()
        assert "morphospace/__init__.py" not in files, f"{name} ships morphospace/__init__.py"


def test_each_namespace_wheel_installs_its_own_subpackage(wheels):
    for name, wheel in wheels.items():
        files = zipfile.ZipFile(wheel).namelist()
        if name == "example_plugin":
            assert "morphospace_example/plugin.py" in files
        else:
            assert f"morphospace/{name}/__init__.py" in files, f"{name}: {files[:5]}"
