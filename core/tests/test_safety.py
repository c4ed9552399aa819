"""Attacks on the runner and the checkpoint loader, as a hostile or careless user would try.

Every file a user hands us (a pipeline, a checkpoint folder) is treated as hostile: it
never makes morphospace write, read or delete outside the folder it was given, never
loads undeclared state and never deletes what the run did not create.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pydantic
import pytest
import yaml

from morphospace.core import registry
from morphospace.core.atomic import OUTPUT_MARKER, atomic_directory
from morphospace.core.checkpoint import file_sha256
from morphospace.core.config import INPUT_FILE, params_of
from morphospace.core.errors import (
    CheckpointError,
    ConfigError,
    MorphospaceError,
    OutputExistsError,
    PipelineError,
)
from morphospace.core.pipeline import load_pipeline, plan, run
from morphospace.core.pipeline.paths import check_path_names, place_paths
from morphospace.core.training.config import TrainingConfig

BLOBS = {
    "name": "blobs",
    "seed": 3,
    "dataset": {"name": "example.blobs", "params": {"n_cells": 60}},
    "steps": [
        {"component": "example.random_projection", "use_rep": "X", "key_added": "proj"},
        {
            "component": "example.quantile_bins",
            "params": {"n_clusters": 3},
            "use_rep": "X_proj",
            "key_added": "bins",
        },
    ],
}


def _pipeline(**step0):
    document = json.loads(json.dumps(BLOBS))
    document["steps"][0].update(step0)
    return document


def _fitted_projection():
    encoder = registry.create("encoder", "example.random_projection")
    return encoder.fit(np.random.default_rng(0).normal(size=(20, 5)))


def _env():
    env = dict(os.environ, MORPHOSPACE_PROGRESS="0")
    env.pop("MORPHOSPACE_STRICT_PLUGINS", None)
    return env


def _cli(*args, env=None, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "morphospace.core", *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=120,
        **kwargs,
    )


# ------------------------------------------------------------------ 1. path traversal
@pytest.mark.parametrize("key", ["../../victim", "/tmp/absolute", "a/b", "..", ".hidden", ""])
def test_key_added_that_is_not_a_safe_name_is_refused_by_validate(key):
    with pytest.raises(PipelineError, match="key_added"):
        plan(_pipeline(key_added=key))


def test_a_traversing_key_added_never_touches_the_victim(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(PipelineError):
        run(_pipeline(key_added="../../../victim"), out)
    assert (victim / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in victim.iterdir()) == ["precious.txt"]
    assert not out.exists()


# ------------------------------------------------------------------ 2. no data loss
def test_a_directory_created_during_the_run_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputExistsError, match="appeared while"), atomic_directory(out) as tmp:
        (tmp / "result.txt").write_text("new")
        out.mkdir()
        (out / "mine.txt").write_text("the user's")
    assert (out / "mine.txt").read_text() == "the user's"
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no partial left behind


def test_two_runs_into_one_out_cannot_both_succeed(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputExistsError), atomic_directory(out) as first:
        (first / "a.txt").write_text("first")
        with atomic_directory(out) as second:
            (second / "b.txt").write_text("second")
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, "b.txt"]


def test_overwrite_refuses_a_directory_morphospace_did_not_write(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with (
        pytest.raises(OutputExistsError, match="not written by morphospace"),
        atomic_directory(home, overwrite=True) as tmp,
    ):
        (tmp / "x").write_text("x")
    assert (home / "thesis.tex").read_text() == "years of work"


def test_overwrite_replaces_an_earlier_output(tmp_path):
    out = tmp_path / "out"
    with atomic_directory(out) as tmp:
        (tmp / "old.txt").write_text("old")
    with atomic_directory(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, "new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_overwrite_onto_a_read_only_output_is_refused_before_any_work(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with atomic_directory(out) as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "old.txt").write_text("old")
    (out / "sub").chmod(0o555)
    if os.geteuid() == 0:  # root may write anywhere: let the check see what a user would
        real_access = os.access
        monkeypatch.setattr(
            "morphospace.core.atomic.os.access",
            lambda path, mode: Path(path).name != "sub" and real_access(path, mode),
        )
    try:
        with (
            pytest.raises(OutputExistsError, match="read-only"),
            atomic_directory(out, overwrite=True),
        ):
            raise AssertionError("the block must not run")
        assert (out / "sub" / "old.txt").exists()
        assert [p.name for p in tmp_path.iterdir()] == ["out"]
    finally:
        (out / "sub").chmod(0o755)


def test_overwrite_of_a_read_only_output_removes_the_old_copy(tmp_path):
    """Files inside read-only folders of an old output (as root sees them) go too."""
    out = tmp_path / "out"
    with atomic_directory(out) as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "old.txt").write_text("old")
    (out / "sub" / "old.txt").chmod(0o444)
    with atomic_directory(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_stale_partial_directories_of_dead_runs_are_cleaned(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    stale = tmp_path / f".out.{pid}.abcd.partial"
    stale.mkdir()
    (stale / OUTPUT_MARKER).write_text("{}")
    foreign = tmp_path / f".out.{pid}.efgh.partial"  # not ours: no marker
    foreign.mkdir()
    alive = tmp_path / f".out.{os.getpid()}.ijkl.partial"  # a live run's
    alive.mkdir()
    (alive / OUTPUT_MARKER).write_text("{}")
    with atomic_directory(tmp_path / "out") as tmp:
        (tmp / "x").write_text("x")
    assert not stale.exists()
    assert foreign.exists() and alive.exists()


def test_save_in_python_suggests_the_python_argument(tmp_path):
    encoder = _fitted_projection()
    encoder.save(tmp_path / "enc")
    with pytest.raises(OutputExistsError, match=r"overwrite=True") as info:
        encoder.save(tmp_path / "enc")
    assert "--overwrite" not in str(info.value)


def test_the_cli_suggests_the_flag(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "file").write_text("x")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(yaml.safe_dump(BLOBS))
    result = _cli("run", str(pipeline), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "--overwrite" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------ 3. checkpoint hashes
def _rewrite_config(directory: Path, **changes):
    path = directory / "config.json"
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))


def _tamper_state(directory: Path, **arrays):
    np.savez(directory / "state.npz", **arrays)


def test_a_checkpoint_without_hashes_is_refused(tmp_path):
    _fitted_projection().save(tmp_path / "enc")
    _tamper_state(tmp_path / "enc", components_=np.zeros((5, 2)))
    _rewrite_config(tmp_path / "enc", files={})
    with pytest.raises(CheckpointError, match="state.npz.*not listed"):
        type(_fitted_projection()).load(tmp_path / "enc")


def test_a_rehashed_corrupt_npz_is_a_checkpoint_error(tmp_path):
    _fitted_projection().save(tmp_path / "enc")
    (tmp_path / "enc" / "state.npz").write_bytes(b"PK\x03\x04 not a zip at all")
    _rewrite_config(tmp_path / "enc", files={"state.npz": file_sha256(tmp_path / "enc/state.npz")})
    with pytest.raises(CheckpointError, match="state.npz"):
        type(_fitted_projection()).load(tmp_path / "enc")


@pytest.mark.parametrize("name", ["../outside.npz", "/etc/hostname", "sub/../../x"])
def test_a_checkpoint_cannot_name_a_file_outside_its_folder(tmp_path, name):
    _fitted_projection().save(tmp_path / "enc")
    _rewrite_config(tmp_path / "enc", files={"state.npz": "0" * 64, name: "0" * 64})
    with pytest.raises(CheckpointError, match="outside|not a plain"):
        type(_fitted_projection()).load(tmp_path / "enc")


def test_a_symlink_in_a_checkpoint_is_refused(tmp_path):
    secret = tmp_path / "secret.npz"
    np.savez(secret, components_=np.ones((5, 2)))
    _fitted_projection().save(tmp_path / "enc")
    (tmp_path / "enc" / "state.npz").unlink()
    (tmp_path / "enc" / "state.npz").symlink_to(secret)
    _rewrite_config(tmp_path / "enc", files={"state.npz": file_sha256(secret)})
    with pytest.raises(CheckpointError, match="link"):
        type(_fitted_projection()).load(tmp_path / "enc")


# ------------------------------------------------------------------ 8. declared state only
def test_extra_state_keys_never_become_attributes(tmp_path):
    encoder = _fitted_projection()
    encoder.save(tmp_path / "enc")
    _tamper_state(tmp_path / "enc", components_=encoder.components_, encode=np.zeros(3))
    _rewrite_config(tmp_path / "enc", files={"state.npz": file_sha256(tmp_path / "enc/state.npz")})
    with pytest.raises(CheckpointError, match="encode"):
        type(encoder).load(tmp_path / "enc")


def test_a_checkpoint_of_another_kind_is_refused(tmp_path):
    clusterer = registry.create("clusterer", "example.quantile_bins", n_clusters=2)
    clusterer.fit_predict(np.random.default_rng(0).normal(size=(20, 2)))
    clusterer.save(tmp_path / "bins")
    _rewrite_config(tmp_path / "bins", component="example.random_projection")
    with pytest.raises(CheckpointError, match="clusterer"):
        registry.get_class("example.random_projection").load(tmp_path / "bins")
    from morphospace.core.component import Component

    with pytest.raises(CheckpointError, match="clusterer"):
        Component.load(tmp_path / "bins")


@pytest.mark.parametrize(
    "changes",
    [
        {"params": ["n_components", 2]},
        {"params": {"n_components": "two"}},
        {"files": ["state.npz"]},
        {"files": {"state.npz": 7}},
        {"component": 3},
        {"component": {"name": "x"}},
    ],
)
def test_malformed_checkpoint_fields_are_checkpoint_errors(tmp_path, changes):
    _fitted_projection().save(tmp_path / "enc")
    _rewrite_config(tmp_path / "enc", **changes)
    with pytest.raises(CheckpointError):
        type(_fitted_projection()).load(tmp_path / "enc")


def test_every_checkpoint_file_gets_the_same_permissions(tmp_path):
    _fitted_projection().save(tmp_path / "enc")
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "enc").iterdir()}
    assert len(set(modes.values())) == 1, modes


# ------------------------------------------------------------------ 4. documents
def test_duplicate_yaml_keys_are_an_error_naming_key_and_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            dataset: {name: example.blobs}
            steps:
              - component: example.random_projection
                key_added: proj
                component: example.quantile_bins
            """
        )
    )
    with pytest.raises(PipelineError, match=r"'component'.*line 5"):
        load_pipeline(path)


