"""Checks for the exercises of chapter 1, the minimax objective.

Each check calls the learner's function on random inputs (drawn from its own seeded
generator, so the global random state is left alone) and on edge cases, then prints one
line: ``✅ <name>: correct — …`` or ``❌ <name>: <what is wrong> — hint: <hint>``.

=====================================  ===================================================
check                                  the function it tests
=====================================  ===================================================
:func:`check_value_estimate`           ``value_estimate(real_logits, fake_logits)`` → V(D, G)
:func:`check_optimal_discriminator`    ``optimal_discriminator(p_data, p_g)`` → D*(x)
:func:`check_saturating_g_loss`        ``saturating_g_loss(fake_logits)`` → E log(1 − D(G(z)))
:func:`check_nonsaturating_g_loss`     ``nonsaturating_g_loss(fake_logits)`` → −E log D(G(z))
=====================================  ===================================================

Logits are the discriminator's raw outputs ``t``, with ``D = σ(t)``; the stable forms are
``log σ(t) = −softplus(−t)`` and ``log(1 − σ(t)) = −softplus(t)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from . import check, fail
from .support import apart, close, name_mistake, rng, scalar_tensor

__all__ = [
    "check_value_estimate",
    "check_optimal_discriminator",
    "check_saturating_g_loss",
    "check_nonsaturating_g_loss",
]

_SEED = 101
_BIG = 1000.0  # a logit far beyond where sigmoid is exactly 0 or 1 in float32 and float64
_STABLE_HINT = "use log σ(t) = −softplus(−t) and log(1 − σ(t)) = −softplus(t) (F.softplus)"
_MEAN_HINT = "average over the batch with .mean()"
_SCALAR_HINT = "return the tensor itself, built from the logits (no .item(), no float(...))"
_TENSOR_HINT = "return a tensor (no .item()) so that autograd can differentiate it"
# What a confident discriminator's logits do to a loss built on probabilities.
_CONFIDENT = ("adding an ε to the probability, or clamping it, its log (as "
              "F.binary_cross_entropy does) or the logits, changes the value once D is "
              "confident")


def _same(got: float, value: float) -> bool:
    return close(got, value, 1e-4)


# ---------------------------------------------------------------------------- task 1
def _v(out: object) -> float:
    """The learner's V: the task asks for a scalar tensor (a float is refused)."""
    return float(scalar_tensor(out, "your V", _SCALAR_HINT, _MEAN_HINT).detach())


def _value(real: Tensor, fake: Tensor) -> float:
    real, fake = real.double(), fake.double()
    return float(-F.softplus(-real).mean() - F.softplus(fake).mean())


