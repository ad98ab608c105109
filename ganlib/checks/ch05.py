"""Checks for the exercises of chapter 5, the Wasserstein GAN and WGAN-GP.

Each check calls the learner's function (or builds the learner's critic) on inputs drawn
from its own seeded generators — the global random state is saved and restored — and prints
one line: ``✅ <name>: correct — …`` or ``❌ <name>: <what is wrong> — hint: <hint>``.

=================================  =====================================================
check                              what the learner wrote
=================================  =====================================================
:func:`check_critic_loss`          ``critic_loss(real_scores, fake_scores)``: E f(G(z)) − E f(x)
:func:`check_generator_loss`       ``generator_loss(fake_scores)``: −E f(G(z))
:func:`check_clip_weights`         ``clip_weights(critic, c)``: WGAN's weight clipping, in place
:func:`check_gradient_penalty`     ``gradient_penalty(critic, real, fake)``: E (‖∇f(x̂)‖₂ − 1)²
:func:`check_critic`               ``build_critic(width)``: a 28-px WGAN-GP critic
:func:`check_spectral_norm`        ``spectral_norm(weight, iters)``: σ_max by power iteration
=================================  =====================================================

Each catches mistakes seen in widely used WGAN code: a sign error in the critic's loss, a
sigmoid, a cross-entropy or a hinge left over from the GAN losses, clipping the gradients
instead of the weights (or a hard-coded c), α drawn from a normal distribution (or once per
batch, or per pixel, or shaped for images only), interpolates off the segment between a real
sample and its fake (the fake term forgotten), the gradient norm taken over the wrong
dimension of an image gradient, the gradient of the batch *mean* (each sample's gradient
divided by N), a missing ``create_graph=True`` (the penalty then has no gradient with respect
to the critic's weights), ``backward()`` inside the penalty, and batch norm, dropout,
``.squeeze()`` or a final ReLU in the critic. The penalty's interpolates are probed with real
and fake samples that differ in every entry and are not 0, for images and for 2-D points, so
that a mistake in any term of x̂ shows. The spectral norm is compared with the exact largest
singular value, and the Frobenius norm, σ², the largest entry or row sum, a wrongly flattened
convolution and unnormalised power iteration are named.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import check, during, fail
from .support import (
    apart,
    close,
    loss_tensor,
    name_mistake,
    python_number,
    rng,
    seeded,
)

__all__ = [
    "check_critic_loss",
    "check_generator_loss",
    "check_clip_weights",
    "check_gradient_penalty",
    "check_critic",
    "check_spectral_norm",
]

_SEED = 505


def _same(got: float, value: float) -> bool:
    return close(got, value, 1e-4)


# ------------------------------------------------------------------------ task 1: losses
def _critic_loss(real: Tensor, fake: Tensor) -> Tensor:
    return fake.mean() - real.mean()


@check("critic_loss")
def check_critic_loss(critic_loss: Callable[[Tensor, Tensor], Tensor]) -> str:
    """Check ``critic_loss(real_scores (N,), fake_scores (M,))`` → E f(G(z)) − E f(x).

    The critic *minimises* this loss, i.e. maximises the Wasserstein estimate
    E f(x) − E f(G(z)). Scores are the critic's raw outputs; N and M may differ.
    """
    g = rng(_SEED)
    real = (2.0 * torch.randn(7, generator=g) + 1.5).double().requires_grad_(True)
    fake = (2.0 * torch.randn(5, generator=g) - 0.5).double().requires_grad_(True)
    r, f = real.detach().clone(), fake.detach().clone()
    try:
        returned = critic_loss(real, fake)
    except RuntimeError as err:
        if "must match the size" in str(err):
            fail("your loss subtracts the two score tensors element by element: with 7 real "
                 "and 5 fake scores that fails, and with as many of each it would pair "
                 "samples that have nothing to do with each other",
                 "two separate means: fake_scores.mean() − real_scores.mean()")
        raise
    out = loss_tensor(returned, "critic loss")
    got = float(out.detach())
    expected = float(_critic_loss(r, f))
    if not close(got, expected, 1e-4):
        name_mistake(got, [
            (-expected, "your critic loss has the wrong sign: it is E f(x) − E f(G(z)); "
             "minimising it makes the critic score the fakes *higher* than the real samples",
             "the critic minimises E f(G(z)) − E f(x) (fake mean minus real mean)"),
            (float(F.softplus(-r).mean() + F.softplus(f).mean()),
             "you wrote the GAN discriminator's cross-entropy; the critic's scores are not "
             "logits of a probability",
             "no sigmoid, no log: fake_scores.mean() − real_scores.mean()"),
            (float(torch.sigmoid(f).mean() - torch.sigmoid(r).mean()),
             "you squashed the scores with a sigmoid; the critic's output is an unbounded score",
             "use the raw scores: fake_scores.mean() − real_scores.mean()"),
            (float(f.sum() - r.sum()), "you summed over the samples instead of averaging",
             "both terms are expectations: use .mean()"),
            (float(torch.cat([f, -r]).mean()), "you averaged all N + M terms together; with "
             "N ≠ M that weights the two expectations wrongly",
             "two separate means: fake_scores.mean() − real_scores.mean()"),
            (abs(expected), "your loss is |E f(G(z)) − E f(x)|; the absolute value hides which "
             "side is ahead and stops the critic at 0", "drop the abs()"),
            (float(F.relu(1 - r).mean() + F.relu(1 + f).mean()), "you wrote the hinge loss "
             "(SNGAN's discriminator loss), not the Wasserstein critic's",
             "no relu, no margin: fake_scores.mean() − real_scores.mean()"),
        ], _same)
        shown, wanted = apart(got, expected)
        fail(f"your critic loss is {shown} for 7 real and 5 fake scores, expected {wanted}",
             "fake_scores.mean() − real_scores.mean()")
    if not out.requires_grad:
        fail("your critic loss has no gradient with respect to the scores",
             "stay in torch: no .item(), .detach() or NumPy inside the loss")
    g_real, g_fake = torch.autograd.grad(out, (real, fake), allow_unused=True)
    if g_real is None or g_fake is None or not (
        torch.allclose(g_real, torch.full_like(r, -1 / 7))
        and torch.allclose(g_fake, torch.full_like(f, 1 / 5))
    ):
        fail("your critic loss has the right value but not the right gradient",
             "build it from both score tensors with differentiable torch operations")
    return "E f(G(z)) − E f(x): value and gradient match for batches of different sizes"


@check("generator_loss")
def check_generator_loss(generator_loss: Callable[[Tensor], Tensor]) -> str:
    """Check ``generator_loss(fake_scores (N,))`` → −E f(G(z)), to minimise."""
    g = rng(_SEED + 1)
    fake = (2.0 * torch.randn(6, generator=g) + 0.7).double().requires_grad_(True)
    f = fake.detach().clone()
    out = loss_tensor(generator_loss(fake), "generator loss")
    got = float(out.detach())
    expected = float(-f.mean())
    if not close(got, expected, 1e-4):
        name_mistake(got, [
            (-expected, "your generator loss has the wrong sign: minimising E f(G(z)) makes "
             "the critic score the fakes *lower*", "the generator minimises −E f(G(z))"),
            (float(F.softplus(-f).mean()), "you wrote the non-saturating GAN loss "
             "−E log σ(f(G(z))); the critic's scores are not logits of a probability",
             "no sigmoid, no log: −fake_scores.mean()"),
            (float(-torch.sigmoid(f).mean()), "you squashed the scores with a sigmoid",
             "use the raw scores: −fake_scores.mean()"),
            (float(-f.sum()), "you summed over the samples instead of averaging", "use .mean()"),
        ], _same)
        shown, wanted = apart(got, expected)
        fail(f"your generator loss is {shown} for 6 scores, expected {wanted}",
             "−fake_scores.mean()")
    if not out.requires_grad:
        fail("your generator loss has no gradient with respect to the scores",
             "stay in torch: no .item(), .detach() or NumPy inside the loss")
    (grad,) = torch.autograd.grad(out, fake)
    if not torch.allclose(grad, torch.full_like(f, -1 / 6)):
        fail("your generator loss has the right value but not the right gradient",
             "−fake_scores.mean()")
    return "−E f(G(z)): value and gradient match"


# ---------------------------------------------------------------- task 2: weight clipping
def _clip_critic() -> nn.Module:
    with seeded(_SEED + 2):
        critic = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16),
                               nn.LeakyReLU(0.2), nn.Linear(16, 1))
    g = rng(_SEED + 2)
    with torch.no_grad():
        for p in critic.parameters():
            p.copy_(0.1 * torch.randn(p.shape, generator=g))  # many beyond ±0.05, many inside
            p.grad = 0.3 * torch.randn(p.shape, generator=g)  # gradients a step left behind
    return critic


@check("clip_weights")
def check_clip_weights(clip_weights: Callable[[nn.Module, float], object]) -> str:
    """Check ``clip_weights(critic, c)``: clamp every parameter of ``critic`` to [−c, c], in place.

    WGAN (Arjovsky et al. 2017) clips all the critic's parameters (weights and biases) after
    each of its updates; the gradients are left alone.
    """
    for c in (0.05, 0.03):  # two values, so that a hard-coded c cannot pass
        _clip_round(clip_weights, c)
    return "every parameter clamped to [−c, c] in place (c = 0.05 and 0.03), gradients untouched"


def _clip_round(clip_weights: Callable[[nn.Module, float], object], c: float) -> None:
    critic = _clip_critic()
    params = list(critic.parameters())
    before = [p.detach().clone() for p in params]
    grads = [p.grad.clone() for p in params]
    names = [n for n, _ in critic.named_parameters()]
    try:
        returned = clip_weights(critic, c)
    except RuntimeError as err:
        if "leaf Variable that requires grad" in str(err):
            fail("p.clamp_(…) on a parameter outside torch.no_grad(): autograd refuses an "
                 "in-place change of a leaf that requires a gradient",
                 "with torch.no_grad(): for p in critic.parameters(): p.clamp_(-c, c)")
        raise
    now = list(critic.parameters())
    if len(now) != len(params) or any(p is not q for p, q in zip(now, params, strict=True)):
        fail("your function replaced the critic's parameters with new tensors; an optimizer "
             "built earlier still holds the old ones and would go on updating those",
             "change the values in place: with torch.no_grad(): p.clamp_(-c, c)")
    after = [p.detach() for p in params]
    grads_after = [p.grad for p in params]
    changed_grads = any(ga is None or not torch.equal(ga, g0)
                        for ga, g0 in zip(grads_after, grads, strict=True))
    moved = any(not torch.equal(a, b) for a, b in zip(after, before, strict=True))
    if not moved:
        if changed_grads:
            fail("you clipped the gradients, not the weights: the weights still reach "
                 f"{max(float(b.abs().max()) for b in before):.2f} > c = {c}",
                 "WGAN clamps the parameters themselves after optimizer.step(): "
                 "p.clamp_(-c, c) — not clip_grad_value_ or p.grad.clamp_")
        if isinstance(returned, nn.Module) and returned is not critic:
            fail("your function returned a clipped copy and left the critic itself unclipped",
                 "clip in place, so that the critic the optimizer trains is the one clipped")
        fail("the critic's parameters did not change: nothing was clipped",
             "p = p.clamp(-c, c) only rebinds the name p; use the in-place p.clamp_(-c, c) "
             "(inside torch.no_grad())")
    if changed_grads:
        fail("your function changed the gradients too; clipping concerns the weights only",
             "leave p.grad alone: clamp p itself")
    for name, a, b in zip(names, after, before, strict=True):
        want = b.clamp(-c, c)
        if torch.equal(a, want):
            continue
        if torch.equal(a, b):
            kinds = "biases" if name.endswith("bias") else "weights"
            fail(f"{name} was not clipped (values up to {float(b.abs().max()):.2f} > c = {c})",
                 f"WGAN clips every parameter, the {kinds} too: loop over "
                 "critic.parameters()")
        if torch.equal(a, torch.full_like(a, -c)):
            fail(f"every value of {name} became −c: clamp(c, −c) has its bounds swapped "
                 "(with min > max, every value is set to max)",
                 "p.clamp_(-c, c): the lower bound first")
        limit = float(a.abs().max())
        if not math.isclose(limit, c, rel_tol=1e-6) and torch.equal(a, b.clamp(-limit, limit)):
            fail(f"{name} is clamped to ±{limit:g}, not to the c = {c} passed in: the bound is "
                 "hard-coded", "p.clamp_(-c, c) with the argument c")
        if torch.equal(a, b.clamp(max=c)):
            fail(f"{name}: values above c were clamped but values below −c are left "
                 f"(down to {float(a.min()):.3f})", "clamp both sides: p.clamp_(-c, c)")
        if float(a.abs().max()) <= c + 1e-7 and not torch.allclose(a, want):
            fail(f"{name} lies within [−c, c] but its values inside the range changed too: "
                 "you rescaled it instead of clamping it",
                 "clamp: values inside [−c, c] stay as they are, values beyond become ±c")
        fail(f"{name} is not clamped to [−{c}, {c}]: largest |value| "
             f"{float(a.abs().max()):.3f}", "p.clamp_(-c, c)")


# -------------------------------------------------------------- task 3: gradient penalty
class _Recorder(nn.Module):
    """Wraps a critic and keeps every input it is called on that requires a gradient."""

    def __init__(self, critic: nn.Module) -> None:
        super().__init__()
        self.critic = critic
        self.inputs: list[Tensor] = []

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(x, Tensor) and x.requires_grad:
            self.inputs.append(x)
        return self.critic(x)


class _Quadratic(nn.Module):
    """f(x) = ½‖x‖², a smooth critic for any sample shape (∇f(x̂) = x̂): the α probes only
    record the interpolates it is called on."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x: Tensor) -> Tensor:
        return 0.5 * self.scale * x.reshape(x.shape[0], -1).square().sum(1)