def test_duplicate_json_keys_are_an_error_naming_key_and_line(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"dataset": {"name": "example.blobs"},\n "steps": [],\n "steps": []}')
    with pytest.raises(PipelineError, match=r"'steps'.*line 3"):
        load_pipeline(path)


def test_an_alias_bomb_gives_a_short_error(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "dataset: {name: example.blobs}\nsteps:\n  - component: example.random_projection\n"
        "    params:\n" + "".join(f"      {line}\n" for line in lines)
    )
    assert path.stat().st_size < 1000
    with pytest.raises(PipelineError) as info:
        load_pipeline(path)
    assert len(str(info.value)) < 2000


def test_deep_nesting_is_a_pipeline_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("dataset: {name: example.blobs}\nsteps: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(PipelineError, match="nest"):
        load_pipeline(path)


def test_a_long_bad_value_is_shortened_in_config_errors():
    with pytest.raises(ConfigError) as info:
        registry.create("encoder", "example.random_projection", n_components="x" * 100_000)
    assert len(str(info.value)) < 2000


def test_a_directory_given_as_pipeline_says_so(tmp_path):
    with pytest.raises(PipelineError, match="is a directory"):
        load_pipeline(tmp_path)


# ------------------------------------------------------------------ 10. low
def test_a_bool_is_not_accepted_as_a_number():
    with pytest.raises(ConfigError, match="n_components"):
        registry.create("encoder", "example.random_projection", n_components=True)


def test_a_negative_seed_fails_validate():
    document = json.loads(json.dumps(BLOBS))
    document["seed"] = -1
    with pytest.raises(PipelineError, match="seed"):
        plan(document)


def test_a_negative_component_seed_is_a_config_error():
    with pytest.raises(ConfigError, match="seed"):
        registry.create("encoder", "example.random_projection", seed=-1)


def test_nan_is_reported_at_its_anndata_row(tmp_path):
    from morphospace.core import tl

    adata = registry.load_dataset("example.blobs", n_cells=40)
    train = np.zeros(adata.n_obs, dtype=bool)
    train[20:] = True
    adata.obs["fit_rows"] = train
    adata.X[25, 1] = np.nan
    with pytest.raises(MorphospaceError, match=r"\(25, 1\)"):
        tl.encode(adata, "example.random_projection", fit_on="fit_rows")


# ------------------------------------------------------------------ 5, 9, 10. the CLI
def test_strict_mode_is_one_paragraph_without_debug(tmp_path):
    plugin = tmp_path / "broken_plugin"
    plugin.mkdir()
    (plugin / "broken_mod.py").write_text("raise ImportError('needs libfoo')\n")
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[morphospace.plugins]\nbroken = broken_mod\n")
    env = dict(_env(), MORPHOSPACE_STRICT_PLUGINS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(plugin), env.get("PYTHONPATH", "")])
    result = _cli("plugins", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "broken" in result.stderr and "libfoo" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 6


FAILING_READ = """
import sys
from morphospace.core import cli
from morphospace.core.pipeline import runner
def unreadable(*args):
    raise PermissionError(13, "Permission denied", "/data/plate1.h5ad")
runner._load_dataset = unreadable
sys.argv = ["morphospace", "run", sys.argv[1], "--out", sys.argv[2]]
cli.main()
"""


def test_an_os_error_names_the_file(tmp_path):
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(yaml.safe_dump(BLOBS))
    result = subprocess.run(
        [sys.executable, "-c", FAILING_READ, str(pipeline), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert result.returncode == 1
    assert "error: Permission denied: /data/plate1.h5ad" in result.stderr
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


SLOW_PIPELINE = """
import signal, sys, time
# as in an interactive shell: a background job (CI, nohup) starts with SIGINT ignored
signal.signal(signal.SIGINT, signal.default_int_handler)
from morphospace.core import cli
from morphospace.core.pipeline import runner
original = runner._load_dataset
def slow(*args):
    print("started", flush=True)
    time.sleep(60)
runner._load_dataset = slow
sys.argv = ["morphospace", "run", sys.argv[1], "--out", sys.argv[2]]
cli.main()
"""


def _start_slow_run(tmp_path):
    """A ``morphospace run`` in a subprocess, stopped inside its staging folder."""
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(yaml.safe_dump(BLOBS))
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_PIPELINE, str(pipeline), str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout.readline().strip() == "started"
    return process


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_aborts_cleanly_with_the_shell_exit_code(tmp_path, sig, code):
    process = _start_slow_run(tmp_path)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]


def test_a_killed_run_leaves_a_partial_that_the_next_run_cleans(tmp_path):
    process = _start_slow_run(tmp_path)
    process.kill()
    process.wait(timeout=30)
    assert any(p.name.endswith(".partial") for p in tmp_path.iterdir())
    run(BLOBS, tmp_path / "out", report=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "p.yaml"]


# ------------------------------------------------------------------ 1. folders in params
class _Trained(pydantic.BaseModel):
    training: TrainingConfig = TrainingConfig()


NO_ROOTS = {"directory": None, "input_file": None}


class _ReadsWeights(pydantic.BaseModel):
    weights: str | None = pydantic.Field(None, json_schema_extra=INPUT_FILE)


def test_a_pipeline_may_not_name_a_training_folder_outside_the_given_root(tmp_path):
    config = _Trained(training=TrainingConfig(checkpoint_dir="../../victim"))
    with pytest.raises(PipelineError, match=r"params.training.checkpoint_dir must be a plain name"):
        check_path_names(config, "step 1 (x)")
    with pytest.raises(PipelineError, match="pass --checkpoints DIR"):
        place_paths(_Trained(training=TrainingConfig(checkpoint_dir="vae")), NO_ROOTS, "step 1")


def test_a_training_folder_of_a_pipeline_goes_under_the_given_root(tmp_path):
    config = _Trained(training=TrainingConfig(checkpoint_dir="vae", n_steps=7))
    placed = place_paths(config, {"directory": tmp_path / "ckpt"}, "step 1")
    assert placed.training.checkpoint_dir == str(tmp_path / "ckpt" / "vae")
    assert placed.training.n_steps == 7
    assert config.training.checkpoint_dir == "vae"  # the resolved pipeline keeps the name


# ------------------------------------------------------------------ files read by params
@pytest.mark.parametrize("name", ["../../etc/secret.safetensors", "/etc/secret.safetensors"])
def test_a_pipeline_may_not_name_a_file_to_read_outside_the_given_root(name):
    with pytest.raises(PipelineError, match=r"params.weights must be a plain name"):
        check_path_names(_ReadsWeights(weights=name), "step 1 (x)")


def test_a_file_a_pipeline_names_is_read_only_from_the_inputs_folder(tmp_path):
    with pytest.raises(PipelineError, match=r"params.weights names a file to read.*--inputs DIR"):
        place_paths(_ReadsWeights(weights="w.safetensors"), NO_ROOTS, "step 1")
    placed = place_paths(_ReadsWeights(weights="w.safetensors"), {"input_file": tmp_path}, "s")
    assert placed.weights == str(tmp_path / "w.safetensors")


class _HandsOn(pydantic.BaseModel):
    """A config whose ``encoder_params`` go to the registered encoder ``encoder``."""

    encoder: str = "measurements"
    encoder_params: dict = pydantic.Field(
        default_factory=dict, json_schema_extra=params_of("encoder", "encoder")
    )


@pytest.fixture
def reads_weights_encoder(monkeypatch):
    """A registered encoder ``x.reader`` whose config reads ``weights``."""
    from morphospace.core import registry
    from morphospace.core.config import EncoderConfig

    class ReaderConfig(EncoderConfig):
        weights: str | None = pydantic.Field(None, json_schema_extra=INPUT_FILE)

    real = registry.config_class

    def config_class(name, kind=None):
        return ReaderConfig if name == "x.reader" else real(name, kind)

    monkeypatch.setattr(registry, "config_class", config_class)


@pytest.mark.parametrize("name", ["../../etc/secret.safetensors", "/etc/secret.safetensors"])
def test_a_file_in_params_handed_on_to_another_component_is_checked_too(
    reads_weights_encoder, name
):
    config = _HandsOn(encoder="x.reader", encoder_params={"weights": name})
    with pytest.raises(PipelineError, match=r"params.encoder_params.weights must be a plain name"):
        check_path_names(config, "step 1 (x)")


def test_a_file_in_params_handed_on_is_read_only_from_the_inputs_folder(
    reads_weights_encoder, tmp_path
):
    config = _HandsOn(encoder="x.reader", encoder_params={"weights": "w.safetensors"})
    with pytest.raises(PipelineError, match=r"params.encoder_params.weights names a file"):
        place_paths(config, NO_ROOTS, "step 1")
    placed = place_paths(config, {"input_file": tmp_path}, "step 1")
    assert placed.encoder_params == {"weights": str(tmp_path / "w.safetensors")}
    # a name that is no registered component (a built-in choice) hands nothing on
    assert place_paths(_HandsOn(encoder_params={"a": 1}), NO_ROOTS, "s").encoder_params == {"a": 1}


def test_an_old_flat_training_key_points_to_its_block():
    from morphospace.core.config import ComponentConfig

    class Trained(ComponentConfig):
        training: TrainingConfig = TrainingConfig()

    with pytest.raises(ConfigError, match=r"lives in a block now: training: \{n_steps: \.\.\.\}"):
        Trained.from_params({"n_steps": 10}, component="x")


def test_a_component_saved_without_a_registry_name_loads_through_its_declared_entry(tmp_path):
    from morphospace.core.checkpoint import load_component

    encoder = _fitted_projection()
    encoder.save(tmp_path / "enc")
    _rewrite_config(tmp_path / "enc", component=None)  # as saved from a class made directly
    loaded = load_component(tmp_path / "enc")  # found by its declared target, not imported
    assert loaded.name == "example.random_projection"
    x = np.random.default_rng(1).normal(size=(6, 5))
    np.testing.assert_array_equal(loaded.encode(x), encoder.encode(x))


def test_a_checkpoint_naming_an_undeclared_class_is_still_refused(tmp_path):
    from morphospace.core.checkpoint import load_component

    _fitted_projection().save(tmp_path / "enc")
    _rewrite_config(tmp_path / "enc", component=None, target="os:system")
    with pytest.raises(CheckpointError, match="os:system, which no installed plugin declares"):
        load_component(tmp_path / "enc")


def test_atomic_files_and_new_directories_leave_nothing_when_the_write_fails(tmp_path):
    from morphospace.core.atomic import atomic_file, atomic_new_directory

    with pytest.raises(RuntimeError), atomic_file(tmp_path / "a.bin") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError), atomic_new_directory(tmp_path / "b.zarr") as tmp:
        (tmp / "0").write_bytes(b"half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken").mkdir()
    with pytest.raises(OutputExistsError), atomic_new_directory(tmp_path / "taken"):
        pass
