"""Declarations that let compositions fail early: output geometry and input kind.

An Encoder declares the kind of input it accepts (feature table, 2-D images, 3-D
volumes) and the geometry of the vectors it produces; a Clusterer declares the
geometries it can cluster. :func:`check_geometry` and :func:`check_input_kind`
compare them before any work starts and name both sides when they disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from morphospace.core.errors import IncompatibleComponentsError, InputError

#: The input kinds an Encoder may accept, with the array rank each implies.
INPUT_KINDS = {"features": 2, "images": 4, "volumes": 5}
INPUT_SHAPES = {
    "features": "(n_samples, n_features)",
    "images": "(n_samples, channels, height, width)",
    "volumes": "(n_samples, channels, depth, height, width)",
}
GEOMETRY_KINDS = ("euclidean", "poincare")


@dataclass(frozen=True)
class Geometry:
    """The space embeddings live in: ``euclidean`` or the ``poincare`` ball.

    ``curvature`` is the magnitude ``c > 0`` of the ball's negative curvature
    (the ball has radius ``1/sqrt(c)``); it is 0 for Euclidean space.
    """

    kind: str = "euclidean"
    curvature: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in GEOMETRY_KINDS:
            raise InputError(
                f"geometry must be one of {', '.join(GEOMETRY_KINDS)}, got {self.kind!r}"
            )
        if self.kind == "poincare" and not self.curvature > 0:
            raise InputError(f"the Poincaré ball needs a curvature c > 0, got {self.curvature!r}")
        if self.kind == "euclidean" and self.curvature != 0:
            raise InputError(f"Euclidean geometry has curvature 0, got {self.curvature!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Geometry:
        return EUCLIDEAN if not data else cls(**data)

    def __str__(self) -> str:
        return self.kind if self.kind == "euclidean" else f"{self.kind} (c={self.curvature:g})"


EUCLIDEAN = Geometry()


def poincare(curvature: float = 1.0) -> Geometry:
    """The Poincaré ball of curvature ``-curvature``."""
    return Geometry("poincare", float(curvature))


def check_geometry(
    geometry: Geometry, supported: tuple[str, ...], consumer: str, producer: str
) -> None:
    """Raise if ``consumer`` cannot work on vectors of ``geometry`` made by ``producer``."""
    if geometry.kind not in supported:
        raise IncompatibleComponentsError(
            f"{consumer} supports {' or '.join(supported)} embeddings, but {producer} "
            f"produces {geometry} embeddings; choose a {geometry.kind} clusterer or an "
            f"encoder with {' or '.join(supported)} output"
        )


def input_kind_of(shape: tuple[int, ...]) -> str | None:
    """The input kind an array of this shape is, or None if its rank fits none."""
    for kind, rank in INPUT_KINDS.items():
        if len(shape) == rank:
            return kind
    return None


def check_input_kind(
    shape: tuple[int, ...], accepted: tuple[str, ...], consumer: str, source: str
) -> str:
    """Raise unless an array of ``shape`` from ``source`` is a kind ``consumer`` accepts."""
    kind = input_kind_of(tuple(shape))
    if kind not in accepted:
        expected = " or ".join(f"{k} {INPUT_SHAPES[k]}" for k in accepted)
        found = f"{kind} of shape {tuple(shape)}" if kind else f"an array of shape {tuple(shape)}"
        raise IncompatibleComponentsError(
            f"{consumer} expects {expected}, but {source} holds {found}"
        )
    return kind
