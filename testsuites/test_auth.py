"""Protected servers: SMART Backend Services (SMART App Launch v2 "Backend Services").

Runs when the target declares SMART in /metadata `rest.security` or serves `.well-known/smart-configuration`;
the token-endpoint tests also need the run's own SMART client (`--smart-client-id`, `--smart-key`).
"""

import pytest

from ra_conformance.checks import auth as checks
from ra_conformance.checks.findings import Verdict, error
from ra_conformance.fhir import auth_probes as probes
from ra_conformance.fhir.auth import SmartBackendProvider, TokenProvider
from ra_conformance.harness.context import RaContext

SMART = pytest.mark.smart
WITH_KEY = pytest.mark.smart(needs="key")  # the run's SMART Backend Services key signs the probes' assertions
WITH_CLIENT = pytest.mark.smart(needs="client")  # any client credentials (key or client secret)


@pytest.fixture
def smart_client(ra: RaContext) -> SmartBackendProvider:
    if not isinstance(ra.auth, SmartBackendProvider):  # the plan skips these tests first; defensive
        pytest.skip("needs the run's SMART Backend Services client (--smart-client-id, --smart-key)")
    return ra.auth


@pytest.fixture
def token_client(ra: RaContext) -> TokenProvider:
    if ra.auth is None:  # the plan skips these tests first; defensive
        pytest.skip("needs the run's client credentials (--smart-client-id with --smart-key or --client-secret)")
    return ra.auth


@pytest.fixture
def discovery(ra: RaContext, verdict: Verdict) -> dict | None:
    """The target's SMART discovery document; when it cannot be read, the test fails with why (and gets None)."""
    doc, problems = checks.discovery_document(ra.smart_discovery)
    verdict.add(problems)
    return doc


@pytest.mark.req("REQ-240", "REQ-006")
@SMART
def test_req_240_discovery_document_advertises_backend_services(discovery, verdict):
    """[base]/.well-known/smart-configuration names the token endpoint, client_credentials, private_key_jwt and RS384/ES384."""
    if discovery is not None:
        verdict.add(checks.discovery_backend_services(discovery))


@pytest.mark.req("REQ-241")
@SMART
def test_req_241_discovery_document_lists_system_scopes(discovery, verdict):
    """The discovery document lists the system scopes it grants in scopes_supported (SHOULD: a warning)."""
    if discovery is not None:
        verdict.add(checks.discovery_scopes(discovery))


@pytest.mark.req("REQ-242")
@SMART
def test_req_242_request_without_token_is_refused(ra, verdict):
    """A FHIR request without an access token is refused with 401."""
    verdict.add(checks.refused_unauthenticated(probes.read_with(ra.client, probes.PROBE_PATH, None), "without a token"))


@pytest.mark.req("REQ-242")
@SMART
def test_req_242_request_with_forged_expired_token_is_refused(ra, verdict):
    """A FHIR request with a forged token (a JWT signed by an unknown key, expired an hour ago) is refused with 401."""
    token = probes.forged_token(ra.client.base_url)
    resp = probes.read_with(ra.client, probes.PROBE_PATH, f"Bearer {token}")
    verdict.add(checks.refused_unauthenticated(resp, "with a forged, expired token"))


@pytest.mark.req("REQ-243")
@SMART
def test_req_243_refusal_names_the_bearer_scheme(ra, verdict):
    """A 401 carries a WWW-Authenticate: Bearer challenge."""
    verdict.add(checks.bearer_challenge(probes.read_with(ra.client, probes.PROBE_PATH, None)))


@pytest.mark.req("REQ-244")
@WITH_KEY
def test_req_244_assertion_signed_by_unknown_key_is_refused(ra, verdict, smart_client):
    """The token endpoint refuses a client assertion signed by a key the client never registered (invalid_client)."""
    assertion = probes.unknown_key_assertion(smart_client, ra.client)
    resp = smart_client.token_request(ra.client.send, assertion=assertion)
    verdict.add(checks.token_refused(resp, "REQ-244", "an assertion signed by an unknown key"))


@pytest.mark.req("REQ-245")
@WITH_KEY
def test_req_245_replayed_assertion_is_refused(ra, verdict, smart_client):
    """The token endpoint accepts a fresh client assertion once and refuses the same jti again (replay)."""
    assertion = smart_client.assertion(ra.client.send)
    first = smart_client.token_request(ra.client.send, assertion=assertion)
    if first.status != 200:
        verdict.add(error("a fresh, correctly signed client assertion was refused", reqs="REQ-245", actual=first.describe()))
        return
    again = smart_client.token_request(ra.client.send, assertion=assertion)
    verdict.add(checks.token_refused(again, "REQ-245", "a replayed assertion (jti already used)"))


@pytest.mark.req("REQ-246")
@WITH_KEY
def test_req_246_expired_assertion_is_refused(ra, verdict, smart_client):
    """The token endpoint refuses a client assertion whose exp has passed."""
    resp = smart_client.token_request(ra.client.send, assertion=probes.expired_assertion(smart_client, ra.client))
    verdict.add(checks.token_refused(resp, "REQ-246", "an expired assertion"))


@pytest.mark.req("REQ-247")
@WITH_CLIENT
def test_req_247_token_response_is_a_bearer_token_with_lifetime_and_scope(ra, verdict, token_client):
    """A token response carries access_token, token_type bearer, expires_in and the granted scope."""
    verdict.add(checks.token_response(token_client.token_request(ra.client.send)))


@pytest.mark.req("REQ-248")
@WITH_CLIENT
def test_req_248_token_scoped_to_patient_cannot_read_measure_reports(ra, verdict, token_client):
    """A token granted only Patient scopes cannot search MeasureReports (403, insufficient_scope)."""
    answer, token, granted = probes.narrow_token(token_client, ra.client)
    if token is None:
        pytest.skip(f"the server would not grant a Patient-only token ({answer.describe()}); nothing to judge")
    if "MeasureReport" in granted or "system/*" in granted:
        pytest.skip(f"the server granted more than Patient (scope {granted!r}), so the token may read MeasureReports")
    verdict.add(checks.scope_enforced(probes.read_with(ra.client, probes.PROBE_PATH, f"Bearer {token}"), probes.NARROW_SCOPE))
