"""What the drl benchmark scripts share: the mean ± std table of their per-seed rows."""

from __future__ import annotations

import numpy as np


def mean_std_table(rows: list[dict], columns: list[str]) -> str:
    """A markdown table, one line per method (in order of appearance), mean ± std over seeds."""
    lines = ["| method | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        cells = []
        for column in columns:
            values = np.array([r[column] for r in mine])
            cells.append(f"{values.mean():.3f} ± {values.std():.3f}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
