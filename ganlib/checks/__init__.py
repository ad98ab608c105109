"""Checks for the exercise notebooks.

Each chapter has a module ``ganlib.checks.chNN`` whose functions test a learner's code on
random inputs and edge cases and answer in one line: ``✅ correct: …`` or
``❌ <what is wrong> — hint: <hint>``. An exception in the learner's code (the untouched
template raises ``NotImplementedError``) becomes a ``❌`` line that names the learner's own
line, and a check stops a learner's function that runs for longer than :data:`TIME_LIMIT`
seconds (an endless loop) with a ``❌`` line too.

In self-study a check never raises. Under nbgrader (its autograder and validator set
``NBGRADER_EXECUTION``) a failed check prints its line and then raises :class:`CheckFailed`,
so that the test cell fails and loses its points. ``seed=...`` draws the check's random
inputs from another seed: the hidden tests of the nbgrader assignments call each check
again on inputs the learner has not seen (``seed="hidden"``: :func:`hidden_seed`).

=============================  ==========================================================
name                           what it is
=============================  ==========================================================
:func:`check`                  the decorator that turns a check body into a check
:func:`fail`                   stop a check body with a ``❌`` line and a hint
:class:`CheckResult`           a check's verdict, truthy when the learner's code is right
:class:`CheckFailed`           raised by a failed check under nbgrader (a graded run)
:func:`during`                 say which probe was running if the learner's code raises
:func:`describe_error`         a learner's exception as one line, with the learner's line
:data:`TIME_LIMIT`             seconds a check may run before it stops the learner's code
=============================  ==========================================================
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import sysconfig
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ..i18n import render, translate

__all__ = [
    "TIME_LIMIT",
    "CheckFailed",
    "CheckFailure",
    "CheckResult",
    "CheckTimeout",
    "HIDDEN_SEED",
    "check",
    "describe_error",
    "during",
    "fail",
    "hidden_seed",
]

TIME_LIMIT = float(os.environ.get("GANLIB_CHECK_TIME_LIMIT", "30"))
"""Seconds one check may run (the learner's code and the check's own work together)
before the learner's code is stopped; every check here takes well under a second.
``GANLIB_CHECK_TIME_LIMIT`` sets another default (the grading test uses 3 s)."""


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


class CheckFailed(AssertionError):
    """A failed check in a graded run: the test cell fails and nbgrader gives it no points.

    Its message is the check's one-line verdict; in a notebook it shows as that one line
    (IPython's ``_render_traceback_``), not as a traceback through ganlib.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


HIDDEN_SEED = 1807
"""The seed of the hidden tests' inputs (``check_x(fn, seed="hidden")``) unless the
environment variable ``GANLIB_HIDDEN_SEED`` names another: a teacher sets it in the course's
nbgrader_config.py, so that the seed appears in no notebook and no feedback."""


def hidden_seed() -> int:
    """The seed ``seed="hidden"`` stands for: ``GANLIB_HIDDEN_SEED``, else :data:`HIDDEN_SEED`."""
    value = os.environ.get("GANLIB_HIDDEN_SEED", "").strip()
    try:
        return int(value) if value else HIDDEN_SEED
    except ValueError:
        raise ValueError(f"GANLIB_HIDDEN_SEED must be an integer, got {value!r}") from None


def graded_run() -> bool:
    """Whether nbgrader is executing the notebook (autograde or validate): it sets
    ``NBGRADER_EXECUTION`` for the kernel it starts."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


class CheckTimeout(BaseException):
    """Raised in the checked thread when a check runs past its time limit.

    A ``BaseException``, like ``KeyboardInterrupt``, so that the learner's own
    ``except Exception:`` does not swallow it.
    """


def fail(problem: str, hint: str = "") -> None:
    """Stop the current check with a ``❌`` line."""
    raise CheckFailure(problem, hint)


# ------------------------------------------------------------------- the time limit
# Why an exception raised into the checked thread, and not signal.alarm or a worker thread:
# - signal.alarm / setitimer exist only on Linux and macOS, only in the main thread, and
#   would replace a SIGALRM handler the learner's environment may have installed;
# - a worker thread cannot be killed: after a time-out, a `while True: pass` would go on
#   spinning in the kernel (and holding the GIL) until the kernel is restarted, and it
#   would run the learner's code with none of the calling thread's torch settings;
# - PyThreadState_SetAsyncExc (CPython's C API, reached through ctypes) raises an
#   exception in a given thread at its next bytecode, on every operating system, in
#   Jupyter as in plain Python, so the learner's code stops and the cell finishes.
# Its limits: an exception cannot interrupt one long call into C (a huge matrix product,
# time.sleep): the check then answers when that call returns; and code that catches every
# exception in a loop (a bare `except:`) swallows it, so the exception is raised again a
# few times, a second apart, before the check gives up and waits.
_REPEAT_S = 1.0  # seconds between two raises, for code that swallowed the first
_REPEATS = 5


def _set_async_exc() -> Callable | None:
    try:
        api = ctypes.pythonapi
        return ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
            ("PyThreadState_SetAsyncExc", api))
    except (AttributeError, OSError):  # not CPython: checks run without a time limit
        return None


_RAISE_IN = _set_async_exc()


def _land() -> None:
    """Nothing: calling a Python function lets an exception still pending land at its start.

    A pending raise is never cancelled with ``PyThreadState_SetAsyncExc(thread, NULL)``: on
    CPython 3.11 that leaves the interpreter's "pending" flag set, and under a tracer
    (coverage, the JupyterLab debugger) the next Python call then spins forever.
    """


class _Deadline:
    """Raise :class:`CheckTimeout` in the calling thread after ``seconds``.

    ``stop()`` disarms it. Once it has returned, no exception can reach the thread any more:
    it waits until the watchdog thread has finished, then lets a raise already under way
    land and catches it, and it is retried if the exception lands while it runs. It uses no
    ``Thread.join`` and no ``Event`` in the checked thread: an exception raised inside
    ``join`` can make a thread look finished while it still runs.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.target = threading.get_ident()
        self.armed = False
        self.fired = False
        self.finished = True
        self._gate = threading.Lock()  # held until stop(): releasing it wakes the watchdog
        self._gate.acquire()

    def start(self) -> None:
        """Start the watchdog; call it inside the ``try`` whose ``finally`` calls stop()."""
        if _RAISE_IN is None or self.seconds <= 0:
            return
        self.armed = True
        self.finished = False
        threading.Thread(target=self._watch, name="ganlib-check-deadline", daemon=True).start()

    def _watch(self) -> None:
        try:
            if self._gate.acquire(timeout=self.seconds):
                return
            for _ in range(_REPEATS):
                if not self.armed:
                    return
                self.fired = True
                _RAISE_IN(self.target, CheckTimeout)  # type: ignore[misc]
                if self._gate.acquire(timeout=_REPEAT_S):
                    return
        finally:
            self.finished = True

    def _disarm(self) -> None:
        self.armed = False
        try:
            self._gate.release()
        except RuntimeError:  # released by an earlier try
            pass
        while not self.finished:
            time.sleep(0.0005)
        if self.fired:
            _land()  # a raise not yet landed lands here, and stop() catches it

    def stop(self) -> None:
        while True:
            try:
                self._disarm()
                return
            except CheckTimeout:  # it landed while disarming: the call had already ended
                continue


# -------------------------------------------------------- the learner's exceptions
@functools.cache
def _library_roots() -> tuple[tuple[str, str], ...]:
    """(folder, name) of the code that is not the learner's: ganlib, torch, Python's own."""
    roots = [(str(Path(__file__).resolve().parents[1]), "ganlib")]
    try:
        import torch

        roots.append((str(Path(torch.__file__).resolve().parent), "torch"))
    except ImportError:  # pragma: no cover - ganlib needs torch
        pass
    paths = sysconfig.get_paths()
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        if key in paths:
            roots.append((str(Path(paths[key]).resolve()), "a library"))
    return tuple(roots)


def _library(filename: str) -> str | None:
    """The library a frame's file belongs to, or None for the learner's own code."""
    if filename.startswith("<"):
        return "Python" if filename.startswith("<frozen") else None
    try:
        path = str(Path(filename).resolve())
    except (OSError, RuntimeError):
        return None
    for root, name in _library_roots():
        if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
            return name
    return None


_CELL = re.compile(r"ipykernel_\d+|<ipython-input-")


def _place(frame: traceback.FrameSummary) -> str:
    """Where a learner's frame is: its line (in a notebook cell: the cell's line)."""
    function = translate("your cell") if frame.name == "<module>" else frame.name
    if _CELL.search(frame.filename):
        where = render("line {line} of {function}", line=frame.lineno, function=function)
    else:
        where = render("{file} line {line}, in {function}", file=Path(frame.filename).name,
                       line=frame.lineno, function=function)
    source = (frame.line or "").strip()
    if source:
        where += f": `{source[:80]}{'…' if len(source) > 80 else ''}`"
    return where


def _text(err: BaseException) -> str:
    """``Type: message`` on one line (a torch message can run over many)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    message = lines[0] if lines else ""
    if len(message) > 200:
        message = message[:199] + "…"
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _learner_frames(err: BaseException, check_code: object = None
                    ) -> tuple[list[traceback.FrameSummary], int | None]:
    """The traceback's frames and the index of the innermost one in the learner's code:
    not in a library, and not the check body's own frame (``check_code``, its code object,
    for a check written outside ganlib)."""
    frames = traceback.extract_tb(err.__traceback__)
    own = (getattr(check_code, "co_filename", None), getattr(check_code, "co_name", None))
    mine = [i for i, f in enumerate(frames)
            if _library(f.filename) is None and (f.filename, f.name) != own]
    return frames, (mine[-1] if mine else None)


def describe_error(err: BaseException, check_code: object = None) -> str:
    """A learner's exception as one line: ``RuntimeError: … (line 3 of f: `…`)``.

    The place is the innermost frame of the learner's own code (not torch's, ganlib's or
    Python's); an error raised inside torch says so and names the learner's line that
    called it. What :func:`during` recorded comes first in the parentheses. ``check_code``:
    the code object of a check body written outside ganlib (its frame is not the learner's).
    """
    frames, i = _learner_frames(err, check_code)
    during_ = getattr(err, "_ganlib_during", "")
    notes = [translate(during_)] if during_ else []
    if i is not None:
        if i == len(frames) - 1:
            notes.append(_place(frames[i]))
        else:
            notes.append(render("inside {library}, called from {place}",
                                library=translate(_library(frames[-1].filename)),
                                place=_place(frames[i])))
    # the learner's error stays as Python or torch wrote it; where it happened is translated
    if not notes:
        return _text(err)
    return render("{error} ({notes})", error=_text(err), notes=render("; ").join(notes))


@contextmanager
def during(what: str) -> Iterator[None]:
    """Record, on an exception raised in the block, which probe the check was running.

    ``with during("for a single sample"): fn(x)`` makes a learner's error read
    ``your code raised IndexError: … (for a single sample; line 4 of fn: `…`)``.
    """
    try:
        yield
    except Exception as err:
        if not getattr(err, "_ganlib_during", ""):
            try:
                err._ganlib_during = what  # type: ignore[attr-defined]
            except AttributeError:  # an exception type with __slots__: say nothing more
                pass
        raise


def _verdict_for_exception(name: str, err: Exception, check_code: object) -> CheckResult:
    """The verdict on an exception, in the language of ``GANLIB_LANG``; the exception's own
    text and the learner's code stay as Python, torch and the learner wrote them."""
    frames, i = _learner_frames(err, check_code)
    name = translate(name)
    if isinstance(err, NotImplementedError) and i is not None and i == len(frames) - 1:
        return CheckResult(False, render("❌ {name}: not implemented yet — replace the "
                                         "`raise NotImplementedError` line with your code",
                                         name=name))
    if i is not None:
        return CheckResult(False, render("❌ {name}: your code raised {error}", name=name,
                                         error=describe_error(err, check_code)))
    through_module = any(f.name in ("_call_impl", "_wrapped_call_impl")
                         and _library(f.filename) == "torch" for f in frames)
    innermost = frames[-1] if frames else None
    if through_module and innermost is not None and _library(innermost.filename) == "torch":
        during_ = getattr(err, "_ganlib_during", "")
        if during_:
            return CheckResult(False, render(
                "❌ {name}: your module raised {error} when the check ran it ({during}; inside "
                "torch's {function})", name=name, error=_text(err), during=translate(during_),
                function=innermost.name))
        return CheckResult(False, render(
            "❌ {name}: your module raised {error} when the check ran it (inside torch's "
            "{function})", name=name, error=_text(err), function=innermost.name))
    if innermost is None:
        return CheckResult(False, render(
            "❌ {name}: the check could not verify your answer: its own code raised {error} — "
            "hint: a gap in the check, not necessarily a mistake of yours: please report it, "
            "with your function", name=name, error=_text(err)))
    return CheckResult(False, render(
        "❌ {name}: the check could not verify your answer: its own code raised {error} ({file} "
        "line {line}, in {function}) — hint: a gap in the check, not necessarily a mistake of "
        "yours: please report it, with your function", name=name, error=_text(err),
        file=Path(innermost.filename).name, line=innermost.lineno, function=innermost.name))


# --------------------------------------------------------------------- the decorator
def check(name: str) -> Callable[[Callable[..., str | None]], Callable[..., CheckResult]]:
    """Decorate a check body: it returns a success detail or calls :func:`fail`.

    The wrapper prints the one-line verdict and returns a :class:`CheckResult`. Keywords
    of the wrapped check: ``print_result=False`` keeps it quiet (for tests);
    ``time_limit`` (seconds, default :data:`TIME_LIMIT`; 0 for none) bounds its run time;
    ``seed`` (an int, or ``"hidden"`` for :func:`hidden_seed`) draws the check's random
    inputs from that seed instead of its own;
    ``raise_on_failure`` raises :class:`CheckFailed` after a failed verdict (default: only
    under nbgrader, see :func:`graded_run`).
    """

    def wrap(body: Callable[..., str | None]) -> Callable[..., CheckResult]:
        @functools.wraps(body)
        def run(*args, print_result: bool = True, time_limit: float | None = None,
                seed: int | str | None = None, raise_on_failure: bool | None = None,
                **kwargs) -> CheckResult:
            if seed == "hidden":
                seed = hidden_seed()
            elif seed is not None and not isinstance(seed, int):
                raise TypeError(f"seed must be an int or 'hidden', got {seed!r}")
            result = _verdict(body, name if seed is None else f"{name} on new inputs",
                              args, kwargs, TIME_LIMIT if time_limit is None
                              else float(time_limit), seed)
            if print_result:
                print(result.message)
            if not result and (graded_run() if raise_on_failure is None else raise_on_failure):
                raise CheckFailed(result.message)
            return result

        return run

    return wrap


def _verdict(body: Callable[..., str | None], name: str, args: tuple, kwargs: dict,
             limit: float, seed: int | None) -> CheckResult:
    """Run one check body on the learner's code and turn what happens into a verdict."""
    from .support import new_inputs  # support imports this module

    deadline = _Deadline(limit)
    try:
        try:
            deadline.start()
            with new_inputs(seed) if seed is not None else nullcontext():
                detail = body(*args, **kwargs)
        finally:
            deadline.stop()
        if detail:
            return CheckResult(True, render("✅ {name}: correct — {detail}",
                                            name=translate(name), detail=translate(detail)))
        return CheckResult(True, render("✅ {name}: correct", name=translate(name)))
    except CheckTimeout:
        deadline.stop()  # again: the time-out may have landed before the first stop
        return CheckResult(False, render(
            "❌ {name}: your code did not finish within {limit} s (an endless loop?), so the "
            "check stopped it — hint: look for a loop whose condition never becomes false, or "
            "a step that waits for something", name=translate(name), limit=f"{limit:g}"))
    except CheckFailure as err:
        if err.hint:
            return CheckResult(False, render("❌ {name}: {problem} — hint: {hint}",
                                             name=translate(name),
                                             problem=translate(err.problem),
                                             hint=translate(err.hint)))
        return CheckResult(False, render("❌ {name}: {problem}", name=translate(name),
                                         problem=translate(err.problem)))
    except Exception as err:  # the learner's code failed: report, do not raise
        return _verdict_for_exception(name, err, body.__code__)
