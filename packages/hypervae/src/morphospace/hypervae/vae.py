"""The Poincaré-ball VAE on 3D patches (and its Euclidean ablation), trained with accelerate.

Encoder: 3D convs (by default three of kernel 3; the paper's four of kernel 5 with
16/32/64/128 filters through ``encoder_channels``) and global average pooling give a
mean ``mu`` (mapped onto the ball with ``expmap0``) and a scale (softplus). Decoder: the
latent point is Möbius-translated by a learned ball point at each cell of a
``ceil(P/4)^3`` grid, a gyroplane 3D convolution maps those ball points to Euclidean
features, and two transposed convs upsample to the patch (cropped to ``P``). The loss
is the negative ELBO with a one-sample Monte-Carlo KL ``log q(z|x) - log p(z)``,
normalised per voxel, plus the hierarchical triplet loss on posterior means. The
ablations swap the latent for R^d (standard normal prior, addition and a plain conv
instead of Möbius translation and the gyroplane conv), or keep the ball but feed
``logmap0(z)`` to a plain conv.
"""

from __future__ import annotations

import geoopt
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from morphospace.core import Encoder
from morphospace.core.errors import InputError
from morphospace.core.training import SavesModelWeights, TrainingStep, train
from morphospace.core.validation import check_array
from morphospace.hypervae.config import PoincareVAEConfig
from morphospace.hypervae.distributions import make_distribution
from morphospace.hypervae.gyroplane import GyroplaneConv3d
from morphospace.hypervae.poincare_ball import poincare_ball
from morphospace.hypervae.triplet import (
    check_volume_size,
    hierarchical_triplet_loss,
    sample_triplets,
)

#: Standard deviation of the Gaussian reconstruction likelihood (intensities are ~[0, 1]).
OBSERVATION_SCALE = 0.1


