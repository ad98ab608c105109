"""Checks for chapter 2's exercises: the optimizers, the discriminator step, the generator
step and a whole training step.

Every check runs the learner's function on tiny networks (a 3-d noise → 2-d point MLP
generator and a 2-d point → logit MLP discriminator) with plain SGD optimizers, so each
parameter's change is exactly ``-lr × the gradient the learner used``. That gradient is then
compared with the gradient of the right loss and with the gradients of the classic mistakes
(swapped labels, a sigmoid applied twice, the saturating generator loss, gradients that were
never zeroed, …), so a wrong answer is named, not just refused.

Each step check runs on two ordinary tiny GANs, whose discriminator hesitates (logits near
0), and then on a *confident* one (logits from about −300 to +160, see :func:`confident_gan`),
where a loss built on probabilities — the log of a sigmoid, ``F.binary_cross_entropy`` on a
sigmoid, an ε or a clamp in the log — gives nan or a vanishing gradient although it matched
on the hesitant ones. The checks also watch the optimizers (how often ``step()`` ran, and
with which gradients) and every backward pass that reaches G's parameters, so that a step
built on a new optimizer, ``zero_grad()`` after ``backward()``, or a discriminator loss that
runs backward through G (hidden by ``retain_graph=True``) is named too.

Functions the learner writes (see ``exercises/02_training_loop.ipynb``):

- ``make_optimizers(G, D) -> (g_optimizer, d_optimizer)``: DCGAN's Adam settings;
- ``discriminator_step(D, d_optimizer, real, fake) -> float``: one update of D on a real
  batch ``(N, ...)`` and a generated batch ``(N, ...)`` that still carries G's graph;
- ``generator_step(D, g_optimizer, fake) -> float``: one update of G through D's verdict;
- ``train_step(G, D, g_optimizer, d_optimizer, real, z) -> (d_loss, g_loss)``: both, in order.

The returned losses must be Python floats (``loss.item()``), as the tasks say: a tensor, which
in a training loop's list of losses would keep every step's graph alive, is refused.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models import MLPDiscriminator, MLPGenerator
from . import check, fail
from .support import (
    apart,
    close,
    first_match,
    new_inputs,
    python_number,
    rng,
    seeded,
    vectors_close,
)

__all__ = [
    "check_optimizers",
    "check_discriminator_step",
    "check_generator_step",
    "check_train_step",
    "confident_gan",
    "tiny_gan",
]

LR = 0.1  # SGD learning rate of the checks: a parameter moves by -LR × its gradient
BATCH = 16
LATENT = 3
DIM = 2
SEEDS = (0, 1)  # each check runs on two independently drawn tiny GANs, then a confident one
CONFIDENT_TOP = 300.0  # the confident discriminator's largest |logit|

# ---------------------------------------------------------------------------- helpers


def tiny_gan(seed: int = 0) -> tuple[nn.Module, nn.Module, Tensor, Tensor]:
    """A tiny generator and discriminator, a real batch ``(16, 2)`` and noise ``(16, 3)``.

    Built from ``seed`` alone; the global random state is left untouched.
    """
    with seeded(seed):
        G = MLPGenerator(LATENT, (DIM,), hidden=(8,))
        D = MLPDiscriminator((DIM,), hidden=(8,))
    g = rng(1000 + seed)
    real = torch.randn(BATCH, DIM, generator=g) * 0.5 + torch.tensor([1.0, -0.5])
    z = torch.randn(BATCH, LATENT, generator=g)
    return G, D, real, z


def confident_gan(seed: int = 0) -> tuple[nn.Module, nn.Module, Tensor, Tensor]:
    """:func:`tiny_gan` with a confident discriminator: logits up to ±``CONFIDENT_TOP``.

    G's last layer is scaled ×20 so that the fakes spread out, and D's last layer is scaled
    and shifted so that D's logits on the real and fake batches are centred on 0 and reach
    ±300. With ``seed=0`` the fakes' logits run from −300 to +164: some fakes are rejected
    beyond −104 (where σ rounds to 0 in float32, so log σ is −∞) and some accepted beyond
    +17 (where σ rounds to 1, so log(1 − σ) is −∞), and D's gradient through a sigmoid
    (σ(1 − σ)) is 0 there. A right loss on logits is exact on it; a loss on probabilities is
    not. A hand-made edge case: it is built from ``seed`` alone also when a check draws new
    inputs (:func:`~ganlib.checks.support.new_inputs`), which change only the tiny GANs.
    """
    with new_inputs(None):
        G, D, real, z = tiny_gan(seed)
    with torch.no_grad():
        g_last = [m for m in G.modules() if isinstance(m, nn.Linear)][-1]
        g_last.weight.mul_(20.0)
        d_last = [m for m in D.modules() if isinstance(m, nn.Linear)][-1]
        logits = torch.cat([D(real), D(G(z))])
        middle = logits.median()
        scale = CONFIDENT_TOP / float((logits - middle).abs().max())
        d_last.weight.mul_(scale)
        d_last.bias.copy_((d_last.bias - middle) * scale)
    return G, D, real, z


def _params(module: nn.Module) -> list[nn.Parameter]:
    return list(module.parameters())


def _flat(tensors: Iterable[Tensor]) -> Tensor:
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def _grad(loss: Tensor, params: list[nn.Parameter]) -> Tensor:
    grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1)
                      for p, g in zip(params, grads, strict=True)])


def _junk(params: list[nn.Parameter], seed: int) -> list[Tensor]:
    """Stale gradients, as a previous backward() would leave them in .grad."""
    g = rng(2000 + seed)
    return [torch.randn(p.shape, generator=g) * 0.3 for p in params]


def _set_grads(params: list[nn.Parameter], grads: list[Tensor] | None) -> None:
    for i, p in enumerate(params):
        p.grad = None if grads is None else grads[i].clone()


def _same_gradient(a: Tensor, b: Tensor) -> bool:
    """Two flat gradients equal within 0.1 % of the reference's norm."""
    return vectors_close(a, b, rtol=1e-3, atol=1e-5)


