"""The networks a DiffeoMappingNet can read a (moving, fixed) pair with: the paper's
registration ablation (its Table II) as one switch, ``backbone``.

Each maps the pair, concatenated on channels ``(N, 2C, P, P)``, to a 2-channel field
``(N, 2, P, P)`` that starts near zero (the identity map); the DiffeoMappingNet then
integrates it (``integration: svf``, diffeomorphic) or uses it as the displacement.

- ``unet``: DiffKillR's small UNet (widths ``width x 1, 2, 4, 4, ...``, ``depth`` levels).
- ``voxelmorph``: VoxelMorph's published UNet (Balakrishnan et al. 2019, "vm2"): encoder
  16-32-32-32 (four stride-2 convs), decoder 32-32-32-32 with skips, then 32-16-16 at
  full resolution, LeakyReLU 0.2. With ``integration: svf`` it is the diffeomorphic
  variant (VoxelMorph-diff, Dalca et al. 2019), integrated at full resolution here
  rather than at half resolution.
- ``corrmlp``: a correlation-aware coarse-to-fine MLP registrar after CorrMLP (Meng et
  al. 2024), reduced to 2-D patches: a shared conv pyramid encodes both images; from the
  coarsest level up, the moving features are warped by the field so far, a local
  correlation volume (displacements within ``CORRELATION_RADIUS``) is computed against
  the fixed features, and an MLP block (channel MLPs with a windowed depthwise token
  mixer, residual) predicts the field's increment, upsampled to the next level.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from morphospace.diffkillr import spatial_transform as st

#: Largest displacement (feature pixels) the correlation volume of ``corrmlp`` compares.
CORRELATION_RADIUS = 2


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.2))


def _field_head(channels: int) -> nn.Conv2d:
    """The 3x3 conv to a 2-channel field, initialised near zero: the identity map."""
    head = nn.Conv2d(channels, 2, 3, padding=1)
    nn.init.normal_(head.weight, std=1e-5)
    nn.init.zeros_(head.bias)
    return head


def _down_and_up(x: torch.Tensor, down: nn.ModuleList, up: nn.ModuleList) -> torch.Tensor:
    """A UNet's pass: stride-2 convs down, then up (nearest x2) joining each level's skip."""
    skips = [x]
    for layer in down:
        skips.append(layer(skips[-1]))
    h = skips.pop()
    for layer in up:
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = layer(torch.cat([h, skips.pop()], dim=1))
    return h


class UNet(nn.Module):
    """DiffKillR's small UNet: ``depth`` stride-2 levels of widths ``width x 1, 2, 4, 4``."""

    def __init__(self, in_channels: int, width: int, depth: int):
        super().__init__()
        widths = [width * 2 ** min(i, 2) for i in range(depth + 1)]
        self.stem = _conv(in_channels, widths[0])
        self.down = nn.ModuleList(_conv(widths[i], widths[i + 1], 2) for i in range(depth))
        self.up = nn.ModuleList(
            _conv(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth))
        )
        self.refine = _conv(widths[0], widths[0])
        self.out = _field_head(widths[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.refine(_down_and_up(self.stem(x), self.down, self.up)))


class VoxelMorphUNet(nn.Module):
    """VoxelMorph's UNet with its published widths (2-D); patches divisible by 16."""

    ENCODER = (16, 32, 32, 32)
    DECODER = (32, 32, 32, 32)
    FULL_RESOLUTION = (32, 16, 16)

    def __init__(self, in_channels: int):
        super().__init__()
        widths = [in_channels, *self.ENCODER]
        self.down = nn.ModuleList(_conv(widths[i], widths[i + 1], 2) for i in range(4))
        skips = [in_channels, *self.ENCODER[:-1]][::-1]  # full resolution .. 1/8
        self.up = nn.ModuleList()
        previous = self.ENCODER[-1]
        for skip, width in zip(skips, self.DECODER, strict=True):
            self.up.append(_conv(previous + skip, width))
            previous = width
        extra = []
        for width in self.FULL_RESOLUTION:
            extra.append(_conv(previous, width))
            previous = width
        self.extra = nn.Sequential(*extra)
        self.out = _field_head(previous)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.extra(_down_and_up(x, self.down, self.up)))


