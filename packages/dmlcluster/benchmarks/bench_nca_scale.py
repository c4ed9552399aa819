"""NCA at scale: dmlcluster.fast_nca against metric-learn's and scikit-learn's NCA.

Data: synthetic imaging-flow-cytometry features (``dmlcluster.synthetic_ifc``, 4
populations, 40 features); every method sees the same scaling + PCA front end, and
held-out purity is Leiden (resolution 0.5) on 5,000 cells no method was fitted on.
Every measurement runs in a fresh subprocess, so its peak resident memory
(``ru_maxrss``, data included) is its own.

1. Full fits at ``--exact-n`` training cells (default 1,000), where exact NCA is
   affordable: fit time, peak memory, held-out purity for all three, over seeds.
2. One loss-and-gradient evaluation of each exact NCA at growing n: time and peak
   memory, fitted by ``a n^2`` and extrapolated to 20,000 cells (exact NCA holds
   several n x n float64 matrices, which at 20,000 cells outgrow a 24 GiB machine).
3. fast_nca on all 20,000 and on 200,000 training cells: fit time, peak memory,
   held-out purity.
4. Paired, at 20,000 training cells: fast_nca on all of them against both exact NCAs
   on a random ``--subsample`` of them, scored on the same held-out cells.
5. ``--stages exact_large``: exact NCA on all 20,000 training cells against fast_nca
   on the same cells. scikit-learn's (about 12.5 GiB) by default, the one exact NCA
   that fits in 24 GiB there; ``--exact-large-methods sklearn metric_learn`` adds
   metric-learn's, which needs about 25 GiB (RAM plus swap). Long: per seed, about
   40 CPU minutes for scikit-learn's and 2 hours for metric-learn's (7,058 CPU s).

metric-learn's NCA runs with its own defaults (``init="auto"``), as the reference.
Every fit also records the exact NCA objective of its map on all the training cells
(``nca_objective``; up to 50,000 cells) and held-out purity averaged over 5 Leiden
runs, which is less noisy than one run.

    python packages/dmlcluster/benchmarks/bench_nca_scale.py [--seeds 3] [--exact-n 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

HELD_OUT = 5000


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def data(n_train: int, seed: int):
    """Preprocessed (scaled, PCA-rotated) train and held-out cells, and their labels."""
    from morphospace.core import registry
    from morphospace.dmlcluster.pca import PCAEncoder

    adata = registry.load_dataset(
        "dmlcluster.synthetic_ifc",
        n_cells=n_train + HELD_OUT,
        n_features=40,
        train_fraction=n_train / (n_train + HELD_OUT),
        seed=seed,
    )
    x, y = adata.X, adata.obs["population"].to_numpy()
    train = adata.obs["train"].to_numpy()
    return x[train], y[train], x[~train], y[~train], PCAEncoder


def heldout_purity(z, y, seed: int) -> float:
    from morphospace.dmlcluster.label_agreement import purity_score
    from morphospace.dmlcluster.leiden import Leiden

    return purity_score(y, Leiden(resolution=0.5, seed=seed).fit_predict(z))


def heldout_purity_over_leiden_seeds(z, y, n: int = 5) -> float:
    """Mean purity over ``n`` Leiden seeds: one run's partition is a noisy score."""
    return float(np.mean([heldout_purity(z, y, seed) for seed in range(n)]))


def worker_fit(method: str, n_train: int, seed: int, subsample: int = 0) -> dict:
    from sklearn.neighbors import NeighborhoodComponentsAnalysis

    from morphospace.dmlcluster.fast_nca import FastNCAEncoder, nca_objective
    from morphospace.dmlcluster.metric_learn_compat import import_metric_learn
    from morphospace.dmlcluster.nca import NCAEncoder

    import_metric_learn()
    x_all, y_all, x_test, y_test, pca = data(n_train, seed)
    x, y = x_all, y_all
    if subsample:  # fit on a random subset of the training cells, score the same held-out
        chosen = np.random.default_rng(seed).choice(len(x), subsample, replace=False)
        x, y = x[chosen], y[chosen]
    start, start_cpu = time.perf_counter(), time.process_time()
    if method == "fast_nca":
        encoder = FastNCAEncoder(seed=seed).fit(x, y)
        embed, n_iter = encoder.encode, encoder.n_iter_
    elif method == "metric_learn":
        encoder = NCAEncoder(seed=seed, init="auto").fit(x, y)
        embed, n_iter = encoder.encode, encoder.n_iter_
    else:
        front = pca(n_components=40).fit(x)
        model = NeighborhoodComponentsAnalysis(random_state=seed).fit(front.encode(x), y)
        n_iter = model.n_iter_

        def embed(cells):
            return model.transform(front.encode(cells))

    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    rss, z_test = peak_rss_gib(), embed(x_test)
    objective = None  # exact, O(n^2) time: affordable up to tens of thousands of cells
    if len(x_all) <= 50_000:
        objective = nca_objective(embed(x_all), np.unique(y_all, return_inverse=True)[1])
    return {
        "time": elapsed,
        "cpu": cpu,
        "rss": rss,
        "objective": objective,
        "purity": heldout_purity(z_test, y_test, seed),
        "purity_leiden5": heldout_purity_over_leiden_seeds(z_test, y_test),
        "n_iter": int(n_iter),
    }


