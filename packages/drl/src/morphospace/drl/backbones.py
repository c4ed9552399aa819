"""Feature backbones for the feature VAE: a Vision Transformer from a local weights file,
or any registered morphospace encoder.

The ViT reads the state-dict layout that DINO and timm share (``patch_embed.proj``,
``cls_token``, ``pos_embed``, ``blocks.<i>.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,
mlp.fc2}``, ``norm``), so a DINO ViT-S/16 or a timm ViT of that layout can be used
offline: convert its checkpoint to safetensors once and name the file. Its size (width,
depth, patch size, position grid) is read from the file; heads are width / 64, as in
every ViT-Ti/S/B/L. Position embeddings are interpolated to the input's patch grid
(bicubic, as DINO does), so images of any multiple of the patch size work. Nothing is
downloaded; timm itself is not needed (it cannot import beside a CPU-only torch whose
torchvision does not load).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from morphospace.core.errors import CheckpointError
from morphospace.core.weights import load_matching, read_safetensors

#: ImageNet statistics both DINO and timm ViTs were trained with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: Keys of a classification head, which a feature backbone does not use.
HEAD_PREFIXES = ("head.", "fc_norm.", "head_drop.")


class Block(nn.Module):
    """A pre-norm transformer block: attention then MLP, each with a residual."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(width, 3 * width)
        self.attn.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(width, 4 * width)
        self.mlp.fc2 = nn.Linear(4 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, width = x.shape
        qkv = self.attn.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, width // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, width)
        x = x + self.attn.proj(attended)
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm2(x))))


class VisionTransformer(nn.Module):
    """A ViT returning the final class-token feature ``(B, width)``."""

    def __init__(self, width: int, depth: int, patch: int, grid: int, channels: int = 3):
        super().__init__()
        self.patch = patch
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(channels, width, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + grid * grid, width))
        self.blocks = nn.ModuleList(Block(width, max(width // 64, 1)) for _ in range(depth))
        self.norm = nn.LayerNorm(width, eps=1e-6)

    @property
    def width(self) -> int:
        return self.cls_token.shape[-1]

    def positions(self, grid_h: int, grid_w: int) -> torch.Tensor:
        """Position embeddings for a ``grid_h x grid_w`` patch grid (interpolated)."""
        cls, grid = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        side = int(round(grid.shape[1] ** 0.5))
        if (grid_h, grid_w) == (side, side):
            return self.pos_embed
        grid = grid.reshape(1, side, side, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(grid_h, grid_w), mode="bicubic", align_corners=False)
        return torch.cat([cls, grid.permute(0, 2, 3, 1).reshape(1, grid_h * grid_w, -1)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed.proj(x)  # (B, width, h, w)
        h, w = tokens.shape[-2:]
        tokens = tokens.flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(len(x), -1, -1), tokens], dim=1)
        tokens = tokens + self.positions(h, w)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)[:, 0]


def vit_from_weights(path: str | Path) -> VisionTransformer:
    """A :class:`VisionTransformer` sized by, and loaded from, a safetensors file."""
    state = read_safetensors(path, "backbone_weights")
    state = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIXES)}
    needed = ("patch_embed.proj.weight", "cls_token", "pos_embed")
    missing = [k for k in needed if k not in state]
    if missing:
        raise CheckpointError(
            f"backbone_weights: {Path(path).name} is not a ViT of the DINO/timm layout: it "
            f"lacks {', '.join(missing)}"
        )
    width, channels, patch, _ = state["patch_embed.proj.weight"].shape
    depth = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    grid = int(round((state["pos_embed"].shape[1] - 1) ** 0.5))
    model = VisionTransformer(width, depth, patch, grid, channels)
    what = f"a ViT of width {width}, depth {depth}, patch {patch}"
    return load_matching(model, state, "backbone_weights", what)


def vit_input(images: np.ndarray, size: int) -> torch.Tensor:
    """Images ``(N, 1|3, H, W)`` in [0, 1] as a ViT takes them: RGB, ``size``, normalised."""
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def vit_features(
    model: VisionTransformer, images: np.ndarray, size: int, batch: int = 64
) -> np.ndarray:
    """Class-token features ``(N, width)`` of images in [0, 1]."""
    out = [model(vit_input(images[i : i + batch], size)) for i in range(0, len(images), batch)]
    return torch.cat(out).numpy().astype(np.float32)


def registered_features(encoder: Any, images: np.ndarray) -> np.ndarray:
    """Features of a fitted registered encoder: images as they are, or flattened for one
    that takes feature tables."""
    x = images if "images" in encoder.input_kinds else images.reshape(len(images), -1)
    return np.asarray(encoder.encode(x), dtype=np.float32)


def save_random_vit(
    path: str | Path, width: int = 64, depth: int = 2, patch: int = 8, grid: int = 4, seed: int = 0
) -> Path:
    """Write a randomly initialised ViT in the DINO/timm layout (with a classification head,
    which loading ignores) to ``path``: for tests, and to try a pipeline before you have
    pretrained weights. Its features carry no knowledge."""
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    model = VisionTransformer(width, depth, patch, grid)
    for parameter in model.parameters():  # zeros (class token, positions) would hide bugs
        nn.init.normal_(parameter, std=0.05)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    state["head.weight"] = torch.zeros(10, width)
    state["head.bias"] = torch.zeros(10)
    save_file(state, str(path))
    return Path(path)
