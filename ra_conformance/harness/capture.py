"""Which HTTP exchanges a test result shows: one path, Inferno's `makes_request` / `uses_request` as a pytest idiom.

An exchange is recorded where it is made, into every capture frame open at that moment:
- a test's frame (its setup, call and teardown),
- a fixture's frame while the fixture is set up: kept under the fixture's name, so every test that requests
  the fixture shows them (a module fixture's kick-off appears in each test reading it, not only the first),
- a memoised answer's frame while it is computed: kept with the answer, so every test that reads the answer
  shows them (`Memo.get`).
No test or suite attaches anything by hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

from ..fhir.client import Exchange

T = TypeVar("T")


class Frame:
    """The exchanges made (or used) while the frame was open, once each, in the order they came."""

    def __init__(self) -> None:
        self._by_id: dict[int, Exchange] = {}

    def add(self, exchange: Exchange) -> None:
        self._by_id.setdefault(exchange.id, exchange)

    @property
    def exchanges(self) -> list[Exchange]:
        return list(self._by_id.values())


class Capture:
    """The run's exchange capture: a listener on the client's ExchangeLog, plus the open frames."""

    def __init__(self) -> None:
        self._open: list[Frame] = []
        self._test: Frame | None = None
        self._fixtures: dict[str, list[Exchange]] = {}  # fixture name -> exchanges of its latest set-up

    def listen(self, exchange: Exchange) -> None:
        """ExchangeLog listener: every exchange goes into every open frame."""
        self.use([exchange])

    def use(self, exchanges: Iterable[Exchange]) -> None:
        """Exchanges made earlier (a memoised answer, a fixture's set-up) that the open frames now rely on."""
        for exchange in exchanges:
            for frame in self._open:
                frame.add(exchange)

    @contextlib.contextmanager
    def frame(self) -> Iterator[Frame]:
        frame = Frame()
        self._open.append(frame)
        try:
            yield frame
        finally:
            self._open.remove(frame)

    # -- tests and fixtures (driven by the plugin's hooks) -------------------------------------
    def begin_test(self) -> None:
        self.end_test()
        self._test = Frame()
        self._open.append(self._test)

    def end_test(self) -> None:
        if self._test is not None and self._test in self._open:
            self._open.remove(self._test)
        self._test = None

    def fixture_done(self, name: str, frame: Frame) -> None:
        """A fixture was set up: its exchanges belong to every test that requests it (until it is set up again)."""
        self._fixtures[name] = frame.exchanges

    def test_exchanges(self, fixturenames: Iterable[str]) -> list[dict[str, Any]]:
        """The current test's exchanges: its own and its fixtures', in the order they were made."""
        found = Frame()
        for name in fixturenames:
            for exchange in self._fixtures.get(name, ()):
                found.add(exchange)
        for exchange in self._test.exchanges if self._test is not None else ():
            found.add(exchange)
        return [x.to_dict() for x in sorted(found.exchanges, key=lambda x: x.id)]


class Memo:
    """Answers asked once per run, keyed by the request; each carries the exchanges it was made with, which every
    reader then uses (attached to the test reading it)."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self._entries: dict[Hashable, tuple[Any, list[Exchange]]] = {}

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        entry = self._entries.get(key)
        if entry is None:
            with self.capture.frame() as made:
                made_value = make()
            entry = self._entries[key] = (made_value, made.exchanges)
        self.capture.use(entry[1])
        found: T = entry[0]  # what `make` returned for this key
        return found

    def values(self) -> list[Any]:
        return [value for value, _ in self._entries.values()]
