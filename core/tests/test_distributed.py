"""Encoding chunk by chunk on a 2-worker LocalCluster gives the in-memory result."""

import numpy as np
import pytest

pytest.importorskip("distributed")

from morphospace.core import registry
from morphospace.core.distributed import connect, encode_in_chunks
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
def test_bad_calls_fail_before_any_task(client, encoder):
    unfitted = registry.create("encoder", "example.random_projection")
    with pytest.raises(NotFittedError):
        encode_in_chunks(unfitted, np.zeros((4, 6)), client)
    with pytest.raises(ConfigError, match="rows_per_chunk"):
        encode_in_chunks(encoder, np.zeros((4, 6)), client, rows_per_chunk=0)
    with pytest.raises(InputError, match="N >= 1"):
        encode_in_chunks(encoder, np.zeros((0, 6)), client)
