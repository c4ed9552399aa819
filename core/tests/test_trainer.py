"""The torch trainer: seeded, resumable bit for bit, and every option does what it says."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("accelerate")

from morphospace.core.errors import CheckpointError  # noqa: E402
from morphospace.core.training import TrainingConfig, TrainingStep, train  # noqa: E402

X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
Y = X @ np.array([1.0, -2.0, 0.5], np.float32)


def _net(width=3):
    return lambda: torch.nn.Sequential(
        torch.nn.Linear(width, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    )


def _loss(model, step: TrainingStep):
    rows = step.rng.choice(len(X), 8)
    x = torch.from_numpy(X[rows]).to(step.device)
    noise = 0.01 * torch.randn(8)  # torch randomness is seeded per step as well
    error = model(x).squeeze(1) - torch.from_numpy(Y[rows]) + noise
    return {"loss": error.pow(2).mean(), "abs": error.abs().mean()}


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()


def _train(config, seed=0, width=3, loss=_loss, **fields):
    return train(
        _net(width),
        loss,
        TrainingConfig(**{**config, **fields}),
        seed=seed,
        params={"width": width},
    )


FULL = {
    "n_steps": 7,
    "learning_rate": 0.05,
    "warmup_steps": 2,
    "schedule": "cosine",
    "grad_accumulation_steps": 2,
    "max_grad_norm": 1.0,
    "ema_decay": 0.9,
    "weight_decay": 0.01,
    "checkpoint_every": 2,
}


def test_training_lowers_the_loss_and_records_every_term():
    result = _train({"n_steps": 60, "learning_rate": 0.05})
    assert set(result.history) == {"loss", "abs"} and len(result.history["loss"]) == 60
    assert np.mean(result.history["loss"][-10:]) < 0.2 * np.mean(result.history["loss"][:10])
    assert not result.model.training


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = _train(FULL), _train(FULL), _train(FULL, seed=1)
    np.testing.assert_array_equal(_weights(a.model), _weights(b.model))
    assert not np.array_equal(_weights(a.model), _weights(c.model))


def test_a_component_may_bring_its_own_optimiser_and_resume_its_state(tmp_path):
    """The optimiser class is called with the training block's rate and decay; its state
    is checkpointed like AdamW's (momentum buffers of SGD here)."""
    built = []

    def sgd(parameters, lr, weight_decay):
        built.append((lr, weight_decay))
        return torch.optim.SGD(parameters, lr=lr, weight_decay=weight_decay, momentum=0.9)

    config = {"n_steps": 40, "learning_rate": 0.02, "weight_decay": 0.001}
    result = train(_net(), _loss, TrainingConfig(**config), seed=0, make_optimizer=sgd)
    assert built == [(0.02, 0.001)]
    assert np.mean(result.history["loss"][-5:]) < 0.5 * np.mean(result.history["loss"][:5])
    adamw = train(_net(), _loss, TrainingConfig(**config), seed=0)
    assert not np.allclose(_weights(result.model), _weights(adamw.model))
    halves = {**config, "checkpoint_dir": str(tmp_path), "checkpoint_every": 20}
    train(_net(), _loss, TrainingConfig(**{**halves, "n_steps": 20}), seed=0, make_optimizer=sgd)
    resumed = train(_net(), _loss, TrainingConfig(**halves), seed=0, make_optimizer=sgd)
    np.testing.assert_array_equal(_weights(resumed.model), _weights(result.model))


