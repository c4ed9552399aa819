"""The torch-free half of training: the step loop, its loss history and its progress.

Progress is a bar on a terminal and, where stderr is not one (a log file, CI, a cluster
job), a line every :data:`LINE_INTERVAL` seconds, so a long run is never silent for
minutes. ``MORPHOSPACE_PROGRESS=0`` silences both; ``=1`` forces the bar.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

PROGRESS_ENV = "MORPHOSPACE_PROGRESS"
#: Seconds between progress lines when stderr is not a terminal.
LINE_INTERVAL = 60.0

#: ``listener(desc, done, total)`` of the progress loops run in this context, if any.
ProgressListener = Callable[[str, int, "int | None"], None]
_listener: ContextVar[ProgressListener | None] = ContextVar("progress_listener", default=None)


@contextmanager
def listen_to_progress(listener: ProgressListener) -> Iterator[None]:
    """Call ``listener(desc, done, total)`` as every :func:`progress` loop run in this
    context advances (training steps, volumes segmented, ...): at its start and after
    each item. A GUI's progress bar listens this way; the listener may raise to stop the
    run between two items (a cancel button). Context-local, so each thread has its own.
    """
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def progress_mode() -> str:
    """``"off"``, ``"bar"`` or ``"lines"``, from ``MORPHOSPACE_PROGRESS`` and stderr."""
    setting = os.environ.get(PROGRESS_ENV)
    if setting == "0":
        return "off"
    if setting is not None or sys.stderr.isatty():
        return "bar"
    return "lines"


def progress(
    iterable: Iterable, total: int | None = None, desc: str = "", **kwargs: Any
) -> Iterable:
    """A tqdm progress bar, silenced by ``MORPHOSPACE_PROGRESS=0`` or a non-terminal stderr,
    and reported to the listener of :func:`listen_to_progress` if there is one."""
    disable = progress_mode() != "bar"
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar, same iteration
        items = iterable
    else:
        items = tqdm(iterable, total=total, desc=desc, disable=disable, leave=False, **kwargs)
    listener = _listener.get()
    if listener is None:
        return items
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    return _reported(items, listener, desc, kwargs.get("initial", 0), total)


def _reported(
    items: Iterable, listener: ProgressListener, desc: str, done: int, total: int | None
) -> Iterator:
    listener(desc, done, total)
    for item in items:
        yield item
        done += 1
        listener(desc, done, total)


class ProgressLines:
    """Training progress as one stderr line every ``interval`` seconds and at the end:
    step, share done, the latest losses, speed and the time left."""

    def __init__(
        self,
        desc: str,
        total: int,
        start: int,
        interval: float = LINE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.desc, self.total, self.start, self.interval, self.clock = (
            desc,
            total,
            start,
            interval,
            clock,
        )
        self.began = self.last = clock()

    def update(self, done: int, losses: dict[str, float]) -> None:
        now = self.clock()
        if now - self.last < self.interval and done < self.total:
            return
        self.last = now
        rate = (done - self.start) / max(now - self.began, 1e-9)
        left = (self.total - done) / rate if rate > 0 else float("inf")
        shown = ", ".join(f"{k} {float(v):.4g}" for k, v in losses.items())
        print(
            f"{self.desc}: step {done}/{self.total} ({100 * done / self.total:.0f}%)"
            + (f", {shown}" if shown else "")
            + f", {rate:.3g} steps/s, {_duration(left)} left",
            file=sys.stderr,
            flush=True,
        )


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "unknown time"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


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
    lines = ProgressLines(desc, n_steps, start_step) if progress_mode() == "lines" else None
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
        if lines is not None:
            lines.update(done, losses)
        if on_checkpoint and (
            (checkpoint_every and done % checkpoint_every == 0) or done == n_steps
        ):
            on_checkpoint(done, history)
    return history
