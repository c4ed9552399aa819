"""Synthetic imaging-flow-cytometry feature tables, for tests and benchmarks.

Per-cell features of the kind image analysis software reports (area, perimeter,
eccentricity, radial moment, per-channel intensity and texture, channel
correlations), generated from a few latent factors:

* ``n_populations`` cell populations. Even-numbered ones differ from the others in
  their mean marker intensities (linearly separable); each odd-numbered population
  shares the means of the one before it and differs only in how two markers co-vary
  (XOR-like: both high or both low versus one high one low), so it is separable only
  non-linearly.
* heavy-tailed intensities: log-normal brightness times a Student-t (3 dof) factor;
* a continuous cell-cycle trajectory shared by all populations: DNA content goes from
  2N (G1) through S to 4N (G2/M), and area and radial moment grow with it.

The remaining features up to ``n_features`` are noisy linear mixtures of these, as
correlated measurements are in real feature tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from morphospace.core.errors import InputError
from morphospace.dmlcluster.datasets import stratified_split


def make_imaging_flow_cytometry(
    n_cells: int = 2000,
    n_populations: int = 4,
    n_features: int = 40,
    train_fraction: float = 0.5,
    seed: int = 0,
):
    """An AnnData ``n_cells x n_features``; ``obs``: population, phase, cycle_position, train."""
    import anndata

    if n_populations < 2:
        raise InputError(f"n_populations: expected at least 2, got {n_populations}")
    if n_features < 16:
        raise InputError(f"n_features: expected at least 16 (the named features), got {n_features}")
    if n_cells < 2 * n_populations:
        raise InputError(f"n_cells: expected at least {2 * n_populations}, got {n_cells}")
    rng = np.random.default_rng(seed)
    population = rng.integers(0, n_populations, n_cells)

    # cell cycle: position t in [0, 1); G1 (t < .5) 2N, S (.5-.8) replicating, G2/M 4N
    t = rng.random(n_cells)
    dna = 2.0 + 2.0 * np.clip((t - 0.5) / 0.3, 0, 1)
    phase = np.where(t < 0.5, "G1", np.where(t < 0.8, "S", "G2M"))

    # marker means: pairs of populations (2k, 2k+1) share them
    n_markers = 4
    pair = population // 2
    pair_means = rng.normal(0.0, 1.0, (n_populations // 2 + 1, n_markers))
    marker_log = pair_means[pair] + 0.35 * rng.normal(size=(n_cells, n_markers))
    # odd populations: markers 2 and 3 anti-correlated, even ones: correlated
    sign = np.where(population % 2 == 1, -1.0, 1.0)
    shared = rng.normal(size=n_cells)
    marker_log[:, 2] += 0.8 * shared
    marker_log[:, 3] += 0.8 * sign * shared
    brightness = np.exp(0.4 * rng.normal(size=n_cells))  # log-normal cell brightness
    spikes = np.abs(rng.standard_t(3, size=(n_cells, n_markers))) * 0.15 + 1.0
    intensity = np.exp(marker_log) * brightness[:, None] * spikes

    size_factor = rng.normal(0.0, 0.15, n_cells) + 0.1 * (population % 3)
    area = 120.0 * (dna / 2.0) ** (2 / 3) * np.exp(size_factor)
    perimeter = 2 * np.sqrt(np.pi * area) * (1 + np.abs(rng.normal(0, 0.05, n_cells)))
    eccentricity = np.clip(0.3 + 0.1 * (population % 2) + rng.normal(0, 0.12, n_cells), 0, 0.99)
    radial_moment = area * (1 + eccentricity**2) / (2 * np.pi) * np.exp(rng.normal(0, 0.1, n_cells))
    dna_intensity = dna * 500 * brightness * np.exp(rng.normal(0, 0.08, n_cells))
    texture = np.log1p(intensity) * (1 + 0.2 * rng.standard_t(5, size=(n_cells, n_markers)))
    correlation_23 = np.tanh(0.6 * sign + rng.normal(0, 0.5, n_cells))
    correlation_01 = np.tanh(0.2 * (population % 3) + rng.normal(0, 0.5, n_cells))

    named = {
        "area": area,
        "perimeter": perimeter,
        "eccentricity": eccentricity,
        "radial_moment": radial_moment,
        "dna_intensity": dna_intensity,
        **{f"intensity_ch{c + 1}": intensity[:, c] for c in range(n_markers)},
        **{f"texture_ch{c + 1}": texture[:, c] for c in range(n_markers)},
        "correlation_ch1_ch2": correlation_01,
        "correlation_ch3_ch4": correlation_23,
        "aspect_ratio": 1 / np.sqrt(1 - eccentricity**2),
    }
    base = np.column_stack(list(named.values()))
    names = list(named)
    n_extra = n_features - base.shape[1]
    if n_extra > 0:
        standardised = (base - base.mean(0)) / base.std(0)
        mixing = rng.normal(0, 1, (base.shape[1], n_extra)) * (
            rng.random((base.shape[1], n_extra)) < 0.2
        )
        extra = standardised @ mixing + rng.normal(0, 1.0, (n_cells, n_extra))
        base = np.column_stack([base, extra])
        names += [f"derived_{i}" for i in range(n_extra)]
    labels = np.array([f"P{p}" for p in population])
    obs = pd.DataFrame(
        {
            "population": pd.Categorical(
                labels, categories=[f"P{p}" for p in range(n_populations)]
            ),
            "phase": pd.Categorical(phase, categories=["G1", "S", "G2M"]),
            "cycle_position": t,
            "train": stratified_split(labels, train_fraction, seed + 1),
        },
        index=[f"cell{i}" for i in range(n_cells)],
    )
    return anndata.AnnData(X=base.astype(np.float32), obs=obs, var=pd.DataFrame(index=names))