def worker_eval(method: str, n: int) -> dict:
    """One loss+gradient evaluation of an exact NCA on ``n`` cells."""
    from sklearn.neighbors import NeighborhoodComponentsAnalysis

    from morphospace.dmlcluster.metric_learn_compat import import_metric_learn

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, 40)), rng.integers(0, 4, n)
    if method == "metric_learn":
        model = import_metric_learn().NCA()
    else:
        model = NeighborhoodComponentsAnalysis()
    model.n_iter_ = 0
    start, start_cpu = time.perf_counter(), time.process_time()
    model._loss_grad_lbfgs(0.3 * np.eye(40).ravel(), x, y[:, None] == y[None, :], -1.0)
    return {
        "time": time.perf_counter() - start,
        "cpu": time.process_time() - start_cpu,
        "rss": peak_rss_gib(),
    }


def measure(*args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="paired, exact_large: seeds start here (resumable)",
    )
    parser.add_argument("--exact-n", type=int, default=1000)
    parser.add_argument("--eval-n", type=int, nargs="+", default=[2500, 5000, 10000])
    parser.add_argument("--large-n", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--subsample", type=int, default=1000)
    parser.add_argument("--stages", nargs="+", default=["exact", "eval", "large", "paired"])
    parser.add_argument(
        "--exact-large-methods",
        nargs="+",
        default=["sklearn"],
        choices=["sklearn", "metric_learn"],
        help="exact_large: the exact NCAs (metric_learn needs about 25 GiB: add swap)",
    )
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        kind, method, *rest = args.worker
        numbers = [int(r) for r in rest]
        result = worker_fit(method, *numbers) if kind == "fit" else worker_eval(method, *numbers)
        print(json.dumps(result))
        return

    if "paired" in args.stages:
        paired(args)
    if "exact_large" in args.stages:
        exact_large(args)
    if "exact" not in args.stages:
        return
    print(f"1. full fits on {args.exact_n} training cells, {args.seeds} seeds", flush=True)
    fits = {}
    for method in ["fast_nca", "metric_learn", "sklearn"]:
        fits[method] = [measure("fit", method, args.exact_n, s) for s in range(args.seeds)]
        print(f"   {method} done", flush=True)

    print("2. one loss+gradient evaluation of exact NCA", flush=True)
    evals = {
        m: {n: measure("eval", m, n) for n in args.eval_n} for m in ["metric_learn", "sklearn"]
    }

    print("3. fast_nca on many cells", flush=True)
    large = {
        n: [measure("fit", "fast_nca", n, s) for s in range(args.seeds if n <= 20000 else 1)]
        for n in args.large_n
    }

    def mean_sd(rows, key, digits=3):
        values = [r[key] for r in rows]
        return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"

    names = {
        "fast_nca": "dmlcluster.fast_nca",
        "metric_learn": "metric-learn NCA",
        "sklearn": "scikit-learn NCA",
    }
    print(f"\n### Full fits, {args.exact_n} training cells x 40 features ({args.seeds} seeds)\n")
    print(
        "| method | fit CPU time (s) | fit wall time (s) | peak memory (GiB) | iterations "
        "| held-out purity |"
    )
    print("|---|---|---|---|---|---|")
    for method, rows in fits.items():
        print(
            f"| {names[method]} | {mean_sd(rows, 'cpu', 1)} | {mean_sd(rows, 'time', 1)} | "
            f"{max(r['rss'] for r in rows):.2f} | {np.mean([r['n_iter'] for r in rows]):.0f} | "
            f"{mean_sd(rows, 'purity')} |"
        )

    print("\n### Exact NCA: one loss+gradient evaluation, extrapolated to 20,000 cells\n")
    print(
        "Fitted as a + b n^2 (time and peak memory); a full fit takes at least as many "
        "evaluations as the iterations in the first table.\n"
    )
    print(
        "| method | "
        + " | ".join(f"n={n}: CPU s, GiB" for n in args.eval_n)
        + " | n=20000: CPU s, GiB | n=20000 full fit: CPU s |"
    )
    print("|---|" + "---|" * (len(args.eval_n) + 2))
    extrapolated = {}
    for method, rows in evals.items():
        n2 = np.array(args.eval_n, dtype=float) ** 2
        cpu = np.polyval(np.polyfit(n2, [rows[n]["cpu"] for n in args.eval_n], 1), 20000.0**2)
        rss = np.polyval(np.polyfit(n2, [rows[n]["rss"] for n in args.eval_n], 1), 20000.0**2)
        iters = np.mean([r["n_iter"] for r in fits[method]])
        extrapolated[method] = cpu * iters
        print(
            f"| {names[method]} | "
            + " | ".join(f"{rows[n]['cpu']:.1f}, {rows[n]['rss']:.2f}" for n in args.eval_n)
            + f" | {cpu:.0f}, {rss:.1f} | {cpu * iters:.0f} |"
        )

    print("\n### dmlcluster.fast_nca on many cells\n")
    print(
        "| training cells | fit CPU time (s) | fit wall time (s) | peak memory (GiB) | "
        "held-out purity | CPU speed-up vs extrapolated metric-learn / scikit-learn |"
    )
    print("|---|---|---|---|---|---|")
    for n, rows in large.items():
        cpu = np.mean([r["cpu"] for r in rows])
        speedup = ""
        if n == 20000:
            speedup = (
                f"{extrapolated['metric_learn'] / cpu:.0f}x / {extrapolated['sklearn'] / cpu:.0f}x"
            )
        print(
            f"| {n} | {mean_sd(rows, 'cpu', 1)} | {mean_sd(rows, 'time', 1)} | "
            f"{max(r['rss'] for r in rows):.2f} | {mean_sd(rows, 'purity')} | {speedup} |"
        )


def paired(args) -> None:
    """At 20,000 training cells: fast_nca on all of them against the exact NCAs on a
    random ``--subsample`` of them (what fits in memory), on the same held-out cells."""
    print(f"4. paired at 20000 cells: exact NCA on {args.subsample} of them", flush=True)
    fitted_on = {"fast_nca": 20000, "metric_learn": args.subsample, "sklearn": args.subsample}
    rows = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rows[seed] = {
            method: measure("fit", method, 20000, seed, *([] if n == 20000 else [n]))
            for method, n in fitted_on.items()
        }
        print(f"   seed {seed}: {json.dumps(rows[seed])}", flush=True)
    print(f"\n### Same 20,000 training cells: fast_nca on all, exact NCA on {args.subsample}\n")
    print(
        "| seed | method | cells fitted | NCA objective on all 20,000 | held-out purity, "
        "1 Leiden run / mean of 5 | CPU s | peak GiB | iterations |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for seed, r in rows.items():
        for method, m in r.items():
            print(
                f"| {seed} | {method} | {fitted_on[method]} | {m['objective']:.3f} | "
                f"{m['purity']:.3f} / {m['purity_leiden5']:.3f} | {m['cpu']:.1f} | "
                f"{m['rss']:.2f} | {m['n_iter']} |"
            )
    diffs = [
        r["fast_nca"]["purity_leiden5"] - r["metric_learn"]["purity_leiden5"] for r in rows.values()
    ]
    print(
        f"\nfast_nca minus metric-learn, held-out purity (mean of 5 Leiden runs): "
        f"{np.mean(diffs):+.3f} ± {np.std(diffs):.3f}"
    )


def exact_large(args) -> None:
    """fast_nca against exact NCA (``--exact-large-methods``), all on the same 20,000
    training cells."""
    exact = args.exact_large_methods
    print(f"5. exact NCA ({', '.join(exact)}) on all 20000 training cells", flush=True)
    rows = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rows[seed] = {m: measure("fit", m, 20000, seed) for m in ["fast_nca", *exact]}
        print(f"   seed {seed}: {json.dumps(rows[seed])}", flush=True)
    print("\n### Same 20,000 training cells, exact NCA on all of them\n")
    print(
        "| seed | exact NCA | NCA objective: fast_nca / exact | held-out purity, 1 Leiden run: "
        "fast_nca / exact | mean of 5 Leiden runs: fast_nca / exact | CPU s: fast_nca / exact | "
        "peak GiB: fast_nca / exact | exact L-BFGS iterations |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for seed, r in rows.items():
        f = r["fast_nca"]
        for method in exact:
            e = r[method]
            print(
                f"| {seed} | {method} | {f['objective']:.3f} / {e['objective']:.3f} | "
                f"{f['purity']:.3f} / {e['purity']:.3f} | {f['purity_leiden5']:.3f} / "
                f"{e['purity_leiden5']:.3f} | {f['cpu']:.1f} / {e['cpu']:.0f} | "
                f"{f['rss']:.2f} / {e['rss']:.1f} | {e['n_iter']} |"
            )
    for method in exact:
        for key in ["objective", "purity", "purity_leiden5"]:
            diffs = [r["fast_nca"][key] - r[method][key] for r in rows.values()]
            print(f"\nfast_nca minus {method}, {key}: {np.mean(diffs):+.3f} ± {np.std(diffs):.3f}")


if __name__ == "__main__":
    main()
