"""Ada-GVAE and β-VAE encoders of images, trained on a procedural source then transferred.

``fit(x)`` runs up to two stages through the core's trainer:

1. **source**: the network learns from Texture-dSprites rendered at the size and channel
   count of ``x`` — Ada-GVAE from pairs that differ in ``k`` factors (weak supervision),
   β-VAE from single images. With ``source: None`` (β-VAE only) this stage trains on
   ``x`` itself, the "target alone" baseline.
2. **fine_tune** (optional): the unsupervised β-VAE loss on ``x``, as the method adapts
   to a target whose factors are unknown.

``encode`` returns posterior means, the code every readout and metric uses.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from morphospace.core import Encoder
from morphospace.core.errors import InputError
from morphospace.core.figures import Figure, FigureContext, step_record
from morphospace.core.training import SavesModelWeights, TrainingStep, train
from morphospace.core.validation import check_array, check_labels
from morphospace.drl import aggregation
from morphospace.drl.config import AdaGVAEConfig, BetaVAEConfig, WeakSupervision
from morphospace.drl.networks import MLPVAE, ConvVAE
from morphospace.drl.pairs import PairSampler
from morphospace.drl.texture_dsprites import FACTOR_SIZES, TextureDSprites

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
    if fitted_shape and images.shape[1:] != fitted_shape:
        raise InputError(
            f"{name}: {owner} was fitted on images of shape {fitted_shape}, found "
            f"{images.shape[1:]}"
        )
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 1:
        raise InputError(
            f"{name}: {owner} models pixel values in [0, 1] (the source's range), found "
            f"values in [{low:.3g}, {high:.3g}]; rescale the images first"
        )
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
    trained: VAENetwork, loss_fn: Any, config: Any, params: dict, name: str
) -> tuple[VAENetwork, dict[str, list[float]]]:
    """The transfer stage: a copy of ``trained`` tuned on the target with ``loss_fn`` as
    ``config.fine_tune`` says; its history keys start ``fine_tune/``."""
    tuned = train(
        lambda: copy.deepcopy(trained).train(),
        loss_fn,
        config.fine_tune,
        seed=config.seed + 1,
        params={**params, "stage": "fine_tune"},
        desc=f"{name} fine-tuning",
    )
    return tuned.model, {f"fine_tune/{k}": v for k, v in tuned.history.items()}


class _ImageVAE(SavesModelWeights, Encoder):
    """What both encoders share: input checks, the two stages, encoding, traversals."""

    # ------------------------------------------------------------------ input
    def _check_images(self, x: Any, name: str = "x") -> np.ndarray:
        fitted = tuple(int(v) for v in self.image_shape_) if self.is_fitted() else None
        images = check_source_images(x, name, self.name, fitted)
        h, w = images.shape[2:]
        if h != w or h % 16:
            raise InputError(
                f"{name}: {self.name} takes square images whose side is a multiple of 16 "
                f"(four stride-2 convolutions), found {h}x{w}"
            )
        return images

    # ------------------------------------------------------------------ training
    def fit(self, x: Any, y: Any = None) -> _ImageVAE:
        images = self._check_images(x)
        pairs = self._target_pairs(y, len(images))
        cfg = self.config
        self.image_shape_ = np.asarray(images.shape[1:])
        params = {
            **cfg.model_dump(mode="json", exclude={"training"}),
            "image_shape": [int(v) for v in images.shape[1:]],
        }
        if cfg.source is None:
            loss_fn = samples_loss(images, cfg.training.batch_size, cfg.beta)
        else:
            source = TextureDSprites(image_size=images.shape[2], channels=images.shape[1])
            loss_fn = self._source_loss(source)
        first = train(
            self._build_model,
            loss_fn,
            cfg.training,
            seed=cfg.seed,
            params=params,
            desc=f"{self.name} on {cfg.source or 'the images'}",
        )
        model, history = first.model, dict(first.history)
        if cfg.fine_tune is not None:
            loss_fn = (
                samples_loss(images, cfg.fine_tune.batch_size, cfg.beta)
                if pairs is None
                else target_pairs_loss(images, pairs, cfg)
            )
            model, tuned = fine_tune(model, loss_fn, cfg, params, self.name)
            history.update(tuned)
        self.model_, self.history_ = model, history
        return self

    def _target_pairs(self, y: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
        """β-VAE ignores ``y``, as an unsupervised scikit-learn estimator does."""
        return None

    def _build_model(self) -> ConvVAE:
        c, size, _ = (int(v) for v in self.image_shape_)
        return ConvVAE(c, size, self.config.latent_dim)

    # ------------------------------------------------------------------ inference
    def _device(self) -> torch.device:
        return next(self.model_.parameters()).device

    @torch.no_grad()
    def encode(self, x: Any, batch_size: int = 256) -> np.ndarray:
        """Posterior means ``(N, latent_dim)``."""
        self.check_is_fitted()
        images = self._check_images(x)
        means = [
            self.model_.posterior(torch.from_numpy(images[i : i + batch_size]).to(self._device()))[
                0
            ]
            for i in range(0, len(images), batch_size)
        ]
        return torch.cat(means).double().cpu().numpy()

    @torch.no_grad()
    def decode(self, z: Any) -> np.ndarray:
        """Images ``(N, C, S, S)`` in [0, 1] from codes ``(N, latent_dim)``."""
        self.check_is_fitted()
        codes = check_array(z, name="z", ndim=2)
        if codes.shape[1] != self.config.latent_dim:
            raise InputError(
                f"z: {self.name} decodes codes of {self.config.latent_dim} dimensions, found "
                f"{codes.shape[1]}"
            )
        logits = self.model_.decode(
            torch.as_tensor(codes, dtype=torch.float32, device=self._device())
        )
        return torch.sigmoid(logits).cpu().numpy()

    def traverse(self, image: Any, values: Any = (-2.0, -1.0, 0.0, 1.0, 2.0)) -> np.ndarray:
        """Latent traversals of one image: ``(latent_dim, len(values), C, S, S)``.

        Row ``d`` decodes the image's code with dimension ``d`` set to each of ``values``.
        """
        code = self.encode(np.asarray(image)[None])[0]
        values = np.asarray(values, dtype=float)
        codes = np.repeat(code[None, None], len(values), axis=1).repeat(len(code), axis=0)
        for d in range(len(code)):
            codes[d, :, d] = values
        decoded = self.decode(codes.reshape(-1, len(code)))
        return decoded.reshape(len(code), len(values), *decoded.shape[1:])

    def _get_state(self) -> dict[str, np.ndarray]:
        return {"image_shape_": np.asarray(self.image_shape_)} if self.is_fitted() else {}

    # ------------------------------------------------------------------ report
    def report_figures(self, context: FigureContext) -> list[Figure]:
        import matplotlib.pyplot as plt

        record = context.record
        if record is None or record.use_rep is None:
            return []
        images = context.rep(record.use_rep)
        first = int(context.held_out_first()[0])
        grid = self.traverse(images[first])
        rows, cols = grid.shape[:2]
        fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.1 * rows), squeeze=False)
        for d in range(rows):
            for j in range(cols):
                ax = axes[d, j]
                ax.imshow(_displayable(grid[d, j]), cmap="gray", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                if j == 0:
                    ax.set_ylabel(f"z{d}", rotation=0, labelpad=12)
        fig.suptitle(f"{self.name}: latent traversals of one held-out image (z = -2 .. 2)")
        fig.tight_layout()
        figures = [(f"{context.key}: latent traversals", fig)]
        embedding = _embedding_on_top_dimensions(context, self.name)
        if embedding is not None:
            figures.append(embedding)
        return figures


def _displayable(image: np.ndarray) -> np.ndarray:
    return image[0] if image.shape[0] == 1 else np.moveaxis(image, 0, -1)


def _embedding_on_top_dimensions(context: FigureContext, name: str) -> Figure | None:
    """The code drawn on its two most active dimensions, coloured by the labels scored on it."""
    import matplotlib.pyplot as plt

    from morphospace.core.figures import scatter_by

    key = f"X_{context.key}"
    if key not in context.adata.obsm:
        return None
    z = np.asarray(context.adata.obsm[key])
    if z.shape[1] < 2:
        return None
    top = np.argsort(z.var(axis=0))[::-1][:2]
    columns = []
    for uns_key in context.adata.uns:
        other = step_record(context.adata, uns_key)
        if other is not None and key in other.inputs.values():
            labels = other.inputs.get("labels")
            if isinstance(labels, str) and labels in context.adata.obs and labels not in columns:
                columns.append(labels)
    columns = columns or [None]
    fig, axes = plt.subplots(1, len(columns), figsize=(5.2 * len(columns), 4), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        values = None if column is None else context.adata.obs[column].to_numpy()
        scatter_by(
            ax,
            z[:, top],
            values,
            title=f"{name}: the two most active dimensions",
            axis_names=(f"z{top[0]}", f"z{top[1]}"),
            legend_title=column,
        )
    fig.tight_layout()
    return (f"{context.key}: code on its two most active dimensions", fig)


class AdaGVAE(_ImageVAE):
    """Ada-GVAE (Locatello et al. 2020): weakly supervised by source pairs, then transferred.

    Each training step draws ``batch_size`` pairs of Texture-dSprites images that differ
    in ``pairs.k`` factors; per pair, the dimensions whose KL between the two posteriors
    lies below the midpoint of that pair's range share a combined posterior.
    """

    Config = AdaGVAEConfig

    def fit(self, x: Any, y: Any = None) -> AdaGVAE:
        """Train on source pairs, then fine-tune on ``x``: with the β-VAE loss, or, given
        pair ids ``y`` (two rows per id, e.g. ``obs["pair"]``), weakly supervised by them."""
        return super().fit(x, y)

    def _target_pairs(self, y: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
        return None if y is None else check_target_pairs(y, n, self.config)

    def _source_loss(self, source: TextureDSprites):
        cfg = self.config
        sampler = PairSampler(FACTOR_SIZES, k=cfg.pairs.k, k_max=cfg.pairs.k_max)

        def loss_fn(model: ConvVAE, step: TrainingStep) -> dict[str, torch.Tensor]:
            f1, f2, changed = sampler.sample(cfg.training.batch_size, step.rng)
            x1, x2 = (torch.from_numpy(source.render(f)).to(step.device) for f in (f1, f2))
            return pair_losses(model, x1, x2, torch.from_numpy(changed).to(step.device), cfg)

        return loss_fn


class BetaVAE(_ImageVAE):
    """β-VAE (Higgins et al. 2017): the same network on single images, no supervision."""

    Config = BetaVAEConfig

    def _source_loss(self, source: TextureDSprites):
        def loss_fn(model: ConvVAE, step: TrainingStep) -> dict[str, torch.Tensor]:
            factors = source.sample_factors(self.config.training.batch_size, step.rng)
            x = torch.from_numpy(source.render(factors)).to(step.device)
            return vae_losses(model, x, self.config.beta)

        return loss_fn
