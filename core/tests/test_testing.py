"""The conformance kit passes good components and names what is wrong with broken ones."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from pydantic import Field

from morphospace.core import (
    Clusterer,
    ClustererConfig,
    Encoder,
    EncoderConfig,
    Evaluator,
    EvaluatorConfig,
    Metric,
    Registrar,
    Segmentation,
    Segmenter,
    SegmenterConfig,
    Translator,
    poincare,
)
from morphospace.core.config import TranslatorConfig
from morphospace.core.testing import (
    ComponentCase,
    check_components,
    checks,
    expand,
    parametrize_with_checks,
    training_params,
)
from morphospace.core.validation import check_array


# The example plugin is the kit's reference: every component passes every check.
@parametrize_with_checks(["example"])
def test_example_plugin_conforms(check):
    check()


# ---------------------------------------------------------------------- a good component
class ScaleConfig(EncoderConfig):
    factor: float = Field(2.0, gt=0)


class Scale(Encoder):
    """Centres features and multiplies them by ``factor``: conforms to every check."""

    Config = ScaleConfig

    def fit(self, x, y=None):
        self.mean_ = check_array(x, ndim=2).mean(axis=0)
        return self

    def encode(self, x):
        self.check_is_fitted()
        return (check_array(x, ndim=2) - self.mean_) * self.config.factor


def _run(name: str, component: type, **case) -> None:
    """Run the check ``name`` of ``component``'s case."""
    (check,) = [c for c in checks(ComponentCase(component, **case)) if c.name == name]
    check()


def test_a_conforming_unregistered_class_passes_every_check():
    check_components([Scale])


# ---------------------------------------------------------------------- broken components
class FitReturnsNone(Scale):
    def fit(self, x, y=None):
        super().fit(x, y)


class RaisesValueError(Scale):
    def fit(self, x, y=None):
        x = np.asarray(x)
        if np.isnan(x).any():
            raise ValueError("x has NaN")
        return super().fit(x, y)


class LeaksState(Scale):
    def fit(self, x, y=None):
        self.centre = np.asarray(x).mean(axis=0)
        return super().fit(x, y)


class UsableBeforeFit(Scale):
    def encode(self, x):
        return np.asarray(x) - self.mean_


class Unseeded(Scale):
    def encode(self, x):
        return super().encode(x) + np.random.default_rng().normal(size=1)


class LosesStateOnSave(Scale):
    def _save_state(self, directory):
        pass

    def _load_state(self, directory):
        self.mean_ = 0.0


class BallConfig(ScaleConfig):
    def output_geometry(self):
        return poincare(1.0)


class OutsideTheBall(Scale):
    Config = BallConfig

    def encode(self, x):
        return np.full((len(x), 2), 5.0)


@pytest.mark.parametrize(
    ("component", "check", "message"),
    [
        (FitReturnsNone, "fit_returns_self", r"(?s)fit returned NoneType None.*`return self`"),
        (
            RaisesValueError,
            "rejects_nan_input",
            r"fit\(x\) with a NaN.*raised ValueError: x has NaN",
        ),
        (RaisesValueError, "rejects_nan_input", r"expected InputError"),
        (LeaksState, "learned_state_in_trailing_underscore_attributes", r"\['centre'\]"),
        (
            UsableBeforeFit,
            "not_fitted_before_fit",
            r"(?s)raised AttributeError.*expected NotFittedError",
        ),
        (Unseeded, "seeded_determinism", r"second run with the same seed"),
        (LosesStateOnSave, "save_load_round_trip", r"output after save/load"),
        (OutsideTheBall, "encoder_output", r"norm 7.071 >= the ball's radius 1"),
    ],
)
def test_a_broken_encoder_fails_its_check_with_a_readable_message(component, check, message):
    with pytest.raises(AssertionError, match=message):
        _run(check, component)


def test_the_message_names_the_component_and_the_call():
    with pytest.raises(AssertionError) as info:
        _run("rejects_nan_input", RaisesValueError)
    assert str(info.value).startswith("RaisesValueError: fit(x) with a NaN in the input raised")


class IgnoresUnknownParams(Scale):
    def __init__(self, config=None, **params):
        known = {k: v for k, v in params.items() if k in self.Config.model_fields}
        super().__init__(config, **known)


def test_a_config_that_ignores_unknown_parameters_fails():
    with pytest.raises(
        AssertionError, match=r"not_a_parameter=1 was accepted; expected ConfigError"
    ):
        _run("config_rejects_unknown_parameter", IgnoresUnknownParams)


class BadLabels(Clusterer):
    def fit_predict(self, z, geometry=None):
        return np.zeros(len(z))  # floats