class PatchVAE(nn.Module):
    """Encoder and decoder for cubic patches of edge ``config.patch_size``."""

    def __init__(self, config: PoincareVAEConfig, in_channels: int):
        super().__init__()
        self.config = config
        self.c = config.curvature if config.latent == "poincare" else None
        h, d = config.hidden_channels, config.latent_dim
        widths = config.encoder_channels or (h, 2 * h, 4 * h)
        kernel = config.encoder_kernel_size
        layers: list[nn.Module] = []
        for i, (before, after) in enumerate(zip((in_channels, *widths), widths, strict=False)):
            stride = 2 if i < 2 else 1  # the first two layers halve the patch
            layers += [nn.Conv3d(before, after, kernel, stride=stride, padding=kernel // 2)]
            layers += [nn.ELU()]
        self.encoder = nn.Sequential(*layers, nn.AdaptiveAvgPool3d(1), nn.Flatten())
        self.to_loc = nn.Linear(widths[-1], d)
        scale_dim = 1 if config.distribution == "riemannian_normal" and self.c else d
        self.to_scale = nn.Linear(widths[-1], scale_dim)
        self.grid = -(-config.patch_size // 4)  # the decoder upsamples by 4, then crops
        # one learned position per grid cell (a tangent vector at the origin)
        self.positions = nn.Parameter(torch.randn(d, self.grid, self.grid, self.grid) * 0.1)
        k = config.gyroplane_kernel_size
        if config.use_gyroplane:
            self.first = GyroplaneConv3d(d, 2 * h, k, c=config.curvature)
        else:
            self.first = nn.Conv3d(d, 2 * h, k, padding="same")
        self.decoder = nn.Sequential(
            nn.ELU(),
            nn.ConvTranspose3d(2 * h, 2 * h, 4, stride=2, padding=1),
            nn.ELU(),
            nn.ConvTranspose3d(2 * h, h, 4, stride=2, padding=1),
            nn.ELU(),
            nn.Conv3d(h, in_channels, 3, padding=1),
        )

    def posterior(self, x: torch.Tensor):
        features = self.encoder(x)
        loc = self.to_loc(features)
        if self.c is not None:
            loc = poincare_ball(self.c).expmap0(loc)
        scale = F.softplus(self.to_scale(features) - 1.0) + 1e-3
        return make_distribution(self.config.distribution, loc, scale, self.c)

    def prior(self, like: torch.Tensor):
        zeros = torch.zeros_like(like)
        return make_distribution(self.config.distribution, zeros, torch.ones_like(zeros), self.c)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        grid = z[:, :, None, None, None]  # (B, d, 1, 1, 1)
        positions = self.positions.unsqueeze(0)
        if self.c is not None and self.config.use_gyroplane:
            manifold = poincare_ball(self.c)
            moved = manifold.mobius_add(
                manifold.expmap0(positions.movedim(1, -1)), grid.movedim(1, -1)
            ).movedim(-1, 1)
        else:
            flat = poincare_ball(self.c).logmap0(z) if self.c is not None else z
            moved = flat[:, :, None, None, None] + positions
        size = self.config.patch_size
        return self.decoder(self.first(moved))[..., :size, :size, :size]

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.c is None:
            return (a - b).norm(dim=-1)
        return poincare_ball(self.c).dist(a, b)

    def forward(self, anchors, positives, negatives) -> dict[str, torch.Tensor]:
        """The training losses of a batch of triplets (``"loss"`` is their weighted sum)."""
        return self.loss(anchors, positives, negatives)

    def loss(self, anchors, positives, negatives) -> dict[str, torch.Tensor]:
        x = torch.cat([anchors, positives, negatives])
        q = self.posterior(x)
        z = q.rsample()
        reconstruction = self.decode(z)
        n_voxels = x[0].numel()
        nll = 0.5 * ((reconstruction - x) / OBSERVATION_SCALE).pow(2).flatten(1).sum(1)
        kl = q.log_prob(z) - self.prior(z).log_prob(z)
        losses = {
            "reconstruction": nll.mean() / n_voxels,
            "kl": kl.mean() / n_voxels,
        }
        total = losses["reconstruction"] + self.config.beta * losses["kl"]
        if self.config.triplet_weight > 0:
            loc_a, loc_p, loc_n = q.loc.chunk(3)
            losses["triplet"] = hierarchical_triplet_loss(
                loc_a, loc_p, loc_n, self.config.triplet_margin, self.distance
            )
            total = total + self.config.triplet_weight * losses["triplet"]
        losses["loss"] = total
        return losses


def intensity_range(volumes: np.ndarray, scaling: str, max_voxels: int = 2_000_000) -> np.ndarray:
    """Per channel ``(low, high)``: the 0.5th and 99.5th percentiles (on at most
    ``max_voxels`` evenly strided voxels), or ``(0, 1)`` for ``scaling == "none"``."""
    channels = volumes.shape[1]
    if scaling == "none":
        return np.tile(np.array([0.0, 1.0], np.float32), (channels, 1))
    flat = np.moveaxis(volumes, 1, 0).reshape(channels, -1)
    step = max(flat.shape[1] // max_voxels, 1)
    low, high = np.percentile(flat[:, ::step], [0.5, 99.5], axis=1)
    high = np.where(high > low, high, low + 1)  # a constant channel maps to 0
    return np.stack([low, high], axis=1).astype(np.float32)


class PoincareVAE(SavesModelWeights, Encoder):
    """Poincaré-ball VAE on 3D patches; ``encode`` embeds patches of edge ``patch_size``.

    ``fit`` takes volumes ``(N, C, D, H, W)`` at least twice the patch size on every
    axis and samples multi-scale triplets from them. Whole volumes are segmented by
    ``hypervae.segmenter``, which embeds sliding windows with this model.
    """

    Config = PoincareVAEConfig

    # ------------------------------------------------------------------ training
    def fit(self, x, y=None) -> PoincareVAE:
        cfg = self.config
        volumes = check_array(x, name="volumes", ndim=5).astype(np.float32, copy=False)
        check_volume_size(volumes.shape[2:], cfg.patch_size, need_negatives=cfg.triplet_weight > 0)
        self.in_channels_ = int(volumes.shape[1])
        self.intensity_range_ = intensity_range(volumes, cfg.intensity_scaling)
        volumes = self.scale_intensities(volumes)
        n_triplets = max(cfg.training.batch_size // 3, 1)

        def loss_fn(model, step: TrainingStep) -> dict[str, torch.Tensor]:
            batch = sample_triplets(volumes, cfg.patch_size, n_triplets, step.rng)
            return model(*(torch.from_numpy(b).to(step.device) for b in batch))

        # what the training state depends on: the VAE's fields and the input channels
        params = {
            **cfg.model_dump(mode="json", exclude={"training"}),
            "in_channels": self.in_channels_,
        }
        result = train(
            self._build_model,
            loss_fn,
            cfg.training,
            seed=cfg.seed,
            params=params,
            desc=f"{self.name} training",
            make_optimizer=geoopt.optim.RiemannianAdam,  # gyroplane points live on the ball
        )
        self.model_, self.history_ = result.model, result.history
        return self

    # ------------------------------------------------------------------ inference
    def _device(self) -> torch.device:
        return next(self.model_.parameters()).device

    @torch.no_grad()
    def embed_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """Posterior means of a batch of patches ``(B, C, P, P, P)`` (a tensor, any device)."""
        return self.model_.posterior(patches.to(self._device(), torch.float32)).loc

    def check_patches(self, x, name: str = "patches") -> np.ndarray:
        self.check_is_fitted()
        patches = check_array(x, name=name, ndim=5, channels=self.in_channels_)
        expected = (self.config.patch_size,) * 3
        if patches.shape[2:] != expected:
            raise InputError(
                f"{name}: {self.name} embeds patches of spatial shape {expected}, found "
                f"{patches.shape[2:]}; segment whole volumes with hypervae.segmenter"
            )
        return patches.astype(np.float32, copy=False)

    def scale_intensities(self, x: np.ndarray) -> np.ndarray:
        """``x`` ``(N, C, ...)`` mapped channel by channel with the range fitted on the
        training volumes (identity for ``intensity_scaling: none``), float32."""
        low, high = self.intensity_range_[:, 0], self.intensity_range_[:, 1]
        shape = (1, -1) + (1,) * (x.ndim - 2)
        scaled = (x - low.reshape(shape)) / (high - low).reshape(shape)
        return scaled.astype(np.float32, copy=False)

    def encode(self, x, batch_size: int = 1024) -> np.ndarray:
        patches = self.scale_intensities(self.check_patches(x))
        out = [
            self.embed_patches(torch.from_numpy(patches[i : i + batch_size])).cpu()
            for i in range(0, len(patches), batch_size)
        ]
        return torch.cat(out).double().numpy()

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> dict[str, np.ndarray]:
        if not self.is_fitted():
            return {}
        return {
            "in_channels_": np.asarray(self.in_channels_),
            "intensity_range_": np.asarray(self.intensity_range_),
        }

    def _build_model(self) -> PatchVAE:
        return PatchVAE(self.config, int(self.in_channels_))