def _moved(before: Tensor, params: list[nn.Parameter]) -> bool:
    return not torch.equal(before, _flat(params))


def _has_grad(params: list[nn.Parameter]) -> bool:
    return any(p.grad is not None and bool(p.grad.detach().abs().sum() > 0) for p in params)


def _match(observed: Tensor, candidates: dict[str, Tensor], junk: Tensor | None
           ) -> tuple[str, bool] | None:
    """Which candidate gradient (plus the stale one, or not) the observed update used."""
    name = first_match(observed, candidates, _same_gradient)
    if name is not None:
        return name, False
    if junk is not None:
        # The stale gradients taken off first, so that the tolerance is relative to the
        # candidate's norm, not to the (much larger) norm of candidate plus junk.
        name = first_match(observed - junk, candidates, _same_gradient)
        if name is not None:
            return name, True
    return None


def _with_params(module: nn.Module, flat: Tensor) -> nn.Module:
    """A copy of ``module`` with its parameters set to the flat vector ``flat``."""
    clone = copy.deepcopy(module)
    offset = 0
    with torch.no_grad():
        for p in clone.parameters():
            n = p.numel()
            p.copy_(flat[offset:offset + n].view_as(p))
            p.grad = None
            offset += n
    return clone


# The discriminator's loss and its classic mistakes, on logits r (real) and f (fake).
def _d_losses(r: Tensor, f: Tensor) -> dict[str, Tensor]:
    right = F.softplus(-r).mean() + F.softplus(f).mean()
    return {
        "correct": right,
        "half": 0.5 * right,  # BCE averaged over the concatenated 2N logits: also right
        "swapped": F.softplus(r).mean() + F.softplus(-f).mean(),
        "double_sigmoid": F.softplus(-torch.sigmoid(r)).mean()
        + F.softplus(torch.sigmoid(f)).mean(),
        "real_only": F.softplus(-r).mean(),
        "fake_only": F.softplus(f).mean(),
        "ascent": -right,
        "sum": F.softplus(-r).sum() + F.softplus(f).sum(),
        "nothing": 0.0 * right,
    }


