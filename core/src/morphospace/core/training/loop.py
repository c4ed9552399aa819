"""The torch-free half of training: the step loop, its loss history and progress bar."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

PROGRESS_ENV = "MORPHOSPACE_PROGRESS"


def progress(
    iterable: Iterable, total: int | None = None, desc: str = "", **kwargs: Any
) -> Iterator:
    """A tqdm progress bar, silenced by ``MORPHOSPACE_PROGRESS=0`` or a non-terminal stderr."""
    setting = os.environ.get(PROGRESS_ENV)
    disable = setting == "0" if setting is not None else not sys.stderr.isatty()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar, same iteration
        return iter(iterable)
    return iter(tqdm(iterable, total=total, desc=desc, disable=disable, leave=False, **kwargs))


def train_loop(
    step_fn: Callable[[int], dict[str, float]],
    n_steps: int,
    *,
    start_step: int = 0,
    history: dict[str, list[float]] | None = None,
    checkpoint_every: int | None = None,
    on_checkpoint: Callable[[int, dict[str, list[float]]], None] | None = None,
    desc: str = "training",
) -> dict[str, list[float]]:
    """Call ``step_fn(step)`` for ``step`` in ``[start_step, n_steps)``; return the loss history.

    ``step_fn`` returns scalar losses by name; they are appended to ``history`` and
    shown on the progress bar. ``on_checkpoint(step, history)`` is called every
    ``checkpoint_every`` steps and after the last one, so training can resume.
    """
    history = {k: list(v) for k, v in (history or {}).items()}
    bar = progress(range(start_step, n_steps), total=n_steps, desc=desc, initial=start_step)
    for step in bar:
        losses = step_fn(step)
        for name, value in losses.items():
            value = float(value)
            if not np.isfinite(value):
                raise FloatingPointError(f"{desc}: loss {name!r} became {value} at step {step}")
            history.setdefault(name, []).append(value)
        if hasattr(bar, "set_postfix") and step % 10 == 0:
            bar.set_postfix({k: f"{v:.4g}" for k, v in losses.items()})
        done = step + 1
        if on_checkpoint and (
            (checkpoint_every and done % checkpoint_every == 0) or done == n_steps
        ):
            on_checkpoint(done, history)
    return history
