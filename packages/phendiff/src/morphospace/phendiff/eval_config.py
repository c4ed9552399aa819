"""Configs of the phendiff evaluators: hyperparameters and declarations, light to import.

``morphospace info``, parameter validation and pipeline planning read these classes
without importing the evaluators (scipy, scikit-image), so this module imports only
pydantic and the core.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from morphospace.core.config import (
    INPUT_FILE,
    EncoderConfig,
    EvaluatorConfig,
    Seed,
    params_of,
)

#: What the translation evaluators read: the real images, every row translated to the
#: target condition, and each row's own condition.
TRANSLATION_INPUTS = {"images": "images", "translated": "images", "conditions": "labels"}


class _TranslationConfig(EvaluatorConfig):
    """Scores translations from ``source`` to ``target`` against real ``target`` images."""

    inputs = TRANSLATION_INPUTS

    source: str = Field(description="the condition the translated images come from")
    target: str = Field(description="the condition they were translated to")

    @model_validator(mode="after")
    def _two_conditions(self) -> _TranslationConfig:
        if self.source == self.target:
            raise ValueError(
                f"source and target must be different conditions, found both {self.source!r}"
            )
        return self


class FIDConfig(_TranslationConfig):
    """FID and KID of translated source images against real target images, and the same
    scores for the untranslated source images (the identity baseline)."""

    features: str = Field(
        "measurements",
        min_length=1,
        description="'measurements' (classical per-cell measurements, standardised with the "
        "real target's statistics) or the registry name of an images encoder, fitted on "
        "the real images",
    )
    features_params: dict[str, Any] = Field(
        default_factory=dict,
        description="params of the encoder named by features",
        json_schema_extra=params_of("encoder", "features"),
    )
    channel: int = Field(
        0, ge=0, description="channel segmented for the measurements (features='measurements')"
    )
    kid_subsets: int = Field(100, ge=1, description="random subsets KID is averaged over")
    kid_subset_size: int = Field(
        1000, ge=2, description="rows per KID subset (at most the smaller set's size)"
    )
    seed: Seed = Field(0, description="seeds the KID subsets")


class ReconstructionConfig(EvaluatorConfig):
    """Distance between images and their reconstructions (e.g. DDIM inversion then
    regeneration under the same condition)."""

    inputs = {"images": "images", "reconstructed": "images"}


class FeatureShiftConfig(_TranslationConfig):
    """Whether translation moves a classical measurement as the real condition change does."""

    measurement: str = Field(
        "area",
        min_length=1,
        description="the measure() column compared (area, spot_count, mean_intensity_1, ...)",
    )
    channel: int = Field(0, ge=0, description="channel segmented for the measurements")


class InceptionConfig(EncoderConfig):
    """FID's Inception-v3 features (2,048) of images, from a local weights file."""

    input_kinds = ("images",)

    weights: str | None = Field(
        None,
        description="Inception-v3 weights of pytorch-fid or torch-fidelity converted to "
        ".safetensors; nothing is downloaded",
        json_schema_extra=INPUT_FILE,
    )
    batch_size: int = Field(32, ge=1, description="images per forward pass")