_D_PROBLEMS = {
    "swapped": ("D's update pushes D(x) towards 0 and D(G(z)) towards 1: the labels are "
                "swapped",
                "real samples get target 1 (torch.ones), generated ones target 0"),
    "double_sigmoid": ("{who}'s update matches a loss on sigmoid(sigmoid(logits)): the "
                       "sigmoid is applied twice",
                       "D returns logits and binary_cross_entropy_with_logits applies the "
                       "sigmoid itself — do not call torch.sigmoid first"),
    "real_only": ("only the real term of D's loss reached D's parameters; the fake term gave "
                  "no gradient",
                  "add both terms, and detach the fakes before D (D(fake.detach())), "
                  "not D's output"),
    "fake_only": ("only the fake term of D's loss reached D's parameters",
                  "add the real term: BCE of D(real) against target 1"),
    "ascent": ("D's update goes uphill: it maximises the binary cross-entropy",
               "minimise the loss: loss.backward() on the BCE itself, no minus sign"),
    "sum": (f"D's gradient is {BATCH}× too large: the loss is summed over the batch",
            "average over the batch (BCE's default reduction='mean')"),
    "with_g_loss": ("D's update also holds the gradient of G's loss: G's backward() ran "
                    "before d_optimizer.step() and added to D's gradients",
                    "finish D's update (backward, step) before G's loss — alternate, "
                    "don't update both at once"),
    "nothing": ("no gradient of D's loss reached D's parameters",
                "call loss.backward() before d_optimizer.step(), and do not detach D's output"),
}

_G_PROBLEMS = {
    "saturating": ("G minimises log(1 − D(G(z))), the saturating loss, whose gradient vanishes "
                   "when D confidently rejects the fakes",
                   "minimise −log D(G(z)): BCE of D(fake) against target 1 (torch.ones)"),
    "wrong_target": ("G's update makes D(G(z)) smaller: G learns to look fake",
                     "G's target is 1 ('real'): BCE of D(fake) against torch.ones"),
    "double_sigmoid": _D_PROBLEMS["double_sigmoid"],
    "ascent": ("G's update goes uphill on −log D(G(z))",
               "minimise the loss: no minus sign in front of the BCE"),
    "sum": (f"G's gradient is {BATCH}× too large: the loss is summed over the batch",
            "average over the batch (BCE's default reduction='mean')"),
    "nothing": ("no gradient of G's loss reached G's parameters",
                "do not detach the fakes in G's step, and call loss.backward() before "
                "g_optimizer.step()"),
    "stale_d": ("G's update used D's verdict from before D's step (G's step ran first, or "
                "reused the logits of D's step: simultaneous updates, not alternating ones)",
                "D's step first; after d_optimizer.step(), compute D(fake) again for G's loss "
                "— do not reuse the logits of D's step"),
    "leak": ("G's update also holds the gradient of D's loss: the fakes reached D's backward "
             "undetached",
             "use D(fake.detach()) in D's step, and zero G's gradients before G's backward"),
}

_STALE = ("{who}'s update also holds the gradients an earlier backward() left in .grad",
          "call {opt}.zero_grad() before loss.backward() in every step")


def _g_losses(t: Tensor) -> dict[str, Tensor]:
    return {
        "correct": F.softplus(-t).mean(),
        "saturating": -F.softplus(t).mean(),
        "wrong_target": F.softplus(t).mean(),
        "double_sigmoid": F.softplus(-torch.sigmoid(t)).mean(),
        "ascent": -F.softplus(-t).mean(),
        "sum": F.softplus(-t).sum(),
        "nothing": 0.0 * F.softplus(-t).sum(),
    }


def _explain(who: str, found: tuple[str, bool] | None, problems: dict[str, tuple[str, str]],
             right: str) -> None:
    """Fail with the named mistake, or pass silently when the update is right."""
    if found is None:
        fail(f"{who}'s update does not match the gradient of {right}, nor a known mistake",
             "compare your code line by line with the loop written out in chapter 2")
    name, stale = found
    opt = "d_optimizer" if who == "D" else "g_optimizer"
    if name in ("correct", "half"):
        if stale:
            fail(_STALE[0].format(who=who), _STALE[1].format(opt=opt))
        return
    problem, hint = (text.format(who=who) for text in problems[name])
    if stale:
        problem = f"{problem}; also, stale gradients were added ({opt}.zero_grad() is missing)"
    fail(problem, hint)


