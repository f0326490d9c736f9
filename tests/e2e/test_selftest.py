"""End to end: the suites pass against the reference server, each catalogued fault is caught, and each legal
variant passes (exit 0, warnings allowed)."""

import pytest

from ra_conformance.harness.runner import run_suites
from ra_conformance.harness.selftest import run_fault, run_variant
from ra_conformance.results import ERROR, FAIL, PASS, SKIP, WARN
from ra_conformance.server.faults import FAULTS
from ra_conformance.server.variants import VARIANTS
from ra_conformance.settings import build


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    return run_suites(build({"report_dir": tmp_path_factory.mktemp("clean")}, env={}))


def test_clean_reference_server_passes_every_suite(clean_run):
    counts = clean_run.counts()
    bad = [f"{t.nodeid}: {t.state}: {t.message}" for t in clean_run.tests if t.state in (FAIL, ERROR, WARN)]
    assert bad == []
    assert counts[PASS] >= 140 and clean_run.exit_code() == 0


def test_every_skip_says_why(clean_run):
    assert all(t.message for t in clean_run.tests if t.state == SKIP)


def test_every_test_carries_requirement_ids(clean_run):
    from ra_conformance.ig import requirements

    known = requirements()
    for t in clean_run.tests:
        assert t.reqs, t.nodeid
        assert set(t.reqs) <= set(known), t.nodeid


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_by_the_test_meant_to_catch_it(fault, tmp_path):
    outcome = run_fault(fault, build({}, env={}), tmp_path)
    assert outcome.caught_by, f"{fault}: no test carrying {outcome.catches} ended {outcome.expected}"
    assert outcome.exit_code == (1 if outcome.expected == "fail" else 0)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_legal_variant_passes_every_suite(variant, tmp_path):
    outcome = run_variant(variant, build({}, env={}), tmp_path)
    assert outcome.failures == [], f"{variant}: the harness failed a legal variation"
    assert outcome.exit_code == 0 and outcome.passed_tests >= 140
