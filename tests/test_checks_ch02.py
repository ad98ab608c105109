"""Chapter 2's checks pass on the solutions, fail on the untouched stubs, and fail — naming
the mistake — on each buggy variant from the chapter's gallery."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from _notebook_tasks import notebook_task_functions  # tests/

from ganlib import losses
from ganlib.checks import ch02

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOK = ROOT / "exercises" / "solutions" / "02_training_loop.ipynb"

bce = F.binary_cross_entropy_with_logits

# The notebook's tasks and the check that answers each: the four functions of the loop, then
# the three repaired steps of the bug hunt.
NOTEBOOK_TASKS = {
    "make_optimizers": ch02.check_optimizers,
    "discriminator_step": ch02.check_discriminator_step,
    "generator_step": ch02.check_generator_step,
    "train_step": ch02.check_train_step,
    "fixed_step_a": ch02.check_train_step,
    "fixed_step_b": ch02.check_train_step,
    "fixed_step_c": ch02.check_train_step,
}


def _notebook_functions(stubbed: bool) -> dict:
    """Execute the task cells of the solution notebook; optionally as the student gets them."""
    namespace: dict = {"torch": torch, "F": F, "bce": bce}
    return notebook_task_functions(SOLUTION_NOTEBOOK, namespace, len(NOTEBOOK_TASKS), stubbed)


# ------------------------------------------------------- the solutions: the notebook's own
SOLUTIONS = _notebook_functions(stubbed=False)
make_optimizers = SOLUTIONS["make_optimizers"]
discriminator_step = SOLUTIONS["discriminator_step"]
generator_step = SOLUTIONS["generator_step"]
train_step = SOLUTIONS["train_step"]


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# ------------------------------------------------------- other correct ways to write them
def discriminator_step_concatenated(D, d_optimizer, real, fake):
    """One forward pass on [real; fake] and one BCE over 2N logits (half the gradient)."""
    d_optimizer.zero_grad()
    logits = D(torch.cat([real, fake.detach()]))
    targets = torch.cat([torch.ones(len(real)), torch.zeros(len(fake))])
    loss = bce(logits, targets)
    loss.backward()
    d_optimizer.step()
    return loss.item()


def discriminator_step_ganlib(D, d_optimizer, real, fake):
    d_optimizer.zero_grad(set_to_none=False)
    loss = losses.minimax_d_loss(D(real), D(fake.detach()))
    loss.backward()
    d_optimizer.step()
    return float(loss.detach())


def generator_step_frozen_d(D, g_optimizer, fake):
    """The Trainer's way: D's weights need no gradient during G's step."""
    D.requires_grad_(False)
    g_optimizer.zero_grad()
    loss = losses.nonsaturating_g_loss(D(fake))
    loss.backward()
    D.requires_grad_(True)
    g_optimizer.step()
    return loss.item()


def train_step_fresh_fakes(G, D, g_optimizer, d_optimizer, real, z):
    """D on fakes made under no_grad, G on a second pass through G (same z, same G)."""
    d_optimizer.zero_grad()
    with torch.no_grad():
        fake = G(z)
    d_loss = bce(D(real), torch.ones(len(real))) + bce(D(fake), torch.zeros(len(fake)))
    d_loss.backward()
    d_optimizer.step()
    g_optimizer.zero_grad()
    g_loss = bce(D(G(z)), torch.ones(len(z)))
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()


def train_step_zero_at_top(G, D, g_optimizer, d_optimizer, real, z):
    """Both zero_grads at the top: right, because D's step leaves nothing in G."""
    g_optimizer.zero_grad()
    d_optimizer.zero_grad()
    fake = G(z)
    d_loss = losses.minimax_d_loss(D(real), D(fake.detach()))
    d_loss.backward()
    d_optimizer.step()
    g_loss = losses.nonsaturating_g_loss(D(fake))
    g_loss.backward()
    g_optimizer.step()
    return float(d_loss.detach()), float(g_loss.detach())


# ---------------------------------------------------------------- the gallery's mistakes
def make_optimizers_beta1(G, D):
    return (torch.optim.Adam(G.parameters(), lr=2e-4, beta1=0.5),
            torch.optim.Adam(D.parameters(), lr=2e-4, beta1=0.5))


