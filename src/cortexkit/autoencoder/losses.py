"""The autoencoders' costs: reconstruction over observed entries, and the extra terms.

- :func:`masked_mse`: the squared reconstruction error counted over the observed entries
  only (a mask of ``True``/1 where a value is known). What an autoencoder trained on a
  table with missing values minimises, and what AutoRec (Sedhain et al., 2015) minimises
  over a rating matrix where most ratings are unknown.
- :func:`gaussian_kl`: the variational autoencoder's KL term, in closed form.
- :func:`l1_sparsity` and :func:`kl_sparsity`: the sparse autoencoder's penalties on the
  code.

An unobserved entry takes no part in the value *and* no part in the gradient: the
difference is masked before it is squared (``torch.where``), so even a NaN or an
infinity standing at an unobserved position leaves both untouched.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["REDUCTIONS", "gaussian_kl", "kl_sparsity", "l1_sparsity", "masked_mse"]

REDUCTIONS = ("mean", "sum", "sample")


def masked_mse(
    reconstruction: Tensor,
    target: Tensor,
    mask: Tensor | None = None,
    *,
    reduction: str = "mean",
) -> Tensor:
    """Squared reconstruction error over the observed entries.

    Parameters
    ----------
    reconstruction : Tensor of shape (n_samples, ...)
        The network's output.
    target : Tensor of the same shape
        The values to reconstruct; entries where ``mask`` is false are ignored whatever
        they hold (NaN included).
    mask : Tensor of the same shape, bool or 0/1, or None
        ``True`` (or 1) where a value is observed. ``None`` observes every entry.
    reduction : {"mean", "sum", "sample"}, default="mean"
        ``"mean"``: the sum of squared errors divided by the number of observed entries
        (the plain MSE when nothing is masked); ``"sum"``: the sum of squared errors
        (AutoRec's objective, before its weight decay); ``"sample"``: one value per row,
        the mean over that row's observed entries (0 for a row with none), an anomaly
        score.

    Returns
    -------
    Tensor
        A 0-d tensor, or shape ``(n_samples,)`` for ``reduction="sample"``.

    Raises
    ------
    ValueError
        If the shapes differ or ``reduction`` is unknown.

    Examples
    --------
    >>> import torch
    >>> from cortexkit.autoencoder import masked_mse
    >>> out = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> target = torch.tensor([[1.0, 0.0], [float("nan"), 2.0]])
    >>> mask = torch.tensor([[True, True], [False, True]])
    >>> masked_mse(out, target, mask)  # (0 + 4 + 4) / 3 observed entries
    tensor(2.6667)
    >>> masked_mse(out, target, mask, reduction="sample")
    tensor([2., 4.])
    >>> masked_mse(out, torch.zeros(2, 2))  # no mask: the plain mean squared error
    tensor(7.5000)
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {list(REDUCTIONS)}; got {reduction!r}")
    if reconstruction.shape != target.shape:
        raise ValueError(
            f"reconstruction has shape {tuple(reconstruction.shape)} but target has "
            f"{tuple(target.shape)}"
        )
    if mask is None:
        sq = (reconstruction - target).square()
        if reduction == "mean":
            return sq.mean()
        if reduction == "sum":
            return sq.sum()
        return sq.reshape(len(sq), -1).mean(1)
    if mask.shape != target.shape:
        raise ValueError(f"mask has shape {tuple(mask.shape)} but target has {tuple(target.shape)}")
    observed = mask if mask.dtype == torch.bool else mask != 0
    # masked before squaring: an unobserved entry reaches neither the value nor the gradient
    diff = torch.where(observed, reconstruction - target, 0.0)
    sq = diff.square()
    if reduction == "sum":
        return sq.sum()
    if reduction == "mean":
        return sq.sum() / observed.sum().clamp_min(1)
    counts = observed.reshape(len(sq), -1).sum(1).clamp_min(1)
    return sq.reshape(len(sq), -1).sum(1) / counts


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, in closed form.

    ``-0.5 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))``, summed over the code's
    dimensions (Kingma & Welling, 2014, appendix B).

    Examples
    --------
    >>> import torch
    >>> from cortexkit.autoencoder import gaussian_kl
    >>> gaussian_kl(torch.zeros(1, 2), torch.zeros(1, 2))  # the prior itself
    tensor([0.])
    >>> gaussian_kl(torch.tensor([[1.0]]), torch.tensor([[0.0]]))  # mu^2 / 2
    tensor([0.5000])
    """
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(1)


def l1_sparsity(codes: Tensor) -> Tensor:
    """The mean absolute code activation (an L1 penalty that pushes codes to zero).

    Examples
    --------
    >>> import torch
    >>> from cortexkit.autoencoder import l1_sparsity
    >>> l1_sparsity(torch.tensor([[1.0, -1.0], [0.0, 2.0]]))
    tensor(1.)
    """
    return codes.abs().mean()


def kl_sparsity(codes: Tensor, target: float, eps: float = 1e-6) -> Tensor:
    """Sum over code units of KL(target || mean activation): each unit's mean activation
    over the batch is pulled towards ``target`` (Ng's sparse autoencoder). The codes are
    read as probabilities, so they should lie in (0, 1) (a sigmoid code).

    Examples
    --------
    >>> import torch
    >>> from cortexkit.autoencoder import kl_sparsity
    >>> float(kl_sparsity(torch.full((4, 3), 0.05), 0.05)) < 1e-6  # on target: zero
    True
    >>> float(kl_sparsity(torch.full((4, 3), 0.5), 0.05)) > 0
    True
    """
    rho_hat = codes.mean(0).clamp(eps, 1 - eps)
    rho = torch.as_tensor(target, dtype=codes.dtype, device=codes.device)
    return (rho * (rho / rho_hat).log() + (1 - rho) * ((1 - rho) / (1 - rho_hat)).log()).sum()
