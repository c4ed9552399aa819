"""Discovery, naming, lazy loading and plugin failure handling of the registry."""

import sys

import pytest

from morphospace.core import registry
from morphospace.core.errors import (
    ComponentNotFoundError,
    ConfigError,
    MissingDependencyError,
    PluginError,
)
from morphospace.core.plugin import PLUGIN_API_VERSION

BROKEN = "raise RuntimeError('boom at import')\n"

OLD_API = """
from morphospace.core.plugin import hookimpl

@hookimpl
def morphospace_api_version():
    return 0
"""

NO_API = """
from morphospace.core.plugin import ComponentSpec, hookimpl

@hookimpl
def morphospace_components():
    return [ComponentSpec("encoder", "x", "nowhere:X")]
"""


def test_installed_example_plugin_is_discovered():
    names = {c.name for c in registry.list()}
    assert {"example.random_projection", "example.quantile_bins", "example.rand_index"} <= names
    assert [c.name for c in registry.list("clusterer")] == ["example.quantile_bins"]


def test_discovery_does_not_import_component_modules(fake_plugins):
    fake_plugins.add_good()
    reg = fake_plugins.registry()
    assert reg.info("ball.hyper").summary == "a Poincaré encoder"
    assert "fake_ball_impl" not in sys.modules
    reg.get_class("ball.hyper")
    assert "fake_ball_impl" in sys.modules


def test_short_name_resolves_when_unambiguous(fake_plugins):
    fake_plugins.add_good()
    reg = fake_plugins.registry()
    assert reg.info("hyper").name == "ball.hyper"


def test_short_name_shared_by_two_plugins_is_ambiguous(fake_plugins):
    fake_plugins.add_good("fake-a", "a", "fake_a")
    fake_plugins.add_good("fake-b", "b", "fake_b")
    reg = fake_plugins.registry()
    with pytest.raises(ComponentNotFoundError, match="ambiguous: a.hyper, b.hyper"):
        reg.info("hyper")
    assert reg.info("b.hyper").plugin.distribution == "fake-b"


def test_plugin_name_claimed_by_two_distributions_names_both(fake_plugins):
    fake_plugins.add_good("fake-one", "ball", "fake_one")
    fake_plugins.add_good("fake-two", "ball", "fake_two")
    reg = fake_plugins.registry()
    with pytest.raises(PluginError, match="fake-one and fake-two"):
        reg.create("encoder", "ball.hyper")
    assert any("fake-one and fake-two" in message for message in reg.clashes())


def test_plugin_name_clash_raises_in_strict_mode(fake_plugins):
    fake_plugins.add_good("fake-one", "ball", "fake_one")
    fake_plugins.add_good("fake-two", "ball", "fake_two")
    with pytest.raises(PluginError, match="fake-one and fake-two"):
        fake_plugins.registry(strict=True).plugins()


def test_unknown_component_suggests_close_names(fake_plugins):
    fake_plugins.add_good()
    with pytest.raises(ComponentNotFoundError, match=r"Did you mean 'ball.hyper'"):
        fake_plugins.registry().info("ball.hyperr")


def test_unknown_component_with_no_plugins_says_none_installed(fake_plugins):
    with pytest.raises(ComponentNotFoundError, match="none \\(no plugin installed\\)"):
        fake_plugins.registry().info("dmlcluster.nca")


def test_broken_plugin_is_reported_not_fatal(fake_plugins):
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    fake_plugins.add_good()
    reg = fake_plugins.registry()
    status = {p.name: p for p in reg.plugins()}
    assert set(status) == {"broken", "ball"}
    assert status["broken"].status == "broken"
    assert "RuntimeError: boom at import" in status["broken"].reason
    assert status["broken"].fix == (
        "report this error to the authors of fake-broken 0.1: it is a bug in the plugin's "
        "code, which reinstalling will not fix"
    )
    assert status["ball"].ok
    assert reg.create("encoder", "ball.hyper").config.curvature == 1.0


def test_component_of_broken_plugin_names_the_plugin_and_fix(fake_plugins):
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    with pytest.raises(PluginError, match="fake-broken.*is broken.*report this error to"):
        fake_plugins.registry().info("broken.anything")


