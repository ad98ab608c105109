"""Chapter 5's checks pass on the solutions, fail on the untouched stubs, and fail — naming
the mistake — on each buggy variant from real WGAN and WGAN-GP code."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from _notebook_tasks import notebook_task_functions  # tests/
from torch import nn

from ganlib import losses
from ganlib.checks import ch05
from ganlib.models import DCGANCritic, DCGANDiscriminator

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOK = ROOT / "exercises" / "solutions" / "05_wgan_gp.ipynb"

# Two of the mistakes below make PyTorch warn (which is part of why they are mistakes).
pytestmark = [
    pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True"),
    pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True"),
]


# ------------------------------------------------------------------------------ solutions
def critic_loss(real_scores, fake_scores):
    return fake_scores.mean() - real_scores.mean()


def generator_loss(fake_scores):
    return -fake_scores.mean()


def clip_weights(critic, c):
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)


def gradient_penalty(critic, real, fake):
    alpha = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norms = grad.reshape(grad.shape[0], -1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()


def build_critic(width=16):
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.GroupNorm(1, 2 * width), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * width, 1, 7), nn.Flatten(0),
    )


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# ------------------------------------------------------- other correct ways to write them
def clip_weights_data(critic, c):
    """The original WGAN code: p.data.clamp_(-c, c)."""
    for p in critic.parameters():
        p.data.clamp_(-c, c)
    return critic


def gradient_penalty_ganlib(critic, real, fake):
    return losses.gradient_penalty(critic, real, fake)


def gradient_penalty_grad_outputs(critic, real, fake):
    """grad_outputs=ones instead of out.sum(); x̂ = fake + α (real − fake); view(N, -1)."""
    alpha = torch.rand(len(real), *([1] * (real.ndim - 1)))
    x_hat = fake + alpha * (real - fake)
    x_hat.requires_grad_(True)
    out = critic(x_hat)
    grad = torch.autograd.grad(out, x_hat, grad_outputs=torch.ones_like(out),
                               create_graph=True, retain_graph=True)[0]
    return ((grad.view(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def build_critic_ganlib(width=16):
    return DCGANCritic(width=width)


def build_critic_layernorm(width=16):
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LayerNorm([2 * width, 7, 7]),
        nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * width * 49, 1), nn.Flatten(0),
    )


# ---------------------------------------------------------------------- the mistakes
def critic_loss_sign(real_scores, fake_scores):
    return real_scores.mean() - fake_scores.mean()


def critic_loss_bce(real_scores, fake_scores):
    return losses.minimax_d_loss(real_scores, fake_scores)


def critic_loss_sigmoid(real_scores, fake_scores):
    return torch.sigmoid(fake_scores).mean() - torch.sigmoid(real_scores).mean()


def critic_loss_item(real_scores, fake_scores):
    return torch.tensor((fake_scores.mean() - real_scores.mean()).item())


def critic_loss_pooled(real_scores, fake_scores):
    return torch.cat([fake_scores, -real_scores]).mean()


def generator_loss_sign(fake_scores):
    return fake_scores.mean()


def generator_loss_nonsaturating(fake_scores):
    return F.softplus(-fake_scores).mean()


def clip_gradients(critic, c):
    torch.nn.utils.clip_grad_value_(critic.parameters(), c)


def clip_gradients_by_hand(critic, c):
    for p in critic.parameters():
        p.grad.clamp_(-c, c)


def clip_rebinding(critic, c):
    for p in critic.parameters():
        p = p.clamp(-c, c)  # noqa: PLW2901 - the mistake: rebinding the loop variable


def clip_weights_only(critic, c):
    with torch.no_grad():
        for name, p in critic.named_parameters():
            if name.endswith("weight"):
                p.clamp_(-c, c)


def clip_by_rescaling(critic, c):
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(c / p.abs().max())


def clip_copy(critic, c):
    import copy

    clone = copy.deepcopy(critic)
    clip_weights(clone, c)
    return clone


def clip_new_parameters(critic, c):
    for module in critic.modules():
        if isinstance(module, nn.Linear):
            module.weight = nn.Parameter(module.weight.detach().clamp(-c, c))
            module.bias = nn.Parameter(module.bias.detach().clamp(-c, c))


def _penalty_with(alpha_fn=None, norm=None, create_graph=True, reduce="sum", post=None,
                  backward=False):
    """A gradient penalty with one mistake switched on."""

    def penalty(critic, real, fake):
        alpha = (alpha_fn or (lambda r: torch.rand(len(r), *([1] * (r.ndim - 1)))))(real)
        x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        out = critic(x_hat)
        total = out.sum() if reduce == "sum" else out.mean()
        if backward:
            total.backward(create_graph=True)
            grad = x_hat.grad
        else:
            (grad,) = torch.autograd.grad(total, x_hat, create_graph=create_graph)
        norms = (norm or (lambda g: g.reshape(len(g), -1).norm(2, dim=1)))(grad)
        return (post or (lambda n: ((n - 1) ** 2).mean()))(norms)

    return penalty


gp_alpha_normal = _penalty_with(alpha_fn=lambda r: torch.randn(len(r), *([1] * (r.ndim - 1))))
gp_alpha_per_pixel = _penalty_with(alpha_fn=lambda r: torch.rand_like(r))
gp_alpha_per_batch = _penalty_with(alpha_fn=lambda r: torch.rand(1))
gp_alpha_half = _penalty_with(alpha_fn=lambda r: torch.full((len(r),) + (1,) * (r.ndim - 1), .5))
gp_norm_dim1 = _penalty_with(norm=lambda g: g.norm(2, dim=1))
gp_norm_batch = _penalty_with(norm=lambda g: g.norm())
gp_no_create_graph = _penalty_with(create_graph=False)
gp_mean_outputs = _penalty_with(reduce="mean")
gp_squared_norm = _penalty_with(norm=lambda g: g.reshape(len(g), -1).square().sum(1))
gp_one_sided = _penalty_with(post=lambda n: (F.relu(n - 1) ** 2).mean())
gp_not_squared = _penalty_with(post=lambda n: (n - 1).abs().mean())
gp_with_lambda = _penalty_with(post=lambda n: 10 * ((n - 1) ** 2).mean())
gp_summed = _penalty_with(post=lambda n: ((n - 1) ** 2).sum())
gp_backward = _penalty_with(backward=True)


def gp_item(critic, real, fake):
    return torch.tensor(float(gradient_penalty(critic, real, fake)))


def build_critic_batchnorm(width=16):
    return DCGANDiscriminator(width=width, norm="batch")


def build_critic_batchnorm_eps(width=16):
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width, 0.8), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * width, 1, 7), nn.Flatten(0),
    )


def build_critic_sigmoid(width=16):
    return nn.Sequential(build_critic(width), nn.Sigmoid())


def build_critic_wrong_shape(width=16):
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.GroupNorm(1, 2 * width), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * width, 1, 7),
    )


class _BatchCentred(nn.Module):
    """Subtracts the batch mean: couples samples without any BatchNorm module."""

    def __init__(self, width):
        super().__init__()
        self.net = build_critic(width)

    def forward(self, x):
        return self.net(x - x.mean(0, keepdim=True))


def build_critic_batch_coupled(width=16):
    return _BatchCentred(width)


def critic_loss_elementwise(real_scores, fake_scores):  # pairs samples; fails for N ≠ M
    return (fake_scores - real_scores).mean()


def critic_loss_hinge(real_scores, fake_scores):  # SNGAN's hinge loss, left over
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def clip_without_no_grad(critic, c):  # in-place on a leaf that requires grad: an error
    for p in critic.parameters():
        p.clamp_(-c, c)


def clip_hard_coded(critic, c):  # the paper's c = 0.01, whatever c is passed
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-0.01, 0.01)


def clip_bounds_swapped(critic, c):  # clamp(min=c, max=−c): every value becomes −c
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(c, -c)


def clip_upper_only(critic, c):
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(max=c)


def _alpha(r):
    return torch.rand(len(r), *([1] * (r.ndim - 1)))


def gp_fake_missing(critic, real, fake):  # x̂ = α·x: the fake term forgotten
    alpha = _alpha(real)
    x_hat = (alpha * real).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def gp_sign_typo(critic, real, fake):  # fake + α(real + fake): off the segment
    alpha = _alpha(real)
    x_hat = (fake + alpha * (real + fake)).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def gp_at_real(critic, real, fake):  # the gradient at the real samples (R1-like)
    x_hat = real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def gp_alpha_n1(critic, real, fake):  # α of shape (N, 1): right for points, not images
    alpha = torch.rand(len(real), 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def gp_alpha_images_only(critic, real, fake):  # (N, 1, 1, 1): points become (N, 1, N, 2)
    alpha = torch.rand(len(real), 1, 1, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def gp_no_requires_grad(critic, real, fake):
    alpha = _alpha(real)
    x_hat = alpha * real + (1 - alpha) * fake
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


class _Squeezed(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.net = build_critic_wrong_shape(width)

    def forward(self, x):
        return self.net(x).squeeze()  # a batch of one gives shape ()


def build_critic_squeeze(width=16):
    return _Squeezed(width)


def build_critic_dropout(width=16):
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.GroupNorm(1, 2 * width), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * width, 1, 7), nn.Flatten(0),
    )


def build_critic_relu_end(width=16):  # a block's activation copied after the last layer
    return nn.Sequential(build_critic(width), nn.ReLU())


def build_critic_fixed_width(width=16):  # the argument ignored
    return build_critic(64)


# ------------------------------------------------------------- task 5: spectral norm
def _power(W, iters, normalise=True):
    v = torch.randn(W.shape[1], dtype=W.dtype)
    v = v / v.norm()
    u = W @ v
    for _ in range(iters):
        u = W @ v
        u = u / u.norm() if normalise else u
        v = W.T @ u
        v = v / v.norm() if normalise else v
    return u, v


def spectral_norm(weight, iters=50):
    W = weight.detach().reshape(weight.shape[0], -1)
    u, v = _power(W, iters)
    return float(u @ W @ v)


def spectral_norm_svd(weight, iters=50):  # exact: right, if not the method the task teaches
    return float(torch.linalg.svdvals(weight.detach().flatten(1))[0])


def spectral_norm_by_stretch(weight, iters=50):  # σ = ‖W v‖ for the converged unit v
    W = weight.detach().reshape(weight.shape[0], -1)
    _, v = _power(W, iters)
    return float((W @ v).norm())


def sn_frobenius(weight, iters=50):
    return float(weight.norm())


def sn_squared(weight, iters=50):  # the eigenvalue of WᵀW: ‖WᵀW v‖
    W = weight.reshape(weight.shape[0], -1)
    _, v = _power(W, iters)
    return float((W.T @ (W @ v)).norm())


def sn_unnormalised(weight, iters=50):  # the vectors grow like σ^k and overflow
    W = weight.reshape(weight.shape[0], -1)
    u, v = _power(W, iters, normalise=False)
    return float(u @ W @ v / (u.norm() * v.norm()))


def sn_one_round(weight, iters=50):  # iters ignored: one round only
    return spectral_norm(weight, 1)


def sn_fixed_rounds(weight, iters=50):  # a hard-coded number of rounds
    return spectral_norm(weight, 20)


def sn_largest_entry(weight, iters=50):
    return float(weight.abs().max())


def sn_row_sums(weight, iters=50):  # the ∞-norm, an upper bound
    return float(weight.reshape(weight.shape[0], -1).abs().sum(dim=1).max())


def sn_unit_vector(weight, iters=50):  # the norm of v, not the stretch
    W = weight.reshape(weight.shape[0], -1)
    _, v = _power(W, iters)
    return float(v.norm())


def sn_conv_reshaped(weight, iters=50):  # (in·k·k, out) by reshape, not by transposing
    return spectral_norm(weight.reshape(-1, weight.shape[0]), iters)


def sn_first_tap(weight, iters=50):
    return spectral_norm(weight[:, :, 0, 0] if weight.ndim == 4 else weight, iters)


def sn_tensor(weight, iters=50):
    return torch.tensor(spectral_norm(weight, iters))


def sn_normalises_in_place(weight, iters=50):  # spectral normalisation done to the input
    sigma = spectral_norm(weight, iters)
    with torch.no_grad():
        weight.div_(sigma)
    return sigma


def sn_fixed_hundred_rounds(weight, iters=50):  # plenty, except where σ₂ ≈ σ₁
    return spectral_norm(weight, 100)


def sn_per_kernel(weight, iters=50):  # matrix_norm on a 4-D weight: each k × k kernel a matrix
    return float(torch.linalg.matrix_norm(weight, ord=2).max())


def sn_largest_tap(weight, iters=50):
    if weight.ndim == 2:
        return spectral_norm(weight, iters)
    return max(spectral_norm(weight[:, :, i, j], iters)
               for i in range(weight.shape[2]) for j in range(weight.shape[3]))


def sn_transpose_by_reshape(weight, iters=50):  # W.reshape(in, out) taken for Wᵀ
    W = weight.reshape(weight.shape[0], -1)
    v = torch.randn(W.shape[1])
    v = v / v.norm()
    for _ in range(iters):
        u = W @ v
        u = u / u.norm()
        v = W.reshape(W.shape[1], W.shape[0]) @ u
        v = v / v.norm()
    return float(u @ W @ v)


for _name, _fn in list(globals().items()):  # name the generated mistakes for the test ids
    if _name.startswith("gp_") and callable(_fn):
        _fn.__name__ = _name


# --------------------------------------------------------------------------- the tests
SOLUTIONS = [
    (ch05.check_critic_loss, critic_loss),
    (ch05.check_generator_loss, generator_loss),
    (ch05.check_clip_weights, clip_weights),
    (ch05.check_clip_weights, clip_weights_data),
    (ch05.check_gradient_penalty, gradient_penalty),
    (ch05.check_gradient_penalty, gradient_penalty_ganlib),
    (ch05.check_gradient_penalty, gradient_penalty_grad_outputs),
    (ch05.check_critic, build_critic),
    (ch05.check_critic, build_critic_ganlib),
    (ch05.check_critic, build_critic_layernorm),
    (ch05.check_spectral_norm, spectral_norm),
    (ch05.check_spectral_norm, spectral_norm_svd),
    (ch05.check_spectral_norm, spectral_norm_by_stretch),
]


@pytest.mark.parametrize("check, solution", SOLUTIONS, ids=lambda x: x.__name__)
def test_checks_pass_on_solutions(check, solution):
    result = check(solution, print_result=False)
    assert result, result.message
    assert result.message.startswith("✅")


CHECKS = [ch05.check_critic_loss, ch05.check_generator_loss, ch05.check_clip_weights,
          ch05.check_gradient_penalty, ch05.check_critic, ch05.check_spectral_norm]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_checks_fail_on_the_stub(check):
    result = check(stub, print_result=False)
    assert not result
    assert "not implemented yet" in result.message


MISTAKES = [
    (ch05.check_critic_loss, critic_loss_sign, "wrong sign"),
    (ch05.check_critic_loss, critic_loss_bce, "cross-entropy"),
    (ch05.check_critic_loss, critic_loss_sigmoid, "sigmoid"),
    (ch05.check_critic_loss, critic_loss_item, "no gradient"),
    (ch05.check_critic_loss, critic_loss_pooled, "N + M"),
    (ch05.check_generator_loss, generator_loss_sign, "wrong sign"),
    (ch05.check_generator_loss, generator_loss_nonsaturating, "non-saturating"),
    (ch05.check_clip_weights, clip_gradients, "clipped the gradients"),
    (ch05.check_clip_weights, clip_gradients_by_hand, "clipped the gradients"),
    (ch05.check_clip_weights, clip_rebinding, "did not change"),
    (ch05.check_clip_weights, clip_weights_only, "bias"),
    (ch05.check_clip_weights, clip_by_rescaling, "rescaled"),
    (ch05.check_clip_weights, clip_copy, "copy"),
    (ch05.check_clip_weights, clip_new_parameters, "new tensors"),
    (ch05.check_gradient_penalty, gp_alpha_normal, "normal"),
    (ch05.check_gradient_penalty, gp_alpha_per_pixel, "one α per number"),
    (ch05.check_gradient_penalty, gp_alpha_per_batch, "whole batch"),
    (ch05.check_gradient_penalty, gp_alpha_half, "whole batch"),
    (ch05.check_gradient_penalty, gp_norm_dim1, "dim=1"),
    (ch05.check_gradient_penalty, gp_norm_batch, "whole batch's gradient"),
    (ch05.check_gradient_penalty, gp_no_create_graph, "create_graph"),
    (ch05.check_gradient_penalty, gp_item, "create_graph"),
    (ch05.check_gradient_penalty, gp_mean_outputs, "*mean*"),
    (ch05.check_gradient_penalty, gp_squared_norm, "squared norm"),
    (ch05.check_gradient_penalty, gp_one_sided, "one-sided"),
    (ch05.check_gradient_penalty, gp_not_squared, "without squaring"),
    (ch05.check_gradient_penalty, gp_with_lambda, "λ"),
    (ch05.check_gradient_penalty, gp_summed, "summed"),
    (ch05.check_gradient_penalty, gp_backward, "backward()"),
    (ch05.check_critic, build_critic_batchnorm, "BatchNorm2d"),
    (ch05.check_critic, build_critic_batchnorm_eps, "BatchNorm2d"),
    (ch05.check_critic, build_critic_sigmoid, "Sigmoid"),
    (ch05.check_critic, build_critic_wrong_shape, "expected (6,)"),
    (ch05.check_critic, build_critic_batch_coupled, "other digits in its batch"),
    (ch05.check_critic_loss, critic_loss_elementwise, "element by element"),
    (ch05.check_critic_loss, critic_loss_hinge, "hinge"),
    (ch05.check_clip_weights, clip_without_no_grad, "torch.no_grad()"),
    (ch05.check_clip_weights, clip_hard_coded, "0.01"),
    (ch05.check_clip_weights, clip_bounds_swapped, "swapped"),
    (ch05.check_clip_weights, clip_upper_only, "below −c"),
    (ch05.check_gradient_penalty, gp_fake_missing, "fake term"),
    (ch05.check_gradient_penalty, gp_sign_typo, "segment"),
    (ch05.check_gradient_penalty, gp_at_real, "real samples"),
    (ch05.check_gradient_penalty, gp_alpha_n1, "(N, 1, 1, 1)"),
    (ch05.check_gradient_penalty, gp_no_requires_grad, "requires_grad"),
    (ch05.check_gradient_penalty, gp_alpha_images_only, "suits images, not points"),
    (ch05.check_critic, build_critic_squeeze, "batch of one"),
    (ch05.check_critic, build_critic_dropout, "dropout"),
    (ch05.check_critic, build_critic_relu_end, "ReLU"),
    (ch05.check_critic, build_critic_fixed_width, "width"),
    (ch05.check_spectral_norm, sn_frobenius, "Frobenius"),
    (ch05.check_spectral_norm, sn_squared, "σ²"),
    (ch05.check_spectral_norm, sn_unnormalised, "normalise u and v"),
    (ch05.check_spectral_norm, sn_one_round, "`iters` times"),
    (ch05.check_spectral_norm, sn_fixed_rounds, "`iters` times"),
    (ch05.check_spectral_norm, sn_largest_entry, "largest |entry|"),
    (ch05.check_spectral_norm, sn_row_sums, "row sum"),
    (ch05.check_spectral_norm, sn_unit_vector, "normalised vector"),
    (ch05.check_spectral_norm, sn_conv_reshaped, "flattened"),
    (ch05.check_spectral_norm, sn_first_tap, "only one tap"),
    (ch05.check_spectral_norm, sn_tensor, "Python float"),
    (ch05.check_spectral_norm, sn_normalises_in_place, "changed the weight"),
    (ch05.check_spectral_norm, sn_transpose_by_reshape, "W.T"),
    (ch05.check_spectral_norm, sn_fixed_hundred_rounds, "`iters` times"),
    (ch05.check_spectral_norm, sn_per_kernel, "k × k kernels"),
    (ch05.check_spectral_norm, sn_largest_tap, "only one tap"),
]


@pytest.mark.parametrize("check, mistake, words", MISTAKES,
                         ids=[mistake.__name__ for _, mistake, _ in MISTAKES])
def test_checks_name_each_mistake(check, mistake, words):
    result = check(mistake, print_result=False)
    assert not result, f"{mistake} passed"
    assert result.message.startswith("❌")
    assert words in result.message, result.message


def test_checks_leave_the_global_random_state_alone():
    state = torch.get_rng_state()
    for check, solution in SOLUTIONS:
        check(solution, print_result=False)
    assert torch.equal(state, torch.get_rng_state())


def test_a_check_prints_one_line(capsys):
    ch05.check_gradient_penalty(gradient_penalty)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✅ gradient_penalty: correct")


# ---------------------------------------------------------- the solution notebook
NOTEBOOK_TASKS = {
    "critic_loss": ch05.check_critic_loss,
    "generator_loss": ch05.check_generator_loss,
    "clip_weights": ch05.check_clip_weights,
    "gradient_penalty": ch05.check_gradient_penalty,
    "build_critic": ch05.check_critic,
    "spectral_norm": ch05.check_spectral_norm,
}


def _notebook_functions(stubbed: bool) -> dict:
    """Execute the task cells of the solution notebook; optionally as the student gets them."""
    namespace: dict = {"torch": torch, "F": F, "nn": nn, "math": math}
    return notebook_task_functions(SOLUTION_NOTEBOOK, namespace, 5, stubbed)


@pytest.mark.parametrize("name", NOTEBOOK_TASKS)
def test_the_notebook_solution_passes_and_its_stub_fails(name):
    check = NOTEBOOK_TASKS[name]
    assert check(_notebook_functions(stubbed=False)[name], print_result=False)
    result = check(_notebook_functions(stubbed=True)[name], print_result=False)
    assert not result and "not implemented yet" in result.message
