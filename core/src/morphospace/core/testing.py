"""The conformance kit: the contract of a component, as checks a test suite runs.

In the spirit of scikit-learn's ``parametrize_with_checks``: a plugin lists its
components (with the small params and data that make them fit in seconds) and gets
one pytest test per component and check::

    from morphospace.core.testing import ComponentCase, parametrize_with_checks

    CASES = [
        ComponentCase("example.mean_shift", params={"per_pixel": False}),
        "example",  # every other component of the plugin, with default data
    ]

    @parametrize_with_checks(CASES)
    def test_conformance(check):
        check()

A case's ``data`` is a function returning the inputs its kind needs, by name:

========== ===============================================================
encoder    ``x`` (features, images or volumes), ``y`` if it learns labels,
           ``x_encode`` if ``encode`` takes other inputs than ``fit`` (patches)
segmenter  ``x`` (images or volumes), ``y`` (label maps) if it learns from them
clusterer  ``z`` (N, d), ``geometry`` (default: Euclidean)
registrar  ``images`` for ``fit`` (``y`` optional), ``moving`` and ``fixed``
translator ``images`` (N, C, H, W) and ``conditions`` (N,)
evaluator  every input ``evaluate`` declares, by its name
========== ===============================================================

Without ``data``, :func:`default_data` makes tiny inputs from the component's
declarations (input kind, geometries, evaluator inputs). Nothing here imports torch;
pytest is imported only by :func:`parametrize_with_checks`.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core import registry
from morphospace.core.config import EVALUATOR_INPUT_KINDS
from morphospace.core.errors import (
    ConfigError,
    IncompatibleComponentsError,
    InputError,
    NotFittedError,
)
from morphospace.core.geometry import EUCLIDEAN, GEOMETRY_KINDS, INPUT_KINDS, Geometry, poincare

#: Kinds whose components learn in ``fit`` (clusterers and evaluators have no ``fit``).
FITTED_KINDS = ("encoder", "segmenter", "registrar", "translator")

#: The input kinds a segmenter may declare: it finds objects in images or volumes.
SEGMENTER_INPUT_KINDS = ("images", "volumes")


# ---------------------------------------------------------------------- tiny data
def make_features(n: int = 40, n_features: int = 6, n_classes: int = 3, seed: int = 0):
    """Gaussian blobs ``(n, n_features)`` float32 and their integer class ``(n,)``."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % n_classes
    centres = rng.normal(0, 4, (n_classes, n_features))
    x = centres[labels] + rng.normal(0, 1, (n, n_features))
    return x.astype(np.float32), labels


def make_images(n: int = 12, channels: int = 1, size: int = 16, seed: int = 0) -> np.ndarray:
    """Smooth images ``(n, channels, size, size)`` in [0, 1]: one Gaussian spot each."""
    return _spots(n, channels, (size, size), seed)


def make_volumes(n: int = 4, channels: int = 1, size: int = 8, seed: int = 0) -> np.ndarray:
    """Smooth volumes ``(n, channels, size, size, size)`` in [0, 1]: one Gaussian spot each."""
    return _spots(n, channels, (size, size, size), seed)


