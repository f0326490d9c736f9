import httpx

from ra_conformance.fhir.redact import REDACTED

from .helpers import client_answering


def test_transport_error_is_an_answer_not_an_exception():
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    resp = client_answering(refuse).get("metadata")
    assert resp.status is None and not resp.ok
    assert "ConnectError" in resp.error
    assert "no answer" in resp.describe()


def test_oversized_answer_is_cut_and_reported():
    client = client_answering(lambda r: httpx.Response(200, content=b"x" * 5000), max_bytes=1000)
    resp = client.get("big")
    assert resp.error and "larger than" in resp.error
    assert len(resp.content) <= 1000


def test_body_that_is_not_json_is_described():
    resp = client_answering(lambda r: httpx.Response(200, content=b"<html>")).get("x")
    assert resp.json is None and "not JSON" in resp.json_error
    assert resp.resource is None


def test_empty_body_is_described():
    resp = client_answering(lambda r: httpx.Response(204)).get("x")
    assert resp.json_error == "the response has no body"


def test_json_that_is_not_a_resource_has_no_resource():
    resp = client_answering(lambda r: httpx.Response(200, json=[1, 2])).get("x")
    assert resp.json == [1, 2] and resp.resource is None


def test_exchange_is_captured_with_secrets_redacted():
    token = "canary-secret-token-123"
    client = client_answering(
        lambda r: httpx.Response(200, json={"resourceType": "Parameters", "access_token": token}, headers={"Set-Cookie": "s=1"}),
        auth_token=token,
    )
    seen = []
    client.log.listeners.append(seen.append)
    client.post("MeasureReport/$cc-gaps?access_token=" + token, json={"resourceType": "Parameters", "client_secret": token})
    (exchange,) = seen
    dumped = str(exchange.to_dict())
    assert token not in dumped
    assert exchange.request_headers["authorization"] == REDACTED
    assert exchange.response_headers["set-cookie"] == REDACTED
    assert exchange.status == 200 and exchange.elapsed_ms >= 0


def test_relative_and_absolute_paths():
    client = client_answering(lambda r: httpx.Response(200, json={}))
    assert client.url("metadata") == "http://fhir.test/metadata"
    assert client.url("/metadata") == "http://fhir.test/metadata"
    assert client.url("http://other/x") == "http://other/x"