def make_optimizers_default_betas(G, D):
    return torch.optim.Adam(G.parameters(), lr=2e-4), torch.optim.Adam(D.parameters(), lr=2e-4)


def make_optimizers_crossed(G, D):
    return make_optimizers(D, G)


def make_optimizers_both_on_g(G, D):
    return make_optimizers(G, G)


def make_optimizers_sgd(G, D):
    return torch.optim.SGD(G.parameters(), lr=2e-4), torch.optim.SGD(D.parameters(), lr=2e-4)


def make_optimizers_wrong_lr(G, D):
    return (torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999)),
            torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999)))


def make_optimizers_one(G, D):
    return torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))


def make_optimizers_weight_decay(G, D):
    return (torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), weight_decay=1e-4),
            torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), weight_decay=1e-4))


def make_optimizers_not_optimizers(G, D):
    return list(G.parameters()), list(D.parameters())


def make_optimizers_half_of_d(G, D):
    g_opt, _ = make_optimizers(G, D)
    return g_opt, torch.optim.Adam(list(D.parameters())[:1], lr=2e-4, betas=(0.5, 0.999))


def make_optimizers_adamw(G, D):  # "the better Adam": its default weight_decay is 0.01
    return (torch.optim.AdamW(G.parameters(), lr=2e-4, betas=(0.5, 0.999)),
            torch.optim.AdamW(D.parameters(), lr=2e-4, betas=(0.5, 0.999)))


def d_step_random_direction(D, d_optimizer, real, fake):
    """Moves D, but along no gradient the check knows."""
    d_optimizer.zero_grad()
    for p in D.parameters():
        p.grad = torch.ones_like(p)
    d_optimizer.step()
    return 0.0


def d_step_returns_vector(D, d_optimizer, real, fake):
    discriminator_step(D, d_optimizer, real, fake)
    return torch.zeros(3)


def d_step(swap=False, detach=True, double_sigmoid=False, zero_grad=True, step=True,
           detach_logits=False, reduction="mean", sign=1.0, real_term=True, on_probs=None,
           new_optimizer=False, zero_grad_after_backward=False, returns="item",
           steps=1):
    """A discriminator step with one mistake switched on.

    ``on_probs``: the loss on probabilities σ(logits) — ``"log"`` (log σ and log(1 − σ)),
    ``"bce"`` (F.binary_cross_entropy, which clamps its logs at −100) or ``"eps"``
    (log(p + 1e-8)); right for a hesitant D, wrong for a confident one.
    ``returns``: ``"item"`` (right), ``"tensor"`` (the loss tensor, graph attached) or
    ``"after"`` (the loss recomputed after the update).
    """

    def body(D, d_optimizer, real, fake):
        if new_optimizer:  # a fresh optimizer at every step: Adam's state starts over
            d_optimizer = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        if zero_grad:
            d_optimizer.zero_grad()
        f_in = fake.detach() if detach else fake
        r, f = D(real), D(f_in)
        if detach_logits:
            f = f.detach()
        if double_sigmoid:
            r, f = torch.sigmoid(r), torch.sigmoid(f)
        t_real, t_fake = (torch.zeros_like(r), torch.ones_like(f)) if swap else (
            torch.ones_like(r), torch.zeros_like(f))
        if on_probs is not None:
            p_real, p_fake = torch.sigmoid(r), torch.sigmoid(f)
            if on_probs == "bce":
                loss = (F.binary_cross_entropy(p_real, t_real)
                        + F.binary_cross_entropy(p_fake, t_fake))
            else:
                eps = 1e-8 if on_probs == "eps" else 0.0
                loss = -(torch.log(p_real + eps).mean() + torch.log(1 - p_fake + eps).mean())
        else:
            loss = bce(f, t_fake, reduction=reduction)
            if real_term:
                loss = loss + bce(r, t_real, reduction=reduction)
        (sign * loss).backward()
        if zero_grad_after_backward:
            d_optimizer.zero_grad()
        if step:
            for _ in range(steps):
                d_optimizer.step()
        if returns == "tensor":
            return loss
        if returns == "real":  # only the real term, e.g. a loss printed from the wrong line
            return bce(r, t_real).item()
        if returns == "after":
            with torch.no_grad():
                r, f = D(real), D(fake)
                return (bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))).item()
        return loss.item()

    return body


