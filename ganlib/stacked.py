"""Stacked MNIST: three digits as the three channels of one image — 1,000 modes.

Metz et al. (2017, unrolled GANs) and VEEGAN (Srivastava et al., 2017) stack three
MNIST digits drawn independently into a ``3 × 28 × 28`` image; the triple of digits
``(d₀, d₁, d₂)`` is its *mode*, one of 10³ = 1,000. A generator is scored by labelling
each channel of its samples with an MNIST classifier (here ganlib's, see
:mod:`ganlib.classifier`), counting the distinct triples among 26,000 samples (VEEGAN's
setting) and measuring KL(p̂ ‖ uniform) of their histogram — 0 for perfectly even
coverage, log 1000 ≈ 6.91 for total collapse onto one triple.

Published (benchmarks.md §2): DCGAN 99 modes / KL 3.4; VEEGAN 150 / 2.95;
PacDCGAN2 1000 / 0.06.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .data import ImageDataset

__all__ = [
    "N_MODES",
    "EVAL_SAMPLES",
    "encode_triple",
    "decode_mode",
    "stacked_mnist",
    "stacked_mnist_modes",
    "StackedModeStats",
    "stacked_mnist_stats",
]

N_MODES = 1000
EVAL_SAMPLES = 26_000  # generated samples scored in VEEGAN's protocol


def encode_triple(digits: Tensor) -> Tensor:
    """Digit triples ``(N, 3)`` (channel order) → mode ids ``100·d₀ + 10·d₁ + d₂`` ``(N,)``."""
    if digits.ndim != 2 or digits.shape[1] != 3:
        raise ValueError(f"expected digit triples of shape (N, 3), got {tuple(digits.shape)}")
    d = digits.long()
    return 100 * d[:, 0] + 10 * d[:, 1] + d[:, 2]


def decode_mode(modes: Tensor) -> Tensor:
    """Mode ids ``(N,)`` in [0, 1000) → digit triples ``(N, 3)``."""
    m = torch.as_tensor(modes).long()
    return torch.stack([m // 100, m // 10 % 10, m % 10], dim=1)


def stacked_mnist(digits: ImageDataset, n: int, seed: int = 0) -> ImageDataset:
    """``n`` Stacked-MNIST images built from single digits.

    Args:
        digits: an :class:`~ganlib.data.ImageDataset` of ``(M, 1, S, S)`` digits in
            [-1, 1] with labels (e.g. ``load_mnist()``).
        n: how many stacked images to make.
        seed: seed of the draws (three digits drawn independently, with replacement).

    Returns:
        an ImageDataset of ``(n, 3, S, S)`` images in [-1, 1] whose labels are the mode
        ids ``100·d₀ + 10·d₁ + d₂`` of the digits in channels 0, 1 and 2.
    """
    images, labels = digits.images, digits.labels
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"expected single-channel digits (M, 1, S, S), got "
                         f"{tuple(images.shape)}")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(images), (n, 3), generator=g)
    stacked = images[idx].squeeze(2)  # (n, 3, S, S)
    return ImageDataset(stacked.contiguous(), encode_triple(labels[idx]),
                        f"stacked {digits.source}")


@torch.no_grad()
def stacked_mnist_modes(images: Tensor, model=None) -> Tensor:
    """Mode ids ``(N,)`` of stacked images ``(N, 3, S, S)`` in [-1, 1] by the classifier.

    Each channel is classified on its own (arg-max of the MNIST classifier; the shipped
    one when ``model`` is None).
    """
    from .classifier import classifier_outputs, load_classifier

    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected stacked images of shape (N, 3, S, S), got "
                         f"{tuple(images.shape)}")
    model = load_classifier() if model is None else model
    n, _, h, w = images.shape
    logits, _ = classifier_outputs(images.reshape(n * 3, 1, h, w), model)
    return encode_triple(logits.argmax(1).reshape(n, 3))


@dataclass(frozen=True)
class StackedModeStats:
    """Modes covered (of 1,000) and KL(p̂ ‖ uniform) of a set of Stacked-MNIST samples."""

    n: int
    modes: int
    kl: float

    def __str__(self) -> str:
        return f"{self.modes}/1000 modes, KL to uniform {self.kl:.3f} ({self.n:,} samples)"


def stacked_mnist_stats(images: Tensor, model=None) -> StackedModeStats:
    """Score stacked images ``(N, 3, S, S)``: distinct digit triples and KL to uniform.

    Use N = :data:`EVAL_SAMPLES` (26,000) to compare with published numbers; fewer
    samples cover fewer modes even for real data (with 26,000 uniform draws over 1,000
    triples, about all 1,000 appear and KL ≈ 0.02).
    """
    from .metrics import class_histogram_stats

    modes = stacked_mnist_modes(images, model)
    covered, kl = class_histogram_stats(modes, N_MODES)
    return StackedModeStats(n=len(images), modes=covered, kl=kl)
