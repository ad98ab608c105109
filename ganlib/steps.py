"""The GAN update: one step of the discriminator, one step of the generator.

These two functions are the loop of chapter 2 (and of exercise 2's tasks 2 and 3), with
keyword arguments for what later chapters add: other losses, the WGAN-GP gradient penalty,
the R1 penalty, weight clipping and autocast. :class:`ganlib.train.Trainer` calls them once
per critic iteration and once per generator update; everything else it does (data,
noise, history, checkpoints, faults) wraps them.

Both take the networks' **logits** and compute their losses in float32, and both refuse
to update with a loss that is not finite: they raise :class:`NonFiniteLossError` before
``optimizer.step()``, so the network they were about to move is untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor, nn

from .losses import LOSSES, gradient_penalty, r1_penalty

__all__ = ["discriminator_step", "generator_step", "NonFiniteLossError"]

Autocast = Callable[[], AbstractContextManager]


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; no update was made with it.

    Attributes: ``which`` (the term that is not finite, e.g. ``"gradient penalty"``),
    ``value``, and ``step`` (the training step, when a :class:`~ganlib.train.Trainer`
    raised it; ``None`` from the bare step functions).
    """

    def __init__(self, which: str, value: float, step: int | None = None,
                 detail: str = "") -> None:
        where = f" at step {step}" if step is not None else ""
        super().__init__(f"the {which} became {value}{where}; no update was made with it. "
                         + (detail or "Lower the learning rate, check the data range, or use "
                                      "a numerically stable loss."))
        self.which, self.value, self.step = which, value, step


def _refuse_non_finite(terms: dict[str, Tensor]) -> None:
    """Raise :class:`NonFiniteLossError` naming the first term that is NaN or infinite."""
    total = sum(t.detach() for t in terms.values())
    if math.isfinite(float(total)):  # one device sync for all the terms
        return
    for name, term in terms.items():
        value = float(term.detach())
        if not math.isfinite(value):
            raise NonFiniteLossError(name, value)
    raise NonFiniteLossError("sum of " + " and ".join(terms), float(total))  # inf - inf


def _loss_pair(loss: str) -> tuple[Callable, Callable]:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    return LOSSES[loss]


def discriminator_step(
    D: nn.Module,
    d_optimizer: torch.optim.Optimizer,
    real: Tensor,
    fake: Tensor,
    *,
    loss: str = "nonsaturating",
    gp_weight: float = 0.0,
    r1_weight: float = 0.0,
    clip_value: float | None = None,
    rng: torch.Generator | None = None,
    autocast: Autocast = nullcontext,
) -> dict[str, Tensor]:
    """One update of the discriminator (critic) ``D`` on a real and a generated batch.

    Args:
        D: maps samples ``(N, ...)`` to logits ``(N,)``.
        d_optimizer: holds ``D``'s parameters (and only those).
        real: real samples ``(N, ...)``.
        fake: generated samples ``(N, ...)``, attached to G's graph or not.
        loss: a name from :data:`ganlib.losses.LOSSES` (its discriminator half is used).
        gp_weight: λ of the WGAN-GP gradient penalty (0: none).
        r1_weight: γ of the R1 penalty γ/2 · E‖∇ₓD(x)‖² on the real batch (0: none).
        clip_value: clip every weight of ``D`` to ``[-c, c]`` after the update (WGAN).
        rng: random generator for the penalty's interpolation weights α.
        autocast: a context manager factory for the forward passes (e.g. bf16 autocast).

    Returns:
        detached tensors for logging: ``loss`` (the loss without penalties),
        ``real_logits`` and ``fake_logits`` ``(N,)``, and ``gp``, ``gp_norms`` ``(N,)``
        and ``r1`` when those penalties are on.
    """
    d_loss_fn = _loss_pair(loss)[0]
    d_optimizer.zero_grad(set_to_none=True)  # backward() adds into .grad: clear the last step's
    if r1_weight > 0:
        real = real.detach().requires_grad_(True)  # R1 differentiates D(x) with respect to x
    with autocast():
        real_logits = D(real).float()  # losses in float32, also under bf16 autocast
        fake_logits = D(fake.detach()).float()  # detach: D's loss must not reach G's weights
    d_loss = d_loss_fn(real_logits, fake_logits)
    terms = {"discriminator loss": d_loss}
    logged = {"loss": d_loss, "real_logits": real_logits, "fake_logits": fake_logits}
    if gp_weight > 0:  # WGAN-GP: (‖∇D(x̂)‖ − 1)² at random points x̂ between real and fake
        with autocast():
            gp, norms = gradient_penalty(D, real, fake, rng, return_norms=True)
        terms["gradient penalty"] = gp_weight * gp.float()
        logged.update(gp=gp, gp_norms=norms)
    if r1_weight > 0:  # R1: ‖∇ₓD(x)‖² on the real batch, from the logits computed above
        r1 = r1_penalty(real_logits, real)
        terms["R1 penalty"] = r1_weight / 2 * r1
        logged["r1"] = r1
    _refuse_non_finite(terms)  # a NaN or inf term: raise before any weight moves
    sum(terms.values()).backward()  # gradients for D's weights only (fake was detached)
    d_optimizer.step()
    if clip_value is not None:  # WGAN: every weight back into [-c, c] after the update
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-clip_value, clip_value)
    return {name: t.detach() for name, t in logged.items()}


def generator_step(
    D: nn.Module,
    g_optimizer: torch.optim.Optimizer,
    fake: Tensor,
    *,
    loss: str = "nonsaturating",
    autocast: Autocast = nullcontext,
) -> Tensor:
    """One update of the generator through ``D``'s verdict on ``fake``.

    Args:
        D: the discriminator (critic); its weights get no gradient and do not move.
        g_optimizer: holds the generator's parameters (and only those).
        fake: generated samples ``G(z)`` of shape ``(N, ...)``, **attached** to G's graph.
        loss: a name from :data:`ganlib.losses.LOSSES` (its generator half is used).
        autocast: a context manager factory for D's forward pass.

    Returns:
        the generator's loss, detached.
    """
    g_loss_fn = _loss_pair(loss)[1]
    g_optimizer.zero_grad(set_to_none=True)  # clear G's gradients of the last step
    trainable = [p for p in D.parameters() if p.requires_grad]
    for p in trainable:  # the gradient flows through D into G; D's own weights need none
        p.requires_grad_(False)
    try:
        with autocast():
            g_loss = g_loss_fn(D(fake).float())  # the updated D judges G's samples
        _refuse_non_finite({"generator loss": g_loss})
        g_loss.backward()  # through D (not into its weights) into G's weights
    finally:
        for p in trainable:  # D stays trainable for its next step
            p.requires_grad_(True)
    g_optimizer.step()  # moves G only: the optimizer holds G's parameters
    return g_loss.detach()
