"""Remedies for mode collapse: the minibatch standard deviation, and packing.

A discriminator that judges one sample at a time cannot see that a generator makes the
same sample over and over: each copy, on its own, may look perfectly real. The two
remedies here let the discriminator look at several samples at once.

- **Minibatch standard deviation** (Karras et al. 2018, ProGAN): append to every sample's
  features one number, the standard deviation of each feature over a group of samples,
  averaged over the features. Real batches are spread out; a collapsed generator's batch
  is not, and the discriminator can now see it. :class:`MinibatchStdDev` is the layer,
  :class:`MinibatchStdDevDiscriminator` an MLP discriminator that uses it.
- **Packing** (PacGAN, Lin et al. 2018): the discriminator judges ``k`` samples
  concatenated, all real or all generated. :func:`pack` is the reshaping;
  ``ganlib.models.MLPDiscriminator(pack=k)`` applies it to its input.

Both make the discriminator's output depend on several samples. Do not combine them
with a per-sample gradient penalty (WGAN-GP), which assumes one output per sample.
:mod:`ganlib.toy_benchmark` compares them on PacGAN's 2-D ring and grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .models import check_batch_shape, mlp_discriminator_layers

__all__ = [
    "pack",
    "minibatch_stddev",
    "MinibatchStdDev",
    "MinibatchStdDevDiscriminator",
]


def pack(x: Tensor, k: int) -> Tensor:
    """PacGAN packing: ``(N, *shape)`` → ``(N // k, k · prod(shape))``.

    Row ``i`` of the result is samples ``i·k, i·k + 1, …, i·k + k − 1`` flattened and
    concatenated, in that order — what ``MLPDiscriminator(pack=k)`` feeds its first layer.
    ``N`` must be a multiple of ``k`` (a ``ValueError`` otherwise).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if x.ndim < 2:
        raise ValueError(f"expected samples of shape (N, ...), got {tuple(x.shape)}")
    if x.shape[0] % k:
        raise ValueError(f"expected a batch size divisible by k={k}, got {x.shape[0]}")
    return x.reshape(x.shape[0] // k, -1)


def minibatch_stddev(h: Tensor, group_size: int | None = None, eps: float = 1e-8) -> Tensor:
    """Append the minibatch standard deviation to features ``h``: ``(N, F)`` → ``(N, F + 1)``.

    The batch is split into consecutive groups of ``group_size`` samples (the whole batch
    when None, or when the batch is smaller). Within a group, each of the ``F`` features
    gets its standard deviation over the group's samples, ``sqrt(mean((h − mean h)²) + eps)``
    (the population form, as in Karras et al. 2018); their mean over the features is one
    number per group, appended as an extra feature to each of the group's samples.
    Images ``(N, C, H, W)`` get an extra channel ``(N, C + 1, H, W)`` instead, with the
    statistic averaged over channels and pixels.

    ``N`` must be a multiple of the group size (a ``ValueError`` otherwise). Gradients flow
    through the statistic, so the generator learns from it too.
    """
    if h.ndim < 2:
        raise ValueError(f"expected features of shape (N, F) or (N, C, H, W), got "
                         f"{tuple(h.shape)}")
    n = h.shape[0]
    g = n if group_size is None else min(int(group_size), n)
    if g < 1:
        raise ValueError(f"group_size must be a positive int or None, got {group_size!r}")
    if n % g:
        raise ValueError(f"expected a batch size divisible by the group size {g}, got {n}")
    groups = h.reshape(n // g, g, *h.shape[1:])                      # (N/G, G, ...)
    var = (groups - groups.mean(dim=1, keepdim=True)).pow(2).mean(dim=1)
    stat = (var + eps).sqrt().reshape(n // g, -1).mean(dim=1)        # (N/G,)
    per_sample = stat.repeat_interleave(g)                           # (N,)
    extra = per_sample.reshape(n, *([1] * (h.ndim - 1))).expand(n, 1, *h.shape[2:])
    return torch.cat([h, extra.to(h.dtype)], dim=1)


class MinibatchStdDev(nn.Module):
    """Layer form of :func:`minibatch_stddev`: ``(N, F)`` → ``(N, F + 1)``.

    Args:
        group_size: samples per group (4 in ProGAN); None for the whole batch.
        eps: added to the variance before the square root, so the gradient stays finite
            when every sample of a group is identical (the collapse it is meant to catch).
    """

    def __init__(self, group_size: int | None = None, eps: float = 1e-8) -> None:
        super().__init__()
        if group_size is not None and (isinstance(group_size, bool)
                                       or not isinstance(group_size, int) or group_size < 1):
            raise ValueError(f"group_size must be a positive int or None, got {group_size!r}")
        self.group_size = group_size
        self.eps = float(eps)

    def forward(self, h: Tensor) -> Tensor:
        return minibatch_stddev(h, self.group_size, self.eps)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"


class MinibatchStdDevDiscriminator(nn.Module):
    """An MLP discriminator with a minibatch-stddev feature: ``(N, *in_shape)`` → ``(N,)``.

    The layers of ``MLPDiscriminator(in_shape, hidden)`` (linear + LeakyReLU 0.2, a linear
    output giving logits), with :class:`MinibatchStdDev` inserted before the last hidden
    layer, so that layer can combine the statistic with the sample's own features (as
    ProGAN inserts it before its last convolutions).

    Args:
        in_shape: shape of one sample, e.g. ``(2,)``.
        hidden: widths of the hidden layers (at least one).
        group_size: samples per group of the statistic; None for the whole batch. The
            batch size must be a multiple of it.
        spectral_norm: wrap every linear layer in spectral normalisation.

    Each output depends on the other samples of its group: score real and generated
    batches separately (as :class:`~ganlib.train.Trainer` does), never mixed.
    """

    def __init__(
        self,
        in_shape: int | Sequence[int],
        hidden: Sequence[int] = (256, 256),
        group_size: int | None = None,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.in_shape = (int(in_shape),) if isinstance(in_shape, int) else tuple(in_shape)
        hidden = tuple(int(h) for h in hidden)
        if not hidden:
            raise ValueError("hidden must name at least one hidden layer")
        width = int(torch.tensor(self.in_shape).prod())
        self.net = nn.Sequential(nn.Flatten(), *mlp_discriminator_layers(
            width, hidden, spectral_norm, before_last_hidden=MinibatchStdDev(group_size)))

    def forward(self, x: Tensor) -> Tensor:
        check_batch_shape(x, self.in_shape)
        return self.net(x).squeeze(1)