def _spots(n: int, channels: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"))
    out = np.empty((n, channels, *shape), dtype=np.float32)
    for i in range(n):
        for c in range(channels):
            centre = rng.uniform(0.3, 0.7, len(shape)) * np.array(shape)
            width = rng.uniform(0.15, 0.3) * min(shape)
            distance = ((grid - centre.reshape(-1, *[1] * len(shape))) ** 2).sum(axis=0)
            out[i, c] = np.exp(-distance / (2 * width**2)) + rng.normal(0, 0.02, shape)
    return out.clip(0, 1)


def default_data(kind: str, config: type) -> dict[str, Any]:
    """Tiny inputs for a component of ``kind`` from what its ``config`` class declares."""
    x = {"features": lambda: make_features()[0], "images": make_images, "volumes": make_volumes}
    if kind == "encoder":
        data = {"x": x[config.input_kinds[0]]()}
        if config.requires_labels:
            data["y"] = np.arange(len(data["x"])) % 3
        return data
    if kind == "segmenter":
        return {"x": x[config.input_kinds[0]]()}
    if kind == "clusterer":
        z, _ = make_features(n_features=2)
        if "euclidean" in config.supported_geometries:
            return {"z": z, "geometry": EUCLIDEAN}
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        return {"z": (0.8 * z / (1 + norm)).astype(np.float32), "geometry": poincare(1.0)}
    if kind == "registrar":
        images = make_images(n=8)
        return {"images": images, "moving": images[:4], "fixed": images[4:]}
    if kind == "translator":
        return {"images": make_images(size=8), "conditions": np.array(["a", "b", "c"] * 4)}
    return {name: _evaluator_input(k) for name, k in config.inputs.items()}


def _evaluator_input(kind: str, n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(0)
    if kind == "labels":
        return np.arange(n) % 3
    if kind == "factors":
        import pandas as pd

        return pd.DataFrame({"shape": np.arange(n) % 3, "size": np.arange(n) // 3 % 2})
    if kind == "embedding":
        return make_features(n=n, n_features=4)[0]
    if kind == "images":
        return make_images(n=n)
    if kind == "masks":
        return (make_images(n=n) > 0.5).astype(np.int32) + (make_images(n=n, seed=1) > 0.7)
    if kind == "displacement":
        return rng.normal(0, 0.5, (n, 2, 16, 16)).astype(np.float32)
    raise ConfigError(f"unknown evaluator input kind {kind!r}; one of {EVALUATOR_INPUT_KINDS}")


def training_params(config: type, **values: Any) -> dict[str, Any]:
    """``values`` placed where ``config`` takes them: in its ``training`` block if it has one.

    Lets a test give a torch component small training settings (``n_steps=2``) whether
    its config nests them in ``training: {...}`` or keeps them at the top level.
    """
    if "training" in config.model_fields:
        return {"training": values}
    return values


# ---------------------------------------------------------------------- cases
@dataclass(eq=False)
class ComponentCase:
    """One component to check: a registry name (or a class), its params and its data.

    ``xfail`` maps a check name to the reason it is known to fail; that check is then
    marked ``xfail(strict=True)``, so fixing the component makes the test say so.
    """

    component: str | type
    params: Mapping[str, Any] = field(default_factory=dict)
    data: Callable[[], Mapping[str, Any]] | None = None
    xfail: Mapping[str, str] = field(default_factory=dict)
    _memo: dict = field(default_factory=dict, init=False, repr=False)

    # -- what the component is, read without importing its implementation
    @property
    def name(self) -> str:
        """The qualified registry name, or the class name for an unregistered class."""
        if isinstance(self.component, str):
            return self._info().name
        return self.component.__qualname__

    @property
    def registered(self) -> bool:
        return isinstance(self.component, str)

    @property
    def kind(self) -> str:
        return self._info().kind if self.registered else self.component.kind

    @property
    def config_class(self) -> type:
        if self.registered:
            return registry.config_class(self.name)
        return self.component.Config

    def _info(self) -> Any:
        if "info" not in self._memo:
            self._memo["info"] = registry.info(self.component)
        return self._memo["info"]

    # -- building and fitting
    def create(self, **extra: Any) -> Any:
        """A new, unfitted component with the case's params (and ``extra``)."""
        params = {**self.params, **extra}
        if self.registered:
            return registry.create(self.kind, self.name, **params)
        return self.component(**params)

    def inputs(self) -> dict[str, Any]:
        """A fresh copy of the case's data (made once, copied for every use)."""
        if "data" not in self._memo:
            made = (
                self.data() if self.data is not None else default_data(self.kind, self.config_class)
            )
            self._memo["data"] = dict(made)
        return copy.deepcopy(self._memo["data"])

    def fitted(self) -> Any:
        """A copy of the component fitted on the case's data (fitted once per case)."""
        if "fitted" not in self._memo:
            component = self.create()
            _fit(component, self.inputs())
            self._memo["fitted"] = component
        return copy.deepcopy(self._memo["fitted"])


# ---------------------------------------------------------------------- driving a component
def _fit(component: Any, data: Mapping[str, Any]) -> Any:
    """Run the learning call of ``component``'s kind and return what it returned."""
    kind = component.kind
    if kind in ("encoder", "segmenter"):
        return component.fit(data["x"], data.get("y"))
    if kind == "registrar":
        if "y" in data:
            return component.fit(data["images"], data["y"])
        return component.fit(data["images"])
    if kind == "translator":
        return component.fit(data["images"], data["conditions"])
    return component


def _output(component: Any, data: Mapping[str, Any]) -> Any:
    """What a (fitted) component produces from the case's data, as arrays or numbers."""
    kind = component.kind
    if kind == "encoder":
        return np.asarray(component.encode(_encode_input(data)))
    if kind == "segmenter":
        result = component.segment(data["x"])
        tables = {name: t.select_dtypes("number").to_numpy() for name, t in result.tables.items()}
        return {"label_maps": result.label_maps, **tables}
    if kind == "clusterer":
        return np.asarray(component.fit_predict(data["z"], geometry=_geometry(data)))
    if kind == "registrar":
        return component.register(data["moving"], data["fixed"]).field
    if kind == "translator":
        return {
            str(target): np.asarray(component.translate(data["images"], data["conditions"], target))
            for target in np.unique(data["conditions"])
        }
    return {name: float(m.value) for name, m in component.evaluate(**data).items()}


def _encode_input(data: Mapping[str, Any]) -> Any:
    return data.get("x_encode", data["x"])


def _geometry(data: Mapping[str, Any]) -> Geometry:
    return data.get("geometry", EUCLIDEAN)


def _assert_same(a: Any, b: Any, what: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{what}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            _assert_same(a[key], b[key], f"{what}[{key!r}]")
        return
    np.testing.assert_allclose(
        np.asarray(a, dtype=float),
        np.asarray(b, dtype=float),
        rtol=1e-5,
        atol=1e-6,
        err_msg=what,
    )


def _expect(
    error: type | tuple[type, ...], call: Callable[[], Any], what: str, hint: str
) -> Exception:
    """Return the ``error`` that ``call()`` raises; fail, saying what happened, if it does not."""
    expected = " or ".join(e.__name__ for e in (error if isinstance(error, tuple) else (error,)))
    try:
        call()
    except error as exc:
        return exc
    except Exception as exc:
        raise AssertionError(
            f"{what} raised {type(exc).__name__}: {exc}\n  expected {expected}; {hint}"
        ) from exc
    raise AssertionError(f"{what} was accepted; expected {expected}. {hint}")


_INPUT_HINT = (
    "validate inputs with morphospace.core.validation.check_array / check_labels, "
    "which raise morphospace.core.errors.InputError with a clear message"
)


# ---------------------------------------------------------------------- the checks
@dataclass(frozen=True)
class Check:
    """One check of one case; calling it runs the check (raises AssertionError on failure)."""

    case: ComponentCase
    name: str
    function: Callable[[ComponentCase], None]

    @property
    def id(self) -> str:
        return f"{self.case.name}-{self.name}"

    def __call__(self) -> None:
        self.function(self.case)

    def __repr__(self) -> str:
        return f"Check({self.id})"


def check_config_rejects_unknown_parameter(case: ComponentCase) -> None:
    """An unknown parameter is a ConfigError naming the component and the parameter."""
    name = case.create().name
    message = str(
        _expect(
            ConfigError,
            lambda: case.create(not_a_parameter=1),
            f"{case.name}: creating it with not_a_parameter=1",
            "a component's Config must forbid unknown keys (ComponentConfig does)",
        )
    )
    for part in (name, "not_a_parameter"):
        assert part in message, f"{case.name}: the ConfigError does not name {part!r}: {message}"


def _wrong_value(annotation: Any) -> Any | None:
    """A value certainly of the wrong type for a scalar field, or None if there is none."""
    if typing.get_origin(annotation) is typing.Literal:
        return "not-one-of-the-choices"
    return {int: "not-a-number", float: "not-a-number", bool: "maybe", str: [1, 2]}.get(annotation)


def _typed_field(config: type) -> tuple[str, Any] | None:
    for name, info in config.model_fields.items():
        value = _wrong_value(info.annotation)
        if value is not None:
            return name, value
    return None


def check_config_rejects_wrong_type(case: ComponentCase) -> None:
    """A value of the wrong type is a ConfigError naming the component and the field."""
    field_name, value = _typed_field(case.config_class)
    name = case.create().name
    what = f"{case.name}: creating it with {field_name}={value!r}"
    hint = "validate params with the component's pydantic Config"
    message = str(_expect(ConfigError, lambda: case.create(**{field_name: value}), what, hint))
    for part in (name, field_name):
        assert part in message, f"{case.name}: the ConfigError does not name {part!r}: {message}"


def check_config_params_round_trip(case: ComponentCase) -> None:
    """``get_params()`` is JSON and re-creates a component with the same params."""
    params = case.create().get_params()
    try:
        text = json.dumps(params)
    except TypeError as exc:
        raise AssertionError(f"{case.name}: get_params() is not JSON-compatible: {exc}") from None
    again = case.create(**json.loads(text)).get_params()
    assert again == params, f"{case.name}: params changed on re-creation: {params} -> {again}"


def _public_state(component: Any) -> list[str]:
    return sorted(k for k in vars(component) if k.endswith("_") and not k.startswith("_"))


def check_not_fitted_before_fit(case: ComponentCase) -> None:
    """A new component holds no learned state, and using it raises NotFittedError."""
    component = case.create()
    state = _public_state(component)
    assert not state, f"{case.name}: has learned state before fit: {state}"
    assert not component.is_fitted(), f"{case.name}: is_fitted() is True before fit"
    _expect(
        NotFittedError,
        lambda: _output(component, case.inputs()),
        f"{case.name}: using it before fit",
        "call self.check_is_fitted() first in encode/segment/register/translate",
    )


def check_fit_returns_self(case: ComponentCase) -> None:
    """``fit`` returns the component itself, so calls chain (``c.fit(x).encode(x)``)."""
    component = case.create()
    returned = _fit(component, case.inputs())
    assert returned is component, (
        f"{case.name}: fit returned {type(returned).__name__} {returned!r:.80}, expected "
        "the component itself; end fit with `return self`"
    )


def check_learned_state_in_trailing_underscore_attributes(case: ComponentCase) -> None:
    """Learning sets only ``attr_`` attributes and leaves the config alone."""
    component = case.create()
    before = dict(vars(component))
    params = component.get_params()
    data = case.inputs()
    if case.kind in FITTED_KINDS:
        _fit(component, data)
    else:
        _output(component, data)
    after = vars(component)
    changed = sorted(k for k in after if k not in before or after[k] is not before[k])
    leaked = [k for k in changed if not k.endswith("_") and not k.startswith("_")]
    assert not leaked, (
        f"{case.name}: learning set attribute(s) {leaked} that do not end in '_'; "
        "hyperparameters stay in self.config and learned state goes in attributes "
        "ending in '_' (so is_fitted, save and load see it)"
    )
    assert component.get_params() == params, f"{case.name}: learning changed its params"
    if case.kind in FITTED_KINDS:
        assert component.is_fitted(), (
            f"{case.name}: is_fitted() is False after fit; keep learned state in attributes "
            "ending in '_'"
        )


def check_does_not_modify_input(case: ComponentCase) -> None:
    """Learning and predicting leave the caller's arrays unchanged."""
    data = case.inputs()
    component = case.create()
    if case.kind in FITTED_KINDS:
        _fit(component, data)
    _output(component, data)
    for key, value in case.inputs().items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(data[key], value, equal_nan=value.dtype.kind == "f"), (
                f"{case.name}: modified its input {key!r} in place; copy before changing it"
            )


def check_save_load_round_trip(case: ComponentCase) -> None:
    """``save`` then ``load`` gives a component with the same params and outputs."""
    component = case.fitted()
    data = case.inputs()
    expected = _output(component, data)
    with tempfile.TemporaryDirectory() as tmp:
        component.save(Path(tmp) / "saved")
        loaded = type(component).load(Path(tmp) / "saved")
    assert type(loaded) is type(component), f"{case.name}: load gave {type(loaded).__name__}"
    assert loaded.get_params() == component.get_params(), f"{case.name}: params changed on load"
    _assert_same(_output(loaded, data), expected, f"{case.name}: output after save/load")


def _corrupt(value: np.ndarray, how: str) -> np.ndarray:
    value = np.asarray(value)
    if how == "nan":
        value = value.astype(np.float64).copy()
        value.flat[0] = np.nan
        return value
    if how == "empty":
        return value[:0]
    if value.ndim == 1:  # wrong rank of labels: a column instead of a vector
        return value[:, None]
    return value.reshape(len(value), -1)[..., None]  # rank 3: no input kind has it


def _bad_input_calls(case: ComponentCase, how: str) -> Iterator[tuple[str, Callable[[], Any]]]:
    """(description, call) for each way the case's main input reaches the component."""
    data = case.inputs()
    kind = case.kind

    def with_bad(key: str, *also: str) -> dict[str, Any]:
        bad = dict(data)
        bad[key] = _corrupt(data[key], how)
        for other in also:  # keep lengths consistent for an empty input
            if other in bad and how == "empty":
                bad[other] = np.asarray(bad[other])[:0]
        return bad

    if kind == "encoder":
        yield "fit(x)", lambda: _fit(case.create(), with_bad("x", "y"))
        key = "x_encode" if "x_encode" in data else "x"
        yield "encode(x) after fit", lambda: case.fitted().encode(with_bad(key)[key])
    elif kind == "segmenter":
        yield "fit(x)", lambda: _fit(case.create(), with_bad("x", "y"))
        yield "segment(x) after fit", lambda: case.fitted().segment(with_bad("x")["x"])
    elif kind == "clusterer":
        yield "fit_predict(z)", lambda: _output(case.create(), with_bad("z"))
    elif kind == "registrar":
        yield "fit(images)", lambda: _fit(case.create(), with_bad("images", "y"))
        bad = with_bad("moving", "fixed")
        yield (
            "register(moving, fixed) after fit",
            lambda: case.fitted().register(bad["moving"], bad["fixed"]),
        )
    elif kind == "translator":
        yield (
            "fit(images, conditions)",
            lambda: _fit(case.create(), with_bad("images", "conditions")),
        )
        bad = with_bad("images", "conditions")
        target = np.asarray(data["conditions"])[0]
        yield (
            "translate(images) after fit",
            lambda: case.fitted().translate(bad["images"], bad["conditions"], target),
        )
    else:
        first = next(iter(case.config_class.inputs))
        yield (
            f"evaluate({first}=...)",
            lambda: case.create().evaluate(**with_bad(first, *[k for k in data if k != first])),
        )


def _check_rejects(how: str, description: str) -> Callable[[ComponentCase], None]:
    def check(case: ComponentCase) -> None:
        for what, call in _bad_input_calls(case, how):
            _expect(InputError, call, f"{case.name}: {what} with {description}", _INPUT_HINT)

    check.__name__ = f"check_rejects_{how}_input"
    check.__doc__ = f"{description.capitalize()} is rejected with InputError."
    return check


check_rejects_nan_input = _check_rejects("nan", "a NaN in the input")
check_rejects_empty_input = _check_rejects("empty", "an empty input (0 samples)")
check_rejects_wrong_rank_input = _check_rejects("wrong_rank", "an input of the wrong rank")


def check_seeded_determinism(case: ComponentCase) -> None:
    """Two components with the same params (and seed) give the same output."""
    outputs = []
    for _ in range(2):
        component = case.create()
        data = case.inputs()
        if case.kind in FITTED_KINDS:
            _fit(component, data)
        outputs.append(_output(component, data))
    _assert_same(outputs[1], outputs[0], f"{case.name}: second run with the same seed")


def check_plugin_module_is_light(case: ComponentCase) -> None:
    """Importing the plugin module, listing and validating params imports no implementation."""
    info = case._info()
    implementation = info.target.partition(":")[0]
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({info.plugin.module.partition(':')[0]!r})\n"
        "from morphospace.core import registry\n"
        "registry.list()\n"
        f"config = registry.config_class({case.name!r})\n"
        f"config.from_params(json.loads({json.dumps(dict(case.params))!r}), component='check')\n"
        f"print(json.dumps([m for m in ('torch', {implementation!r}) if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{case.name}: the light-import check failed:\n{result.stderr}"
    heavy = json.loads(result.stdout.strip().splitlines()[-1])
    assert not heavy, (
        f"{case.name}: importing plugin module {info.plugin.module}, listing components and "
        f"validating params imported {heavy}; declare the config in a light module "
        "(ComponentSpec(config=...)) and import heavy packages inside functions"
    )


def check_no_namespace_init(case: ComponentCase) -> None:
    """No distribution ships ``morphospace/__init__.py`` (it would hide every other plugin)."""
    import morphospace

    found = [str(Path(p) / "__init__.py") for p in morphospace.__path__]
    found = [p for p in found if Path(p).exists()]
    if getattr(morphospace, "__file__", None):
        found.append(morphospace.__file__)
    assert not found, (
        f"{case.name}: {found} makes 'morphospace' a regular package; morphospace is a "
        "PEP 420 namespace: delete the file (packages = ['src/morphospace'] in hatchling)"
    )


def check_encoder_output(case: ComponentCase) -> None:
    """``encode`` returns ``(N, d)`` finite vectors in the declared geometry."""
    component = case.fitted()
    x = _encode_input(case.inputs())
    z = np.asarray(component.encode(x))
    assert z.ndim == 2 and z.shape[0] == len(x) and z.shape[1] >= 1, (
        f"{case.name}: encode returned shape {z.shape} for {len(x)} samples; expected (N, d)"
    )
    assert np.isfinite(z).all(), f"{case.name}: encode returned non-finite values"
    geometry = component.geometry
    assert isinstance(geometry, Geometry) and geometry.kind in GEOMETRY_KINDS, (
        f"{case.name}: geometry {geometry!r} is not a Geometry of kind {GEOMETRY_KINDS}"
    )
    if geometry.kind == "poincare":
        radius = 1 / np.sqrt(geometry.curvature)
        largest = float(np.linalg.norm(z, axis=1).max())
        assert largest < radius, (
            f"{case.name}: declares {geometry} but returns a point of norm {largest:.4g} "
            f">= the ball's radius {radius:.4g}"
        )


def _check_input_kinds(case: ComponentCase, allowed: tuple[str, ...], method: str) -> None:
    """``input_kinds`` is a tuple of ``allowed`` kinds, and ``method`` refuses any other."""
    component = case.fitted()
    kinds = component.input_kinds
    assert isinstance(kinds, tuple) and kinds and set(kinds) <= set(allowed), (
        f"{case.name}: input_kinds {kinds!r} must be a non-empty tuple of {allowed}"
    )
    rank = np.ndim(case.inputs()["x"])
    assert rank in {INPUT_KINDS[k] for k in kinds}, (
        f"{case.name}: the case's x has rank {rank}, which is none of {kinds}"
    )
    others = {"features": make_features()[0], "images": make_images(), "volumes": make_volumes()}
    for kind, x in others.items():
        if kind not in kinds:
            _expect(
                (InputError, IncompatibleComponentsError),
                lambda x=x: getattr(component, method)(x),
                f"{case.name}: {method} of {kind} {x.shape} (it accepts {', '.join(kinds)})",
                _INPUT_HINT,
            )


def check_encoder_input_kinds(case: ComponentCase) -> None:
    """``input_kinds`` names valid kinds, and an input of another kind is refused."""
    _check_input_kinds(case, tuple(INPUT_KINDS), "encode")


def check_segmenter_output(case: ComponentCase) -> None:
    """``segment`` returns a Segmentation: one integer map stack per input, of its size."""
    from morphospace.core.segmentation import Segmentation

    x = np.asarray(case.inputs()["x"])
    result = case.fitted().segment(x)
    assert isinstance(result, Segmentation), (
        f"{case.name}: segment returned {type(result).__name__}, expected a "
        "morphospace.core.Segmentation(label_maps, tables)"
    )
    maps = result.label_maps
    assert len(maps) == len(x), f"{case.name}: {len(maps)} label maps for {len(x)} inputs"
    assert maps.shape[2:] == x.shape[2:], (
        f"{case.name}: label maps {maps.shape} do not cover the input's spatial shape "
        f"{x.shape[2:]}; expected (N, L, {', '.join(map(str, x.shape[2:]))})"
    )
    assert maps.min(initial=0) >= 0, f"{case.name}: negative label {maps.min()}"


def check_segmenter_input_kinds(case: ComponentCase) -> None:
    """``input_kinds`` are images and/or volumes, and an input of another kind is refused."""
    _check_input_kinds(case, SEGMENTER_INPUT_KINDS, "segment")


def check_clusterer_labels(case: ComponentCase) -> None:
    """``fit_predict`` returns one non-negative integer label per row."""
    data = case.inputs()
    labels = np.asarray(case.create().fit_predict(data["z"], geometry=_geometry(data)))
    assert labels.shape == (len(data["z"]),), (
        f"{case.name}: fit_predict returned shape {labels.shape}, expected ({len(data['z'])},)"
    )
    assert labels.dtype.kind in "iu", f"{case.name}: labels have dtype {labels.dtype}, not int"
    assert labels.min() >= 0, f"{case.name}: negative label {labels.min()}"


def check_clusterer_geometries(case: ComponentCase) -> None:
    """Supported geometries are valid kinds; an unsupported one is IncompatibleComponentsError."""
    supported = case.config_class.supported_geometries
    assert supported and set(supported) <= set(GEOMETRY_KINDS), (
        f"{case.name}: supported_geometries {supported!r} must be a subset of {GEOMETRY_KINDS}"
    )
    z = case.inputs()["z"]
    for geometry in (EUCLIDEAN, poincare(1.0)):
        if geometry.kind not in supported:
            _expect(
                IncompatibleComponentsError,
                lambda geometry=geometry: case.create().fit_predict(z, geometry=geometry),
                f"{case.name}: fit_predict with {geometry} vectors",
                "call self.check_geometry(geometry) first",
            )


def check_registrar_deformation(case: ComponentCase) -> None:
    """``register`` returns a Deformation ``(N, 2, H, W)`` that warps ``moving`` to its shape."""
    from morphospace.core.deformation import Deformation

    data = case.inputs()
    moving = np.asarray(data["moving"])
    deformation = case.fitted().register(moving, data["fixed"])
    assert isinstance(deformation, Deformation), (
        f"{case.name}: register returned {type(deformation).__name__}, not a Deformation"
    )
    expected = (len(moving), 2, *moving.shape[2:])
    assert deformation.field.shape == expected, (
        f"{case.name}: deformation field {deformation.field.shape}, expected {expected}"
    )
    assert deformation.warp(moving).shape == moving.shape


def check_translator_output(case: ComponentCase) -> None:
    """``translate`` keeps the images' shape for every source -> target pair."""
    data = case.inputs()
    images, conditions = np.asarray(data["images"]), np.asarray(data["conditions"])
    component = case.fitted()
    for source in np.unique(conditions).tolist():
        chosen = images[conditions == source]
        for target in np.unique(conditions).tolist():
            out = np.asarray(component.translate(chosen, source, target))
            assert out.shape == chosen.shape, (
                f"{case.name}: translate {source!r} -> {target!r} returned {out.shape}, "
                f"expected the input's {chosen.shape}"
            )
            assert np.isfinite(out).all(), f"{case.name}: {source!r} -> {target!r} is not finite"
    out = np.asarray(component.translate(images, conditions, conditions[0]))
    assert out.shape == images.shape, f"{case.name}: per-image sources gave {out.shape}"


def check_evaluator_metrics(case: ComponentCase) -> None:
    """``evaluate`` returns a non-empty dict of finite ``Metric`` values with a direction."""
    from morphospace.core.metric import Metric

    metrics = case.create().evaluate(**case.inputs())
    assert isinstance(metrics, dict) and metrics, f"{case.name}: evaluate returned {metrics!r}"
    for name, metric in metrics.items():
        assert isinstance(name, str) and isinstance(metric, Metric), (
            f"{case.name}: {name!r}: {metric!r} is not a morphospace.core.Metric"
        )
        assert "/" not in name, (
            f"{case.name}: metric name {name!r} has a '/', which an .h5ad file cannot hold "
            "as a key: name per-part metrics 'score.part'"
        )
        assert np.isfinite(float(metric.value)), f"{case.name}: {name} = {metric.value}"
        assert isinstance(metric.higher_is_better, bool), f"{case.name}: {name} has no direction"


def check_evaluator_inputs(case: ComponentCase) -> None:
    """Declared ``inputs`` are valid kinds and ``optional_inputs`` are among them."""
    config = case.config_class
    bad = {k: v for k, v in config.inputs.items() if v not in EVALUATOR_INPUT_KINDS}
    assert config.inputs and not bad, (
        f"{case.name}: inputs {dict(config.inputs)!r}: every value must be one of "
        f"{EVALUATOR_INPUT_KINDS}" + (f"; not {bad}" if bad else "")
    )
    extra = set(config.optional_inputs) - set(config.inputs)
    assert not extra, f"{case.name}: optional_inputs {sorted(extra)} are not declared inputs"


_COMMON = [
    check_config_rejects_unknown_parameter,
    check_config_rejects_wrong_type,
    check_config_params_round_trip,
    check_not_fitted_before_fit,
    check_fit_returns_self,
    check_learned_state_in_trailing_underscore_attributes,
    check_does_not_modify_input,
    check_save_load_round_trip,
    check_rejects_nan_input,
    check_rejects_empty_input,
    check_rejects_wrong_rank_input,
    check_seeded_determinism,
    check_plugin_module_is_light,
    check_no_namespace_init,
]
_BY_KIND = {
    "encoder": [check_encoder_output, check_encoder_input_kinds],
    "segmenter": [check_segmenter_output, check_segmenter_input_kinds],
    "clusterer": [check_clusterer_labels, check_clusterer_geometries],
    "registrar": [check_registrar_deformation],
    "translator": [check_translator_output],
    "evaluator": [check_evaluator_metrics, check_evaluator_inputs],
}


def _applies(check: Callable, case: ComponentCase) -> bool:
    if check in (check_not_fitted_before_fit, check_fit_returns_self):
        return case.kind in FITTED_KINDS
    if check in (check_plugin_module_is_light, check_no_namespace_init):
        return case.registered
    if check is check_config_rejects_wrong_type:
        return _typed_field(case.config_class) is not None
    return True


def checks(case: ComponentCase) -> Iterator[Check]:
    """Every check that applies to ``case``'s kind."""
    for function in [*_COMMON, *_BY_KIND[case.kind]]:
        if _applies(function, case):
            yield Check(case, function.__name__.removeprefix("check_"), function)


# ---------------------------------------------------------------------- entry points
def expand(components: Iterable[ComponentCase | str | type]) -> list[ComponentCase]:
    """One case per component: a case as given; a plugin name -> all its components; a
    component name or class -> a case with default data. A given case wins over a default."""
    items = list(components)
    given = {c.name: c for c in items if isinstance(c, ComponentCase)}
    plugins = {p.name for p in registry.plugins() if p.ok}
    cases: dict[str, ComponentCase] = {}
    for item in items:
        if isinstance(item, ComponentCase):
            found = [item]
        elif isinstance(item, str) and item in plugins:
            found = [ComponentCase(c.name) for c in registry.list() if c.plugin.name == item]
        else:
            found = [ComponentCase(item)]
        for case in found:
            cases.setdefault(case.name, given.get(case.name, case))
    return list(cases.values())


def parametrize_with_checks(components: Iterable[ComponentCase | str | type]) -> Any:
    """A ``pytest.mark.parametrize`` over every check of every component.

    The test receives one :class:`Check` and calls it; ids read
    ``<component>-<check>``. A case's ``xfail`` entries become strict xfail marks.
    """
    import pytest

    params = []
    for case in expand(components):
        for check in checks(case):
            marks = []
            if check.name in case.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=case.xfail[check.name]))
            params.append(pytest.param(check, id=check.id, marks=marks))
    return pytest.mark.parametrize("check", params)


def check_components(components: Iterable[ComponentCase | str | type]) -> None:
    """Run every check outside pytest (a notebook, a script); raise on the first failure.

    Checks a case marks ``xfail`` are skipped.
    """
    for case in expand(components):
        for check in checks(case):
            if check.name not in case.xfail:
                check()


@contextmanager
def torch_threads(n: int = 1) -> Iterator[None]:
    """Run the block with ``n`` torch threads (tiny test networks on shared CPUs gain
    nothing from more, only contention), without importing torch here.

    Where torch is already imported its thread count is set and restored after; where
    not, ``OMP_NUM_THREADS`` is set for the block, which torch reads when a test imports
    it (and keeps after the block).
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        threads = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
        return
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous
