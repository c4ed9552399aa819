"""The PhenDiff translator: a class-conditional DDIM over diffusers' ``UNet2DModel``.

Training (through the core trainer): images scaled to [-1, 1], a timestep drawn
uniformly, noise added by the scheduler, and the UNet asked for the noise (or the
velocity); each sample's condition is replaced by the null class with probability
``condition_dropout``, per sample (the original code drops whole batches), so the one
network is also the unconditional model that classifier-free guidance needs. The EMA
of the weights, when on, is what inference uses.

Inference: ``invert`` runs DDIM backwards (``DDIMInverseScheduler``) from an image to
its noise under the image's own condition; ``generate`` runs DDIM forwards from noise
under any condition; ``translate`` is the two in a row. Both schedulers are built from
one config, so inversion and generation walk the same alphas (the original code inverts
on a schedule that ignored zero-SNR and spacing keys). Any source goes to any target
among the N conditions seen in training (the original is binary only).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from morphospace.core import Translator
from morphospace.core.dependencies import require
from morphospace.core.errors import InputError
from morphospace.core.figures import Figure, FigureContext
from morphospace.core.training import SavesModelWeights, TrainingStep, train
from morphospace.core.validation import (
    check_array,
    check_fitted_shape,
    check_labels,
    check_unit_range,
)
from morphospace.phendiff.config import DDIMTranslatorConfig
from morphospace.phendiff.figures import translation_figure


def make_schedulers(config: DDIMTranslatorConfig) -> tuple[Any, Any]:
    """The DDIM scheduler and its inverse, the inverse built from the forward one's config."""
    diffusers = require("diffusers", install="diffusers", needed_for="phendiff.ddim")
    forward = diffusers.DDIMScheduler(
        num_train_timesteps=config.num_train_timesteps,
        beta_schedule=config.beta_schedule,
        prediction_type=config.prediction_type,
        rescale_betas_zero_snr=config.zero_terminal_snr,
        timestep_spacing="trailing" if config.zero_terminal_snr else "leading",
        clip_sample=False,
        set_alpha_to_one=True,
    )
    inverse = diffusers.DDIMInverseScheduler.from_config(forward.config)
    return forward, inverse


def drop_conditions(
    classes: torch.Tensor, rng: np.random.Generator, p: float, null: int
) -> torch.Tensor:
    """``classes`` with each entry replaced by the ``null`` class with probability ``p``,
    independently per sample (not the whole batch at once, as the original code does)."""
    dropped = torch.from_numpy(rng.random(len(classes)) < p).to(classes.device)
    return torch.where(dropped, torch.full_like(classes, null), classes)


