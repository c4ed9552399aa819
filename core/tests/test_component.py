"""Component configs, fitted state and checkpoints (config.json + npz, no pickle)."""

import json

import numpy as np
import pytest

from morphospace.core import load, registry
from morphospace.core.errors import CheckpointError, ConfigError, NotFittedError


def _fitted_projection(blobs):
    encoder = registry.create("encoder", "example.random_projection", n_components=3, seed=1)
    return encoder.fit(blobs.X)


def test_config_defaults_and_repr():
    encoder = registry.create("encoder", "example.random_projection", n_components=3)
    assert encoder.config.n_components == 3 and encoder.config.seed == 0
    assert repr(encoder) == "RandomProjection(n_components=3)"
    assert encoder.name == "example.random_projection"


def test_direct_construction_validates_too():
    cls = registry.get_class("example.random_projection")
    with pytest.raises(ConfigError, match="example.random_projection: parameter 'n_components'"):
        cls(n_components=0)
    with pytest.raises(ConfigError, match="unknown parameter 'n_comp'"):
        cls(n_comp=2)


def test_using_an_unfitted_component_says_fit_first(blobs):
    encoder = registry.create("encoder", "example.random_projection")
    with pytest.raises(NotFittedError, match="example.random_projection is not fitted yet"):
        encoder.encode(blobs.X)


def test_save_load_round_trip_gives_identical_output(blobs, tmp_path):
    encoder = _fitted_projection(blobs)
    encoder.save(tmp_path / "ckpt")
    record = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert record["component"] == "example.random_projection"
    assert record["plugin_version"] == "0.2.0"
    assert record["plugin_api_version"] == 2
    assert record["params"] == {"n_components": 3, "seed": 1}
    assert set(record["files"]) == {"state.npz"}
    for loaded in (load(tmp_path / "ckpt"), type(encoder).load(tmp_path / "ckpt")):
        np.testing.assert_array_equal(loaded.encode(blobs.X), encoder.encode(blobs.X))


def test_checkpoint_arrays_are_loaded_without_pickle(blobs, tmp_path, monkeypatch):
    _fitted_projection(blobs).save(tmp_path / "ckpt")
    calls = []
    original = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: calls.append(k) or original(*a, **k))
    load(tmp_path / "ckpt")
    assert calls and all(k.get("allow_pickle") is False for k in calls)


def test_tampered_checkpoint_file_is_refused(blobs, tmp_path):
    _fitted_projection(blobs).save(tmp_path / "ckpt")
    state = tmp_path / "ckpt" / "state.npz"
    np.savez(state, components_=np.zeros((5, 3)))
    with pytest.raises(CheckpointError, match="state.npz does not match the SHA-256"):
        load(tmp_path / "ckpt")


def test_missing_checkpoint_file_is_refused(blobs, tmp_path):
    _fitted_projection(blobs).save(tmp_path / "ckpt")
    (tmp_path / "ckpt" / "state.npz").unlink()
    with pytest.raises(CheckpointError, match="missing state.npz, listed in config.json"):
        load(tmp_path / "ckpt")


def test_missing_or_malformed_config_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="config.json is missing"):
        load(tmp_path / "empty")
    (tmp_path / "empty" / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load(tmp_path / "empty")
    with pytest.raises(CheckpointError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_checkpoint_of_unregistered_component_is_refused(blobs, tmp_path):
    _fitted_projection(blobs).save(tmp_path / "ckpt")
    path = tmp_path / "ckpt" / "config.json"
    record = json.loads(path.read_text())
    record.update(component=None, target="os:system")
    path.write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="os:system, which no installed plugin declares"):
        load(tmp_path / "ckpt")


def test_unknown_saved_parameter_warns_and_is_ignored(blobs, tmp_path):
    _fitted_projection(blobs).save(tmp_path / "ckpt")
    path = tmp_path / "ckpt" / "config.json"
    record = json.loads(path.read_text())
    record["params"]["retired_option"] = 1
    path.write_text(json.dumps(record))
    with pytest.warns(UserWarning, match="ignoring parameter\\(s\\) retired_option"):
        assert load(tmp_path / "ckpt").config.n_components == 3


def test_save_refuses_to_overwrite_and_failed_save_leaves_nothing(blobs, tmp_path, monkeypatch):
    encoder = _fitted_projection(blobs)
    encoder.save(tmp_path / "ckpt")
    with pytest.raises(Exception, match="already exists"):
        encoder.save(tmp_path / "ckpt")

    def explode(directory):
        (directory / "half.bin").write_bytes(b"x")
        raise OSError("disk full")

    monkeypatch.setattr(encoder, "_save_state", explode)
    with pytest.raises(OSError, match="disk full"):
        encoder.save(tmp_path / "other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_a_component_known_only_to_a_custom_registry_saves_under_its_name(fake_plugins, tmp_path):
    fake_plugins.add_good()
    custom = fake_plugins.registry()
    encoder = custom.create("encoder", "ball.hyper").fit(np.ones((4, 3)))
    assert encoder.name == "ball.hyper"
    encoder.save(tmp_path / "enc")
    record = json.loads((tmp_path / "enc" / "config.json").read_text())
    assert record["component"] == "ball.hyper"
    assert record["plugin_version"] == "0.1"


def test_creating_a_component_runs_no_plugin_discovery(monkeypatch):
    from morphospace.core import registry as registry_module
    from morphospace_example.random_projection import RandomProjection

    def fail(*args, **kwargs):
        raise AssertionError("Component.__init__ ran plugin discovery")

    registry_module.reset()
    monkeypatch.setattr(registry_module.Registry, "_discover", fail)
    assert RandomProjection(n_components=3).config.n_components == 3
