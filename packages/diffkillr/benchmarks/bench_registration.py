"""Registration of archetypes onto deformed cells: DSC / IoU of the propagated mask,
field error, NCC, and folding of the diffeomorphic (SVF) registrar vs the plain UNet.

Protocol per seed: the DiffeoMappingNet trains on the 4 archetype patches and their
masks only (pairs of an archetype and a random diffeomorphism of it, whose deformed mask
is known: the soft Dice term, ``mask_weight``); test pairs are 200 *new* random
diffeomorphisms of the archetypes (known true field) and 200 other cells of the same
shape. Registrars: SVF (the DiffeoMappingNet), SVF without the mask term, and the plain
UNet (with it). The 3 best flips/90-degree rotations of each pair (by NCC) are registered and the
best result kept; folding is measured on the network's own field after the best
pre-alignment (a flip alone has a negative Jacobian).

    python packages/diffkillr/benchmarks/bench_registration.py --seeds 3 --steps 300
"""

from __future__ import annotations

import time
from collections import defaultdict

from common import query_sets, setup, table

from morphospace.diffkillr import prealign
from morphospace.diffkillr.mapping_net import DiffeoMappingNet
from morphospace.diffkillr.registration import dice_iou, registration_scores

VARIANTS = {
    "svf": {},
    "svf, no mask loss": {"mask_weight": 0.0},
    "displacement": {"integration": "displacement"},
}


def evaluate(registrar, adata) -> dict[str, float]:
    query = ~adata.obs["bank"].to_numpy()
    moving = adata.obsm["archetype_image"][query]
    fixed = adata.obsm["image"][query]
    aligned, chosen, _ = prealign.prealign(moving, fixed, "ncc")
    network = registrar.register(aligned, fixed, prealign="none")  # for folding
    total = registrar.register(moving, fixed)  # best of 3 pre-alignments, registered
    masks = total.warp(adata.obsm["archetype_mask"][query], interpolation="nearest")
    dsc, iou = dice_iou(adata.obsm["mask"][query], masks)
    unregistered, _ = dice_iou(adata.obsm["mask"][query], adata.obsm["archetype_mask"][query])
    prealigned, _ = dice_iou(
        adata.obsm["mask"][query], prealign.apply(adata.obsm["archetype_mask"][query], chosen)
    )
    out = {
        "mask DSC": float(dsc.mean()),
        "mask IoU": float(iou.mean()),
        "mask DSC, pre-alignment only": float(prealigned.mean()),
        "mask DSC, no registration": float(unregistered.mean()),
        "folding fraction (network field)": network.folding_fraction(),
    }
    truth = adata.obsm.get("displacement")
    images = registration_scores(
        images_true=fixed,
        images_pred=total.warp(moving, padding="border"),
        displacement_true=None if truth is None else truth[query],
        displacement_pred=total.field,
    )
    out["image NCC"] = images["ncc"][0]
    if "endpoint_error" in images:
        out["field end-point error, px"] = images["endpoint_error"][0]
    return out


def main() -> None:
    args = setup(__doc__)
    rows: dict[str, list[float]] = defaultdict(list)
    for seed in range(args.seeds):
        augmented, instances = query_sets(seed)
        in_bank = augmented.obs["bank"].to_numpy()
        bank, bank_masks = augmented.obsm["image"][in_bank], augmented.obsm["mask"][in_bank]
        for variant, params in VARIANTS.items():
            registrar = DiffeoMappingNet(training={"n_steps": args.steps}, seed=seed, **params)
            t = time.perf_counter()
            registrar.fit(bank, bank_masks)
            rows[f"training time s ({variant})"].append(time.perf_counter() - t)
            for tag, adata in (("augmented", augmented), ("other cells", instances)):
                for name, value in evaluate(registrar, adata).items():
                    rows[f"[{tag}] {name} ({variant})"].append(value)
        dsc = {k: f"{v[-1]:.3f}" for k, v in rows.items() if "] mask DSC (" in k}
        print(f"seed {seed}: {dsc}", flush=True)
    rows = dict(sorted(rows.items()))
    table(f"Registration, {args.steps} steps", rows, args.seeds)


if __name__ == "__main__":
    main()
