"""Configs of the drl components: hyperparameters and declarations, torch-free.

``morphospace info``, parameter validation and pipeline planning read these classes
without importing the networks, so this module imports only pydantic and the core.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from morphospace.core.config import (
    INPUT_FILE,
    ComponentConfig,
    EncoderConfig,
    EvaluatorConfig,
    Seed,
    params_of,
)
from morphospace.core.training import TrainingConfig

#: Factors of the Texture-dSprites source (texture, colour, shape, scale, orientation, x, y).
SOURCE_FACTORS = 7

#: Training on the source (pairs or images per step = batch_size).
SourceTraining = TrainingConfig.with_defaults(
    "SourceTraining", n_steps=3000, batch_size=64, learning_rate=5e-4
)
#: Fine-tuning on the target's own images (unsupervised β-VAE loss).
FineTuning = TrainingConfig.with_defaults(
    "FineTuning", n_steps=500, batch_size=64, learning_rate=2e-4
)


class PairSampling(ComponentConfig):
    """How the weak-supervision pairs are drawn: how many factors change between x1 and x2."""

    k: int | None = Field(
        1,
        ge=1,
        description="factors that change in every pair; None: drawn uniformly from 1..k_max",
    )
    k_max: int = Field(1, ge=1, description="largest number of changed factors when k is None")


class VAEFields(EncoderConfig):
    """The network and objective shared by Ada-GVAE and β-VAE (Locatello et al.'s conv VAE)."""

    input_kinds = ("images",)

    latent_dim: int = Field(10, ge=1, le=256, description="dimensions of the latent code")
    beta: float = Field(1.0, ge=0, description="weight of the KL term")
    source: Literal["texture_dsprites"] | None = Field(
        "texture_dsprites",
        description="procedural source trained on first, rendered at the target's image "
        "size and channels; None: train on the images given to fit only",
    )
    fine_tune: FineTuning | None = Field(
        None,
        description="after the source, fine-tune on the images given to fit: the β-VAE loss, "
        "or weakly supervised by pair ids given as y (None: source only)",
    )
    seed: Seed = Field(0, description="seeds initialisation, source draws and noise")
    training: SourceTraining = Field(
        default_factory=SourceTraining,
        description="the first stage: on the source, or on fit's images when source is None",
    )


class WeakSupervision(ComponentConfig):
    """How source pairs supervise a code: which dimensions are shared, how they combine.

    For each pair the per-dimension KL between the two posteriors is thresholded halfway
    between its min and max ('argmax'); dimensions below it are shared and their
    posteriors combined. A config using it has ``latent_dim`` and ``beta`` too.
    """

    aggregation: Literal["argmax", "label"] = Field(
        "argmax",
        description="which dimensions are shared: 'argmax' adaptive KL threshold per pair "
        "(Ada-GVAE); 'label' the changed factors' indices are known (dimension i = factor i)",
    )
    combination: Literal["gvae", "ml_vae"] = Field(
        "gvae",
        description="how shared posteriors combine: 'gvae' average of means and variances; "
        "'ml_vae' product of the two Gaussians",
    )
    pairs: PairSampling = Field(default_factory=PairSampling, description="pair sampling")

    @model_validator(mode="after")
    def _label_needs_a_dimension_per_factor(self) -> WeakSupervision:
        if self.aggregation == "label" and self.latent_dim < SOURCE_FACTORS:
            raise ValueError(
                "aggregation 'label' ties latent dimension i to source factor i, so "
                f"latent_dim must be at least the {SOURCE_FACTORS} factors of "
                f"texture_dsprites, got {self.latent_dim}"
            )
        if max(self.pairs.k or 1, self.pairs.k_max) > SOURCE_FACTORS:
            raise ValueError(
                f"pairs: at most the {SOURCE_FACTORS} factors of texture_dsprites can change "
                f"in a pair, got k={self.pairs.k}, k_max={self.pairs.k_max}"
            )
        return self


class AdaGVAEConfig(WeakSupervision, VAEFields):
    """Ada-GVAE: the conv VAE trained on source pairs that share most factors."""

    source: Literal["texture_dsprites"] = Field(
        "texture_dsprites",
        description="procedural source of pairs (weak supervision needs pairs), rendered at "
        "the target's image size and channels",
    )


class BetaVAEConfig(VAEFields):
    """β-VAE, the unsupervised baseline: the same network trained on single images."""


class FeatureVAEConfig(WeakSupervision, VAEFields):
    """An MLP VAE on backbone features, weakly supervised by source pairs like Ada-GVAE.

    Source pairs and the images given to ``fit`` pass through a frozen backbone first:
    a ViT read from a local weights file (DINO or timm layout), or any registered encoder.
    """

    backbone: str = Field(
        "vit",
        description="'vit': a Vision Transformer read from backbone_weights; or the name of "
        "a registered encoder (e.g. 'drl.beta_vae'), fitted on fit's images",
    )
    backbone_weights: str | None = Field(
        None,
        description="the ViT's weights, a local .safetensors file (DINO/timm layout); "
        "nothing is downloaded",
        json_schema_extra=INPUT_FILE,
    )
    backbone_params: dict[str, Any] = Field(
        default_factory=dict,
        description="params of a registered backbone",
        json_schema_extra=params_of("encoder", "backbone"),
    )
    backbone_image_size: int = Field(
        64, ge=16, description="side the ViT sees images at (a multiple of its patch size)"
    )
    hidden_units: int = Field(256, ge=1, description="width of the MLP's two hidden layers")
    source: Literal["texture_dsprites"] = Field(
        "texture_dsprites", description="procedural source of pairs"
    )
    source_pairs: int = Field(
        2048, ge=1, description="source pairs whose features are computed once and trained on"
    )

    @model_validator(mode="after")
    def _backbone_and_weights_agree(self) -> FeatureVAEConfig:
        if self.backbone == "vit":
            if self.backbone_weights is None:
                raise ValueError(
                    "backbone 'vit' needs backbone_weights, a local .safetensors file of a "
                    "DINO or timm ViT (no weights are downloaded); or name a registered "
                    "encoder as backbone"
                )
            if self.backbone_params:
                raise ValueError("backbone_params are for a registered backbone, not 'vit'")
        else:
            if "." not in self.backbone:
                raise ValueError(
                    f"backbone must be 'vit' or a registered encoder's qualified name "
                    f"('plugin.name'), got {self.backbone!r}"
                )
            if self.backbone_weights is not None:
                raise ValueError(
                    "backbone_weights is read only by backbone 'vit'; a registered backbone "
                    "takes its settings in backbone_params"
                )
        return self


class _FactorScoreConfig(EvaluatorConfig):
    """Scores a code ``z`` against the known factors of variation (obs columns)."""

    inputs = {"z": "embedding", "factors": "factors"}


class OMESConfig(_FactorScoreConfig):
    """OMES (Dapueto et al.): overlap and multiple-encoding scores from one-factor pairs."""

    alpha: float = Field(
        0.5, ge=0, le=1, description="weight of the overlap score against multiple encoding"
    )
    active_threshold: float = Field(
        0.01,
        ge=0,
        description="dimensions whose variance over the data is below this are inactive "
        "and dropped",
    )
    max_pairs: int = Field(20000, ge=1, description="pairs per factor at most (drawn with seed)")
    seed: Seed = Field(0, description="seeds the pair subsample")


class DCIConfig(_FactorScoreConfig):
    """DCI (Eastwood & Williams): disentanglement, completeness, informativeness from GBTs."""

    n_estimators: int = Field(50, ge=1, description="trees per factor")
    max_depth: int = Field(3, ge=1, description="depth of each tree")
    test_fraction: float = Field(0.3, gt=0, lt=1, description="held-out share for informativeness")
    seed: Seed = Field(0, description="seeds the split and the trees")


class MIGConfig(_FactorScoreConfig):
    """MIG (Chen et al.): gap in mutual information between the two best dimensions."""

    n_bins: int = Field(20, ge=2, description="equal-width bins per code dimension")


class ProbeConfig(EvaluatorConfig):
    """Accuracy of GBT and MLP classifiers reading a label from the code, over folds."""

    inputs = {"z": "embedding", "labels": "labels"}

    n_folds: int = Field(5, ge=2, description="stratified folds")
    models: tuple[Literal["gbt", "mlp"], ...] = Field(
        ("gbt", "mlp"), min_length=1, description="classifiers to fit"
    )
    gbt_n_estimators: int = Field(100, ge=1, description="boosting stages of the GBT probe")
    gbt_max_depth: int = Field(3, ge=1, description="depth of the GBT probe's trees")
    mlp_hidden_units: int = Field(64, ge=1, description="hidden units of the MLP probe")
    seed: Seed = Field(0, description="seeds the folds and the classifiers")
