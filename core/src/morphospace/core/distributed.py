"""Fitted components on data larger than memory: chunk by chunk on a Dask cluster.

The fitted component is sent to every worker once (``client.scatter(..., broadcast=
True)``); each chunk of cells becomes one task that calls the component on the
worker's copy, and the result is a lazy dask array that computes, persists or writes
to Zarr like any other. Any ``dask.distributed`` cluster works: a ``LocalCluster`` on
this machine (:func:`connect` with no address) or a running one by its scheduler
address; morphospace runs no scheduler of its own. Needs ``morphospace-core[scale]``.

Today this applies encoders (one row in, one row out, so the result equals the
in-memory one exactly). Sliding-window components (segmenters, annotators) need halos
and a global step (k-means centroids, non-maximum suppression) and are not covered yet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.dependencies import require
from morphospace.core.errors import ConfigError, InputError


def connect(scheduler: str | None = None, *, n_workers: int = 2, memory_limit: str = "4GiB"):
    """A ``distributed.Client``: to the scheduler at ``scheduler`` (``"tcp://host:8786"``),
    or to a new ``LocalCluster`` of ``n_workers`` single-threaded worker processes, each
    held to ``memory_limit``. Close it (``client.close()``, or ``with connect() as
    client:``) to stop a local cluster."""
    distributed = require(
        "distributed", install="morphospace-core[scale]", needed_for="running on a Dask cluster"
    )
    if scheduler is not None:
        return distributed.Client(scheduler)
    if n_workers < 1:
        raise ConfigError(f"n_workers: expected at least 1, found {n_workers}")
    # a client that starts its own LocalCluster also stops it when closed
    return distributed.Client(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=None,
    )


def encode_in_chunks(encoder: Any, x: Any, client: Any, *, rows_per_chunk: int = 50_000):
    """``encoder.encode`` of ``x`` ``(N, ...)`` (a numpy or dask array) as a lazy dask
    array ``(N, d)``, ``rows_per_chunk`` cells per task, on ``client``'s cluster.

    The encoder must be fitted; it is sent to each worker once. The result equals
    ``encoder.encode(x)`` computed in memory.
    """
    da = require("dask.array", install="morphospace-core[scale]", needed_for="chunked encoding")
    encoder.check_is_fitted()
    if (
        isinstance(rows_per_chunk, bool)
        or not isinstance(rows_per_chunk, int)
        or rows_per_chunk < 1
    ):
        raise ConfigError(f"rows_per_chunk: expected an integer >= 1, found {rows_per_chunk!r}")
    x = x if isinstance(x, da.Array) else da.from_array(np.asarray(x))
    if x.ndim < 2 or x.shape[0] == 0:
        raise InputError(f"cells: expected an array (N, ...) with N >= 1, found shape {x.shape}")
    x = x.rechunk({0: rows_per_chunk, **{axis: -1 for axis in range(1, x.ndim)}})
    probe = np.asarray(encoder.encode(np.asarray(x[:1].compute())))  # width and dtype
    shipped = client.scatter(encoder, broadcast=True, hash=False)
    return x.map_blocks(
        _encode_block,
        shipped,
        dtype=probe.dtype,
        chunks=(x.chunks[0], (probe.shape[1],)),
        drop_axis=list(range(2, x.ndim)),
    )


def _encode_block(block: np.ndarray, encoder: Any) -> np.ndarray:
    return np.asarray(encoder.encode(block))
