"""The convolutional VAE of Locatello et al. (2019, 2020), for square images of any size
that is a multiple of 16.

Encoder: four 4x4 convolutions of stride 2 (32, 32, 64, 64 channels), a 256-unit dense
layer, then the posterior mean and log-variance. Decoder: the mirror image, ending in
pixel logits (a Bernoulli likelihood, as in disentanglement_lib). The original is fixed
to 64x64; here the spatial size after the convolutions is ``size / 16``.
"""

from __future__ import annotations

import torch
from torch import nn

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

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.posterior(x)
