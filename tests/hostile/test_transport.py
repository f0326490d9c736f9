"""The transport policy (ra_conformance/fhir/transport.py) against raw hostile answers, request by request."""

from __future__ import annotations

import time

import pytest

from ra_conformance.fhir.client import FhirClient
from ra_conformance.fhir.redact import REDACTED, register_secret, scrub, scrub_obj
from ra_conformance.fhir.transport import Transport, TransportPolicy

from .proxy import Answer, HostileProxy, Listener, bomb, drip, endless_body, endless_continue, gzip_bomb, path_is

POLICY = TransportPolicy(max_bytes=1024 * 1024, deadline=2.0, read_timeout=1.0, max_redirects=3)
OK = Answer(200, [("Content-Type", "application/fhir+json")], b'{"resourceType":"Bundle"}')


def serving(*rules):
    return HostileProxy("http://127.0.0.1:1", [*rules, (lambda r: True, lambda r, f, s: Answer(200, [("Content-Type", "application/fhir+json")], b'{"resourceType":"Bundle"}'))])


@pytest.mark.parametrize("attack", [drip(every=0.1), endless_continue], ids=["drip", "endless-100-continue"])
def test_a_request_ends_at_its_deadline_whatever_the_server_drips(attack):
    with serving((path_is("^/x"), attack)) as server, FhirClient(server.base_url, policy=POLICY) as client:
        started = time.monotonic()
        resp = client.get("x")
    assert time.monotonic() - started < POLICY.deadline + 1.5
    assert resp.error and "deadline" in resp.error and not resp.ok


@pytest.mark.parametrize("attack, words", [(endless_body, "limit"), (bomb, "after decompression")], ids=["endless", "gzip-bomb"])
def test_bodies_stop_at_the_byte_cap_on_the_wire_and_decoded(attack, words):
    gzip_bomb()  # built before the clock runs
    with serving((path_is("^/x"), attack)) as server, FhirClient(server.base_url, policy=POLICY) as client:
        resp = client.get("x")
    assert resp.status == 200 and words in (resp.error or "") and len(resp.content) <= 256 * 1024


def test_redirects_are_capped_and_a_loop_ends():
    loop = (path_is("^/x"), lambda r, f, s: Answer(302, [("Location", "/x")], b""))
    with serving(loop) as server, FhirClient(server.base_url, policy=POLICY) as client:
        resp = client.get("x")
    assert resp.status is None and "more than 3 redirects" in (resp.error or "")
    assert len(server.seen) == POLICY.max_redirects + 1


def test_an_invalid_location_or_link_is_an_error_never_an_exception():
    bad = (path_is("^/x"), lambda r, f, s: Answer(302, [("Location", "http://[::1/\x7f")], b""))
    with serving(bad) as server, FhirClient(server.base_url, policy=POLICY) as client:
        resp = client.get("x")
        assert resp.status is None and "location" in (resp.error or "").lower()
        for link in ("http://[::1/x", "http://exa\x7fmple/", "http://"):
            resp = client.get(link)
            assert resp.status is None and resp.error, link


def test_credentials_and_cookies_stay_with_their_origin():
    with Listener() as other:
        rules = [
            (path_is("^/login"), lambda r, f, s: Answer(200, [("Set-Cookie", "sid=s3cr3t-cookie; Path=/")], b"{}")),
            (path_is("^/away"), lambda r, f, s: Answer(307, [("Location", f"{other.base_url}/landing")], b"")),
        ]
        with serving(*rules) as server, FhirClient(server.base_url, auth_token="tok-123456789", policy=POLICY) as client:
            client.get("login")
            client.get("again")
            client.get("away")
            client.get(f"{other.base_url}/direct")
        again = server.seen[1].headers
        assert again.get("cookie") == "sid=s3cr3t-cookie" and again.get("authorization") == "Bearer tok-123456789"
        assert len(other.seen) == 2
        for req in other.seen:
            assert "cookie" not in req.headers and "authorization" not in req.headers


def test_cookies_off_sends_none():
    rules = [(path_is("^/login"), lambda r, f, s: Answer(200, [("Set-Cookie", "sid=s3cr3t-cookie")], b"{}"))]
    with serving(*rules) as server:
        transport = Transport(TransportPolicy(cookies="off"), credential_origin=server.base_url)
        transport.request("GET", server.base_url + "/login")
        transport.request("GET", server.base_url + "/again")
        transport.close()
    assert "cookie" not in server.seen[1].headers


def test_secrets_are_redacted_by_value_in_every_escaped_form():
    register_secret("tok+en/with=chars&<x>")
    register_secret("1")  # too short to register: would blank ordinary text (the registry is process-wide)
    for form in ("tok+en/with=chars&<x>", "tok%2Ben%2Fwith%3Dchars%26%3Cx%3E", "tok+en/with=chars&amp;&lt;x&gt;"):
        assert scrub(f"a {form} b") == f"a {REDACTED} b"
    assert scrub("1 and 11") == "1 and 11"
    assert scrub_obj({"k tok+en/with=chars&<x>": ["tok+en/with=chars&<x>", {"x": 1}]}) == {f"k {REDACTED}": [REDACTED, {"x": 1}]}
