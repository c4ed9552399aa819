"""The feature VAE: Ada-GVAE's weak supervision on the features of a frozen backbone.

Dapueto et al. feed pretrained deep features (DINO) to an MLP VAE instead of pixels, for
a better balance of accuracy and interpretability on real images. ``fit(x)``:

1. builds the backbone: a ViT read from ``backbone_weights``, or a registered encoder
   fitted on ``x``;
2. renders ``source_pairs`` Texture-dSprites pairs at ``x``'s size and channels and
   computes their features once (the backbone is frozen, so features never change);
3. trains the MLP VAE on those pairs with the Ada-GVAE objective, features
   standardised by the source's mean and scale;
4. optionally fine-tunes on ``x``'s features with the β-VAE loss.

The fitted component saves the backbone with it (``backbone.safetensors`` for a ViT,
the sub-checkpoint ``backbone/`` for a registered encoder), so a checkpoint is whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from morphospace.core import Encoder
from morphospace.core.checkpoint import load_component
from morphospace.core.errors import InputError
from morphospace.core.training import SavesModelWeights, TrainingStep, save_arrays, train
from morphospace.drl import backbones
from morphospace.drl.config import FeatureVAEConfig
from morphospace.drl.networks import MLPVAE
from morphospace.drl.objectives import (
    check_source_images,
    check_target_pairs,
    fine_tune,
    pair_losses,
)
from morphospace.drl.pairs import PairSampler
from morphospace.drl.texture_dsprites import FACTOR_SIZES, TextureDSprites

VIT_FILE = "backbone.safetensors"
BACKBONE_DIR = "backbone"


class FeatureVAE(SavesModelWeights, Encoder):
    """An MLP VAE on backbone features, weakly supervised by Texture-dSprites pairs."""

    Config = FeatureVAEConfig

    # ------------------------------------------------------------------ input
    def _check_images(self, x: Any, name: str = "x") -> np.ndarray:
        fitted = tuple(int(v) for v in self.image_shape_) if self.is_fitted() else None
        return check_source_images(x, name, self.name, fitted)

    # ------------------------------------------------------------------ backbone
    def _build_backbone(self, images: np.ndarray) -> Any:
        cfg = self.config
        if cfg.backbone == "vit":
            vit = backbones.vit_from_weights(cfg.backbone_weights)
            if cfg.backbone_image_size % vit.patch:
                raise InputError(
                    f"backbone_image_size {cfg.backbone_image_size} is not a multiple of the "
                    f"ViT's patch size {vit.patch}"
                )
            return vit
        from morphospace.core import registry

        return registry.create("encoder", cfg.backbone, **cfg.backbone_params).fit(images)

    def features(self, x: Any) -> np.ndarray:
        """The frozen backbone's features ``(N, n_features)`` of images in [0, 1]."""
        self.check_is_fitted()
        return self._features(self._check_images(x))

    def _features(self, images: np.ndarray) -> np.ndarray:
        if isinstance(self.backbone_, backbones.VisionTransformer):
            size = self.config.backbone_image_size
            return backbones.vit_features(self.backbone_, images, size)
        return backbones.registered_features(self.backbone_, images)

    # ------------------------------------------------------------------ training
    def fit(self, x: Any, y: Any = None) -> FeatureVAE:
        cfg = self.config
        images = self._check_images(x)
        pairs = None if y is None else check_target_pairs(y, len(images), cfg)
        self.backbone_ = self._build_backbone(images)
        rng = np.random.default_rng([cfg.seed, 1])
        source = TextureDSprites(image_size=images.shape[2], channels=images.shape[1])
        f1, f2, changed = PairSampler(FACTOR_SIZES, k=cfg.pairs.k, k_max=cfg.pairs.k_max).sample(
            cfg.source_pairs, rng
        )
        first = self._features(source.render(f1))
        second = self._features(source.render(f2))
        self.image_shape_ = np.asarray(images.shape[1:])
        self.n_features_ = int(first.shape[1])
        both = np.concatenate([first, second])
        mean, scale = both.mean(axis=0), both.std(axis=0) + 1e-6

        def build() -> MLPVAE:
            model = self._build_model()
            model.feature_mean.copy_(torch.from_numpy(mean))
            model.feature_scale.copy_(torch.from_numpy(scale))
            return model

        def pair_loss(model: MLPVAE, step: TrainingStep) -> dict[str, torch.Tensor]:
            rows = step.rng.choice(len(first), size=min(cfg.training.batch_size, len(first)))
            tensors = (torch.from_numpy(a[rows]).to(step.device) for a in (first, second, changed))
            return pair_losses(model, *tensors, cfg)

        params = {
            **cfg.model_dump(mode="json", exclude={"training"}),
            "image_shape": [int(v) for v in images.shape[1:]],
        }
        result = train(
            build,
            pair_loss,
            cfg.training,
            seed=cfg.seed,
            params=params,
            desc=f"{self.name} on source features",
        )
        model, history = result.model, dict(result.history)
        if cfg.fine_tune is not None:
            model, tuned = fine_tune(model, self._features(images), pairs, cfg, params, self.name)
            history.update(tuned)
        self.model_, self.history_ = model, history
        return self

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def encode(self, x: Any) -> np.ndarray:
        """Posterior means ``(N, latent_dim)`` of the images' features."""
        features = self.features(x)
        mu, _ = self.model_.posterior(torch.from_numpy(features))
        return mu.double().numpy()

    # ------------------------------------------------------------------ persistence
    def _build_model(self) -> MLPVAE:
        return MLPVAE(int(self.n_features_), self.config.latent_dim, self.config.hidden_units)

    def _get_state(self) -> dict[str, np.ndarray]:
        if not self.is_fitted():
            return {}
        return {
            "image_shape_": np.asarray(self.image_shape_),
            "n_features_": np.asarray(self.n_features_),
        }

    def _save_state(self, directory: Path) -> None:
        super()._save_state(directory)
        if not self.is_fitted():
            return
        if isinstance(self.backbone_, backbones.VisionTransformer):
            save_arrays(directory / VIT_FILE, self.backbone_.state_dict())
        else:
            self.backbone_.save(directory / BACKBONE_DIR)

    def _load_state(self, directory: Path) -> None:
        super()._load_state(directory)
        if (directory / VIT_FILE).exists():
            self.backbone_ = backbones.vit_from_weights(directory / VIT_FILE)
        elif (directory / BACKBONE_DIR).exists():
            self.backbone_ = load_component(directory / BACKBONE_DIR, expected=Encoder)
