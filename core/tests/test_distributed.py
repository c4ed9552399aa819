"""Encoding chunk by chunk on a 2-worker LocalCluster gives the in-memory result."""

import numpy as np
import pytest

pytest.importorskip("distributed")

from morphospace.core import registry
from morphospace.core.distributed import (
    connect,
    encode_in_chunks,
    histogram_in_chunks,
    median_in_chunks,
    tiles,
)
from morphospace.core.errors import ConfigError, InputError, NotFittedError


@pytest.fixture(scope="module")
def client():
    with connect(n_workers=2, memory_limit="1GiB") as client:
        yield client


@pytest.fixture(scope="module")
def encoder():
    x = np.random.default_rng(0).normal(size=(200, 6))
    return registry.create("encoder", "example.random_projection", n_components=3).fit(x)


@pytest.mark.slow
def test_chunks_on_two_workers_equal_the_in_memory_encoding(client, encoder):
    import dask.array as da

    x = np.random.default_rng(1).normal(size=(1000, 6))
    lazy = encode_in_chunks(encoder, da.from_array(x, chunks=(333, 3)), client, rows_per_chunk=150)
    assert lazy.shape == (1000, 3) and lazy.numblocks == (7, 1)
    np.testing.assert_array_equal(lazy.compute(), encoder.encode(x))
    # the work was spread over both workers
    assert len(client.scheduler_info()["workers"]) == 2


@pytest.mark.slow
def test_two_local_clusters_at_once_do_not_compete_for_a_port(client):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with connect(n_workers=1, memory_limit="1GiB") as second:
            assert second.submit(sum, [1, 2]).result() == 3
    assert not [w for w in caught if "already in use" in str(w.message)]
    assert client.dashboard_link != second.dashboard_link  # each on a free port


def test_bad_calls_fail_before_any_task(client, encoder):
    unfitted = registry.create("encoder", "example.random_projection")
    with pytest.raises(NotFittedError):
        encode_in_chunks(unfitted, np.zeros((4, 6)), client)
    with pytest.raises(ConfigError, match="rows_per_chunk"):
        encode_in_chunks(encoder, np.zeros((4, 6)), client, rows_per_chunk=0)
    with pytest.raises(InputError, match="N >= 1"):
        encode_in_chunks(encoder, np.zeros((0, 6)), client)


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(0).normal(size=(101, 77)),  # odd count: one middle value
        np.random.default_rng(1).normal(size=(100, 100)).astype(np.float32),  # even: two
        np.random.default_rng(2).integers(0, 4, size=(50, 50)).astype(float),  # many ties
        np.r_[np.zeros(10), np.ones(1)],
    ],
)
def test_the_median_in_chunks_is_numpys_exactly(values):
    import dask.array as da

    lazy = da.from_array(values, chunks=17 if values.ndim == 2 else 3)
    assert median_in_chunks(lazy) == float(np.median(values))
    assert median_in_chunks(lazy, bins=3) == float(np.median(values))


def test_the_median_of_non_finite_values_is_an_error():
    with pytest.raises(InputError, match="cells: contains NaN"):
        median_in_chunks(np.array([1.0, np.nan]), name="cells")


def test_histogram_in_chunks_counts_as_numpy():
    import dask.array as da

    values = np.random.default_rng(3).uniform(size=(40, 30))
    counts = histogram_in_chunks(da.from_array(values, chunks=7), 13, (0.1, 0.9))
    np.testing.assert_array_equal(counts, np.histogram(values, 13, (0.1, 0.9))[0])


def test_tiles_cover_the_field_once_and_read_a_halo_inside_it():
    grid = tiles((10, 7), 4, 2)
    cover = np.zeros((10, 7), dtype=int)
    for tile in grid:
        cover[tile.core] += 1
        assert all(s.start >= 0 and s.stop <= n for s, n in zip(tile.outer, (10, 7)))
        inner = tile.core_in_outer()
        assert all(i.stop - i.start == c.stop - c.start for i, c in zip(inner, tile.core))
    assert (cover == 1).all() and len(grid) == 6
    assert grid[1].outer == (slice(0, 6), slice(2, 7)) and grid[1].offset.tolist() == [0, 2]
    with pytest.raises(ConfigError, match="tile: expected a positive"):
        tiles((10, 7), 0, 2)


@pytest.mark.slow
def test_a_pipeline_run_on_workers_gives_the_in_memory_result(tmp_path):
    import anndata
    from click.testing import CliRunner

    from morphospace.core.cli import cli

    runs = {}
    for name, flags in (("here", []), ("workers", ["--workers", "2"])):
        result = CliRunner().invoke(
            cli, ["run", "example.blobs_pipeline", "--out", str(tmp_path / name), *flags]
        )
        assert result.exit_code == 0, result.output
        runs[name] = anndata.read_h5ad(tmp_path / name / "result.h5ad")
    embedded = [k for k in runs["here"].obsm if k.startswith("X_")]
    assert embedded
    for key in embedded:
        np.testing.assert_array_equal(runs["workers"].obsm[key], runs["here"].obsm[key])


def test_a_cluster_is_context_local_and_encodes_in_chunks(client, encoder):
    from morphospace.core import tl
    from morphospace.core.distributed import current_cluster, use_cluster

    adata = anndata_of(np.random.default_rng(1).normal(size=(30, 6)))
    assert current_cluster() is None
    with use_cluster(client):
        assert current_cluster() is client
        tl.encode(adata, encoder, fit=False, key_added="chunked")
    assert current_cluster() is None
    np.testing.assert_array_equal(adata.obsm["X_chunked"], encoder.encode(adata.X))


def anndata_of(x):
    import anndata

    return anndata.AnnData(x.astype(np.float32))


def test_the_cli_refuses_a_scheduler_and_workers_together():
    from click.testing import CliRunner

    from morphospace.core.cli import cli

    both = ["--scheduler", "tcp://127.0.0.1:9", "--workers", "2"]
    result = CliRunner().invoke(cli, ["run", "example.blobs_pipeline", "--out", "o", *both])
    assert result.exit_code == 2 and "not both" in result.output


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_clear_error(tmp_path):
    import subprocess
    import sys

    command = [sys.executable, "-m", "morphospace.core", "run", "example.blobs_pipeline"]
    command += ["--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "could not reach a Dask scheduler at 'tcp://127.0.0.1:9'" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "o").exists()


def test_translating_in_chunks_equals_in_memory(client):
    from morphospace.core import tl
    from morphospace.core.distributed import translate_in_chunks, use_cluster

    spots = registry.load_dataset("example.spots", n_images=30)
    here = tl.translate(
        spots, "example.mean_shift", images="image", conditions="condition", target="treated"
    )
    images, source = spots.obsm["image"], spots.obs["condition"].to_numpy()
    expected = here.translate_to_each(images, source, ["treated", "control"])
    found = translate_in_chunks(
        here, images, source, ["treated", "control"], client, rows_per_chunk=7
    )
    assert all(hasattr(a, "dask") for a in found)  # lazy: computed, or written, together
    for a, b in zip(client.compute(found, sync=True), expected, strict=True):
        np.testing.assert_array_equal(a, b)
    with use_cluster(client):
        tl.translate(
            spots,
            here,
            images="image",
            conditions="condition",
            target="treated",
            fit=False,
            key_added="there",
        )
    np.testing.assert_array_equal(spots.obsm["there"], spots.obsm["mean_shift"])
    with pytest.raises(InputError, match="30 images but 2 source conditions"):
        translate_in_chunks(here, images, source[:2], ["treated"], client)
