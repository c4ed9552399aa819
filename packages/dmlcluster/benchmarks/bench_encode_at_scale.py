"""A fitted encoder on 1,000,000 cells, chunk by chunk on a Dask cluster.

The cells (30 measurements each) are generated lazily by Dask, so they never exist whole
in this process; ``dmlcluster.pca`` is fitted on 5,000 of them. The same encoding runs
in memory (all cells at once, in this process) and with ``morphospace.core.distributed.
encode_in_chunks`` on a ``LocalCluster`` of 1 and 2 worker processes, writing the result
to Zarr. Printed: seconds, cells per second, the largest peak memory of any worker
process (or of this process, in memory), and the largest difference from the in-memory
result.

    python packages/dmlcluster/benchmarks/bench_encode_at_scale.py --cells 1000000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import dask.array as da
import numpy as np

from morphospace.core import registry
from morphospace.core.distributed import connect, encode_in_chunks


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cells(n: int, features: int, rows_per_chunk: int) -> da.Array:
    rng = da.random.RandomState(0)
    scales = np.linspace(0.5, 3.0, features)
    return rng.normal(size=(n, features), chunks=(rows_per_chunk, features)) * scales


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--rows-per-chunk", type=int, default=50_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    lazy = cells(args.cells, args.features, args.rows_per_chunk)
    encoder = registry.create("encoder", "dmlcluster.pca", n_components=10)
    encoder.fit(lazy[:5000].compute())

    rows, results = [], []
    # the clusters first: worker processes start from this process while it is still small
    for n_workers in args.workers:
        with (
            connect(n_workers=n_workers, memory_limit="2GiB") as client,
            tempfile.TemporaryDirectory() as tmp,
        ):
            start = time.perf_counter()
            encoded = encode_in_chunks(encoder, lazy, client, rows_per_chunk=args.rows_per_chunk)
            encoded.to_zarr(str(Path(tmp) / "encoded.zarr"))
            seconds = time.perf_counter() - start
            peaks = client.run(peak_rss_mib)
            results.append(da.from_zarr(str(Path(tmp) / "encoded.zarr")).compute())
        rows.append((f"{n_workers} worker process(es), to Zarr", seconds, max(peaks.values())))
    start = time.perf_counter()
    expected = encoder.encode(lazy.compute())
    rows.insert(0, ("in memory (this process)", time.perf_counter() - start, peak_rss_mib()))
    differences = [0.0] + [float(np.abs(result - expected).max()) for result in results]
    print(
        f"\n{args.cells:,} cells x {args.features} measurements -> dmlcluster.pca (10), "
        f"{args.rows_per_chunk:,} cells per chunk\n"
    )
    print("| run | seconds | cells / s | peak memory per process (MiB) | max difference |")
    print("|---|---|---|---|---|")
    for (name, seconds, peak), difference in zip(rows, differences, strict=True):
        rate = args.cells / seconds
        print(f"| {name} | {seconds:.1f} | {rate:,.0f} | {peak:.0f} | {difference:.1e} |")


if __name__ == "__main__":
    main()
