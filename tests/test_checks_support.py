"""The helpers every chapter's checks share (ganlib.checks.support)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlib.checks import CheckFailure
from ganlib.checks.support import (
    Mistake,
    apart,
    close,
    first_match,
    loss_tensor,
    name_mistake,
    python_number,
    rng,
    scalar,
    scalar_tensor,
    seeded,
    vectors_close,
)


# ------------------------------------------------------------------------ closeness
def test_close_is_absolute_below_one_and_relative_above():
    assert close(0.9e-4, 0.0, 1e-4) and not close(1.1e-4, 0.0, 1e-4)
    assert close(0.5 + 0.9e-4, 0.5, 1e-4) and not close(0.5 + 1.1e-4, 0.5, 1e-4)
    assert close(1000.09, 1000.0, 1e-4) and not close(1000.11, 1000.0, 1e-4)
    assert close(-1000.09, -1000.0, 1e-4)


def test_close_matches_a_non_finite_value_only_with_itself():
    nan, inf = math.nan, math.inf
    assert close(nan, nan, 1e-4) and close(inf, inf, 1e-4) and close(-inf, -inf, 1e-4)
    assert not close(inf, -inf, 1e-4)
    for finite in (0.0, 1e300):
        for odd in (nan, inf, -inf):
            assert not close(finite, odd, 1e-4) and not close(odd, finite, 1e-4)


def test_close_reads_tensors_and_numpy_numbers():
    assert close(torch.tensor(0.25), np.float32(0.25), 1e-6)


def test_vectors_close_compares_the_norm_of_the_difference():
    want = torch.tensor([100.0, 0.01])
    # The small entry is off by 100 % of itself, but the vector is within 0.1 % of its norm.
    assert vectors_close(torch.tensor([100.0, 0.02]), want, rtol=1e-3, atol=0.0)
    assert not vectors_close(torch.tensor([100.2, 0.01]), want, rtol=1e-3, atol=0.0)
    assert vectors_close(torch.tensor([1e-6, 0.0]), torch.zeros(2), rtol=1e-3, atol=1e-5)


def test_apart_shows_enough_digits_to_tell_two_numbers_apart():
    assert apart(1.24803, 1.24797) == ("1.24803", "1.24797")
    assert apart(1.2135, 1.2480) == ("1.2135", "1.2480")
    assert apart(0.5, 0.5) == ("0.5000", "0.5000")
    assert apart(math.nan, 1.0) == ("nan", "1.0000")
    assert apart(2.0, 2.0 + 1e-12, digits=2) == ("2.00", "2.00")


# ------------------------------------------------------------------------ randomness
def test_rng_draws_the_same_numbers_and_leaves_the_global_state_alone():
    state = torch.get_rng_state()
    a = torch.randn(4, generator=rng(7))
    b = torch.randn(4, generator=rng(7))
    assert torch.equal(a, b) and not torch.equal(a, torch.randn(4, generator=rng(8)))
    assert torch.equal(state, torch.get_rng_state())


def test_seeded_seeds_the_global_generator_and_restores_it():
    state = torch.get_rng_state()
    with seeded(3):
        a = torch.rand(3)
    with seeded(3):
        b = torch.rand(3)
    assert torch.equal(a, b)
    assert torch.equal(state, torch.get_rng_state())
    with pytest.raises(ValueError), seeded(3):
        torch.rand(3)
        raise ValueError
    assert torch.equal(state, torch.get_rng_state())


# ------------------------------------------------------------ the learner's numbers
@pytest.mark.parametrize("value", [torch.tensor(2.5), torch.tensor([2.5]),
                                   torch.tensor([[2.5]], requires_grad=True), 2.5,
                                   np.float64(2.5), np.float32(2.5)])
def test_scalar_reads_one_number(value):
    assert scalar(value, "your loss", "hint") == 2.5


def test_scalar_reads_integers():
    assert scalar(3, "captured", "hint") == 3.0 and scalar(np.int64(3), "captured", "hint") == 3.0


@pytest.mark.parametrize(("value", "words"), [
    (None, "your loss is None, expected a scalar: a float or a one-element tensor"),
    (True, "your loss is a bool, expected a scalar"),
    ([1.0], "your loss is a list, expected a scalar"),
    ("1.0", "your loss is a str, expected a scalar"),
    (np.bool_(True), "your loss is a bool"),  # NumPy 1 names it bool_, NumPy 2 bool
])
def test_scalar_says_what_it_expected_and_what_it_got(value, words):
    with pytest.raises(CheckFailure) as err:
        scalar(value, "your loss", "return loss.item()")
    assert err.value.problem.startswith(words) and err.value.hint == "return loss.item()"


def test_scalar_names_the_shape_of_a_tensor_of_several_numbers():
    with pytest.raises(CheckFailure) as err:
        scalar(torch.zeros(2, 3), "your loss", "type hint", "use .mean()")
    assert err.value.problem == "your loss is a tensor of shape (2, 3), expected a scalar: " \
        "one number"
    assert err.value.hint == "use .mean()"
    with pytest.raises(CheckFailure) as err:
        scalar(torch.zeros(2), "your loss", "type hint")
    assert err.value.hint == "type hint"


def test_scalar_tensor_keeps_the_graph_and_refuses_a_float():
    x = torch.ones(3, requires_grad=True)
    out = scalar_tensor((2 * x).sum().reshape(1, 1), "your loss", "hint")
    assert out.shape == () and out.requires_grad
    (grad,) = torch.autograd.grad(out, x)
    assert torch.equal(grad, torch.full((3,), 2.0))
    with pytest.raises(CheckFailure) as err:
        scalar_tensor(1.5, "your loss", "no .item()")
    assert err.value.problem == "your loss is a float, expected a scalar tensor"
    with pytest.raises(CheckFailure) as err:
        scalar_tensor(torch.zeros(4), "your loss", "no .item()", "use .mean()")
    assert "shape (4,)" in err.value.problem and err.value.hint == "use .mean()"


def test_loss_tensor_names_the_learners_loss_and_says_what_to_return():
    with pytest.raises(CheckFailure) as err:
        loss_tensor(0.7, "D loss")
    assert err.value.problem == "your D loss is a float, expected a scalar tensor"
    assert "no .item()" in err.value.hint
    with pytest.raises(CheckFailure) as err:
        loss_tensor(torch.zeros(3), "penalty")
    assert err.value.hint == "average over the batch with .mean()"


@pytest.mark.parametrize(("value", "kind"), [(2.5, float), (np.float64(2.5), float), (3, float),
                                             (3, int)])
def test_python_number_accepts_plain_numbers(value, kind):
    assert python_number(value, "captured", kind, "hint") == float(value)


@pytest.mark.parametrize(("value", "kind", "words"), [
    (torch.tensor(2.5), float, "the loss is a tensor; the task asks for a Python float"),
    (torch.tensor(2.5, requires_grad=True) * 2, float,
     "the loss is a tensor that still holds its graph"),
    (np.int64(3), int, "the loss is a numpy.int64, expected a Python int"),
    (np.float32(2.5), float, "the loss is a numpy.float32, expected a Python float"),
    (2.0, int, "the loss is a float, expected a Python int"),
    (True, int, "the loss is a bool, expected a Python int"),
    (None, float, "the loss is None, expected a Python float"),
])
def test_python_number_names_what_came(value, kind, words):
    with pytest.raises(CheckFailure) as err:
        python_number(value, "the loss", kind, "return loss.item()")
    assert err.value.problem.startswith(words) and err.value.hint == "return loss.item()"


# ------------------------------------------------------------- the known mistakes
def _same(a: float, b: float) -> bool:
    return close(a, b, 1e-4)


def test_first_match_gives_the_first_equal_candidate_in_order():
    candidates = {"half": 0.5, "also_half": 0.5, "one": 1.0}
    assert first_match(0.5, candidates, _same) == "half"
    assert first_match(1.0, candidates, _same) == "one"
    assert first_match(2.0, candidates, _same) is None


def test_name_mistake_fails_with_the_first_matching_mistake():
    mistakes = [Mistake(-1.0, "wrong sign", "drop the minus"), (2.0, "doubled", "halve it"),
                (2.0, "also doubled", "never seen")]
    with pytest.raises(CheckFailure) as err:
        name_mistake(2.0, mistakes, _same)
    assert (err.value.problem, err.value.hint) == ("doubled", "halve it")
    assert name_mistake(3.0, mistakes, _same) is None


def test_name_mistake_passes_over_a_mistake_that_equals_the_right_answer():
    mistakes = [(0.0, "sign", "hint"), (0.0001, "close to right", "hint")]
    # On this input the sign mistake gives the right answer, 0: it cannot be named.
    assert name_mistake(0.00005, mistakes, lambda a, b: close(a, b, 1e-4),
                        expected=0.0) is None
    with pytest.raises(CheckFailure):
        name_mistake(0.00005, mistakes, lambda a, b: close(a, b, 1e-4))
