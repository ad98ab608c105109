"""Chapter 1's exercise checks: they pass on the solutions, fail on the untouched stubs,
and fail — with a one-line diagnosis and a hint — on each real mistake catalogued below."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from _notebook_tasks import notebook_task_functions  # tests/

from ganlib.checks import ch01

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_NOTEBOOK = ROOT / "exercises" / "solutions" / "01_minimax.ipynb"


# ------------------------------------------------------------------------- solutions
def value_estimate(real_logits, fake_logits):
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


def optimal_discriminator(p_data, p_g):
    total = p_data + p_g
    return torch.where(total > 0, p_data / total, torch.full_like(total, 0.5))


def saturating_g_loss(fake_logits):
    return -F.softplus(fake_logits).mean()


def nonsaturating_g_loss(fake_logits):
    return F.softplus(-fake_logits).mean()


def stub(*args):
    raise NotImplementedError("replace this line with your code")


# -------------------------------------------------------------- task 1: V(D, G) buggy
def v_swapped_labels(real_logits, fake_logits):
    return -F.softplus(real_logits).mean() - F.softplus(-fake_logits).mean()


def v_log_of_sigmoid(real_logits, fake_logits):
    return (torch.log(torch.sigmoid(real_logits)).mean()
            + torch.log(1 - torch.sigmoid(fake_logits)).mean())


def v_clamped_log(real_logits, fake_logits):
    d_real = torch.sigmoid(real_logits).clamp(1e-7, 1 - 1e-7)
    d_fake = torch.sigmoid(fake_logits).clamp(1e-7, 1 - 1e-7)
    return torch.log(d_real).mean() + torch.log(1 - d_fake).mean()


def v_sign_error(real_logits, fake_logits):  # the discriminator's loss, −V
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def v_sum_not_mean(real_logits, fake_logits):
    return -F.softplus(-real_logits).sum() - F.softplus(fake_logits).sum()


def v_pooled_mean(real_logits, fake_logits):
    return torch.cat([-F.softplus(-real_logits), -F.softplus(fake_logits)]).mean()


def v_averaged_terms(real_logits, fake_logits):
    return 0.5 * (-F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean())


def v_log_of_logits(real_logits, fake_logits):  # forgot the sigmoid
    return torch.log(real_logits).mean() + torch.log(1 - fake_logits).mean()


def v_bce_targets_swapped(real_logits, fake_logits):
    bce = F.binary_cross_entropy_with_logits
    return -(bce(real_logits, torch.zeros_like(real_logits))
             + bce(fake_logits, torch.ones_like(fake_logits)))


def v_item(real_logits, fake_logits):  # a Python float; the task asks for a scalar tensor
    return (-F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()).item()


def v_log_d_on_fakes(real_logits, fake_logits):  # log D(G(z)) in place of log(1 − D(G(z)))
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(fake_logits).mean()


def v_mean_logit_first(real_logits, fake_logits):  # log σ of the mean logit (Jensen)
    return -F.softplus(-real_logits.mean()) - F.softplus(fake_logits.mean())


def v_real_term_only(real_logits, fake_logits):
    return F.logsigmoid(real_logits).mean()


def v_epsilon_in_log(real_logits, fake_logits):  # log(p + ε): finite, but wrong when confident
    eps = 1e-8
    return (torch.log(torch.sigmoid(real_logits) + eps).mean()
            + torch.log(1 - torch.sigmoid(fake_logits) + eps).mean())


# ------------------------------------------------------------------------ task 2: D*
def dstar_swapped(p_data, p_g):
    total = p_data + p_g
    return torch.where(total > 0, p_g / total, torch.full_like(total, 0.5))


def dstar_ratio(p_data, p_g):
    return p_data / p_g


def dstar_naive(p_data, p_g):  # nan where both densities are 0
    return p_data / (p_data + p_g)


def dstar_epsilon(p_data, p_g):
    return p_data / (p_data + p_g + 1e-8)


def dstar_nan_to_zero(p_data, p_g):
    return torch.nan_to_num(p_data / (p_data + p_g), nan=0.0)


def dstar_unnormalised(p_data, p_g):
    return p_data


def dstar_wrong_shape(p_data, p_g):
    return (p_data / (p_data + p_g)).mean()


def dstar_condition_on_p_data(p_data, p_g):  # ½ wherever p_data = 0, even if p_g > 0
    return torch.where(p_data > 0, p_data / (p_data + p_g), torch.full_like(p_data, 0.5))


def dstar_clamped_denominator(p_data, p_g):  # 0 where both are 0, and wrong where both tiny
    return p_data / (p_data + p_g).clamp(min=1e-12)


# -------------------------------------------------------- tasks 3, 4: generator losses
def sat_log_of_sigmoid(fake_logits):
    return torch.log(1 - torch.sigmoid(fake_logits)).mean()


def sat_clamped(fake_logits):
    return torch.log((1 - torch.sigmoid(fake_logits)).clamp(min=1e-7)).mean()


def sat_sign_error(fake_logits):
    return F.softplus(fake_logits).mean()


def sat_log_d(fake_logits):  # log D instead of log(1 − D)
    return -F.softplus(-fake_logits).mean()


def sat_sum(fake_logits):
    return -F.softplus(fake_logits).sum()


def sat_per_sample(fake_logits):  # forgot the mean: shape (N,)
    return -F.softplus(fake_logits)


def sat_item(fake_logits):  # a float: no gradient reaches the generator
    return -F.softplus(fake_logits).mean().item()


def sat_detached(fake_logits):
    return -F.softplus(fake_logits.detach()).mean()


def sat_log1p(fake_logits):  # looks stable, is not: σ(t) rounds to 1 for t ≥ 17 in float32
    return torch.log1p(-torch.sigmoid(fake_logits)).mean()


def sat_mean_logit_first(fake_logits):  # the loss of the mean logit (Jensen)
    return -F.softplus(fake_logits.mean())


def ns_epsilon_in_log(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits) + 1e-8).mean()


def ns_clamped_logits(fake_logits):  # clamping the logits "to avoid overflow"
    return F.softplus(-fake_logits.clamp(-20, 20)).mean()


def ns_item(fake_logits):
    return F.softplus(-fake_logits).mean().item()


def ns_log_of_sigmoid(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()


def ns_clamped(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits).clamp(min=1e-7)).mean()


def ns_torch_bce(fake_logits):  # F.binary_cross_entropy clamps log at −100
    d = torch.sigmoid(fake_logits)
    return F.binary_cross_entropy(d, torch.ones_like(d))


def ns_sign_error(fake_logits):
    return -F.softplus(-fake_logits).mean()


def ns_fake_label(fake_logits):  # BCE with the 'fake' label 0
    return F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def ns_double_sigmoid(fake_logits):  # a sigmoid fed to a loss that applies it again
    d = torch.sigmoid(fake_logits)
    return F.binary_cross_entropy_with_logits(d, torch.ones_like(d))


def ns_sum(fake_logits):
    return F.softplus(-fake_logits).sum()


CASES = {
    "value_estimate": (ch01.check_value_estimate, value_estimate, [
        v_swapped_labels, v_log_of_sigmoid, v_clamped_log, v_sign_error, v_sum_not_mean,
        v_pooled_mean, v_averaged_terms, v_log_of_logits, v_bce_targets_swapped,
        v_item, v_log_d_on_fakes, v_mean_logit_first, v_real_term_only, v_epsilon_in_log,
    ]),
    "optimal_discriminator": (ch01.check_optimal_discriminator, optimal_discriminator, [
        dstar_swapped, dstar_ratio, dstar_naive, dstar_epsilon, dstar_nan_to_zero,
        dstar_unnormalised, dstar_wrong_shape, dstar_condition_on_p_data,
        dstar_clamped_denominator,
    ]),
    "saturating_g_loss": (ch01.check_saturating_g_loss, saturating_g_loss, [
        nonsaturating_g_loss, sat_log_of_sigmoid, sat_clamped, sat_sign_error, sat_log_d,
        sat_sum, sat_per_sample, sat_item, sat_detached, sat_log1p, sat_mean_logit_first,
    ]),
    "nonsaturating_g_loss": (ch01.check_nonsaturating_g_loss, nonsaturating_g_loss, [
        saturating_g_loss, ns_log_of_sigmoid, ns_clamped, ns_torch_bce, ns_sign_error,
        ns_fake_label, ns_double_sigmoid, ns_sum, ns_epsilon_in_log, ns_clamped_logits,
        ns_item,
    ]),
}
BUGGY = [(name, bug) for name, (_, _, bugs) in CASES.items() for bug in bugs]


# ---------------------------------------------------------------------------- tests
@pytest.mark.parametrize("name", CASES)
def test_check_passes_on_the_solution(name, capsys):
    check_fn, solution, _ = CASES[name]
    result = check_fn(solution)
    assert result, result.message
    out = capsys.readouterr().out
    assert out == result.message + "\n"  # exactly one line
    assert out.startswith(f"✅ {name}: correct")


@pytest.mark.parametrize("name", CASES)
def test_check_fails_on_the_untouched_stub(name, capsys):
    check_fn, _, _ = CASES[name]
    result = check_fn(stub)
    assert not result
    assert "not implemented yet" in result.message
    assert capsys.readouterr().out.count("\n") == 1


@pytest.mark.parametrize(("name", "bug"), BUGGY, ids=[b.__name__ for _, b in BUGGY])
def test_check_fails_on_a_real_mistake(name, bug, capsys):
    check_fn, _, _ = CASES[name]
    result = check_fn(bug)
    assert not result, f"{bug.__name__} passed: {result.message}"
    out = capsys.readouterr().out
    assert out == result.message + "\n" and out.count("\n") == 1
    assert out.startswith(f"❌ {name}: ")
    assert " — hint: " in result.message  # a diagnosis, not a traceback
    assert "raised" not in result.message


@pytest.mark.parametrize(("bug", "words"), [
    (v_swapped_labels, "real samples as fakes"),
    (v_log_of_sigmoid, "log of a sigmoid"),
    (v_clamped_log, "clamping"),
    (v_sign_error, "−V"),
    (v_sum_not_mean, "summed"),
    (v_pooled_mean, "N + M"),
    (dstar_swapped, "swapped"),
    (dstar_ratio, "density ratio"),
    (dstar_naive, "nan"),
    (dstar_epsilon, "ε"),
    (nonsaturating_g_loss, "swapped"),
    (sat_log_of_sigmoid, "log of a sigmoid"),
    (sat_sign_error, "wrong sign"),
    (sat_sum, "summed"),
    (sat_per_sample, "expected a scalar"),
    (sat_item, "scalar tensor"),
    (sat_detached, "no gradient"),
    (saturating_g_loss, "swapped"),
    (ns_log_of_sigmoid, "log of a sigmoid"),
    (ns_torch_bce, "clamping"),
    (ns_fake_label, "label"),
    (ns_double_sigmoid, "sigmoid twice"),
    (v_log_of_logits, "not probabilities"),
    (v_item, "expected a scalar tensor"),
    (v_log_d_on_fakes, "log D(G(z)) for the generated samples"),
    (v_mean_logit_first, "averaged the logits"),
    (v_real_term_only, "only the real samples' term"),
    (v_epsilon_in_log, "ε"),
    (dstar_condition_on_p_data, "tests p_data alone"),
    (dstar_clamped_denominator, "floor"),
    (sat_log1p, "log of a sigmoid"),
    (sat_mean_logit_first, "averaged the logits"),
    (ns_epsilon_in_log, "ε"),
    (ns_clamped_logits, "clamping it, its log (as F.binary_cross_entropy does) or the logits"),
    (ns_item, "scalar tensor"),
])
def test_diagnosis_names_the_mistake(bug, words):
    check_fn = next(CASES[name][0] for name, b in BUGGY if b is bug)
    assert words in check_fn(bug, print_result=False).message


def test_checks_leave_the_global_random_state_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    for check_fn, solution, _ in CASES.values():
        check_fn(solution, print_result=False)
    assert torch.equal(torch.rand(3), expected)


def test_an_exception_in_the_learner_code_becomes_one_line():
    def broken(real_logits, fake_logits):
        return real_logits @ fake_logits  # shapes (7,) and (5,) do not match

    result = ch01.check_value_estimate(broken, print_result=False)
    assert not result and "raised RuntimeError" in result.message
    assert "\n" not in result.message


# ---------------------------------------------------------- the solution notebook
def _notebook_functions(stubbed: bool) -> dict:
    """Execute the task cells of the solution notebook; optionally as the student gets them."""
    namespace: dict = {"torch": torch, "F": F, "math": math}
    return notebook_task_functions(SOLUTION_NOTEBOOK, namespace, 4, stubbed)


@pytest.mark.parametrize("name", CASES)
def test_the_notebook_solution_passes_and_its_stub_fails(name):
    check_fn = CASES[name][0]
    assert check_fn(_notebook_functions(stubbed=False)[name], print_result=False)
    result = check_fn(_notebook_functions(stubbed=True)[name], print_result=False)
    assert not result and "not implemented yet" in result.message
