"""The training package: the config block, safetensors state, resume checks, the trainer."""

import json
import subprocess
import sys

import numpy as np
import pytest

from morphospace.core.errors import CheckpointError
from morphospace.core.training import (
    STATE_POINTER,
    TrainingCheckpoints,
    TrainingConfig,
    flatten_state,
    learning_rate_factor,
    load_arrays,
    load_state_dict_file,
    load_training_state,
    save_arrays,
    save_training_state,
    train_loop,
    unflatten_state,
)


# ---------------------------------------------------------------- config block
def test_importing_training_imports_no_torch():
    code = "import morphospace.core.training, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_component_defaults_survive_a_partial_block():
    Training = TrainingConfig.with_defaults("Training", n_steps=200, batch_size=16)
    partial = Training(learning_rate=1e-3)
    assert (partial.n_steps, partial.batch_size, partial.learning_rate) == (200, 16, 1e-3)
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Training(n_steps=0)  # the base class's constraint is kept


def test_learning_rate_warms_up_then_follows_the_schedule():
    def factors(schedule):
        config = TrainingConfig(n_steps=6, warmup_steps=2, schedule=schedule)
        return [learning_rate_factor(s, config) for s in range(6)]

    assert factors("constant") == [0.5, 1, 1, 1, 1, 1]
    assert factors("linear") == [0.5, 1, 1, 0.75, 0.5, 0.25]  # the last step still learns
    np.testing.assert_allclose(factors("cosine"), [0.5, 1, 1, 0.8536, 0.5, 0.1464], atol=1e-4)


# ---------------------------------------------------------------- state files
def test_flatten_round_trip_keeps_structure_and_values():
    state = {
        "w": np.arange(6.0).reshape(2, 3),
        "opt": {0: {"step": 3, "m": np.ones(2)}},
        "groups": [{"lr": 0.1, "params": [0, 1]}],
        "pair": (np.zeros(1), None),
    }
    arrays, skeleton = flatten_state(state)
    rebuilt = unflatten_state(arrays, skeleton)
    np.testing.assert_array_equal(rebuilt["w"], state["w"])
    assert rebuilt["opt"][0]["step"] == 3 and rebuilt["groups"] == state["groups"]
    assert isinstance(rebuilt["pair"], tuple) and rebuilt["pair"][1] is None


def test_flatten_refuses_objects_it_cannot_store():
    with pytest.raises(CheckpointError, match="cannot store object"):
        flatten_state({"x": object()})


