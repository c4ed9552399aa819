"""The annotate workflow: a pipeline that `morphospace run` executes, and its bad inputs."""

import json

import numpy as np
import pytest

from morphospace.core import load, registry
from morphospace.core.errors import InputError
from morphospace.core.pipeline.runner import run

TINY = {
    "invariant_net": {"training": {"n_steps": 4, "batch_size": 4}, "views": 2},
    "mapping_net": {"training": {"n_steps": 4, "batch_size": 4}},
    "max_archetypes": 4,
    "stride": 8,
}


@pytest.fixture(scope="module")
def fields():
    return registry.load_dataset(
        "diffkillr.synthetic_fields", n_fields=2, size=64, n_cells=8, n_annotated=3
    )


@pytest.fixture(scope="module")
def annotator(fields, torch_single_thread):
    x = fields.obsm["annotated_image"]
    return registry.create("segmenter", "diffkillr.annotator", **TINY).fit(x[:1])


def test_segment_returns_one_instance_map_per_field_and_leaves_no_state(annotator, fields):
    before = dict(vars(annotator))
    result = annotator.segment(fields.obsm["annotated_image"])
    assert result.label_maps.shape == (2, 1, 64, 64) and result.label_maps.dtype == np.int32
    assert set(result.tables) == {"cells"}
    assert vars(annotator).keys() == before.keys()
    assert len(annotator.bank_) == 3


def test_auto_patch_size_comes_from_the_annotated_cells_and_reaches_both_nets(
    annotator, fields, tmp_path
):
    from morphospace.diffkillr.annotator import patch_size_for

    annotations = fields.obsm["annotated_image"][:1, -1:]
    assert annotator.config.patch_size == "auto"
    assert annotator.patch_size_ == patch_size_for(annotations) == annotator.bank_.patch_size
    assert annotator.invariant_net_.config.patch_size == annotator.patch_size_
    assert annotator.mapping_net_.config.patch_size == annotator.patch_size_
    annotator.save(tmp_path / "annotator")
    assert load(tmp_path / "annotator").patch_size_ == annotator.patch_size_


def test_the_cells_table_gives_one_row_per_annotated_cell(annotator, fields):
    from morphospace.core import tl

    tl.segment(fields, annotator, use_rep="annotated_image", fit=False, key_added="annotation")
    cells = fields.uns["annotation"]["cells"]
    maps = fields.obsm["annotation"][:, 0]
    for name, field_map in zip(fields.obs_names, maps):
        rows = cells[cells["obs"] == name]
        assert set(np.unique(field_map)) - {0} <= set(rows["cell"])  # ids in the map
        areas = np.bincount(field_map.ravel(), minlength=len(rows) + 1)[1:]
        np.testing.assert_array_equal(rows["area"], areas)
    assert cells["orientation"].between(0, np.pi).all()
    assert set(cells["archetype"]) <= set(range(len(annotator.bank_)))


def test_detection_settings_reach_annotate_field(annotator, fields, monkeypatch):
    from morphospace.diffkillr import annotator as module

    seen = {}

    def spy(image, bank, encoder, registrar, **settings):
        seen.update(settings)
        return real(image, bank, encoder, registrar, **settings)

    real = module.annotate_field
    monkeypatch.setattr(module, "annotate_field", spy)
    config = annotator.config
    try:
        annotator.config = config.model_copy(update={"prefilter": "none", "stride": 16})
        annotator.annotate(fields.obsm["image"][0])
    finally:
        annotator.config = config
    assert seen["prefilter"] == "none" and seen["stride"] == 16
    assert seen["threshold"] == config.score_threshold


def test_report_figures_show_the_propagation_and_the_field(annotator, fields):
    import matplotlib

    matplotlib.use("Agg")
    from morphospace.core import tl
    from morphospace.core.figures import FigureContext

    tl.segment(fields, annotator, use_rep="annotated_image", fit=False, key_added="annotation")
    figures = annotator.report_figures(FigureContext(fields, "annotation"))
    assert [title for title, _ in figures] == [
        "DiffKillR: archetype, query, warped mask",
        "DiffKillR: field with propagated masks",
    ]


def test_save_and_load_round_trip(annotator, fields, tmp_path):
    annotator.save(tmp_path / "annotator")
    loaded = load(tmp_path / "annotator")
    x = fields.obsm["annotated_image"]
    np.testing.assert_array_equal(loaded.segment(x).label_maps, annotator.segment(x).label_maps)


def test_fields_without_any_annotation_are_an_error(fields):
    x = fields.obsm["annotated_image"][1:]
    with pytest.raises(InputError, match="empty"):
        registry.create("segmenter", "diffkillr.annotator", **TINY).fit(x)


def test_fields_without_an_annotation_channel_are_an_error(fields):
    with pytest.raises(InputError, match="annotation channel"):
        registry.create("segmenter", "diffkillr.annotator").fit(fields.obsm["image"])


def test_annotations_that_do_not_match_their_images_are_an_error(annotator):
    with pytest.raises(InputError, match="channel"):
        annotator.segment(np.zeros((1, 3, 64, 64), dtype=np.float32))


@pytest.mark.slow
def test_example_pipeline_runs_end_to_end(tmp_path, torch_single_thread):
    from morphospace.core.pipeline.schema import load_pipeline

    pipeline = load_pipeline("diffkillr.annotate").model_dump()
    pipeline["dataset"]["params"].update(size=64, n_cells=8, n_fields=2, n_annotated=3)
    pipeline["steps"][0]["params"] = TINY
    result = run(pipeline, tmp_path / "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert set(metrics) == {"counting", "segmentation"}
    assert 0 <= metrics["counting"]["f1"]["value"] <= 1
    assert (tmp_path / "out" / "components" / "annotation" / "cell_bank.npz").is_file()
    assert any("propagated" in p.name for p in (tmp_path / "out" / "figures").iterdir())
    assert result.adata.obsm["annotation"].shape == (2, 1, 64, 64)


@pytest.mark.slow
def test_cells_pipeline_runs_end_to_end(tmp_path, torch_single_thread):
    from morphospace.core.pipeline.schema import load_pipeline

    pipeline = load_pipeline("diffkillr.cells").model_dump()
    pipeline["dataset"]["params"]["n_queries"] = 8
    pipeline["steps"][0]["params"] = {"training": {"n_steps": 3, "batch_size": 4}, "views": 2}
    pipeline["steps"][2]["params"] = {"training": {"n_steps": 3, "batch_size": 4}}
    result = run(pipeline, tmp_path / "out")
    assert {"matching", "registration"} <= set(result.metrics)
    assert "folding_fraction" in result.metrics["registration"]
    assert 0 < result.metrics["registration"]["dsc"]["value"] <= 1
    assert result.adata.obsm["warped_labels"].dtype == result.adata.obsm["archetype_mask"].dtype


def test_a_field_without_foreground_has_no_cells(annotator, fields):
    # a flat field: the Otsu prefilter passes no window, so nothing is embedded
    blank = np.zeros_like(fields.obsm["annotated_image"][0, :-1])
    result = annotator.annotate(blank)
    assert len(result) == 0 and not result.labels.any() and len(result.embedded_windows) == 0
