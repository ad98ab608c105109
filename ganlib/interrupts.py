"""Ctrl-C that waits for a step boundary: training stops between steps, never inside one.

    with CtrlC() as ctrl_c:
        while not ctrl_c.pressed:
            one_whole_step()          # a first Ctrl-C lets it finish
            with ctrl_c.shield():
                save()                # a second Ctrl-C here waits too

A first Ctrl-C (SIGINT) only sets ``pressed``; the loop stops at its next check. A second
one raises ``KeyboardInterrupt`` at once, for a step that hangs, unless it arrives inside
``shield()``; the caller then undoes the step in progress. Only the main thread can catch
signals: elsewhere, and where SIGINT is ignored, Ctrl-C behaves as usual.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["CtrlC"]


class CtrlC:
    """Counts Ctrl-C presses while active; raises ``KeyboardInterrupt`` on the second one
    outside :meth:`shield`. Restores the previous SIGINT handler on exit."""

    def __init__(self) -> None:
        self.pressed = 0
        self.shielded = False
        self._previous: Any = None

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if callable(previous):  # not SIG_IGN, not a handler installed outside Python
                self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.pressed += 1
        if self.pressed > 1 and not self.shielded:
            raise KeyboardInterrupt

    @contextmanager
    def shield(self) -> Iterator[None]:
        """No ``KeyboardInterrupt`` from a second press inside this block (it only counts)."""
        outer, self.shielded = self.shielded, True
        try:
            yield
        finally:
            self.shielded = outer

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
