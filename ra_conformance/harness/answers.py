"""Answers: what the target said to the run's requests, each asked once per run and keyed by the request (one Memo).

Reading an answer attaches the exchanges it was made with to the test reading it (capture.Memo). What a search
said about itself (parameters it ignored, `outcome` entries) is noted for the test reading it and for the run.
"""

from __future__ import annotations

from typing import Any

from .. import kit as kitmod
from ..checks import search as sc
from ..checks.findings import Finding
from ..fhir import search as fsearch
from ..fhir.operation import OperationAnswer
from . import flows
from .capture import Memo
from .target import Target


class Answers:
    def __init__(self, target: Target, memo: Memo) -> None:
        self.target = target
        self.memo = memo
        self.ignored: dict[str, tuple[str, ...]] = {}  # search parameters the target ignored -> REQ ids (run-wide)
        self.outcome_texts: list[str] = []  # diagnostics of searchset `outcome` entries (run-wide, distinct)
        self._test_ignored: dict[str, None] = {}
        self._test_self_links: list[str] = []
        self._test_outcomes: dict[str, None] = {}

    # -- the coding-gap operation and $risk-gap ---------------------------------------------------
    def answer(self, scenario: kitmod.Scenario, method: str = "GET") -> OperationAnswer:
        """The operation's answer for a scenario, asked once per run and method."""
        key = ("operation", scenario.subject, scenario.period_start, scenario.period_end, method.upper())
        return self.memo.get(key, lambda: self.target.operation.invoke(
            scenario.subject, scenario.period_start, scenario.period_end, method=method))

    def risk_gap_answer(self, case: kitmod.RiskGapCase, *, context_id: str | None = None) -> OperationAnswer:
        """`$risk-gap` for a kit case (data Bundle built from the kit), asked once per run and contextId."""
        return self.memo.get(("risk-gap", case.id, context_id),
                             lambda: self.target.risk_gap.invoke(case, self.target.kit.resources, context_id=context_id))

    # -- the 2.1.0/STU3 MeasureReport search (RA-SPEC §1.6) ------------------------------------------
    def search(self, params: list[tuple[str, str]]) -> fsearch.SearchAnswer:
        """GET MeasureReport?<params>, every page followed; asked once per run and query. What the answer says
        about itself (ignored parameters, `outcome` entries) is noted for the current test (search_notes)."""
        found = self.memo.get(("search", *params), lambda: fsearch.fetch_all(
            self.target.client, "MeasureReport", params, headers=self.target.search_headers))
        self._note_search(found)
        return found

    def search_answer(self, scenario: kitmod.Scenario, *, count: int | None = None,
                      include: bool = True) -> tuple[fsearch.SearchAnswer, OperationAnswer]:
        """The IG's retrieval search for a scenario, and its per-patient normalisation."""
        params = fsearch.coding_gap_query(scenario.subject, scenario.period_start, scenario.period_end,
                                          category_param=self.target.category_param, include=include, count=count)
        found = self.search(params)
        if found.response is None:  # pragma: no cover - fetch_all always fetches a first page
            raise RuntimeError("search without a page")
        answer = self.memo.get(("search-answer", *params), lambda: fsearch.to_answer(found, patients=list(scenario.returns)))
        return found, answer

    def retrieved(self, scenario: kitmod.Scenario) -> list[OperationAnswer]:
        """The scenario's answer by every retrieval flow the content checks judge (search, then the operation).
        A Group subject is searched member by member unless the target declares group expansion (REQ-086 ⚑)."""
        out = []
        for flow in self.target.content_flows:
            if flow == flows.OPERATION:
                out.append(self.answer(scenario))
            elif scenario.subject.startswith("Group/") and not self.target.declarations.group_expansion:
                out.append(self._member_search_answer(scenario))
            else:
                out.append(self.search_answer(scenario)[1])
        return out

    def _member_search_answer(self, scenario: kitmod.Scenario) -> OperationAnswer:
        found = [self.search(fsearch.coding_gap_query(member, scenario.period_start, scenario.period_end,
                                                      category_param=self.target.category_param))
                 for member in scenario.returns]

        def merge() -> OperationAnswer:
            merged = fsearch.SearchAnswer(pages=[p for f in found for p in f.pages],
                                          problems=[p for f in found for p in f.problems],
                                          paging_problems=[p for f in found for p in f.paging_problems])
            if merged.pages:
                return fsearch.to_answer(merged, patients=list(scenario.returns))
            return OperationAnswer(response=self.target.metadata, problems=["no member to search"])

        return self.memo.get(("member-search", scenario.subject, scenario.period_start, scenario.period_end), merge)

    def answered_resources(self) -> list[dict[str, Any]]:
        """Every resource the run's answers carried (for must-support coverage)."""
        out: list[dict[str, Any]] = []
        for value in self.memo.values():
            if isinstance(value, OperationAnswer):
                out.extend(value.all_resources())
        return out

    # -- what searches said about themselves (issue 16) -------------------------------------------
    def begin_test(self) -> None:
        self._test_ignored, self._test_self_links, self._test_outcomes = {}, [], {}

    def search_notes(self) -> list[Finding]:
        """What the current test's searches said about themselves, once per test: the parameters the server
        ignored (root cause: the test's first finding) and the diagnostics of `outcome` entries (warnings)."""
        return (sc.ignored_parameters(list(self._test_ignored), self._test_self_links)
                + sc.search_outcomes(list(self._test_outcomes)))

    def _note_search(self, found: fsearch.SearchAnswer) -> None:
        ignored = found.ignored_parameters()
        for name in ignored:
            self._test_ignored.setdefault(name, None)
            self.ignored.setdefault(name, sc.reqs_of_parameters([name]))
        if ignored and found.self_link and found.self_link not in self._test_self_links:
            self._test_self_links.append(found.self_link)
        for outcome in found.outcomes:
            text = sc.outcome_diagnostics(outcome)
            self._test_outcomes.setdefault(text, None)
            if text not in self.outcome_texts:
                self.outcome_texts.append(text)
