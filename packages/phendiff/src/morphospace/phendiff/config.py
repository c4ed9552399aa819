"""Config of the DDIM translator: hyperparameters and declarations, torch-free.

``morphospace info``, parameter validation and pipeline planning read this module
without importing diffusers or torch.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from morphospace.core.config import Seed, TranslatorConfig
from morphospace.core.training import TrainingConfig

#: Denoising training: 2,000 steps of 32 images, warm-up then cosine decay, EMA of weights.
DiffusionTraining = TrainingConfig.with_defaults(
    "DiffusionTraining",
    n_steps=2000,
    batch_size=32,
    learning_rate=3e-4,
    warmup_steps=100,
    schedule="cosine",
    ema_decay=0.999,
)


class DDIMTranslatorConfig(TranslatorConfig):
    """A class-conditional UNet trained to denoise images of every condition; DDIM inversion
    under the source condition, then DDIM generation under the target, from one schedule."""

    block_out_channels: tuple[int, ...] = Field(
        (32, 64, 64),
        min_length=2,
        description="UNet width per resolution; images must divide by 2^(levels - 1)",
    )
    layers_per_block: int = Field(1, ge=1, description="ResNet layers per UNet block")
    num_train_timesteps: int = Field(1000, ge=10, description="diffusion timesteps")
    beta_schedule: Literal["linear", "scaled_linear", "squaredcos_cap_v2"] = Field(
        "linear", description="noise schedule"
    )
    prediction_type: Literal["epsilon", "v_prediction"] = Field(
        "epsilon", description="what the UNet predicts: the noise, or the velocity v"
    )
    zero_terminal_snr: bool = Field(
        False,
        description="rescale betas so the last timestep is pure noise (needs v_prediction; "
        "timesteps then spaced 'trailing')",
    )
    condition_dropout: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="probability that a training sample's condition is replaced by the null "
        "class (per sample), which classifier-free guidance needs",
    )
    inversion_steps: int = Field(50, ge=1, description="DDIM steps from an image to noise")
    generation_steps: int = Field(50, ge=1, description="DDIM steps from noise to an image")
    inversion_guidance: float = Field(
        1.0,
        ge=0,
        description="guidance scale while inverting; 1 (no guidance) keeps inversion exact",
    )
    generation_guidance: float = Field(
        1.0, ge=0, description="guidance scale while generating (1: conditional model alone)"
    )
    inference_batch_size: int = Field(64, ge=1, description="images per UNet call at inference")
    seed: Seed = Field(0, description="seeds initialisation, batches, timesteps and noise")
    training: DiffusionTraining = Field(
        default_factory=DiffusionTraining, description="steps, optimiser, schedule, EMA"
    )

    @model_validator(mode="after")
    def _zero_snr_needs_velocity(self) -> DDIMTranslatorConfig:
        if self.zero_terminal_snr and self.prediction_type != "v_prediction":
            raise ValueError(
                "zero_terminal_snr makes the last timestep pure noise, where an epsilon "
                "prediction says nothing about the image; use prediction_type: v_prediction"
            )
        return self

    @property
    def downsampling(self) -> int:
        """The factor the UNet shrinks images by: their side must be a multiple of it."""
        return 2 ** (len(self.block_out_channels) - 1)
