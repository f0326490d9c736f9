"""The validator's memos cost what they count (issue 10: a 100,000-patient export validated in flat memory).

orjson (3.12+) rounds the allocation of every bytes it returns up to at least 4 KiB; a memo that kept those
results held ~4 KiB per subtree, extension, invariant or resource key — per exported patient, since identifiers
and names are remembered too. The memos keep right-sized copies (``jsonio.kept``) and the subtree memo's bound
counts each entry's overhead (met once, or remembered); both are measured here with tracemalloc (memory, not time).
"""

from __future__ import annotations

import copy
import gc
import tracemalloc
from collections.abc import Callable, Iterator
from typing import NamedTuple

import orjson
import pytest

from ra_conformance import jsonio
from ra_conformance.validation import constraints, extensions, invariants, structure, subtrees, validator_for, verdicts
from ra_conformance.validation.memos import forget_all

from .validation_samples import answer_bundle

DISTINCT = 400  # answers of distinct patients (each remembers its own identifier, name, period...)
BUDGET = 3_000  # bytes the memos may grow by per distinct answer (right-sized: ~1,400; orjson's results: ~16,700)
MEMO_MODULES = (subtrees, structure, extensions, constraints, invariants, verdicts)


def _answers(offset: int, count: int) -> Iterator[dict]:
    for i in range(offset, offset + count):
        answer = copy.deepcopy(answer_bundle())
        report, patient = answer["entry"][0]["resource"], answer["entry"][1]["resource"]
        patient["identifier"][0]["value"] = f"MRN-{i:06d}"
        patient["name"][0]["family"] = f"Tester{i}"
        report["period"] = {"start": "2023-01-01", "end": f"2023-12-{1 + i % 28:02d}"}
        report["group"][0]["extension"][2]["valueDate"] = f"2023-11-{1 + i % 28:02d}"
        yield answer


class Growth(NamedTuple):
    held: int  # bytes all memos hold after validating DISTINCT answers
    subtrees: int  # of which the subtree memo's
    counted: int  # what the subtree memo counts for itself (its bound applies to this)


def _released(forget: Callable[[], None]) -> int:
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    forget()
    gc.collect()
    return before - tracemalloc.get_traced_memory()[0]


def _memo_growth(offset: int) -> Growth:
    validator = validator_for("2.1.0")
    for answer in _answers(offset, 20):  # tables, plans and fhirpathpy loaded before measuring
        assert validator.validate_answer_bundle(answer) == []
    forget_all()
    answers = list(_answers(offset + 20, DISTINCT))
    gc.collect()
    tracemalloc.start()
    try:
        for answer in answers:
            validator.validate_answer_bundle(answer)
        counted = subtrees._size
        in_subtrees = _released(subtrees.forget)
        return Growth(in_subtrees + _released(forget_all), in_subtrees, counted)
    finally:
        tracemalloc.stop()


def _orjson_rounds_up() -> bool:
    tracemalloc.start()
    try:
        data = orjson.dumps({"a": 1})
        return tracemalloc.get_traced_memory()[0] > 1_000 + len(data)
    finally:
        tracemalloc.stop()


def test_kept_is_an_equal_right_sized_copy():
    data = orjson.dumps({"system": "http://example.org/mrn", "value": "123"})
    tracemalloc.start()
    try:
        copies = [jsonio.kept(data) for _ in range(1_000)]
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert all(c == data for c in copies) and copies[0] is not data
    assert held < 1_000 * (len(data) + 80)


def test_the_memos_grow_by_little_per_distinct_resource():
    growth = _memo_growth(0)
    assert 0 < growth.held < DISTINCT * BUDGET


def test_the_subtree_memo_counts_what_it_holds():
    """Its bound (_LIMIT_BYTES) is then a bound on memory: the JSON and each entry's overhead are counted."""
    growth = _memo_growth(20_000)
    assert growth.subtrees > 50_000 and 0.85 < growth.counted / growth.subtrees < 1.3


def test_counting_the_json_alone_is_caught(monkeypatch):
    """Able to fail: without the entries' overhead the memo counts about half of what it holds."""
    monkeypatch.setattr(subtrees, "_ONCE_BYTES", 0)
    monkeypatch.setattr(subtrees, "_ENTRY_BYTES", 0)
    growth = _memo_growth(30_000)
    assert not 0.85 < growth.counted / growth.subtrees < 1.3


def test_the_budget_catches_memos_that_keep_orjson_results(monkeypatch):
    """Able to fail: keys kept as orjson returned them blow the budget (where orjson rounds up, as 3.12+ does)."""
    if not _orjson_rounds_up():
        pytest.skip(f"orjson {orjson.__version__} returns right-sized bytes: nothing to catch")
    same: Callable[[bytes], bytes] = lambda data: data  # noqa: E731
    for module in MEMO_MODULES:
        if hasattr(module, "kept"):
            monkeypatch.setattr(module, "kept", same)
    assert _memo_growth(10_000).held > DISTINCT * BUDGET