def g_step(saturating=False, target=1.0, double_sigmoid=False, zero_grad=True, step=True,
           detach=False, sign=1.0, reduction="mean", freeze_d=False, on_probs=None,
           returns="item"):
    """A generator step with one mistake switched on (``on_probs`` and ``returns`` as in
    :func:`d_step`)."""

    def body(D, g_optimizer, fake):
        if zero_grad:
            g_optimizer.zero_grad()
        if freeze_d:
            D.requires_grad_(False)
        logits = D(fake.detach() if detach else fake)
        if double_sigmoid:
            logits = torch.sigmoid(logits)
        if on_probs == "bce":
            p = torch.sigmoid(logits)
            loss = F.binary_cross_entropy(p, torch.ones_like(p))
        elif on_probs is not None:
            eps = 1e-8 if on_probs == "eps" else 0.0
            loss = -torch.log(torch.sigmoid(logits) + eps).mean()
        elif saturating:  # minimise log(1 − D(G(z))) = −BCE(logits, 0)
            loss = -bce(logits, torch.zeros_like(logits), reduction=reduction)
        else:
            loss = bce(logits, torch.full_like(logits, target), reduction=reduction)
        (sign * loss).backward()
        if step:
            g_optimizer.step()
        return loss if returns == "tensor" else loss.item()

    return body


def t_step(d=None, g=None, wrong_optimizer=False, simultaneous=False, fresh_fakes=False,
           swap_returns=False, freeze=False):
    """A training step assembled from (possibly buggy) halves, or with its own mistake."""
    d = d or discriminator_step
    g = g or generator_step

    def body(G, D, g_optimizer, d_optimizer, real, z):
        fake = G(z)
        if simultaneous:  # both losses from the same forward pass, then both steps
            d_optimizer.zero_grad()
            g_optimizer.zero_grad()
            r, f, f_g = D(real), D(fake.detach()), D(fake)
            d_loss = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
            g_loss = bce(f_g, torch.ones_like(f_g))
            d_loss.backward(retain_graph=True)
            D.requires_grad_(not freeze)  # freeze=True: D's update is right, G's is stale
            g_loss.backward()
            D.requires_grad_(True)
            d_optimizer.step()
            g_optimizer.step()
            return d_loss.item(), g_loss.item()
        d_loss = d(D, d_optimizer, real, fake)
        if fresh_fakes:
            fake = G(z)
        g_loss = g(D, d_optimizer if wrong_optimizer else g_optimizer, fake)
        return (g_loss, d_loss) if swap_returns else (d_loss, g_loss)

    return body


def fixed_step_b_retain_graph(G, D, g_optimizer, d_optimizer, real, z):
    """Bug hunt B "repaired" as the error message suggests: retain_graph=True, no detach.

    It runs, and G's update is right, but only because g_optimizer.zero_grad() clears the
    gradient D's loss left in G: the task asks for the real fix, detach()."""
    fake = G(z)
    d_optimizer.zero_grad()
    real_logits, fake_logits = D(real), D(fake)
    d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(
        fake_logits, torch.zeros_like(fake_logits))
    d_loss.backward(retain_graph=True)
    d_optimizer.step()
    g_optimizer.zero_grad()
    g_logits = D(fake)
    g_loss = bce(g_logits, torch.ones_like(g_logits))
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()


def train_step_g_first(G, D, g_optimizer, d_optimizer, real, z):
    """G's update before D's: G learns against the old D."""
    fake = G(z)
    g_loss = generator_step(D, g_optimizer, fake)
    d_loss = discriminator_step(D, d_optimizer, real, fake)
    return d_loss, g_loss


def train_step_tensors(G, D, g_optimizer, d_optimizer, real, z):
    """The right updates, but the losses returned as tensors that keep the step's graph."""
    fake = G(z)
    d_loss = d_step(returns="tensor")(D, d_optimizer, real, fake)
    g_loss = g_step(returns="tensor")(D, g_optimizer, fake)
    return d_loss, g_loss


# ------------------------------------------------------------------------------- tests
def _quiet(check, fn):
    return check(fn, print_result=False)


@pytest.mark.parametrize("fn", [make_optimizers])
def test_optimizers_pass(fn):
    result = _quiet(ch02.check_optimizers, fn)
    assert result, result.message
    assert result.message.startswith("✅")


