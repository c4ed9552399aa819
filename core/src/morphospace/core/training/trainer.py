"""The one torch training loop of morphospace, over ``accelerate``.

A plugin gives :func:`train` a function that builds its network and a loss function;
the trainer does the rest, the same way for every component: one ``Accelerator``
(one CPU, one GPU or ``accelerate launch`` on many), AdamW, ``prepare`` then resume,
gradient accumulation, mixed precision, gradient clipping, learning-rate warm-up and
schedule, an optional EMA of the weights, per-step seeds, checkpoints and the loss
history. Torch is imported inside the functions, so importing this module is light.

    result = train(lambda: MyNet(cfg), loss_fn, cfg.training, seed=cfg.seed,
                   params=cfg.model_dump(mode="json", exclude={"training"}))
    self.model_, self.history_ = result.model, result.history

``loss_fn(model, step)`` returns scalar tensors by name; ``"loss"`` is minimised and
every entry is recorded in the history. ``step`` (a :class:`TrainingStep`) carries the
micro-batch's ``numpy`` generator seeded from ``(seed, step)``; torch's global
generator is seeded from the same pair before each call, so a resumed run draws
exactly what the uninterrupted one drew.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from morphospace.core.dependencies import require
from morphospace.core.errors import ConfigError
from morphospace.core.training.config import (
    RESUMABLE_CHANGES,
    TrainingConfig,
    learning_rate_factor,
    step_key,
    torch_step_seed,
)
from morphospace.core.training.loop import train_loop
from morphospace.core.training.state import TrainingCheckpoints

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class TrainingStep:
    """What one micro-batch's loss function may draw on."""

    step: int  #: the optimiser step, 0-based
    micro: int  #: the micro-batch within the step (gradient accumulation)
    rng: np.random.Generator  #: seeded from (seed, step, process, micro)
    device: Any  #: the torch device to put tensors on
    process: int = 0  #: this process's index under ``accelerate launch`` (0 alone)
    processes: int = 1  #: how many processes train together; gradients are averaged


class EMA:
    """Exponential moving average of a module's parameters (``shadow = d*shadow + (1-d)*p``).

    The decay warms up as ``d_n = min(decay, (1 + n) / (10 + n))`` after ``n`` updates (as
    diffusers' and TensorFlow's EMAs do): a fixed 0.999 would leave two thirds of the
    random initialisation in the average after 400 steps. Buffers (e.g. batch-norm
    statistics) are not averaged. ``state_dict`` / ``load_state_dict`` put the averages
    and the update count in checkpoints; :meth:`swapped_in` evaluates with them.
    """

    #: The state_dict key of the update count (no parameter name starts with a dot).
    UPDATES = ".updates"

    def __init__(self, module: Any, decay: float):
        self.decay = decay
        self.updates = 0
        self.shadow = {name: p.detach().clone() for name, p in module.named_parameters()}

    def current_decay(self) -> float:
        """The decay the next update uses."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    def update(self, module: Any) -> None:
        weight = 1.0 - self.current_decay()
        for name, p in module.named_parameters():
            self.shadow[name].lerp_(p.detach(), weight)
        self.updates += 1

    def copy_to(self, module: Any) -> None:
        """Overwrite ``module``'s parameters with the averages."""
        for name, p in module.named_parameters():
            p.detach().copy_(self.shadow[name])

    @contextmanager
    def swapped_in(self, module: Any) -> Iterator[Any]:
        """``module`` with the averaged weights inside the block, its own ones after."""
        own = {name: p.detach().clone() for name, p in module.named_parameters()}
        self.copy_to(module)
        try:
            yield module
        finally:
            for name, p in module.named_parameters():
                p.detach().copy_(own[name])

    def state_dict(self) -> dict[str, Any]:
        return {**self.shadow, self.UPDATES: self.updates}  # an int: the skeleton keeps it

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for name, value in state.items():
            if name == self.UPDATES:
                self.updates = int(value)
            else:
                self.shadow[name].copy_(value)


@dataclass
class TrainedModel:
    """What :func:`train` returns: the network (eval mode) and what came with it."""

    model: Any
    history: dict[str, list[float]]
    ema: EMA | None = None  #: the averaged weights, when ``ema_decay`` is set


