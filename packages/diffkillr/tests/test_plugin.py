"""Every component passes the conformance kit; the plugin is light and ships its datasets."""

import subprocess
import sys

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import ConfigError
from morphospace.core.testing import ComponentCase, parametrize_with_checks, training_params


def _tiny(name: str, **params) -> dict:
    """``params`` plus 3 training steps of 4 samples: seconds on one CPU."""
    config = registry.config_class(name)
    return {**params, **training_params(config, n_steps=3, batch_size=4)}


def _annotated_field() -> dict:
    fields = registry.load_dataset(
        "diffkillr.synthetic_fields", n_fields=1, size=64, n_cells=8, n_annotated=3
    )
    return {"x": fields.obsm["annotated_image"]}


#: The cases the conformance kit runs here and in the cross env (tests/test_conformance.py).
CASES = [
    ComponentCase(
        "diffkillr.invariant_net", params=_tiny("diffkillr.invariant_net", patch_size=16, views=2)
    ),
    ComponentCase("diffkillr.mapping_net", params=_tiny("diffkillr.mapping_net", patch_size=16)),
    ComponentCase(
        "diffkillr.annotator",
        params={
            "invariant_net": _tiny("diffkillr.invariant_net", views=2),
            "mapping_net": _tiny("diffkillr.mapping_net"),
            "max_archetypes": 4,
            "stride": 8,
        },
        data=_annotated_field,
    ),
    "diffkillr",  # matching, orientation and the evaluators, on the kit's default data
]


@parametrize_with_checks(CASES)
def test_conformance(check):
    check()


def test_importing_plugin_and_config_and_planning_pipelines_does_not_import_torch():
    code = (
        "import sys\n"
        "import morphospace.diffkillr.plugin, morphospace.diffkillr.config\n"
        "from morphospace.core import registry\n"
        "from morphospace.core.pipeline.runner import plan\n"
        "registry.list()\n"
        "for name in ('diffkillr.annotate', 'diffkillr.cells', 'diffkillr.ihc'):\n"
        "    plan(name)\n"
        "registry.info('diffkillr.annotator')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'skimage' not in sys.modules, 'skimage was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_annotator_validates_nested_network_params():
    with pytest.raises(Exception, match="n_stepz"):
        registry.create("segmenter", "diffkillr.annotator", invariant_net={"n_stepz": 3})


def test_the_nets_take_the_annotators_patch_size_and_its_seed_unless_they_set_their_own():
    annotator = registry.create(
        "segmenter", "diffkillr.annotator", patch_size=16, seed=3, mapping_net={"seed": 5}
    )
    invariant, mapping = annotator.config.net_configs(16)
    assert (invariant.patch_size, invariant.seed) == (16, 3)
    assert (mapping.patch_size, mapping.seed) == (16, 5)
    with pytest.raises(ConfigError, match="set patch_size on the annotator only"):
        registry.create("segmenter", "diffkillr.annotator", mapping_net={"patch_size": 32})


def test_auto_sizes_the_patches_from_the_annotated_cells():
    from morphospace.diffkillr.annotator import PATCH_PER_CELL, patch_size_for

    annotations = np.zeros((1, 1, 100, 100), np.int64)
    rows, cols = np.indices((100, 100))
    annotations[0, 0][(rows - 20) ** 2 + (cols - 20) ** 2 <= 100] = 1  # a disc 20 across
    annotations[0, 0][(rows - 60) ** 2 + (cols - 60) ** 2 <= 121] = 2  # a disc 22 across
    diameter = np.median([2 * np.sqrt((annotations == k).sum() / np.pi) for k in (1, 2)])
    assert patch_size_for(annotations) == 8 * int(np.ceil(PATCH_PER_CELL * diameter / 8)) == 32
    # a long thin cell counts by its area, not by its box: it does not widen the patch
    thin = np.zeros((1, 1, 100, 100), np.int64)
    thin[0, 0, 50, 10:90] = 1
    assert patch_size_for(thin) == 16  # never below 16


def test_the_resolved_pipeline_lists_every_default_of_both_nets():
    from morphospace.core.pipeline.runner import plan, resolve
    from morphospace.core.pipeline.schema import load_pipeline
    from morphospace.diffkillr.config import InvariantNetFields, MappingNetFields

    pipeline = load_pipeline("diffkillr.annotate")
    (step, *_) = resolve(pipeline, plan(pipeline)).steps
    nets = {"invariant_net": InvariantNetFields, "mapping_net": MappingNetFields}
    for name, config in nets.items():
        params = step.params[name]
        assert set(params) == set(config.model_fields)
        assert set(params["training"]) == set(
            config.model_fields["training"].annotation.model_fields
        )
        assert params["training"]["n_steps"] == 150  # the pipeline's
        # the nets' patch size is the annotator's ('auto': set at fit), never their own
        assert step.params["patch_size"] == "auto" and "patch_size" not in params


def test_datasets_and_pipelines_are_declared():
    names = {d.name for d in registry.datasets()}
    assert {
        "diffkillr.synthetic_fields",
        "diffkillr.synthetic_cells",
        "diffkillr.immunohistochemistry",
        "diffkillr.cell",
    } <= names
    pipelines = {p.name for p in registry.pipelines()}
    assert {"diffkillr.annotate", "diffkillr.cells"} <= pipelines
