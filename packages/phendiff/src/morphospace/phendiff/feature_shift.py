"""Does translation move classical measurements the way the real condition change does?

PhenDiff reads a subtle phenotype from the difference between a source image and its
translation. Here every set (real source, real target, translated source) is measured
with :func:`morphospace.phendiff.measurements.measure`, and for the chosen
``measurement``:

- ``shift_error``: |translated shift - real shift|, where the real shift is the real
  target mean minus the source mean and the translated shift the translated mean minus
  the source mean, in the measurement's units; 0 when translation moves the measurement
  exactly as the real change does (lower is better);
- ``shift_agreement`` = ``1 - |1 - translated shift / real shift|``, 1 when translation
  moves the measurement exactly as far as the real change, 0 when it does not move it
  (or moves it twice as far), clipped at -1; higher is better;
- ``ks_pvalue``: p-value of a two-sample Kolmogorov-Smirnov test between the real target
  and the translated values (higher: indistinguishable), with ``ks_statistic`` (lower is
  better);
- ``feature_correlation``: Pearson correlation, across every measured feature
  (standardised by the source's std), of the real shift and the translated shift (higher
  is better; 0 when either shift is the same for all features).
"""

from __future__ import annotations

import warnings

import numpy as np

from morphospace.core.errors import ConfigError
from morphospace.core.figures import Figure, FigureContext
from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.phendiff.eval_config import FeatureShiftConfig
from morphospace.phendiff.fid import translation_sets

#: Lowest agreement reported (a translation moving the wrong way is no worse than this).
MIN_AGREEMENT = -1.0


def shift_agreement(real: float, translated: float) -> float:
    """``1 - |1 - translated / real|`` clipped to ``[-1, 1]``; 1 if both shifts are 0."""
    if real == 0:
        return 1.0 if translated == 0 else MIN_AGREEMENT
    return float(max(1 - abs(1 - translated / real), MIN_AGREEMENT))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two vectors; 0 when either is constant."""
    a, b = a - a.mean(), b - b.mean()
    norm = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / norm) if norm > 0 else 0.0


class FeatureShift(Evaluator):
    """Real vs translated shift of a measurement from ``source`` towards ``target``."""

    Config = FeatureShiftConfig

    def _measured_sets(self, images, translated, conditions) -> dict:
        """The three image sets of :func:`translation_sets`, each measured."""
        from morphospace.phendiff.measurements import feature_columns, measure

        config = self.config
        sets = translation_sets(images, translated, conditions, config.source, config.target)
        if config.channel >= sets["real_source"].shape[1]:
            raise ConfigError(
                f"{self.name}: channel: expected a channel index below "
                f"{sets['real_source'].shape[1]}, found {config.channel}"
            )
        with warnings.catch_warnings():  # an empty segmentation is a measurement here
            warnings.simplefilter("ignore")
            tables = {name: measure(rows, channel=config.channel) for name, rows in sets.items()}
        columns = feature_columns(tables["real_source"])
        if config.measurement not in columns:
            raise ConfigError(
                f"{self.name}: measurement: expected one of {', '.join(columns)}, found "
                f"{config.measurement!r}"
            )
        return tables

    def evaluate(self, images, translated, conditions) -> dict[str, Metric]:
        from scipy.stats import ks_2samp

        from morphospace.phendiff.measurements import feature_columns

        config = self.config
        tables = self._measured_sets(images, translated, conditions)
        columns = feature_columns(tables["real_source"])
        means = {name: table[columns].to_numpy().mean(0) for name, table in tables.items()}
        std = tables["real_source"][columns].to_numpy().std(0)
        std = np.where(std > 0, std, 1.0)
        real_shift = (means["real_target"] - means["real_source"]) / std
        translated_shift = (means["translated"] - means["real_source"]) / std

        column = config.measurement
        source = tables["real_source"][column].mean()
        real = float(tables["real_target"][column].mean() - source)
        moved = float(tables["translated"][column].mean() - source)
        ks = ks_2samp(tables["real_target"][column], tables["translated"][column])
        return {
            "shift_error": Metric(abs(moved - real), higher_is_better=False),
            "shift_agreement": Metric(shift_agreement(real, moved), higher_is_better=True),
            "ks_statistic": Metric(float(ks.statistic), higher_is_better=False),
            "ks_pvalue": Metric(float(ks.pvalue), higher_is_better=True),
            "feature_correlation": Metric(
                pearson(real_shift, translated_shift), higher_is_better=True
            ),
        }

    def report_figures(self, context: FigureContext) -> list[Figure]:
        """The measurement's distribution: real source and target, and the translations."""
        from morphospace.core.tl import select
        from morphospace.phendiff.figures import measurement_by_condition

        record = context.record
        if record is None or not {"images", "translated", "conditions"} <= set(record.inputs):
            return []
        inputs, rows = record.inputs, select(context.adata, record.reads.get("where"))
        conditions = context.adata.obs[inputs["conditions"]].astype(str).to_numpy()
        tables = self._measured_sets(
            context.rep(inputs["images"])[rows],
            context.rep(inputs["translated"])[rows],
            conditions[rows],
        )
        column, source, target = self.config.measurement, self.config.source, self.config.target
        fig = measurement_by_condition(
            {source: tables["real_source"][column], target: tables["real_target"][column]},
            {target: tables["translated"][column]},
            column,
            title=f"{self.name} ({context.key}): {column}, {source} translated to {target}",
        )
        return [(f"{self.name} ({context.key}): {column} real vs translated", fig)]
