"""Every component passes the conformance kit; the configs reject bad settings clearly."""

import subprocess
import sys
from pathlib import Path

import pytest

from morphospace.core import registry
from morphospace.core.errors import ConfigError, PipelineError
from morphospace.core.geometry import EUCLIDEAN, poincare
from morphospace.core.testing import (
    ComponentCase,
    make_volumes,
    parametrize_with_checks,
    training_params,
)

PACKAGE = Path(__file__).resolve().parents[1]
PIPELINE = PACKAGE / "src/morphospace/hypervae/pipelines/toy_segmentation.yaml"


def _tiny_vae(name: str) -> dict:
    """A VAE on 4-voxel patches trained for 3 steps: seconds on one CPU."""
    config = registry.config_class(name)
    return {
        "patch_size": 4,
        "hidden_channels": 4,
        **training_params(config, n_steps=3, batch_size=6),
    }


def _volumes() -> dict:
    # fit samples patches from 12-voxel volumes (a parent patch, its child, a negative);
    # the VAE encodes single patches, the segmenter whole volumes
    return {"x": make_volumes(n=3, size=12), "x_encode": make_volumes(n=5, size=4, seed=1)}


#: The cases the conformance kit runs here and in the cross env (tests/test_conformance.py).
CASES = [
    ComponentCase(
        "hypervae.poincare_vae", params=_tiny_vae("hypervae.poincare_vae"), data=_volumes
    ),
    ComponentCase(
        "hypervae.segmenter",
        params=_tiny_vae("hypervae.segmenter"),
        data=lambda: {"x": make_volumes(n=3, size=12)},
    ),
    "hypervae",  # poincare_kmeans and dice, on the kit's default data
]


@parametrize_with_checks(CASES)
def test_conformance(check):
    check()


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


def test_every_component_and_the_toy_dataset_are_registered():
    names = {info.name for info in registry.list() if info.plugin.name == "hypervae"}
    assert names == {
        "hypervae.poincare_vae",
        "hypervae.segmenter",
        "hypervae.poincare_kmeans",
        "hypervae.dice",
    }
    assert "hypervae.toy_hierarchy" in {d.name for d in registry.datasets()}


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


def test_encoder_kernels_must_be_odd():
    with pytest.raises(ConfigError, match="odd"):
        registry.create("encoder", "hypervae.poincare_vae", encoder_kernel_size=4)


def test_gyroplane_decoder_needs_a_hyperbolic_latent():
    with pytest.raises(ConfigError, match="gyroplane"):
        registry.create(
            "encoder", "hypervae.poincare_vae", latent="euclidean", decoder_input="gyroplane"
        )


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
