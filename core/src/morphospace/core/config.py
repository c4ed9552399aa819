"""Component configurations: validated hyperparameters plus what a component declares.

A component's ``Config`` is the light half of the component: hyperparameters with
types and defaults, and the declarations a composition is checked against (input
kinds, output geometry, supported geometries, evaluator inputs). A plugin keeps its
configs in a module without heavy imports and names it in its ``ComponentSpec``, so
``morphospace info`` and pipeline validation never import torch or the implementation.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import pydantic

from morphospace.core.errors import ConfigError, cap_message, short_repr, validator_message
from morphospace.core.geometry import EUCLIDEAN, Geometry

#: ``json_schema_extra`` of a field that names a folder the component writes to (e.g.
#: training state): a pipeline may set it only to a plain name, placed under a folder
#: the user gives (see :mod:`morphospace.core.pipeline.paths`).
DIRECTORY = {"morphospace_path": "directory"}

#: ``json_schema_extra`` of a field that names a file the component reads (e.g. the
#: weights of a pretrained backbone): a pipeline may set it only to a plain name, read
#: from a folder the user gives (``--inputs DIR``).
INPUT_FILE = {"morphospace_path": "input_file"}


def params_of(kind: str, name_field: str) -> dict[str, Any]:
    """``json_schema_extra`` of a field holding the params of another registered component
    of ``kind``, named by the field ``name_field`` (e.g. an encoder whose features a metric
    uses): path params in it are checked and placed like the config's own."""
    return {"morphospace_params_of": [kind, name_field]}


#: A seed numpy and torch both accept: 0 <= seed < 2**32.
Seed = Annotated[int, pydantic.Field(ge=0, le=2**32 - 1)]


