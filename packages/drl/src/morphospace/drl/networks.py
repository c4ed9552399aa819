"""The two VAE networks: convolutional on pixels, MLP on backbone features.

Both give a diagonal Gaussian posterior ``(mu, logvar)``, decode a code, and score a
reconstruction with ``nll(z, x)`` (summed per sample), so one objective serves both.

:class:`ConvVAE` is the network of Locatello et al. (2019, 2020), for square images of
any side that is a multiple of 16: four 4x4 convolutions of stride 2 (32, 32, 64, 64
channels), a 256-unit dense layer, then the posterior; the decoder mirrors it and ends
in pixel logits (a Bernoulli likelihood, as in disentanglement_lib). The original is
fixed to 64x64. :class:`MLPVAE` is an MLP on standardised features with a unit-
variance Gaussian likelihood.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: Channels of the four convolutions, from the image inwards.
CONV_CHANNELS = (32, 32, 64, 64)
HIDDEN = 256


class ConvVAE(nn.Module):
    """Gaussian posterior ``(mu, logvar)`` from an image; pixel logits from a code."""

    def __init__(self, channels: int, size: int, latent_dim: int):
        super().__init__()
        self.channels, self.size, self.latent_dim = channels, size, latent_dim
        self.grid = size // 16
        flat = CONV_CHANNELS[-1] * self.grid * self.grid
        layers: list[nn.Module] = []
        previous = channels
        for width in CONV_CHANNELS:
            layers += [nn.Conv2d(previous, width, 4, stride=2, padding=1), nn.ReLU()]
            previous = width
        self.encoder = nn.Sequential(
            *layers,
            nn.Flatten(),
            nn.Linear(flat, HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, 2 * latent_dim),
        )
        deconvs: list[nn.Module] = []
        widths = (*CONV_CHANNELS[::-1][1:], channels)
        previous = CONV_CHANNELS[-1]
        for i, width in enumerate(widths):
            deconvs.append(nn.ConvTranspose2d(previous, width, 4, stride=2, padding=1))
            if i < len(widths) - 1:
                deconvs.append(nn.ReLU())
            previous = width
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, flat),
            nn.ReLU(),
            nn.Unflatten(1, (CONV_CHANNELS[-1], self.grid, self.grid)),
            *deconvs,
        )

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of ``q(z | x)``, each ``(B, latent_dim)``."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits ``(B, C, S, S)``; ``sigmoid`` gives the image."""
        return self.decoder(z)

    def nll(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Bernoulli negative log-likelihood of images in [0, 1], summed per image."""
        logits = self.decode(z)
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.posterior(x)


class MLPVAE(nn.Module):
    """An MLP VAE on feature vectors, standardised with the mean and scale it stores."""

    def __init__(self, n_features: int, latent_dim: int, hidden: int = 256):
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_scale", torch.ones(n_features))
        self.encoder = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_features),
        )

    def standardise(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.feature_mean) / self.feature_scale

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` are raw features; the network sees them standardised."""
        mu, logvar = self.encoder(self.standardise(x)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Standardised features ``(B, n_features)``."""
        return self.decoder(z)

    def nll(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Unit-variance Gaussian negative log-likelihood (up to a constant), per sample."""
        return 0.5 * (self.decode(z) - self.standardise(x)).pow(2).sum(1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.posterior(x)