@pytest.mark.parametrize("fn, words", [
    (stub, "not implemented"),
    (make_optimizers_beta1, "betas=(0.5, 0.999)"),
    (make_optimizers_default_betas, "0.9"),
    (make_optimizers_crossed, "wrong order"),
    (make_optimizers_both_on_g, "other network"),
    (make_optimizers_sgd, "Adam"),
    (make_optimizers_wrong_lr, "2e-4"),
    (make_optimizers_one, "pair"),
    (make_optimizers_weight_decay, "weight_decay"),
    (make_optimizers_not_optimizers, "not a torch.optim optimizer"),
    (make_optimizers_half_of_d, "does not hold all"),
    (make_optimizers_adamw, "AdamW"),
])
def test_optimizers_fail(fn, words):
    result = _quiet(ch02.check_optimizers, fn)
    assert not result
    assert result.message.startswith("❌")
    assert words in result.message, result.message


@pytest.mark.parametrize("fn", [discriminator_step, discriminator_step_concatenated,
                                discriminator_step_ganlib])
def test_discriminator_step_pass(fn):
    result = _quiet(ch02.check_discriminator_step, fn)
    assert result, result.message


@pytest.mark.parametrize("fn, words", [
    (stub, "not implemented"),
    (d_step(swap=True), "swapped"),
    (d_step(detach=False), "detach"),
    (d_step(double_sigmoid=True), "twice"),
    (d_step(zero_grad=False), "zero_grad"),
    (d_step(step=False), "did not change"),
    (d_step(detach_logits=True), "fake term gave no gradient"),
    (d_step(reduction="sum"), "summed"),
    (d_step(sign=-1.0), "uphill"),
    (d_step(real_term=False), "only the fake term"),
    (d_step(swap=True, zero_grad=False), "zero_grad() is missing"),
    (lambda D, opt, real, fake: (d_step()(D, opt, real, fake), None)[1], "float"),
    (lambda D, opt, real, fake: d_step()(D, opt, real, fake) + 1.0, "returned D loss"),
    (d_step_random_direction, "nor a known mistake"),
    (d_step_returns_vector, "Python float"),
    # a loss on probabilities: right for a hesitant D, wrong once D is confident
    (d_step(on_probs="log"), "confident"),
    (d_step(on_probs="bce"), "confident"),
    (d_step(on_probs="eps"), "confident"),
    (d_step(new_optimizer=True), "new optimizer"),
    (d_step(zero_grad_after_backward=True), "zero_grad() after backward()"),
    (d_step(returns="tensor"), "Python float"),
    (d_step(returns="after"), "after the update"),
    (d_step(returns="real"), "only its real term"),
    (d_step(steps=2), "ran 2 times"),
])
def test_discriminator_step_fail(fn, words):
    result = _quiet(ch02.check_discriminator_step, fn)
    assert not result
    assert words in result.message, result.message


@pytest.mark.parametrize("fn", [generator_step, generator_step_frozen_d])
def test_generator_step_pass(fn):
    result = _quiet(ch02.check_generator_step, fn)
    assert result, result.message


@pytest.mark.parametrize("fn, words", [
    (stub, "not implemented"),
    (g_step(saturating=True), "saturating"),
    (g_step(target=0.0), "look fake"),
    (g_step(double_sigmoid=True), "twice"),
    (g_step(zero_grad=False), "zero_grad"),
    (g_step(step=False), "did not change"),
    (g_step(detach=True), "no gradient reached G"),
    (g_step(sign=-1.0), "uphill"),
    (g_step(reduction="sum"), "summed"),
    (g_step(freeze_d=True), "requires_grad"),
    (g_step(saturating=True, zero_grad=False), "zero_grad() is missing"),
    (g_step(on_probs="log"), "confident"),
    (g_step(on_probs="bce"), "confident"),
    (g_step(returns="tensor"), "Python float"),
])
def test_generator_step_fail(fn, words):
    result = _quiet(ch02.check_generator_step, fn)
    assert not result
    assert words in result.message, result.message


@pytest.mark.parametrize("fn", [train_step, train_step_fresh_fakes, train_step_zero_at_top,
                                t_step(d=discriminator_step_concatenated),
                                t_step(g=generator_step_frozen_d)])