def _d_candidates(D: nn.Module, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
    params = _params(D)
    losses = _d_losses(D(real), D(fake.detach()))
    return {k: _grad(v, params) for k, v in losses.items()}


def _g_candidates(G: nn.Module, D: nn.Module, z: Tensor) -> dict[str, Tensor]:
    params = _params(G)
    losses = _g_losses(D(G(z)))
    return {k: _grad(v, params) for k, v in losses.items()}


def _d_reference_loss(D: nn.Module, real: Tensor, fake: Tensor) -> float:
    with torch.no_grad():
        return float(F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean())


def _returned(value: object, what: str) -> float:
    """A returned loss: a Python float, as the tasks ask (``loss.item()``)."""
    return python_number(value, f"the returned {what}", float,
                         "return loss.item(), the loss as a Python float")


def _check_loss_value(value: float, expected: float, what: str, also: float | None = None,
                      after: float | None = None, terms: tuple[float, float] | None = None
                      ) -> None:
    """The returned loss is ``expected`` (or ``also``); else name what it is.

    ``after``: the loss recomputed after the update; ``terms``: the loss's two terms, for a
    function that returned one of them.
    """
    ok = [expected] + ([also] if also is not None else [])
    if any(close(value, e, 1e-5) for e in ok):
        return
    got, want = apart(value, expected)
    if after is not None and close(value, after, 1e-5) and not close(after, expected, 1e-5):
        fail(f"the returned {what} is {got}, the loss after the update; expected {want}, its "
             "value before the update",
             "return the loss you called backward() on (loss.item()), not a loss computed "
             "again after step()")
    for name, term in zip(("real", "fake"), terms or (), strict=False):
        if close(value, term, 1e-5) and not close(term, expected, 1e-5):
            fail(f"the returned {what} is {got}, only its {name} term; expected {want}",
                 "return the whole loss, both terms, as a float")
    fail(f"the returned {what} is {got}, expected {want}",
         "return the value of the loss you called backward() on, e.g. loss.item()")


class _Watch:
    """What happens to an optimizer and to G's parameters during a learner's call.

    Counts the optimizer's ``step()`` calls and whether any parameter had a non-zero gradient
    when each ran; with ``grad_of`` (G's parameters), keeps every gradient a backward pass
    computed for them, pass by pass. ``close()`` removes the hooks.
    """

    def __init__(self, optimizers: dict[str, torch.optim.Optimizer],
                 grad_of: list[nn.Parameter] | None = None) -> None:
        self.steps = {name: 0 for name in optimizers}
        self.steps_with_grad = {name: 0 for name in optimizers}
        self.passes: list[list[Tensor]] = [[] for _ in grad_of or []]
        self._handles = []
        for name, opt in optimizers.items():
            self._handles.append(opt.register_step_pre_hook(
                lambda opt, args, kwargs, name=name: self._stepped(name, opt)))
        for i, p in enumerate(grad_of or []):
            self._handles.append(p.register_hook(
                lambda grad, i=i: self.passes[i].append(grad.detach().clone())))

    def _stepped(self, name: str, opt: torch.optim.Optimizer) -> None:
        self.steps[name] += 1
        if any(p.grad is not None and bool(p.grad.detach().abs().sum() > 0)
               for group in opt.param_groups for p in group["params"]):
            self.steps_with_grad[name] += 1

    def backward_passes(self) -> list[Tensor]:
        """One flat gradient per backward pass that reached every watched parameter."""
        n = min((len(grads) for grads in self.passes), default=0)
        return [torch.cat([grads[k].reshape(-1) for grads in self.passes]) for k in range(n)]

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def _not_moved(who: str, opt: str, watch: _Watch) -> None:
    """Fail for a network whose parameters did not move, saying why when it can."""
    if watch.steps[opt] == 0:
        fail(f"{who}'s parameters did not change: {opt}.step() was never called",
             f"call loss.backward() and then {opt}.step()")
    fail(f"{who}'s parameters did not change: {opt}.step() ran, but found no gradient "
         "(zero_grad() after backward() wipes it, and so does a backward() that never "
         f"reached {who})",
         f"{opt}.zero_grad() → loss → loss.backward() → {opt}.step(), in that order")


def _moved_without_step(who: str, opt: str, watch: _Watch) -> None:
    if watch.steps[opt] == 0:
        fail(f"{who}'s parameters moved, but {opt}.step() was never called: your step builds "
             "a new optimizer of its own (at every step, which also throws away Adam's "
             "running averages)",
             f"use the {opt} passed to your function; build optimizers once, before the loop")
    if watch.steps[opt] > 1:
        fail(f"{opt}.step() ran {watch.steps[opt]} times in one step of {who}",
             f"call {opt}.step() once per update")


_CONFIDENT_HINT = ("build the loss on D's raw logits with F.binary_cross_entropy_with_logits "
                   "(or softplus), never on torch.sigmoid(logits)")


def _confident_failure(who: str, observed: Tensor) -> None:
    if not bool(torch.isfinite(observed).all()):
        fail(f"{who}'s update is nan on a confident discriminator (logits up to "
             f"±{CONFIDENT_TOP:.0f}): your loss takes the log of a sigmoid, which rounds to "
             "exactly 0 or 1 in float32", _CONFIDENT_HINT)
    fail(f"{who}'s update is right for a hesitant discriminator but wrong for a confident "
         f"one (logits up to ±{CONFIDENT_TOP:.0f}): your loss works on probabilities — "
         "F.binary_cross_entropy on a sigmoid, or a clamp or an ε in the log — whose "
         "gradient vanishes once the sigmoid rounds to 0 or 1", _CONFIDENT_HINT)


def _gan(seed: int | None) -> tuple[nn.Module, nn.Module, Tensor, Tensor]:
    """The tiny GAN of ``seed``, or the confident one for ``None``."""
    return confident_gan(0) if seed is None else tiny_gan(seed)


# ----------------------------------------------------------------------------- checks


@check("make_optimizers")
def check_optimizers(make_optimizers: Callable) -> str:
    """``make_optimizers(G, D)`` returns Adam for each network, lr 2e-4, betas (0.5, 0.999)."""
    G, D, _, _ = tiny_gan(0)
    try:
        result = make_optimizers(G, D)
    except TypeError as err:
        if "beta" in str(err):
            fail(f"Adam raised TypeError: {err}",
                 "Adam has no beta1 argument: pass betas=(0.5, 0.999)")
        raise
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"expected a pair (g_optimizer, d_optimizer), got {type(result).__name__}",
             "return g_optimizer, d_optimizer")
    g_opt, d_opt = result
    for name, opt in (("g_optimizer", g_opt), ("d_optimizer", d_opt)):
        if not isinstance(opt, torch.optim.Optimizer):
            fail(f"{name} is a {type(opt).__name__}, not a torch.optim optimizer",
                 "build it with torch.optim.Adam(network.parameters(), ...)")
    g_ids, d_ids = {id(p) for p in G.parameters()}, {id(p) for p in D.parameters()}

    def held(opt: torch.optim.Optimizer) -> set[int]:
        return {id(p) for group in opt.param_groups for p in group["params"]}

    if held(g_opt) == d_ids and held(d_opt) == g_ids:
        fail("the pair is in the wrong order: the first optimizer holds D's parameters and the "
             "second G's, so the caller's g_optimizer.step() would update D",
             "return g_optimizer, d_optimizer — in that order")
    for name, opt, own, other, net in (("g_optimizer", g_opt, g_ids, d_ids, "G"),
                                       ("d_optimizer", d_opt, d_ids, g_ids, "D")):
        ids = {id(p) for group in opt.param_groups for p in group["params"]}
        if ids & other:
            fail(f"{name} holds the other network's parameters, so its step() updates the "
                 "wrong network",
                 f"build {name} on {net}.parameters() only")
        if ids != own:
            fail(f"{name} does not hold all of {net}'s parameters",
                 f"build it on {net}.parameters()")
        if type(opt) is not torch.optim.Adam:
            fail(f"{name} is {type(opt).__name__}; DCGAN's recipe uses Adam",
                 "torch.optim.Adam(..., lr=2e-4, betas=(0.5, 0.999))")
        for group in opt.param_groups:
            if abs(float(group["lr"]) - 2e-4) > 1e-12:
                fail(f"{name} has lr={group['lr']}; the DCGAN setting is 2e-4", "lr=2e-4")
            betas = tuple(float(b) for b in group["betas"])
            if betas != (0.5, 0.999):
                if betas[0] == 0.9:
                    fail(f"{name} has betas={betas} (β1 = 0.9 is Adam's default); DCGAN uses "
                         "(0.5, 0.999)", "betas=(0.5, 0.999)")
                fail(f"{name} has betas={betas}; DCGAN uses (0.5, 0.999)", "betas=(0.5, 0.999)")
            if float(group.get("weight_decay", 0.0)) != 0.0:
                fail(f"{name} has weight_decay={group['weight_decay']}; use none",
                     "leave weight_decay at 0")
    return "Adam, lr 2e-4, betas (0.5, 0.999), one optimizer per network"


