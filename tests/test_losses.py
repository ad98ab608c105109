import math

import pytest
import torch
import torch.nn.functional as F

from ganlib.losses import (
    LOSSES,
    gradient_penalty,
    hinge_d_loss,
    interpolate,
    lsgan_d_loss,
    lsgan_g_loss,
    minimax_d_loss,
    minimax_g_loss,
    nonsaturating_g_loss,
    r1_penalty,
    wasserstein_d_loss,
    wasserstein_g_loss,
)

LOG2 = math.log(2)


def test_logits_zero_on_both_sides_give_two_log_two():
    z = torch.zeros(16)
    assert float(minimax_d_loss(z, z)) == pytest.approx(2 * LOG2)
    assert float(LOSSES["nonsaturating"][0](z, z)) == pytest.approx(2 * LOG2)
    assert float(nonsaturating_g_loss(z)) == pytest.approx(LOG2)
    assert float(minimax_g_loss(z)) == pytest.approx(-LOG2)


def test_minimax_d_loss_is_binary_cross_entropy_with_real_one_fake_zero():
    torch.manual_seed(0)
    r, f = torch.randn(32) * 3, torch.randn(32) * 3
    bce = F.binary_cross_entropy_with_logits
    expected = bce(r, torch.ones(32)) + bce(f, torch.zeros(32))
    assert torch.allclose(minimax_d_loss(r, f), expected, atol=1e-6)
    # the generator's non-saturating loss labels its fakes as real
    assert torch.allclose(nonsaturating_g_loss(f), bce(f, torch.ones(32)), atol=1e-6)
    # the saturating loss is log(1 - D(G(z)))
    assert torch.allclose(minimax_g_loss(f), torch.log1p(-torch.sigmoid(f)).mean(), atol=1e-5)


def test_losses_stay_finite_and_exact_for_huge_logits():
    big = torch.tensor([200.0, -200.0])
    for name in LOSSES:
        assert torch.isfinite(LOSSES[name][0](big, big)), name
        assert torch.isfinite(LOSSES[name][1](big)), name
    # a confident, correct discriminator has ~0 loss; a confidently wrong one ~200
    assert float(minimax_d_loss(torch.tensor([200.0]), torch.tensor([-200.0]))) == pytest.approx(0.0)
    assert float(minimax_d_loss(torch.tensor([-200.0]), torch.tensor([-200.0]))) == pytest.approx(200.0)
    # the naive log of a sigmoid would be -inf here
    assert torch.isinf(torch.log(torch.sigmoid(torch.tensor(-200.0))))


def test_nonsaturating_gradient_survives_where_the_saturating_one_vanishes():
    # early in training D rejects the fakes confidently: logit -10, D(G(z)) ≈ 4.5e-5
    t = torch.full((1,), -10.0, requires_grad=True)
    (g_sat,) = torch.autograd.grad(minimax_g_loss(t), t)
    t2 = torch.full((1,), -10.0, requires_grad=True)
    (g_ns,) = torch.autograd.grad(nonsaturating_g_loss(t2), t2)
    assert abs(float(g_sat)) == pytest.approx(torch.sigmoid(torch.tensor(-10.0)).item(), rel=1e-4)
    assert abs(float(g_sat)) < 1e-4
    assert abs(float(g_ns)) == pytest.approx(1 - torch.sigmoid(torch.tensor(-10.0)).item(), rel=1e-4)
    assert float(g_sat) < 0 and float(g_ns) < 0  # both push the fake logit up


def test_least_squares_wasserstein_and_hinge_closed_forms():
    r = torch.tensor([1.0, 3.0])
    f = torch.tensor([-1.0, 0.5])
    assert float(lsgan_d_loss(r, f)) == pytest.approx(0.5 * (0 + 4) / 2 + 0.5 * (1 + 0.25) / 2)
    assert float(lsgan_g_loss(f)) == pytest.approx(0.5 * (4 + 0.25) / 2)
    assert float(wasserstein_d_loss(r, f)) == pytest.approx(-0.25 - 2.0)
    assert float(wasserstein_g_loss(f)) == pytest.approx(0.25)
    # hinge: relu(1 - r) = [0, 0]; relu(1 + f) = [0, 1.5]
    assert float(hinge_d_loss(r, f)) == pytest.approx(0.75)
    assert float(LOSSES["hinge"][1](f)) == pytest.approx(0.25)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"expected real_logits of shape \(N,\), got \(4, 1\)"):
        minimax_d_loss(torch.zeros(4, 1), torch.zeros(4))
    with pytest.raises(TypeError, match="tensor of logits"):
        nonsaturating_g_loss([0.0, 1.0])


class Linear:
    """f(x) = <w, x> on flattened samples: its gradient is w everywhere."""

    def __init__(self, w):
        self.w = w

    def __call__(self, x):
        return x.reshape(x.shape[0], -1) @ self.w


