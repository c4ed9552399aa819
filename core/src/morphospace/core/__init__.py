"""morphospace-core: the registry, the component interfaces and pipelines.

Importing this package is cheap: names are loaded on first access (PEP 562), and
nothing here imports torch, scanpy or any plugin implementation.

>>> from morphospace.core import registry
>>> registry.list("encoder")                               # doctest: +SKIP
>>> nca = registry.create("encoder", "dmlcluster.nca", n_components=2)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_LAZY = {
    "Component": "morphospace.core.component",
    "ComponentConfig": "morphospace.core.config",
    "EncoderConfig": "morphospace.core.config",
    "ClustererConfig": "morphospace.core.config",
    "RegistrarConfig": "morphospace.core.config",
    "TranslatorConfig": "morphospace.core.config",
    "EvaluatorConfig": "morphospace.core.config",
    "SegmenterConfig": "morphospace.core.config",
    "Encoder": "morphospace.core.interfaces",
    "Registrar": "morphospace.core.interfaces",
    "Clusterer": "morphospace.core.interfaces",
    "Translator": "morphospace.core.interfaces",
    "Evaluator": "morphospace.core.interfaces",
    "Segmenter": "morphospace.core.interfaces",
    "Segmentation": "morphospace.core.segmentation",
    "Deformation": "morphospace.core.deformation",
    "Metric": "morphospace.core.metric",
    "Geometry": "morphospace.core.geometry",
    "EUCLIDEAN": "morphospace.core.geometry",
    "poincare": "morphospace.core.geometry",
    "load": "morphospace.core.checkpoint",
    "PLUGIN_API_VERSION": "morphospace.core.plugin",
    "ComponentSpec": "morphospace.core.plugin",
    "DatasetSpec": "morphospace.core.plugin",
    "PipelineSpec": "morphospace.core.plugin",
    "hookimpl": "morphospace.core.plugin",
}
_SUBMODULES = {"registry", "tl", "pipeline", "errors", "validation", "plugin", "geometry"}
_RENAMED = {"load": "load_component"}

__all__ = sorted([*_LAZY, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), _RENAMED.get(name, name))
    elif name in _SUBMODULES:
        value = importlib.import_module(f"morphospace.core.{name}")
    else:
        raise AttributeError(f"module 'morphospace.core' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
