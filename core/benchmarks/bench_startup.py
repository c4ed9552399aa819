"""How long `morphospace plugins` takes next to `python -c "import torch"`.

Goal (issue 2): listing every installed plugin costs less than half of importing
torch, because discovery reads entry points and light plugin modules only.
Run: python core/benchmarks/bench_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def wall_time(command: list[str], repeat: int) -> float:
    """Median wall time of ``command`` over ``repeat`` runs, after one warm-up run."""
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    rows = [
        ("python -c pass", [python, "-c", "pass"]),
        ("import morphospace.core", [python, "-c", "import morphospace.core"]),
        ("morphospace plugins", [python, "-m", "morphospace.core", "plugins"]),
        ("morphospace info <first component>", None),
        ('python -c "import torch"', [python, "-c", "import torch"]),
    ]
    listing = subprocess.run(
        [python, "-m", "morphospace.core", "plugins", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    import json

    components = json.loads(listing)["components"]
    n_plugins = len(json.loads(listing)["plugins"])
    results = {}
    print(
        f"{n_plugins} plugins, {len(components)} components installed; median of {args.repeat} runs"
    )
    print(f"{'command':<38} {'seconds':>8}")
    for label, command in rows:
        if command is None:
            if not components:
                continue
            command = [python, "-m", "morphospace.core", "info", components[0]["name"]]
            label = f"morphospace info {components[0]['name']}"
        try:
            results[label] = wall_time(command, args.repeat)
        except subprocess.CalledProcessError:
            print(f"{label:<38} {'failed':>8}")
            continue
        print(f"{label:<38} {results[label]:>8.3f}")
    if 'python -c "import torch"' in results:
        ratio = results["morphospace plugins"] / results['python -c "import torch"']
        verdict = "met" if ratio < 0.5 else "NOT met"
        print(f"\nmorphospace plugins / import torch = {ratio:.2f} (goal < 0.50: {verdict})")


if __name__ == "__main__":
    main()
