"""Discovery, naming, lazy loading and plugin failure handling of the registry."""

import sys

import pytest

from morphospace.core import registry
from morphospace.core.errors import ComponentNotFoundError, ConfigError, PluginError
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
    assert status["broken"].fix == "pip install --force-reinstall fake-broken"
    assert status["ball"].ok
    assert reg.create("encoder", "ball.hyper").config.curvature == 1.0


def test_component_of_broken_plugin_names_the_plugin_and_fix(fake_plugins):
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    with pytest.raises(PluginError, match="fake-broken.*is broken.*pip install --force-reinstall"):
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


def test_validate_params_does_not_import_the_implementation(fake_plugins, monkeypatch):
    fake_plugins.add(
        "fake-split",
        "split",
        "fake_split",
        "from morphospace.core.plugin import PLUGIN_API_VERSION, ComponentSpec, hookimpl\n"
        "@hookimpl\ndef morphospace_api_version():\n    return PLUGIN_API_VERSION\n"
        "@hookimpl\ndef morphospace_components():\n"
        "    return [ComponentSpec('encoder', 'e', 'fake_split_heavy:E', config='fake_split_impl:C')]\n",
        "from morphospace.core import EncoderConfig\nclass C(EncoderConfig):\n    k: int = 3\n",
    )
    config = fake_plugins.registry().validate_params("split.e", {"k": 5})
    assert config.k == 5
    assert "fake_split_heavy" not in sys.modules


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