def _d_round(discriminator_step: Callable, seed: int | None) -> None:
    """One call of the learner's D step on the tiny GAN of ``seed`` (None: the confident
    one), compared with the gradient of the right loss and of the known mistakes."""
    G, D, real, z = _gan(seed)
    g_params, d_params = _params(G), _params(D)
    fake = G(z)  # carries G's graph, as in a real training step
    expected = _d_candidates(D, real, fake)
    expected_loss = _d_reference_loss(D, real, fake)
    with torch.no_grad():
        terms = (float(F.softplus(-D(real)).mean()), float(F.softplus(D(fake)).mean()))
    junk = _junk(d_params, 0 if seed is None else seed)
    _set_grads(d_params, junk)  # what the previous iteration left behind
    _set_grads(g_params, None)
    d_before, g_before = _flat(d_params), _flat(g_params)
    d_opt = torch.optim.SGD(d_params, lr=LR)
    watch = _Watch({"d_optimizer": d_opt})
    try:
        value = discriminator_step(D, d_opt, real, fake)
    finally:
        watch.close()
    if _moved(g_before, g_params):
        fail("G's parameters changed during D's step", "D's step only calls d_optimizer")
    if _has_grad(g_params):
        fail("D's step left gradients in G's parameters: its backward() ran through G",
             "use D(fake.detach()) so D's loss stops at the fakes")
    if not _moved(d_before, d_params):
        _not_moved("D", "d_optimizer", watch)
    _moved_without_step("D", "d_optimizer", watch)
    observed = (d_before - _flat(d_params)) / LR
    found = _match(observed, expected, _flat(junk))
    if seed is None and (found is None or found[0] not in ("correct", "half") or found[1]):
        _confident_failure("D", observed)
    _explain("D", found, _D_PROBLEMS, "−mean log D(x) − mean log(1 − D(G(z)))")
    half = _same_gradient(observed, expected["half"])
    _check_loss_value(_returned(value, "D loss"), expected_loss, "D loss",
                      also=expected_loss / 2 if half else None,
                      after=_d_reference_loss(D, real, fake), terms=terms)