def test_broken_plugin_raises_in_strict_mode(fake_plugins):
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    with pytest.raises(PluginError, match="boom at import"):
        fake_plugins.registry(strict=True).plugins()


def test_strict_mode_from_environment(fake_plugins, monkeypatch):
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    monkeypatch.setenv("MORPHOSPACE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError):
        fake_plugins.registry().plugins()


def test_incompatible_api_version_is_skipped_with_reason(fake_plugins):
    fake_plugins.add("fake-old", "old", "fake_old", OLD_API)
    (plugin,) = fake_plugins.registry().plugins()
    assert plugin.status == "incompatible"
    assert (
        f"targets plugin API 0, this morphospace-core implements {PLUGIN_API_VERSION}"
        in plugin.reason
    )


def test_plugin_without_api_version_is_incompatible(fake_plugins):
    fake_plugins.add("fake-noapi", "noapi", "fake_noapi", NO_API)
    (plugin,) = fake_plugins.registry().plugins()
    assert plugin.status == "incompatible"
    assert "morphospace_api_version" in plugin.reason


def test_disabled_plugin_is_skipped(fake_plugins, monkeypatch):
    fake_plugins.add_good()
    monkeypatch.setenv("MORPHOSPACE_DISABLE_PLUGINS", "other, ball")
    reg = fake_plugins.registry()
    (plugin,) = reg.plugins()
    assert plugin.status == "disabled"
    assert reg.list() == []


def test_create_rejects_unknown_parameter_by_name(fake_plugins):
    fake_plugins.add_good()
    with pytest.raises(
        ConfigError, match=r"ball.hyper: unknown parameter 'curvatur'. Did you mean 'curvature'"
    ):
        fake_plugins.registry().create("encoder", "ball.hyper", curvatur=2.0)


def test_create_rejects_mistyped_parameter_by_name(fake_plugins):
    fake_plugins.add_good()
    with pytest.raises(ConfigError, match=r"ball.hyper: parameter 'curvature'.*got 'steep'"):
        fake_plugins.registry().create("encoder", "ball.hyper", curvature="steep")


def test_create_checks_the_kind(fake_plugins):
    fake_plugins.add_good()
    with pytest.raises(ComponentNotFoundError, match="ball.hyper is a encoder, not a clusterer"):
        fake_plugins.registry().create("clusterer", "ball.hyper")


def test_unknown_kind_is_rejected():
    with pytest.raises(ComponentNotFoundError, match="unknown component kind 'encodr'"):
        registry.list("encodr")


def test_dataset_parameters_are_checked_against_the_signature(fake_plugins):
    fake_plugins.add_good()
    reg = fake_plugins.registry()
    assert reg.load_dataset("ball.tiny", n_cells=6).n_obs == 6
    with pytest.raises(ConfigError, match=r"dataset ball.tiny: .*n_cels.*accepts \(n_cells=4\)"):
        reg.load_dataset("ball.tiny", n_cels=6)


def test_unknown_dataset_lists_installed_ones():
    with pytest.raises(ComponentNotFoundError, match="Installed datasets: .*example.blobs"):
        registry.load_dataset("example.blobz")


def test_target_that_fails_to_import_names_plugin_and_fix(fake_plugins):
    fake_plugins.add(
        "fake-missing",
        "missing",
        "fake_missing",
        "from morphospace.core.plugin import PLUGIN_API_VERSION, ComponentSpec, hookimpl\n"
        "@hookimpl\ndef morphospace_api_version():\n    return PLUGIN_API_VERSION\n"
        "@hookimpl\ndef morphospace_components():\n"
        "    return [ComponentSpec('encoder', 'e', 'fake_not_there:E')]\n",
    )
    with pytest.raises(
        PluginError, match=r"missing.e could not be loaded .*fake-missing 0.1.*No module"
    ):
        fake_plugins.registry().get_class("missing.e")


PLUGIN_HEADER = (
    "from morphospace.core.plugin import PLUGIN_API_VERSION, ComponentSpec, PipelineSpec, hookimpl\n"
    "@hookimpl\ndef morphospace_api_version():\n    return PLUGIN_API_VERSION\n"
)


def _plugin_with_component(target: str) -> str:
    return (
        PLUGIN_HEADER + "@hookimpl\ndef morphospace_components():\n"
        f"    return [ComponentSpec('encoder', 'e', {target!r})]\n"
    )


def test_missing_module_in_a_plugin_is_a_packaging_failure(fake_plugins):
    fake_plugins.add("fake-pkg", "pkg", "fake_pkg", "import fake_not_installed_anywhere\n")
    (plugin,) = fake_plugins.registry().plugins()
    assert plugin.status == "broken"
    assert "ModuleNotFoundError: No module named 'fake_not_installed_anywhere'" in plugin.reason
    assert plugin.fix == "pip install --force-reinstall fake-pkg"


def test_entry_point_naming_a_missing_attribute_is_a_packaging_failure(fake_plugins):
    fake_plugins.add("fake-attr", "attr", "fake_attr", PLUGIN_HEADER)
    (info,) = fake_plugins.root.glob("fake_attr-*.dist-info")
    (info / "entry_points.txt").write_text("[morphospace.plugins]\nattr = fake_attr:hooks\n")
    (plugin,) = fake_plugins.registry().plugins()
    assert plugin.reason == "fake_attr has no attribute 'hooks'"
    assert plugin.fix == "pip install --force-reinstall fake-attr"


def test_plugin_module_calling_sys_exit_is_broken_not_fatal(fake_plugins):
    fake_plugins.add("fake-exit", "exit", "fake_exit", "import sys\nsys.exit(3)\n")
    fake_plugins.add_good()
    status = {p.name: p for p in fake_plugins.registry().plugins()}
    assert status["exit"].status == "broken"
    assert status["exit"].reason == "import failed: the module called sys.exit(3)"
    assert status["exit"].fix.startswith("report this error to the authors of fake-exit 0.1")
    assert status["ball"].ok


def test_hook_calling_sys_exit_is_broken_not_fatal(fake_plugins):
    source = PLUGIN_HEADER + "@hookimpl\ndef morphospace_components():\n    raise SystemExit\n"
    fake_plugins.add("fake-hook", "hook", "fake_hook", source)
    (plugin,) = fake_plugins.registry().plugins()
    assert plugin.status == "broken"
    assert plugin.reason == "a hook failed: the module called sys.exit(None)"


def test_keyboard_interrupt_in_a_plugin_still_interrupts(fake_plugins):
    fake_plugins.add("fake-ctrlc", "ctrlc", "fake_ctrlc", "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        fake_plugins.registry().plugins()


def test_implementation_missing_a_dependency_raises_missing_dependency(fake_plugins):
    fake_plugins.add(
        "fake-opt",
        "opt",
        "fake_opt",
        _plugin_with_component("fake_opt_impl:E"),
        "from morphospace.core.dependencies import require\n"
        "require('fake_absent_dep', install='fake-opt[extra]', needed_for='opt.e')\n",
    )
    with pytest.raises(MissingDependencyError, match=r"pip install 'fake-opt\[extra\]'"):
        fake_plugins.registry().get_class("opt.e")


def test_implementation_with_a_code_bug_asks_to_report_it(fake_plugins):
    fake_plugins.add(
        "fake-bug", "bug", "fake_bug", _plugin_with_component("fake_bug_impl:E"), "1 / 0\n"
    )
    with pytest.raises(
        PluginError,
        match=r"bug.e could not be loaded from fake_bug_impl:E \(fake-bug 0.1\): "
        r"ZeroDivisionError: division by zero. Fix: report this error to the authors of fake-bug",
    ):
        fake_plugins.registry().get_class("bug.e")


def test_missing_implementation_class_is_a_packaging_failure(fake_plugins):
    fake_plugins.add(
        "fake-cls", "cls", "fake_cls", _plugin_with_component("fake_cls_impl:Gone"), "x = 1\n"
    )
    with pytest.raises(
        PluginError, match=r"fake_cls_impl has no attribute 'Gone'. Fix: pip install --force"
    ):
        fake_plugins.registry().get_class("cls.e")


def test_pipeline_needing_an_uninstalled_plugin_says_which(fake_plugins):
    source = PLUGIN_HEADER + (
        "@hookimpl\ndef morphospace_pipelines():\n"
        "    return [PipelineSpec('p', 'fake_req:p.yaml', requires=('ball', 'dmlcluster'))]\n"
    )
    fake_plugins.add("fake-req", "req", "fake_req", source)
    fake_plugins.add_good()
    reg = fake_plugins.registry()
    assert reg.pipeline_info("req.p").requires == ("ball", "dmlcluster")
    with pytest.raises(
        MissingDependencyError,
        match=r"pipeline req.p needs the plugin 'dmlcluster', which is not installed: "
        r"pip install morphospace-dmlcluster",
    ):
        reg.check_requirements(reg.pipeline_info("req.p"))


def test_pipeline_needing_a_broken_plugin_says_it_is_broken(fake_plugins):
    source = PLUGIN_HEADER + (
        "@hookimpl\ndef morphospace_pipelines():\n"
        "    return [PipelineSpec('p', 'fake_req:p.yaml', requires=('broken',))]\n"
    )
    fake_plugins.add("fake-req", "req", "fake_req", source)
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    reg = fake_plugins.registry()
    with pytest.raises(
        MissingDependencyError,
        match=r"needs the plugin 'broken', which is broken: import failed: RuntimeError",
    ):
        reg.check_requirements(reg.pipeline_info("req.p"))


def test_pipeline_whose_requirements_are_installed_passes_the_check(fake_plugins):
    source = PLUGIN_HEADER + (
        "@hookimpl\ndef morphospace_pipelines():\n"
        "    return [PipelineSpec('p', 'fake_req:p.yaml', requires=('ball',))]\n"
    )
    fake_plugins.add("fake-req", "req", "fake_req", source)
    fake_plugins.add_good()
    reg = fake_plugins.registry()
    assert reg.check_requirements(reg.pipeline_info("req.p")) is None


def test_lookup_of_an_unknown_name_covers_components_and_datasets(fake_plugins):
    fake_plugins.add_good()
    with pytest.raises(
        ComponentNotFoundError,
        match=r"no installed plugin provides the component or dataset 'notyet.encoder' "
        r"\(no plugin named 'notyet' is installed\)",
    ):
        fake_plugins.registry().lookup("notyet.encoder")
    with pytest.raises(ComponentNotFoundError, match=r"Did you mean 'ball.tiny'"):
        fake_plugins.registry().lookup("ball.tin")
    assert fake_plugins.registry().lookup("tiny").name == "ball.tiny"
    assert fake_plugins.registry().lookup("hyper").kind == "encoder"


def test_dataset_parameters_come_from_its_signature(fake_plugins):
    fake_plugins.add_good()
    assert fake_plugins.registry().dataset_parameters("ball.tiny") == [
        ("n_cells", "int", "default 4", "")
    ]


def test_module_list_is_public_and_the_builtin_stays_unshadowed():
    assert [c.name for c in registry.list("clusterer")] == ["example.quantile_bins"]
    assert "list" not in vars(registry)


def test_plugin_name_clash_fix_is_to_uninstall_one(fake_plugins):
    fake_plugins.add_good("fake-one", "ball", "fake_one")
    fake_plugins.add_good("fake-two", "ball", "fake_two")
    clashing = [p for p in fake_plugins.registry().plugins() if not p.ok]
    assert [p.fix for p in clashing] == ["pip uninstall fake-two (or fake-one)"]


def test_pipeline_requires_given_as_one_string_is_refused(fake_plugins):
    source = PLUGIN_HEADER + (
        "@hookimpl\ndef morphospace_pipelines():\n"
        "    return [PipelineSpec('p', 'fake_req:p.yaml', requires='dmlcluster')]\n"
    )
    fake_plugins.add("fake-req", "req", "fake_req", source)
    (plugin,) = fake_plugins.registry().plugins()
    assert plugin.status == "broken"
    assert plugin.reason == "pipeline 'p': requires must be a tuple of plugin names"