class _ImageCritic(nn.Module):
    """A small smooth critic on (N, 3, 4, 4) images whose gradient norms spread around 1."""

    def __init__(self) -> None:
        super().__init__()
        with seeded(_SEED + 3):
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.out = nn.Linear(4 * 4 * 4, 1)
        with torch.no_grad():
            self.conv.weight.mul_(1.5)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(torch.tanh(self.conv(x)).flatten(1)).squeeze(1)


def _find_interpolates(rec: _Recorder, n: int) -> Tensor:
    shaped = [x for x in rec.inputs if x.shape[0] == n]
    if not shaped:
        fail("the critic was never called on a batch that requires a gradient, so the "
             "gradient at the interpolates cannot be taken",
             "x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True), then "
             "critic(x_hat)")
    return shaped[-1].detach()


def _penalty_terms(critic: nn.Module, x_hat: Tensor, create_graph: bool = True
                   ) -> tuple[Tensor, Tensor, Tensor]:
    """(per-sample flattened gradient norms, the gradient, the outputs) at ``x_hat``."""
    x = x_hat.detach().clone().requires_grad_(True)
    out = critic(x)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    return grad.reshape(len(x), -1).norm(2, dim=1), grad, out


def _segment_alphas(x_hat: Tensor, real: Tensor, fake: Tensor, what: str) -> Tensor:
    """The α of each interpolate, after checking that x̂ = α x + (1 − α) x̃ with one α per
    sample; ``real`` and ``fake`` differ in every entry (|x − x̃| ≥ 0.5), neither is 0.

    Names the ways x̂ leaves the segment: the wrong shape, the fake term forgotten (x̂ = α x),
    one α per entry, or another mix of the two.
    """
    if tuple(x_hat.shape) != tuple(real.shape):
        fail(f"for {what} of shape {tuple(real.shape)} your x̂ has shape {tuple(x_hat.shape)}: "
             "α does not broadcast over one sample (an α of shape (N, 1, 1, 1) suits images, "
             "not points)", "α of shape (N,) + (1,) * (real.ndim − 1): one α per sample, "
             "whatever the sample's shape")
    n = len(real)
    x, r, f = (t.reshape(n, -1).double() for t in (x_hat, real, fake))
    ratio = (x - f) / (r - f)  # α of every entry: the same for all entries of a sample
    if float((ratio.max(1).values - ratio.min(1).values).max()) <= 1e-4:
        return ratio.mean(1)
    scale = x / r
    if float((scale.max(1).values - scale.min(1).values).max()) <= 1e-4:
        fail(f"your x̂ is α·x, a shrunk real sample: the fake term (1 − α)·x̃ is missing "
             f"(probed with {what})", "x_hat = alpha * real + (1 - alpha) * fake")
    if float(ratio.min()) >= -1e-4 and float(ratio.max()) <= 1 + 1e-4:
        fail("α differs between the entries of one sample: you drew one α per number, e.g. "
             "torch.rand_like(real)", "one α per sample, broadcast over the rest: "
             "torch.rand(N, 1, 1, 1) for images (shape (N,) + (1,) * (real.ndim - 1))")
    fail(f"your x̂ does not lie on the segment between each real sample and its fake (probed "
         f"with {what}): x̂ must be α·x + (1 − α)·x̃ for one α in [0, 1]",
         "x_hat = alpha * real + (1 - alpha) * fake, or fake + alpha * (real - fake)")
    raise AssertionError  # unreachable: fail() raises


