"""Training past one process: the core's trainer under ``accelerate launch`` with two CPU
processes (torch.distributed over gloo) gives the model one process gives with the same
global batch, and either layout resumes from the other's checkpoint."""

import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("accelerate")

#: A regression whose global batch is 16 fixed rows, each process taking its shard: the
#: average of the shards' mean-loss gradients is the full batch's, so one process and two
#: must take the same steps (up to float32 summation order).
WORKER = textwrap.dedent(
    """
    import os
    import sys

    import numpy as np
    import torch
    from accelerate import PartialState

    from morphospace.core.training import TrainingConfig, train

    X = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    Y = X @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3


    def loss(model, step):
        rows = slice(step.process, None, step.processes)  # this process's shard
        error = model(torch.from_numpy(X[rows])).squeeze(1) - torch.from_numpy(Y[rows])
        return {"loss": error.pow(2).mean()}


    n_steps, checkpoints, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    config = TrainingConfig(
        n_steps=n_steps,
        learning_rate=0.05,
        checkpoint_dir=checkpoints if checkpoints != "-" else None,
        checkpoint_every=1,
    )
    result = train(lambda: torch.nn.Linear(3, 1), loss, config, seed=0)
    if PartialState().is_main_process:
        weights = [p.detach().numpy().ravel() for p in result.model.parameters()]
        np.save(out, np.concatenate(weights))
        print("processes", PartialState().num_processes, flush=True)
    os._exit(0)  # skip the interpreter's teardown, where gloo sometimes aborts (docs/scale.md)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train(tmp_path, processes: int, n_steps: int, checkpoints: str = "-", name: str = "w"):
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER)
    out = tmp_path / f"{name}.npy"
    if processes == 1:
        command = [sys.executable, str(worker)]
    else:
        command = [
            sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
            "--num_processes", str(processes), "--num_machines", "1",
            "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", str(_free_port()), str(worker),
        ]  # fmt: skip
    run = subprocess.run(
        [*command, str(n_steps), checkpoints, str(out)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"processes {processes}" in run.stdout  # really that many
    return np.load(out)


@pytest.mark.slow
def test_two_processes_train_the_model_one_process_trains(tmp_path):
    one = _train(tmp_path, 1, 6, name="one")
    two = _train(tmp_path, 2, 6, name="two")
    assert not np.allclose(one, _train(tmp_path, 1, 1, name="start"))  # it trained
    np.testing.assert_allclose(two, one, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize(("first", "then"), [(2, 1), (1, 2)])
def test_a_run_resumes_from_a_checkpoint_of_the_other_layout(tmp_path, first, then):
    straight = _train(tmp_path, 1, 6, name="straight")
    checkpoints = str(tmp_path / "checkpoints")
    _train(tmp_path, first, 3, checkpoints, name="half")
    resumed = _train(tmp_path, then, 6, checkpoints, name="resumed")
    np.testing.assert_allclose(resumed, straight, atol=1e-5)
