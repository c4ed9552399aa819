"""Configs of the DiffKillR components: hyperparameters and declarations, torch-free.

The pipeline planner, ``morphospace info`` and parameter validation read these classes
without importing the networks, so this module imports only pydantic and the core.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from morphospace.core.config import (
    EncoderConfig,
    EvaluatorConfig,
    RegistrarConfig,
    Seed,
    SegmenterConfig,
)
from morphospace.core.training import TrainingConfig

#: Training defaults of the two networks (batch_size: cells per step).
InvariantNetTraining = TrainingConfig.with_defaults(
    "InvariantNetTraining", n_steps=200, batch_size=16
)
MappingNetTraining = TrainingConfig.with_defaults("MappingNetTraining", n_steps=300, batch_size=16)


DIFFEOMORPHISM_KINDS = (
    "rotation",
    "uniform_stretch",
    "directional_stretch",
    "volume_preserving_stretch",
    "partial_stretch",
    "elastic",
)


class _AugmentationFields(EncoderConfig):
    """Strength of the random diffeomorphisms a network is trained on."""

    augmentations: tuple[str, ...] = Field(
        DIFFEOMORPHISM_KINDS, description="diffeomorphism kinds drawn during training"
    )
    max_rotation: float = Field(180.0, ge=0, le=180, description="largest rotation, degrees")
    max_stretch: float = Field(0.25, ge=0, lt=1, description="largest relative stretch")
    elastic_magnitude: float = Field(1.5, ge=0, description="elastic displacement scale, px")
    elastic_smoothness: float = Field(4.0, gt=0, description="elastic field Gaussian sigma, px")

    @field_validator("augmentations")
    @classmethod
    def _known_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in DIFFEOMORPHISM_KINDS]
        if unknown:
            raise ValueError(
                f"unknown diffeomorphism {unknown[0]!r}; choose from {DIFFEOMORPHISM_KINDS}"
            )
        return value


class InvariantNetFields(_AugmentationFields):
    """The DiffeoInvariantNet's hyperparameters but its patch size: what an annotator's
    ``invariant_net`` block sets (the annotator gives it its own patch size)."""

    width: int = Field(8, ge=4, description="channels of the first conv block")
    embedding_dim: int = Field(64, ge=2, description="embedding dimension (unit sphere)")
    loss: Literal["supcon", "triplet"] = Field("supcon", description="contrastive loss")
    temperature: float = Field(0.1, gt=0, description="supervised-contrastive temperature")
    margin: float = Field(0.3, gt=0, description="triplet margin (cosine distance)")
    reconstruction_weight: float = Field(
        0.5, ge=0, description="weight of reconstructing the un-deformed patch"
    )
    views: int = Field(4, ge=2, description="augmented views of each cell per step")
    intensity_jitter: float = Field(
        0.3,
        ge=0,
        le=1,
        description="sd of each view's log-gain (brightness x exp(N(0, s))) and of its "
        "offset (N(0, s/2), in standardised units): dim and bright cells of one kind "
        "embed together (0.3 chosen on two BBBC007 fields never scored); 0 = none",
    )
    seed: Seed = Field(0, description="seeds initialisation and the training batches")
    training: InvariantNetTraining = Field(
        default_factory=InvariantNetTraining, description="steps, optimiser, checkpoints"
    )


class DiffeoInvariantNetConfig(InvariantNetFields):
    """DiffeoInvariantNet: a residual conv encoder made invariant to cell deformations."""

    input_kinds: ClassVar[tuple[str, ...]] = ("images",)

    patch_size: int = Field(32, ge=8, description="side of the square cell patches, px")


class MappingNetFields(RegistrarConfig):
    """The DiffeoMappingNet's hyperparameters but its patch size: what an annotator's
    ``mapping_net`` block sets."""

    backbone: Literal["unet", "voxelmorph", "corrmlp"] = Field(
        "unet",
        description="the network reading the pair: DiffKillR's UNet, VoxelMorph's UNet "
        "(with 'svf': VoxelMorph-diff) or a CorrMLP-like correlation MLP (the paper's "
        "registration ablation)",
    )
    width: int = Field(8, ge=4, description="channels of the first level (unet, corrmlp)")
    depth: int = Field(3, ge=1, le=5, description="down-sampling levels (unet, corrmlp)")
    integration: Literal["svf", "displacement"] = Field(
        "svf",
        description="'svf': velocity integrated by scaling and squaring (diffeomorphic); "
        "'displacement': the plain-UNet ablation",
    )
    integration_steps: int = Field(6, ge=0, description="scaling-and-squaring steps")
    similarity: Literal["mse", "ncc"] = Field("mse", description="image similarity loss")
    field_weight: float = Field(
        1.0, ge=0, description="weight of the error to the known field of the training pair"
    )
    smoothness_weight: float = Field(0.05, ge=0, description="weight of the gradient penalty")
    cycle_weight: float = Field(0.1, ge=0, description="weight of the inverse-consistency loss")
    mask_weight: float = Field(
        100.0, ge=0, description="weight of the soft Dice loss of warped masks (fit given masks)"
    )
    prealign: Literal["ncc", "mi", "none"] = Field(
        "ncc", description="flip/90-degree pre-alignment before registration"
    )
    prealign_candidates: int = Field(
        3, ge=1, le=8, description="register this many best pre-alignments, keep the best result"
    )
    prealign_flips: bool = Field(
        True, description="also try the 4 mirror images (else rotations only)"
    )
    max_rotation: float = Field(45.0, ge=0, le=180, description="training pair rotation, degrees")
    max_translation: float = Field(
        3.0, ge=0, description="training pair shift, px (detection windows are off-centre)"
    )
    max_stretch: float = Field(0.25, ge=0, lt=1, description="training pair stretch, relative")
    elastic_magnitude: float = Field(
        1.5, ge=0, description="training pair elastic displacement scale, px"
    )
    elastic_smoothness: float = Field(
        4.0, gt=0, description="training pair elastic field Gaussian sigma, px"
    )
    seed: Seed = Field(0, description="seeds initialisation and the training pairs")
    training: MappingNetTraining = Field(
        default_factory=MappingNetTraining, description="steps, optimiser, checkpoints"
    )


class DiffeoMappingNetConfig(MappingNetFields):
    """DiffeoMappingNet: UNet -> stationary velocity field -> scaling and squaring."""

    patch_size: int = Field(32, ge=8, description="side of the square patches, px (power of 2)")


class AnnotatorConfig(SegmenterConfig):
    """The DiffKillR workflow: bank from annotated cells, both nets, whole-field annotation.

    ``invariant_net`` and ``mapping_net`` are the two networks' hyperparameters; their
    ``seed`` defaults to the annotator's, and their patch size is the annotator's
    ``patch_size`` (resolved at fit for ``auto``): the nets embed and register its patches.
    """

    input_kinds: ClassVar[tuple[str, ...]] = ("images",)

    patch_size: Annotated[int, Field(ge=8)] | Literal["auto"] = Field(
        "auto",
        description="cell patch side, px; 'auto': 1.3 x the median diameter of the "
        "annotated cells, rounded up to a multiple of 8 (at least 16)",
    )
    annotation_channel: int = Field(
        -1, description="channel of the input holding the user's instance annotations"
    )
    max_archetypes: int = Field(16, ge=1, description="use at most this many annotated cells")
    background_per_cell: int = Field(
        4, ge=0, description="off-centre background windows sampled per annotated cell"
    )
    stride: int = Field(4, ge=1, description="sliding-window step, px")
    score_threshold: float = Field(
        0.8, ge=-1, le=1, description="least cosine similarity of a cell"
    )
    background_margin: float = Field(
        0.1, description="a window is background if closer to a background example by this much"
    )
    nms_distance: float = Field(
        0.35, gt=0, description="suppress detections closer than this fraction of a patch"
    )
    max_overlap: float = Field(
        0.5,
        ge=0,
        le=1,
        description="drop a detection whose warped mask lies more than this fraction on "
        "better cells already found, or whose propagated centre lands on one (a second "
        "detection of that cell); 1 drops only the latter",
    )
    min_mask_fill: float = Field(
        0.4,
        ge=0,
        le=1,
        description="a window matching an archetype is a cell only if at least this share "
        "of the archetype's mask, laid on it, is brighter than halfway between the "
        "background and the mask's mean (debris fills little of it); 0 keeps all",
    )
    max_cells: int = Field(2000, ge=1, description="most cells per field")
    prefilter: Literal["otsu", "none"] = Field(
        "otsu", description="embed only windows centred on Otsu foreground ('none': all)"
    )
    invariant_net: InvariantNetFields = Field(
        default_factory=InvariantNetFields, description="DiffeoInvariantNet params"
    )
    mapping_net: MappingNetFields = Field(
        default_factory=MappingNetFields, description="DiffeoMappingNet params"
    )
    seed: Seed = Field(0, description="seeds both nets unless they set their own")

    @model_validator(mode="before")
    @classmethod
    def _nets_share_the_seed(cls, data: Any) -> Any:
        """Give each net the annotator's ``seed`` unless it sets its own; refuse a net's
        own ``patch_size``, which would not fit the annotator's patches."""
        if not isinstance(data, dict):
            return data
        seed = data.get("seed", cls.model_fields["seed"].default)
        nets = {}
        for net in ("invariant_net", "mapping_net"):
            params = data.get(net, {})
            if not isinstance(params, dict):
                continue
            if "patch_size" in params:
                raise ValueError(
                    f"{net}.patch_size: set patch_size on the annotator only; its nets embed "
                    "and register the annotator's patches"
                )
            nets[net] = {"seed": seed, **params}
        return {**data, **nets}

    def net_configs(
        self, patch_size: int
    ) -> tuple[DiffeoInvariantNetConfig, DiffeoMappingNetConfig]:
        """The two nets' full configs for patches of ``patch_size``."""
        return (
            DiffeoInvariantNetConfig(**self.invariant_net.model_dump(), patch_size=patch_size),
            DiffeoMappingNetConfig(**self.mapping_net.model_dump(), patch_size=patch_size),
        )


