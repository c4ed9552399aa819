"""Weak supervision from pairs: which latent dimensions two images share, and their
combined posterior (Locatello et al. 2020, "Weakly-Supervised Disentanglement Without
Compromises", section 4).

For a pair ``(x1, x2)`` with diagonal Gaussian posteriors, ``delta_j`` is
``KL(q(z_j | x1) || q(z_j | x2))`` for every dimension ``j``. Ada-GVAE calls a dimension
*shared* when its ``delta_j`` lies below the threshold halfway between that pair's
smallest and largest ``delta`` (per pair, not per batch); shared dimensions take a
combined posterior, the others keep their own. The combination is the average of means
and of variances (GVAE) or the product of the two Gaussians (ML-VAE).

Every function works on ``(B, d)`` tensors of means and log-variances.
"""

from __future__ import annotations

import torch


def gaussian_kl(
    mu1: torch.Tensor, logvar1: torch.Tensor, mu2: torch.Tensor, logvar2: torch.Tensor
) -> torch.Tensor:
    """``KL(N(mu1, var1) || N(mu2, var2))`` per dimension."""
    return 0.5 * (logvar2 - logvar1 + (logvar1.exp() + (mu1 - mu2).pow(2)) / logvar2.exp() - 1.0)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, var) || N(0, 1))`` per dimension."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def adaptive_shared(delta: torch.Tensor) -> torch.Tensor:
    """Shared dimensions of each pair: ``delta`` below the midpoint of that pair's range."""
    threshold = 0.5 * (
        delta.max(dim=1, keepdim=True).values + delta.min(dim=1, keepdim=True).values
    )
    return delta < threshold


def labelled_shared(changed: torch.Tensor, latent_dim: int) -> torch.Tensor:
    """Shared dimensions when the changed factors are known: dimension ``i`` is factor ``i``.

    ``changed`` is ``(B, F)`` boolean; dimensions past the ``F`` factors are shared.
    """
    shared = torch.ones(changed.shape[0], latent_dim, dtype=torch.bool, device=changed.device)
    n = min(changed.shape[1], latent_dim)
    shared[:, :n] = ~changed[:, :n]
    return shared


def combine(
    mu1: torch.Tensor,
    logvar1: torch.Tensor,
    mu2: torch.Tensor,
    logvar2: torch.Tensor,
    how: str = "gvae",
) -> tuple[torch.Tensor, torch.Tensor]:
    """The combined posterior of two Gaussians: ``"gvae"`` averages, ``"ml_vae"`` multiplies."""
    var1, var2 = logvar1.exp(), logvar2.exp()
    if how == "gvae":
        return 0.5 * (mu1 + mu2), torch.log(0.5 * (var1 + var2))
    if how == "ml_vae":
        precision = 1.0 / var1 + 1.0 / var2
        return (mu1 / var1 + mu2 / var2) / precision, -torch.log(precision)
    raise ValueError(f"combination must be 'gvae' or 'ml_vae', got {how!r}")


def aggregate(
    mu1: torch.Tensor,
    logvar1: torch.Tensor,
    mu2: torch.Tensor,
    logvar2: torch.Tensor,
    shared: torch.Tensor,
    how: str = "gvae",
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Both images' posteriors with the ``shared`` dimensions replaced by their combination."""
    mu, logvar = combine(mu1, logvar1, mu2, logvar2, how)
    return (
        (torch.where(shared, mu, mu1), torch.where(shared, logvar, logvar1)),
        (torch.where(shared, mu, mu2), torch.where(shared, logvar, logvar2)),
    )
