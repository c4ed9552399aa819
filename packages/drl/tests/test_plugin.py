"""Every component passes the conformance kit; listing and planning stay torch-free."""

import subprocess
import sys
import tempfile
from pathlib import Path

from morphospace.core import registry
from morphospace.core.testing import ComponentCase, parametrize_with_checks, training_params
from morphospace.drl.backbones import save_random_vit

PACKAGE = Path(__file__).resolve().parents[1]
PIPELINE = PACKAGE / "src/morphospace/drl/pipelines/transfer.yaml"
#: A random ViT for the feature VAE's case (no pretrained weights can be had offline).
VIT = save_random_vit(Path(tempfile.mkdtemp(prefix="drl-vit-")) / "vit.safetensors")


def _tiny(name: str, **extra) -> dict:
    """A 4-dimensional code trained for 2 steps of 4 source images: about a second."""
    return {
        "latent_dim": 4,
        **training_params(registry.config_class(name), n_steps=2, batch_size=4),
        **extra,
    }


#: The cases the conformance kit runs here and in the cross env (tests/test_conformance.py).
CASES = [
    ComponentCase("drl.ada_gvae", params=_tiny("drl.ada_gvae")),
    ComponentCase("drl.beta_vae", params=_tiny("drl.beta_vae")),
    ComponentCase(
        "drl.feature_vae",
        params=_tiny(
            "drl.feature_vae",
            source_pairs=8,
            backbone_weights=str(VIT),
            backbone_image_size=16,
        ),
    ),
    # the evaluators on the kit's default data (12 rows, 3 classes of 4): the probe needs a
    # member of every class per fold, and a small GBT keeps it quick
    ComponentCase("drl.omes"),
    ComponentCase("drl.dci", params={"n_estimators": 10}),
    ComponentCase("drl.mig"),
    ComponentCase("drl.probe", params={"n_folds": 2, "gbt_n_estimators": 10}),
]


@parametrize_with_checks(CASES)
def test_conformance(check):
    check()


def test_every_component_dataset_and_pipeline_is_registered():
    names = {info.name for info in registry.list() if info.plugin.name == "drl"}
    assert names == {
        "drl.ada_gvae",
        "drl.beta_vae",
        "drl.feature_vae",
        "drl.omes",
        "drl.dci",
        "drl.mig",
        "drl.probe",
    }
    datasets = {d.name for d in registry.datasets()}
    assert {"drl.texture_dsprites", "drl.synthetic_cells", "drl.digits", "drl.nuclei"} <= datasets
    assert "drl.transfer" in {p.name for p in registry.pipelines()}


def test_listing_and_planning_the_example_pipeline_import_no_torch():
    code = (
        "import sys\n"
        "from morphospace.core import registry\n"
        "from morphospace.core.pipeline.runner import plan\n"
        "registry.list()\n"
        f"plan({str(PIPELINE)!r})\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'morphospace.drl.vae' not in sys.modules\n"
        "assert 'sklearn' not in sys.modules, 'scikit-learn was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
