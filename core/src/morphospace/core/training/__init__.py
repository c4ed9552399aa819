"""Training torch components: one trainer, its config block, resumable safetensors state.

Importing this package is light: names load on first access (PEP 562), so a plugin's
config module can import :class:`TrainingConfig` without numpy, safetensors or torch
(the trainer imports torch inside :func:`train`).

- :mod:`.config`: :class:`TrainingConfig`, the learning-rate schedule, per-step seeds;
- :mod:`.trainer`: :func:`train`, :class:`EMA`, :class:`TrainedModel`;
- :mod:`.loop`: the torch-free step loop and :func:`progress`;
- :mod:`.state`: weights and training state as safetensors, checked on resume.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "TrainingConfig": "config",
    "learning_rate_factor": "config",
    "listen_to_progress": "loop",
    "progress": "loop",
    "train_loop": "loop",
    "MODEL_FILE": "state",
    "STATE_POINTER": "state",
    "SavesModelWeights": "state",
    "TrainingCheckpoints": "state",
    "flatten_state": "state",
    "load_arrays": "state",
    "load_state_dict_file": "state",
    "load_training_state": "state",
    "save_arrays": "state",
    "save_training_state": "state",
    "unflatten_state": "state",
    "EMA": "trainer",
    "TrainedModel": "trainer",
    "TrainingStep": "trainer",
    "train": "trainer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'morphospace.core.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
