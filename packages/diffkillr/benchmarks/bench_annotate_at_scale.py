"""A fitted annotator on a 4096 x 4096 field read from Zarr, tile by tile on a Dask cluster.

The field is a mosaic of stardist's real 512 x 512 nuclei image (8 x 8 copies, every
other one mirrored, about 8,000 nuclei), written to Zarr in 512 x 512 chunks. The
annotator is fitted with its defaults (but ``max_cells``, raised from 2,000 to 20,000
for this field) on one copy with 10 % of its nuclei annotated.
The same annotation runs in memory (the whole field in this process) and with
``morphospace.diffkillr.chunked_annotation.annotate_in_chunks`` on a ``LocalCluster`` of
1 and 2 worker processes reading the Zarr lazily and writing the label map to Zarr
tile by tile. Printed: seconds, megapixels per
second, the largest peak memory of any worker (or of this process, in memory), cells
found, and whether the label map equals the in-memory one.

    python packages/diffkillr/benchmarks/bench_annotate_at_scale.py --repeat 8
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import dask.array as da
import numpy as np

from morphospace.core.distributed import connect
from morphospace.diffkillr.annotator import Annotator
from morphospace.diffkillr.chunked_annotation import annotate_in_chunks

sys.path.insert(0, str(Path(__file__).parent))
from bench_real_nuclei import real_field  # the benchmarks' shared reader


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def mosaic(image: np.ndarray, repeat: int) -> np.ndarray:
    """``repeat`` x ``repeat`` copies of ``image``, every other one mirrored."""
    rows = []
    for i in range(repeat):
        row = [image[:, ::-1] if (i + j) % 2 else image for j in range(repeat)]
        rows.append(np.concatenate(row, axis=1))
    return np.concatenate(rows, axis=0)[None].astype(np.float32)


def fitted_annotator(image: np.ndarray, labels: np.ndarray, seed: int = 0) -> Annotator:
    ids = np.arange(1, int(labels.max()) + 1)
    rng = np.random.default_rng(seed)
    annotated = rng.choice(ids, max(round(0.1 * len(ids)), 1), replace=False)
    annotations = np.where(np.isin(labels, annotated), labels, 0).astype(np.float32)
    # the default cap of 2,000 cells per field is far below this field's 8,000
    return Annotator(seed=seed, max_cells=20_000).fit(np.stack([image, annotations])[None])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8, help="copies a side (8: 4096 x 4096)")
    parser.add_argument("--tile", type=int, default=1024)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    image, labels = real_field("stardist")
    start = time.perf_counter()
    annotator = fitted_annotator(image, labels)
    print(
        f"fit on one {image.shape[0]} x {image.shape[1]} copy: {time.perf_counter() - start:.0f} s"
    )
    field = mosaic(image, args.repeat)
    megapixels = field.shape[1] * field.shape[2] / 1e6

    rows, maps = [], []
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "field.zarr")
        da.from_array(field, chunks=(1, 512, 512)).to_zarr(store)
        # the clusters first: worker processes start while this process is still small
        for n_workers in args.workers:
            with connect(n_workers=n_workers, memory_limit="4GiB") as client:
                start = time.perf_counter()
                result = annotate_in_chunks(annotator, da.from_zarr(store), client, tile=args.tile)
                result.labels.to_zarr(str(Path(tmp) / f"labels{n_workers}.zarr"))
                seconds = time.perf_counter() - start
                peaks = client.run(peak_rss_mib)
            maps.append(da.from_zarr(str(Path(tmp) / f"labels{n_workers}.zarr")).compute())
            name = f"{n_workers} worker process(es), {args.tile}-px tiles from Zarr"
            rows.append((name, seconds, max(peaks.values()), len(result)))
    start = time.perf_counter()
    expected = annotator.annotate(field)
    rows.insert(
        0, ("in memory (this process)", time.perf_counter() - start, peak_rss_mib(), len(expected))
    )
    equal = ["-"] + ["yes" if np.array_equal(m, expected.labels) else "NO" for m in maps]
    print(
        f"\n{field.shape[1]} x {field.shape[2]} field ({args.repeat}^2 copies of stardist's "
        f"{image.shape[0]} x {image.shape[1]} nuclei), diffkillr.annotator defaults, "
        "max_cells 20,000\n"
    )
    print(
        "| run | seconds | megapixels / s | peak memory per process (MiB) | cells | labels equal |"
    )
    print("|---|---|---|---|---|---|")
    for (name, seconds, peak, cells), same in zip(rows, equal, strict=True):
        rate = megapixels / seconds
        print(f"| {name} | {seconds:.0f} | {rate:.3f} | {peak:.0f} | {cells} | {same} |")


if __name__ == "__main__":
    main()
