"""Annotating tile by tile on a 2-worker LocalCluster gives the whole field's annotation."""

import numpy as np
import pytest

pytest.importorskip("distributed")

from morphospace.core import registry
from morphospace.core.distributed import connect, tiles
from morphospace.core.errors import InputError
from morphospace.diffkillr.chunked_annotation import annotate_in_chunks

TINY = {
    "invariant_net": {"training": {"n_steps": 4, "batch_size": 4}, "views": 2},
    "mapping_net": {"training": {"n_steps": 4, "batch_size": 4}},
    "max_archetypes": 4,
    "stride": 4,
    "score_threshold": 0.0,  # many candidates, many of them near tile borders
}


@pytest.fixture(scope="module")
def client():
    with connect(n_workers=2, memory_limit="1GiB") as client:
        yield client


@pytest.fixture(scope="module")
def field_and_annotator(torch_single_thread):
    fields = registry.load_dataset(
        "diffkillr.synthetic_fields", n_fields=2, size=96, n_cells=14, n_annotated=3
    )
    x = fields.obsm["annotated_image"]
    annotator = registry.create("segmenter", "diffkillr.annotator", **TINY).fit(x[:1])
    return x[1, :-1], annotator


def assert_same_annotation(chunked, whole):
    assert len(whole) > 3
    np.testing.assert_array_equal(chunked.labels, whole.labels)
    for name in ("embedded_windows", "candidate_windows", "nms_windows", "windows"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name), err_msg=name)
    np.testing.assert_array_equal(chunked.archetypes, whole.archetypes)
    np.testing.assert_allclose(chunked.scores, whole.scores, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(chunked.candidate_mask_fill, whole.candidate_mask_fill)
    np.testing.assert_allclose(chunked.centres, whole.centres, rtol=0, atol=1e-4)
    np.testing.assert_allclose(chunked.orientations, whole.orientations, rtol=0, atol=1e-4)
    np.testing.assert_array_equal(chunked.warped_masks, whole.warped_masks)


@pytest.mark.slow
@pytest.mark.parametrize("prefilter", ["otsu", "none"])
def test_tiles_give_the_whole_fields_annotation(field_and_annotator, client, prefilter):
    import dask.array as da

    image, annotator = field_and_annotator
    annotator.config = annotator.config.model_copy(update={"prefilter": prefilter})
    whole = annotator.annotate(image)
    # 30-pixel tiles: 16 of them, cut through cells, stored in other chunks still
    lazy = da.from_array(image, chunks=(1, 25, 40))
    chunked = annotate_in_chunks(annotator, lazy, client, tile=30)
    assert len(tiles(image.shape[1:], 30, 8)) == 16
    assert chunked.labels.chunks == ((30, 30, 30, 6), (30, 30, 30, 6))  # lazy, a tile a chunk
    chunked.labels = chunked.labels.compute()
    assert_same_annotation(chunked, whole)


@pytest.mark.slow
def test_a_bad_field_is_refused_before_any_tile_runs(field_and_annotator, client):
    image, annotator = field_and_annotator
    with pytest.raises(InputError, match="channel"):
        annotate_in_chunks(annotator, np.concatenate([image, image]), client, tile=30)
    nan = image.copy()
    nan[0, 50, 50] = np.nan
    with pytest.raises(InputError, match="field image: contains NaN"):
        annotate_in_chunks(annotator, nan, client, tile=30)


@pytest.mark.slow
def test_tl_segment_on_a_cluster_gives_the_in_memory_maps_and_cells(field_and_annotator, client):
    import anndata
    import dask.array as da

    from morphospace.core import tl
    from morphospace.core.distributed import use_cluster

    image, annotator = field_and_annotator
    annotator.config = annotator.config.model_copy(update={"prefilter": "otsu"})
    fields = np.concatenate([image, np.zeros_like(image[:1])])[None]  # + annotation channel
    here, there = anndata.AnnData(np.zeros((1, 1))), anndata.AnnData(np.zeros((1, 1)))
    here.obsm["fields"] = there.obsm["fields"] = fields
    tl.segment(here, annotator, use_rep="fields", fit=False, key_added="cells")
    there.obsm["fields"] = da.from_array(fields, chunks=(1, 1, 40, 40))  # read with lazy=True
    with use_cluster(client):
        tl.segment(there, annotator, use_rep="fields", fit=False, key_added="cells")
    np.testing.assert_array_equal(there.obsm["cells"], here.obsm["cells"])
    assert there.uns["cells"]["cells"].equals(here.uns["cells"]["cells"])
