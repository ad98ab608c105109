"""Chapter 6's checks pass on the solutions, fail on the untouched stubs, and fail — naming
the mistake — on each buggy variant from real conditional-GAN code (cGAN inputs, projection
discriminators, AC-GAN's losses, the conditional update and penalty, sample grids)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from _notebook_tasks import notebook_task_functions  # tests/
from torch import nn

from ganlib import conditional, losses
from ganlib.checks import ch06

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOK = ROOT / "exercises" / "solutions" / "06_conditional.ipynb"


# ------------------------------------------------------------------------------ solutions
def one_hot(labels, n_classes):
    return F.one_hot(labels, n_classes).float()


def conditional_input(x, labels, embedding):
    return torch.cat([x.flatten(1), embedding(labels)], dim=1)


def projection_logits(features, labels, embedding, psi):
    return psi(features).squeeze(1) + (embedding(labels) * features).sum(1)


def acgan_d_loss(real_logits, fake_logits, real_class_logits, fake_class_logits,
                 real_labels, fake_labels, aux_weight=1.0):
    gan = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
           + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    classes = (F.cross_entropy(real_class_logits, real_labels)
               + F.cross_entropy(fake_class_logits, fake_labels))
    return gan + aux_weight * classes


def acgan_g_loss(fake_logits, fake_class_logits, fake_labels, aux_weight=1.0):
    gan = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    return gan + aux_weight * F.cross_entropy(fake_class_logits, fake_labels)


def discriminator_loss_with_labels(D, real, real_labels, fake, fake_labels):
    real_logits = D(real, real_labels)
    fake_logits = D(fake.detach(), fake_labels)
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def conditional_gradient_penalty(critic, real, fake, labels):
    alpha = torch.rand(real.shape[0], *([1] * (real.ndim - 1)))
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat, labels).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def style_grid_inputs(z_rows, n_classes):
    z = z_rows.repeat_interleave(n_classes, dim=0)
    labels = torch.arange(n_classes, device=z_rows.device).repeat(len(z_rows))
    return z, labels


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# ------------------------------------------------------- other correct ways to write them
def one_hot_eye(labels, n_classes):
    return torch.eye(n_classes)[labels]


def one_hot_scatter(labels, n_classes):
    return torch.zeros(len(labels), n_classes).scatter_(1, labels.unsqueeze(1), 1.0)


def conditional_input_weight_rows(x, labels, embedding):
    """embedding.weight[labels] is the same lookup; x.view(len(x), -1) the same flattening."""
    return torch.cat((x.view(len(x), -1), embedding.weight[labels]), -1)


def projection_logits_ganlib_style(features, labels, embedding, psi):
    """torch.einsum and psi(...).flatten(), as some implementations write it."""
    return psi(features).flatten() + torch.einsum("nf,nf->n", embedding(labels), features)


def projection_logits_bmm(features, labels, embedding, psi):
    """A batched matrix product (N, 1, F) @ (N, F, 1): SNGAN's code's form."""
    proj = torch.bmm(embedding(labels).unsqueeze(1), features.unsqueeze(2)).view(-1)
    return psi(features).view(-1) + proj


def acgan_d_loss_ganlib(real_logits, fake_logits, real_class_logits, fake_class_logits,
                        real_labels, fake_labels, aux_weight=1.0):
    return conditional.acgan_d_loss(real_logits, fake_logits, real_class_logits,
                                     fake_class_logits, real_labels, fake_labels,
                                     aux_weight=aux_weight)


def acgan_g_loss_ganlib(fake_logits, fake_class_logits, fake_labels, aux_weight=1.0):
    return conditional.acgan_g_loss(fake_logits, fake_class_logits, fake_labels,
                                    aux_weight=aux_weight)


def acgan_d_loss_softplus(real_logits, fake_logits, real_class_logits, fake_class_logits,
                          real_labels, fake_labels, aux_weight=1.0):
    """softplus and log_softmax by hand."""
    ce_real = -real_class_logits.log_softmax(1).gather(1, real_labels[:, None]).mean()
    ce_fake = -fake_class_logits.log_softmax(1).gather(1, fake_labels[:, None]).mean()
    return (F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
            + aux_weight * (ce_real + ce_fake))


def discriminator_loss_pooled_call(D, real, real_labels, fake, fake_labels):
    """One call of D on the real and fake samples together, then two means."""
    logits = D(torch.cat([real, fake.detach()]), torch.cat([real_labels, fake_labels]))
    n = len(real)
    return losses.minimax_d_loss(logits[:n], logits[n:])  # D's half of both losses


def conditional_gradient_penalty_ganlib(critic, real, fake, labels):
    return losses.gradient_penalty(lambda x: critic(x, labels), real, fake)


def style_grid_inputs_expand(z_rows, n_classes):
    r, d = z_rows.shape
    z = z_rows[:, None, :].expand(r, n_classes, d).reshape(-1, d)
    return z, conditional.class_grid_labels(r, n_classes)


# ---------------------------------------------------------------------- the mistakes
def one_hot_width_from_batch(labels, n_classes):  # F.one_hot guesses K from the batch
    return F.one_hot(labels).float()


def one_hot_ints(labels, n_classes):  # F.one_hot returns torch.long
    return F.one_hot(labels, n_classes)


def one_hot_bool(labels, n_classes):
    return labels[:, None] == torch.arange(n_classes)


def one_hot_ten(labels, n_classes):  # MNIST's 10 hard-coded
    return F.one_hot(labels, 10).float()


def one_hot_transposed(labels, n_classes):
    return F.one_hot(labels, n_classes).float().T


def one_hot_one_based(labels, n_classes):  # labels taken for 1, …, K
    return torch.eye(n_classes)[labels - 1]


def one_hot_squeezed(labels, n_classes):
    return F.one_hot(labels, n_classes).float().squeeze()


def input_label_column(x, labels, embedding):  # the label appended as a number
    return torch.cat([x.flatten(1), labels.float().unsqueeze(1)], dim=1)


def input_one_hot(x, labels, embedding):  # the one-hot vector, the embedding unused
    return torch.cat([x.flatten(1), F.one_hot(labels, embedding.num_embeddings).float()], 1)


def input_dim0(x, labels, embedding):
    return torch.cat([x.flatten(1), embedding(labels)], dim=0)


def input_not_flattened(x, labels, embedding):
    return torch.cat([x, embedding(labels)], dim=1)


def input_flattened_batch(x, labels, embedding):
    return torch.cat([x.flatten(), embedding(labels).flatten()])


def input_embedding_first(x, labels, embedding):
    return torch.cat([embedding(labels), x.flatten(1)], dim=1)


def input_sorted_labels(x, labels, embedding):  # labels sorted somewhere on the way
    return torch.cat([x.flatten(1), embedding(labels.sort().values)], dim=1)


def input_rolled_labels(x, labels, embedding):
    return torch.cat([x.flatten(1), embedding(labels.roll(1))], dim=1)


def input_shuffled_x(x, labels, embedding):  # x shuffled, the labels not
    return torch.cat([x.flatten(1).roll(1, 0), embedding(labels)], dim=1)


def input_detached_embedding(x, labels, embedding):  # the embedding never learns
    return torch.cat([x.flatten(1), embedding(labels).detach()], dim=1)


def input_weight_data(x, labels, embedding):
    return torch.cat([x.flatten(1), embedding.weight.data[labels]], dim=1)


def input_detached_x(x, labels, embedding):  # in D: no gradient to the generator
    return torch.cat([x.detach().flatten(1), embedding(labels)], dim=1)


def input_image_unpacking(x, labels, embedding):  # works for images only
    n, c, h, w = x.shape
    return torch.cat([x.view(n, c * h * w), embedding(labels)], dim=1)


def _psi(features, psi):
    return psi(features).squeeze(1)


def proj_sign(features, labels, embedding, psi):
    return _psi(features, psi) - (embedding(labels) * features).sum(1)


def proj_no_psi(features, labels, embedding, psi):
    return (embedding(labels) * features).sum(1)


def proj_no_projection(features, labels, embedding, psi):
    return _psi(features, psi)


def proj_mean(features, labels, embedding, psi):
    return _psi(features, psi) + (embedding(labels) * features).mean(1)


def proj_sum_batch(features, labels, embedding, psi):
    return _psi(features, psi) + (embedding(labels) * features).sum(0)


def proj_matmul_sum(features, labels, embedding, psi):
    return _psi(features, psi) + (embedding(labels) @ features.T).sum(1)


def proj_broadcast(features, labels, embedding, psi):  # (N, 1) + (N,) → (N, N)
    return psi(features) + (embedding(labels) * features).sum(1)


def proj_column(features, labels, embedding, psi):  # (N, 1)
    return psi(features) + (embedding(labels) * features).sum(1, keepdim=True)


def proj_squeeze_all(features, labels, embedding, psi):  # a batch of one gives ()
    return (psi(features) + (embedding(labels) * features).sum(1, keepdim=True)).squeeze()


def proj_every_class(features, labels, embedding, psi):  # (N, K): every class's projection
    return psi(features) + features @ embedding.weight.T


def proj_rolled_labels(features, labels, embedding, psi):
    return _psi(features, psi) + (embedding(labels.roll(1)) * features).sum(1)


def proj_first_rows(features, labels, embedding, psi):  # labels ignored
    return _psi(features, psi) + (embedding.weight[:len(features)] * features).sum(1)


def proj_added_before_psi(features, labels, embedding, psi):
    return psi(features + embedding(labels)).squeeze(1)


def proj_sigmoid(features, labels, embedding, psi):
    return torch.sigmoid(projection_logits(features, labels, embedding, psi))


def proj_detached_embedding(features, labels, embedding, psi):
    return _psi(features, psi) + (embedding(labels).detach() * features).sum(1)


def _gan_d(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def acgan_d_real_only(rl, fl, rc, fc, ry, fy, aux_weight=1.0):  # as some implementations do
    return _gan_d(rl, fl) + aux_weight * F.cross_entropy(rc, ry)


def acgan_d_fake_only(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + aux_weight * F.cross_entropy(fc, fy)


def acgan_d_labels_crossed(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + aux_weight * (F.cross_entropy(rc, fy) + F.cross_entropy(fc, ry))


def acgan_d_softmax(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + aux_weight * (F.cross_entropy(rc.softmax(1), ry)
                                          + F.cross_entropy(fc.softmax(1), fy))


def acgan_d_nll_on_logits(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + aux_weight * (F.nll_loss(rc, ry) + F.nll_loss(fc, fy))


def acgan_d_weight_ignored(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy)


def acgan_d_weight_on_gan(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return aux_weight * _gan_d(rl, fl) + F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy)


def acgan_d_pooled(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + aux_weight * F.cross_entropy(torch.cat([rc, fc]),
                                                         torch.cat([ry, fy]))


def acgan_d_swapped(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(fl, rl) + aux_weight * (F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy))


def acgan_d_class_sign(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) - aux_weight * (F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy))


def acgan_d_halved_class_term(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + aux_weight * (F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy)) / 2


def acgan_d_weight_on_fakes_only(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + F.cross_entropy(rc, ry) + aux_weight * F.cross_entropy(fc, fy)


def acgan_d_weight_on_real_only(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return _gan_d(rl, fl) + aux_weight * F.cross_entropy(rc, ry) + F.cross_entropy(fc, fy)


def acgan_d_detached_fake_classes(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return acgan_d_loss(rl, fl, rc, fc.detach(), ry, fy, aux_weight)


def acgan_d_item(rl, fl, rc, fc, ry, fy, aux_weight=1.0):
    return torch.tensor(acgan_d_loss(rl, fl, rc, fc, ry, fy, aux_weight).item())


def acgan_g_no_class_loss(fl, fc, fy, aux_weight=1.0):
    return F.softplus(-fl).mean()


def acgan_g_class_sign(fl, fc, fy, aux_weight=1.0):  # G makes the classifier wrong
    return F.softplus(-fl).mean() - aux_weight * F.cross_entropy(fc, fy)


def acgan_g_saturating(fl, fc, fy, aux_weight=1.0):
    return -F.softplus(fl).mean() + aux_weight * F.cross_entropy(fc, fy)


def acgan_g_fake_target(fl, fc, fy, aux_weight=1.0):  # D's target for the fakes, copied
    return (F.binary_cross_entropy_with_logits(fl, torch.zeros_like(fl))
            + aux_weight * F.cross_entropy(fc, fy))


def acgan_g_softmax(fl, fc, fy, aux_weight=1.0):
    return F.softplus(-fl).mean() + aux_weight * F.cross_entropy(F.softmax(fc, dim=1), fy)


def acgan_g_weight_ignored(fl, fc, fy, aux_weight=1.0):
    return F.softplus(-fl).mean() + F.cross_entropy(fc, fy)


def acgan_g_predicted_targets(fl, fc, fy, aux_weight=1.0):
    return F.softplus(-fl).mean() + aux_weight * F.cross_entropy(fc, fc.argmax(1))


def acgan_g_detached_classes(fl, fc, fy, aux_weight=1.0):
    return F.softplus(-fl).mean() + aux_weight * F.cross_entropy(fc.detach(), fy)


def _bce(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def dl_fakes_real_labels(D, real, real_labels, fake, fake_labels):
    return _bce(D(real, real_labels), D(fake.detach(), real_labels))


def dl_fakes_class_zero(D, real, real_labels, fake, fake_labels):
    return _bce(D(real, real_labels), D(fake.detach(), torch.zeros_like(fake_labels)))


def dl_labels_swapped(D, real, real_labels, fake, fake_labels):
    return _bce(D(real, fake_labels), D(fake.detach(), real_labels))


def dl_not_detached(D, real, real_labels, fake, fake_labels):
    return _bce(D(real, real_labels), D(fake, fake_labels))


def dl_no_grad_fakes(D, real, real_labels, fake, fake_labels):
    with torch.no_grad():
        fake_logits = D(fake, fake_labels)
    return _bce(D(real, real_labels), fake_logits)


def dl_real_fake_swapped(D, real, real_labels, fake, fake_labels):
    return _bce(D(fake.detach(), fake_labels), D(real, real_labels))


def dl_halved(D, real, real_labels, fake, fake_labels):  # (real + fake) / 2
    return _bce(D(real, real_labels), D(fake.detach(), fake_labels)) / 2


def dl_summed(D, real, real_labels, fake, fake_labels):
    r, f = D(real, real_labels), D(fake.detach(), fake_labels)
    return F.softplus(-r).sum() + F.softplus(f).sum()


def dl_sigmoid(D, real, real_labels, fake, fake_labels):
    return _bce(torch.sigmoid(D(real, real_labels)), torch.sigmoid(D(fake.detach(), fake_labels)))


def dl_unconditional_call(D, real, real_labels, fake, fake_labels):  # D(x), labels forgotten
    return _bce(D(real), D(fake.detach()))


def dl_arguments_swapped(D, real, real_labels, fake, fake_labels):
    return _bce(D(real_labels, real), D(fake_labels, fake.detach()))


def dl_one_hot(D, real, real_labels, fake, fake_labels):
    return _bce(D(real, F.one_hot(real_labels, 4)), D(fake.detach(), F.one_hot(fake_labels, 4)))


def _alpha(r):
    return torch.rand(len(r), *([1] * (r.ndim - 1)))


def _penalty_at(critic, x_hat, labels):
    (grad,) = torch.autograd.grad(critic(x_hat, labels).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def _interpolates(real, fake):
    alpha = _alpha(real)
    return (alpha * real + (1 - alpha) * fake).requires_grad_(True)


def cgp_labels_interpolated(critic, real, fake, labels):
    alpha = _alpha(real)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    a = alpha.reshape(-1)
    return _penalty_at(critic, x_hat, a * labels + (1 - a) * labels)


def cgp_labels_shuffled(critic, real, fake, labels):
    return _penalty_at(critic, _interpolates(real, fake), labels[torch.randperm(len(labels))])


def cgp_labels_sorted(critic, real, fake, labels):
    return _penalty_at(critic, _interpolates(real, fake), labels.sort().values)


def cgp_random_labels(critic, real, fake, labels):
    return _penalty_at(critic, _interpolates(real, fake),
                       torch.randint(int(labels.max()) + 1, labels.shape))


def cgp_class_zero(critic, real, fake, labels):
    return _penalty_at(critic, _interpolates(real, fake), torch.zeros_like(labels))


def cgp_one_hot(critic, real, fake, labels):
    return _penalty_at(critic, _interpolates(real, fake), F.one_hot(labels))


def cgp_no_labels(critic, real, fake, labels):
    x_hat = _interpolates(real, fake)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def cgp_alpha_per_batch(critic, real, fake, labels):
    alpha = torch.rand(1)
    return _penalty_at(critic, (alpha * real + (1 - alpha) * fake).requires_grad_(True), labels)


def cgp_no_create_graph(critic, real, fake, labels):
    x_hat = _interpolates(real, fake)
    (grad,) = torch.autograd.grad(critic(x_hat, labels).sum(), x_hat)
    return ((grad.reshape(len(grad), -1).norm(2, dim=1) - 1) ** 2).mean()


def cgp_alpha_per_entry(critic, real, fake, labels):
    alpha = torch.rand_like(real)
    return _penalty_at(critic, (alpha * real + (1 - alpha) * fake).requires_grad_(True), labels)


def cgp_fake_shuffled(critic, real, fake, labels):  # a real sample paired with another's fake
    fake = fake[torch.randperm(len(fake))]
    return _penalty_at(critic, _interpolates(real, fake), labels)


def grid_tiled_noise(z_rows, n_classes):  # .repeat: every row mixes styles
    return z_rows.repeat(n_classes, 1), torch.arange(n_classes).repeat(len(z_rows))


def grid_grouped_labels(z_rows, n_classes):  # repeat_interleave: columns mix classes
    return (z_rows.repeat_interleave(n_classes, dim=0),
            torch.arange(n_classes).repeat_interleave(len(z_rows)))


def grid_transposed(z_rows, n_classes):
    return z_rows.repeat(n_classes, 1), torch.arange(n_classes).repeat_interleave(len(z_rows))


def grid_noise_not_repeated(z_rows, n_classes):
    return z_rows, torch.arange(n_classes).repeat(len(z_rows))


def grid_flat_noise(z_rows, n_classes):  # repeat_interleave without dim
    return z_rows.repeat_interleave(n_classes), torch.arange(n_classes).repeat(len(z_rows))


def grid_fresh_noise(z_rows, n_classes):
    r, d = z_rows.shape
    return (torch.randn(r, d).repeat_interleave(n_classes, dim=0),
            torch.arange(n_classes).repeat(r))


def grid_float_labels(z_rows, n_classes):
    return (z_rows.repeat_interleave(n_classes, dim=0),
            torch.arange(n_classes).repeat(len(z_rows)).float())


def grid_2d_labels(z_rows, n_classes):
    return (z_rows.repeat_interleave(n_classes, dim=0),
            torch.arange(n_classes).repeat(len(z_rows), 1))


def grid_ten_classes(z_rows, n_classes):
    return z_rows.repeat_interleave(10, dim=0), torch.arange(10).repeat(len(z_rows))


def grid_labels_by_row(z_rows, n_classes):  # arange(R·K) // R: the same as grouped labels
    r = len(z_rows)
    return z_rows.repeat_interleave(n_classes, dim=0), torch.arange(r * n_classes) // r


# --------------------------------------------------------------------------- the tests
SOLUTIONS = [
    (ch06.check_one_hot, one_hot),
    (ch06.check_one_hot, one_hot_eye),
    (ch06.check_one_hot, one_hot_scatter),
    (ch06.check_conditional_input, conditional_input),
    (ch06.check_conditional_input, conditional_input_weight_rows),
    (ch06.check_projection_logits, projection_logits),
    (ch06.check_projection_logits, projection_logits_ganlib_style),
    (ch06.check_projection_logits, projection_logits_bmm),
    (ch06.check_acgan_d_loss, acgan_d_loss),
    (ch06.check_acgan_d_loss, acgan_d_loss_ganlib),
    (ch06.check_acgan_d_loss, acgan_d_loss_softplus),
    (ch06.check_acgan_g_loss, acgan_g_loss),
    (ch06.check_acgan_g_loss, acgan_g_loss_ganlib),
    (ch06.check_discriminator_loss, discriminator_loss_with_labels),
    (ch06.check_discriminator_loss, discriminator_loss_pooled_call),
    (ch06.check_conditional_gradient_penalty, conditional_gradient_penalty),
    (ch06.check_conditional_gradient_penalty, conditional_gradient_penalty_ganlib),
    (ch06.check_style_grid_inputs, style_grid_inputs),
    (ch06.check_style_grid_inputs, style_grid_inputs_expand),
]


@pytest.mark.parametrize("check, solution", SOLUTIONS, ids=lambda x: x.__name__)
def test_checks_pass_on_solutions(check, solution):
    result = check(solution, print_result=False)
    assert result, result.message
    assert result.message.startswith("✅")


CHECKS = [ch06.check_one_hot, ch06.check_conditional_input, ch06.check_projection_logits,
          ch06.check_acgan_d_loss, ch06.check_acgan_g_loss, ch06.check_discriminator_loss,
          ch06.check_conditional_gradient_penalty, ch06.check_style_grid_inputs]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_checks_fail_on_the_stub(check):
    result = check(stub, print_result=False)
    assert not result
    assert "not implemented yet" in result.message


MISTAKES = [
    (ch06.check_one_hot, one_hot_width_from_batch, "without num_classes"),
    (ch06.check_one_hot, one_hot_ints, "not floats"),
    (ch06.check_one_hot, one_hot_bool, "torch.bool"),
    (ch06.check_one_hot, one_hot_ten, "hard-coded"),
    (ch06.check_one_hot, one_hot_transposed, "transpose"),
    (ch06.check_one_hot, one_hot_one_based, "mark the classes"),
    (ch06.check_one_hot, one_hot_squeezed, "batch of one"),
    (ch06.check_conditional_input, input_label_column, "appended as one number"),
    (ch06.check_conditional_input, input_one_hot, "one-hot labels"),
    (ch06.check_conditional_input, input_dim0, "dim 0"),
    (ch06.check_conditional_input, input_not_flattened, "without being flattened"),
    (ch06.check_conditional_input, input_flattened_batch, "batch dimension too"),
    (ch06.check_conditional_input, input_embedding_first, "embedding comes first"),
    (ch06.check_conditional_input, input_sorted_labels, "sorted labels"),
    (ch06.check_conditional_input, input_rolled_labels, "other labels"),
    (ch06.check_conditional_input, input_shuffled_x, "not in the labels' order"),
    (ch06.check_conditional_input, input_detached_embedding, "embedding's weights"),
    (ch06.check_conditional_input, input_weight_data, "embedding's weights"),
    (ch06.check_conditional_input, input_detached_x, "flows back to x"),
    (ch06.check_conditional_input, input_image_unpacking, "points x (6, 2)"),
    (ch06.check_projection_logits, proj_sign, "wrong sign"),
    (ch06.check_projection_logits, proj_no_psi, "ψ(φ(x)) term is missing"),
    (ch06.check_projection_logits, proj_no_projection, "do not depend on the label"),
    (ch06.check_projection_logits, proj_mean, "averaged over the features"),
    (ch06.check_projection_logits, proj_sum_batch, "over the batch (dim 0)"),
    (ch06.check_projection_logits, proj_matmul_sum, "every sample's features"),
    (ch06.check_projection_logits, proj_broadcast, "broadcasts to an N × N matrix"),
    (ch06.check_projection_logits, proj_column, "ψ returns (N, 1)"),
    (ch06.check_projection_logits, proj_squeeze_all, "when N = 1"),
    (ch06.check_projection_logits, proj_every_class, "every class's embedding"),
    (ch06.check_projection_logits, proj_rolled_labels, "another sample's label"),
    (ch06.check_projection_logits, proj_first_rows, "first N rows"),
    (ch06.check_projection_logits, proj_added_before_psi, "before ψ"),
    (ch06.check_projection_logits, proj_sigmoid, "sigmoid"),
    (ch06.check_projection_logits, proj_detached_embedding, "the embedding"),
    (ch06.check_acgan_d_loss, acgan_d_real_only, "real batch only"),
    (ch06.check_acgan_d_loss, acgan_d_fake_only, "fakes only"),
    (ch06.check_acgan_d_loss, acgan_d_labels_crossed, "labels of the other"),
    (ch06.check_acgan_d_loss, acgan_d_softmax, "softmax before"),
    (ch06.check_acgan_d_loss, acgan_d_nll_on_logits, "nll_loss"),
    (ch06.check_acgan_d_loss, acgan_d_weight_ignored, "aux_weight is ignored"),
    (ch06.check_acgan_d_loss, acgan_d_weight_on_gan, "multiplies the GAN term"),
    (ch06.check_acgan_d_loss, acgan_d_pooled, "pooled"),
    (ch06.check_acgan_d_loss, acgan_d_halved_class_term, "class term is halved"),
    (ch06.check_acgan_d_loss, acgan_d_weight_on_fakes_only, "only the fakes' cross-entropy"),
    (ch06.check_acgan_d_loss, acgan_d_weight_on_real_only, "only the real batch's"),
    (ch06.check_acgan_d_loss, acgan_d_swapped, "real and fake swapped"),
    (ch06.check_acgan_d_loss, acgan_d_class_sign, "wrong sign"),
    (ch06.check_acgan_d_loss, acgan_d_detached_fake_classes, "fake class logits"),
    (ch06.check_acgan_d_loss, acgan_d_item, "no gradient"),
    (ch06.check_acgan_g_loss, acgan_g_no_class_loss, "class loss is missing"),
    (ch06.check_acgan_g_loss, acgan_g_class_sign, "*wrong*"),
    (ch06.check_acgan_g_loss, acgan_g_saturating, "saturating"),
    (ch06.check_acgan_g_loss, acgan_g_fake_target, "G would help D"),
    (ch06.check_acgan_g_loss, acgan_g_softmax, "softmax before"),
    (ch06.check_acgan_g_loss, acgan_g_weight_ignored, "aux_weight is ignored"),
    (ch06.check_acgan_g_loss, acgan_g_predicted_targets, "own predictions"),
    (ch06.check_acgan_g_loss, acgan_g_detached_classes, "fake class logits"),
    (ch06.check_discriminator_loss, dl_fakes_real_labels, "real batch's labels"),
    (ch06.check_discriminator_loss, dl_fakes_class_zero, "class 0"),
    (ch06.check_discriminator_loss, dl_labels_swapped, "labels are swapped"),
    (ch06.check_discriminator_loss, dl_not_detached, "not detached"),
    (ch06.check_discriminator_loss, dl_no_grad_fakes, "torch.no_grad()"),
    (ch06.check_discriminator_loss, dl_real_fake_swapped, "swapped"),
    (ch06.check_discriminator_loss, dl_halved, "half"),
    (ch06.check_discriminator_loss, dl_summed, "summed"),
    (ch06.check_discriminator_loss, dl_sigmoid, "σ is applied twice"),
    (ch06.check_discriminator_loss, dl_unconditional_call, "without labels"),
    (ch06.check_discriminator_loss, dl_arguments_swapped, "D(labels, x)"),
    (ch06.check_discriminator_loss, dl_one_hot, "one-hot"),
    (ch06.check_conditional_gradient_penalty, cgp_labels_interpolated, "interpolate them"),
    (ch06.check_conditional_gradient_penalty, cgp_labels_shuffled, "shuffled"),
    (ch06.check_conditional_gradient_penalty, cgp_labels_sorted, "sorted"),
    (ch06.check_conditional_gradient_penalty, cgp_random_labels, "random ones"),
    (ch06.check_conditional_gradient_penalty, cgp_class_zero, "class 0"),
    (ch06.check_conditional_gradient_penalty, cgp_one_hot, "one-hot"),
    (ch06.check_conditional_gradient_penalty, cgp_no_labels, "without labels"),
    (ch06.check_conditional_gradient_penalty, cgp_alpha_per_batch, "whole batch"),
    (ch06.check_conditional_gradient_penalty, cgp_no_create_graph, "create_graph"),
    (ch06.check_conditional_gradient_penalty, cgp_alpha_per_entry, "one α per number"),
    (ch06.check_conditional_gradient_penalty, cgp_fake_shuffled, "segment"),
    (ch06.check_style_grid_inputs, grid_tiled_noise, "mixes styles"),
    (ch06.check_style_grid_inputs, grid_grouped_labels, "columns mix classes"),
    (ch06.check_style_grid_inputs, grid_labels_by_row, "columns mix classes"),
    (ch06.check_style_grid_inputs, grid_transposed, "transposed"),
    (ch06.check_style_grid_inputs, grid_noise_not_repeated, "not one per image"),
    (ch06.check_style_grid_inputs, grid_flat_noise, "without dim"),
    (ch06.check_style_grid_inputs, grid_fresh_noise, "new noise"),
    (ch06.check_style_grid_inputs, grid_float_labels, "torch.float32"),
    (ch06.check_style_grid_inputs, grid_2d_labels, "in one dimension"),
    (ch06.check_style_grid_inputs, grid_ten_classes, "hard-coded"),
]


@pytest.mark.parametrize("check, mistake, words", MISTAKES,
                         ids=[mistake.__name__ for _, mistake, _ in MISTAKES])
def test_checks_name_each_mistake(check, mistake, words):
    result = check(mistake, print_result=False)
    assert not result, f"{mistake} passed"
    assert result.message.startswith("❌")
    assert words in result.message, result.message


def test_every_check_has_a_catalogue_of_mistakes():
    counts = {c: sum(1 for check, _, _ in MISTAKES if check is c) for c in CHECKS}
    assert min(counts.values()) >= 6, counts


def test_checks_leave_the_global_random_state_alone():
    state = torch.get_rng_state()
    for check, solution in SOLUTIONS:
        check(solution, print_result=False)
    assert torch.equal(state, torch.get_rng_state())


def test_a_check_prints_one_line(capsys):
    ch06.check_projection_logits(projection_logits)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✅ projection_logits: correct")


# ---------------------------------------------------------- the solution notebook
NOTEBOOK_TASKS = {
    "one_hot": ch06.check_one_hot,
    "conditional_input": ch06.check_conditional_input,
    "projection_logits": ch06.check_projection_logits,
    "acgan_d_loss": ch06.check_acgan_d_loss,
    "acgan_g_loss": ch06.check_acgan_g_loss,
    "discriminator_loss_with_labels": ch06.check_discriminator_loss,
    "conditional_gradient_penalty": ch06.check_conditional_gradient_penalty,
    "style_grid_inputs": ch06.check_style_grid_inputs,
}


def _notebook_functions(stubbed: bool) -> dict:
    """Execute the task cells of the solution notebook; optionally as the student gets them."""
    namespace: dict = {"torch": torch, "F": F, "nn": nn}
    return notebook_task_functions(SOLUTION_NOTEBOOK, namespace, 6, stubbed)


@pytest.mark.parametrize("name", NOTEBOOK_TASKS)
def test_the_notebook_solution_passes_and_its_stub_fails(name):
    check = NOTEBOOK_TASKS[name]
    assert check(_notebook_functions(stubbed=False)[name], print_result=False)
    result = check(_notebook_functions(stubbed=True)[name], print_result=False)
    assert not result and "not implemented yet" in result.message