@check("value_estimate")
def check_value_estimate(value_estimate: Callable[[Tensor, Tensor], Tensor]) -> str:
    """Check ``value_estimate(real_logits (N,), fake_logits (M,))`` → V(D, G), a scalar tensor
    (the task asks for one: a Python float is refused).

    V(D, G) = mean over real samples of log D(x) + mean over fakes of log(1 − D(G(z))),
    with D = σ(logit); N and M may differ.
    """
    g = rng(_SEED)
    real = 2.0 * torch.randn(7, generator=g) + 1.0
    fake = 2.0 * torch.randn(5, generator=g) - 1.0
    expected = _value(real, fake)
    got = _v(value_estimate(real.clone(), fake.clone()))
    if not close(got, expected, 1e-4):
        r, f = real.double(), fake.double()
        log_d_real, log_1md_fake = -F.softplus(-r), -F.softplus(f)
        name_mistake(got, [
            (-expected,
             "you returned −V, the discriminator's loss; V itself is what D maximises",
             "V = E log D(x) + E log(1 − D(G(z))), without a minus sign in front"),
            (float(-F.softplus(r).mean() - F.softplus(-f).mean()),
             "your V treats the real samples as fakes and the fakes as real",
             "log D(x) goes with the real logits, log(1 − D(G(z))) with the fake ones"),
            (float(log_d_real.sum() + log_1md_fake.sum()),
             "you summed over the samples instead of averaging",
             "V is made of expectations: use .mean() for each term"),
            (float(torch.cat([log_d_real, log_1md_fake]).mean()),
             "you averaged all N + M terms together; with N ≠ M that weights "
             "the two expectations wrongly",
             "V is the sum of two separate means, one over real and one over fakes"),
            (expected / 2,
             "your V is half the right value",
             "add the two means; do not average them"),
            (float(log_d_real.mean() - F.softplus(-f).mean()),
             "you used log D(G(z)) for the generated samples; V's second term is "
             "log(1 − D(G(z)))",
             "log(1 − σ(t)) = −softplus(t) for the fake logits"),
            (float(-F.softplus(-r.mean()) - F.softplus(f.mean())),
             "you averaged the logits before taking the log: log σ(mean logit) is not the "
             "mean of log σ(logit)",
             "apply −softplus to every logit, then take .mean()"),
            (float(log_d_real.mean()),
             "your V has only the real samples' term, E log D(x)",
             "add the generated samples' term, E log(1 − D(G(z)))"),
            (float(log_1md_fake.mean()),
             "your V has only the generated samples' term, E log(1 − D(G(z)))",
             "add the real samples' term, E log D(x)"),
        ], _same)
        if not math.isfinite(got):
            fail(f"your V is {got} for random logits of both signs",
                 "the inputs are logits, not probabilities: D = σ(logit), so log D(x) = "
                 "−softplus(−real_logit)")
        shown, wanted = apart(got, expected)
        fail(f"your V is {shown} for 7 real and 5 fake logits, expected {wanted}",
             "V = mean(log σ(real_logits)) + mean(log(1 − σ(fake_logits)))")
    # D = ½ everywhere (all logits 0) gives −log 4, whatever the batch sizes.
    got = _v(value_estimate(torch.zeros(3), torch.zeros(4)))
    if not close(got, -math.log(4), 1e-4):
        fail(f"your V is {got:.4f} when every logit is 0 (D = ½), expected −log 4 ≈ −1.3863",
             "each term is log ½ when D = ½")
    # Confident logits: log(sigmoid(t)) is log(0) = −inf once sigmoid underflows.
    real = torch.tensor([_BIG, -_BIG, 0.0])
    fake = torch.tensor([-_BIG, _BIG])
    expected = _value(real, fake)
    got = _v(value_estimate(real.clone(), fake.clone()))
    if not math.isfinite(got):
        fail(f"your V is {got} for logits of ±{_BIG:.0f}: log of a sigmoid that is exactly "
             "0 or 1", _STABLE_HINT)
    if not close(got, expected, 1e-4):
        fail(f"your V is {got:.1f} for logits of ±{_BIG:.0f}, expected {expected:.1f}: "
             f"{_CONFIDENT}", _STABLE_HINT)
    return "V(D, G) matches on random logits, equals −log 4 at D = ½ and stays exact " \
        f"for logits of ±{_BIG:.0f}"


# ---------------------------------------------------------------------------- task 2
def _same_dstar(got: Tensor, value: Tensor) -> bool:
    return torch.allclose(got, value, atol=1e-5, rtol=1e-4)


