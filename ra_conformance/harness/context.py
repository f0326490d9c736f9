"""RaContext: what a suite test reads through the `ra` fixture — the Target and the run's memoised Answers.

The two halves live in target.py (what the server is and declares) and answers.py (what it said, asked once per
run); the exchanges a test shows come from capture.py, never from the suites.
"""

from __future__ import annotations

from typing import Any

from .. import kit as kitmod
from ..fhir import search as fsearch
from ..fhir.operation import OperationAnswer
from ..settings import Settings
from .answers import Answers
from .capture import Capture, Memo
from .target import Target


class RaContext(Target):
    """The target, plus its answers under the names the suites read (`ra.answer(scenario)`, `ra.search(...)`)."""

    def __init__(self, settings: Settings, capture: Capture) -> None:
        memo = Memo(capture)
        super().__init__(settings, memo)
        self.capture = capture
        self.answers = Answers(self, memo)

    def answer(self, scenario: kitmod.Scenario, method: str = "GET") -> OperationAnswer:
        return self.answers.answer(scenario, method)

    def search(self, params: list[tuple[str, str]]) -> fsearch.SearchAnswer:
        return self.answers.search(params)

    def search_answer(self, scenario: kitmod.Scenario, *, count: int | None = None,
                      include: bool = True) -> tuple[fsearch.SearchAnswer, OperationAnswer]:
        return self.answers.search_answer(scenario, count=count, include=include)

    def retrieved(self, scenario: kitmod.Scenario) -> list[OperationAnswer]:
        return self.answers.retrieved(scenario)

    def risk_gap_answer(self, case: kitmod.RiskGapCase, *, context_id: str | None = None) -> OperationAnswer:
        return self.answers.risk_gap_answer(case, context_id=context_id)

    def answered_resources(self) -> list[dict[str, Any]]:
        return self.answers.answered_resources()