def test_a_clusterer_returning_float_labels_fails():
    with pytest.raises(AssertionError, match=r"labels have dtype float64, not int"):
        _run("clusterer_labels", BadLabels)


def test_a_clusterer_that_ignores_geometry_fails():
    with pytest.raises(AssertionError, match=r"fit_predict with poincare.*was accepted"):
        _run("clusterer_geometries", BadLabels)


class ReturnsFloats(Evaluator):
    Config = type("Inputs", (EvaluatorConfig,), {"inputs": {"labels": "labels"}})

    def evaluate(self, labels):
        return {"count": float(len(labels))}


def test_an_evaluator_returning_floats_instead_of_metrics_fails():
    with pytest.raises(AssertionError, match=r"'count': 12.0 is not a morphospace.core.Metric"):
        _run("evaluator_metrics", ReturnsFloats)


class CropsImages(Translator):
    def fit(self, images, conditions):
        self.seen_ = True
        return self

    def translate(self, images, source, target):
        self.check_is_fitted()
        return check_array(images, ndim=4)[:, :, 1:, 1:]


def test_a_translator_that_changes_the_shape_fails():
    with pytest.raises(AssertionError, match=r"translate 'a' -> 'a' returned \(4, 1, 7, 7\)"):
        _run("translator_output", CropsImages)


class ReturnsField(Registrar):
    def fit(self, images, y=None):
        self.seen_ = True
        return self

    def register(self, moving, fixed):
        return np.zeros((len(moving), 2, 16, 16))


def test_a_registrar_returning_a_bare_array_fails():
    with pytest.raises(AssertionError, match=r"register returned ndarray, not a Deformation"):
        _run("registrar_deformation", ReturnsField)


class AboveMean(Segmenter):
    """Pixels brighter than the training mean: a conforming segmenter with a table."""

    def fit(self, x, y=None):
        self.level_ = float(check_array(x, ndim=4).mean())
        return self

    def segment(self, x):
        self.check_is_fitted()
        maps = (check_array(x, ndim=4)[:, :1] > self.level_).astype(np.int32)
        import pandas as pd

        areas = pd.DataFrame({"obs": np.arange(len(x)), "area": maps.sum((1, 2, 3))})
        return Segmentation(maps, {"objects": areas})


def test_a_conforming_segmenter_passes_every_check():
    check_components([AboveMean])


class ReturnsBareMaps(AboveMean):
    def segment(self, x):
        return super().segment(x).label_maps


class DropsAnImage(AboveMean):
    def segment(self, x):
        return Segmentation(super().segment(x).label_maps[1:])


class ClaimsFeatures(AboveMean):
    @property
    def input_kinds(self):  # a config could not declare it
        return ("images", "features")


@pytest.mark.parametrize(
    ("component", "check", "message"),
    [
        (
            ReturnsBareMaps,
            "segmenter_output",
            r"segment returned ndarray, expected a .*Segmentation",
        ),
        (DropsAnImage, "segmenter_output", r"11 label maps for 12 inputs"),
        (ClaimsFeatures, "segmenter_input_kinds", r"must be a non-empty tuple of \('images'"),
    ],
)
def test_a_broken_segmenter_fails_its_check_with_a_readable_message(component, check, message):
    with pytest.raises(AssertionError, match=message):
        _run(check, component)


# ---------------------------------------------------------------------- the API
def test_each_kind_gets_its_own_checks():
    names = {
        kind: {c.name for c in checks(case)}
        for kind, case in [
            ("encoder", ComponentCase(Scale)),
            ("segmenter", ComponentCase(AboveMean)),
            ("clusterer", ComponentCase(BadLabels)),
            ("evaluator", ComponentCase(ReturnsFloats)),
        ]
    }
    assert {"fit_returns_self", "encoder_output", "encoder_input_kinds"} <= names["encoder"]
    assert {"fit_returns_self", "segmenter_output", "segmenter_input_kinds"} <= names["segmenter"]
    assert "encoder_output" not in names["segmenter"]
    assert "fit_returns_self" not in names["clusterer"]
    assert {"clusterer_labels", "clusterer_geometries"} <= names["clusterer"]
    assert {"evaluator_metrics", "evaluator_inputs"} <= names["evaluator"]
    # registry-only checks need a plugin; a config without typed fields has no type check
    assert not {"plugin_module_is_light", "no_namespace_init"} & names["encoder"]
    assert "config_rejects_wrong_type" not in names["clusterer"]


def test_a_plugin_name_expands_to_its_components_once_each_given_cases_first():
    given = ComponentCase("example.mean_shift", params={"per_pixel": False})
    cases = expand(["example", given, "example", "example.rand_index"])
    assert [c.name for c in cases] == [
        "example.mean_shift",
        "example.quantile_bins",
        "example.rand_index",
        "example.random_projection",
    ]
    assert cases[0] is given