def test_safetensors_arrays_round_trip(tmp_path):
    save_arrays(
        tmp_path / "a.safetensors",
        {"x": np.arange(3, dtype=np.float32), "count": np.array(7), "t": np.eye(2).T},
    )
    loaded = load_arrays(tmp_path / "a.safetensors")
    np.testing.assert_array_equal(loaded["x"], [0, 1, 2])
    assert loaded["count"].shape == () and loaded["count"] == 7  # a batch norm's counter
    np.testing.assert_array_equal(loaded["t"], np.eye(2))
    (tmp_path / "bad.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_arrays(tmp_path / "bad.safetensors")


def test_train_loop_records_history_and_checkpoints():
    seen = []
    history = train_loop(
        lambda step: {"loss": 1 / (step + 1)},
        5,
        checkpoint_every=2,
        on_checkpoint=lambda step, hist: seen.append(step),
    )
    assert history["loss"] == [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5]
    assert seen == [2, 4, 5]


def test_non_finite_loss_stops_training():
    with pytest.raises(FloatingPointError, match="loss 'loss' became nan at step 1"):
        train_loop(lambda step: {"loss": [0.0, float("nan")][step]}, 2)


def test_state_keeps_only_the_newest_file_and_its_config(tmp_path):
    for step in (1, 2):
        save_training_state(tmp_path, step, {"w": np.full(2, step)}, {"loss": [0.5]}, {"seed": 3})
    step, state, history, config = load_training_state(tmp_path)
    assert (step, history, config) == (2, {"loss": [0.5]}, {"seed": 3})
    np.testing.assert_array_equal(state["w"], [2, 2])
    assert [p.name for p in tmp_path.glob("*.safetensors")] == [
        "training-state-00000002.safetensors"
    ]


def test_missing_state_file_is_reported(tmp_path):
    save_training_state(tmp_path, 1, {"w": np.ones(1)})
    for path in tmp_path.glob("*.safetensors"):
        path.unlink()
    with pytest.raises(CheckpointError, match="which is missing"):
        load_training_state(tmp_path)
    assert load_training_state(tmp_path / "none") is None


def _point_to(directory, name):
    pointer = json.loads((directory / STATE_POINTER).read_text())
    pointer["file"] = name
    (directory / STATE_POINTER).write_text(json.dumps(pointer))


@pytest.mark.parametrize(
    "name",
    [
        "../victim.safetensors",
        "/tmp/victim.safetensors",
        "sub/training-state-00000001.safetensors",
        "training-state-00000009.safetensors",
        "training-state.json",
        7,
    ],
)
def test_a_pointer_naming_another_file_is_refused(tmp_path, name):
    checkpoint = tmp_path / "checkpoint"
    save_training_state(checkpoint, 1, {"w": np.ones(1)})
    _point_to(checkpoint, name)
    with pytest.raises(CheckpointError, match="only reads 'training-state-00000001.safetensors'"):
        load_training_state(checkpoint)


def test_saving_deletes_only_the_trainers_own_state_files(tmp_path):
    checkpoint = tmp_path / "checkpoint"
    victim = tmp_path / "victim.safetensors"
    save_arrays(victim, {"w": np.ones(1)})
    save_training_state(checkpoint, 1, {"w": np.ones(1)})
    _point_to(checkpoint, "../victim.safetensors")  # a crafted pointer must not steer deletion
    (checkpoint / "notes.safetensors").write_bytes(b"mine")
    save_training_state(checkpoint, 2, {"w": np.ones(1)})
    assert victim.is_file() and (checkpoint / "notes.safetensors").is_file()
    assert not (checkpoint / "training-state-00000001.safetensors").exists()


@pytest.mark.parametrize(
    "pointer, message",
    [
        ("[1, 2]", "not a training state"),
        ('{"step": -1, "file": "x", "skeleton": {}}', "non-negative integer"),
        (
            '{"step": 1, "file": "training-state-00000001.safetensors", "skeleton": {},'
            ' "history": {"loss": "x"}}',
            "history must map",
        ),
        ("{", "corrupt"),
    ],
)
def test_a_malformed_pointer_is_a_checkpoint_error(tmp_path, pointer, message):
    (tmp_path / STATE_POINTER).write_text(pointer)
    with pytest.raises(CheckpointError, match=message):
        load_training_state(tmp_path)


class Counter:
    """A stand-in for a torch module or optimiser: state_dict() / load_state_dict()."""

    def __init__(self, size=2):
        self.value = np.zeros(size)

    def state_dict(self):
        return {"value": self.value.copy()}

    def load_state_dict(self, state):
        self.value = np.asarray(state["value"]).copy()


def _record(**changes):
    record = {"seed": 0, "width": 4, "training.n_steps": 4, "training.schedule": "constant"}
    return {**record, **changes}


def _saved_at_step_4(directory):
    model = Counter()
    model.value[:] = 4
    TrainingCheckpoints(directory, {"model": model}, config=_record()).save(4, {"loss": [1.0] * 4})


def test_resume_restores_every_object_under_the_same_config(tmp_path):
    _saved_at_step_4(tmp_path)
    model = Counter()
    start, history = TrainingCheckpoints(tmp_path, {"model": model}, config=_record()).resume()
    assert start == 4 and history == {"loss": [1.0] * 4}
    np.testing.assert_array_equal(model.value, [4, 4])


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"seed": 1}, "seed 1 (the state was written with 0)"),
        ({"width": 8}, "width 8"),
        ({"training.n_steps": 2}, "training.n_steps 2 is below the saved step 4"),
        ({"training.n_steps": 6, "training.schedule": "cosine"}, "training.n_steps 6"),
        ({"training.learning_rate": 0.1}, "training.learning_rate 0.1"),
    ],
)
def test_resume_under_another_config_is_refused_naming_the_fields(tmp_path, changes, named):
    _saved_at_step_4(tmp_path)
    checkpoints = TrainingCheckpoints(tmp_path, {"model": Counter()}, config=_record(**changes))
    with pytest.raises(CheckpointError, match="another config") as error:
        checkpoints.resume()
    assert named in str(error.value)