def test_gradient_penalty_of_a_linear_critic_is_known():
    w = torch.tensor([3.0, 4.0], requires_grad=True)  # ‖w‖ = 5
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    gp, norms = gradient_penalty(Linear(w), real, fake, return_norms=True)
    assert float(gp.detach()) == pytest.approx((5 - 1) ** 2)
    assert torch.allclose(norms, torch.full((16,), 5.0))
    # create_graph=True: the penalty is differentiable w.r.t. the critic's weights
    gp.backward()
    assert torch.allclose(w.grad, 2 * (5 - 1) * w.detach() / 5)


def test_gradient_penalty_is_zero_for_a_unit_norm_gradient():
    u = torch.randn(1, 3, 4, 4)
    u = (u / u.norm()).flatten()
    gp = gradient_penalty(Linear(u), torch.randn(8, 1, 3, 4, 4)[:, 0], torch.randn(8, 3, 4, 4))
    assert float(gp) == pytest.approx(0.0, abs=1e-10)


def test_gradient_norm_is_over_each_samples_whole_image():
    # for an image critic f(x) = sum(W ⊙ x), each sample's gradient is W: norm ‖W‖_F.
    # A norm over dim=1 only (channels) would give per-pixel norms instead.
    W = torch.randn(3, 8, 8)
    critic = Linear(W.flatten())
    _, norms = gradient_penalty(critic, torch.randn(5, 3, 8, 8), torch.randn(5, 3, 8, 8),
                                return_norms=True)
    assert torch.allclose(norms, torch.full((5,), float(W.norm())), rtol=1e-5)


def test_alpha_is_uniform_and_drawn_once_per_sample():
    n = 20_000
    real, fake = torch.ones(n, 2, 3), torch.zeros(n, 2, 3)
    x = interpolate(real, fake, generator=torch.Generator().manual_seed(0))
    alpha = x[:, 0, 0]
    # one α per sample, shared by all of its coordinates
    assert torch.equal(x, alpha[:, None, None].expand_as(x))
    assert 0 <= float(alpha.min()) and float(alpha.max()) <= 1
    assert float(alpha.mean()) == pytest.approx(0.5, abs=0.01)
    assert float(alpha.var()) == pytest.approx(1 / 12, abs=0.003)  # N(0,1) would give 1
    assert len(alpha.unique()) > n * 0.99


def test_gradient_penalty_detaches_its_inputs_and_checks_shapes():
    w = torch.tensor([1.0, 0.0], requires_grad=True)
    fake = torch.randn(4, 2, requires_grad=True)
    gp = gradient_penalty(Linear(w), torch.randn(4, 2), fake * 2)
    gp.backward()
    assert fake.grad is None  # the penalty trains the critic, never the generator
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(Linear(w), torch.randn(4, 2), torch.randn(3, 2))


def test_alpha_is_drawn_on_the_device_of_its_generator(monkeypatch):
    calls = []
    real_rand = torch.rand

    def spy(*args, **kwargs):
        calls.append(kwargs.get("device"))
        return real_rand(*args, **kwargs)

    monkeypatch.setattr(torch, "rand", spy)
    interpolate(torch.ones(3, 2), torch.zeros(3, 2), generator=torch.Generator())
    interpolate(torch.ones(3, 2), torch.zeros(3, 2))
    assert calls == [torch.device("cpu"), torch.device("cpu")]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gradient_penalty_with_a_cuda_generator():
    g = torch.Generator(device="cuda").manual_seed(0)
    w = torch.tensor([3.0, 4.0], device="cuda", requires_grad=True)
    gp = gradient_penalty(Linear(w), torch.randn(8, 2, device="cuda"),
                          torch.randn(8, 2, device="cuda"), generator=g)
    assert float(gp.detach()) == pytest.approx(16.0)


# ------------------------------------------------------------------------------ R1
def test_r1_penalty_of_a_linear_discriminator_is_its_squared_weight_norm():
    w = torch.tensor([3.0, -4.0, 12.0])  # ‖w‖ = 13 at every sample
    x = torch.randn(8, 3).requires_grad_(True)
    penalty, norms = r1_penalty(x @ w, x, return_norms=True)
    assert float(penalty) == pytest.approx(169.0)
    assert torch.allclose(norms, torch.full((8,), 13.0))


def test_r1_penalty_sums_over_each_samples_whole_image_and_averages_over_the_batch():
    x = torch.randn(4, 2, 3, 3).requires_grad_(True)
    scale = torch.tensor([1.0, 2.0, 3.0, 4.0])
    logits = (x.flatten(1).sum(1)) * scale  # ∇ of sample i: scale_i at each of its 18 pixels
    expected = (18 * scale**2).mean()
    assert float(r1_penalty(logits, x)) == pytest.approx(float(expected))


def test_r1_penalty_is_differentiable_in_the_discriminators_weights():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    x = torch.randn(5, 2).requires_grad_(True)
    r1_penalty(x @ w, x).backward()  # d‖w‖²/dw = 2w
    assert torch.allclose(w.grad, 2 * w.detach())


def test_r1_penalty_needs_an_input_that_requires_grad():
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match="requires_grad"):
        r1_penalty(x.sum(1), x)
