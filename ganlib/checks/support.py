"""What the chapters' checks share: closeness, seeded randomness, a learner's number, and
naming a wrong answer from a catalogue of known mistakes.

Every tolerance is an argument: each check states the one it uses where it compares.

=============================  ==========================================================
helper                         what it does
=============================  ==========================================================
:func:`close`                  two numbers equal within a tolerance (nan and inf included)
:func:`vectors_close`          two vectors equal within a tolerance on their norm
:func:`apart`                  two numbers printed with enough digits to tell them apart
:func:`rng`                    a seeded generator of the check's own
:func:`seeded`                 a block run with the global generator seeded, then restored
:func:`new_inputs`             a block in which both draw other inputs (hidden tests)
:func:`scalar`                 a learner's return value as a float, or a ``❌``
:func:`scalar_tensor`          a learner's return value as a 0-d tensor, or a ``❌``
:func:`python_number`          a learner's return value that must be a plain Python number
:func:`first_match`            the name of the first candidate equal to an answer
:func:`name_mistake`           fail with the first catalogued mistake equal to an answer
=============================  ==========================================================
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

import torch
from torch import Tensor

from ..i18n import render
from . import fail

__all__ = [
    "Mistake",
    "apart",
    "close",
    "first_match",
    "name_mistake",
    "new_inputs",
    "rng",
    "scalar",
    "python_number",
    "scalar_tensor",
    "loss_tensor",
    "seeded",
    "vectors_close",
]

T = TypeVar("T")
V = TypeVar("V")


# ------------------------------------------------------------------------ closeness
def close(got: float, want: float, tol: float) -> bool:
    """Whether the number ``got`` equals ``want`` within ``tol``.

    For finite values: ``|got − want| ≤ tol · max(1, |want|)`` — an absolute tolerance
    while ``|want| ≤ 1``, a relative one above. A non-finite value equals only the same
    value: nan equals nan, ∞ equals ∞ (so a mistake whose value is nan or ∞ can be
    recognised), and nothing finite equals a non-finite value.
    """
    got, want = float(got), float(want)
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    if math.isinf(got) or math.isinf(want):
        return got == want
    return abs(got - want) <= tol * max(1.0, abs(want))


def vectors_close(got: Tensor, want: Tensor, rtol: float, atol: float) -> bool:
    """Whether ``‖got − want‖₂ ≤ rtol · ‖want‖₂ + atol``: one test for a whole vector.

    Unlike an element-wise comparison, small entries of a long vector (a network's
    gradients, flattened) may differ by more than ``rtol`` of themselves as long as the
    vector as a whole is within ``rtol`` of its length. Both have the same shape.
    """
    return bool(torch.linalg.vector_norm(got - want)
                <= rtol * torch.linalg.vector_norm(want) + atol)


def apart(got: float, want: float, digits: int = 4) -> tuple[str, str]:
    """``got`` and ``want`` as text, with ``digits`` decimals or more (up to 8) until they
    differ: "1.2480 vs 1.2480" would read as rounding, "1.24803 vs 1.24797" does not.
    Numbers that agree to 8 decimals (or are both nan) keep ``digits`` decimals."""
    for d in range(digits, 9):
        a, b = f"{float(got):.{d}f}", f"{float(want):.{d}f}"
        if a != b:
            return a, b
    return f"{float(got):.{digits}f}", f"{float(want):.{digits}f}"


# ------------------------------------------------------------------------ randomness
# The seed of a check's inputs: None for the check's own seeds (the visible check), an int
# for inputs the learner has not seen (``check_x(fn, seed=...)``, nbgrader's hidden tests).
# Set by the ``check`` decorator for the duration of one check.
_inputs_seed: int | None = None


@contextmanager
def new_inputs(seed: int | None) -> Iterator[None]:
    """Inside the block, :func:`rng` and :func:`seeded` mix ``seed`` into every seed they
    are given, so a check draws different inputs (``None``: its own)."""
    global _inputs_seed
    previous, _inputs_seed = _inputs_seed, seed
    try:
        yield
    finally:
        _inputs_seed = previous


def _mixed(seed: int) -> int:
    if _inputs_seed is None:
        return seed
    return (seed * 1_000_003 + _inputs_seed * 7_919 + 1) % (2**62)


def rng(seed: int) -> torch.Generator:
    """A new CPU generator seeded with ``seed``, for ``generator=`` arguments.

    A check draws its inputs from it, so they are the same at every call and the global
    random state (the learner's stream) is left alone. Under :func:`new_inputs`, ``seed``
    is mixed with the block's seed.
    """
    return torch.Generator().manual_seed(_mixed(seed))


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the ``with`` block with the global CPU generator seeded with ``seed``.

    For what draws from the global generator and takes no ``generator=`` (a module's
    default initialisation, the learner's ``torch.rand``); the global state is restored
    when the block ends, also after an exception.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_mixed(seed))
        yield


# ------------------------------------------------------------ the learner's numbers
def _received(value: object) -> str:
    return "None" if value is None else render("a {kind}", kind=type(value).__name__)


def scalar(value: object, what: str, hint: str, shape_hint: str | None = None) -> float:
    """``value`` as a float, or a ``❌`` that says what was expected and what came.

    Accepted: a tensor with one element (shape ``()``, ``(1,)``, …; detached) and a real
    number (``int``, ``float``, a NumPy scalar) other than a bool. ``what`` names the value
    in the message (``"your V"``, ``"the returned D loss"``); ``hint`` goes with a value
    of the wrong type, ``shape_hint`` (default ``hint``) with a tensor of several elements.
    """
    if isinstance(value, Tensor):
        if value.numel() != 1:
            fail(f"{what} is a tensor of shape {tuple(value.shape)}, expected a scalar: "
                 "one number", shape_hint or hint)
        return float(value.detach().reshape(()))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    fail(f"{what} is {_received(value)}, expected a scalar: a float or a one-element tensor",
         hint)
    raise AssertionError  # unreachable: fail() raises


def scalar_tensor(value: object, what: str, hint: str, shape_hint: str | None = None
                  ) -> Tensor:
    """``value`` as a 0-d tensor that keeps its graph, or a ``❌`` (see :func:`scalar`).

    For a loss the check differentiates: a float, or ``.item()``, would have no gradient.
    """
    if not isinstance(value, Tensor):
        fail(f"{what} is {_received(value)}, expected a scalar tensor", hint)
    if value.numel() != 1:
        fail(f"{what} is a tensor of shape {tuple(value.shape)}, expected a scalar: "
             "one number", shape_hint or hint)
    return value.reshape(())


def loss_tensor(value: object, what: str) -> Tensor:
    """A learner's loss as a 0-d tensor that keeps its graph, or a ``❌`` naming ``your {what}``
    (autograd needs a tensor, not a float; a batch of losses needs a mean)."""
    return scalar_tensor(value, f"your {what}", "return a torch tensor (no .item()), so that "
                         "autograd can differentiate it", "average over the batch with .mean()")


def python_number(value: object, what: str, kind: type[int] | type[float], hint: str
                  ) -> float:
    """``value`` as a float when it is a plain Python number of ``kind``, or a ``❌``.

    For a task that asks for "a Python float" or "an int" (a loss to log, a metric to print):
    a tensor, a NumPy scalar other than ``numpy.float64`` (a ``float`` subclass) and a bool
    are refused with a message that names what came. An ``int`` is accepted where a float
    is asked for (``0`` for a share of 0), as Python's own numeric tower does.
    """
    if isinstance(value, Tensor):
        graph = (" that still holds its graph (kept in a list of losses, it keeps every "
                 "step's memory alive)" if value.requires_grad else "")
        fail(f"{what} is a tensor{graph}; the task asks for a Python {kind.__name__}", hint)
    ok = (int,) if kind is int else (int, float)
    if not isinstance(value, ok) or isinstance(value, bool):
        module = type(value).__module__
        received = _received(value) if module == "builtins" else \
            f"a {module.split('.')[0]}.{type(value).__name__}"
        fail(f"{what} is {received}, expected a Python {kind.__name__}", hint)
    return float(value)  # type: ignore[arg-type]


# ------------------------------------------------------------- the known mistakes
class Mistake(NamedTuple):
    """A catalogued mistake: what the mistaken code returns, and what the check says."""

    value: Any
    problem: str
    hint: str


def first_match(got: T, candidates: Mapping[str, V], same: Callable[[T, V], bool]
                ) -> str | None:
    """The name of the first candidate, in order, for which ``same(got, value)`` holds."""
    for name, value in candidates.items():
        if same(got, value):
            return name
    return None


_NOTHING = object()


def name_mistake(got: T, mistakes: Iterable[tuple[V, str, str]],
                 same: Callable[[T, V], bool], expected: object = _NOTHING) -> None:
    """Fail with the first of ``mistakes`` whose value ``same`` finds equal to ``got``.

    ``mistakes`` holds :class:`Mistake` s or ``(value, problem, hint)`` triples, most
    telling first. With ``expected`` (the right answer), a mistake whose value equals it
    (``same(value, expected)``) is passed over: on this input it cannot be told from a
    right answer. Returns
    quietly when no mistake matches, so that the caller reports the plain difference.
    """
    for value, problem, hint in mistakes:
        if same(got, value) and (expected is _NOTHING or not same(value, expected)):
            fail(problem, hint)
