"""FID's Inception-v3, from a local weights file: the standard FID features without a
download.

FID is defined on the 2,048 pool features of the 2015 TensorFlow Inception-v3. The
network here is that graph as pytorch-fid ports it (Szegedy et al. 2016, with the FID
variants of its blocks: average pools that do not count padding, and a max pool in the
last block), with the parameter names of pytorch-fid's and torch-fidelity's weight files
(``Conv2d_1a_3x3.conv.weight``, ``Mixed_5b.branch1x1.bn.running_mean``, ...). Convert
such a ``.pth`` to safetensors once
(``safetensors.torch.save_file(torch.load(p, weights_only=True), "inception.safetensors")``)
and name the file in :class:`InceptionEncoder`'s ``weights``. Images are resized to
299x299 (bilinear), grey channels repeated to RGB and scaled to [-1, 1], as pytorch-fid
does; the classifier (``fc``) is not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from morphospace.core.errors import InputError
from morphospace.core.interfaces import Encoder
from morphospace.core.training import save_arrays
from morphospace.core.validation import check_array, check_unit_range
from morphospace.core.weights import load_matching, read_safetensors
from morphospace.phendiff.eval_config import InceptionConfig

#: The input side of Inception-v3 and the width of its pool features.
INPUT_SIZE, FEATURES = 299, 2048
#: Where a saved encoder keeps its network.
WEIGHTS_FILE = "inception.safetensors"


class Conv(nn.Module):
    """Convolution without bias, batch norm (eps 0.001, as TensorFlow's), ReLU."""

    def __init__(self, cin: int, cout: int, kernel: Any, stride: int = 1, padding: Any = 0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _average(x: torch.Tensor) -> torch.Tensor:
    """The 3x3 average pool of FID's blocks: padding not counted."""
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):
    """35x35 block: 1x1, 5x5, double 3x3 and pooled branches."""

    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = Conv(cin, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = Conv(cin, 48, 1), Conv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = Conv(cin, 64, 1)
        self.branch3x3dbl_2 = Conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = Conv(96, 96, 3, padding=1)
        self.branch_pool = Conv(cin, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch5x5_2(self.branch5x5_1(x)),
                double,
                self.branch_pool(_average(x)),
            ],
            1,
        )


class BlockB(nn.Module):
    """Reduction 35 -> 17: strided 3x3, strided double 3x3, max pool."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = Conv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = Conv(cin, 64, 1)
        self.branch3x3dbl_2 = Conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = Conv(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), double, F.max_pool2d(x, 3, stride=2)], 1)


class BlockC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (1x7 then 7x1)."""

    def __init__(self, cin: int, c7: int):
        super().__init__()
        row, column = ((1, 7), (0, 3)), ((7, 1), (3, 0))
        self.branch1x1 = Conv(cin, 192, 1)
        self.branch7x7_1 = Conv(cin, c7, 1)
        self.branch7x7_2 = Conv(c7, c7, row[0], padding=row[1])
        self.branch7x7_3 = Conv(c7, 192, column[0], padding=column[1])
        self.branch7x7dbl_1 = Conv(cin, c7, 1)
        self.branch7x7dbl_2 = Conv(c7, c7, column[0], padding=column[1])
        self.branch7x7dbl_3 = Conv(c7, c7, row[0], padding=row[1])
        self.branch7x7dbl_4 = Conv(c7, c7, column[0], padding=column[1])
        self.branch7x7dbl_5 = Conv(c7, 192, row[0], padding=row[1])
        self.branch_pool = Conv(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        single = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = self.branch7x7dbl_1(x)
        for layer in (
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            double = layer(double)
        return torch.cat([self.branch1x1(x), single, double, self.branch_pool(_average(x))], 1)


class BlockD(nn.Module):
    """Reduction 17 -> 8: strided 3x3, 7x7 then strided 3x3, max pool."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = Conv(cin, 192, 1), Conv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = Conv(cin, 192, 1)
        self.branch7x7x3_2 = Conv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = Conv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = Conv(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seven = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            seven = layer(seven)
        three = self.branch3x3_2(self.branch3x3_1(x))
        return torch.cat([three, seven, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):
    """8x8 block with split 1x3 / 3x1 branches; the last one pools by max (FID's graph)."""

    def __init__(self, cin: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = Conv(cin, 320, 1)
        self.branch3x3_1 = Conv(cin, 384, 1)
        self.branch3x3_2a = Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = Conv(cin, 448, 1)
        self.branch3x3dbl_2 = Conv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = Conv(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        three = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _average(x)
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch3x3_2a(three),
                self.branch3x3_2b(three),
                self.branch3x3dbl_3a(double),
                self.branch3x3dbl_3b(double),
                self.branch_pool(pooled),
            ],
            1,
        )


class InceptionV3(nn.Module):
    """Inception-v3 up to its 2,048 average-pooled features, FID's variant."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = Conv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = Conv(32, 32, 3)
        self.Conv2d_2b_3x3 = Conv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = Conv(64, 80, 1)
        self.Conv2d_4a_3x3 = Conv(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = (
            BlockA(192, 32),
            BlockA(256, 64),
            BlockA(288, 64),
        )
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b, self.Mixed_6c = BlockC(768, 128), BlockC(768, 160)
        self.Mixed_6d, self.Mixed_6e = BlockC(768, 160), BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b, self.Mixed_7c = BlockE(1280, max_pool=False), BlockE(2048, max_pool=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, stride=2)))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return x.mean((2, 3))


def inception_from_weights(path: str | Path) -> InceptionV3:
    """FID's Inception-v3 loaded from a pytorch-fid / torch-fidelity state, as safetensors."""
    state = read_safetensors(path, "weights")
    state = {k: v for k, v in state.items() if not k.startswith(("fc.", "AuxLogits."))}
    network = InceptionV3()
    for key in network.state_dict():  # files saved before torch 0.4.1 lack these counters
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = np.zeros((), dtype=np.int64)
    return load_matching(network, state, "weights", "FID's Inception-v3")


def save_random_inception(path: str | Path, seed: int = 0) -> Path:
    """Write a randomly initialised Inception-v3 (with a 1,008-class ``fc``, as the FID
    files have) to ``path``: for tests, and to try a pipeline before you have the real
    weights. Its features carry no knowledge."""
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    state = {k: v.contiguous() for k, v in InceptionV3().state_dict().items()}
    state["fc.weight"], state["fc.bias"] = torch.zeros(1008, FEATURES), torch.zeros(1008)
    save_file(state, str(path))
    return Path(path)


class InceptionEncoder(Encoder):
    """The 2,048 FID features of images in [0, 1], from a local Inception-v3 file.

    Pretrained: ``fit`` only checks the images and loads the weights.
    """

    Config = InceptionConfig

    def _check(self, images: Any) -> np.ndarray:
        x = check_array(images, name="images", ndim=4)
        if x.shape[1] not in (1, 3):
            raise InputError(
                f"images: expected 1 (grey) or 3 (RGB) channels for Inception-v3, found "
                f"{x.shape[1]}; pick channels first (e.g. images[:, :1])"
            )
        check_unit_range(x, name="images", owner=self.name)
        return x

    def fit(self, images: Any, y: Any = None) -> InceptionEncoder:
        self._check(images)
        if self.config.weights is None:
            raise InputError(
                f"{self.name}: weights: name a local Inception-v3 file (.safetensors of "
                "pytorch-fid's or torch-fidelity's weights); nothing is downloaded"
            )
        self.network_ = inception_from_weights(self.config.weights)
        return self

    @torch.no_grad()
    def encode(self, images: Any) -> np.ndarray:
        self.check_is_fitted()
        x = self._check(images)
        out = []
        for start in range(0, len(x), self.config.batch_size):
            rows = np.ascontiguousarray(x[start : start + self.config.batch_size], np.float32)
            batch = torch.from_numpy(rows).expand(-1, 3, -1, -1)
            batch = F.interpolate(batch, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear")
            out.append(self.network_(2 * batch - 1))
        return torch.cat(out).numpy().astype(np.float32)

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> dict[str, np.ndarray]:
        return {}  # the network is the whole state: see _save_state

    def _save_state(self, directory: Path) -> None:
        if self.is_fitted():
            save_arrays(directory / WEIGHTS_FILE, self.network_.state_dict())

    def _load_state(self, directory: Path) -> None:
        if (directory / WEIGHTS_FILE).exists():
            self.network_ = inception_from_weights(directory / WEIGHTS_FILE)
