"""Segmenting tile by tile on a 2-worker LocalCluster gives the whole volume's labels."""

import numpy as np
import pytest

pytest.importorskip("distributed")

from morphospace.core.distributed import connect
from morphospace.core.errors import InputError
from morphospace.hypervae.chunked_segmentation import segment_in_chunks
from morphospace.hypervae.segmentation import HierarchicalSegmenter


@pytest.fixture(scope="module")
def client():
    with connect(n_workers=2, memory_limit="1GiB") as client:
        yield client


@pytest.fixture(scope="module")
def volume_and_segmenter(tiny_params):
    from morphospace.hypervae.toy_hierarchy import toy_hierarchy

    toy = toy_hierarchy(n_train=1, n_test=1, size=24, seed=3)
    volumes = toy.obsm["volume"]
    segmenter = HierarchicalSegmenter(
        **tiny_params, stride=2, n_clusters=(2, 4), n_init=1, max_cluster_points=300
    )
    return volumes[1][:, :, :20, :], segmenter.fit(volumes[:1])  # not a cube, not tiled evenly


@pytest.mark.slow
@pytest.mark.parametrize("upsample", ["interpolate", "nearest"])
def test_tiles_give_the_whole_volumes_labels(volume_and_segmenter, client, upsample):
    import dask.array as da

    volume, segmenter = volume_and_segmenter
    segmenter.config = segmenter.config.model_copy(update={"upsample": upsample})
    whole = segmenter.segment(volume[None]).label_maps[0]
    lazy = da.from_array(volume, chunks=(1, 7, 24, 11))
    chunked = segment_in_chunks(segmenter, lazy, client, tile=7)  # rounded up to 8: 27 tiles
    assert chunked.shape == whole.shape == (2, 24, 20, 24)
    assert chunked.chunks[1:] == ((8, 8, 8), (8, 8, 4), (8, 8, 8))  # lazy, a chunk per tile
    chunked = chunked.compute()
    assert len(np.unique(whole[1])) > 1
    np.testing.assert_array_equal(chunked, whole)


@pytest.mark.slow
def test_a_bad_volume_is_refused(volume_and_segmenter, client):
    volume, segmenter = volume_and_segmenter
    with pytest.raises(InputError, match=r"expected \(C, D, H, W\) with C = 1"):
        segment_in_chunks(segmenter, np.concatenate([volume, volume]), client)
    with pytest.raises(InputError, match="smaller than the patch"):
        segment_in_chunks(segmenter, volume[:, :2], client)


@pytest.mark.slow
def test_segment_on_a_cluster_gives_the_maps_and_regions_of_segment(volume_and_segmenter, client):
    import dask.array as da

    volume, segmenter = volume_and_segmenter
    here = segmenter.segment(volume[None])
    lazy = da.from_array(volume[None], chunks=(1, 1, 12, 12, 12))
    there = segmenter.segment_on_cluster(lazy, client)
    np.testing.assert_array_equal(there.label_maps, here.label_maps)
    assert there.tables["regions"].equals(here.tables["regions"])
