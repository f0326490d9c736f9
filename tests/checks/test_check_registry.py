"""Traceability, verified at CI time: every requirement the harness claims to judge has a test or a registered
check, every fault claims only requirements something judges, and findings take their REQ ids from the
registration (checks/registry.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest

from ra_conformance.checks import answer, http
from ra_conformance.checks.findings import error
from ra_conformance.checks.registry import Check, RegistryError, check, registered, registration
from ra_conformance.client.judging import CHECKS as CLIENT_CHECKS
from ra_conformance.client.judging import TOKEN_CHECK
from ra_conformance.fhir.client import FhirClient, FhirResponse
from ra_conformance.ig import Requirement, profile_rules, requirements
from ra_conformance.reporting.traceability import is_client_shall, is_server_shall
from ra_conformance.server.faults import FAULTS

SUITES = Path(__file__).resolve().parents[2] / "testsuites"


def marker_reqs(folder: Path = SUITES) -> set[str]:
    """REQ ids on the suites' `pytest.mark.req(...)` markers (literal arguments), plus the profile-rule tests,
    which take theirs from requirements.json."""
    found = {rule.id for rule in profile_rules()}
    for path in folder.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "req":
                found |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def check_reqs(checks: dict[str, Check]) -> set[str]:
    return {r for c in checks.values() for r in c.reqs}


def untraced(reqs: dict[str, Requirement], judged: set[str]) -> list[str]:
    """Server SHALLs the harness claims to judge (not `automated: false`) that no test or check judges."""
    return [rid for rid, req in reqs.items() if is_server_shall(req) and req.automated and rid not in judged]


def judged_server_reqs() -> set[str]:
    return marker_reqs() | check_reqs(registered())


def test_every_automated_server_shall_has_a_test_or_a_check():
    assert untraced(requirements(), judged_server_reqs()) == []


def test_the_traceability_check_can_fail():
    reqs = dict(requirements())
    reqs["REQ-999"] = Requirement("REQ-999", "a new SHALL", "SHALL", "S", "General", "test")
    assert untraced(reqs, judged_server_reqs()) == ["REQ-999"]


def test_every_automated_client_shall_has_a_client_check():
    judged = {r for checks in CLIENT_CHECKS.values() for c in checks for r in c.reqs} | set(TOKEN_CHECK.reqs)
    missing = [rid for rid, req in requirements().items()
               if is_client_shall(req) and req.client_automated and rid not in judged]
    assert missing == []


def test_not_automated_requirements_are_judged_by_nothing():
    """`automated: false` says no test can exist; a test or check for it means the data is out of date."""
    manual = {rid for rid, req in requirements().items() if not req.automated}
    assert manual and manual & judged_server_reqs() == set()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_catches_only_requirements_a_test_or_check_judges(fault):
    catches = set(FAULTS[fault].catches)
    assert catches <= judged_server_reqs(), f"{fault} claims {sorted(catches - judged_server_reqs())}"
    assert catches & marker_reqs(), f"{fault}: no test carries any of {sorted(catches)}, so the self-test cannot see it"


def test_registered_checks_judge_known_automated_requirements():
    checks = registered()
    assert len(checks) > 50 and all(c.title for c in checks.values())
    known = requirements()
    for c in checks.values():
        assert all(r in known and known[r].automated for r in c.reqs), c


# -- the registry itself ----------------------------------------------------------------------------------


def served(status: int, content_type: str) -> FhirResponse:
    answer = httpx.Response(status, content=b"{}", headers={"Content-Type": content_type})
    return FhirClient("http://fhir.test", transport=httpx.MockTransport(lambda request: answer)).get("x")


def test_a_finding_takes_its_reqs_and_check_name_from_the_registration():
    assert registration(answer.expected_reports_present).reqs == ("REQ-023",)
    made = http.fhir_json_content_type(served(200, "text/html"))
    assert [(f.reqs, f.check) for f in made] == [(("REQ-009",), "http.fhir_json_content_type")]
    assert made[0].to_dict()["check"] == "http.fhir_json_content_type"


def test_a_generic_check_takes_the_callers_reqs_and_its_own_name():
    made = http.status_is(served(500, "application/fhir+json"), 200, "REQ-017")
    assert [(f.reqs, f.check) for f in made] == [(("REQ-017",), "http.status_is")]


def test_a_finding_outside_any_check_must_name_its_requirement():
    with pytest.raises(TypeError, match="names no requirement"):
        error("no requirement")
    assert error("named", reqs=("REQ-183", "REQ-184")).reqs == ("REQ-183", "REQ-184")
    assert error("named", reqs="REQ-183").check is None


def test_a_name_is_registered_once():
    def expected_reports_present() -> None: ...

    expected_reports_present.__module__ = answer.__name__
    with pytest.raises(RegistryError):
        check("REQ-023")(expected_reports_present)
