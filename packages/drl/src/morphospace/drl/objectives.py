"""The objectives both VAEs train with, and the two training stages they share.

- the β-VAE loss on single samples (images or features) and the Ada-GVAE loss on pairs,
  for any network with ``posterior``, ``decode`` and ``nll`` (:mod:`.networks`);
- the check of the images an encoder with a Texture-dSprites source takes;
- the target's own pairs (pair ids) and the fine-tuning stage.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from morphospace.core.errors import InputError
from morphospace.core.training import TrainingStep, train
from morphospace.core.validation import (
    check_array,
    check_fitted_shape,
    check_labels,
    check_unit_range,
)
from morphospace.drl import aggregation
from morphospace.drl.config import WeakSupervision
from morphospace.drl.networks import MLPVAE, ConvVAE

#: Either network: ``posterior``, ``decode`` and ``nll`` are all the objectives use.
VAENetwork = ConvVAE | MLPVAE


def check_source_images(
    x: Any, name: str, owner: str, fitted_shape: tuple[int, ...] | None
) -> np.ndarray:
    """Images an encoder with a Texture-dSprites source takes: ``(N, 1 or 3, H, W)`` in
    [0, 1] (the source is rendered grey or RGB, in that range), of the fitted shape."""
    images = check_array(x, name=name, ndim=4, channels=fitted_shape[0] if fitted_shape else None)
    if images.shape[1] not in (1, 3):
        raise InputError(
            f"{name}: {owner} takes images with 1 or 3 channels (the source is rendered grey "
            f"or RGB), found {images.shape[1]} channels"
        )
    check_fitted_shape(images, fitted_shape, name=name, owner=owner)
    check_unit_range(images, name=name, owner=owner, why="the source's range")
    return images.astype(np.float32, copy=False)


def sample(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """A reparameterised draw from ``N(mu, exp(logvar))``."""
    return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


def vae_losses(model: VAENetwork, x: torch.Tensor, beta: float) -> dict[str, torch.Tensor]:
    """The β-VAE objective on a batch of single samples."""
    mu, logvar = model.posterior(x)
    reconstruction = model.nll(sample(mu, logvar), x).mean()
    kl = aggregation.kl_to_standard_normal(mu, logvar).sum(1).mean()
    return {"loss": reconstruction + beta * kl, "reconstruction": reconstruction, "kl": kl}


def pair_losses(
    model: VAENetwork,
    x1: torch.Tensor,
    x2: torch.Tensor,
    changed: torch.Tensor | None,
    config: WeakSupervision,
) -> dict[str, torch.Tensor]:
    """The Ada-GVAE objective on a batch of pairs: both ELBOs with shared posteriors."""
    mu1, logvar1 = model.posterior(x1)
    mu2, logvar2 = model.posterior(x2)
    if config.aggregation == "argmax":
        delta = aggregation.gaussian_kl(mu1, logvar1, mu2, logvar2)
        shared = aggregation.adaptive_shared(delta)
    else:
        shared = aggregation.labelled_shared(changed, config.latent_dim)
    (m1, v1), (m2, v2) = aggregation.aggregate(
        mu1, logvar1, mu2, logvar2, shared, config.combination
    )
    reconstruction = (model.nll(sample(m1, v1), x1) + model.nll(sample(m2, v2), x2)).mean()
    kl = (
        aggregation.kl_to_standard_normal(m1, v1).sum(1)
        + aggregation.kl_to_standard_normal(m2, v2).sum(1)
    ).mean()
    return {
        "loss": reconstruction + config.beta * kl,
        "reconstruction": reconstruction,
        "kl": kl,
        "shared_dims": shared.float().sum(1).mean(),
    }


def samples_loss(samples: np.ndarray, batch_size: int, beta: float):
    """The β-VAE loss on ``batch_size`` rows of ``samples`` (images or features) drawn
    afresh each step."""
    size = min(batch_size, len(samples))

    def loss_fn(model: VAENetwork, step: TrainingStep) -> dict[str, torch.Tensor]:
        rows = np.sort(step.rng.choice(len(samples), size=size, replace=False))
        return vae_losses(model, torch.from_numpy(samples[rows]).to(step.device), beta)

    return loss_fn


def pair_rows(y: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the first and second image of each pair, from pair ids ``y`` (N,).

    Every id must name exactly two rows (``obs["pair"]`` of the drl datasets does).
    """
    ids = check_labels(y, n, name="y (pair ids)")
    values, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    if (counts != 2).any():
        bad = int(np.argmax(counts != 2))
        raise InputError(
            f"y (pair ids): weak supervision takes pairs, two images per id; id "
            f"{values[bad].item()!r} has {counts[bad]}"
        )
    order = np.argsort(inverse, kind="stable")
    return order[0::2], order[1::2]


def check_target_pairs(y: Any, n: int, config: Any) -> tuple[np.ndarray, np.ndarray]:
    """Pair ids ``y`` that can supervise fine-tuning, as the rows of each pair's images."""
    if config.fine_tune is None:
        raise InputError(
            "y (pair ids): the target's pairs supervise fine-tuning; set fine_tune (e.g. "
            "fine_tune: {n_steps: 500}) or leave y out"
        )
    if config.aggregation == "label":
        raise InputError(
            "y (pair ids): aggregation 'label' needs to know which factors changed in each "
            "pair, which a target's pairs do not say; use aggregation 'argmax'"
        )
    return pair_rows(y, n)


def target_pairs_loss(samples: np.ndarray, pairs: tuple[np.ndarray, np.ndarray], config: Any):
    """The Ada-GVAE loss on the target's own pairs of ``samples`` (images or features),
    ``fine_tune.batch_size`` pairs a step; ``pairs`` from :func:`check_target_pairs`."""
    first, second = pairs
    size = min(config.fine_tune.batch_size, len(first))

    def loss_fn(model: VAENetwork, step: TrainingStep) -> dict[str, torch.Tensor]:
        rows = np.sort(step.rng.choice(len(first), size=size, replace=False))
        x1, x2 = (torch.from_numpy(samples[r[rows]]).to(step.device) for r in (first, second))
        return pair_losses(model, x1, x2, None, config)

    return loss_fn


def fine_tune(
    trained: VAENetwork,
    samples: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray] | None,
    config: Any,
    params: dict,
    name: str,
) -> tuple[VAENetwork, dict[str, list[float]]]:
    """The transfer stage: a copy of ``trained`` tuned on the target's ``samples`` (images
    or features) as ``config.fine_tune`` says, with the β-VAE loss or, given ``pairs``
    (from :func:`check_target_pairs`), the Ada-GVAE loss on them. History keys start
    ``fine_tune/``."""
    loss_fn = (
        samples_loss(samples, config.fine_tune.batch_size, config.beta)
        if pairs is None
        else target_pairs_loss(samples, pairs, config)
    )
    tuned = train(
        lambda: copy.deepcopy(trained).train(),
        loss_fn,
        config.fine_tune,
        seed=config.seed + 1,
        params={**params, "stage": "fine_tune"},
        desc=f"{name} fine-tuning",
    )
    return tuned.model, {f"fine_tune/{k}": v for k, v in tuned.history.items()}
