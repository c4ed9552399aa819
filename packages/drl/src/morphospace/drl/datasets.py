"""Datasets of the drl plugin as AnnData: the source, a synthetic target, a real one.

Every dataset puts its images in ``obsm["image"]`` ``(N, C, H, W)`` float32 in [0, 1],
each known factor in an obs column of integer codes named after it, a boolean
``obs["train"]`` split, and its parameters in ``uns[<dataset name>]`` (with
``"factors"``, the names of the factor columns). With ``one_factor_pairs`` images come in
consecutive pairs ``(2i, 2i + 1)``, numbered by ``obs["pair"]``, that differ in exactly
one factor (uniformly chosen, its value changed to a different one): the pairs that
OMES scores. Both images of a pair are in the same split.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import ConfigError


def _check_common(n_images: int, train_fraction: float, one_factor_pairs: bool) -> None:
    if isinstance(n_images, bool) or not isinstance(n_images, (int, np.integer)) or n_images < 2:
        raise ConfigError(f"n_images: expected an integer >= 2, found {n_images!r}")
    if one_factor_pairs and n_images % 2:
        raise ConfigError(
            f"n_images: expected an even number with one_factor_pairs=True (images come in "
            f"pairs), found {n_images}"
        )
    _check_fraction(train_fraction)


def _check_fraction(train_fraction: float) -> None:
    if isinstance(train_fraction, bool) or not 0 < train_fraction < 1:
        raise ConfigError(
            f"train_fraction: expected a number between 0 and 1 (exclusive), found "
            f"{train_fraction!r}"
        )


def _split(units: np.ndarray, train_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A boolean train mask giving ``train_fraction`` of the distinct ``units`` to training.

    Each side gets at least one unit when there are two or more.
    """
    ids = np.unique(units)
    n_train = int(round(train_fraction * len(ids)))
    n_train = min(max(n_train, 1), max(len(ids) - 1, 1))
    chosen = rng.permutation(ids)[:n_train]
    return np.isin(units, chosen)