def training_record(
    config: TrainingConfig, seed: int, params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The flat config a training state is written with and resumed against.

    ``params`` are the component's own fields that shape the model, the data or the
    loss; the training block joins them as ``training.<field>``, except the fields
    that may change on resume (:data:`RESUMABLE_CHANGES`).
    """
    record = {"seed": seed, **(params or {})}
    record.update(
        (f"training.{key}", value)
        for key, value in config.model_dump(mode="json").items()
        if key not in RESUMABLE_CHANGES
    )
    return json.loads(json.dumps(record))  # the form it takes in training-state.json


def make_accelerator(config: TrainingConfig) -> Any:
    """The ``Accelerator`` every component trains with (device chosen by accelerate)."""
    accelerate = require("accelerate", install="accelerate", needed_for="training a component")
    torch = require("torch", install="torch", needed_for="training a component")
    # several processes (accelerate launch --multi_gpu --num_processes N) on a machine
    # without a GPU: accelerate would fall back to one process each; train on the CPUs
    # together (torch.distributed over gloo) instead
    cpus_together = int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available()
    try:
        accelerator = accelerate.Accelerator(
            cpu=cpus_together,
            mixed_precision=config.mixed_precision,
            gradient_accumulation_steps=config.grad_accumulation_steps,
        )
    except ValueError as exc:  # accelerate's refusals: unsupported or already-set precision
        raise ConfigError(f"training.mixed_precision {config.mixed_precision!r}: {exc}") from None
    if config.mixed_precision == "fp16" and accelerator.device.type == "cpu":
        raise ConfigError("training.mixed_precision 'fp16' needs a GPU; on CPU use 'bf16' or 'no'")
    return accelerator


def train(
    build_model: Callable[[], Any],
    loss_fn: Callable[[Any, TrainingStep], Mapping[str, Any]],
    config: TrainingConfig,
    *,
    seed: int,
    params: Mapping[str, Any] | None = None,
    desc: str = "training",
    make_optimizer: Callable[..., Any] | None = None,
) -> TrainedModel:
    """Build the network with torch seeded by ``seed``, train it as ``config`` says.

    ``params`` (JSON-able) are recorded beside checkpoints with ``seed`` and the
    training block; resuming from a ``checkpoint_dir`` written with other values
    raises :class:`~morphospace.core.errors.CheckpointError` naming them.
    ``make_optimizer`` is an optimiser class (default ``torch.optim.AdamW``) or factory,
    called as ``make_optimizer(parameters, lr=..., weight_decay=...)``; e.g. geoopt's
    ``RiemannianAdam`` for parameters that live on a manifold.
    """
    import numpy as np

    torch = require("torch", install="torch", needed_for="training a component")
    accelerator = make_accelerator(config)
    torch.manual_seed(seed)
    model = build_model()
    optimizer = (make_optimizer or torch.optim.AdamW)(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    model, optimizer = accelerator.prepare(model, optimizer)
    network = accelerator.unwrap_model(model)
    ema = EMA(network, config.ema_decay) if config.ema_decay is not None else None
    objects: dict[str, Any] = {"model": network, "optimizer": optimizer}
    if ema is not None:
        objects["ema"] = ema
    if accelerator.scaler is not None:
        objects["scaler"] = accelerator.scaler
    checkpoints = TrainingCheckpoints(
        config.checkpoint_dir, objects, torch.from_numpy, training_record(config, seed, params)
    )
    start, history = checkpoints.resume()  # after prepare: states land on the device
    rank = accelerator.process_index

    def step_fn(step: int) -> dict[str, float]:
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * learning_rate_factor(step, config)
        model.train()
        logs: dict[str, float] = {}
        for micro in range(config.grad_accumulation_steps):
            torch.manual_seed(torch_step_seed(seed, step, rank, micro))
            context = TrainingStep(
                step,
                micro,
                np.random.default_rng(step_key(seed, step, rank, micro)),
                accelerator.device,
                rank,
                accelerator.num_processes,
            )
            with accelerator.accumulate(model):
                losses = loss_fn(model, context)
                accelerator.backward(losses["loss"])
                if accelerator.sync_gradients and config.max_grad_norm is not None:
                    accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            for name, value in losses.items():
                value = float(value.detach()) if hasattr(value, "detach") else float(value)
                logs[name] = logs.get(name, 0.0) + value / config.grad_accumulation_steps
        if ema is not None:
            ema.update(network)
        return logs

    history = train_loop(
        step_fn,
        config.n_steps,
        start_step=start,
        history=history,
        checkpoint_every=config.checkpoint_every,
        on_checkpoint=checkpoints.save if accelerator.is_main_process else None,
        desc=desc,
    )
    network = accelerator.unwrap_model(model, keep_fp32_wrapper=False)
    return TrainedModel(network.eval(), history, ema)
