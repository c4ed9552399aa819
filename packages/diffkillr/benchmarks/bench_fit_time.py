"""Where the annotator's fit time goes, and how it grows with training steps and archetypes.

On stardist's real field (see ``bench_real_nuclei.py``): the annotator is fitted with
6, 12 and 24 annotated nuclei at the default steps, and with 12 nuclei at half and twice
the default steps of both networks; printed per stage (cell bank, invariant net, mapping
net, embedding the bank), in seconds on one torch thread.

    python packages/diffkillr/benchmarks/bench_fit_time.py
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("MORPHOSPACE_PROGRESS", "0")

import numpy as np
from bench_real_nuclei import real_field

from morphospace.diffkillr.annotator import Annotator
from morphospace.diffkillr.config import InvariantNetFields, MappingNetFields

DEFAULT_STEPS = (
    InvariantNetFields().training.n_steps,
    MappingNetFields().training.n_steps,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    image, labels = real_field("stardist")
    settings = [(n, 1.0) for n in (6, 12, 24)] + [(12, 0.5), (12, 2.0)]
    stages = ["cell bank", "invariant net", "mapping net", "embed the bank", "total"]
    print(
        "| annotated nuclei | steps (invariant + mapping) | patch | "
        + " s | ".join(stages)
        + " s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n_cells, scale in settings:
        ids = np.sort(
            np.random.default_rng(0).choice(np.arange(1, labels.max() + 1), n_cells, False)
        )
        annotations = np.where(np.isin(labels, ids), labels, 0).astype(np.float32)
        steps = [max(int(scale * s), 1) for s in DEFAULT_STEPS]
        annotator = Annotator(
            max_archetypes=n_cells,
            invariant_net={"training": {"n_steps": steps[0]}},
            mapping_net={"training": {"n_steps": steps[1]}},
        ).fit(np.stack([image, annotations])[None])
        seconds = annotator.fit_seconds_
        cells = " | ".join(f"{v:.1f}" for v in seconds.values())
        print(
            f"| {n_cells} | {steps[0]} + {steps[1]} | {annotator.patch_size_} | {cells} | "
            f"{sum(seconds.values()):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
