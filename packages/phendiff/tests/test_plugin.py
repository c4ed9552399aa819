"""Every component passes the conformance kit; listing and planning stay torch-free."""

import atexit
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from morphospace.core import registry
from morphospace.core.testing import (
    ComponentCase,
    make_images,
    parametrize_with_checks,
    training_params,
)


def _tiny_ddim() -> dict:
    """A two-level UNet of 8 and 16 channels, 2 training steps, 3 DDIM steps each way."""
    return {
        "block_out_channels": (8, 16),
        "inversion_steps": 3,
        "generation_steps": 3,
        **training_params(registry.config_class("phendiff.ddim"), n_steps=2, batch_size=4),
    }


def _random_inception() -> str:
    """A randomly initialised Inception-v3 weights file in a folder removed at exit."""
    from morphospace.phendiff.inception import save_random_inception

    folder = Path(tempfile.mkdtemp(prefix="morphospace-inception-"))
    atexit.register(shutil.rmtree, folder, True)
    return str(save_random_inception(folder / "inception.safetensors"))


#: The cases the conformance kit runs here and in the cross env (tests/test_conformance.py).
CASES = [
    ComponentCase("phendiff.ddim", params=_tiny_ddim()),
    # the kit's default data have conditions 0, 1, 2
    ComponentCase("phendiff.fid", params={"source": "0", "target": "1", "kid_subsets": 3}),
    ComponentCase("phendiff.feature_shift", params={"source": "0", "target": "1"}),
    ComponentCase("phendiff.reconstruction"),
    # Inception sees every image at 299 x 299: four images keep the checks quick
    ComponentCase(
        "phendiff.inception",
        params={"weights": _random_inception()},
        data=lambda: {"x": make_images(n=4)},
    ),
]


@parametrize_with_checks(CASES)
def test_conformance(check):
    check()


def test_listing_and_planning_the_example_import_neither_torch_nor_diffusers():
    code = (
        "import sys\n"
        "from morphospace.core import registry\n"
        "registry.list()\n"
        "registry.config_class('phendiff.ddim')(inversion_steps=5)\n"
        "from morphospace.core.pipeline import plan\n"
        "steps = plan('phendiff.doses')\n"
        "assert [s.info.name for s in steps][:2] == ['phendiff.ddim', 'phendiff.fid']\n"
        "assert len(steps) == 1 + 2 * 8  # FID and feature shift for every dose\n"
        "demo = plan('phendiff.demo')\n"
        "assert demo[0].step.fit_on == 'train'\n"
        "assert {s.step.where for s in demo[1:]} == {'~train'}\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'diffusers' not in sys.modules, 'diffusers was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_demo_is_listed_as_a_demo():
    demos = {p.name for p in registry.pipelines() if p.demo}
    assert "phendiff.demo" in demos and "phendiff.doses" not in demos
