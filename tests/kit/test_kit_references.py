"""Every reference inside the kit resolves inside the kit, except the deliberately missing members."""

from __future__ import annotations

import copy

from .kit_checks import is_ra_report, reference_problems


def _allowed(expectations):
    return {m for g in expectations.raw["groups"].values() for m in g["unknownMembers"]}


def test_every_reference_resolves_within_the_kit(resources, expectations):
    assert _allowed(expectations)  # the kit does carry deliberately missing members
    assert reference_problems(resources, _allowed(expectations)) == []


def test_reference_check_catches_a_dangling_reference(resources, expectations):
    broken = copy.deepcopy(resources)
    enc = next(r for r in broken if r["resourceType"] == "Encounter")
    enc["serviceProvider"]["reference"] = "Organization/rac-org-nowhere"
    assert reference_problems(broken, _allowed(expectations)) == [
        f"Encounter/{enc['id']}: dangling reference Organization/rac-org-nowhere"]


def test_reference_check_catches_an_unknown_measure(resources, expectations):
    broken = copy.deepcopy(resources)
    next(r for r in broken if is_ra_report(r))["measure"] = "http://example.org/Measure/x"
    assert len(reference_problems(broken, _allowed(expectations))) == 1


def test_reference_check_flags_missing_members_without_the_allowance(resources, expectations):
    flagged = {p.rsplit(' ', 1)[1] for p in reference_problems(resources, set())}
    assert flagged == _allowed(expectations)