class DDIMTranslator(SavesModelWeights, Translator):
    """Translate images between conditions by DDIM inversion and regeneration."""

    Config = DDIMTranslatorConfig

    # ------------------------------------------------------------------ input
    def _check_images(self, x: Any, name: str = "images") -> np.ndarray:
        fitted = tuple(int(v) for v in self.image_shape_) if self.is_fitted() else None
        images = check_array(x, name=name, ndim=4, channels=fitted[0] if fitted else None)
        h, w = images.shape[2:]
        step = self.config.downsampling
        if h % step or w % step:
            raise InputError(
                f"{name}: {self.name} takes images whose sides are multiples of {step} (the "
                f"UNet halves them {len(self.config.block_out_channels) - 1} times), found "
                f"{h}x{w}"
            )
        check_fitted_shape(images, fitted, name=name, owner=self.name)
        check_unit_range(images, name=name, owner=self.name)
        return images.astype(np.float32, copy=False)

    def class_ids(self, conditions: Any, n: int, name: str = "conditions") -> np.ndarray:
        """The class index of each condition (a scalar applies to all ``n`` images)."""
        self.check_is_fitted()
        values = np.full(n, conditions, dtype=object) if np.ndim(conditions) == 0 else conditions
        labels = check_labels(values, n, name=name).astype(str)
        known = list(self.classes_)
        unknown = sorted(set(labels) - set(known))
        if unknown:
            raise InputError(
                f"{name}: {self.name} was trained on the conditions {', '.join(known)}; "
                f"it never saw {', '.join(map(repr, unknown))}"
            )
        return np.searchsorted(np.asarray(known), labels)

    # ------------------------------------------------------------------ training
    def fit(self, images: Any, conditions: Any) -> DDIMTranslator:
        cfg = self.config
        x = self._check_images(images)
        labels = check_labels(conditions, len(x), name="conditions", min_classes=1).astype(str)
        self.classes_ = np.unique(labels)
        self.image_shape_ = np.asarray(x.shape[1:])
        ids = np.searchsorted(self.classes_, labels)
        data = torch.from_numpy(2.0 * x - 1.0)
        scheduler, _ = make_schedulers(cfg)
        null = len(self.classes_)

        def loss_fn(model: Any, step: TrainingStep) -> dict[str, torch.Tensor]:
            rows = step.rng.choice(len(data), size=min(cfg.training.batch_size, len(data)))
            clean = data[rows].to(step.device)
            classes = torch.from_numpy(ids[rows]).to(step.device)
            classes = drop_conditions(classes, step.rng, cfg.condition_dropout, null)
            t = torch.from_numpy(step.rng.integers(0, cfg.num_train_timesteps, len(rows)))
            t = t.to(step.device)
            noise = torch.randn_like(clean)
            noisy = scheduler.add_noise(clean, noise, t)
            target = (
                noise
                if cfg.prediction_type == "epsilon"
                else scheduler.get_velocity(clean, noise, t)
            )
            predicted = model(noisy, t, class_labels=classes).sample
            return {"loss": F.mse_loss(predicted, target)}

        params = {
            **cfg.model_dump(mode="json", exclude={"training"}),
            "image_shape": [int(v) for v in x.shape[1:]],
            "classes": [str(c) for c in self.classes_],
        }
        result = train(
            self._build_model,
            loss_fn,
            cfg.training,
            seed=cfg.seed,
            params=params,
            desc=f"{self.name} training",
        )
        if result.ema is not None:
            result.ema.copy_to(result.model)  # inference uses the averaged weights
        self.model_, self.history_ = result.model, result.history
        return self

    def _build_model(self) -> Any:
        diffusers = require("diffusers", install="diffusers", needed_for="phendiff.ddim")
        channels, size, _ = (int(v) for v in self.image_shape_)
        levels = len(self.config.block_out_channels)
        groups = min(8, *self.config.block_out_channels)
        return diffusers.UNet2DModel(
            sample_size=size,
            in_channels=channels,
            out_channels=channels,
            block_out_channels=self.config.block_out_channels,
            layers_per_block=self.config.layers_per_block,
            down_block_types=("DownBlock2D",) * levels,
            up_block_types=("UpBlock2D",) * levels,
            num_class_embeds=len(self.classes_) + 1,  # the last index is the null class
            norm_num_groups=groups,
        )

    # ------------------------------------------------------------------ inference
    def _device(self) -> torch.device:
        return next(self.model_.parameters()).device

    def _guided(self, x: torch.Tensor, t: Any, classes: torch.Tensor, scale: float):
        """The model output under ``classes``, with classifier-free guidance ``scale``."""
        timestep = torch.full((len(x),), int(t), device=x.device)
        conditional = self.model_(x, timestep, class_labels=classes).sample
        if scale == 1.0:
            return conditional
        null = torch.full_like(classes, len(self.classes_))
        unconditional = self.model_(x, timestep, class_labels=null).sample
        return unconditional + scale * (conditional - unconditional)

    @torch.no_grad()
    def _walk(self, x: np.ndarray, ids: np.ndarray, inverse: bool) -> np.ndarray:
        cfg = self.config
        forward, backward = make_schedulers(cfg)
        scheduler = backward if inverse else forward
        scheduler.set_timesteps(cfg.inversion_steps if inverse else cfg.generation_steps)
        scale = cfg.inversion_guidance if inverse else cfg.generation_guidance
        out = []
        for start in range(0, len(x), cfg.inference_batch_size):
            batch = torch.from_numpy(x[start : start + cfg.inference_batch_size]).to(self._device())
            classes = torch.from_numpy(ids[start : start + len(batch)]).to(self._device())
            for t in scheduler.timesteps:
                output = self._guided(batch, t, classes, scale)
                batch = scheduler.step(output, t, batch).prev_sample
            out.append(batch.cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    def invert(self, images: Any, conditions: Any) -> np.ndarray:
        """The DDIM noise ``(N, C, H, W)`` of images in [0, 1] under their ``conditions``."""
        self.check_is_fitted()
        x = self._check_images(images)
        ids = self.class_ids(conditions, len(x))
        return self._walk(2.0 * x - 1.0, ids, inverse=True)

    def generate(self, noise: Any, conditions: Any) -> np.ndarray:
        """Images in [0, 1] generated by DDIM from ``noise`` under ``conditions``."""
        self.check_is_fitted()
        latents = check_array(noise, name="noise", ndim=4, channels=int(self.image_shape_[0]))
        if latents.shape[1:] != tuple(int(v) for v in self.image_shape_):
            raise InputError(
                f"noise: expected the fitted image shape {tuple(self.image_shape_)}, found "
                f"{latents.shape[1:]}"
            )
        ids = self.class_ids(conditions, len(latents))
        images = self._walk(latents.astype(np.float32), ids, inverse=False)
        return np.clip((images + 1.0) / 2.0, 0.0, 1.0)

    def translate(self, images: Any, source: Any, target: Any) -> np.ndarray:
        """Each image inverted under its ``source`` condition, regenerated under ``target``.

        ``target`` equal to ``source`` is a reconstruction.
        """
        x = self._check_images(images)
        return self.generate(self.invert(x, source), target)

    def translate_to_each(self, images: Any, source: Any, targets: list) -> list[np.ndarray]:
        """:meth:`translate` to each of ``targets``, inverting the images only once."""
        noise = self.invert(self._check_images(images), source)
        return [self.generate(noise, target) for target in targets]

    # ------------------------------------------------------------------ report
    def report_figures(self, context: FigureContext) -> list[Figure]:
        return translation_figure(self.name, context)

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> dict[str, np.ndarray]:
        if not self.is_fitted():
            return {}
        return {
            "classes_": np.asarray(self.classes_, dtype=str),
            "image_shape_": np.asarray(self.image_shape_),
        }
