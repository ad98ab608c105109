"""Checks for the exercise notebooks.

Each chapter has a module ``ganlib.checks.chNN`` whose functions test a learner's code on
random inputs and edge cases and answer in one line: ``✅ correct: …`` or
``❌ <what is wrong> — hint: <hint>``. A check never raises: an exception in the learner's
code (the untouched template raises ``NotImplementedError``) becomes a ``❌`` line.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CheckResult", "CheckFailure", "check", "fail"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; truthy when the learner's code is correct."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """Show nothing in Jupyter: the check has already printed its one-line verdict."""


class CheckFailure(Exception):
    """Raised inside a check to report what is wrong and a hint."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


def fail(problem: str, hint: str = "") -> None:
    """Stop the current check with a ``❌`` line."""
    raise CheckFailure(problem, hint)


def check(name: str) -> Callable[[Callable[..., str | None]], Callable[..., CheckResult]]:
    """Decorate a check body: it returns a success detail or calls :func:`fail`.

    The wrapper prints the one-line verdict and returns a :class:`CheckResult`.
    ``print_result=False`` (a keyword of the wrapped check) keeps it quiet, for tests.
    """

    def wrap(body: Callable[..., str | None]) -> Callable[..., CheckResult]:
        @functools.wraps(body)
        def run(*args, print_result: bool = True, **kwargs) -> CheckResult:
            try:
                detail = body(*args, **kwargs)
                extra = f" — {detail}" if detail else ""
                result = CheckResult(True, f"✅ {name}: correct{extra}")
            except CheckFailure as err:
                hint = f" — hint: {err.hint}" if err.hint else ""
                result = CheckResult(False, f"❌ {name}: {err.problem}{hint}")
            except NotImplementedError:
                result = CheckResult(False, f"❌ {name}: not implemented yet — replace the "
                                     "`raise NotImplementedError` line with your code")
            except Exception as err:  # the learner's code failed: report, do not raise
                where = traceback.extract_tb(err.__traceback__)[-1]
                result = CheckResult(
                    False,
                    f"❌ {name}: your code raised {type(err).__name__}: {err} "
                    f"(line {where.lineno} of {where.name})",
                )
            if print_result:
                print(result.message)
            return result

        return run

    return wrap
