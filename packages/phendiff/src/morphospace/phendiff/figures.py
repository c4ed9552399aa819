"""PhenDiff's figures: translations with their difference maps, a measurement's
distribution real vs translated per condition, and reconstruction error vs DDIM steps.

Each function returns a matplotlib figure (imported only when drawing), for a notebook,
a benchmark or a run's report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from morphospace.core.figures import Figure, FigureContext

_GRAY = {"cmap": "gray", "vmin": 0, "vmax": 1}


def _blank(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def translation_grid(
    images: np.ndarray,
    translations: Mapping[str, np.ndarray],
    source: Sequence[str] | str,
    channel: int = 0,
    title: str = "",
) -> Any:
    """Each real image (a pair of rows) translated to every target: the translation
    above, translation minus real below (red: brighter, blue: darker, one scale).

    ``images`` ``(N, C, H, W)``; ``translations`` maps each target to its ``(N, C, H, W)``
    translations of ``images``; ``source`` names each image's condition (or all of them).
    """
    import matplotlib.pyplot as plt

    sources = [source] * len(images) if isinstance(source, str) else list(source)
    targets = list(translations)
    difference = {t: translations[t][:, channel] - images[:, channel] for t in targets}
    limit = max((float(np.abs(d).max()) for d in difference.values()), default=0.0) or 1.0
    n_rows, n_cols = 2 * len(images), 1 + len(targets)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.5 * n_cols, 1.5 * n_rows), squeeze=False)
    for i, image in enumerate(images):
        top, bottom = axes[2 * i], axes[2 * i + 1]
        top[0].imshow(image[channel], **_GRAY)
        top[0].set_title(f"real, {sources[i]}", fontsize=7)
        bottom[0].axis("off")
        for column, target in enumerate(targets, start=1):
            top[column].imshow(translations[target][i, channel], **_GRAY)
            top[column].set_title(f"as {target}", fontsize=7)
            bottom[column].imshow(difference[target][i], cmap="RdBu_r", vmin=-limit, vmax=limit)
            bottom[column].set_title("minus real", fontsize=7)
        for ax in (*top, *bottom):
            _blank(ax)
    scale = f"differences on one scale ±{limit:.2f}"
    fig.suptitle(title or f"translations (channel {channel}); {scale}")
    fig.tight_layout()
    return fig


def measurement_by_condition(
    real: Mapping[str, np.ndarray],
    translated: Mapping[str, np.ndarray],
    measurement: str,
    title: str = "",
) -> Any:
    """Box plots of ``measurement`` per condition: real cells beside translated ones.

    ``real`` and ``translated`` map a condition to its values; conditions are drawn in
    the order of ``real``, and a condition missing from either side leaves its box out.
    """
    import matplotlib.pyplot as plt

    conditions = list(real)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(conditions) + 1.5), 3.2))
    where = np.arange(len(conditions), dtype=float)
    for offset, values, colour, label in (
        (-0.18, real, "tab:gray", "real"),
        (0.18, translated, "tab:orange", "translated"),
    ):
        present = [c for c in conditions if c in values and len(values[c])]
        if not present:
            continue
        boxes = ax.boxplot(
            [np.asarray(values[c], dtype=float) for c in present],
            positions=[where[conditions.index(c)] + offset for c in present],
            widths=0.3,
            patch_artist=True,
            showfliers=False,
        )
        for box in boxes["boxes"]:
            box.set_facecolor(colour)
            box.set_alpha(0.7)
        boxes["boxes"][0].set_label(label)
    ax.set_xticks(where, conditions, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(measurement)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title or f"{measurement}: real vs translated", fontsize=9)
    fig.tight_layout()
    return fig


def reconstruction_curve(
    steps: Sequence[int], errors: Sequence[float], between: float | None = None, title: str = ""
) -> Any:
    """Reconstruction error (invert, regenerate under the same condition) against the
    number of DDIM steps, with the distance between conditions as a dashed line."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.0, 3.0))
    ax.plot(steps, errors, "o-", label="reconstruction")
    if between is not None:
        ax.axhline(between, color="tab:red", linestyle="--", label="between conditions")
    ax.set_xscale("log")
    ax.set_xticks(list(steps), [str(s) for s in steps])
    ax.set_xlabel("DDIM steps (each way)")
    ax.set_ylabel("L2 per image")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title or "reconstruction error vs steps", fontsize=9)
    fig.tight_layout()
    return fig


def translation_figure(name: str, context: FigureContext, n_images: int = 4) -> list[Figure]:
    """The translator's report figure: up to ``n_images`` held-out images of other
    conditions than the step's target, translated to it, with the difference map."""
    record = context.record
    if record is None or "target" not in record.reads:
        return []
    target, reads = str(record.reads["target"]), record.reads
    images, translated = context.rep(reads["images"]), context.rep(context.key)
    conditions = context.adata.obs[reads["conditions"]].astype(str).to_numpy()
    rows = [r for r in context.held_out_first() if conditions[r] != target][:n_images]
    if not rows:
        return []
    fig = translation_grid(
        images[rows],
        {target: translated[rows]},
        list(conditions[rows]),
        title=f"{name}: held-out images translated to {target}",
    )
    return [(f"{context.key}: translations to {target}", fig)]
