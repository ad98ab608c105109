"""The check runner (ganlib.checks.check): its time limit, and how it reports a learner's
exception — at the learner's own line, not inside torch, and never as the learner's fault
when the check's own code failed."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from torch import nn

import ganlib.checks as checks
from ganlib.checks import check, describe_error, during, fail


@check("demo")
def run_it(fn, *args):
    """A check whose body calls the learner's function and passes if it returns."""
    return fn(*args) and None


@check("demo")
def run_module(build):
    """A check that runs the learner's module, as chapter 3's and 5's checks do."""
    build()(torch.zeros(2, 3))


@check("demo")
def broken_check(fn):
    """A check with a bug of its own: it indexes past the end of what it got."""
    out = fn()
    return str(out[10])


# ------------------------------------------------------------------------ the time limit
def spin():
    while True:
        pass


def busy(n):
    """About 10 ms of Python bytecode for n = 200,000 (a time-out can land anywhere)."""
    total = 0
    for i in range(n):
        total += i
    return None


def spin_catching_exceptions():
    while True:
        try:
            sum(range(100))
        except Exception:  # a learner's "robust" loop: CheckTimeout is not an Exception
            pass


def test_an_endless_loop_is_stopped_with_a_clear_message(capsys):
    start = time.monotonic()
    result = run_it(spin, time_limit=1.0)
    elapsed = time.monotonic() - start
    assert not result
    assert result.message.startswith("❌ demo: your code did not finish within 1 s "
                                     "(an endless loop?)")
    assert " — hint: " in result.message
    assert 1.0 <= elapsed < 2.5, elapsed
    assert capsys.readouterr().out == result.message + "\n"


def test_except_exception_in_the_learners_loop_does_not_swallow_the_time_out():
    start = time.monotonic()
    result = run_it(spin_catching_exceptions, time_limit=0.5, print_result=False)
    assert not result and "did not finish within 0.5 s" in result.message
    assert time.monotonic() - start < 2.0


# A time-out that lands in a garbage-collection callback is printed and dropped by Python
# ("Exception ignored in"): with limits this short, that happens; nothing may escape.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_nothing_is_raised_after_a_check_returns():
    """The time-out never reaches code that runs after the check, even when limits end
    just as the learner's function returns."""
    run_it(spin, time_limit=0.3, print_result=False)
    outcomes = set()
    # Limits around the function's run time (made about 15 ms on this machine, more when it is
    # busy; the watchdog gets the GIL at Python's switch interval, 5 ms): both outcomes happen,
    # and time-outs land everywhere.
    start = time.perf_counter()
    busy(200_000)
    n = max(200_000, int(200_000 * 0.015 / (time.perf_counter() - start)))
    for i in range(600):
        result = run_it(busy, n, time_limit=0.002 * (i % 30 + 1), print_result=False)
        outcomes.add(result.passed)
        if i >= 120 and len(outcomes) == 2:
            break
    assert outcomes == {True, False}
    end = time.monotonic() + 1.5  # longer than the runner's repeat interval
    while time.monotonic() < end:
        pass


# Under a C tracer (coverage's) CPython 3.11 spins forever at the next Python call if a
# pending raise is cancelled with SetAsyncExc(thread, NULL): run where a hang cannot hold the
# test run.
TRACED = """
import sys, time
import coverage
coverage.Coverage(data_file=None).start()
sys.path.insert(0, {tests!r})
import test_checks_runner as t

for limit in (0.3, 0.01, 0.02):
    result = t.run_it(t.spin, time_limit=limit, print_result=False)
    assert not result, result
assert t.run_it(t.busy, 1000, time_limit=5, print_result=False)
start = time.monotonic()
t.busy(200_000)  # Python code after the checks runs, and at its usual speed
print("done", round(time.monotonic() - start, 3))
"""