def test_train_step_pass(fn):
    result = _quiet(ch02.check_train_step, fn)
    assert result, result.message


@pytest.mark.parametrize("fn, words", [
    (stub, "not implemented"),
    (t_step(d=d_step(swap=True)), "swapped"),
    (t_step(d=d_step(detach=False)), "detach"),  # RuntimeError: backward a second time
    (t_step(d=d_step(detach=False), fresh_fakes=True, g=g_step(zero_grad=False)),
     "undetached"),
    (t_step(d=d_step(double_sigmoid=True), g=g_step(double_sigmoid=True)), "twice"),
    (t_step(g=g_step(double_sigmoid=True)), "twice"),
    (t_step(d=d_step(zero_grad=False)), "zero_grad"),
    (t_step(g=g_step(zero_grad=False)), "zero_grad"),
    (t_step(g=g_step(saturating=True)), "saturating"),
    (t_step(wrong_optimizer=True), "g_optimizer.step()"),
    # the exercise's bug hunt C: a double sigmoid and G's step stepping d_optimizer
    (t_step(d=d_step(double_sigmoid=True), g=g_step(double_sigmoid=True),
            wrong_optimizer=True), "g_optimizer.step()"),
    (t_step(simultaneous=True), "G's loss"),
    (t_step(simultaneous=True, freeze=True), "before D's step"),
    (t_step(g=g_step(freeze_d=True)), "requires_grad"),
    (t_step(swap_returns=True), "returned D loss"),
    (lambda *args: train_step(*args)[0], "(d_loss, g_loss)"),
    # task 6's tempting non-fix: the error's own suggestion
    (fixed_step_b_retain_graph, "retain_graph=True"),
    (t_step(d=d_step(detach=False), fresh_fakes=True), "retain_graph=True"),
    (t_step(g=g_step(detach=True)), "no gradient reached G"),
    (t_step(d=d_step(on_probs="log"), g=g_step(on_probs="log")), "confident"),
    (train_step_g_first, "before D's"),
    (train_step_tensors, "Python float"),
])
def test_train_step_fail(fn, words):
    result = _quiet(ch02.check_train_step, fn)
    assert not result
    assert words in result.message, result.message


def test_checks_print_one_line(capsys):
    ch02.check_train_step(train_step)
    ch02.check_generator_step(g_step(saturating=True))
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("✅ train_step: correct")
    assert lines[1].startswith("❌ generator_step:") and "hint:" in lines[1]


def test_checks_leave_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ch02.check_discriminator_step(discriminator_step, print_result=False)
    ch02.check_train_step(train_step, print_result=False)
    assert torch.equal(torch.rand(3), expected)


def test_tiny_gan_is_reproducible():
    G1, D1, real1, z1 = ch02.tiny_gan(3)
    G2, D2, real2, z2 = ch02.tiny_gan(3)
    assert torch.equal(real1, real2) and torch.equal(z1, z2)
    assert all(torch.equal(a, b) for a, b in zip(G1.parameters(), G2.parameters(), strict=True))
    assert D1(real1).shape == (16,)


def test_the_confident_gan_breaks_losses_on_probabilities():
    """Its fakes' logits go beyond −104 (σ rounds to 0 in float32) and +17 (σ rounds to 1)."""
    G, D, real, z = ch02.confident_gan(0)
    with torch.no_grad():
        logits = torch.cat([D(real), D(G(z))])
        fake_logits = D(G(z))
    assert abs(float(logits.abs().max()) - ch02.CONFIDENT_TOP) < 1e-3
    assert float(fake_logits.min()) < -104 and float(fake_logits.max()) > 17
    assert torch.sigmoid(fake_logits).eq(0).any() and torch.sigmoid(fake_logits).eq(1).any()


# ---------------------------------------------------------- the solution notebook
@pytest.mark.parametrize("name", NOTEBOOK_TASKS)
def test_the_notebook_solution_passes_and_its_stub_fails(name):
    check = NOTEBOOK_TASKS[name]
    result = check(SOLUTIONS[name], print_result=False)
    assert result, result.message
    result = check(_notebook_functions(stubbed=True)[name], print_result=False)
    assert not result and "not implemented yet" in result.message
