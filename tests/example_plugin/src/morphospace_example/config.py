"""Configs: hyperparameters and declarations, importable without the implementations."""

from pydantic import Field

from morphospace.core.config import (
    ClustererConfig,
    EncoderConfig,
    EvaluatorConfig,
    Seed,
    TranslatorConfig,
)


class RandomProjectionConfig(EncoderConfig):
    n_components: int = Field(2, ge=1, description="output dimension")
    seed: Seed = Field(0, description="seed of the projection matrix")


class QuantileBinsConfig(ClustererConfig):
    n_clusters: int = Field(2, ge=1, description="number of bins")


class RandIndexConfig(EvaluatorConfig):
    inputs = {"labels_true": "labels", "labels_pred": "labels"}


class MeanShiftConfig(TranslatorConfig):
    per_pixel: bool = Field(
        True, description="shift by per-condition mean images; False: per-channel means only"
    )