def test_a_time_out_under_a_tracer_leaves_the_interpreter_working():
    code = TRACED.format(tests=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("done"), done.stdout


def test_the_default_limit_is_the_module_constant(monkeypatch):
    monkeypatch.setattr(checks, "TIME_LIMIT", 0.4)
    result = run_it(spin, print_result=False)
    assert "within 0.4 s" in result.message


def test_a_limit_of_zero_switches_it_off():
    def short_sleep():
        time.sleep(0.2)
        return None

    assert run_it(short_sleep, time_limit=0, print_result=False)


def test_a_fast_right_function_passes_well_within_the_limit():
    assert run_it(lambda: None, time_limit=5, print_result=False)


def test_the_limit_works_outside_the_main_thread():
    results = []
    thread = threading.Thread(
        target=lambda: results.append(run_it(spin, time_limit=0.5, print_result=False)))
    thread.start()
    thread.join(5.0)
    assert not thread.is_alive()
    assert "did not finish within 0.5 s" in results[0].message


# ------------------------------------------------------------- the learner's exceptions
def learner_bug(x):
    return x @ torch.ones(5)  # (3,) @ (5,): raised by torch, on this line


def test_a_learner_error_names_the_learners_line_and_source():
    result = run_it(learner_bug, torch.ones(3), print_result=False)
    assert result.message.startswith("❌ demo: your code raised RuntimeError: ")
    assert "test_checks_runner.py line" in result.message
    assert "in learner_bug: `return x @ torch.ones(5)" in result.message
    assert "\n" not in result.message


def test_an_error_inside_torch_names_the_learners_line_that_called_it():
    def calls_a_torch_function_that_raises_in_python(x):
        return torch.split(x, [1, 2])  # Python code of torch that raises

    result = run_it(calls_a_torch_function_that_raises_in_python, torch.ones(8),
                    print_result=False)
    assert "your code raised" in result.message
    assert "inside torch, called from test_checks_runner.py line" in result.message
    assert "torch/" not in result.message  # no path into torch's sources


def test_a_module_that_fails_when_run_is_reported_as_the_learners_module():
    result = run_module(lambda: nn.Sequential(nn.Linear(4, 2)), print_result=False)
    assert result.message.startswith("❌ demo: your module raised RuntimeError: ")
    assert "when the check ran it (inside torch's forward)" in result.message


def test_a_module_without_forward_is_not_an_unfinished_task():
    class NoForward(nn.Module):
        pass

    result = run_module(NoForward, print_result=False)
    assert "not implemented yet" not in result.message
    assert "NotImplementedError" in result.message


def test_a_failure_of_the_checks_own_code_is_not_blamed_on_the_learner():
    result = broken_check(lambda: [1, 2, 3], print_result=False)
    assert not result
    assert result.message.startswith("❌ demo: the check could not verify your answer: its "
                                     "own code raised IndexError: list index out of range "
                                     "(test_checks_runner.py line")
    assert "your code raised" not in result.message
    assert "please report it" in result.message


def test_a_multi_line_message_becomes_one_line():
    def raises_long():
        raise ValueError("first line\n  second line\n" + "x" * 500)

    result = run_it(raises_long, print_result=False)
    assert "\n" not in result.message
    assert "ValueError: first line (" in result.message


def test_the_stub_is_recognised():
    def stub():
        raise NotImplementedError("replace this line with your code")

    result = run_it(stub, print_result=False)
    assert "not implemented yet" in result.message


def test_during_says_which_probe_was_running():
    @check("demo")
    def probes(fn):
        with during("for a single sample"):
            fn(torch.ones(1, 2))

    def squeezes(x):
        return x.squeeze().min(dim=1)

    message = probes(squeezes, print_result=False).message
    assert "(for a single sample; test_checks_runner.py line" in message
    assert "`return x.squeeze().min(dim=1)`" in message


def test_describe_error_gives_type_message_and_place():
    try:
        learner_bug(torch.ones(3))
    except RuntimeError as err:
        text = describe_error(err)
    assert text.startswith("RuntimeError: ")
    assert text.endswith("in learner_bug: `return x @ torch.ones(5)  # (3,) @ (5,): raised by "
                         "torch, on this line`)")


def test_a_check_failure_is_still_reported_as_the_check_wrote_it():
    @check("demo")
    def says_no(fn):
        fail("what is wrong", "a hint")

    assert says_no(None, print_result=False).message == "❌ demo: what is wrong — hint: a hint"


def test_keyboard_interrupt_is_not_swallowed():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_it(interrupted, print_result=False)


# ------------------------------------------------------------- graded runs and new inputs
def test_a_failed_check_raises_only_under_nbgrader(monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not run_it(lambda: 1 / 0)  # self-study: a ❌ line, no exception
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(checks.CheckFailed) as caught:
        run_it(lambda: 1 / 0)
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("❌ demo: your code raised ZeroDivisionError")  # printed first
    assert str(caught.value) == line  # and the error says the same, in one line
    assert caught.value._render_traceback_() == [f"\x1b[0;31mCheckFailed\x1b[0m: {line}"]
    assert run_it(lambda: 1)  # a passing check never raises
    assert not run_it(lambda: 1 / 0, raise_on_failure=False)
    monkeypatch.delenv("NBGRADER_EXECUTION")
    with pytest.raises(checks.CheckFailed):
        run_it(lambda: 1 / 0, raise_on_failure=True)


@check("draws")
def draws(record):
    from ganlib.checks.support import rng, seeded

    with seeded(5):
        record.append((torch.rand(2), torch.rand(2, generator=rng(5))))


def test_seed_draws_new_inputs_and_names_them(capsys):
    seen = []
    draws(seen)
    draws(seen)
    assert torch.equal(seen[0][0], seen[1][0]) and torch.equal(seen[0][1], seen[1][1])
    assert capsys.readouterr().out.splitlines()[-1] == "✅ draws: correct"
    draws(seen, seed=1807)
    draws(seen, seed=1807)
    draws(seen, seed=1808)
    assert not torch.equal(seen[2][0], seen[0][0]) and not torch.equal(seen[2][1], seen[0][1])
    assert torch.equal(seen[2][0], seen[3][0]) and torch.equal(seen[2][1], seen[3][1])
    assert not torch.equal(seen[4][0], seen[2][0])
    assert capsys.readouterr().out.splitlines()[-1] == "✅ draws on new inputs: correct"
    draws(seen)  # and back to the check's own inputs
    assert torch.equal(seen[5][0], seen[0][0])
    draws(seen, seed="hidden")  # the hidden tests' seed: GANLIB_HIDDEN_SEED or the default
    assert torch.equal(seen[6][0], seen[2][0]) == (checks.hidden_seed() == 1807)
    with pytest.raises(TypeError, match="seed must be an int or 'hidden', got 'secret'"):
        draws(seen, seed="secret")
