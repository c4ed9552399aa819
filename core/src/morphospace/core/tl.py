"""AnnData tools in scanpy's style: read keys, run a component, write results back.

``encode`` writes ``obsm["X_<key>"]``, ``segment`` label maps to ``obsm[<key>]`` and
tables to ``uns[<key>]``, ``cluster`` a categorical ``obs[<key>]``,
``evaluate`` ``uns["metrics"][<key>]``; ``register`` and ``translate`` write image
arrays to ``obsm``. Each records what it ran in ``uns[<key>]`` and takes ``key_added``
to choose the key. A component is given as an instance or as a registry name plus
its params. Every function returns the fitted component (or the metrics).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from morphospace.core.distributed import current_cluster, encode_in_chunks, translate_in_chunks
from morphospace.core.errors import InputError
from morphospace.core.geometry import Geometry, check_input_kind
from morphospace.core.segmentation import Segmentation
from morphospace.core.validation import check_array, check_labels

if TYPE_CHECKING:
    import pandas as pd
    from anndata import AnnData

    from morphospace.core.interfaces import (
        Clusterer,
        Encoder,
        Evaluator,
        Registrar,
        Segmenter,
        Translator,
    )
    from morphospace.core.metric import Metric

METRICS_KEY = "metrics"


# ---------------------------------------------------------------------- reading keys
def as_component(kind: str, component: Any, params: dict[str, Any]) -> Any:
    """An instance of ``component`` (a registry name or an instance) of ``kind``."""
    from morphospace.core.interfaces import INTERFACES
    from morphospace.core.registry import create

    if isinstance(component, str):
        return create(kind, component, **params)
    if not isinstance(component, INTERFACES[kind]):
        raise InputError(
            f"expected a {kind} (an instance or a registry name), found {type(component).__name__}"
        )
    if params:
        raise InputError(
            f"parameters {sorted(params)} were given with an already created {component.name}; "
            "pass them to its constructor instead"
        )
    return component


def default_key(component: Any) -> str:
    """The key a component's results go under unless ``key_added`` says otherwise."""
    return component.name.rsplit(".", 1)[-1].lower()


def get_rep(adata: AnnData, use_rep: str | None, lazy: bool = False) -> np.ndarray:
    """``adata.X`` for ``None``/``"X"``, else ``adata.obsm[use_rep]`` (``X_`` optional).

    With ``lazy``, a dask array (an image read with ``lazy=True``) is returned as it is,
    for a component applied chunk by chunk on a cluster; otherwise it is read."""
    if use_rep in (None, "X"):
        if adata.X is None:
            raise InputError("adata.X is empty; pass use_rep= naming an obsm key")
        x = adata.X
        return np.asarray(x.toarray() if hasattr(x, "toarray") else x)
    for key in (use_rep, f"X_{use_rep}"):
        if key in adata.obsm:
            value = adata.obsm[key]
            if lazy and hasattr(value, "chunks") and hasattr(value, "compute"):
                return value
            return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    raise InputError(
        f"use_rep={use_rep!r} is not in adata.obsm; available keys: "
        f"{', '.join(adata.obsm.keys()) or 'none'} (or 'X')"
    )


def get_obs(adata: AnnData, key: str, what: str = "labels") -> np.ndarray:
    """Column ``key`` of ``adata.obs`` as an array, with a clear error if it is absent."""
    if key not in adata.obs.columns:
        raise InputError(
            f"{what} column {key!r} is not in adata.obs; available columns: "
            f"{', '.join(map(str, adata.obs.columns)) or 'none'}"
        )
    return adata.obs[key].to_numpy()


def get_factors(adata: AnnData, keys: str | Sequence[str], what: str = "factors") -> pd.DataFrame:
    """Obs columns ``keys`` (one name or several) as a DataFrame, in the order given."""
    names = [keys] if isinstance(keys, str) else list(keys)
    if not names:
        raise InputError(f"{what}: name at least one obs column")
    for key in names:
        get_obs(adata, key, what)
    return adata.obs[names].reset_index(drop=True)  # positions, as the other inputs


def _evaluator_input(adata: AnnData, kind: str, key: Any, name: str, rows: np.ndarray) -> Any:
    """The rows ``rows`` of what an evaluator input of ``kind`` names."""
    if kind == "factors":
        return get_factors(adata, key, name)[rows].reset_index(drop=True)
    if not isinstance(key, str):
        raise InputError(f"{name} ({kind}) names one key, found {key!r}")
    data = get_obs(adata, key, name) if kind == "labels" else get_rep(adata, key)
    return data[rows]


