"""The skeleton memo (validation/skeletons.py): a report whose skeleton (its JSON less its id and top-level
reference strings) was judged before gets that verdict only when its own id and references pass the checks
that read them; every finding equals a cold validation's, and the memo does serve reports that differ from
a judged one in those strings alone."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.validation import skeletons, validator_for
from ra_conformance.validation.memos import forget_all

REPORT = Path(__file__).resolve().parents[2] / "fixtures" / "resources" / "MeasureReport-rac-mr-p01-v24.json"


def _report() -> dict[str, Any]:
    return json.loads(REPORT.read_text(encoding="utf-8"))


def _found(resource: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [(i.severity, i.rule, i.location, i.message, i.resource) for i in validator_for("2.1.0").validate(resource)]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(resource: dict[str, Any]) -> None:
        node = resource
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return mutate


CASES = [  # (mutation of another patient's report, a rule the cold validation reports)
    ("subject of another type", _set(("subject", "reference"), "Practitioner/x"), "REQ-103"),
    ("subject not a base target", _set(("subject", "reference"), "Observation/x"), "struct-ref-target"),
    ("empty evidence reference", _set(("evaluatedResource", 0, "reference"), ""), "struct-empty"),
    ("malformed evidence reference", _set(("evaluatedResource", 1, "reference"), "not a reference"),
     "struct-reference"),
    ("local reference to nothing", _set(("subject", "reference"), "#p"), "ref-1"),
    ("invalid id", _set(("id",), "bad id!"), "struct-format"),
]


def _another_patient(n: int) -> dict[str, Any]:
    report = _report()
    report["id"] = f"{report['id']}-{n}"
    report["subject"]["reference"] = f"Patient/p{n}"
    for item in report["evaluatedResource"]:
        item["reference"] += f"-{n}"
    return report


@pytest.mark.parametrize("name, mutate, rule", CASES, ids=[c[0] for c in CASES])
def test_a_served_skeleton_still_judges_the_id_and_references(name, mutate, rule):
    variant = _another_patient(7)
    mutate(variant)
    forget_all()
    cold = _found(copy.deepcopy(variant))
    assert rule in {f[1] for f in cold}, name
    forget_all()
    for n in range(3):
        _found(_another_patient(n))  # the skeleton judged (and remembered)
    assert skeletons._SEEN
    assert _found(variant) == cold


def test_reports_of_other_patients_are_served_with_their_own_label(monkeypatch):
    forget_all()
    validator = validator_for("2.1.0")
    runs: list[object] = []
    run = validator._run
    monkeypatch.setattr(validator, "_run", lambda *a: runs.append(a) or run(*a))

    def odd(n: int) -> dict[str, Any]:
        report = _another_patient(n)
        report["status"] = "bogus"  # an issue outside the masked strings: kept, relabelled
        return report

    first = _found(odd(1))
    _found(odd(2))  # the skeleton met again: its verdict kept
    assert len(runs) == 2 and first
    served = _found(odd(3))
    assert len(runs) == 2  # served by the skeleton memo
    forget_all()
    assert served == _found(odd(3))
    assert {f[4] for f in served} == {f"MeasureReport/{odd(3)['id']}"}


def test_the_memo_is_bounded_by_the_bytes_it_counts(monkeypatch):
    forget_all()
    monkeypatch.setattr(skeletons, "_LIMIT_BYTES", 60_000)
    monkeypatch.setattr(skeletons._GATE, "misses", 10**9)  # every report looked up (no probing)
    sizes = []
    for n in range(40):
        report = _another_patient(n)
        report["date"] = f"2024-01-{1 + n % 28:02d}" if n < 28 else f"2024-02-{n - 27:02d}"  # another skeleton each
        _found(report)
        _found(_another_patient(n + 100) | {"date": report["date"]})  # met again: kept
        sizes.append(skeletons._size)
    assert max(sizes) <= 60_000 and len(set(sizes)) > 5


def test_a_resource_extension_remembered_clean_does_not_serve_another():
    """profile_memo.py skips a resource's own extension met clean before (by its JSON): one that differs is
    still judged (the report of another patient with another skeleton, so the skeleton memo does not serve)."""
    forget_all()
    for n in range(3):
        _found(_another_patient(n))
    variant = _another_patient(9)
    variant["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "not-ra"
    warm = _found(variant)
    forget_all()
    cold = _found(copy.deepcopy(variant))
    assert warm == cold and any(f[2].startswith("MeasureReport.extension[0]") for f in cold)


_REFS = ["Patient/p1", "Practitioner/x", "Observation/o", "Organization/o1", "", "#p", "not a reference",
         "http://example.org/fhir/Patient/1", "urn:uuid:1234", " Patient/p1", "Group/g", "Foo/bar", 5, None]
_IDS = ["r1", "r-2", "bad id!", "", "x" * 70, 3, None]


def _kit() -> list[dict[str, Any]]:
    found = []
    for path in sorted(REPORT.parents[1].rglob("*.json")):
        resource = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(resource, dict) and resource.get("resourceType") not in (None, "Bundle", "Parameters"):
            found.append(resource)
    return found


@pytest.mark.parametrize("version", ["stu1", "2.1.0", "stu3-ballot"])
def test_fuzzed_ids_and_references_get_their_cold_verdicts(version):
    """Every kit resource validated (its skeleton remembered), then variants of it with other ids and top-level
    reference strings (valid, of other types, malformed, local, not strings): each verdict equals a cold one."""
    from ra_conformance.validation.structure import type_info

    rng = random.Random(version)
    validator = validator_for(version)
    served = 0
    for base in _kit():
        info = type_info(base["resourceType"])
        names = [k for k in base if info is not None and (s := info.specs.get(k)) is not None and s.code == "Reference"]
        for n in range(3):
            variant = copy.deepcopy(base)
            variant["id"] = rng.choice(_IDS) if n == 2 else f"v{n}"
            for name in names:
                for item in variant[name] if isinstance(variant[name], list) else [variant[name]]:
                    if isinstance(item, dict) and rng.random() < 0.6:
                        item["reference"] = rng.choice(_REFS)
            forget_all()
            validator.validate(copy.deepcopy(base))
            validator.validate(copy.deepcopy(base) | {"id": "another"})  # the skeleton met again: kept
            before = len(skeletons._SEEN)
            warm = validator.validate(copy.deepcopy(variant), ordinal=n)
            served += before > 0
            forget_all()
            assert warm == validator.validate(copy.deepcopy(variant), ordinal=n)
    assert served > 10
