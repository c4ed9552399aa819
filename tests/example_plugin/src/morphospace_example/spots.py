"""A dataset generator: spot images under two conditions, for the Translator path."""

import anndata
import numpy as np
import pandas as pd


def make_spots(n_images: int = 40, size: int = 16, shift: float = 0.5, seed: int = 0):
    """Gaussian-spot images ``obsm['image']`` (N, 1, size, size) and ``obs['condition']``.

    ``treated`` images are ``control``-like images brightened by ``shift`` in their upper
    half: an additive condition effect, the one a mean-shift translator undoes exactly.
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:size, :size]
    centres = rng.uniform(0.3 * size, 0.7 * size, (n_images, 2))
    distance = (rows - centres[:, :1, None]) ** 2 + (cols - centres[:, 1:, None]) ** 2
    images = np.exp(-distance / (2 * (0.15 * size) ** 2))[:, None]
    treated = np.arange(n_images) % 2 == 1
    images[treated, :, : size // 2] += shift
    images += rng.normal(0, 0.02, images.shape)
    obs = pd.DataFrame(
        {
            "condition": pd.Categorical(np.where(treated, "treated", "control")),
            "train": rng.random(n_images) < 0.5,
        },
        index=[f"image{i}" for i in range(n_images)],
    )
    return anndata.AnnData(obs=obs, obsm={"image": images.astype(np.float32)})
