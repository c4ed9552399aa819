"""Configs of the hypervae components: hyperparameters and declarations, torch-free.

The registry and pipeline validation read these classes without importing the
implementations, so ``morphospace info hypervae.poincare_vae`` never loads torch.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from morphospace.core.config import (
    ClustererConfig,
    ComponentConfig,
    EncoderConfig,
    EvaluatorConfig,
    Seed,
)
from morphospace.core.config import SegmenterConfig as _SegmenterKindConfig
from morphospace.core.geometry import EUCLIDEAN, Geometry, poincare
from morphospace.core.training import TrainingConfig

#: The VAE's training defaults: 300 steps of 32 patches.
VAETraining = TrainingConfig.with_defaults("VAETraining", n_steps=300, batch_size=32)


def _check_curvature(value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"curvature must be > 0 and finite (the Poincaré ball of curvature -c has "
            f"radius 1/sqrt(c)), got {value}; for a flat latent space set latent: euclidean"
        )
    return value


class VAEFields(ComponentConfig):
    """The VAE's hyperparameters, shared by the VAE and the segmenter that trains one."""

    latent: Literal["poincare", "euclidean"] = Field(
        "poincare", description="latent geometry; 'euclidean' is the ablation"
    )
    curvature: float = Field(1.0, description="c > 0: the ball has curvature -c")
    latent_dim: int = Field(3, ge=1, le=64, description="dimension of the latent space")
    distribution: Literal["wrapped_normal", "riemannian_normal"] = Field(
        "wrapped_normal", description="posterior and prior family on the ball"
    )
    decoder_input: Literal["auto", "gyroplane", "linear"] = Field(
        "auto",
        description="first decoder layer: gyroplane 3D conv (hyperbolic) or a linear map of "
        "logmap0(z); 'auto' is gyroplane for a Poincaré latent, linear for a Euclidean one",
    )
    gyroplane_kernel_size: int = Field(3, ge=1, le=7, description="gyroplane conv kernel size")
    patch_size: int = Field(8, ge=4, le=64, description="edge of the cubic patches (voxels)")
    hidden_channels: int = Field(16, ge=1, description="width of the decoder's conv layers")
    encoder_channels: tuple[int, ...] | None = Field(
        None,
        min_length=2,
        description="widths of the encoder's conv layers, the first two of stride 2 "
        "(None: hidden_channels x 1, 2, 4; the paper: 16, 32, 64, 128)",
    )
    encoder_kernel_size: int = Field(
        3, ge=1, le=7, description="kernel size of the encoder's convs (the paper: 5)"
    )
    intensity_scaling: Literal["percentile", "none"] = Field(
        "percentile",
        description="map intensities to about [0, 1] per channel with the 0.5th and 99.5th "
        "percentiles of the training volumes (fitted once, applied to every patch and volume "
        "after), so raw 8- or 16-bit stacks train as well as scaled ones; 'none': as given",
    )
    beta: float = Field(1.0, ge=0, description="weight of the KL term of the ELBO")
    triplet_weight: float = Field(1.0, ge=0, description="weight of the hierarchical triplet loss")
    triplet_margin: float = Field(0.2, ge=0, description="margin of the triplet loss")
    seed: Seed = Field(0, description="seeds patch sampling, initialisation and noise")
    training: VAETraining = Field(
        default_factory=VAETraining, description="steps, optimiser, checkpoints (patches per step)"
    )

    @field_validator("curvature")
    @classmethod
    def _positive_curvature(cls, value: float) -> float:
        return _check_curvature(value)

    @field_validator("encoder_kernel_size")
    @classmethod
    def _odd_kernel(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"encoder_kernel_size must be odd (same padding), got {value}")
        return value

    @model_validator(mode="after")
    def _decoder_matches_latent(self) -> VAEFields:
        if self.latent == "euclidean" and self.decoder_input == "gyroplane":
            raise ValueError(
                "decoder_input 'gyroplane' needs latent 'poincare'; a Euclidean latent uses "
                "decoder_input 'linear' (or 'auto')"
            )
        return self

    @property
    def use_gyroplane(self) -> bool:
        return self.latent == "poincare" and self.decoder_input != "linear"

    def vae_params(self) -> dict:
        """The VAE's fields of this config, to create the VAE it describes."""
        return self.model_dump(include=set(VAEFields.model_fields))