class CountingAdam(torch.optim.Adam):
    """Keeps its step count a Python int and uses it in float64, as geoopt's Riemannian
    Adam does (Adam's ``__setstate__`` turns a loaded one into a float32 tensor)."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = state.get("step", 0) + 1
                p.add_(p.grad, alpha=float(-group["lr"] * 0.01 / (1 - 0.999 ** state["step"])))


def test_a_python_step_count_is_resumed_as_a_python_number(tmp_path):
    """torch's load_state_dict makes it a float32 tensor; the run would drift by an ulp."""
    config = {"n_steps": 6, "learning_rate": 0.01, "checkpoint_dir": str(tmp_path / "a")}
    straight = train(_net(), _loss, TrainingConfig(**config), seed=0, make_optimizer=CountingAdam)
    halves = {**config, "checkpoint_dir": str(tmp_path / "b"), "checkpoint_every": 3}
    train(
        _net(),
        _loss,
        TrainingConfig(**{**halves, "n_steps": 3}),
        seed=0,
        make_optimizer=CountingAdam,
    )
    resumed = train(_net(), _loss, TrainingConfig(**halves), seed=0, make_optimizer=CountingAdam)
    np.testing.assert_array_equal(_weights(resumed.model), _weights(straight.model))


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_to_the_same_weights_bit_for_bit(tmp_path):
    straight = _train(FULL)

    def dies_at_step_5(model, step):
        if step.step == 5:
            raise Interrupted
        return _loss(model, step)

    with pytest.raises(Interrupted):
        _train(FULL, loss=dies_at_step_5, checkpoint_dir=str(tmp_path))
    resumed = _train(FULL, checkpoint_dir=str(tmp_path), checkpoint_every=3)  # may differ
    np.testing.assert_array_equal(_weights(resumed.model), _weights(straight.model))
    assert resumed.history == straight.history
    for name, value in straight.ema.state_dict().items():
        np.testing.assert_array_equal(resumed.ema.state_dict()[name], value)


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"seed": 1}, "seed 1"),
        ({"learning_rate": 0.1}, "training.learning_rate 0.1"),
        ({"width": 2}, "width 2"),
        ({"n_steps": 2}, "training.n_steps 2"),
    ],
)
def test_resuming_under_another_config_is_refused(tmp_path, changes, named):
    config = {"n_steps": 4, "checkpoint_every": 2, "checkpoint_dir": str(tmp_path)}
    _train(config)
    seed, width = changes.pop("seed", 0), changes.pop("width", 3)
    with pytest.raises(CheckpointError, match=named):
        _train(config, seed=seed, width=width, **changes)


def test_a_network_of_another_shape_is_a_checkpoint_error_not_a_torch_error(tmp_path):
    config = {"n_steps": 2, "checkpoint_dir": str(tmp_path)}
    _train(config)

    def wider():
        return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))

    with pytest.raises(CheckpointError, match="shapes differ"):
        train(wider, _loss, TrainingConfig(**config), seed=0, params={"width": 3})


def _moved_in_one_step(**fields):
    torch.manual_seed(0)  # the trainer builds the network after seeding torch the same way
    start = _weights(_net()())
    return np.abs(_weights(_train({"n_steps": 1, "learning_rate": 0.01}, **fields).model) - start)


def test_accumulated_micro_batches_make_one_optimiser_step():
    # Adam's first step moves every weight by at most the learning rate
    assert 0.005 < _moved_in_one_step(grad_accumulation_steps=4).max() <= 0.01 * (1 + 1e-6)


def test_clipping_bounds_the_gradient():
    # Adam divides by the gradient's size; clipped to ~0, eps dominates and nothing moves
    assert _moved_in_one_step(max_grad_norm=1e-12).max() < 0.05 * _moved_in_one_step().max()


def test_ema_weights_swap_in_for_evaluation_and_back():
    result = _train({"n_steps": 20, "learning_rate": 0.05, "ema_decay": 0.5})
    own = _weights(result.model)
    with result.ema.swapped_in(result.model) as averaged:
        ema = _weights(averaged)
    assert not np.array_equal(ema, own)
    np.testing.assert_array_equal(_weights(result.model), own)


@pytest.mark.slow
@pytest.mark.parametrize("precision, expected", [("bf16", "trained"), ("fp16", "needs a GPU")])
def test_mixed_precision_on_cpu(precision, expected):
    # accelerate fixes the precision once per process: each setting gets its own
    code = f"""
import torch
from morphospace.core.errors import ConfigError
from morphospace.core.training import TrainingConfig, train
def loss(model, step):
    x = torch.ones(4, 3, device=step.device)
    return {{"loss": model(x).float().pow(2).mean()}}
try:
    result = train(lambda: torch.nn.Linear(3, 1), loss,
                   TrainingConfig(n_steps=2, mixed_precision="{precision}"), seed=0)
    print("trained", result.model.weight.dtype)
except ConfigError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert expected in out.stdout


def test_the_ema_decay_warms_up_so_a_short_run_forgets_its_initialisation():
    import torch

    from morphospace.core.training import EMA

    layer = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(layer.weight)
    ema = EMA(layer, decay=0.999)
    assert ema.current_decay() == pytest.approx(0.1)  # (1 + 0) / (10 + 0)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    for _ in range(400):
        ema.update(layer)
    # a fixed 0.999 would keep 0.999 ** 400 = 67 % of the zero initialisation
    assert ema.shadow["weight"].item() > 0.99
    assert ema.current_decay() == pytest.approx(401 / 410)  # still below 0.999 at 400
    assert int(ema.state_dict()[EMA.UPDATES]) == 400
