"""ganlib.steps: each step moves exactly its own network along exactly its own gradient."""

import copy

import pytest
import torch
from torch import nn

from ganlib.losses import LOSSES, gradient_penalty, r1_penalty
from ganlib.models import MLPDiscriminator, MLPGenerator
from ganlib.steps import NonFiniteLossError, discriminator_step, generator_step

LR = 0.5  # plain SGD: every weight moves by exactly -LR × the gradient the step used


def tiny(seed=0):
    torch.manual_seed(seed)
    G = MLPGenerator(3, 2, hidden=(8,))
    D = MLPDiscriminator(2, hidden=(8,))
    real, z = torch.randn(16, 2), torch.randn(16, 3)
    return G, D, real, z


def flat(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def expected_update(module, loss):
    grads = torch.autograd.grad(loss, list(module.parameters()))
    return flat(module) - LR * torch.cat([g.flatten() for g in grads])


def sgd(module):
    return torch.optim.SGD(module.parameters(), lr=LR)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_the_discriminator_step_follows_the_gradient_of_its_loss_and_leaves_g_alone(loss):
    G, D, real, z = tiny()
    fake = G(z)  # attached to G's graph: the step must not send anything into G
    reference = copy.deepcopy(D)
    want = expected_update(reference, LOSSES[loss][0](reference(real), reference(fake.detach())))
    g_before = flat(G)
    out = discriminator_step(D, sgd(D), real, fake, loss=loss)
    assert torch.allclose(flat(D), want, atol=1e-6)
    assert torch.equal(flat(G), g_before)
    assert all(p.grad is None for p in G.parameters())  # no gradient leaked into G
    assert set(out) == {"loss", "real_logits", "fake_logits"}
    assert not out["loss"].requires_grad and out["real_logits"].shape == (16,)


def test_stale_gradients_are_cleared_before_the_discriminator_step():
    G, D, real, z = tiny()
    for p in D.parameters():
        p.grad = torch.full_like(p, 100.0)  # left by an earlier backward()
    reference = copy.deepcopy(D)
    want = expected_update(reference, LOSSES["nonsaturating"][0](reference(real),
                                                                  reference(G(z).detach())))
    discriminator_step(D, sgd(D), real, G(z))
    assert torch.allclose(flat(D), want, atol=1e-6)


def test_the_gradient_penalty_is_added_with_its_weight_and_the_given_random_generator():
    G, D, real, z = tiny()
    fake = G(z).detach()
    reference = copy.deepcopy(D)
    gp = gradient_penalty(reference, real, fake, torch.Generator().manual_seed(7))
    loss = LOSSES["wasserstein"][0](reference(real), reference(fake)) + 10 * gp
    want = expected_update(reference, loss)
    out = discriminator_step(D, sgd(D), real, fake, loss="wasserstein", gp_weight=10,
                             rng=torch.Generator().manual_seed(7))
    assert torch.allclose(flat(D), want, atol=1e-5)
    assert out["gp"] == pytest.approx(float(gp.detach())) and out["gp_norms"].shape == (16,)


def test_r1_adds_half_gamma_times_the_penalty_to_the_discriminators_loss():
    G, D, real, z = tiny()
    fake = G(z).detach()
    reference = copy.deepcopy(D)
    x = real.clone().requires_grad_(True)
    real_logits = reference(x)
    penalty = r1_penalty(real_logits, x)
    want = expected_update(
        reference, LOSSES["nonsaturating"][0](real_logits, reference(fake)) + 10 / 2 * penalty)
    out = discriminator_step(D, sgd(D), real, fake, r1_weight=10)
    assert torch.allclose(flat(D), want, atol=1e-6)
    assert out["r1"] == pytest.approx(float(penalty.detach()))
    assert not real.requires_grad  # the caller's batch is left as it was


def test_weight_clipping_happens_after_the_update():
    G, D, real, z = tiny()
    discriminator_step(D, sgd(D), real, G(z), loss="wasserstein", clip_value=0.01)
    assert max(float(p.abs().max()) for p in D.parameters()) <= 0.01


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_the_generator_step_follows_the_gradient_of_its_loss_and_leaves_d_alone(loss):
    G, D, real, z = tiny()
    reference = copy.deepcopy(G)
    want = expected_update(reference, LOSSES[loss][1](D(reference(z))))
    d_before = flat(D)
    D.net[0].weight.requires_grad_(False)  # frozen by the user: must stay frozen
    out = generator_step(D, sgd(G), G(z), loss=loss)
    assert torch.allclose(flat(G), want, atol=1e-6)
    assert torch.equal(flat(D), d_before)
    assert all(p.grad is None for p in D.parameters())
    assert [p.requires_grad for p in D.parameters()] == [False] + [True] * 3
    assert out.ndim == 0 and not out.requires_grad


class Poisoned(nn.Module):
    """A discriminator whose outputs (``where="output"``) or whose input gradients
    (``where="gradient"``) are not finite, from its ``at``-th call on."""

    def __init__(self, inner, at, where="output", value=float("nan")):
        super().__init__()
        self.inner, self.at, self.where, self.value, self.calls = inner, at, where, value, 0

    def forward(self, x):
        self.calls += 1
        out = self.inner(x)
        if self.calls < self.at:
            return out
        if self.where == "output":
            return out * self.value
        # finite output, but d/dx sqrt(x - x) = 0 · ∞: the gradient with respect to x is NaN
        return out + 0 * torch.sqrt(x - x).flatten(1).sum(1)


@pytest.mark.parametrize(
    ("at", "where", "kwargs", "named"),
    [
        (1, "output", {}, "discriminator loss"),
        (2, "output", {}, "discriminator loss"),
        (3, "output", {"loss": "wasserstein", "gp_weight": 10.0}, "gradient penalty"),
        (1, "gradient", {"r1_weight": 10.0}, "R1 penalty"),
    ],
)
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_non_finite_discriminator_term_is_named_and_no_update_is_made(at, where, kwargs,
                                                                      named, value):
    G, D, real, z = tiny()
    poisoned = Poisoned(D, at, where, value)
    before = flat(D)
    with pytest.raises(NonFiniteLossError, match=f"the {named} became") as err:
        discriminator_step(poisoned, sgd(D), real, G(z), **kwargs)
    assert err.value.which == named and err.value.step is None
    assert torch.equal(flat(D), before)


def test_a_non_finite_generator_loss_makes_no_update_and_leaves_d_trainable():
    G, D, real, z = tiny()
    before = flat(G)
    with pytest.raises(NonFiniteLossError, match="the generator loss became nan"):
        generator_step(Poisoned(D, 1), sgd(G), G(z))
    assert torch.equal(flat(G), before)
    assert all(p.requires_grad for p in D.parameters())


def test_autocast_runs_the_forward_passes_and_the_losses_stay_float32():
    G, D, real, z = tiny()
    entered = []

    def autocast():
        entered.append(1)
        return torch.autocast("cpu", dtype=torch.bfloat16)

    out = discriminator_step(D, sgd(D), real, G(z), autocast=autocast)
    g_loss = generator_step(D, sgd(G), G(z), autocast=autocast)
    assert len(entered) == 2
    assert out["loss"].dtype == torch.float32 and g_loss.dtype == torch.float32


def test_an_unknown_loss_name_is_refused_before_any_work():
    G, D, real, z = tiny()
    before = flat(D)
    with pytest.raises(ValueError, match=r"loss must be one of \['hinge', .*got 'bce'"):
        discriminator_step(D, sgd(D), real, G(z), loss="bce")
    with pytest.raises(ValueError, match="loss must be one of .*got 'wgan'"):
        generator_step(D, sgd(G), G(z), loss="wgan")
    assert torch.equal(flat(D), before)