def test_parametrize_ids_name_component_and_check_and_xfail_is_strict():
    case = ComponentCase(FitReturnsNone, xfail={"fit_returns_self": "known bug #1"})
    mark = parametrize_with_checks([case])
    params = {p.id: p for p in mark.args[1]}
    assert "FitReturnsNone-save_load_round_trip" in params
    (xfail,) = params["FitReturnsNone-fit_returns_self"].marks
    assert xfail.kwargs == {"strict": True, "reason": "known bug #1"}


def test_check_components_skips_checks_marked_xfail():
    check_components([ComponentCase(FitReturnsNone, xfail={"fit_returns_self": "known"})])
    with pytest.raises(AssertionError, match="fit returned NoneType"):
        check_components([FitReturnsNone])


def test_training_params_go_where_the_config_takes_them():
    class Flat(EncoderConfig):
        n_steps: int = 10

    class Nested(EncoderConfig):
        training: dict = {}

    assert training_params(Flat, n_steps=2) == {"n_steps": 2}
    assert training_params(Nested, n_steps=2) == {"training": {"n_steps": 2}}


# ---------------------------------------------------------------------- registry-level checks
HEAVY_PLUGIN = """
from morphospace.core.plugin import PLUGIN_API_VERSION, ComponentSpec, hookimpl

@hookimpl
def morphospace_api_version():
    return PLUGIN_API_VERSION

@hookimpl
def morphospace_components():
    # the config lives in the implementation module: validating params imports it
    return [ComponentSpec("encoder", "scale", "fake_heavy_impl:Scale", config="fake_heavy_impl:ScaleConfig")]
"""

HEAVY_IMPL = """
import numpy as np
from morphospace.core import Encoder, EncoderConfig

class ScaleConfig(EncoderConfig):
    factor: float = 2.0

class Scale(Encoder):
    Config = ScaleConfig

    def encode(self, x):
        return np.asarray(x)
"""


def test_a_plugin_whose_config_lives_in_the_implementation_is_not_light(fake_plugins, monkeypatch):
    from morphospace.core import registry

    fake_plugins.add("fake-heavy", "heavy", "fake_heavy", HEAVY_PLUGIN, HEAVY_IMPL)
    monkeypatch.setenv("PYTHONPATH", str(fake_plugins.root))
    registry.reset()
    with pytest.raises(AssertionError, match=r"imported \['fake_heavy_impl'\]"):
        _run("plugin_module_is_light", "heavy.scale")


def test_a_namespace_init_file_is_found(tmp_path, monkeypatch):
    import morphospace

    (tmp_path / "__init__.py").write_text("")
    monkeypatch.setattr(morphospace, "__path__", [*morphospace.__path__, str(tmp_path)])
    with pytest.raises(AssertionError, match=r"makes 'morphospace' a regular package"):
        _run("no_namespace_init", "example.random_projection")


def test_default_data_follows_the_declared_input_kind():
    from morphospace.core.testing import default_data

    images = type("Images", (EncoderConfig,), {"input_kinds": ("images",)})
    assert default_data("encoder", images)["x"].shape == (12, 1, 16, 16)
    volumes = type("Volumes", (SegmenterConfig,), {"input_kinds": ("volumes",)})
    assert default_data("segmenter", volumes)["x"].shape == (4, 1, 8, 8, 8)
    ball = type("Ball", (ClustererConfig,), {"supported_geometries": ("poincare",)})
    data = default_data("clusterer", ball)
    assert data["geometry"] == poincare(1.0)
    assert np.linalg.norm(data["z"], axis=1).max() < 1
    assert set(default_data("translator", TranslatorConfig)["conditions"]) == {"a", "b", "c"}


class NamesWithASlash(Evaluator):
    Config = type("Inputs", (EvaluatorConfig,), {"inputs": {"labels": "labels"}})

    def evaluate(self, labels):
        return {"score/part": Metric(1.0, higher_is_better=True)}


def test_an_evaluator_naming_a_metric_with_a_slash_fails():
    with pytest.raises(AssertionError, match=r"'score/part' has a '/'.*'score.part'"):
        _run("evaluator_metrics", NamesWithASlash)


def test_torch_threads_sets_and_restores_an_imported_torch():
    torch = pytest.importorskip("torch")
    from morphospace.core.testing import torch_threads

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_torch_threads_reaches_a_torch_imported_in_the_block_without_importing_it():
    code = (
        "import importlib.util, sys\n"
        "from morphospace.core.testing import torch_threads\n"
        "with torch_threads(1):\n"
        "    assert 'torch' not in sys.modules\n"
        "    if importlib.util.find_spec('torch'):\n"
        "        import torch\n"
        "        assert torch.get_num_threads() == 1\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