def test_a_state_that_records_no_config_is_refused(tmp_path):
    save_training_state(tmp_path, 4, {"model": Counter().state_dict()})  # as 0.1 wrote it
    with pytest.raises(CheckpointError, match="does not record the config"):
        TrainingCheckpoints(tmp_path, {"model": Counter()}, config=_record()).resume()


def test_more_steps_under_a_constant_schedule_continue_training(tmp_path):
    _saved_at_step_4(tmp_path)
    config = _record(**{"training.n_steps": 10})
    assert TrainingCheckpoints(tmp_path, {"model": Counter()}, config=config).resume()[0] == 4


def test_resume_refuses_a_state_of_another_shape_or_setup(tmp_path):
    _saved_at_step_4(tmp_path)
    with pytest.raises(CheckpointError, match=r"shapes differ for: value \(2,\)"):
        TrainingCheckpoints(tmp_path, {"model": Counter(3)}, config=_record()).resume()
    with pytest.raises(CheckpointError, match="another training setup"):
        TrainingCheckpoints(
            tmp_path, {"model": Counter(), "optimizer": Counter()}, config=_record()
        ).resume()


def test_checkpoints_without_a_directory_do_nothing():
    checkpoints = TrainingCheckpoints(None, {"model": Counter()})
    assert checkpoints.resume() == (0, {})
    checkpoints.save(3, {"loss": [1.0]})


# ---------------------------------------------------------------- weights of components
def test_state_dict_file_round_trip(tmp_path):
    saved = Counter()
    saved.value[:] = [1.5, 2.5]
    save_arrays(tmp_path / "model.safetensors", saved.state_dict())
    loaded = load_state_dict_file(tmp_path / "model.safetensors", Counter(), np.asarray)
    np.testing.assert_array_equal(loaded.value, [1.5, 2.5])


class LikeTensor:
    """The part of a torch tensor that saving and loading weights use."""

    def __init__(self, value):
        self.value = np.asarray(value)
        self.shape = self.value.shape

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.value

    def new_tensor(self, value):
        return LikeTensor(np.asarray(value, dtype=self.value.dtype))


class TinyNet:
    def __init__(self):
        self.weight = LikeTensor(np.zeros(3, dtype=np.float32))
        self.training = True

    def state_dict(self):
        return {"weight": self.weight}

    def load_state_dict(self, state):
        self.weight = state["weight"]

    def eval(self):
        self.training = False
        return self


def test_weights_load_like_the_modules_own_tensors(tmp_path):
    save_arrays(tmp_path / "model.safetensors", {"weight": np.array([1.0, 2.0, 3.0])})
    net = load_state_dict_file(tmp_path / "model.safetensors", TinyNet())
    assert net.weight.value.dtype == np.float32
    np.testing.assert_array_equal(net.weight.value, [1, 2, 3])
    save_arrays(tmp_path / "other.safetensors", {"bias": np.zeros(1)})
    with pytest.raises(CheckpointError, match=r"missing: weight; unexpected: bias"):
        load_state_dict_file(tmp_path / "other.safetensors", TinyNet())
    save_arrays(tmp_path / "wide.safetensors", {"weight": np.zeros(4)})
    with pytest.raises(CheckpointError, match=r"weight \(4,\) \(the model has \(3,\)\)"):
        load_state_dict_file(tmp_path / "wide.safetensors", TinyNet())


