"""The hidden tests of the nbgrader assignments call each check again with
``seed="hidden"``: the check draws new random inputs from ``GANLIB_HIDDEN_SEED`` (a
teacher's choice, in the course's nbgrader_config.py) or ganlib's default. Every check's
tests (it passes on the solutions and on other correct answers, fails on the stub, and
rejects and names every catalogued mistake) must hold on those inputs too, or a right answer
could lose points in a hidden test: here for the default seed and two more."""

from __future__ import annotations

import pytest
from _check_suites import run_check_suites

import ganlib.checks as checks

OTHER_SEEDS = (1, 2)  # seeds a teacher might choose instead


def test_the_hidden_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("GANLIB_HIDDEN_SEED", raising=False)
    assert checks.hidden_seed() == checks.HIDDEN_SEED
    monkeypatch.setenv("GANLIB_HIDDEN_SEED", "2027")
    assert checks.hidden_seed() == 2027
    monkeypatch.setenv("GANLIB_HIDDEN_SEED", "abc")
    with pytest.raises(ValueError, match="GANLIB_HIDDEN_SEED must be an integer, got 'abc'"):
        checks.hidden_seed()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [checks.HIDDEN_SEED, *OTHER_SEEDS])
def test_the_checks_tests_hold_on_new_inputs(seed):
    done = run_check_suites(f"--check-inputs-seed={seed}")
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout.splitlines()[-1]
