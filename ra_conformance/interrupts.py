"""Ctrl-C and SIGTERM: both become a KeyboardInterrupt (pytest then ends the session cleanly and the run's
reports say "incomplete"), and the process exits 130 (SIGINT) or 143 (SIGTERM), as shells expect.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

EXIT_SIGINT, EXIT_SIGTERM = 130, 143
_received: list[str] = []  # names of the signals received by this process, in order


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Python was when it arrived (handled like Ctrl-C)."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    _received.append(name)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def install() -> None:
    """Route SIGINT and SIGTERM through `_on_signal` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


def reset() -> None:
    """Forget earlier signals (a new run starts)."""
    _received.clear()


def signal_name() -> str | None:
    """The last signal received (None: no signal; a KeyboardInterrupt raised otherwise counts as SIGINT)."""
    return _received[-1] if _received else None


def exit_code(exc: BaseException | None = None) -> int:
    if isinstance(exc, Terminated) or (exc is None and signal_name() == "SIGTERM"):
        return EXIT_SIGTERM
    return EXIT_SIGINT
