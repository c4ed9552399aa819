"""Training torch components: one trainer, its config block, resumable safetensors state.

Importing this package never imports torch (the trainer imports it inside
:func:`train`), so a plugin's light config module can import :class:`TrainingConfig`.

- :mod:`.config`: :class:`TrainingConfig`, the learning-rate schedule, per-step seeds;
- :mod:`.trainer`: :func:`train`, :class:`EMA`, :class:`TrainedModel`;
- :mod:`.loop`: the torch-free step loop and :func:`progress`;
- :mod:`.state`: weights and training state as safetensors, checked on resume.
"""

from morphospace.core.training.config import TrainingConfig, learning_rate_factor
from morphospace.core.training.loop import progress, train_loop
from morphospace.core.training.state import (
    MODEL_FILE,
    STATE_POINTER,
    SavesModelWeights,
    TrainingCheckpoints,
    flatten_state,
    load_arrays,
    load_state_dict_file,
    load_training_state,
    save_arrays,
    save_training_state,
    unflatten_state,
)
from morphospace.core.training.trainer import EMA, TrainedModel, TrainingStep, train

__all__ = [
    "EMA",
    "MODEL_FILE",
    "STATE_POINTER",
    "SavesModelWeights",
    "TrainedModel",
    "TrainingCheckpoints",
    "TrainingConfig",
    "TrainingStep",
    "flatten_state",
    "learning_rate_factor",
    "load_arrays",
    "load_state_dict_file",
    "load_training_state",
    "progress",
    "save_arrays",
    "save_training_state",
    "train",
    "train_loop",
    "unflatten_state",
]