@check("discriminator_step")
def check_discriminator_step(discriminator_step: Callable) -> str:
    """``discriminator_step(D, d_optimizer, real, fake)``: one correct update of D only."""
    for seed in (*SEEDS, None):
        _d_round(discriminator_step, seed)
    return ("D learns real → 1, fake → 0 on detached fakes, with fresh gradients, also when D "
            f"is confident (logits up to ±{CONFIDENT_TOP:.0f})")


def _g_round(generator_step: Callable, seed: int | None) -> None:
    """One call of the learner's G step on the tiny GAN of ``seed`` (None: confident)."""
    G, D, _, z = _gan(seed)
    g_params, d_params = _params(G), _params(D)
    expected = _g_candidates(G, D, z)
    with torch.no_grad():
        expected_loss = float(F.softplus(-D(G(z))).mean())
    fake = G(z)
    junk = _junk(g_params, 0 if seed is None else seed)
    _set_grads(g_params, junk)
    _set_grads(d_params, None)
    d_before, g_before = _flat(d_params), _flat(g_params)
    g_opt = torch.optim.SGD(g_params, lr=LR)
    watch = _Watch({"g_optimizer": g_opt})
    try:
        value = generator_step(D, g_opt, fake)
    finally:
        watch.close()
    if _moved(d_before, d_params):
        fail("D's parameters changed during G's step", "G's step only calls g_optimizer")
    if not all(p.requires_grad for p in d_params):
        fail("D's parameters were left with requires_grad=False after G's step, so D "
             "could no longer learn",
             "if you freeze D during G's step, call D.requires_grad_(True) afterwards")
    if not _moved(g_before, g_params):
        if all(p.grad is None or torch.equal(p.grad, j) for p, j in zip(g_params, junk,
                                                                        strict=True)):
            fail("no gradient reached G's parameters",
                 "do not detach the fakes in G's step; call loss.backward() and "
                 "g_optimizer.step()")
        _not_moved("G", "g_optimizer", watch)
    _moved_without_step("G", "g_optimizer", watch)
    observed = (g_before - _flat(g_params)) / LR
    found = _match(observed, expected, _flat(junk))
    if seed is None and (found is None or found[0] != "correct" or found[1]):
        _confident_failure("G", observed)
    _explain("G", found, _G_PROBLEMS, "−mean log D(G(z))")
    _check_loss_value(_returned(value, "G loss"), expected_loss, "G loss")