def select(adata: AnnData, where: str | None) -> np.ndarray:
    """A boolean row mask from ``"col"``, ``"~col"``, ``"col == value"`` or ``"col != value"``."""
    if where is None:
        return np.ones(adata.n_obs, dtype=bool)
    text = where.strip()
    for op in ("==", "!="):
        if op in text:
            key, value = (part.strip().strip("'\"") for part in text.split(op, 1))
            column = get_obs(adata, key, "selection").astype(str)
            mask = column == value
            return mask if op == "==" else ~mask
    negate = text.startswith("~")
    column = get_obs(adata, text.lstrip("~").strip(), "selection")
    if column.dtype != bool:
        raise InputError(
            f"selection {where!r}: column {text.lstrip('~')!r} must be boolean, found "
            f"{column.dtype}; write 'column == value' to select by value"
        )
    return ~column if negate else column


def complement(where: str) -> str:
    """The selection of every other cell: ``train`` -> ``~train``, ``a == b`` -> ``a != b``."""
    text = where.strip()
    if "==" in text:
        return text.replace("==", "!=", 1)
    if "!=" in text:
        return text.replace("!=", "==", 1)
    return text[1:].strip() if text.startswith("~") else f"~{text}"


def geometry_of(adata: AnnData, use_rep: str | None) -> tuple[Geometry, str]:
    """The geometry recorded for ``use_rep`` by :func:`encode`, and who produced it."""
    key = (use_rep or "X").removeprefix("X_")
    record = adata.uns.get(key, {})
    if isinstance(record, dict) and "geometry" in record:
        return Geometry.from_dict(dict(record["geometry"])), str(record.get("component", key))
    return Geometry(), f"adata.{'X' if use_rep in (None, 'X') else f'obsm[{use_rep!r}]'}"


def _record(adata: AnnData, key: str, component: Any, **keys: Any) -> None:
    adata.uns[key] = {
        "component": component.name,
        "params": component.get_params(),
        **{k: v for k, v in keys.items() if v is not None},
    }


# ---------------------------------------------------------------------- tools
def encode(
    adata: AnnData,
    encoder: Encoder | str,
    *,
    use_rep: str | None = None,
    labels: str | None = None,
    fit: bool = True,
    fit_on: str | None = None,
    key_added: str | None = None,
    **params: Any,
) -> Encoder:
    """Fit ``encoder`` (on the rows selected by ``fit_on``) and embed every cell.

    ``labels`` names the obs column a supervised encoder learns from. Writes
    ``obsm["X_<key_added>"]`` and ``uns[<key_added>]`` (component, params, geometry).
    Label maps and per-object tables come from a Segmenter: see :func:`segment`.
    """
    enc = as_component("encoder", encoder, params)
    client = current_cluster()
    x = get_rep(adata, use_rep, lazy=client is not None)
    check_input_kind(x.shape, enc.input_kinds, enc.name, f"use_rep={use_rep or 'X'!r}")
    if fit:
        rows = select(adata, fit_on)
        if not rows.any():
            raise InputError(f"fit_on={fit_on!r} selects no cells")
        if not rows.all() and x.dtype.kind == "f":  # report NaN at its AnnData row
            check_array(x, name=f"use_rep={use_rep or 'X'!r}")
        y = None
        if labels is not None:
            y = check_labels(get_obs(adata, labels), adata.n_obs, name=f"obs[{labels!r}]")[rows]
        elif enc.config.requires_labels:
            raise InputError(f"{enc.name} learns from labels: pass labels='<obs column>'")
        enc.fit(x[rows], y)
    if client is not None:  # chunk by chunk on the cluster: the same rows
        z = np.asarray(encode_in_chunks(enc, x, client).compute())
    else:
        z = enc.encode(x)
    z = check_array(z, name=f"{enc.name} output", ndim=2)
    if z.shape[0] != adata.n_obs:
        raise InputError(f"{enc.name} returned {z.shape[0]} outputs for {adata.n_obs} observations")
    key = key_added or default_key(enc)
    adata.obsm[f"X_{key}"] = z
    geometry = enc.geometry.to_dict()
    _record(
        adata, key, enc, use_rep=use_rep or "X", labels=labels, fit_on=fit_on, geometry=geometry
    )
    return enc