def local_correlation(fixed: torch.Tensor, moving: torch.Tensor, radius: int) -> torch.Tensor:
    """Cost volume ``(N, (2r+1)^2, H, W)``: the mean over channels of ``fixed(x) *
    moving(x + d)`` for every displacement ``d`` within ``radius`` (zero outside)."""
    height, width = fixed.shape[2:]
    padded = F.pad(moving, [radius] * 4)
    volume = [
        (fixed * padded[:, :, dy : dy + height, dx : dx + width]).mean(1, keepdim=True)
        for dy in range(2 * radius + 1)
        for dx in range(2 * radius + 1)
    ]
    return torch.cat(volume, dim=1)


class MLPBlock(nn.Module):
    """Channel MLP, windowed token mixing (depthwise ``window x window``), channel MLP;
    residual. The MLP-mixer pattern of CorrMLP's blocks, local rather than global."""

    def __init__(self, channels: int, window: int = 5, expansion: int = 2):
        super().__init__()
        hidden = channels * expansion
        self.norm = nn.GroupNorm(1, channels)
        self.expand = nn.Conv2d(channels, hidden, 1)
        self.mix = nn.Conv2d(hidden, hidden, window, padding=window // 2, groups=hidden)
        self.project = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.expand(self.norm(x)))
        return x + self.project(F.gelu(self.mix(h)))


class CorrMLP(nn.Module):
    """Coarse-to-fine registration from local correlation volumes and MLP blocks."""

    def __init__(self, in_channels: int, width: int, depth: int):
        super().__init__()
        self.channels = in_channels // 2  # the pair arrives concatenated
        widths = [width * 2 ** min(i, 2) for i in range(depth + 1)]
        self.encoder = nn.ModuleList(
            [_conv(self.channels, widths[0])]
            + [_conv(widths[i], widths[i + 1], 2) for i in range(depth)]
        )
        correlation = (2 * CORRELATION_RADIUS + 1) ** 2
        self.levels = nn.ModuleList()
        for w in widths:
            self.levels.append(
                nn.Sequential(nn.Conv2d(2 * w + correlation + 2, w, 1), MLPBlock(w), _field_head(w))
            )

    def _pyramid(self, image: torch.Tensor) -> list[torch.Tensor]:
        features = [image]
        for layer in self.encoder:
            features.append(layer(features[-1]))
        return features[1:]  # full resolution .. coarsest

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        moving, fixed = x[:, : self.channels], x[:, self.channels :]
        moving_features, fixed_features = self._pyramid(moving), self._pyramid(fixed)
        coarsest = fixed_features[-1]
        field = coarsest.new_zeros(coarsest.shape[0], 2, *coarsest.shape[2:])
        for level in reversed(range(len(self.levels))):
            f, m = fixed_features[level], moving_features[level]
            if field.shape[2:] != f.shape[2:]:  # up one level: twice the size, twice the pixels
                field = 2 * F.interpolate(field, size=f.shape[2:], mode="bilinear")
            warped = st.warp(m, field)
            volume = local_correlation(f, warped, CORRELATION_RADIUS)
            field = field + self.levels[level](torch.cat([f, warped, volume, field], dim=1))
        return field


def build_backbone(name: str, in_channels: int, width: int, depth: int) -> nn.Module:
    """The backbone ``name`` for pairs of ``in_channels // 2``-channel patches."""
    if name == "unet":
        return UNet(in_channels, width, depth)
    if name == "voxelmorph":
        return VoxelMorphUNet(in_channels)
    if name == "corrmlp":
        return CorrMLP(in_channels, width, depth)
    raise ValueError(f"unknown registration backbone {name!r}")
