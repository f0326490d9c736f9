"""`fixtures load` trusts no answer blindly: entry statuses checked, refused transactions explained and split,
failed entries re-sent, the first unanswered request stops the load."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ra_conformance.fhir.client import FhirClient
from ra_conformance.fhir.upload import load_kit
from ra_conformance.kit.versions import variant_resources
from ra_conformance.server import EmbeddedServer

from .helpers import client_answering

KIT_SIZE = len(variant_resources(None))


def _outcome(text: str, status: int) -> httpx.Response:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "too-costly", "diagnostics": text}]}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/fhir+json"})


def _transaction_response(entries: list[Any], failing: frozenset[int] | set[int] = frozenset()) -> httpx.Response:
    answers = [{"response": {"status": "400 Bad Request" if n in failing else "201 Created"}} for n, _ in enumerate(entries)]
    return httpx.Response(200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": answers},
                          headers={"Content-Type": "application/fhir+json"})


def test_failed_transaction_entries_are_sent_again_one_by_one():
    puts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return _transaction_response(json.loads(request.content)["entry"], failing={0, 3})
        puts.append(request.url.path)
        return httpx.Response(201, json=json.loads(request.content), headers={"Content-Type": "application/fhir+json"})

    report = load_kit(client_answering(handler))
    assert len(puts) == 2 and report.ok and len(report.loaded) == KIT_SIZE
    assert any("2 transaction entries were not stored" in n for n in report.notes)


def test_a_refused_transaction_is_explained_and_split():
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        entries = json.loads(request.content)["entry"]
        sizes.append(len(entries))
        if len(entries) > 50:
            return _outcome(f"at most 50 entries per transaction, got {len(entries)}", 413)
        return _transaction_response(entries)

    report = load_kit(client_answering(handler))
    assert report.ok and report.method == "transactions of 50" and sizes == [KIT_SIZE, 50, KIT_SIZE - 50]
    assert "HTTP 413: at most 50 entries per transaction" in report.notes[0]


def test_the_first_unanswered_request_stops_the_load():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise httpx.ConnectError("connection refused")

    report = load_kit(client_answering(handler), prefer="put")
    assert calls == ["PUT"] and report.unreachable and "no answer" in report.unreachable and not report.ok


def test_a_server_capping_transactions_at_50_gets_the_whole_kit():
    with EmbeddedServer(load=[], variants=["transactions-capped-50"]) as server, FhirClient(server.base_url) as client:
        report = load_kit(client)
        assert report.ok and len(report.loaded) == KIT_SIZE and report.method == "transactions of 50"
        assert "exceeds this server's limit of 50 entries" in report.notes[0]
        assert server.store is not None and server.store.count() == KIT_SIZE