@check("optimal_discriminator")
def check_optimal_discriminator(optimal_discriminator: Callable[[Tensor, Tensor], Tensor]) -> str:
    """Check ``optimal_discriminator(p_data (N,), p_g (N,))`` → D* (N,) in [0, 1].

    D*(x) = p_data(x) / (p_data(x) + p_g(x)); ½ where both densities are 0.
    """
    g = rng(_SEED)
    p_data = torch.rand(9, generator=g) * 0.5 + 0.01
    p_g = torch.rand(9, generator=g) * 0.5 + 0.01
    out = optimal_discriminator(p_data.clone(), p_g.clone())
    if not isinstance(out, Tensor):
        fail(f"your function returned a {type(out).__name__}, expected a tensor of shape (9,)",
             "compute D* with tensor operations on p_data and p_g")
    if tuple(out.shape) != (9,):
        fail(f"your D* has shape {tuple(out.shape)} for densities of shape (9,), expected (9,)",
             "D* is computed point by point: one value per x")
    out = out.detach().double()
    pd, pg = p_data.double(), p_g.double()
    expected = pd / (pd + pg)
    if not _same_dstar(out, expected):
        name_mistake(out, [
            (pg / (pd + pg), "your D* is p_g / (p_data + p_g): the densities are swapped",
             "D*(x) is the probability that x is real: the data density goes on top"),
            (pd / pg, "your D* is p_data / p_g, a density ratio, not a probability",
             "divide by p_data + p_g so that D* stays in [0, 1]"),
            (pd, "your D* is p_data itself", "normalise: D* = p_data / (p_data + p_g)"),
        ], _same_dstar)
        i = int((out - expected).abs().argmax())
        fail(f"your D* is {float(out[i]):.4f} where p_data = {float(pd[i]):.3f} and "
             f"p_g = {float(pg[i]):.3f}, expected {float(expected[i]):.4f}",
             "D*(x) = p_data(x) / (p_data(x) + p_g(x))")
    # Where only one distribution puts mass, D* is certain; where neither does, it is ½.
    p_data = torch.tensor([0.0, 0.3, 0.0, 1e-30])
    p_g = torch.tensor([0.4, 0.0, 0.0, 1e-30])
    out = optimal_discriminator(p_data.clone(), p_g.clone())
    if not isinstance(out, Tensor) or tuple(out.shape) != (4,):
        fail("your function does not return a tensor of shape (4,) for 4 points",
             "keep the shape of the inputs")
    out = out.detach().double()
    if bool(torch.isnan(out[2])):
        fail("your D* is nan where p_data = p_g = 0 (0 / 0)",
             "the task asks for ½ there: torch.where(total > 0, p_data / total, 0.5)")
    want = torch.tensor([0.0, 1.0, 0.5, 0.5], dtype=torch.float64)
    for i, (mine, other) in ((0, ("p_data", "p_g")), (1, ("p_g", "p_data"))):
        if close(float(out[i]), 0.5, 1e-6) and not close(float(out[1 - i]), 0.5, 1e-6):
            fail(f"where {mine} = 0 and {other} > 0 your D* is 0.5, expected "
                 f"{float(want[i]):g}: your condition tests {mine} alone",
                 "the 0 / 0 case is where p_data + p_g = 0: "
                 "torch.where(total > 0, p_data / total, 0.5)")
    if torch.allclose(out[:2], want[:2], atol=1e-6) and float(out[3]) < 0.25:
        fail(f"your D* is {float(out[3]):.3g} where p_data = p_g = 1e-30, expected 0.5",
             "a small ε added to the denominator (or a floor on it, clamp(min=…)) outweighs "
             "tiny densities; handle the 0 / 0 case with "
             "torch.where(total > 0, p_data / total, 0.5) instead")
    if torch.allclose(out[:2], want[:2], atol=1e-6) and not close(float(out[2]), 0.5, 1e-6):
        fail(f"your D* is {float(out[2]):.3g} where p_data = p_g = 0, expected 0.5",
             "neither distribution puts mass there, so no discriminator can tell: the task "
             "asks for ½")
    if not torch.allclose(out, want, atol=1e-6):
        fail(f"for (p_data, p_g) = (0, 0.4), (0.3, 0), (0, 0), (1e-30, 1e-30) your D* is "
             f"{[round(v, 3) for v in out.tolist()]}, expected [0, 1, 0.5, 0.5]",
             "D* is 0 where only p_g has mass, 1 where only p_data has, ½ where neither has")
    return "D* matches on random densities and at points where one or both densities are 0"


# ------------------------------------------------------------------------ tasks 3, 4
def _check_g_loss(
    fn: Callable[[Tensor], Tensor],
    reference: Callable[[Tensor], Tensor],
    known: list[tuple[Callable[[Tensor], Tensor], str, str]],
    formula: str,
) -> str:
    """Value, gradient and large-logit behaviour of a generator loss on logits."""
    t = (3.0 * torch.randn(6, generator=rng(_SEED))).requires_grad_(True)
    td = t.detach().double()  # a copy: the reference is safe from in-place edits
    out = scalar_tensor(fn(t), "your loss", _TENSOR_HINT, _MEAN_HINT)
    got = float(out.detach())
    expected = float(reference(td))
    if not close(got, expected, 1e-4):
        name_mistake(got, [(float(mistake(td)), problem, hint)
                           for mistake, problem, hint in known], _same)
        shown, wanted = apart(got, expected)
        fail(f"your loss is {shown} for 6 random logits, expected {wanted}", formula)
    if not out.requires_grad:
        fail("your loss has no gradient with respect to the logits",
             "stay in torch: no .item(), .detach() or NumPy inside the loss")
    (grad,) = torch.autograd.grad(out, t)
    td_req = td.clone().requires_grad_(True)
    (want,) = torch.autograd.grad(reference(td_req), td_req)
    if not torch.allclose(grad.double(), want, atol=1e-5, rtol=1e-4):
        fail("your loss has the right value but not the right gradient",
             "build it from the logits with differentiable torch operations")
    # Confident discriminators: σ(±1000) is exactly 0 or 1, so log(σ) gives ±inf.
    big = torch.tensor([_BIG, -_BIG, 0.0], requires_grad=True)
    out = scalar_tensor(fn(big), "your loss", _TENSOR_HINT, _MEAN_HINT)
    got = float(out.detach())
    expected = float(reference(big.detach().double()))
    if not math.isfinite(got):
        fail(f"your loss is {got} for logits of ±{_BIG:.0f}: log of a sigmoid that is exactly "
             "0 or 1", _STABLE_HINT)
    if not close(got, expected, 1e-4):
        fail(f"your loss is {got:.1f} for logits of ±{_BIG:.0f}, expected {expected:.1f}: "
             f"{_CONFIDENT}, and kills the gradient", _STABLE_HINT)
    (grad,) = torch.autograd.grad(out, big)
    if not bool(torch.isfinite(grad).all()):
        fail(f"your loss has a non-finite gradient for logits of ±{_BIG:.0f}", _STABLE_HINT)
    return f"value and gradient match on random logits and stay exact for logits of ±{_BIG:.0f}"


