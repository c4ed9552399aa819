"""A parameter form built from a component's pydantic Config, without importing the component.

Each field becomes the magicgui widget of its type (check box, spin box, choice, text);
a nested block (``training``) is flattened to ``training.n_steps`` and so on. Fields that
name files or folders are left out: the widget writes nothing outside napari. Values are
read back as the params the registry's ``create`` takes and validated by the Config.
"""

from __future__ import annotations

import contextlib
import json
import types
import typing
from typing import Any

import pydantic
from magicgui import widgets


def _annotation_parts(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``None``, and whether ``None`` is allowed."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else annotation), True
    return annotation, False


def _widget(name: str, field: Any, value: Any) -> widgets.Widget:
    annotation, optional = _annotation_parts(field.annotation)
    tooltip = field.description or ""
    if typing.get_origin(annotation) is typing.Literal:
        return widgets.ComboBox(
            name=name, choices=list(typing.get_args(annotation)), value=value, tooltip=tooltip
        )
    if annotation is bool:
        return widgets.CheckBox(name=name, value=bool(value), tooltip=tooltip)
    if annotation is int and not optional:
        low = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), -(10**9))
        high = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), 10**9)
        return widgets.SpinBox(name=name, value=value, min=low, max=high, tooltip=tooltip)
    # floats, tuples, optional values: typed as JSON ("0.002", "[2, 3, 4]", "null")
    return widgets.LineEdit(name=name, value=json.dumps(value), tooltip=tooltip)


def _is_path(field: Any) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and "morphospace_path" in extra


def _fields(model: pydantic.BaseModel, prefix: str = ""):
    """``(dotted name, field, value)`` of every leaf field, nested blocks flattened."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, pydantic.BaseModel):
            yield from _fields(value, f"{prefix}{name}.")
        elif not _is_path(field):
            yield f"{prefix}{name}", field, value


def build_form(config_cls: type[pydantic.BaseModel]) -> widgets.Container:
    """A container with one widget per (flattened) field of ``config_cls``."""
    form = widgets.Container(labels=True)
    for name, field, value in _fields(config_cls()):
        form.append(_widget(name, field, value))
    return form


def read_form(form: widgets.Container) -> dict[str, Any]:
    """The form's values as nested params (``{"training": {"n_steps": 50}}``)."""
    params: dict[str, Any] = {}
    for widget in form:
        value = widget.value
        if isinstance(widget, widgets.LineEdit):
            # JSON where it parses; else a plain string, which the Config accepts or refuses
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        *blocks, leaf = widget.name.split(".")
        target = params
        for block in blocks:
            target = target.setdefault(block, {})
        target[leaf] = value
    return params
