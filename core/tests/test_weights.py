"""Pretrained weights files: safetensors only, every tensor must match the network, and
the errors name the parameter, the file and what is wrong."""

import numpy as np
import pytest
from safetensors.numpy import save_file

from morphospace.core.errors import CheckpointError, InputError
from morphospace.core.weights import load_matching, read_safetensors


class FakeNetwork:
    """The part of a torch module that loading uses (core's tests run without torch)."""

    def __init__(self, shapes):
        self.shapes, self.loaded, self.frozen = shapes, None, False

    def state_dict(self):
        return {k: np.zeros(shape) for k, shape in self.shapes.items()}

    def load_state_dict(self, state):
        self.loaded = state

    def eval(self):
        return self

    def requires_grad_(self, flag):
        self.frozen = not flag
        return self


def test_reads_the_arrays_of_a_safetensors_file(tmp_path):
    save_file({"w": np.arange(4, dtype=np.float32)}, str(tmp_path / "net.safetensors"))
    state = read_safetensors(tmp_path / "net.safetensors", "weights")
    np.testing.assert_array_equal(state["w"], [0, 1, 2, 3])


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        ("net.pth", b"\x80\x04pickle", InputError, r"weights: expected a \.safetensors file .*"
         r"never unpickles.*found 'net\.pth'"),
        ("missing.safetensors", None, InputError, r"weights: .*missing\.safetensors does not exist"),
        ("bad.safetensors", b"garbage", CheckpointError, r"not a readable safetensors file"),
    ],
)  # fmt: skip
def test_refuses_pickles_missing_and_corrupt_files(tmp_path, name, content, error, match):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(error, match=match):
        read_safetensors(tmp_path / name, "weights")


def test_loads_only_a_state_that_matches_every_tensor():
    torch = pytest.importorskip("torch")
    network = torch.nn.Linear(3, 2)
    state = {"weight": np.ones((2, 3), np.float32), "bias": np.zeros(2, np.float32)}
    loaded = load_matching(network, state, "weights", "a linear layer")
    assert torch.equal(loaded.weight, torch.ones(2, 3))
    assert not loaded.weight.requires_grad and not loaded.training


def test_a_mismatch_lists_unexpected_missing_and_wrongly_shaped_tensors():
    network = FakeNetwork({"a": (2, 2), "b": (3,), "c": (1,)})
    state = {"a": np.zeros((2, 3)), "b": np.zeros(3), "extra": np.zeros(1)}
    with pytest.raises(CheckpointError) as caught:
        load_matching(network, state, "weights", "a toy network")
    message = str(caught.value)
    assert message == (
        "weights: the file does not fit a toy network: missing: c; unexpected: extra; "
        "shapes differ for: a (2, 3) (the model has (2, 2))"
    )
    assert network.loaded is None
