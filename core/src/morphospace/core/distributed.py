"""Fitted components on data larger than memory: chunk by chunk on a Dask cluster.

The fitted component is sent to every worker once (``client.scatter(..., broadcast=
True)``); each chunk of cells becomes one task that calls the component on the
worker's copy, and the result is a lazy dask array that computes, persists or writes
to Zarr like any other. Any ``dask.distributed`` cluster works: a ``LocalCluster`` on
this machine (:func:`connect` with no address) or a running one by its scheduler
address; morphospace runs no scheduler of its own. Needs ``morphospace-core[scale]``.

Encoders and translators map one row to one row (:func:`encode_in_chunks`,
:func:`translate_in_chunks`). Sliding-window methods cut a field into :func:`tiles`,
each read with a halo wide enough that every value computed in its core equals the
whole field's (:func:`map_tiles` runs a function per tile); a plugin runs its global
steps (thresholds, k-means, non-maximum suppression) between passes over the tiles, on
statistics it gathers from them (:func:`median_in_chunks`, :func:`histogram_in_chunks`).
:func:`use_cluster` makes ``tl`` (and so ``morphospace run --workers``) do all this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from morphospace.core.dependencies import require
from morphospace.core.errors import ConfigError, InputError, MorphospaceError

_CLUSTER: ContextVar[Any] = ContextVar("morphospace_cluster", default=None)


@contextmanager
def use_cluster(client: Any) -> Iterator[Any]:
    """Within the block, ``tl.encode``, ``tl.translate`` and ``tl.segment`` (and so the
    pipeline steps built on them) apply fitted components on ``client``'s cluster:
    encoders and translators chunk by chunk, segmenters through their
    ``segment_on_cluster``. Context-local, like a progress listener."""
    token = _CLUSTER.set(client)
    try:
        yield client
    finally:
        _CLUSTER.reset(token)


def current_cluster() -> Any:
    """The client of the enclosing :func:`use_cluster` block, or ``None``."""
    return _CLUSTER.get()


def connect(scheduler: str | None = None, *, n_workers: int = 2, memory_limit: str = "4GiB"):
    """A ``distributed.Client``: to the scheduler at ``scheduler`` (``"tcp://host:8786"``),
    or to a new ``LocalCluster`` of ``n_workers`` single-threaded worker processes, each
    held to ``memory_limit``, its dashboard on a free port (``client.dashboard_link``;
    two runs at once never compete for Dask's default 8787). Close it
    (``client.close()``, or ``with connect() as client:``) to stop a local cluster."""
    distributed = require(
        "distributed", install="morphospace-core[scale]", needed_for="running on a Dask cluster"
    )
    if scheduler is not None:
        try:
            return distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise MorphospaceError(
                f"could not reach a Dask scheduler at {scheduler!r} within 10 s ({exc}); "
                "start one (dask scheduler) or leave --scheduler out to use local workers"
            ) from exc
    if n_workers < 1:
        raise ConfigError(f"n_workers: expected at least 1, found {n_workers}")
    # a client that starts its own LocalCluster also stops it when closed
    return distributed.Client(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=":0",  # None would still bind 8787: the scheduler's HTTP server
    )


def encode_in_chunks(encoder: Any, x: Any, client: Any, *, rows_per_chunk: int = 50_000):
    """``encoder.encode`` of ``x`` ``(N, ...)`` (a numpy or dask array) as a lazy dask
    array ``(N, d)``, ``rows_per_chunk`` cells per task, on ``client``'s cluster.

    The encoder must be fitted; it is sent to each worker once. The result equals
    ``encoder.encode(x)`` computed in memory.
    """
    encoder.check_is_fitted()
    _check_rows_per_chunk(rows_per_chunk)
    x = as_dask(x)
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


def _check_rows_per_chunk(rows_per_chunk: Any) -> None:
    if (
        isinstance(rows_per_chunk, bool)
        or not isinstance(rows_per_chunk, int)
        or rows_per_chunk < 1
    ):
        raise ConfigError(f"rows_per_chunk: expected an integer >= 1, found {rows_per_chunk!r}")


def _encode_block(block: np.ndarray, encoder: Any) -> np.ndarray:
    return np.asarray(encoder.encode(block))


def translate_in_chunks(
    translator: Any,
    images: Any,
    source: Any,
    targets: list,
    client: Any,
    *,
    rows_per_chunk: int = 1024,
) -> list:
    """``translator.translate_to_each(images, source, targets)`` as lazy dask arrays, one
    per target, the images ``(N, C, H, W)`` (numpy or dask) taken ``rows_per_chunk`` at a
    time on ``client``'s cluster. The fitted translator is sent to each worker once; an
    image is translated on its own, so the result equals the in-memory one.

    Each chunk is inverted once for every target: compute (or write) the targets
    together, ``dask.compute(*arrays)``, so the chunks are not translated again.
    """
    dask = require("dask", install="morphospace-core[scale]", needed_for="chunked translation")
    da = _dask_array()
    translator.check_is_fitted()
    _check_rows_per_chunk(rows_per_chunk)
    source = np.asarray(source)
    if len(source) != images.shape[0]:
        raise InputError(f"{images.shape[0]} images but {len(source)} source conditions")
    probe = _translate_block(np.asarray(images[:1]), source[:1], translator, tuple(targets[:1]))
    shipped = client.scatter(translator, broadcast=True, hash=False)
    outputs: list[list] = [[] for _ in targets]
    for start in range(0, images.shape[0], rows_per_chunk):
        rows = images[start : start + rows_per_chunk]
        part = dask.delayed(_translate_block)(
            rows, source[start : start + rows_per_chunk], shipped, tuple(targets)
        )
        for t, output in enumerate(outputs):
            output.append(
                da.from_delayed(
                    part[t], shape=(rows.shape[0], *probe[0].shape[1:]), dtype=probe[0].dtype
                )
            )
    return [da.concatenate(output) for output in outputs]


def _translate_block(images, source, translator: Any, targets: tuple) -> list[np.ndarray]:
    return [
        np.asarray(t)
        for t in translator.translate_to_each(np.asarray(images), source, list(targets))
    ]


@dataclass(frozen=True)
class Tile:
    """One tile of a field: its ``core`` (the pixels it answers for) and the ``outer``
    box it reads (the core plus the halo, cut at the field's border), as slices."""

    core: tuple[slice, ...]
    outer: tuple[slice, ...]

    @property
    def offset(self) -> np.ndarray:
        """Where ``outer`` starts in the field: add it to tile coordinates."""
        return np.array([s.start for s in self.outer])

    def core_in_outer(self) -> tuple[slice, ...]:
        """The core as slices of the outer box."""
        return tuple(
            slice(c.start - o.start, c.stop - o.start)
            for c, o in zip(self.core, self.outer, strict=True)
        )


def tiles(shape: tuple[int, ...], tile: int, halo: int) -> list[Tile]:
    """Tiles of edge ``tile`` covering a field of spatial ``shape``, row-major, each with a
    ``halo`` of pixels around its core (none past the field's border)."""
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 1:
        raise ConfigError(f"tile: expected a positive number of pixels, found {tile!r}")
    if halo < 0:
        raise ConfigError(f"halo: expected 0 or more pixels, found {halo}")
    starts = [range(0, size, tile) for size in shape]
    out = []
    for corner in np.stack(np.meshgrid(*starts, indexing="ij"), -1).reshape(-1, len(shape)):
        core = tuple(
            slice(int(c), int(min(c + tile, size))) for c, size in zip(corner, shape, strict=True)
        )
        outer = tuple(
            slice(max(s.start - halo, 0), min(s.stop + halo, size))
            for s, size in zip(core, shape, strict=True)
        )
        out.append(Tile(core, outer))
    return out


def map_tiles(client: Any, function, *arguments: Any) -> list:
    """``function(*arguments)`` once per tile, on ``client``'s cluster, results in order.

    An argument given as a ``list`` holds one item per tile (all such lists have the
    same length); any other argument goes to every call as it is (scatter a fitted
    component first, so it travels once). A lazy dask array among the items (a tile's
    block of a Zarr field) is read on the worker that runs the call.
    """
    dask = require("dask", install="morphospace-core[scale]", needed_for="running on a cluster")
    lengths = {len(a) for a in arguments if isinstance(a, list)}
    if len(lengths) != 1:
        raise ConfigError(f"map_tiles: expected lists of one length, found lengths {lengths}")
    tasks = [
        dask.delayed(function)(*[a[i] if isinstance(a, list) else a for a in arguments])
        for i in range(lengths.pop())
    ]
    return client.gather(client.compute(tasks))


def _dask_array():
    return require("dask.array", install="morphospace-core[scale]", needed_for="chunked inference")


def as_dask(x: Any):
    """``x`` as a dask array: a dask array as it is, anything else wrapped (not copied)."""
    da = _dask_array()
    return x if isinstance(x, da.Array) else da.from_array(np.asarray(x))


def lazy_from_tiles(grid: list[Tile], results: list, dtype: Any, leading: tuple = ()):
    """One lazy dask array from per-tile delayed ``results`` (in ``grid``'s row-major
    order), each of shape ``leading`` + its tile's core shape: a chunk per tile."""
    da = _dask_array()
    counts = [len({t.core[axis].start for t in grid}) for axis in range(len(grid[0].core))]
    blocks = np.empty(counts, dtype=object)
    for index, tile, result in zip(np.ndindex(*counts), grid, results, strict=True):
        shape = (*leading, *(c.stop - c.start for c in tile.core))
        blocks[index] = da.from_delayed(result, shape=shape, dtype=dtype)
    nested = blocks.tolist()
    for _ in leading:
        nested = [nested]
    return da.block(nested)


def histogram_in_chunks(x: Any, bins: int, value_range: tuple[float, float]) -> np.ndarray:
    """Counts of ``np.histogram(x, bins, value_range)`` summed chunk by chunk: the same
    counts as in memory, since every value falls in the same bin either way."""
    x = as_dask(x)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    counts, _ = _dask_array().histogram(x, bins=edges)  # per block: no rechunking
    return np.asarray(counts.compute())


def median_in_chunks(x: Any, bins: int = 4096, name: str = "x") -> float:
    """``np.median(x)``, exactly, without holding ``x`` in memory: a histogram finds the
    bin(s) holding the middle value(s), and only the distinct values in them (with their
    counts) are gathered, block by block."""
    dask = require("dask", install="morphospace-core[scale]", needed_for="chunked inference")
    x = as_dask(x)  # never raveled nor mask-indexed: either would rechunk the whole array
    n = int(x.size)
    if n == 0:
        raise InputError(f"{name}: median of an empty array")
    low, high = (float(v) for v in dask.compute(x.min(), x.max()))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise InputError(f"{name}: contains NaN or infinite values; remove or impute them first")
    if low == high:
        return low
    edges = np.linspace(low, high, bins + 1)
    cumulative = np.cumsum(histogram_in_chunks(x, bins, (low, high)))
    middle = sorted({(n - 1) // 2, n // 2})  # the rank(s) the median averages
    chosen = [int(np.searchsorted(cumulative, rank, side="right")) for rank in middle]
    first, last = min(chosen), max(chosen)
    below = int(cumulative[first - 1]) if first else 0
    top = edges[last + 1] if last + 1 < bins else np.inf  # the last bin holds its edge
    parts = dask.compute(
        *[dask.delayed(_distinct_in)(b, edges[first], top) for b in x.to_delayed().ravel()]
    )
    values = np.concatenate([p[0] for p in parts])
    values, where = np.unique(values, return_inverse=True)
    counts = np.bincount(where, weights=np.concatenate([p[1] for p in parts]))
    ends = np.cumsum(counts) + below  # values[i] holds the ranks below ends[i]
    return float(np.mean([values[np.searchsorted(ends, rank, side="right")] for rank in middle]))


def _distinct_in(block: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``block`` in ``[low, high)`` and how often each occurs."""
    return np.unique(block[(block >= low) & (block < high)], return_counts=True)
