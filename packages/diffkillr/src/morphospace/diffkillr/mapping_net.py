"""DiffeoMappingNet: a UNet that registers an archetype patch onto a cell patch.

The UNet reads the pair (moving, fixed) and predicts a stationary velocity field; its
exponential by scaling and squaring is a diffeomorphic displacement field, applied by a
spatial transformer. Training pairs are a cell and a random diffeomorphism of it
(:mod:`~morphospace.diffkillr.diffeomorphisms`), so the true field is known; the loss is
image similarity in both directions (the inverse map is the exponential of ``-v``), an
inverse-consistency (cycle) term, a smoothness penalty and the error to the known field;
given the patches' masks, also a soft Dice loss between the warped and the deformed mask
(an auxiliary segmentation loss as in VoxelMorph, not in the paper).
``integration="displacement"`` is the plain-UNet ablation: the UNet outputs the field
directly (and the inverse is a second pass with the images swapped). ``backbone``
swaps the UNet for VoxelMorph's or a CorrMLP-like network
(:mod:`~morphospace.diffkillr.registration_backbones`). Before the network
runs, ``register`` can pre-align each pair with the best flip/90-degree rotation
(:mod:`~morphospace.diffkillr.prealign`); the returned field includes it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from morphospace.core import Deformation, Registrar
from morphospace.core.errors import InputError
from morphospace.core.training import SavesModelWeights, TrainingStep, train
from morphospace.core.validation import check_array
from morphospace.diffkillr import prealign as dihedral
from morphospace.diffkillr import spatial_transform as st
from morphospace.diffkillr.config import DiffeoMappingNetConfig
from morphospace.diffkillr.diffeomorphisms import DiffeomorphismSampler, warp
from morphospace.diffkillr.network_io import StandardisesPatches, batched, device_of, to_tensor
from morphospace.diffkillr.registration_backbones import build_backbone


class MappingNetwork(nn.Module):
    """``(moving, fixed) -> (field, inverse field)``, diffeomorphic for ``integration='svf'``."""

    def __init__(
        self, in_channels: int, backbone: str, width: int, depth: int, integration: str, steps: int
    ):
        super().__init__()
        # named after the default backbone: the name keys the saved weights
        self.unet = build_backbone(backbone, 2 * in_channels, width, depth)
        self.integration = integration
        self.steps = steps

    def forward(self, moving: torch.Tensor, fixed: torch.Tensor):
        out = self.unet(torch.cat([moving, fixed], dim=1))
        if self.integration == "svf":
            return st.scaling_and_squaring(out, self.steps), st.scaling_and_squaring(
                -out, self.steps
            )
        return out, self.unet(torch.cat([fixed, moving], dim=1))

    def field(self, moving: torch.Tensor, fixed: torch.Tensor) -> torch.Tensor:
        out = self.unet(torch.cat([moving, fixed], dim=1))
        return st.scaling_and_squaring(out, self.steps) if self.integration == "svf" else out


class DiffeoMappingNet(SavesModelWeights, StandardisesPatches, Registrar):
    """Registers patches ``(N, C, P, P)``: ``register(moving, fixed).warp(moving) ~ fixed``."""

    Config = DiffeoMappingNetConfig

    def _check_pair_shape(self, x, name: str) -> np.ndarray:
        x = check_array(x, name=name, ndim=4)
        p = self.config.patch_size
        if x.shape[2:] != (p, p):
            raise InputError(
                f"{self.name}: {name} must be {p}x{p} (patch_size), found {x.shape[2]}x{x.shape[3]}"
            )
        levels = 4 if self.config.backbone == "voxelmorph" else self.config.depth
        if p % 2**levels:
            raise InputError(
                f"{self.name}: patch_size {p} must be divisible by {2**levels} (the "
                f"{self.config.backbone} backbone halves it {levels} times)"
            )
        if hasattr(self, "n_channels_") and x.shape[1] != self.n_channels_:
            raise InputError(
                f"{self.name}: {name} have {x.shape[1]} channel(s), the model was fitted on "
                f"{self.n_channels_}"
            )
        return x.astype(np.float32)

    def _check_masks(self, masks, images: np.ndarray) -> np.ndarray:
        masks = check_array(masks, name="masks", ndim=4)
        if masks.shape != (len(images), 1, *images.shape[2:]):
            raise InputError(
                f"{self.name}: masks {masks.shape} must be (N, 1, P, P) and match the "
                f"images {images.shape}"
            )
        return (masks > 0).astype(np.float32)

    def _build_model(self) -> MappingNetwork:
        c = self.config
        return MappingNetwork(
            int(self.n_channels_), c.backbone, c.width, c.depth, c.integration, c.integration_steps
        )

    def fit(self, images, y=None) -> DiffeoMappingNet:
        """Train on patches ``images (N, C, P, P)``; ``y``: their masks ``(N, 1, P, P)``.

        Without masks the mask-overlap term (``mask_weight``) is left out.
        """
        for attr in ("n_channels_", "model_"):
            self.__dict__.pop(attr, None)
        x = self._check_pair_shape(images, "images")
        masks = None if y is None else self._check_masks(y, x)
        c = self.config
        self.n_channels_ = int(x.shape[1])
        normalised = self._fit_standardisation(x)
        sampler = DiffeomorphismSampler(
            max_rotation=c.max_rotation,
            max_stretch=c.max_stretch,
            elastic_magnitude=c.elastic_magnitude,
            elastic_smoothness=c.elastic_smoothness,
            max_translation=c.max_translation,
        )
        similarity = F.mse_loss if c.similarity == "mse" else st.ncc_loss

        def loss_fn(model, step: TrainingStep) -> dict[str, torch.Tensor]:
            rng, device = step.rng, step.device
            chosen = rng.choice(len(x), size=c.training.batch_size, replace=True)
            fields, _ = sampler.sample_fields(len(chosen), normalised.shape[2:], rng)
            fixed_np, fixed_mask = warp(
                normalised[chosen], None if masks is None else masks[chosen], fields
            )
            fixed_np = fixed_np + rng.normal(0, 0.05, fixed_np.shape).astype(np.float32)
            moving, fixed = to_tensor(normalised[chosen], device), to_tensor(fixed_np, device)
            field, inverse = model(moving, fixed)
            sim = similarity(st.warp(moving, field), fixed) + similarity(
                st.warp(fixed, inverse), moving
            )
            cycle = (st.compose(inverse, field) ** 2).mean() + (
                st.compose(field, inverse) ** 2
            ).mean()
            smooth = st.smoothness(field) + st.smoothness(inverse)
            supervised = F.mse_loss(field, to_tensor(fields, device))
            loss = (
                sim
                + c.cycle_weight * cycle
                + c.smoothness_weight * smooth
                + c.field_weight * supervised
            )
            losses = {"similarity": sim, "field": supervised, "cycle": cycle}
            if masks is not None and c.mask_weight > 0:
                moving_mask = to_tensor(masks[chosen], device)
                fixed_mask = to_tensor(fixed_mask, device)
                overlap = st.dice_loss(st.warp(moving_mask, field), fixed_mask) + st.dice_loss(
                    st.warp(fixed_mask, inverse), moving_mask
                )
                loss = loss + c.mask_weight * overlap
                losses["mask"] = overlap
            return {"loss": loss, **losses}

        params = c.model_dump(mode="json", exclude={"training"})
        result = train(
            self._build_model,
            loss_fn,
            c.training,
            seed=c.seed,
            params={**params, "n_channels": x.shape[1], "masks": masks is not None},
            desc="DiffeoMappingNet",
        )
        self.model_, self.history_ = result.model, result.history
        return self

    def register(self, moving, fixed, prealign: str | None = None) -> Deformation:
        """The deformation warping each ``moving`` patch onto its ``fixed`` patch.

        ``prealign`` overrides the config's pre-alignment (``"ncc"``, ``"mi"``, ``"none"``).
        """
        self.check_is_fitted()
        moving = self._check_pair_shape(moving, "moving")
        fixed = self._check_pair_shape(fixed, "fixed")
        if moving.shape != fixed.shape:
            if len(moving) == 1:
                moving = np.repeat(moving, len(fixed), axis=0)
            else:
                raise InputError(
                    f"{self.name}: moving {moving.shape} and fixed {fixed.shape} must pair up"
                )
        method = prealign or self.config.prealign
        if method == "none":
            return Deformation(self._network_field(moving, fixed))
        # register the best few pre-alignments; keep, per pair, the one whose result
        # correlates best with the fixed patch (NCC alone can be fooled by a near-symmetry)
        _, _, scores = dihedral.prealign(moving, fixed, method, self.config.prealign_flips)
        order = np.argsort(-scores, axis=1)[:, : self.config.prealign_candidates]
        best_field, best_score = None, None
        for j in range(order.shape[1]):
            chosen = order[:, j]
            field = self._network_field(dihedral.apply(moving, chosen), fixed)
            field = dihedral.compose_with(chosen, field)
            score = dihedral.ncc(Deformation(field).warp(moving, padding="border"), fixed)
            if best_field is None:
                best_field, best_score = field, score
            else:
                better = score > best_score
                best_field = np.where(better[:, None, None, None], field, best_field)
                best_score = np.maximum(score, best_score)
        return Deformation(best_field)

    def _network_field(self, moving: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        m, f = self._standardise(moving), self._standardise(fixed)
        field = batched(self.model_.field, m, f, device=device_of(self.model_))
        return field.astype(np.float64)
