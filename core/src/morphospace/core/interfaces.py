"""The kinds of component. Each plugin component subclasses one of these.

Arrays are numpy at the interface (torch tensors are accepted and converted). The
class attributes declare what a component accepts and produces, so that a pipeline
or :mod:`morphospace.core.tl` can refuse an incompatible composition before work
starts.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from morphospace.core.component import Component
from morphospace.core.config import (
    ClustererConfig,
    EncoderConfig,
    EvaluatorConfig,
    RegistrarConfig,
    SegmenterConfig,
    TranslatorConfig,
)
from morphospace.core.deformation import Deformation
from morphospace.core.geometry import EUCLIDEAN, Geometry, check_geometry
from morphospace.core.metric import Metric
from morphospace.core.segmentation import Segmentation


class Encoder(Component):
    """Maps samples (features, images or volumes) to vectors ``(N, d)``."""

    kind: ClassVar[str] = "encoder"
    Config: ClassVar[type[EncoderConfig]] = EncoderConfig

    @property
    def geometry(self) -> Geometry:
        """The geometry of the vectors ``encode`` returns (declared by the config)."""
        return self.config.output_geometry()

    @property
    def input_kinds(self) -> tuple[str, ...]:
        return self.config.input_kinds

    def fit(self, x: Any, y: Any = None) -> Encoder:
        """Learn from ``x`` (and labels ``y`` if the method uses them); return ``self``."""
        return self

    @abstractmethod
    def encode(self, x: Any) -> np.ndarray:
        """Return embeddings ``(N, d)``."""

    def fit_encode(self, x: Any, y: Any = None) -> np.ndarray:
        return self.fit(x, y).encode(x)


class Segmenter(Component):
    """Finds objects in images or volumes: label maps plus one table row per object.

    ``segment`` returns a :class:`~morphospace.core.segmentation.Segmentation`; it
    leaves nothing on the component for a later call to read.
    """

    kind: ClassVar[str] = "segmenter"
    Config: ClassVar[type[SegmenterConfig]] = SegmenterConfig

    @property
    def input_kinds(self) -> tuple[str, ...]:
        return self.config.input_kinds

    def fit(self, x: Any, y: Any = None) -> Segmenter:
        """Learn from images/volumes ``x`` (and annotations ``y`` if the method uses them)."""
        return self

    @abstractmethod
    def segment(self, x: Any) -> Segmentation:
        """Label maps ``(N, L, ...)`` of ``x`` and the per-object tables."""

    def fit_segment(self, x: Any, y: Any = None) -> Segmentation:
        return self.fit(x, y).segment(x)

    def segment_on_cluster(self, x: Any, client: Any) -> Segmentation:
        """``segment`` with the work spread over a Dask ``client``'s cluster, tile by
        tile, for fields too large for one machine; the same result. A method without a
        tiled version keeps this default: ``segment`` here."""
        return self.segment(x)


class Registrar(Component):
    """Finds the deformation that aligns a moving image to a fixed one."""

    kind: ClassVar[str] = "registrar"
    Config: ClassVar[type[RegistrarConfig]] = RegistrarConfig

    def fit(self, images: Any, y: Any = None) -> Registrar:
        """Learn from a batch of images ``(N, C, H, W)``; return ``self``.

        ``y`` is optional per-image supervision a method may use, such as label maps
        ``(N, 1, H, W)`` of the images (a mask-overlap loss); without it the method
        learns from the images alone.
        """
        return self

    @abstractmethod
    def register(self, moving: Any, fixed: Any) -> Deformation:
        """Return the deformation such that ``deformation.warp(moving)`` matches ``fixed``."""


class Clusterer(Component):
    """Groups vectors ``(N, d)`` into integer clusters."""

    kind: ClassVar[str] = "clusterer"
    Config: ClassVar[type[ClustererConfig]] = ClustererConfig

    def check_geometry(self, geometry: Geometry, producer: str = "the input") -> None:
        """Raise :class:`IncompatibleComponentsError` for an unsupported geometry."""
        check_geometry(geometry, self.config.supported_geometries, self.name, producer)

    @abstractmethod
    def fit_predict(self, z: Any, geometry: Geometry = EUCLIDEAN) -> np.ndarray:
        """Return one integer label per row of ``z``."""


class Translator(Component):
    """Turns images of one condition into images of another."""

    kind: ClassVar[str] = "translator"
    Config: ClassVar[type[TranslatorConfig]] = TranslatorConfig

    @abstractmethod
    def fit(self, images: Any, conditions: Any) -> Translator:
        """Learn from images ``(N, C, H, W)`` and one condition label per image."""

    @abstractmethod
    def translate(self, images: Any, source: Any, target: Any) -> np.ndarray:
        """Return ``images`` of condition ``source`` as they would look under ``target``."""

    def translate_to_each(self, images: Any, source: Any, targets: list) -> list[np.ndarray]:
        """``translate`` to each of ``targets``, in order. Override to share work between
        targets (a diffusion translator inverts the images once)."""
        return [self.translate(images, source, target) for target in targets]


class Evaluator(Component):
    """Scores results: ``evaluate(**inputs) -> {metric name: Metric}``."""

    kind: ClassVar[str] = "evaluator"
    Config: ClassVar[type[EvaluatorConfig]] = EvaluatorConfig

    @abstractmethod
    def evaluate(self, **inputs: Any) -> dict[str, Metric]:
        """Return metrics by name."""


INTERFACES: dict[str, type[Component]] = {
    "encoder": Encoder,
    "segmenter": Segmenter,
    "registrar": Registrar,
    "clusterer": Clusterer,
    "translator": Translator,
    "evaluator": Evaluator,
}
