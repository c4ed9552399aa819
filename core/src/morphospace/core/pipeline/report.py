"""A self-contained HTML report of a pipeline run: metrics, embeddings and method figures.

Figures are PNG files under ``figures/`` and are embedded in ``report.html`` too, so
the report can be mailed as one file. Embeddings are drawn in 2-D (their first two
principal axes when wider) and coloured by every label and cluster column the
pipeline used; a Poincaré embedding is drawn inside its disc. Components add figures
of their own through :meth:`~morphospace.core.component.Component.report_figures`,
given a :class:`~morphospace.core.figures.FigureContext`.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from morphospace.core.figures import FigureContext, project_2d, scatter_by, step_record
from morphospace.core.geometry import Geometry
from morphospace.core.pipeline.schema import Pipeline


def color_columns(pipeline: Pipeline, adata: Any, embedding: str) -> list[str]:
    """The obs columns to colour ``embedding`` by, in the same order for every embedding:
    the known labels (its encoder's, and those its clusters were scored against), then
    the clusters of it, then ``report.color_by``."""
    name = embedding.removeprefix("X_")
    records = [r for r in (step_record(adata, k) for k in adata.uns) if r is not None]
    own = step_record(adata, name)
    clusters = [r.key for r in records if r.use_rep in (embedding, name) and r.key in adata.obs]
    labels = [own.labels if own else None]
    for record in records:
        named = [k for v in record.inputs.values() for k in ([v] if isinstance(v, str) else v)]
        if set(named) & set(clusters):
            labels += [k for k in named if k not in clusters]
    columns = labels + clusters + pipeline.report.color_by
    seen: list[str] = []
    for column in columns:
        if column and column in adata.obs.columns and column not in seen:
            seen.append(column)
    return seen


def embedding_figures(pipeline: Pipeline, adata: Any) -> list[tuple[str, Any]]:
    """One figure per 2-D-drawable embedding, a panel per colouring column."""
    import matplotlib.pyplot as plt

    figures = []
    for key in [k for k in adata.obsm if k.startswith("X_") and np.ndim(adata.obsm[k]) == 2]:
        columns = color_columns(pipeline, adata, key) or [None]
        points, axis_names = project_2d(
            np.asarray(adata.obsm[key]), pipeline.report.view, seed=pipeline.seed
        )
        record = adata.uns.get(key[2:], {})
        geometry = Geometry.from_dict(
            dict(record.get("geometry", {})) if isinstance(record, dict) else None
        )
        fig, axes = plt.subplots(1, len(columns), figsize=(5.2 * len(columns), 4), squeeze=False)
        for ax, column in zip(axes[0], columns, strict=True):
            values = None if column is None else adata.obs[column].to_numpy()
            title = f"{key}" + (f" by {column}" if column else "")
            scatter_by(ax, points, values, title=title, axis_names=axis_names, legend_title=column)
            if geometry.kind == "poincare":
                radius = 1 / np.sqrt(geometry.curvature)
                ax.add_patch(plt.Circle((0, 0), radius, fill=False, color="grey"))
                ax.set_xlim(-1.05 * radius, 1.05 * radius)
                ax.set_ylim(-1.05 * radius, 1.05 * radius)
                ax.set_aspect("equal")
        fig.tight_layout()
        figures.append((f"Embedding {key}", fig))
    return figures


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _metrics_table(metrics: dict[str, dict[str, Any]], adata: Any) -> str:
    """One row per evaluator step, one column per metric, the best of a column in bold
    (where two steps or more report it), and which cells each step scored."""
    if not metrics:
        return "<p>No evaluator ran.</p>"
    names = list(dict.fromkeys(name for values in metrics.values() for name in values))
    best = {}
    for name in names:
        scored = {step: v[name] for step, v in metrics.items() if name in v}
        if len(scored) > 1:
            pick = max if next(iter(scored.values()))["higher_is_better"] else min
            best[name] = pick(scored, key=lambda step: scored[step]["value"])
    header = "".join(
        f"<th>{html.escape(n)} {'&uarr;' if _higher(metrics, n) else '&darr;'}</th>" for n in names
    )
    rows = []
    for step, values in metrics.items():
        record = adata.uns.get(step, {})
        where = record.get("where") if isinstance(record, dict) else None
        cells = []
        for name in names:
            if name not in values:
                cells.append("<td></td>")
                continue
            text = f"{values[name]['value']:.4g}"
            marked = f"<b>{text}</b>" if best.get(name) == step else text
            cells.append(f"<td>{marked}</td>")
        scored = html.escape(where) if where else "all"
        rows.append(f"<tr><td>{html.escape(step)}</td><td>{scored}</td>{''.join(cells)}</tr>")
    return (
        f"<table><tr><th>step</th><th>cells scored</th>{header}</tr>{''.join(rows)}</table>"
        "<p>&uarr; higher is better, &darr; lower; bold: the best of a column.</p>"
    )


def _higher(metrics: dict[str, dict[str, Any]], name: str) -> bool:
    return next(v[name]["higher_is_better"] for v in metrics.values() if name in v)


def _data_summary(adata: Any) -> str:
    """What the result holds: its rows and the arrays and columns the steps wrote."""
    arrays = ", ".join(f"{k} {tuple(v.shape)}" for k, v in adata.obsm.items())
    columns = ", ".join(adata.obs.columns)
    return (
        f"<p>{adata.n_obs} observations (the rows of the result's AnnData: one cell, image "
        f"or volume each). obsm: {html.escape(arrays) or 'none'}. obs: "
        f"{html.escape(columns) or 'none'}.</p>"
    )


def _without_nulls(value: Any) -> Any:
    """``value`` with every unset (None) field and empty block dropped, for reading."""
    if isinstance(value, dict):
        kept = {k: _without_nulls(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def write_report(
    directory: Path, pipeline: Pipeline, adata: Any, metrics: dict, components: dict[str, Any]
) -> Path:
    """Write ``figures/*.png`` and ``report.html`` into ``directory``.

    ``components`` maps each key a step recorded (its adapter's ``recorded_keys``) to
    the component that draws that key's figures.
    """
    import matplotlib

    matplotlib.use("Agg")
    figures = embedding_figures(pipeline, adata)
    for key, component in components.items():
        figures += component.report_figures(FigureContext(adata, key, pipeline.report.split))
    (directory / "figures").mkdir(exist_ok=True)
    blocks = []
    for i, (title, fig) in enumerate(figures):
        data = _png(fig)
        name = f"{i:02d}-{''.join(c if c.isalnum() else '-' for c in title.lower())[:60]}.png"
        (directory / "figures" / name).write_bytes(data)
        encoded = base64.b64encode(data).decode("ascii")
        blocks.append(f"<h3>{html.escape(title)}</h3><img src='data:image/png;base64,{encoded}'>")
    resolved = yaml.safe_dump(
        _without_nulls(pipeline.model_dump(mode="json")), sort_keys=False, width=88
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(pipeline.name)} - morphospace</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}
img{{max-width:100%}}pre{{background:#f6f6f6;padding:1em}}</style></head><body>
<h1>{html.escape(pipeline.name)}</h1><p>{html.escape(pipeline.description)}</p>
{_data_summary(adata)}
<h2>Metrics</h2>{_metrics_table(metrics, adata)}
<h2>Figures</h2>{"".join(blocks) or "<p>No figures.</p>"}
<h2>Resolved pipeline</h2><details><summary>the pipeline as it ran, unset fields left out
(pipeline.resolved.yaml has every field)</summary><pre>{html.escape(resolved)}</pre></details>
</body></html>
"""
    path = directory / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
