"""DiffeoInvariantNet: an encoder that maps a cell and its deformed versions together.

A residual conv encoder embeds a patch on the unit sphere; a decoder reconstructs the
*un-deformed* patch from the embedding of a deformed view, so the embedding keeps the
cell's appearance but forgets the diffeomorphism. Training draws several random
diffeomorphisms (:mod:`~morphospace.diffkillr.diffeomorphisms`) of each cell per step
and pulls the views of one class together with the supervised-contrastive loss of
Khosla et al. 2020 (a batch-hard triplet loss as an option). Cells are compared by
cosine similarity.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from morphospace.core import Encoder
from morphospace.core.errors import InputError
from morphospace.core.training import SavesModelWeights, TrainingStep, train
from morphospace.core.validation import check_array, check_labels
from morphospace.diffkillr.config import DiffeoInvariantNetConfig
from morphospace.diffkillr.diffeomorphisms import DiffeomorphismSampler, warp
from morphospace.diffkillr.network_io import StandardisesPatches, batched, device_of, to_tensor


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.GroupNorm(4, channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.GroupNorm(4, channels),
        )

    def forward(self, x):
        return F.silu(x + self.body(x))


class InvariantNetwork(nn.Module):
    """Residual encoder to a unit embedding; decoder back to a patch."""

    def __init__(self, in_channels: int, patch_size: int, width: int, embedding_dim: int):
        super().__init__()
        levels = 3
        self.bottom = patch_size // 2**levels
        widths = [width * 2**i for i in range(levels + 1)]
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 3, padding=1), nn.SiLU()]
        for i in range(levels):  # residual blocks at 1/2, 1/4 and 1/8 of the patch size
            layers += [nn.Conv2d(widths[i], widths[i + 1], 3, 2, 1), _ResidualBlock(widths[i + 1])]
        self.encoder = nn.Sequential(*layers)
        flat = widths[-1] * self.bottom**2
        self.head = nn.Linear(flat, embedding_dim)
        self.expand = nn.Linear(embedding_dim, flat)
        up: list[nn.Module] = []
        for i in reversed(range(levels)):
            up += [
                nn.Upsample(scale_factor=2),
                nn.Conv2d(widths[i + 1], widths[i], 3, padding=1),
                nn.SiLU(),
            ]
        up += [nn.Conv2d(width, in_channels, 3, padding=1)]
        self.decoder = nn.Sequential(*up)
        self.top = widths[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x).flatten(1))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.features(x), dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        recon = self.decoder(self.expand(h).view(-1, self.top, self.bottom, self.bottom))
        return F.normalize(h, dim=1), recon


def supcon_loss(z: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020) on unit embeddings."""
    logits = z @ z.T / temperature
    n = len(z)
    self_mask = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    positives = (labels[:, None] == labels[None, :]) & ~self_mask
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    count = positives.sum(1).clamp(min=1)
    return -(log_prob.masked_fill(~positives, 0).sum(1) / count).mean()


def triplet_loss(z: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """Batch-hard triplet loss on cosine distance."""
    distance = 1 - z @ z.T
    same = labels[:, None] == labels[None, :]
    hardest_positive = distance.masked_fill(~same, -1).max(1).values
    hardest_negative = distance.masked_fill(same, 3).min(1).values
    return F.relu(hardest_positive - hardest_negative + margin).mean()


class DiffeoInvariantNet(SavesModelWeights, StandardisesPatches, Encoder):
    """Embeds cell patches ``(N, C, P, P)`` so deformed versions of one cell coincide.

    ``fit(x, y)``: ``y`` gives a class per patch (an archetype, a cell type); without
    it every patch is its own class. ``encode`` returns unit vectors ``(N, d)``.
    """

    Config = DiffeoInvariantNetConfig

    def _check_patches(self, x, name: str = "patches") -> np.ndarray:
        x = check_array(x, name=name, ndim=4)
        p = self.config.patch_size
        if x.shape[2:] != (p, p):
            raise InputError(
                f"{self.name}: {name} must be {p}x{p} (patch_size), found {x.shape[2]}x{x.shape[3]}"
            )
        if p % 8:
            raise InputError(f"{self.name}: patch_size must be a multiple of 8, got {p}")
        if hasattr(self, "n_channels_") and x.shape[1] != self.n_channels_:
            raise InputError(
                f"{self.name}: {name} have {x.shape[1]} channel(s), the model was fitted on "
                f"{self.n_channels_}"
            )
        return x.astype(np.float32)

    def _build_model(self) -> InvariantNetwork:
        c = self.config
        return InvariantNetwork(int(self.n_channels_), c.patch_size, c.width, c.embedding_dim)

    def fit(self, x, y=None) -> DiffeoInvariantNet:
        for attr in ("n_channels_", "model_"):
            self.__dict__.pop(attr, None)
        x = self._check_patches(x)
        if y is None:
            classes = np.arange(len(x))
        else:
            y = check_labels(y, len(x), name="y")
            classes = np.unique(y, return_inverse=True)[1]
        c = self.config
        self.n_channels_ = int(x.shape[1])
        normalised = self._fit_standardisation(x)
        sampler = DiffeomorphismSampler(
            c.augmentations,
            c.max_rotation,
            c.max_stretch,
            c.elastic_magnitude,
            c.elastic_smoothness,
        )

        def loss_fn(model, step: TrainingStep) -> dict[str, torch.Tensor]:
            rng, device = step.rng, step.device
            size = min(c.training.batch_size, len(x))
            chosen = rng.choice(len(x), size=size, replace=len(x) < 2)
            views = np.repeat(chosen, c.views)
            fields, _ = sampler.sample_fields(len(views), normalised.shape[2:], rng)
            deformed, _ = warp(normalised[views], None, fields)
            if c.intensity_jitter > 0:
                shape = (len(views),) + (1,) * (deformed.ndim - 1)
                gain = np.exp(rng.normal(0, c.intensity_jitter, shape))
                offset = rng.normal(0, c.intensity_jitter / 2, shape)
                deformed = (deformed * gain + offset).astype(np.float32)
            deformed = deformed + rng.normal(0, 0.05, deformed.shape).astype(np.float32)
            z, recon = model(to_tensor(deformed, device))
            labels = torch.as_tensor(classes[views], device=device)
            if c.loss == "supcon":
                contrastive = supcon_loss(z, labels, c.temperature)
            else:
                contrastive = triplet_loss(z, labels, c.margin)
            reconstruction = F.mse_loss(recon, to_tensor(normalised[views], device))
            return {
                "loss": contrastive + c.reconstruction_weight * reconstruction,
                "contrastive": contrastive,
                "reconstruction": reconstruction,
            }

        result = train(
            self._build_model,
            loss_fn,
            c.training,
            seed=c.seed,
            params={**c.model_dump(mode="json", exclude={"training"}), "n_channels": x.shape[1]},
            desc="DiffeoInvariantNet",
        )
        self.model_, self.history_ = result.model, result.history
        return self

    def encode(self, x) -> np.ndarray:
        self.check_is_fitted()
        x = self._standardise(self._check_patches(x))
        return batched(self.model_.embed, x, device=device_of(self.model_))

    def reconstruct(self, x) -> np.ndarray:
        """The un-deformed patch the decoder sees behind each input (in input units)."""
        self.check_is_fitted()
        x = self._standardise(self._check_patches(x))
        recon = batched(lambda t: self.model_(t)[1], x, device=device_of(self.model_))
        return recon * self.std_ + self.mean_
