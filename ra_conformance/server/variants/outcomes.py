"""A searchset that also carries an OperationOutcome about the search itself (search.mode = outcome)."""

from __future__ import annotations

from ..rest import Answer
from .base import Behaviour, Call, Variant, is_searchset

NOTE = "Search results are limited to the MeasureReports this payer holds"


class SearchOutcomeNote(Behaviour):
    """Every searchset gets one informational OperationOutcome entry with ``search.mode = outcome``; nothing else
    changes (every parameter is still applied, the self link still lists them)."""

    def after(self, call: Call, answer: Answer) -> Answer:
        if is_searchset(answer.body):
            answer.body.setdefault("entry", []).append({
                "resource": {"resourceType": "OperationOutcome",
                             "issue": [{"severity": "information", "code": "informational", "diagnostics": NOTE}]},
                "search": {"mode": "outcome"}})
        return answer


SEARCH_OUTCOME_NOTE = Variant(
    "search-outcome-note",
    "every searchset also carries an informational OperationOutcome entry with search.mode=outcome",
    "R4 Bundle.entry.search.mode (match | include | outcome): an OperationOutcome about the search itself "
    "(search.html#errors)",
    SearchOutcomeNote,
)
