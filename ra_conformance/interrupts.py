"""Ctrl-C and SIGTERM: both become a KeyboardInterrupt (pytest then ends the session cleanly and the run's
reports say "incomplete"), and the process exits 130 (SIGINT) or 143 (SIGTERM), as shells expect.

Once the command is over, `ending()` makes a signal end the process at once: during the interpreter's own
teardown a raised KeyboardInterrupt would print a traceback ("Exception ignored in …"), and from the moment
CPython disables its signal handling there (before it frees the modules, which takes a few hundred ms here)
the signal kills the process by the default action, which shells also report as 130 / 143.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

EXIT_SIGINT, EXIT_SIGTERM = 130, 143
_received: list[str] = []  # names of the signals received by this process, in order
_swallowed: list[str] = []  # signals whose KeyboardInterrupt was raised where Python cannot propagate it


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Python was when it arrived (handled like Ctrl-C)."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    _received.append(name)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _route(handler: Callable[[int, FrameType | None], None]) -> bool:
    """SIGINT and SIGTERM to `handler` (main thread only: False elsewhere, nothing changed)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return True


def install() -> None:
    """Route SIGINT and SIGTERM through `_on_signal` (main thread only; elsewhere a no-op)."""
    if _route(_on_signal):
        guard_unraisable()


def _exit_now(signum: int, frame: FrameType | None) -> None:
    _received.append(signal.Signals(signum).name)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # it may be the stream being written when the signal came
            stream.flush()
    os._exit(code_for(_received[-1]))


def ending() -> None:
    """The command is over (reports written, results printed): a signal from now on exits at once, no traceback."""
    _route(_exit_now)


def guard_unraisable() -> None:
    """Wrap `sys.unraisablehook`: a signal's KeyboardInterrupt raised inside a weakref callback or a `__del__`
    (garbage collection can run them anywhere) cannot propagate; instead of printing it as "Exception ignored",
    keep it for `raise_swallowed()` to raise where it can, and for `swallowed()` to report."""
    previous = sys.unraisablehook
    if getattr(previous, "ra_conform_guard", False):
        return

    def hook(args: sys.UnraisableHookArgs) -> None:
        if isinstance(args.exc_value, KeyboardInterrupt):
            _swallowed.append("SIGTERM" if isinstance(args.exc_value, Terminated) else signal_name() or "SIGINT")
            return
        previous(args)

    hook.ra_conform_guard = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def swallowed() -> str | None:
    """The signal whose interrupt was lost where Python could not propagate it (None: none was)."""
    return _swallowed[-1] if _swallowed else None


def raise_swallowed() -> None:
    """Raise, from a place where it propagates, the interrupt a weakref callback or `__del__` swallowed."""
    if _swallowed:
        name = _swallowed[-1]
        _swallowed.clear()
        raise Terminated() if name == "SIGTERM" else KeyboardInterrupt()


def reset() -> None:
    """Forget earlier signals (a new run starts)."""
    _received.clear()
    _swallowed.clear()


def signal_name() -> str | None:
    """The last signal received (None: no signal; a KeyboardInterrupt raised otherwise counts as SIGINT)."""
    return _received[-1] if _received else None


def code_for(name: str) -> int:
    """The exit status of a signal's name: 143 for SIGTERM, 130 (Ctrl-C) otherwise."""
    return EXIT_SIGTERM if name == "SIGTERM" else EXIT_SIGINT


def exit_code(exc: BaseException | None = None) -> int:
    if isinstance(exc, Terminated) or (exc is None and signal_name() == "SIGTERM"):
        return EXIT_SIGTERM
    return EXIT_SIGINT
