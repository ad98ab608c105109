"""GAN losses on logits, the WGAN-GP gradient penalty and the R1 penalty.

Every loss takes the discriminator's raw outputs (logits, shape ``(N,)``) and returns a
scalar to **minimise**. The log-probabilities come from ``softplus`` — ``log σ(t) =
-softplus(-t)`` and ``log(1 - σ(t)) = -softplus(t)`` — which never takes the log of a
sigmoid and so never produces ``log 0``.

=================  =========================================  ==========================
name               discriminator / critic loss                generator loss
=================  =========================================  ==========================
``minimax``        −E log D(x) − E log(1 − D(G(z)))           E log(1 − D(G(z)))  (saturating)
``nonsaturating``  same as minimax                            −E log D(G(z))
``lsgan``          ½E (t_real − 1)² + ½E t_fake²              ½E (t_fake − 1)²
``wasserstein``    E t_fake − E t_real                        −E t_fake
``hinge``          E relu(1 − t_real) + E relu(1 + t_fake)    −E t_fake
=================  =========================================  ==========================

(D = σ(t) for the first two; the others use the raw outputs t.)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "LOSSES",
    "minimax_d_loss",
    "minimax_g_loss",
    "nonsaturating_g_loss",
    "lsgan_d_loss",
    "lsgan_g_loss",
    "wasserstein_d_loss",
    "wasserstein_g_loss",
    "hinge_d_loss",
    "hinge_g_loss",
    "gradient_penalty",
    "interpolate",
    "r1_penalty",
]


def _check_logits(t: Tensor, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a tensor of logits with shape (N,), got {type(t)}")
    if t.ndim != 1:
        raise ValueError(f"expected {name} of shape (N,), got {tuple(t.shape)}")


def minimax_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """−E log D(x) − E log(1 − D(G(z))): binary cross-entropy, real → 1, fake → 0.

    Equals ``2 log 2 ≈ 1.386`` when both logits are 0 (D = ½ everywhere).
    """
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    """E log(1 − D(G(z))): the original, *saturating* generator loss (to minimise).

    Its gradient vanishes where D confidently rejects the fakes (σ(t) → 0), which is
    exactly the start of training.
    """
    _check_logits(fake_logits, "fake_logits")
    return -F.softplus(fake_logits).mean()


def nonsaturating_g_loss(fake_logits: Tensor) -> Tensor:
    """−E log D(G(z)): the non-saturating generator loss of Goodfellow et al. (2014)."""
    _check_logits(fake_logits, "fake_logits")
    return F.softplus(-fake_logits).mean()


def lsgan_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Least-squares GAN (Mao et al. 2017) with targets 1 (real) and 0 (fake)."""
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()


def lsgan_g_loss(fake_logits: Tensor) -> Tensor:
    """Least-squares generator loss: ½E (t_fake − 1)²."""
    _check_logits(fake_logits, "fake_logits")
    return 0.5 * ((fake_logits - 1) ** 2).mean()


def wasserstein_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Critic loss E f(G(z)) − E f(x): minimising it maximises the Wasserstein estimate."""
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    return fake_logits.mean() - real_logits.mean()


def wasserstein_g_loss(fake_logits: Tensor) -> Tensor:
    """Generator loss −E f(G(z))."""
    _check_logits(fake_logits, "fake_logits")
    return -fake_logits.mean()


def hinge_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): E relu(1 − t_real) + E relu(1 + t_fake)."""
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


hinge_g_loss = wasserstein_g_loss

LOSSES: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "minimax": (minimax_d_loss, minimax_g_loss),
    "nonsaturating": (minimax_d_loss, nonsaturating_g_loss),
    "lsgan": (lsgan_d_loss, lsgan_g_loss),
    "wasserstein": (wasserstein_d_loss, wasserstein_g_loss),
    "hinge": (hinge_d_loss, hinge_g_loss),
}


def interpolate(
    real: Tensor, fake: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """x̂ = α·x + (1 − α)·x̃ with one α ~ U[0, 1] **per sample**, broadcast over the rest."""
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {tuple(real.shape)} and "
            f"{tuple(fake.shape)}"
        )
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    # α is drawn where its random generator lives (the trainer's is on its device)
    where = generator.device if generator is not None else real.device
    alpha = torch.rand(shape, generator=generator, device=where).to(real.device, real.dtype)
    return alpha * real + (1 - alpha) * fake


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None = None,
    return_norms: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """WGAN-GP's penalty E (‖∇f(x̂)‖₂ − 1)² (Gulrajani et al. 2017, Algorithm 1).

    Args:
        critic: maps samples ``(N, ...)`` to outputs ``(N,)`` (or ``(N // pack,)``).
        real, fake: samples of the same shape ``(N, ...)``; ``fake`` is detached here.
        generator: optional random generator for α, for reproducible runs.
        return_norms: also return the per-sample gradient norms ``(N,)`` (detached).

    α ~ U[0, 1] is drawn per sample; the norm is taken over each sample's flattened
    gradient; the gradient is built with ``create_graph=True`` so the penalty itself
    can be differentiated with respect to the critic's weights. Multiply by λ (10 in
    the paper) and add to the critic's loss.
    """
    x_hat = interpolate(real.detach(), fake.detach(), generator).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norms = grad.reshape(grad.shape[0], -1).norm(2, dim=1)
    penalty = ((norms - 1) ** 2).mean()
    return (penalty, norms.detach()) if return_norms else penalty


def r1_penalty(
    real_logits: Tensor, real: Tensor, return_norms: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """The R1 penalty E ‖∇ₓ D(x)‖₂² on **real** samples (Mescheder et al. 2018, eq. 9).

    Args:
        real_logits: the discriminator's logits ``(N,)`` on ``real`` (before any sigmoid).
        real: the real samples ``(N, ...)`` they were computed from, with
            ``requires_grad=True`` set *before* the discriminator saw them.
        return_norms: also return the per-sample gradient norms ``(N,)`` (detached).

    Use it as ``x = real.requires_grad_(); logits = D(x); r1_penalty(logits, x)``: the
    logits serve both the loss and the penalty, so the discriminator runs once. Unlike
    WGAN-GP's penalty it pulls the gradient towards **zero**, and only where the data are:
    a discriminator that would memorise a small data set is kept smooth around each sample,
    and once G matches the data D cannot push G off them with a steep slope. Multiply by
    γ/2 (the paper uses γ = 10) and add to the discriminator's loss. The gradient is built
    with ``create_graph=True`` so the penalty is differentiable in D's weights.
    """
    if not real.requires_grad:
        raise ValueError(
            "real must require grad before the discriminator sees it "
            "(x = real.requires_grad_(); logits = D(x); r1_penalty(logits, x)), got a tensor "
            "with requires_grad=False"
        )
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    squared = grad.reshape(grad.shape[0], -1).pow(2).sum(dim=1)
    penalty = squared.mean()
    return (penalty, squared.detach().sqrt()) if return_norms else penalty
