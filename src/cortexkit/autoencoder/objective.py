"""What an autoencoder minimises, for each kind, as an objective the epoch loop can step.

A batch is ``(x,)`` or ``(x, mask)``; the loss compares the reconstruction with the clean
``x`` over the observed entries (:func:`~cortexkit.autoencoder.masked_mse`, mean over the
observed entries), plus the kind's own term:

- ``"plain"``: nothing more;
- ``"denoising"``: the *input* is corrupted during training only (``"gaussian"``: plus
  ``noise_level`` times standard normal noise; ``"masking"``: each entry set to 0 with
  probability ``noise_level``), the target stays clean;
- ``"sparse"``: plus ``sparsity_weight`` times the code's L1 norm (mean absolute
  activation) or its KL divergence from a mean activation of ``sparsity_target``;
- ``"variational"``: the code is drawn as ``mu + eps * sigma`` and the loss adds
  ``kl_weight * KL(q(z|x) || N(0, I)) / n_inputs`` (mean over the batch): with
  ``kl_weight=1`` that is the negative ELBO per input value of a Gaussian decoder of
  variance 1/2.

The noise and the variational draw come from torch's global RNG, which the estimator seeds
for the fit (as dropout's). :meth:`AutoEncoderObjective.reconstruction_error` is what the
validation set and early stopping see: the deterministic reconstruction error, without
noise or penalty. An ensemble (:class:`~cortexkit.autoencoder.ensemble.EnsembleNetwork`)
trains on the mean of its members' losses, and its errors are the mean of its members'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from cortexkit.autoencoder.ensemble import members_of
from cortexkit.autoencoder.losses import gaussian_kl, kl_sparsity, l1_sparsity, masked_mse
from cortexkit.train.distributed import gather_rows
from cortexkit.train.objective import chunked, chunks

__all__ = ["OPTIONS", "AutoEncoderObjective", "corrupt", "trimmed"]

#: the parameters of the kinds' terms
OPTIONS = ("noise", "noise_level", "sparsity", "sparsity_target", "sparsity_weight", "kl_weight",
           "trim")  # fmt: skip


def corrupt(
    x: Tensor, noise: str, level: float, generator: torch.Generator | None = None
) -> Tensor:
    """``x`` with ``"gaussian"`` noise of standard deviation ``level`` added, or with each
    entry set to 0 with probability ``level`` (``"masking"``), drawn from ``generator``
    (default: torch's global RNG, which a fit seeds).

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(1000)
    >>> dropped = corrupt(x, "masking", 0.3, torch.Generator().manual_seed(0)) == 0
    >>> abs(float(dropped.float().mean()) - 0.3) < 0.05
    True
    """
    if level == 0:
        return x
    if noise == "gaussian":
        draw = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        return x + level * draw
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= level
    return x * keep.to(x.dtype)


def trimmed(row_losses: Tensor, trim: float) -> Tensor:
    """The mean of ``row_losses`` without the largest ``trim`` share of them (at least one
    row is kept): a trimmed loss, which does not learn the rows it cannot yet fit.

    Under data-parallel training each process holds an equal share of the batch: the
    share to leave out is read on the whole batch (every process's losses gathered), and
    each process's loss is scaled so that the averaged gradients are the whole batch's.

    >>> import torch
    >>> float(trimmed(torch.tensor([1.0, 2.0, 3.0, 10.0]), 0.25))
    2.0
    """
    if trim <= 0:
        return row_losses.mean()
    every = gather_rows(row_losses)  # the whole batch, under data-parallel training
    if len(every) < 2:
        return row_losses.mean()
    keep = max(1, round(len(every) * (1.0 - trim)))
    if len(every) == len(row_losses):  # one process
        return row_losses.topk(keep, largest=False, sorted=False).values.mean()
    cut = every.kthvalue(keep).values  # the largest loss kept, over the whole batch
    kept = row_losses <= cut
    return (row_losses * kept).sum() * (len(every) / len(row_losses)) / keep


class AutoEncoderObjective:
    """The network and its kind's loss (see the module's docstring).

    Parameters
    ----------
    network : nn.Module
        With ``encode_stats``, ``sample_code`` and ``decode`` (an
        :class:`~cortexkit.autoencoder.AutoEncoderNetwork` or its convolutional variant).
    kind : {"plain", "denoising", "sparse", "variational"}
    options : dict
        ``noise``, ``noise_level``, ``sparsity``, ``sparsity_target``,
        ``sparsity_weight``, ``kl_weight``, and ``trim`` (see :func:`trimmed`).

    Examples
    --------
    >>> import torch
    >>> from cortexkit.autoencoder import AutoEncoderNetwork
    >>> from cortexkit.autoencoder.objective import AutoEncoderObjective
    >>> net = AutoEncoderNetwork(4, (2,), generator=torch.Generator().manual_seed(0))
    >>> objective = AutoEncoderObjective(net, "plain", {})
    >>> loss = objective.compute_gradients(torch.ones(3, 4))
    >>> net.encoder[0].weight.grad.shape
    torch.Size([2, 4])
    """

    def __init__(self, network: nn.Module, kind: str, options: dict[str, Any]) -> None:
        self.network = network
        self.kind = kind
        self.options = dict(options)
        self._flops: dict[tuple[int, ...], float] = {}

    @classmethod
    def from_settings(cls, network: nn.Module, settings: Mapping[str, Any]) -> AutoEncoderObjective:
        """The objective of an autoencoder's parameters (``kind`` and its options)."""
        return cls(network, settings["kind"], {k: settings[k] for k in OPTIONS})

    def parameters(self) -> Iterator[Tensor]:
        return self.network.parameters()

    def objective(self, xb: Tensor, mb: Tensor | None = None) -> Tensor:
        """The training loss on one batch (noise and variational draws included); for an
        ensemble, the mean of its members' losses."""
        members = members_of(self.network)
        losses = [self._member_objective(net, xb, mb) for net in members]
        return losses[0] if len(losses) == 1 else torch.stack(losses).mean()

    def _member_objective(self, net: Any, xb: Tensor, mb: Tensor | None) -> Tensor:
        opts = self.options
        inputs = xb
        if self.kind == "denoising":
            inputs = corrupt(xb, opts["noise"], float(opts["noise_level"]))
            if mb is not None:  # an unobserved entry stays 0, whatever the noise
                inputs = torch.where(mb, inputs, 0.0)
        mu, logvar = net.encode_stats(inputs)  # (batch, code) each
        code = mu if logvar is None else net.sample_code(mu, logvar)
        trim = float(opts.get("trim", 0.0))
        if trim > 0:
            loss = trimmed(masked_mse(net.decode(code), xb, mb, reduction="sample"), trim)
        else:
            loss = masked_mse(net.decode(code), xb, mb)
        if self.kind == "sparse":
            weight = float(opts["sparsity_weight"])
            if opts["sparsity"] == "l1":
                loss = loss + weight * l1_sparsity(code)
            else:
                loss = loss + weight * kl_sparsity(code, float(opts["sparsity_target"]))
        elif logvar is not None:
            n_inputs = xb[0].numel()
            loss = loss + float(opts["kl_weight"]) * gaussian_kl(mu, logvar).mean() / n_inputs
        return loss

    def compute_gradients(self, xb: Tensor, mb: Tensor | None = None) -> Tensor:
        self.network.train()
        for p in self.network.parameters():
            p.grad = None
        loss = self.objective(xb, mb)
        loss.backward()
        return loss.detach()

    def flops(self, xb: Tensor, mb: Tensor | None = None) -> float:
        """About the cost of one step: the forward pass under torch's FLOP counter, times 3
        (the backward costs about twice the forward), counted once per batch shape; the
        loop chooses its CPU threads from it."""
        key = tuple(xb.shape)
        if key not in self._flops:
            from torch.utils.flop_counter import FlopCounterMode

            try:
                with torch.no_grad(), FlopCounterMode(display=False) as counter:
                    self.network(xb)
                self._flops[key] = 3.0 * float(counter.get_total_flops())
            except Exception:  # an op the counter cannot follow: 6 flops a weight a row
                n_weights = sum(p.numel() for p in self.network.parameters())
                self._flops[key] = 6.0 * len(xb) * n_weights
        return self._flops[key]

    def _entry_errors(self, x: Tensor, mask: Tensor | None) -> Tensor:
        """Each entry's squared reconstruction error (0 where unobserved), the members'
        mean for an ensemble, from the deterministic pass."""
        each = []
        for net in members_of(self.network):
            error = (net(x) - torch.nan_to_num(x)) ** 2
            each.append(error if mask is None else torch.where(mask.bool(), error, 0.0))
        return each[0] if len(each) == 1 else torch.stack(each).mean(0)

    @torch.no_grad()
    def reconstruction_error(
        self, X: Tensor, mask: Tensor | None = None, scale: Tensor | None = None
    ) -> Tensor:
        """Each row's mean squared reconstruction error over its observed entries, from the
        deterministic pass (no noise; a variational code's mean), in chunks; for an
        ensemble, the mean of its members' errors. With ``scale`` (one value per input
        entry, as :meth:`entry_scale` gives), each entry's error is divided by its scale
        first."""
        self.network.eval()

        def errors(x: Tensor, *m: Tensor) -> Tensor:
            mask = m[0] if m else None
            error = self._entry_errors(x, mask)
            if scale is not None:
                error = error / scale
            flat = error.reshape(len(x), -1)
            if mask is None:
                return flat.mean(1)
            return flat.sum(1) / mask.reshape(len(x), -1).sum(1).clamp_min(1)

        return chunked(errors, X) if mask is None else chunked(errors, X, mask)

    @torch.no_grad()
    def entry_scale(self, X: Tensor, mask: Tensor | None = None) -> Tensor:
        """Each input entry's mean squared reconstruction error over the rows of ``X``
        that observe it, shape ``X.shape[1:]``, floored at a thousandth of their mean (so
        that an entry every row reconstructs exactly cannot divide by 0)."""
        self.network.eval()
        total = torch.zeros(X.shape[1:], dtype=torch.float64, device=X.device)
        count = torch.zeros_like(total)
        for s in chunks(len(X)):
            m = None if mask is None else mask[s]
            total += self._entry_errors(X[s], m).sum(0, dtype=torch.float64)
            count += len(X[s]) if m is None else m.sum(0, dtype=torch.float64)
        mean = total / count.clamp_min(1)
        floor = max(float(mean.mean()) * 1e-3, 1e-12)
        return mean.clamp_min(floor).to(X.dtype)

    @torch.no_grad()
    def loss(self, X: Tensor, mask: Tensor | None = None) -> float:
        """The mean reconstruction error over the observed entries of a whole set (for an
        ensemble, the mean of its members')."""
        self.network.eval()
        members = members_of(self.network)
        total, count = 0.0, 0.0
        for s in chunks(len(X)):
            m = None if mask is None else mask[s]
            for net in members:
                total += float(masked_mse(net(X[s]), X[s], m, reduction="sum"))
            count += X[s].numel() if m is None else float(m.sum())
        return total / max(count, 1.0) / len(members)

    def state_dict(self) -> dict[str, Tensor]:
        return self.network.state_dict()

    def load_state_dict(self, state: dict[str, Tensor]) -> object:
        return self.network.load_state_dict(state)
