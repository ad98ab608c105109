"""Mode-collapse metrics: how many modes a generator covers, and how evenly.

The 2-D benchmarks follow the protocol of PacGAN (Lin et al. 2018), with the metric of
VEEGAN (Srivastava et al. 2017). For samples of a generator trained on a mixture of
``K`` isotropic Gaussians with centres ``c_k`` and standard deviation σ:

- a sample ``x`` is **high quality** if ``min_k ‖x − c_k‖₂ / σ < 3`` (3 standard
  deviations from its nearest centre);
- every high-quality sample is assigned to its nearest mode; a mode is **captured** if
  it receives at least one;
- **% high quality** is the fraction of high-quality samples among all samples;
- **reverse KL** is ``KL(p̂ ‖ uniform) = Σ_k p̂_k log(K p̂_k) = log K − H(p̂)``, where
  ``p̂`` is the histogram of the high-quality samples over the ``K`` modes (empty bins
  contribute 0). It is 0 for a perfectly even spread and ``log K`` for total collapse.

For classifier-labelled samples (MNIST digits, Stacked MNIST's 1,000 digit triples),
:func:`class_histogram_stats` computes the same two numbers from the labels.

A generator that covers every mode evenly but only with poor samples scores few
high-quality samples; one that makes perfect samples of a single mode scores 100 % high
quality but 1 mode and reverse KL ``log K``: read the numbers together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .data import GaussianMixture

__all__ = ["ModeStats", "mode_stats", "class_histogram_stats", "kl_to_uniform"]

_CHUNK = 16_384  # samples per block when measuring distances, to bound memory


@dataclass(frozen=True, eq=False)
class ModeStats:
    """Mode coverage of a set of samples (see the module docstring for the definitions).

    Attributes:
        captured: the number of captured modes (0..K).
        n_modes: K, the number of modes of the target distribution.
        high_quality: the fraction of high-quality samples, in [0, 1].
        reverse_kl: KL(p̂ ‖ uniform) of the high-quality histogram, in [0, log K].
        counts: ``(K,)`` int64 tensor on the CPU, high-quality samples per mode.
    """

    captured: int
    n_modes: int
    high_quality: float
    reverse_kl: float
    counts: Tensor = field(repr=False)

    def __str__(self) -> str:
        return (f"{self.captured}/{self.n_modes} modes, {100 * self.high_quality:.1f}% high "
                f"quality, reverse KL {self.reverse_kl:.3f}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModeStats):
            return NotImplemented
        same = all(getattr(self, f.name) == getattr(other, f.name)
                   for f in fields(self) if f.name != "counts")
        return same and torch.equal(self.counts, other.counts)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking tensor field: unhashable

    def as_dict(self) -> dict[str, Any]:
        """Plain Python values (``counts`` as a list), e.g. for a table or JSON."""
        return {
            "captured": self.captured,
            "n_modes": self.n_modes,
            "high_quality": self.high_quality,
            "reverse_kl": self.reverse_kl,
            "counts": self.counts.tolist(),
        }


def kl_to_uniform(counts: Tensor) -> float:
    """KL(p̂ ‖ uniform) = log K − H(p̂) of a histogram ``counts`` of shape ``(K,)``.

    ``p̂ = counts / counts.sum()``; empty bins contribute 0. An all-zero histogram (no
    sample at all) is scored as total collapse, ``log K``. The result is in [0, log K].
    """
    counts = torch.as_tensor(counts)
    if counts.ndim != 1 or counts.numel() == 0:
        raise ValueError(f"expected counts of shape (K,) with K >= 1, got {tuple(counts.shape)}")
    k = counts.numel()
    total = float(counts.sum())
    if total <= 0:
        return math.log(k)
    p = counts.double() / total
    p = p[p > 0]
    kl = float((p * torch.log(p * k)).sum())
    return min(max(kl, 0.0), math.log(k))  # clip rounding error just outside [0, log K]


def _as_float_tensor(x: Any, name: str) -> Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a tensor or a NumPy array, got {type(x).__name__}")
    return x.detach()


def mode_stats(
    samples: Tensor | np.ndarray,
    modes: GaussianMixture | Tensor | np.ndarray,
    std: float | None = None,
    threshold: float = 3.0,
) -> ModeStats:
    """Score samples against the modes of a Gaussian mixture (PacGAN/VEEGAN protocol).

    Args:
        samples: ``(N, d)`` generated samples (``(N,)`` is read as 1-D samples), N ≥ 1.
        modes: a :class:`~ganlib.data.GaussianMixture` (its ``centers`` ``(K, d)`` and
            ``std`` are used), or the centres themselves as a ``(K, d)`` tensor.
        std: the modes' standard deviation per coordinate; required with a tensor of
            centres, overrides the mixture's ``std`` when given.
        threshold: a sample is high quality if its distance to the nearest centre,
            divided by ``std``, is strictly below ``threshold`` (3 in the papers).

    Returns:
        a :class:`ModeStats`. The distances are computed in float64 on ``samples``'
        device; non-finite samples count as not high quality. With no high-quality
        sample at all, ``reverse_kl`` is ``log K`` (scored as total collapse).

    Example: ``print(mode_stats(G(z), ring2d()))`` → ``8/8 modes, 97.9% high quality,
    reverse KL 0.012``.
    """
    if isinstance(modes, GaussianMixture):
        centers = modes.centers
        std = modes.std if std is None else std
    else:
        centers = _as_float_tensor(modes, "modes")
        if std is None:
            raise ValueError("std is required when modes is a tensor of centres; "
                             "pass std=..., or pass a GaussianMixture")
    if centers.ndim == 1:
        centers = centers[:, None]
    if centers.ndim != 2 or centers.shape[0] == 0:
        raise ValueError(f"expected mode centres of shape (K, d) with K >= 1, "
                         f"got {tuple(centers.shape)}")
    k, d = centers.shape
    try:
        sigma = float(std)
    except (TypeError, ValueError):
        sigma = math.nan
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"std must be a positive float, got {std!r}")
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold!r}")
    x = _as_float_tensor(samples, "samples")
    if x.ndim == 1 and d == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != d or x.shape[0] == 0:
        raise ValueError(f"expected samples of shape (N, {d}) with N >= 1 to match the "
                         f"{k} centres of shape {(k, d)}, got {tuple(x.shape)}")

    c = centers.to(device=x.device, dtype=torch.float64)
    nearest, dist = [], []
    for block in x.split(_CHUNK):
        dd = (block.double()[:, None, :] - c[None]).pow(2).sum(-1).sqrt()  # (n, K)
        m, i = dd.min(dim=1)
        dist.append(m)
        nearest.append(i)
    dist_t, nearest_t = torch.cat(dist), torch.cat(nearest)
    hq = dist_t / sigma < threshold  # NaN compares False: not high quality
    counts = torch.bincount(nearest_t[hq], minlength=k).cpu()
    return ModeStats(
        captured=int((counts > 0).sum()),
        n_modes=k,
        high_quality=float(hq.double().mean()),
        reverse_kl=kl_to_uniform(counts),
        counts=counts,
    )


def class_histogram_stats(labels: Tensor | np.ndarray, n_classes: int) -> tuple[int, float]:
    """Modes covered and KL(p̂ ‖ uniform) of classifier labels.

    Args:
        labels: ``(N,)`` integer class labels in ``[0, n_classes)``, N ≥ 1 — e.g. the
            arg-max of an MNIST classifier, or for Stacked MNIST the digit triple
            encoded as ``100·d₀ + 10·d₁ + d₂``.
        n_classes: the number of modes (10 for MNIST, 1,000 for Stacked MNIST).

    Returns:
        ``(covered, kl)``: the number of classes that occur at least once, and
        ``Σ p̂ log(n_classes · p̂)`` over the label histogram (empty bins contribute 0),
        which is 0 for a uniform histogram and ``log n_classes`` for a single class.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive int, got {n_classes!r}")
    y = _as_float_tensor(labels, "labels")
    if y.ndim != 1 or y.numel() == 0:
        raise ValueError(f"expected labels of shape (N,) with N >= 1, got {tuple(y.shape)}")
    if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
        raise ValueError(f"expected integer labels, got dtype {y.dtype}")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"expected labels in [0, {n_classes - 1}], got values in [{lo}, {hi}]")
    counts = torch.bincount(y.long().cpu(), minlength=n_classes)
    return int((counts > 0).sum()), kl_to_uniform(counts)