def _numbers_only(annotation: Any) -> bool:
    """Whether a field typed ``annotation`` takes numbers but no bool (``int | None``, ...)."""
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _numbers_only(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(members) and all(_numbers_only(a) for a in members)
    return False


def _problem(err: Mapping[str, Any]) -> str:
    """One validation error: the field and the bad value, or a whole-config rule's message."""
    if not err["loc"]:  # a model validator: a rule across fields, its message says it all
        return validator_message(err)
    where = ".".join(str(p) for p in err["loc"])
    return f"parameter {where!r}: {err['msg']} (got {short_repr(err.get('input'))})"


class ComponentConfig(pydantic.BaseModel):
    """Base of every component's hyperparameters: unknown keys and wrong types are rejected."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        """``max_iter: true`` is a typo, not 1: pydantic would accept it as a number."""
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and _numbers_only(field.annotation):
            raise ValueError(f"expected a number, found the boolean {value}")
        return value

    @classmethod
    def from_params(cls, params: Mapping[str, Any], component: str) -> ComponentConfig:
        """Validate ``params``; errors name ``component``, the field and the valid fields."""
        fields = cls.model_fields
        unknown = [key for key in params if key not in fields]
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            nested = cls._nested_home(str(key))
            hint = (
                f" It lives in a block now: {nested}: {{{key}: ...}}."
                if nested
                else f" Did you mean {close[0]!r}?"
                if close
                else ""
            )
            raise ConfigError(
                f"{component}: unknown parameter {key!r}.{hint} Valid parameters: {cls.describe()}"
            )
        try:
            return cls(**params)
        except pydantic.ValidationError as exc:
            problems = "; ".join(_problem(err) for err in exc.errors())
            raise ConfigError(
                cap_message(f"{component}: {problems}. Valid parameters: {cls.describe()}")
            ) from None

    @classmethod
    def _nested_home(cls, key: str) -> str | None:
        """The nested block (e.g. ``training``) that has a field ``key``, if one does."""
        for name, field in cls.model_fields.items():
            block = field.annotation
            is_block = isinstance(block, type) and issubclass(block, pydantic.BaseModel)
            if is_block and key in block.model_fields:
                return name
        return None

    @classmethod
    def describe(cls) -> str:
        """``name (type, default)`` for every field, for error messages."""
        return (
            ", ".join(
                f"{name} ({type_text}, {default})"
                for name, type_text, default, _ in cls.fields_table()
            )
            or "none"
        )

    @classmethod
    def fields_table(cls) -> list[tuple[str, str, str, str]]:
        """``(name, type, default, description)`` for every field; the fields of a nested
        block (``training``) follow it as ``training.n_steps`` rows."""
        return _fields_rows(cls, "")


def _fields_rows(cls: type[pydantic.BaseModel], prefix: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        block = isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)
        if field.is_required():
            default = "required"
        elif block:
            default = "a block of the fields below"
        else:
            default = f"default {field.get_default(call_default_factory=True)!r}"
        rows.append((f"{prefix}{name}", type_text(annotation), default, field.description or ""))
        if block:
            rows += _fields_rows(annotation, f"{prefix}{name}.")
    return rows


def type_text(annotation: Any) -> str:
    """An annotation as a user reads it: ``tuple[str, ...]``, ``one of 'a', 'b'``,
    ``int | None``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is type(None):
        return "None"
    if origin is None:
        return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
    if origin is typing.Literal:
        return f"one of {', '.join(repr(a) for a in args)}"
    if origin is Annotated:
        return type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    inner = ", ".join("..." if a is Ellipsis else type_text(a) for a in args)
    return f"{getattr(origin, '__name__', str(origin))}[{inner}]"


def _check_input_kinds(cls: type, allowed: tuple[str, ...]) -> None:
    kinds = cls.input_kinds
    if not isinstance(kinds, tuple) or not kinds or not set(kinds) <= set(allowed):
        raise ConfigError(
            f"{cls.__qualname__}.input_kinds must be a non-empty tuple of "
            f"{', '.join(allowed)}; found {kinds!r}"
        )


class EncoderConfig(ComponentConfig):
    #: Input kinds accepted by ``fit``/``encode``: "features", "images", "volumes".
    input_kinds: ClassVar[tuple[str, ...]] = ("features",)
    #: Whether ``fit`` needs labels (metric learning, weak supervision).
    requires_labels: ClassVar[bool] = False

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _check_input_kinds(cls, ("features", "images", "volumes"))

    def output_geometry(self) -> Geometry:
        """The geometry of the embeddings; override when it depends on the config."""
        return EUCLIDEAN


class SegmenterConfig(ComponentConfig):
    #: Input kinds ``fit``/``segment`` accept: "images" and/or "volumes".
    input_kinds: ClassVar[tuple[str, ...]] = ("images",)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _check_input_kinds(cls, ("images", "volumes"))


class ClustererConfig(ComponentConfig):
    #: Geometry kinds the clusterer can work in.
    supported_geometries: ClassVar[tuple[str, ...]] = ("euclidean",)


class RegistrarConfig(ComponentConfig):
    pass


class TranslatorConfig(ComponentConfig):
    pass


#: The kinds of data an evaluator input may be: an obs column ("labels"), several obs
#: columns ("factors", e.g. the known factors of variation, given to ``evaluate`` as a
#: DataFrame) or an obsm array of embeddings, images, label masks or displacement fields.
EVALUATOR_INPUT_KINDS = ("labels", "factors", "embedding", "images", "masks", "displacement")


class EvaluatorConfig(ComponentConfig):
    #: The inputs ``evaluate`` takes and the kind of data each is, one of
    #: :data:`EVALUATOR_INPUT_KINDS`; a misspelled kind fails when the class is defined.
    inputs: ClassVar[dict[str, str]] = {}
    #: Inputs that may be left out.
    optional_inputs: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        bad = {k: v for k, v in cls.inputs.items() if v not in EVALUATOR_INPUT_KINDS}
        if bad:
            raise ConfigError(
                f"{cls.__qualname__}.inputs: kinds {bad} are not among "
                f"{', '.join(EVALUATOR_INPUT_KINDS)}"
            )
        extra = sorted(set(cls.optional_inputs) - set(cls.inputs))
        if extra:
            raise ConfigError(
                f"{cls.__qualname__}.optional_inputs {extra} are not declared in inputs"
            )


CONFIG_BASES: dict[str, type[ComponentConfig]] = {
    "encoder": EncoderConfig,
    "segmenter": SegmenterConfig,
    "registrar": RegistrarConfig,
    "clusterer": ClustererConfig,
    "translator": TranslatorConfig,
    "evaluator": EvaluatorConfig,
}