def segment(
    adata: AnnData,
    segmenter: Segmenter | str,
    *,
    use_rep: str,
    labels: str | None = None,
    fit: bool = True,
    fit_on: str | None = None,
    key_added: str | None = None,
    **params: Any,
) -> Segmenter:
    """Fit ``segmenter`` (on the rows ``fit_on`` selects) and segment every observation.

    ``use_rep`` names the images or volumes in ``obsm``; ``labels`` optional
    annotations in ``obsm`` the method learns from. Writes the label maps to
    ``obsm[<key_added>]``, each per-object table to ``uns[<key_added>][<name>]`` (its
    ``obs`` column as obs names) and the record of the call to ``uns[<key_added>]``.
    """
    seg = as_component("segmenter", segmenter, params)
    client = current_cluster()
    x = get_rep(adata, use_rep, lazy=client is not None)
    check_input_kind(x.shape, seg.input_kinds, seg.name, f"use_rep={use_rep!r}")
    if fit:
        rows = select(adata, fit_on)
        if not rows.any():
            raise InputError(f"fit_on={fit_on!r} selects no observations")
        y = None if labels is None else get_rep(adata, labels)[rows]
        seg.fit(x[rows], y)
    result = seg.segment(x) if client is None else seg.segment_on_cluster(x, client)
    if not isinstance(result, Segmentation):
        raise InputError(
            f"{seg.name}.segment must return a Segmentation, found {type(result).__name__}"
        )
    if len(result) != adata.n_obs:
        raise InputError(
            f"{seg.name} returned {len(result)} label maps for {adata.n_obs} observations"
        )
    key = key_added or default_key(seg)
    adata.obsm[key] = result.label_maps
    _record(adata, key, seg, use_rep=use_rep, labels=labels, fit_on=fit_on)
    import pandas as pd

    names = adata.obs_names
    for name, table in result.tables.items():
        if name in adata.uns[key]:
            raise InputError(f"{seg.name}: the table name {name!r} is taken in uns[{key!r}]")
        if "obs" in table.columns:
            rows = table["obs"].to_numpy()
            table = table.assign(obs=pd.Categorical(names[rows], categories=names))
        adata.uns[key][name] = table
    return seg


def cluster(
    adata: AnnData,
    clusterer: Clusterer | str,
    *,
    use_rep: str | None = None,
    key_added: str | None = None,
    **params: Any,
) -> Clusterer:
    """Cluster the embedding ``use_rep`` into a categorical ``obs[<key_added>]``.

    The geometry :func:`encode` recorded for ``use_rep`` is checked against the
    clusterer before any work.
    """
    clu = as_component("clusterer", clusterer, params)
    geometry, producer = geometry_of(adata, use_rep)
    clu.check_geometry(geometry, producer)
    z = get_rep(adata, use_rep)
    labels = np.asarray(clu.fit_predict(z, geometry=geometry))
    if labels.shape != (adata.n_obs,):
        raise InputError(
            f"{clu.name} returned labels of shape {labels.shape} for {adata.n_obs} cells"
        )
    key = key_added or default_key(clu)
    values = labels.astype(int)
    import pandas as pd

    adata.obs[key] = pd.Categorical(
        values.astype(str), categories=[str(v) for v in np.unique(values)]
    )
    _record(adata, key, clu, use_rep=use_rep or "X", n_clusters=int(len(np.unique(values))))
    return clu


def evaluate(
    adata: AnnData,
    evaluator: Evaluator | str,
    *,
    key_added: str | None = None,
    where: str | None = None,
    params: dict[str, Any] | None = None,
    **inputs: str | Sequence[str],
) -> dict[str, Metric]:
    """Score with ``evaluator``; each input names an obs column or obsm key.

    A ``"factors"`` input names several obs columns and reaches the evaluator as a
    DataFrame of those columns.

    ``where`` restricts scoring to some cells (e.g. ``"~train"`` for held-out cells).
    Metrics go to ``uns["metrics"][<key_added>]`` and are returned.
    """
    ev = as_component("evaluator", evaluator, params or {})
    declared = ev.config.inputs
    unknown = sorted(set(inputs) - set(declared))
    missing = sorted(set(declared) - set(inputs) - set(ev.config.optional_inputs))
    if unknown or missing:
        raise InputError(
            f"{ev.name} takes the inputs {', '.join(f'{k} ({v})' for k, v in declared.items())}; "
            + (f"unknown: {', '.join(unknown)}. " if unknown else "")
            + (f"missing: {', '.join(missing)}." if missing else "")
        )
    rows = select(adata, where)
    if not rows.any():
        raise InputError(f"where={where!r} selects no cells")
    values = {
        name: _evaluator_input(adata, declared[name], key, name, rows)
        for name, key in inputs.items()
    }
    metrics = ev.evaluate(**values)
    key = key_added or default_key(ev)
    store = dict(adata.uns.get(METRICS_KEY, {}))
    store[key] = {name: metric.to_dict() for name, metric in metrics.items()}
    adata.uns[METRICS_KEY] = store
    _record(adata, key, ev, where=where, inputs=dict(inputs))
    return metrics


