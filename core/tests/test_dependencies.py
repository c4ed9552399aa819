"""Optional dependencies fail with one error that names the pip command."""

import pytest

from morphospace.core.dependencies import missing_dependency, require
from morphospace.core.errors import MissingDependencyError


def test_require_returns_the_installed_module():
    import json

    assert require("json", install="json", needed_for="a test") is json


def test_missing_module_names_what_needs_it_and_the_install_command():
    with pytest.raises(
        MissingDependencyError,
        match=r"^dmlcluster\.leiden with flavor='leidenalg' needs the package "
        r"'no_such_pkg_xyz', which is not installed: pip install 'no-such-pkg\[extra\]'$",
    ):
        require(
            "no_such_pkg_xyz",
            install="no-such-pkg[extra]",
            needed_for="dmlcluster.leiden with flavor='leidenalg'",
        )


def test_missing_submodule_of_an_absent_package_counts_as_missing():
    with pytest.raises(MissingDependencyError, match="'no_such_pkg_xyz.sub'"):
        require("no_such_pkg_xyz.sub", install="no-such-pkg", needed_for="x")


def test_a_package_that_is_installed_but_fails_inside_is_not_reported_missing(
    tmp_path, monkeypatch
):
    (tmp_path / "fake_dep_broken.py").write_text("import fake_dep_absent_inner\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        require("fake_dep_broken", install="fake-dep", needed_for="x")
    assert not isinstance(caught.value, MissingDependencyError)
    assert caught.value.name == "fake_dep_absent_inner"


def test_missing_dependency_is_an_import_error_for_existing_handlers():
    error = missing_dependency("scanpy", install="morphospace-dmlcluster[scanpy]", needed_for="x")
    assert isinstance(error, ImportError)
    assert str(error).endswith("pip install 'morphospace-dmlcluster[scanpy]'")