_JENSEN = ("you averaged the logits before the loss: the loss of the mean logit is not the "
           "mean of the per-sample losses")


def _saturating(t: Tensor) -> Tensor:
    return -F.softplus(t).mean()


def _nonsaturating(t: Tensor) -> Tensor:
    return F.softplus(-t).mean()


@check("saturating_g_loss")
def check_saturating_g_loss(saturating_g_loss: Callable[[Tensor], Tensor]) -> str:
    """Check ``saturating_g_loss(fake_logits (N,))`` → scalar E log(1 − D(G(z))).

    The generator minimises it; it equals ``-softplus(fake_logits).mean()``.
    """
    known = [
        (_nonsaturating, "you wrote the non-saturating loss −E log D(G(z)); the two losses "
         "are swapped", "the saturating loss is the minimax game's own term E log(1 − D(G(z)))"),
        (lambda t: F.softplus(t).mean(), "your loss has the wrong sign: it is −E log(1 − D(G(z))),"
         " which the generator would have to maximise", "return E log(1 − D(G(z))) itself"),
        (lambda t: -F.softplus(-t).mean(), "you wrote E log D(G(z)), not E log(1 − D(G(z)))",
         "log(1 − σ(t)) = −softplus(t)"),
        (lambda t: -F.softplus(t).sum(), "you summed over the batch instead of averaging",
         "use .mean()"),
        (lambda t: -F.softplus(t.mean()), _JENSEN, "apply −softplus to every logit, then "
         "take .mean()"),
    ]
    return _check_g_loss(saturating_g_loss, _saturating, known,
                         "the saturating loss is mean(log(1 − σ(fake_logits))) = "
                         "−softplus(fake_logits).mean()")


@check("nonsaturating_g_loss")
def check_nonsaturating_g_loss(nonsaturating_g_loss: Callable[[Tensor], Tensor]) -> str:
    """Check ``nonsaturating_g_loss(fake_logits (N,))`` → scalar −E log D(G(z)).

    The generator minimises it; it equals ``softplus(-fake_logits).mean()``.
    """
    known = [
        (_saturating, "you wrote the saturating loss E log(1 − D(G(z))); the two losses are "
         "swapped", "the non-saturating loss is −E log D(G(z)): the fakes get the label 'real'"),
        (lambda t: -F.softplus(-t).mean(), "your loss has the wrong sign: it is E log D(G(z)), "
         "which the generator would have to maximise", "return −E log D(G(z))"),
        (lambda t: F.softplus(t).mean(), "you wrote −E log(1 − D(G(z))): the fakes got the "
         "label 'fake' (0) instead of 'real' (1)",
         "the generator wants D to call its samples real: −log σ(t) = softplus(−t)"),
        (lambda t: F.softplus(-t).sum(), "you summed over the batch instead of averaging",
         "use .mean()"),
        (lambda t: F.softplus(-torch.sigmoid(t)).mean(), "you applied the sigmoid twice: a "
         "probability went into a loss that expects logits",
         "pass the logits themselves to softplus (or BCE-with-logits)"),
        (lambda t: F.softplus(-t.mean()), _JENSEN, "apply softplus(−t) to every logit, then "
         "take .mean()"),
    ]
    return _check_g_loss(nonsaturating_g_loss, _nonsaturating, known,
                         "the non-saturating loss is −mean(log σ(fake_logits)) = "
                         "softplus(−fake_logits).mean()")