class PoincareVAEConfig(VAEFields, EncoderConfig):
    """A 3D convolutional VAE on patches with a Poincaré-ball (or Euclidean) latent space."""

    input_kinds = ("volumes",)

    def output_geometry(self) -> Geometry:
        return poincare(self.curvature) if self.latent == "poincare" else EUCLIDEAN


class SegmenterConfig(VAEFields, _SegmenterKindConfig):
    """Trains the VAE on volumes, then segments each volume at several hierarchy levels.

    The VAE's fields sit at the top level beside the segmentation's; ``segment``
    returns label maps ``(N, n_levels, D, H, W)``, one per level.
    """

    input_kinds = ("volumes",)

    patch_size: Annotated[int, Field(ge=4, le=64)] | Literal["auto"] = Field(
        "auto",
        description="edge of the cubic windows (voxels); 'auto': 0.2 x the median "
        "thickness of the bright objects in the training volumes (Otsu), within 4-16, "
        "because windows blur boundaries by half their edge",
    )
    stride: int = Field(2, ge=1, description="step between sliding-window centres (voxels)")
    n_clusters: tuple[int, ...] = Field(
        (2, 3, 4), min_length=1, description="clusters per hierarchy level, coarse to fine"
    )
    n_init: int = Field(4, ge=1, description="k-means initialisations per level")
    window_batch_size: int = Field(512, ge=1, description="windows embedded per forward pass")
    cluster_space: Literal["latent", "tangent"] = Field(
        "latent",
        description="k-means in the latent space itself (geodesic on the ball) or, for a "
        "Poincaré latent, on logmap0 of the embeddings (Euclidean k-means in the tangent space)",
    )
    max_cluster_points: int | None = Field(
        8192, ge=2, description="fit k-means on at most this many windows (then label all)"
    )
    upsample: Literal["interpolate", "nearest"] = Field(
        "interpolate",
        description="voxel labels from the window grid: nearest centroid of the trilinearly "
        "interpolated embedding, or the label of the nearest window centre",
    )
    truth_key: str | None = Field(
        "truth", description="obsm key of ground-truth labels drawn in the report (if present)"
    )

    @field_validator("n_clusters")
    @classmethod
    def _at_least_two(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(k < 2 for k in value):
            raise ValueError(f"every level needs at least 2 clusters, got {value}")
        return value


class PoincareKMeansConfig(ClustererConfig):
    """k-means on the Poincaré ball with Fréchet-mean centroids."""

    supported_geometries = ("poincare",)

    n_clusters: int = Field(3, ge=1, description="number of clusters")
    n_init: int = Field(4, ge=1, description="k-means++ initialisations; the best is kept")
    max_iter: int = Field(50, ge=1, description="Lloyd iterations per initialisation")
    tol: float = Field(1e-5, ge=0, description="stop when no centroid moves further (geodesic)")
    seed: Seed = Field(0, description="seeds the k-means++ initialisations")


class DiceConfig(EvaluatorConfig):
    """Dice and IoU per hierarchy level after Hungarian matching of clusters to classes."""

    inputs = {"truth": "masks", "segmentation": "masks"}

    ignore_background: bool = Field(False, description="leave class 0 out of the per-level mean")
    average: Literal["classes", "matched"] = Field(
        "classes",
        description="mean over every true class (one left without a cluster scores 0) or, as "
        "the paper's code, over the matched (class, cluster) pairs only; the two agree when a "
        "level has at least as many clusters as classes",
    )