@check("generator_step")
def check_generator_step(generator_step: Callable) -> str:
    """``generator_step(D, g_optimizer, fake)``: one non-saturating update of G only."""
    for seed in (*SEEDS, None):
        _g_round(generator_step, seed)
    return ("G minimises −log D(G(z)) with fresh gradients and leaves D alone, also when D is "
            f"confident (logits up to ±{CONFIDENT_TOP:.0f})")


_THROUGH_G = ("D's loss also ran backward into G: the fakes reached D undetached, so "
              "d_loss.backward() went on through G (a wasted backward at every step, whose "
              "gradient in G only g_optimizer.zero_grad() happens to clear here); "
              "retain_graph=True silences the error this causes, it does not fix it",
              "detach the fakes for D's step, D(fake.detach()): that is the fix")


def _t_round(train_step: Callable, seed: int | None) -> None:
    """One call of the learner's training step on the tiny GAN of ``seed`` (None: the
    confident one)."""
    G, D, real, z = _gan(seed)
    g_params, d_params = _params(G), _params(D)
    with torch.no_grad():
        fake_values = G(z)
    expected_d = _d_candidates(D, real, fake_values)
    with_g = (F.softplus(-D(real)).mean() + F.softplus(D(fake_values)).mean()
              + F.softplus(-D(fake_values)).mean())
    expected_d["with_g_loss"] = _grad(with_g, d_params)
    expected_d_loss = _d_reference_loss(D, real, fake_values)
    with torch.no_grad():
        d_terms = (float(F.softplus(-D(real)).mean()), float(F.softplus(D(fake_values)).mean()))
    # Gradients the mistakes would route into G through D's undetached loss.
    leak = _grad(F.softplus(D(G(z))).mean(), g_params)
    stale_g = _g_candidates(G, D, z)["correct"]
    junk_seed = 0 if seed is None else seed
    d_junk, g_junk = _junk(d_params, junk_seed), _junk(g_params, junk_seed + 7)
    _set_grads(d_params, d_junk)
    _set_grads(g_params, g_junk)
    d_before, g_before = _flat(d_params), _flat(g_params)
    g_opt = torch.optim.SGD(g_params, lr=LR)
    d_opt = torch.optim.SGD(d_params, lr=LR)
    watch = _Watch({"g_optimizer": g_opt, "d_optimizer": d_opt}, grad_of=g_params)
    try:
        value = train_step(G, D, g_opt, d_opt, real, z)
    except RuntimeError as err:
        if "backward through the graph a second time" in str(err):
            fail("RuntimeError: backward through the graph a second time — D's backward() "
                 "ran through G and freed its graph before G's step could use it",
                 "use D(fake.detach()) in D's step (retain_graph=True would only hide this)")
        raise
    finally:
        watch.close()
    if not all(p.requires_grad for p in d_params):
        fail("D's parameters were left with requires_grad=False after the step",
             "if you freeze D during G's step, call D.requires_grad_(True) afterwards")
    if not _moved(d_before, d_params):
        _not_moved("D", "d_optimizer", watch)
    observed_d = (d_before - _flat(d_params)) / LR
    found_d = _match(observed_d, expected_d, _flat(d_junk))
    if not _moved(g_before, g_params):
        if watch.steps["g_optimizer"] == 0:
            extra = ""
            if found_d is None:
                extra = " (and D's parameters moved by more than one D update)"
            fail(f"G's parameters did not change{extra}",
                 "G's step must call g_optimizer.step(), not d_optimizer.step()")
        if watch.steps_with_grad["g_optimizer"] == 0:
            fail("no gradient reached G's parameters: g_optimizer.step() ran with none (were "
                 "the fakes detached in G's step too, or zero_grad() called after backward()?)",
                 "only D's step uses fake.detach(); G's loss must flow through the fakes into G")
        _not_moved("G", "g_optimizer", watch)
    _moved_without_step("D", "d_optimizer", watch)
    _moved_without_step("G", "g_optimizer", watch)
    if seed is None and (found_d is None or found_d[0] not in ("correct", "half")
                         or found_d[1]):
        _confident_failure("D", observed_d)
    _explain("D", found_d, _D_PROBLEMS, "−mean log D(x) − mean log(1 − D(G(z)))")
    # G's gradient must be taken through D *after* D's update (D as it is now).
    expected_g = _g_candidates(_with_params(G, g_before), D, z)
    expected_g["stale_d"] = stale_g
    expected_g["leak"] = expected_g["correct"] + leak
    expected_g["leak_half"] = expected_g["correct"] + 0.5 * leak
    observed_g = (g_before - _flat(g_params)) / LR
    found_g = _match(observed_g, expected_g, _flat(g_junk))
    if found_g is not None and found_g[0] == "leak_half":
        found_g = ("leak", found_g[1])
    if seed is None and (found_g is None or found_g[0] != "correct" or found_g[1]):
        _confident_failure("G", observed_g)
    _explain("G", found_g, _G_PROBLEMS, "−mean log D(G(z)) with D after its update")
    # Right updates can still hide a backward pass through G that did not belong there.
    passes = watch.backward_passes()
    if len(passes) > 1:
        if any(_same_gradient(g, leak) or _same_gradient(g, 0.5 * leak) for g in passes[:-1]):
            fail(*_THROUGH_G)
        fail(f"{len(passes)} backward passes reached G's parameters in one step; G's update "
             "needs one, the backward of G's loss",
             "detach the fakes for D's step, and call backward() once per loss")
    if not isinstance(value, tuple | list) or len(value) != 2:
        fail(f"expected train_step to return (d_loss, g_loss), got {type(value).__name__}",
             "return d_loss, g_loss")
    half = _same_gradient(observed_d, expected_d["half"])
    _check_loss_value(_returned(value[0], "D loss"), expected_d_loss, "D loss",
                      also=expected_d_loss / 2 if half else None,
                      after=_d_reference_loss(D, real, fake_values), terms=d_terms)
    with torch.no_grad():
        g0 = _with_params(G, g_before)
        expected_g_loss = float(F.softplus(-D(g0(z))).mean())
        after_g = float(F.softplus(-D(G(z))).mean())
    _check_loss_value(_returned(value[1], "G loss"), expected_g_loss, "G loss", after=after_g)


@check("train_step")
def check_train_step(train_step: Callable) -> str:
    """``train_step(G, D, g_optimizer, d_optimizer, real, z)``: D's update, then G's."""
    for seed in (*SEEDS, None):
        _t_round(train_step, seed)
    return ("D's update, then G's through the updated D — alternating, detached, zeroed, "
            "also when D is confident")
