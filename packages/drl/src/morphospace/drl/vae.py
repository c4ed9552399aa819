"""Ada-GVAE and β-VAE encoders of images, trained on a procedural source then transferred.

``fit(x)`` runs up to two stages through the core's trainer:

1. **source**: the network learns from Texture-dSprites rendered at the size and channel
   count of ``x`` — Ada-GVAE from pairs that differ in ``k`` factors (weak supervision),
   β-VAE from single images. With ``source: None`` (β-VAE only) this stage trains on
   ``x`` itself, the "target alone" baseline.
2. **fine_tune** (optional): the unsupervised β-VAE loss on ``x``, as the method adapts
   to a target whose factors are unknown; or, for Ada-GVAE given pair ids ``y``, the
   Ada-GVAE loss on the target's own pairs.

``encode`` returns posterior means, the code every readout and metric uses. The losses
and stages live in :mod:`.objectives`, the report figures in :mod:`.figures`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from morphospace.core import Encoder
from morphospace.core.errors import InputError
from morphospace.core.figures import Figure, FigureContext
from morphospace.core.training import SavesModelWeights, TrainingStep, train
from morphospace.core.validation import check_array
from morphospace.drl.config import AdaGVAEConfig, BetaVAEConfig
from morphospace.drl.figures import traversal_figure
from morphospace.drl.networks import ConvVAE
from morphospace.drl.objectives import (
    check_source_images,
    check_target_pairs,
    fine_tune,
    pair_losses,
    samples_loss,
    vae_losses,
)
from morphospace.drl.pairs import PairSampler
from morphospace.drl.texture_dsprites import FACTOR_SIZES, TextureDSprites


class _ImageVAE(SavesModelWeights, Encoder):
    """What both encoders share: input checks, the two stages, encoding, traversals."""

    # ------------------------------------------------------------------ input
    def _check_images(self, x: Any, name: str = "x") -> np.ndarray:
        fitted = tuple(int(v) for v in self.image_shape_) if self.is_fitted() else None
        images = check_source_images(x, name, self.name, fitted)
        h, w = images.shape[2:]
        if h != w or h % 16:
            raise InputError(
                f"{name}: {self.name} takes square images whose side is a multiple of 16 "
                f"(four stride-2 convolutions), found {h}x{w}"
            )
        return images

    # ------------------------------------------------------------------ training
    def fit(self, x: Any, y: Any = None) -> _ImageVAE:
        images = self._check_images(x)
        pairs = self._target_pairs(y, len(images))
        cfg = self.config
        self.image_shape_ = np.asarray(images.shape[1:])
        params = {
            **cfg.model_dump(mode="json", exclude={"training"}),
            "image_shape": [int(v) for v in images.shape[1:]],
        }
        if cfg.source is None:
            loss_fn = samples_loss(images, cfg.training.batch_size, cfg.beta)
        else:
            source = TextureDSprites(image_size=images.shape[2], channels=images.shape[1])
            loss_fn = self._source_loss(source)
        first = train(
            self._build_model,
            loss_fn,
            cfg.training,
            seed=cfg.seed,
            params=params,
            desc=f"{self.name} on {cfg.source or 'the images'}",
        )
        model, history = first.model, dict(first.history)
        if cfg.fine_tune is not None:
            model, tuned = fine_tune(model, images, pairs, cfg, params, self.name)
            history.update(tuned)
        self.model_, self.history_ = model, history
        return self

    def _target_pairs(self, y: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
        """β-VAE ignores ``y``, as an unsupervised scikit-learn estimator does."""
        return None

    def _build_model(self) -> ConvVAE:
        c, size, _ = (int(v) for v in self.image_shape_)
        return ConvVAE(c, size, self.config.latent_dim)

    # ------------------------------------------------------------------ inference
    def _device(self) -> torch.device:
        return next(self.model_.parameters()).device

    @torch.no_grad()
    def encode(self, x: Any, batch_size: int = 256) -> np.ndarray:
        """Posterior means ``(N, latent_dim)``."""
        self.check_is_fitted()
        images = self._check_images(x)
        means = [
            self.model_.posterior(torch.from_numpy(images[i : i + batch_size]).to(self._device()))[
                0
            ]
            for i in range(0, len(images), batch_size)
        ]
        return torch.cat(means).double().cpu().numpy()

    @torch.no_grad()
    def decode(self, z: Any) -> np.ndarray:
        """Images ``(N, C, S, S)`` in [0, 1] from codes ``(N, latent_dim)``."""
        self.check_is_fitted()
        codes = check_array(z, name="z", ndim=2)
        if codes.shape[1] != self.config.latent_dim:
            raise InputError(
                f"z: {self.name} decodes codes of {self.config.latent_dim} dimensions, found "
                f"{codes.shape[1]}"
            )
        logits = self.model_.decode(
            torch.as_tensor(codes, dtype=torch.float32, device=self._device())
        )
        return torch.sigmoid(logits).cpu().numpy()

    def traverse(self, image: Any, values: Any = (-2.0, -1.0, 0.0, 1.0, 2.0)) -> np.ndarray:
        """Latent traversals of one image: ``(latent_dim, len(values), C, S, S)``.

        Row ``d`` decodes the image's code with dimension ``d`` set to each of ``values``.
        """
        code = self.encode(np.asarray(image)[None])[0]
        values = np.asarray(values, dtype=float)
        codes = np.repeat(code[None, None], len(values), axis=1).repeat(len(code), axis=0)
        for d in range(len(code)):
            codes[d, :, d] = values
        decoded = self.decode(codes.reshape(-1, len(code)))
        return decoded.reshape(len(code), len(values), *decoded.shape[1:])

    def _get_state(self) -> dict[str, np.ndarray]:
        return {"image_shape_": np.asarray(self.image_shape_)} if self.is_fitted() else {}

    # ------------------------------------------------------------------ report
    def report_figures(self, context: FigureContext) -> list[Figure]:
        return traversal_figure(self, context)


class AdaGVAE(_ImageVAE):
    """Ada-GVAE (Locatello et al. 2020): weakly supervised by source pairs, then transferred.

    Each training step draws ``batch_size`` pairs of Texture-dSprites images that differ
    in ``pairs.k`` factors; per pair, the dimensions whose KL between the two posteriors
    lies below the midpoint of that pair's range share a combined posterior.
    """

    Config = AdaGVAEConfig

    def fit(self, x: Any, y: Any = None) -> AdaGVAE:
        """Train on source pairs, then fine-tune on ``x``: with the β-VAE loss, or, given
        pair ids ``y`` (two rows per id, e.g. ``obs["pair"]``), weakly supervised by them."""
        return super().fit(x, y)

    def _target_pairs(self, y: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
        return None if y is None else check_target_pairs(y, n, self.config)

    def _source_loss(self, source: TextureDSprites):
        cfg = self.config
        sampler = PairSampler(FACTOR_SIZES, k=cfg.pairs.k, k_max=cfg.pairs.k_max)

        def loss_fn(model: ConvVAE, step: TrainingStep) -> dict[str, torch.Tensor]:
            f1, f2, changed = sampler.sample(cfg.training.batch_size, step.rng)
            x1, x2 = (torch.from_numpy(source.render(f)).to(step.device) for f in (f1, f2))
            return pair_losses(model, x1, x2, torch.from_numpy(changed).to(step.device), cfg)

        return loss_fn


class BetaVAE(_ImageVAE):
    """β-VAE (Higgins et al. 2017): the same network on single images, no supervision."""

    Config = BetaVAEConfig

    def _source_loss(self, source: TextureDSprites):
        def loss_fn(model: ConvVAE, step: TrainingStep) -> dict[str, torch.Tensor]:
            factors = source.sample_factors(self.config.training.batch_size, step.rng)
            x = torch.from_numpy(source.render(factors)).to(step.device)
            return vae_losses(model, x, self.config.beta)

        return loss_fn
