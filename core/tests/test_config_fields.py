"""``fields_table`` shows field types as a user reads them, with element types and values."""

from typing import Literal

from morphospace.core import EncoderConfig
from morphospace.core.config import type_text


class Typed(EncoderConfig):
    names: tuple[str, ...] = ("a", "b")
    pair: tuple[int, float] = (1, 2.0)
    mode: Literal["fast", "exact"] = "fast"
    limit: int | None = None
    legacy: float | None = None
    weights: dict[str, list[float]] = {}
    k: int = 3


def test_fields_table_shows_element_types_literal_values_and_unions():
    types = {name: type_text for name, type_text, _, _ in Typed.fields_table()}
    assert types == {
        "names": "tuple[str, ...]",
        "pair": "tuple[int, float]",
        "mode": "one of 'fast', 'exact'",
        "limit": "int | None",
        "legacy": "float | None",
        "weights": "dict[str, list[float]]",
        "k": "int",
    }


def test_type_text_of_plain_and_string_annotations():
    assert type_text(float) == "float"
    assert type_text(None.__class__) == "None"
    assert type_text("np.ndarray") == "np.ndarray"
