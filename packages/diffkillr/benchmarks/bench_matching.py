"""Matching cells to the archetype bank: top-1 / top-3 accuracy and MAP.

Protocol per seed: one archetype cell per shape (4 shapes) forms the bank; the
DiffeoInvariantNet trains on those 4 patches only (with random diffeomorphisms); the
queries are (a) 200 random realistic diffeomorphisms of the archetypes, as in the
paper's matching experiment, and (b) 200 *other* cells of the same shapes (new size,
angle, texture). Baseline: cosine similarity of raw pixels.

    python packages/diffkillr/benchmarks/bench_matching.py --seeds 3 --steps 300
"""

from __future__ import annotations

from collections import defaultdict

from common import query_sets, setup, table

from morphospace.diffkillr.invariant_net import DiffeoInvariantNet
from morphospace.diffkillr.matching import retrieval_scores


def scores_for(adata, encoder) -> dict[str, float]:
    bank = adata.obs["bank"].to_numpy()
    labels = adata.obs["cell_type"].astype(str).to_numpy()
    images = adata.obsm["image"]
    out = {}
    for name, z in (
        ("DiffeoInvariantNet", encoder.encode(images)),
        ("raw pixels", images.reshape(len(images), -1)),
    ):
        s = retrieval_scores(z[~bank], labels[~bank], z[bank], labels[bank], top_k=(1, 3))
        out.update({f"{key} ({name})": value for key, value in s.items()})
    return out


def main() -> None:
    args = setup(__doc__)
    rows: dict[str, list[float]] = defaultdict(list)
    for seed in range(args.seeds):
        augmented, instances = query_sets(seed)
        bank = augmented.obs["bank"].to_numpy()
        encoder = DiffeoInvariantNet(training={"n_steps": args.steps}, seed=seed).fit(
            augmented.obsm["image"][bank], augmented.obs["cell_type"].to_numpy()[bank]
        )
        for tag, adata in (("augmented", augmented), ("other cells", instances)):
            for name, value in scores_for(adata, encoder).items():
                rows[f"[{tag}] {name}"].append(value)
        print(f"seed {seed} done", flush=True)
    table(f"Matching to 4 archetypes, {args.steps} steps", rows, args.seeds)


if __name__ == "__main__":
    main()
