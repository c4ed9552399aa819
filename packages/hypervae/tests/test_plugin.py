"""The plugin registers its components lightly and rejects bad configs clearly."""

import subprocess
import sys
from pathlib import Path

import pytest

from morphospace.core import registry
from morphospace.core.errors import ConfigError, PipelineError
from morphospace.core.geometry import EUCLIDEAN, poincare

PACKAGE = Path(__file__).resolve().parents[1]
PIPELINE = PACKAGE / "src/morphospace/hypervae/pipelines/toy_segmentation.yaml"


def test_listing_and_validating_a_pipeline_does_not_import_torch():
    code = (
        "import sys\n"
        "import morphospace.hypervae.plugin, morphospace.hypervae.config\n"
        "from morphospace.core import registry\n"
        "from morphospace.core.pipeline.runner import plan\n"
        "registry.list()\n"
        f"plan({str(PIPELINE)!r})\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'morphospace.hypervae.vae' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_namespace_init_file():
    assert not (PACKAGE / "src/morphospace/__init__.py").exists()


def test_components_are_registered():
    names = {info.name for info in registry.list()}
    assert {
        "hypervae.poincare_vae",
        "hypervae.segmenter",
        "hypervae.poincare_kmeans",
        "hypervae.dice",
    } <= names
    assert "hypervae.toy_hierarchy" in {d.name for d in registry.datasets()}


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("encoder", "hypervae.poincare_vae"),
        ("encoder", "hypervae.segmenter"),
        ("clusterer", "hypervae.poincare_kmeans"),
        ("evaluator", "hypervae.dice"),
    ],
)
def test_components_are_creatable_through_the_registry(kind, name):
    component = registry.create(kind, name)
    assert component.name == name


def test_output_geometry_follows_the_latent_switch():
    vae = registry.create("encoder", "hypervae.poincare_vae", curvature=0.5)
    assert vae.geometry == poincare(0.5)
    flat = registry.create("encoder", "hypervae.poincare_vae", latent="euclidean")
    assert flat.geometry == EUCLIDEAN
    assert flat.config.use_gyroplane is False


@pytest.mark.parametrize("curvature", [0.0, -1.0])
def test_curvature_must_be_positive(curvature):
    with pytest.raises(ConfigError, match="curvature must be > 0"):
        registry.create("encoder", "hypervae.poincare_vae", curvature=curvature)


def test_patch_size_must_be_a_multiple_of_four():
    with pytest.raises(ConfigError, match="multiple of 4"):
        registry.create("encoder", "hypervae.poincare_vae", patch_size=6)


def test_gyroplane_decoder_needs_a_hyperbolic_latent():
    with pytest.raises(ConfigError, match="gyroplane"):
        registry.create(
            "encoder", "hypervae.poincare_vae", latent="euclidean", decoder_input="gyroplane"
        )


def test_unknown_parameter_is_named():
    with pytest.raises(ConfigError, match="curvatur"):
        registry.create("encoder", "hypervae.poincare_vae", curvatur=1.0)


def test_example_pipeline_plans():
    from morphospace.core.pipeline.runner import plan

    steps = plan(PIPELINE)
    assert [s.info.name for s in steps] == ["hypervae.segmenter", "hypervae.dice"]


def test_pipeline_feeding_euclidean_embeddings_to_poincare_kmeans_is_refused():
    from morphospace.core.pipeline.runner import plan

    pipeline = {
        "dataset": {"name": "hypervae.toy_hierarchy"},
        "steps": [
            {
                "component": "hypervae.poincare_vae",
                "params": {"latent": "euclidean"},
                "use_rep": "volume",
                "key_added": "vae",
            },
            {"component": "hypervae.poincare_kmeans", "use_rep": "X_vae"},
        ],
    }
    with pytest.raises((PipelineError, ValueError), match="poincare"):
        plan(pipeline)