def _check_alpha(gradient_penalty: Callable[..., Tensor], shape: tuple[int, ...], what: str
                 ) -> None:
    """α: one per sample, uniform on [0, 1], fresh for every sample — and x̂ on the segment
    between distinct, non-zero real and fake samples, so that every term of x̂ matters."""
    n = 4096
    g = rng(_SEED + 4)
    real = torch.randn(n, *shape, generator=g) + 0.5
    sign = torch.randint(0, 2, (n, *shape), generator=g) * 2.0 - 1.0
    fake = real + sign * (0.5 + torch.rand(n, *shape, generator=g))
    rec = _Recorder(_Quadratic())
    with seeded(_SEED + 4), during(f"with {what} of shape {(n, *shape)}"):
        try:
            gradient_penalty(rec, real.clone(), fake.clone())
        except RuntimeError as err:
            if "does not require grad" in str(err):
                fail("x̂ does not require a gradient, so autograd cannot differentiate the "
                     "critic's output with respect to it",
                     "x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True), "
                     "before critic(x_hat)")
            if "must match the size" in str(err):
                fail(f"with {what} of shape {(n, *shape)} your code raised RuntimeError: "
                     f"{str(err).splitlines()[0]} — α does not broadcast over a sample",
                     "α of shape (N, 1, 1, 1) for images, (N, 1) for points: "
                     "torch.rand(N, *[1] * (real.ndim - 1))")
            raise
    x_hat = _find_interpolates(rec, n)
    alpha = _segment_alphas(x_hat, real, fake, what)
    if float(alpha.std()) < 1e-6:
        if abs(float(alpha[0]) - 1) < 1e-6:
            fail("every x̂ is its real sample: the gradient is taken at the real samples, "
                 "not at random interpolates", "x_hat = alpha * real + (1 - alpha) * fake")
        if abs(float(alpha[0])) < 1e-6:
            fail("every x̂ is its fake sample: the gradient is taken at the fakes, not at "
                 "random interpolates", "x_hat = alpha * real + (1 - alpha) * fake")
        fail(f"every sample got the same α = {float(alpha[0]):.3f}: one α for the whole batch",
             "draw one α per sample: torch.rand(N, 1, ...), not torch.rand(1)")
    if float(alpha.min()) < -1e-6 or float(alpha.max()) > 1 + 1e-6:
        fail(f"α takes values from {float(alpha.min()):.2f} to {float(alpha.max()):.2f}: "
             "x̂ is then not between the real and the fake sample (α drawn from a normal "
             "distribution?)", "α ~ Uniform[0, 1]: torch.rand, not torch.randn")
    mean, std = float(alpha.mean()), float(alpha.std())
    if abs(mean - 0.5) > 0.03 or abs(std - math.sqrt(1 / 12)) > 0.02:
        fail(f"α has mean {mean:.2f} and standard deviation {std:.2f}; Uniform[0, 1] has "
             "0.50 and 0.29", "α ~ Uniform[0, 1]: torch.rand")