def test_a_component_with_a_network_round_trips_its_weights(tmp_path):
    from morphospace.core import Encoder
    from morphospace.core.training import SavesModelWeights

    class NetEncoder(SavesModelWeights, Encoder):
        def fit(self, x, y=None):
            self.model_ = TinyNet()
            self.model_.weight = LikeTensor(np.asarray(x, np.float32).mean(axis=0))
            return self

        def encode(self, x):
            return np.asarray(x) * self.model_.weight.value

        def _build_model(self):
            return TinyNet()

    x = np.arange(6.0).reshape(2, 3)
    NetEncoder().fit(x).save(tmp_path / "net")
    assert (tmp_path / "net" / "model.safetensors").is_file()
    loaded = NetEncoder.load(tmp_path / "net")
    assert not loaded.model_.training
    np.testing.assert_array_equal(loaded.encode(x), x * [1.5, 2.5, 3.5])


def test_progress_is_a_line_per_interval_where_stderr_is_not_a_terminal(monkeypatch, capsys):
    from morphospace.core.training import loop

    monkeypatch.delenv(loop.PROGRESS_ENV, raising=False)
    assert loop.progress_mode() == "lines"  # pytest's captured stderr is no terminal
    now = [0.0]
    lines = loop.ProgressLines("vae", total=100, start=0, interval=60, clock=lambda: now[0])
    for done in range(1, 101):
        now[0] = done * 2.0  # 2 s per step: a line every 30 steps, and one at the end
        lines.update(done, {"loss": 1 / done})
    printed = capsys.readouterr().err.splitlines()
    assert printed == [
        "vae: step 30/100 (30%), loss 0.03333, 0.5 steps/s, 2 min left",
        "vae: step 60/100 (60%), loss 0.01667, 0.5 steps/s, 80 s left",
        "vae: step 90/100 (90%), loss 0.01111, 0.5 steps/s, 20 s left",
        "vae: step 100/100 (100%), loss 0.01, 0.5 steps/s, 0 s left",
    ]


def test_progress_setting_0_silences_and_1_forces_the_bar(monkeypatch, capsys):
    from morphospace.core.training import loop

    monkeypatch.setenv(loop.PROGRESS_ENV, "0")
    assert loop.progress_mode() == "off"
    loop.train_loop(lambda step: {"loss": 1.0}, 3)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(loop.PROGRESS_ENV, "1")
    assert loop.progress_mode() == "bar"


def test_a_listener_hears_every_step_of_every_progress_loop_in_its_context():
    from morphospace.core.training import listen_to_progress, progress

    heard = []
    with listen_to_progress(lambda desc, done, total: heard.append((desc, done, total))):
        train_loop(lambda step: {"loss": 1.0}, 3, start_step=1, desc="vae")
        list(progress(["a", "b"], desc="volumes"))
    list(progress(["c"], desc="unheard"))  # outside the context: no listener
    assert heard == [
        ("vae", 1, 3),
        ("vae", 2, 3),
        ("vae", 3, 3),
        ("volumes", 0, 2),
        ("volumes", 1, 2),
        ("volumes", 2, 2),
    ]


def test_a_listener_that_raises_stops_the_run_between_two_steps():
    from morphospace.core.training import listen_to_progress

    class Cancelled(Exception):
        pass

    steps = []

    def cancel_after_two(desc, done, total):
        if done == 2:
            raise Cancelled

    with pytest.raises(Cancelled), listen_to_progress(cancel_after_two):
        train_loop(lambda step: steps.append(step) or {"loss": 1.0}, 10)
    assert steps == [0, 1]


def test_each_thread_has_its_own_listener():
    import threading

    from morphospace.core.training import listen_to_progress, progress

    heard = {"main": [], "worker": []}

    def work():
        with listen_to_progress(lambda *event: heard["worker"].append(event)):
            list(progress(range(2), desc="worker"))

    with listen_to_progress(lambda *event: heard["main"].append(event)):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert [e[0] for e in heard["worker"]] == ["worker"] * 3 and heard["main"] == []
