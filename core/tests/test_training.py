"""The torch-free training loop and its resumable safetensors checkpoints."""

import numpy as np
import pytest

from morphospace.core.errors import CheckpointError
from morphospace.core.training import (
    TrainingCheckpoints,
    flatten_state,
    load_arrays,
    load_state_dict_file,
    load_training_state,
    save_arrays,
    save_training_state,
    train_loop,
    unflatten_state,
)


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


def test_train_loop_resumes_where_it_stopped(tmp_path):
    def step_fn(step):
        return {"loss": float(step)}

    train_loop(
        step_fn,
        3,
        on_checkpoint=lambda s, h: save_training_state(tmp_path, s, {"w": np.full(2, s)}, h),
    )
    step, state, history = load_training_state(tmp_path)
    assert step == 3 and np.all(state["w"] == 3)
    history = train_loop(step_fn, 5, start_step=step, history=history)
    assert history["loss"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert len(list(tmp_path.glob("*.safetensors"))) == 1  # only the newest state is kept


def test_non_finite_loss_stops_training():
    with pytest.raises(FloatingPointError, match="loss 'loss' became nan at step 1"):
        train_loop(lambda step: {"loss": [0.0, float("nan")][step]}, 2)


def test_missing_state_file_is_reported(tmp_path):
    save_training_state(tmp_path, 1, {"w": np.ones(1)})
    for path in tmp_path.glob("*.safetensors"):
        path.unlink()
    with pytest.raises(CheckpointError, match="which is missing"):
        load_training_state(tmp_path)
    assert load_training_state(tmp_path / "none") is None


def test_safetensors_arrays_round_trip(tmp_path):
    save_arrays(tmp_path / "a.safetensors", {"x": np.arange(3, dtype=np.float32)})
    np.testing.assert_array_equal(load_arrays(tmp_path / "a.safetensors")["x"], [0, 1, 2])
    (tmp_path / "bad.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_arrays(tmp_path / "bad.safetensors")


class Counter:
    """A stand-in for a torch module or optimiser: state_dict() / load_state_dict()."""

    def __init__(self):
        self.value = np.zeros(2)

    def state_dict(self):
        return {"value": self.value.copy()}

    def load_state_dict(self, state):
        self.value = np.asarray(state["value"]).copy()


def test_training_checkpoints_resume_every_object(tmp_path):
    first = Counter()
    checkpoints = TrainingCheckpoints(tmp_path, {"model": first})

    def step_fn(step):
        first.value += 1
        return {"loss": float(step)}

    train_loop(step_fn, 4, checkpoint_every=2, on_checkpoint=checkpoints.save)
    second = Counter()
    start, history = TrainingCheckpoints(tmp_path, {"model": second}).resume()
    assert start == 4 and history == {"loss": [0.0, 1.0, 2.0, 3.0]}
    np.testing.assert_array_equal(second.value, [4, 4])
    with pytest.raises(CheckpointError, match="lacks optimizer"):
        TrainingCheckpoints(tmp_path, {"model": second, "optimizer": Counter()}).resume()


def test_training_checkpoints_without_a_directory_do_nothing():
    checkpoints = TrainingCheckpoints(None, {"model": Counter()})
    assert checkpoints.resume() == (0, {})
    checkpoints.save(3, {"loss": [1.0]})


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
    with pytest.raises(CheckpointError, match=r"missing \['weight'\], unexpected \['bias'\]"):
        load_state_dict_file(tmp_path / "other.safetensors", TinyNet())


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
