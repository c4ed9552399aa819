"""The training block every torch component's config nests, and the pure arithmetic of
a step (learning rate, seeds): torch-free, so plugins' light config modules import it.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Literal

import pydantic
from pydantic import Field

from morphospace.core.config import DIRECTORY

#: Fields that may differ between a run and the training state it resumes from.
RESUMABLE_CHANGES = ("checkpoint_dir", "checkpoint_every")


class TrainingConfig(pydantic.BaseModel):
    """How a torch component trains: steps, optimiser, schedule, precision, checkpoints.

    A component's config nests it as ``training``; give the component its own defaults
    with :meth:`with_defaults` so that a partial block (``training: {n_steps: 50}``)
    keeps the component's other defaults.
    """

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    n_steps: int = Field(300, ge=1, description="optimiser steps")
    batch_size: int = Field(32, ge=1, description="samples drawn per step (per micro-batch)")
    learning_rate: float = Field(2e-3, gt=0, description="peak learning rate (AdamW)")
    weight_decay: float = Field(0.0, ge=0, description="AdamW decoupled weight decay")
    warmup_steps: int = Field(0, ge=0, description="steps of linear warm-up from 0")
    schedule: Literal["constant", "cosine", "linear"] = Field(
        "constant", description="learning rate after warm-up: constant, or decayed to 0"
    )
    grad_accumulation_steps: int = Field(
        1, ge=1, description="micro-batches whose gradients make one optimiser step"
    )
    max_grad_norm: float | None = Field(
        None, gt=0, description="clip the gradient norm to this (None: no clipping)"
    )
    mixed_precision: Literal["no", "bf16", "fp16"] = Field(
        "no", description="accelerate's mixed precision (fp16 needs a GPU)"
    )
    ema_decay: float | None = Field(
        None, gt=0, lt=1, description="keep an EMA of the weights with this decay (None: off)"
    )
    checkpoint_dir: str | None = Field(
        None,
        description="save resumable training state here and resume from it",
        json_schema_extra=DIRECTORY,
    )
    checkpoint_every: int = Field(100, ge=1, description="steps between checkpoints")

    @classmethod
    def with_defaults(cls, name: str, **defaults: Any) -> type[TrainingConfig]:
        """A subclass named ``name`` whose fields default to ``defaults`` (constraints kept)."""
        fields = {}
        for key, value in defaults.items():
            info = copy.copy(cls.model_fields[key])
            info.default = value
            fields[key] = (info.annotation, info)
        return pydantic.create_model(name, __base__=cls, __doc__=cls.__doc__, **fields)


def learning_rate_factor(step: int, config: TrainingConfig) -> float:
    """The multiple of ``learning_rate`` used at optimiser step ``step`` (0-based)."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return 1.0
    decay_steps = max(config.n_steps - config.warmup_steps, 1)
    progress = min((step - config.warmup_steps) / decay_steps, 1.0)
    if config.schedule == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def step_key(seed: int, step: int, rank: int = 0, micro: int = 0) -> list[int]:
    """The entropy of one micro-batch's ``numpy`` generator: ``(seed, step)`` on one process.

    Deriving every draw from the step alone is what makes a resumed run repeat the
    uninterrupted one; other processes and micro-batches get their own streams.
    """
    return [seed, step] + ([rank, micro] if rank or micro else [])


def torch_step_seed(seed: int, step: int, rank: int = 0, micro: int = 0) -> int:
    """The torch seed of one micro-batch (noise of reparameterised samples, dropout)."""
    return seed * 1_000_003 + step + 7919 * rank + 104_729 * micro