@check("gradient_penalty")
def check_gradient_penalty(gradient_penalty: Callable[[nn.Module, Tensor, Tensor], Tensor]) -> str:
    """Check ``gradient_penalty(critic, real, fake)`` → E (‖∇f(x̂)‖₂ − 1)² (without λ).

    ``real`` and ``fake`` have the same shape ``(N, ...)`` (images ``(N, C, H, W)`` here);
    x̂ = α x + (1 − α) x̃ with one α ~ U[0, 1] per sample; the norm is taken over each
    sample's flattened gradient; the result must be differentiable with respect to the
    critic's weights (``create_graph=True``).
    """
    _check_alpha(gradient_penalty, (3, 2, 2), "images")
    _check_alpha(gradient_penalty, (2,), "2-D points")
    # The value, on images, with a critic whose per-sample gradient norms spread around 1.
    n = 8
    g = rng(_SEED + 5)
    real = torch.randn(n, 3, 4, 4, generator=g)
    sign = torch.randint(0, 2, (n, 3, 4, 4), generator=g) * 2.0 - 1.0
    fake = real + sign * (0.5 + torch.rand(n, 3, 4, 4, generator=g))  # |x − x̃| ≥ 0.5
    critic = _ImageCritic()
    rec = _Recorder(critic)
    with seeded(_SEED + 6), during("with images of shape (8, 3, 4, 4)"):
        out = loss_tensor(gradient_penalty(rec, real.clone(), fake.clone()), "penalty")
    x_hat = _find_interpolates(rec, n)
    _segment_alphas(x_hat, real, fake, "images")
    stray = [nm for nm, p in critic.named_parameters()
             if p.grad is not None and bool(p.grad.abs().sum() > 0)]
    norms, grad, _ = _penalty_terms(critic, x_hat)
    expected = float(((norms.detach() - 1) ** 2).mean())
    got = float(out.detach())
    if not close(got, expected, 1e-4):
        d1 = grad.detach().norm(2, dim=1)  # (N, H, W): the norm over the channels only
        nd = norms.detach()
        name_mistake(got, [
            (float(((d1 - 1) ** 2).mean()),
             "you took the norm over dim=1 only (the channels) of the image gradient, so each "
             "pixel got its own norm", "flatten each sample's gradient first: "
             "grad.reshape(N, -1).norm(2, dim=1)"),
            (float((grad.detach().norm() - 1) ** 2), "you took one norm over the whole batch's "
             "gradient instead of one per sample", "grad.reshape(N, -1).norm(2, dim=1)"),
            (float(((nd / n - 1) ** 2).mean()), "your gradient norms are N times too small: "
             "you differentiated the *mean* of the critic's outputs, which divides each "
             "sample's gradient by N", "differentiate critic(x_hat).sum(), or pass "
             "grad_outputs=torch.ones_like(out)"),
            (float(((nd**2 - 1) ** 2).mean()), "you used the squared norm ‖∇f‖² in place of "
             "the norm", "the penalty is (‖∇f(x̂)‖₂ − 1)² with the plain L2 norm"),
            (float((nd - 1).abs().mean()), "you took |‖∇f‖ − 1| without squaring",
             "square it: (norm − 1) ** 2"),
            (float((nd**2).mean()), "you penalised ‖∇f‖² itself; WGAN-GP pushes the norm "
             "towards 1, not 0", "(norm − 1) ** 2"),
            (float((F.relu(nd - 1) ** 2).mean()), "you penalised only norms above 1 (the "
             "one-sided variant); the paper's penalty is two-sided",
             "(norm − 1) ** 2 for every sample"),
            (float(((nd - 1) ** 2).sum()), "you summed the penalty over the batch instead of "
             "averaging", "take .mean() over the samples"),
            (10 * expected, "your penalty is 10× too large: λ is applied by the caller, "
             "outside this function", "return E (‖∇f(x̂)‖ − 1)² without λ"),
        ], _same)
        shown, wanted = apart(got, expected)
        fail(f"your penalty is {shown}, expected {wanted} at the same interpolates",
             "mean over samples of (‖gradient of critic at x̂‖₂ − 1)², one norm per sample")
    if not out.requires_grad:
        fail("your penalty has no gradient with respect to the critic's weights, so it cannot "
             "train the critic", "torch.autograd.grad(..., create_graph=True) builds the "
             "graph of the gradient itself")
    if stray:
        fail(f"your function left gradients in the critic's parameters ({stray[0]}, …): "
             "backward() inside the penalty adds to .grad of every weight",
             "use torch.autograd.grad(out.sum(), x_hat, create_graph=True), which touches "
             "no .grad")
    params = list(critic.parameters())
    got_grads = torch.autograd.grad(out, params, allow_unused=True)
    want_grads = torch.autograd.grad(((norms - 1) ** 2).mean(), params, allow_unused=True)
    for (name, p), a, b in zip(critic.named_parameters(), got_grads, want_grads, strict=True):
        a = torch.zeros_like(p) if a is None else a
        b = torch.zeros_like(p) if b is None else b
        if not torch.allclose(a, b, atol=1e-5, rtol=1e-3):
            fail(f"your penalty has the right value but the wrong gradient with respect to "
                 f"{name}", "keep everything between x̂ and the penalty in torch, with "
                 "create_graph=True")
    return ("x̂ = α x + (1 − α) x̃ with α ~ U[0, 1] per sample (points and images), one norm "
            "per flattened sample gradient, differentiable with respect to the critic's weights")


