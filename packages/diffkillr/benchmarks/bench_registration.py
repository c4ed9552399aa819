"""Registration of archetypes onto deformed cells: DSC / IoU of the propagated mask,
NCC and L1 of the warped image, folding and runtime, for the paper's registration
ablation (its Table II): DiffKillR's UNet, VoxelMorph, VoxelMorph-diff and a CorrMLP-like
network, each with the SVF (diffeomorphic) or plain displacement output.

Protocol per seed: the DiffeoMappingNet trains on the 4 archetype patches and their
masks only (pairs of an archetype and a random diffeomorphism of it, whose deformed mask
is known: the soft Dice term, ``mask_weight``); test pairs are 200 *new* random
diffeomorphisms of the archetypes (known true field) and 200 other cells of the same
shape. Registrars: the rows of ``VARIANTS`` (``--variants`` picks some), every one
trained with the same losses (mask term included) and steps except the row without
it. The 3 best flips/90-degree rotations of each pair (by NCC) are registered and the
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
    "VoxelMorph": {"backbone": "voxelmorph", "integration": "displacement"},
    "VoxelMorph-diff": {"backbone": "voxelmorph"},
    "CorrMLP-like": {"backbone": "corrmlp", "integration": "displacement"},
    "CorrMLP-like, svf": {"backbone": "corrmlp"},
}


def evaluate(registrar, adata) -> dict[str, float]:
    query = ~adata.obs["bank"].to_numpy()
    moving = adata.obsm["archetype_image"][query]
    fixed = adata.obsm["image"][query]
    aligned, chosen, _ = prealign.prealign(moving, fixed, "ncc")
    network = registrar.register(aligned, fixed, prealign="none")  # for folding
    t = time.perf_counter()
    total = registrar.register(moving, fixed)  # best of 3 pre-alignments, registered
    seconds = time.perf_counter() - t
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
    out["image L1"] = images["l1"][0]
    out["ms per pair (3 pre-alignments)"] = 1000 * seconds / len(moving)
    if "endpoint_error" in images:
        out["field end-point error, px"] = images["endpoint_error"][0]
    return out


def main() -> None:
    args = setup(__doc__, variants=list(VARIANTS))
    rows: dict[str, list[float]] = defaultdict(list)
    for seed in range(args.seeds):
        augmented, instances = query_sets(seed)
        in_bank = augmented.obs["bank"].to_numpy()
        bank, bank_masks = augmented.obsm["image"][in_bank], augmented.obsm["mask"][in_bank]
        for variant in args.variants:
            params = VARIANTS[variant]
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
