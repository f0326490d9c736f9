"""Bad input gets issues, never an exception: random garbage placed anywhere in our sample resources."""

from __future__ import annotations

import contextlib
import copy
import random
from collections.abc import Iterator
from typing import Any

import pytest

from ra_conformance.validation import check_incoming, to_operation_outcome, validator_for

from . import validation_samples as samples

GARBAGE: list[Any] = [None, [], {}, 1, -1, 1.5, "x", "", True, [None], [1], [{}], {"a": 1}, {"reference": 3},
                      {"url": None}, "#x", {"coding": [{"code": {"a": 1}}]}]
BASES = [samples.report_v21, samples.report_s1, samples.report_with_remark_s3, samples.answer_bundle,
         samples.patient_group, samples.model_measure, samples.datax_report, samples.patch_parameters,
         samples.patient]


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _set(node: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@pytest.mark.parametrize("base", BASES, ids=[b.__name__ for b in BASES])
def test_garbage_anywhere_never_raises(base):
    rng = random.Random(base.__name__)
    original = base()
    paths = list(_paths(original))
    for _ in range(40):
        mutant = copy.deepcopy(original)
        for path in rng.sample(paths, k=min(2, len(paths))):
            with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier replacement removed this path
                _set(mutant, path, copy.deepcopy(rng.choice(GARBAGE)))
        for version in ("stu1", "2.1.0", "stu3-ballot"):
            validator = validator_for(version)
            issues = validator.validate(mutant)
            validator.validate_answer_bundle(mutant)
            validator.must_support([mutant])
            check_incoming(mutant, version)
            assert to_operation_outcome(issues)["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("value", [None, [], "MeasureReport", 3, {"resourceType": 3}, {"resourceType": {}}])
def test_non_resources_get_issues(value):
    issues = validator_for("2.1.0").validate(value)
    assert issues and all(i.severity == "error" for i in issues)