def _draw_factors(sizes, n_images: int, one_factor_pairs: bool, rng) -> np.ndarray:
    if not one_factor_pairs:
        return rng.integers(0, sizes, size=(n_images, len(sizes)), dtype=np.int64)
    from morphospace.drl.pairs import PairSampler

    first, second, _ = PairSampler(sizes, k=1).sample(n_images // 2, rng)
    return np.stack([first, second], axis=1).reshape(n_images, len(sizes))


def _obs(factors: np.ndarray, names, train: np.ndarray, one_factor_pairs: bool):
    import pandas as pd

    obs = pd.DataFrame(
        {name: factors[:, j] for j, name in enumerate(names)},
        index=[f"image{i}" for i in range(len(factors))],
    )
    if one_factor_pairs:
        obs["pair"] = np.arange(len(factors)) // 2
    obs["train"] = train
    return obs


def texture_dsprites(
    n_images: int = 2000,
    image_size: int = 64,
    channels: int = 3,
    one_factor_pairs: bool = True,
    train_fraction: float = 0.8,
    seed: int = 0,
):
    """Texture-dSprites images with their 7 factor codes (texture, colour, shape, scale,
    orientation, x, y), drawn uniformly; with ``one_factor_pairs``, as one-factor pairs.

    ``image_size`` any size >= 8 (the source is rendered at the size of the target it
    serves), ``channels`` 1 (luminance) or 3 (RGB).
    """
    import anndata

    from morphospace.drl.texture_dsprites import FACTOR_NAMES, FACTOR_SIZES, TextureDSprites

    _check_common(n_images, train_fraction, one_factor_pairs)
    source = TextureDSprites(image_size=image_size, channels=channels)
    rng = np.random.default_rng(seed)
    factors = _draw_factors(FACTOR_SIZES, n_images, one_factor_pairs, rng)
    units = np.arange(n_images) // 2 if one_factor_pairs else np.arange(n_images)
    obs = _obs(factors, FACTOR_NAMES, _split(units, train_fraction, rng), one_factor_pairs)
    adata = anndata.AnnData(obs=obs)
    adata.obsm["image"] = source.render(factors)
    adata.uns["texture_dsprites"] = {
        "n_images": n_images,
        "image_size": image_size,
        "channels": channels,
        "one_factor_pairs": one_factor_pairs,
        "train_fraction": train_fraction,
        "seed": seed,
        "factors": list(FACTOR_NAMES),
        "factor_sizes": list(FACTOR_SIZES),
    }
    return adata


def synthetic_cells(
    n_images: int = 2000,
    image_size: int = 64,
    one_factor_pairs: bool = True,
    train_fraction: float = 0.8,
    seed: int = 0,
):
    """Synthetic fluorescence cells, 1 channel: 6 classes (``obs["class"]``, e.g.
    ``"round-smooth"``) from two factors, shape and texture, and five nuisance factors
    (size, orientation, x, y, intensity), all as integer-code columns; the continuous
    value of each nuisance factor is in ``<name>_value``. With ``one_factor_pairs``, the
    two cells of a pair share every detail but the changed factor (and camera noise).

    ``image_size`` any size >= 16.
    """
    import anndata
    import pandas as pd

    from morphospace.drl.synthetic_cells import (
        CLASS_FACTORS,
        CLASSES,
        FACTOR_NAMES,
        FACTOR_SIZES,
        NUISANCE_FACTORS,
        SHAPES,
        TEXTURES,
        VALUE_RANGES,
        SyntheticCells,
        class_of,
    )

    _check_common(n_images, train_fraction, one_factor_pairs)
    cells = SyntheticCells(image_size=image_size)
    rng = np.random.default_rng(seed)
    factors = _draw_factors(FACTOR_SIZES, n_images, one_factor_pairs, rng)
    units = np.arange(n_images) // 2 if one_factor_pairs else np.arange(n_images)
    instances = rng.integers(0, 2**62, size=units.max() + 1)[units]
    noise_seeds = rng.integers(0, 2**62, size=n_images)
    obs = _obs(factors, FACTOR_NAMES, _split(units, train_fraction, rng), one_factor_pairs)
    obs.insert(0, "class", pd.Categorical.from_codes(class_of(factors), categories=CLASSES))
    for name, value in cells.values(factors, instances).items():
        obs[f"{name}_value"] = value
    adata = anndata.AnnData(obs=obs)
    adata.obsm["image"] = cells.render(factors, instances, noise_seeds)
    adata.uns["synthetic_cells"] = {
        "n_images": n_images,
        "image_size": image_size,
        "one_factor_pairs": one_factor_pairs,
        "train_fraction": train_fraction,
        "seed": seed,
        "factors": list(FACTOR_NAMES),
        "factor_sizes": list(FACTOR_SIZES),
        "class_factors": list(CLASS_FACTORS),
        "nuisance_factors": list(NUISANCE_FACTORS),
        "shapes": list(SHAPES),
        "textures": list(TEXTURES),
        "value_ranges": {k: list(v) for k, v in VALUE_RANGES.items()},
    }
    return adata


def digits(image_size: int = 32, train_fraction: float = 0.8, seed: int = 0):
    """scikit-learn's 1,797 handwritten digits (8x8, 16 grey levels, bundled with
    scikit-learn: nothing is downloaded), scaled to [0, 1] and upsampled bilinearly to
    ``image_size`` (a multiple of 8) with ``scipy.ndimage.zoom(order=1, grid_mode=True)``:
    pixels are squares, so the result is the bilinear interpolation between the 8x8
    pixel centres, edges held. 1 channel. ``obs["digit"]`` (categorical 0-9) is the only
    known factor; the split is stratified by digit.
    """
    import anndata
    import pandas as pd
    from scipy import ndimage
    from sklearn.datasets import load_digits

    if (
        isinstance(image_size, bool)
        or not isinstance(image_size, (int, np.integer))
        or image_size < 8
        or image_size % 8
    ):
        raise ConfigError(
            f"image_size: expected a multiple of 8 (8, 16, 32, ...), found {image_size!r}"
        )
    _check_fraction(train_fraction)
    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 16.0
    if image_size != 8:
        factor = image_size / 8
        images = ndimage.zoom(images, (1, factor, factor), order=1, grid_mode=True, mode="nearest")
    images = np.clip(images, 0, 1).astype(np.float32)[:, None]
    labels = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    train = np.zeros(len(labels), dtype=bool)
    for digit in range(10):  # stratified: train_fraction of each digit
        members = np.flatnonzero(labels == digit)
        train[_split_indices(members, train_fraction, rng)] = True
    obs = pd.DataFrame(
        {"digit": pd.Categorical(labels, categories=list(range(10))), "train": train},
        index=[f"image{i}" for i in range(len(labels))],
    )
    adata = anndata.AnnData(obs=obs)
    adata.obsm["image"] = images
    adata.uns["digits"] = {
        "image_size": image_size,
        "train_fraction": train_fraction,
        "seed": seed,
        "factors": ["digit"],
        "upsampling": "bilinear (scipy.ndimage.zoom order=1, grid_mode=True)",
    }
    return adata


def _split_indices(members: np.ndarray, train_fraction: float, rng) -> np.ndarray:
    return members[_split(np.arange(len(members)), train_fraction, rng)]


#: What the nuclei target measures from each ground-truth mask, and how many levels.
NUCLEUS_FACTORS = {"area": 3, "eccentricity": 3, "orientation": 4, "intensity": 3}


def nuclei(crop_size: int = 48, train_fraction: float = 0.8, seed: int = 0):
    """Real fluorescence nuclei: one crop per nucleus of the 512x512 image (125 nuclei, with
    their ground-truth instance mask) that ships inside the ``stardist`` wheel (a Data
    Science Bowl 2018 image; read from the installed package's files, stardist is not
    imported). No class is known; four factors are measured from each nucleus's mask and
    cut into quantile levels, the partly known factors of a real target: ``area`` (3),
    ``eccentricity`` (3), ``orientation`` (4 equal angle bins) and mean ``intensity`` (3).

    Crops are centred on the nucleus (pixels beyond the image read its background), the
    image scaled to [0, 1] between its 1st and 99.8th percentiles; ``obsm["mask"]`` holds
    each nucleus's own mask in its crop. Needs ``pip install 'morphospace-drl[nuclei]'``.
    """
    import importlib.util
    from pathlib import Path

    import anndata
    import pandas as pd

    from morphospace.core.crops import crop
    from morphospace.core.dependencies import missing_dependency

    if isinstance(crop_size, bool) or crop_size < 16 or crop_size % 16:
        raise ConfigError(f"crop_size: expected a multiple of 16 (>= 16), found {crop_size!r}")
    _check_fraction(train_fraction)
    spec = importlib.util.find_spec("stardist")
    if spec is None or spec.origin is None:
        raise missing_dependency(
            "stardist", install="morphospace-drl[nuclei]", needed_for="the drl.nuclei dataset"
        )
    from skimage.measure import regionprops

    from morphospace.core.io import read_image

    folder = Path(spec.origin).parent / "data" / "images"
    image = np.asarray(read_image(folder / "img2d.tif").obsm["image"][0, 0], dtype=np.float32)
    labels = np.asarray(read_image(folder / "mask2d.tif").obsm["image"][0, 0])
    low, high = np.percentile(image, [1.0, 99.8])
    image = np.clip((image - low) / (high - low), 0.0, 1.0)
    regions = regionprops(labels, intensity_image=image)
    centres = np.array([r.centroid for r in regions])
    ids = np.array([r.label for r in regions])
    crops = crop(image[None], centres, crop_size, fill=float(np.median(image)))
    own = crop(labels[None].astype(np.float32), centres, crop_size, fill=0)
    masks = (own == ids[:, None, None, None]).astype(np.uint8)
    measured = {
        "area": np.array([r.area for r in regions], dtype=float),
        "eccentricity": np.array([r.eccentricity for r in regions]),
        "orientation": np.array([r.orientation for r in regions]),  # radians in [-pi/2, pi/2]
        "intensity": np.array([r.intensity_mean for r in regions]),
    }
    codes = {
        name: (
            np.minimum(((values + np.pi / 2) / np.pi * 4).astype(int), 3)
            if name == "orientation"
            else np.searchsorted(
                np.quantile(values, np.linspace(0, 1, NUCLEUS_FACTORS[name] + 1)[1:-1]), values
            )
        ).astype(np.int64)
        for name, values in measured.items()
    }
    train = _split(np.arange(len(ids)), train_fraction, np.random.default_rng(seed))
    obs = pd.DataFrame(
        {
            **codes,
            **{f"{name}_value": values for name, values in measured.items()},
            "label": ids,
            "train": train,
        },
        index=[f"nucleus{i}" for i in ids],
    )
    adata = anndata.AnnData(obs=obs, obsm={"image": crops.astype(np.float32), "mask": masks})
    adata.uns["nuclei"] = {
        "source": "stardist/data/images/img2d.tif and mask2d.tif (Data Science Bowl 2018)",
        "factors": list(NUCLEUS_FACTORS),
        "crop_size": crop_size,
        "train_fraction": train_fraction,
        "seed": seed,
    }
    return adata
