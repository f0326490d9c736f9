"""A pytest plugin for the interrupt tests: during the Nth test (env LOSE_AT; 0: at the session's end), a SIGINT
arrives while a weakref callback runs, where Python cannot raise it (as garbage collection can make happen)."""
import os
import signal
import weakref

_count = 0


class _Thing:
    pass


def _lose() -> None:
    def callback(_ref: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # handled inside this callback: the KeyboardInterrupt is unraisable
        for _ in range(1000):
            pass

    thing = _Thing()
    ref = weakref.ref(thing, callback)
    del thing
    del ref


def pytest_runtest_call(item: object) -> None:
    global _count
    _count += 1
    if _count == int(os.environ["LOSE_AT"]):
        _lose()


def pytest_sessionfinish(session: object) -> None:
    if os.environ["LOSE_AT"] == "0":
        _lose()