# ----------------------------------------------------------------------- task 4: critic
_NORM_TYPES = (nn.modules.batchnorm._BatchNorm, nn.SyncBatchNorm)


@check("build_critic")
def check_critic(build_critic: Callable[..., nn.Module], width: int = 16) -> str:
    """Check ``build_critic(width)``: digits ``(N, 1, 28, 28)`` → scores ``(N,)``, WGAN-GP style.

    No batch norm (it couples the samples of a batch, and the penalty is per sample), no
    sigmoid (the critic gives a score, not a probability), each sample's score depending on
    that sample only.
    """
    with seeded(_SEED + 7):
        critic = build_critic(width)
    if not isinstance(critic, nn.Module):
        fail(f"build_critic returned a {type(critic).__name__}, expected an nn.Module",
             "return an nn.Sequential(...) of the layers")
    bns = [type(m).__name__ for m in critic.modules() if isinstance(m, _NORM_TYPES)]
    if bns:
        fail(f"your critic has {bns[0]}: batch norm makes each sample's score depend on the "
             "rest of the batch, and the per-sample gradient penalty then constrains the "
             "wrong function", "use layer norm, nn.GroupNorm(1, C), or no normalisation")
    squash = [type(m).__name__ for m in critic.modules() if isinstance(m, nn.Sigmoid | nn.Tanh)]
    if squash:
        fail(f"your critic contains {squash[0]}: a critic's output is an unbounded score, "
             "not a probability", "end with the last convolution (or linear layer), "
             "no activation after it")
    critic.train()
    x = torch.randn(6, 1, 28, 28, generator=rng(_SEED + 7)).clamp(-1, 1)
    with during("on digits of shape (6, 1, 28, 28)"):
        out = critic(x)
    if not isinstance(out, Tensor) or tuple(out.shape) != (6,):
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        fail(f"a batch of 6 digits (6, 1, 28, 28) gave output {shape}, expected (6,)",
             "end with .flatten() (or .view(-1)) so the critic returns one score per image")
    with torch.no_grad():
        again = critic(x)
    if not torch.allclose(again, out.detach(), atol=1e-6, rtol=1e-5):
        fail("your critic gives the same digits different scores from one call to the next: "
             "it is random in training mode (dropout?)",
             "no dropout in a WGAN-GP critic: the loss and the penalty must see one function")
    with torch.no_grad(), during("on a batch of one digit (1, 1, 28, 28)"):
        alone = [critic(x[i:i + 1]) for i in range(2)]
    if tuple(alone[0].shape) != (1,):
        fail(f"a batch of one digit gave output of shape {tuple(alone[0].shape)}, expected "
             "(1,): .squeeze() removes the batch dimension too when N = 1",
             "nn.Flatten(0), .flatten() or .view(-1) keep one score per image")
    if not torch.allclose(torch.cat(alone), out[:2].detach(), atol=1e-4, rtol=1e-4):
        fail("a digit's score changes with the other digits in its batch; the gradient "
             "penalty assumes each score depends on its own sample only",
             "no normalisation over the batch dimension: layer norm normalises each sample "
             "over (C, H, W)")
    x_hat = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
    if not penalty.requires_grad:
        fail("the gradient penalty cannot be differentiated through your critic",
             "use differentiable layers only (convolutions, LeakyReLU, GroupNorm)")
    last = [m for m in critic.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    if last:
        # The last layer's weight times ±1000: without an activation after it, one of the
        # two signs gives a negative score (all 6 scores of one sign is a matter of inputs).
        never_negative = True
        for factor in (1000.0, -1000.0):
            scaled = copy.deepcopy(critic)
            with torch.no_grad():
                [m for m in scaled.modules() if isinstance(m, nn.Conv2d | nn.Linear)][-1] \
                    .weight.mul_(factor)
                never_negative = never_negative and bool((scaled(x) >= 0).all())
        if never_negative:
            fail("your critic's scores never go below 0, even for huge pre-activations: an "
                 "activation (a ReLU?) follows the last layer",
                 "a critic's score is unbounded both ways: end with the last convolution")
    n_params = sum(p.numel() for p in critic.parameters())
    with seeded(_SEED + 7):
        other = build_critic(width // 2)
    if isinstance(other, nn.Module) and sum(q.numel() for q in other.parameters()) == n_params:
        fail(f"build_critic({width // 2}) and build_critic({width}) have the same "
             f"{n_params:,} parameters: the width argument is ignored",
             "use width for the channel counts: Conv2d(1, width, …), Conv2d(width, 2 * width, …)")
    return (f"(N, 1, 28, 28) → (N,), also for N = 1, no batch norm, no sigmoid, "
            f"{n_params:,} parameters")


# ------------------------------------------------------------ task 5: spectral norm
def _with_singular_values(values: tuple[float, ...], rows: int, cols: int, seed: int
                          ) -> Tensor:
    """A (rows, cols) matrix whose singular values are ``values`` (the rest 0)."""
    gen = rng(seed)
    u, _ = torch.linalg.qr(torch.randn(rows, rows, generator=gen, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(cols, cols, generator=gen, dtype=torch.float64))
    s = torch.zeros(rows, cols, dtype=torch.float64)
    for i, value in enumerate(values):
        s[i, i] = value
    return (u @ s @ v.T).float()


def _sigma(matrix: Tensor) -> float:
    return float(torch.linalg.matrix_norm(matrix.double(), ord=2))


def _spectral_cases() -> list[tuple[str, Tensor, int]]:
    """(description, weight, iters): shapes of real layers, a slow and a huge case.

    Random weights get 500 iterations: enough for any draw whose two largest singular
    values are not within 1 % of each other (the slow case is made on purpose)."""
    gen = rng(_SEED + 11)
    return [
        ("a linear layer's weight (5, 3)", torch.randn(5, 3, generator=gen), 500),
        ("a wide weight (3, 7)", torch.randn(3, 7, generator=gen), 500),
        ("singular values (3, 1, 0.5)", _with_singular_values((3.0, 1.0, 0.5), 4, 6, 3), 50),
        ("a convolution's weight (8, 3, 3, 3)", torch.randn(8, 3, 3, 3, generator=gen), 500),
        # σ₂/σ₁ = 0.99: 100 rounds leave an error of about 2·10⁻⁴ × tan²θ₀ (θ₀: the start
        # vector's angle to the top singular vector, tan²θ₀ ≈ 63), 1,000 rounds none.
        ("a (64, 64) weight with singular values 1 and 63 times 0.99, 1,000 iterations",
         _with_singular_values((1.0,) + (0.99,) * 63, 64, 64, 4), 1000),
        ("weights of size 10³ (largest singular value 3,000)",
         _with_singular_values((3000.0, 1000.0), 5, 5, 5), 50),
    ]


def _spectral_mistakes(weight: Tensor) -> list[tuple[float, str, str]]:
    """What the usual wrong answers give for ``weight``, most telling first."""
    matrix = weight.reshape(weight.shape[0], -1).double()
    flatten = "weight.reshape(weight.shape[0], -1): one row per output channel"
    mistakes = [(_sigma(weight.reshape(-1, weight.shape[0])), "the weight was flattened to the "
                 "shape (in·k·k, out) by a reshape, which reorders its entries: a reshape is "
                 "not a transpose", flatten)]
    if weight.ndim == 4:
        mistakes.append((float(torch.linalg.matrix_norm(weight.double(), ord=2).max()),
                         "that is the largest σ of the k × k kernels weight[o, i]: matrix_norm "
                         "and svdvals on a 4-D weight treat each kernel as a matrix",
                         f"flatten first: {flatten}"))
        mistakes += [(_sigma(weight[:, :, i, j]), f"only one tap (weight[:, :, {i}, {j}]) of the "
                      "convolution's kernel was used", f"flatten all of it: {flatten}")
                     for i in range(weight.shape[2]) for j in range(weight.shape[3])]
    power = "power iteration: u = W v / ‖W v‖, v = Wᵀ u / ‖Wᵀ u‖, then σ = uᵀ W v"
    return mistakes + [
        (float(matrix.norm()), "that is the Frobenius norm, √(Σ w²), which is at least the "
         "largest singular value and larger for every matrix of rank above 1",
         f"torch.norm(W, 2) and torch.linalg.norm(W) without ord treat W as one long vector; "
         f"{power}"),
        (_sigma(matrix) ** 2, "that is σ², the largest eigenvalue of WᵀW: ‖WᵀW v‖ for a unit v",
         "σ = ‖W v‖ for the converged unit vector v, or uᵀ W v"),
        (float(matrix.abs().max()), "that is the largest |entry| of the weight",
         "the spectral norm is the largest stretch ‖W v‖ over unit vectors v"),
        (float(matrix.abs().sum(dim=1).max()), "that is the largest row sum of |W| (the "
         "∞-norm), an upper bound on σ, not σ", power),
        (float(matrix.abs().sum(dim=0).max()), "that is the largest column sum of |W| (the "
         "1-norm), an upper bound on σ, not σ", power),
        (1.0, "that is the norm of a normalised vector, 1 for every weight",
         "return uᵀ W v (or ‖W v‖), not ‖u‖ or ‖v‖"),
    ]


@check("spectral_norm")
def check_spectral_norm(spectral_norm: Callable[..., float]) -> str:
    """Check ``spectral_norm(weight, iters)``: the largest singular value of a layer's weight.

    Spectral normalisation (Miyato et al. 2018) divides each layer's weight by it; a
    convolution's weight ``(out, in, k, k)`` is taken as the matrix ``(out, in·k·k)``, as
    there. Probed on tall, wide and convolution weights, a matrix whose 63 next singular
    values are 0.98 of the largest (power iteration needs its rounds there: a fixed 100
    fails) and one with entries of 10³ (unnormalised vectors overflow).
    """
    hint = "return float(sigma)"
    for what, weight, iters in _spectral_cases():
        before = weight.clone()
        with seeded(_SEED + 13), during(f"on {what}"):
            got = spectral_norm(weight, iters)
        if not torch.equal(weight, before):
            fail(f"your function changed the weight it was given ({what})",
                 "compute with the weight, do not modify it (no in-place division)")
        got = python_number(got, f"the result for {what}", float, hint)
        want = _sigma(weight.reshape(weight.shape[0], -1))
        if close(got, want, 1e-3):
            continue
        if not math.isfinite(got):
            fail(f"{what}: your result is {got}: the vectors grow by about σ at every step "
                 "and overflow", "normalise u and v at every iteration: u = W v / ‖W v‖")
        name_mistake(got, _spectral_mistakes(weight), lambda a, b: close(a, b, 1e-3),
                     expected=want)
        g, w = apart(got, want)
        if 0 < got < want:
            fail(f"{what}: got {g}, expected {w}: below σ, as power iteration gives before "
                 "it has converged (does your loop run `iters` times?) or on another matrix "
                 "(is Wᵀ written W.T, not a reshape?)",
                 "for _ in range(iters): u = W v / ‖W v‖; v = W.T u / ‖W.T u‖")
        if got < 0:
            fail(f"{what}: got {g}, a negative number, expected the largest singular value "
                 f"{w}: with v = Wᵀ u / ‖Wᵀ u‖, uᵀ W v = ‖Wᵀ u‖ cannot be negative (is Wᵀ "
                 "written W.T, not a reshape?)",
                 "u = W v / ‖W v‖, v = W.T u / ‖W.T u‖, repeated iters times; σ = uᵀ W v")
        fail(f"{what}: got {g}, expected the largest singular value {w}",
             "u = W v / ‖W v‖, v = Wᵀ u / ‖Wᵀ u‖, repeated iters times; σ = uᵀ W v")
    return ("the largest singular value of linear and convolution weights, also when the "
            "largest ones are close and for entries of 10³")