def register(
    adata: AnnData,
    registrar: Registrar | str,
    *,
    moving: str,
    fixed: str,
    moving_labels: str | None = None,
    fit: bool = True,
    key_added: str | None = None,
    **params: Any,
) -> Registrar:
    """Register ``obsm[moving]`` onto ``obsm[fixed]`` image by image.

    Writes the warped images to ``obsm[<key_added>]`` and the displacement fields
    ``(N, 2, H, W)`` to ``obsm[<key_added>_displacement]``. ``moving_labels`` names
    label maps ``(N, C, H, W)`` drawn on the moving images (masks, instance ids); they
    are carried along the same fields with nearest interpolation, so their values stay
    labels, into ``obsm[<key_added>_labels]``.
    """
    reg = as_component("registrar", registrar, params)
    moving_images = get_rep(adata, moving)
    fixed_images = get_rep(adata, fixed)
    check_input_kind(moving_images.shape, ("images",), reg.name, f"obsm[{moving!r}]")
    check_input_kind(fixed_images.shape, ("images",), reg.name, f"obsm[{fixed!r}]")
    labels = None
    if moving_labels is not None:
        labels = get_rep(adata, moving_labels)
        if labels.ndim != 4 or labels.shape[2:] != moving_images.shape[2:]:
            raise InputError(
                f"moving_labels obsm[{moving_labels!r}] must be label maps (N, C, H, W) of "
                f"the moving images' size {moving_images.shape[2:]}, found shape {labels.shape}"
            )
    if fit:
        reg.fit(np.concatenate([moving_images, fixed_images]))
    deformation = reg.register(moving_images, fixed_images)
    key = key_added or default_key(reg)
    adata.obsm[key] = deformation.warp(moving_images)
    adata.obsm[f"{key}_displacement"] = deformation.field
    if labels is not None:
        adata.obsm[f"{key}_labels"] = deformation.warp(labels, interpolation="nearest")
    _record(adata, key, reg, moving=moving, fixed=fixed, moving_labels=moving_labels)
    return reg


def translate(
    adata: AnnData,
    translator: Translator | str,
    *,
    images: str,
    conditions: str,
    target: Any,
    fit: bool = True,
    fit_on: str | None = None,
    key_added: str | None = None,
    **params: Any,
) -> Translator:
    """Translate every image from its own condition (``obs[conditions]``) to ``target``.

    The translator is fitted on the rows ``fit_on`` selects (e.g. ``"train"``), then
    translates every row. The translations go to ``obsm[<key_added>]``. ``target`` may
    also be a list of conditions: the translator is fitted once and each target's
    translations go to ``obsm[<key_added>_<target>]`` (see :func:`translation_keys`).
    """
    tr = as_component("translator", translator, params)
    client = current_cluster()
    x = get_rep(adata, images, lazy=client is not None)
    check_input_kind(x.shape, ("images",), tr.name, f"obsm[{images!r}]")
    source = check_labels(get_obs(adata, conditions, "conditions"), adata.n_obs, name=conditions)
    if fit:
        rows = select(adata, fit_on)
        if not rows.any():
            raise InputError(f"fit_on={fit_on!r} selects no cells")
        tr.fit(x[rows], source[rows])
    key = key_added or default_key(tr)
    keys = translation_keys(key, target)
    if client is not None:  # chunk by chunk on the cluster: the same images
        lazy = translate_in_chunks(tr, x, source, list(keys.values()), client)
        translations = client.compute(lazy, sync=True)  # together: each chunk inverted once
    elif isinstance(target, list | tuple):
        translations = tr.translate_to_each(x, source, list(keys.values()))
    else:
        translations = [tr.translate(x, source, target)]
    for (name, each), translated in zip(keys.items(), translations, strict=True):
        adata.obsm[name] = np.asarray(translated)
        _record(
            adata, name, tr, images=images, conditions=conditions, target=str(each), fit_on=fit_on
        )
    return tr


def translation_keys(key: str, target: Any) -> dict[str, Any]:
    """``{obsm key: target}``: ``key`` for one target, ``<key>_<target>`` for each of a list."""
    if isinstance(target, list | tuple):
        if not target:
            raise InputError("target: name at least one condition")
        return {f"{key}_{each}": each for each in target}
    return {key: target}