class MatchingConfig(EvaluatorConfig):
    """Retrieval of each query cell's archetype: MAP and top-k accuracy."""

    inputs: ClassVar[dict[str, str]] = {
        "embedding": "embedding",
        "labels": "labels",
        "bank": "labels",
    }
    optional_inputs: ClassVar[tuple[str, ...]] = ("bank",)
    top_k: tuple[int, ...] = Field((1, 3), description="report top-k accuracy for each k")


class RegistrationConfig(EvaluatorConfig):
    """Registration quality: overlap of warped labels, image agreement, field error, folding."""

    inputs: ClassVar[dict[str, str]] = {
        "masks_true": "masks",
        "masks_pred": "masks",
        "images_true": "images",
        "images_pred": "images",
        "displacement_true": "displacement",
        "displacement_pred": "displacement",
    }
    optional_inputs: ClassVar[tuple[str, ...]] = tuple(inputs)


class CountingConfig(EvaluatorConfig):
    """Cell counting: detections matched one-to-one to true cells within a tolerance."""

    inputs: ClassVar[dict[str, str]] = {"masks_true": "masks", "masks_pred": "masks"}
    tolerance: float = Field(6.0, gt=0, description="largest centre distance of a match, px")


class OrientationConfig(EvaluatorConfig):
    """Orientation error of propagated cell axes (axial: angles modulo 180 degrees)."""

    inputs: ClassVar[dict[str, str]] = {
        "orientation_true": "labels",
        "orientation_pred": "labels",
    }
    axial: bool = Field(True, description="compare angles modulo pi (an axis has no sign)")
