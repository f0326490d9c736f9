"""A hostile 'FHIR server' for robustness tests: every answer is wrong in some way, chosen by the request."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time

import uvicorn

NASTY: list[tuple[int, str, bytes]] = [
    (200, "application/fhir+json", b"{not json"),
    (200, "application/fhir+json", b"[]"),
    (200, "application/fhir+json", b"null"),
    (200, "application/fhir+json", b'{"resourceType": 7}'),
    (200, "text/html", b"<html><body>login</body></html>"),
    (200, "application/fhir+json", b""),
    (500, "application/fhir+json", b'{"resourceType": "OperationOutcome"}'),
    (200, "application/fhir+json", json.dumps({"resourceType": "Parameters", "parameter": [{"name": "return", "resource": {"resourceType": "Bundle", "entry": [None, 1, {"resource": []}, {"resource": {"resourceType": "MeasureReport", "id": 5, "period": "x", "evaluatedResource": "y", "subject": 3}}]}}]}).encode()),
    (200, "application/fhir+json", json.dumps({"resourceType": "Parameters", "parameter": [{"name": "return", "resource": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "id": "rac-p01"}}, {"resource": {"resourceType": "MeasureReport", "id": "m", "period": {"start": 1, "end": None}, "group": "g", "extension": {"url": 1}}}]}}]}).encode()),
    (200, "application/fhir+json", json.dumps({"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": "http://127.0.0.1:1/elsewhere"}], "entry": [{"resource": {"resourceType": "MeasureReport"}, "search": "match"}]}).encode()),
    (200, "application/fhir+json", b"[" * 5000 + b"]" * 5000),
    (202, "application/fhir+json", b""),
    (200, "application/fhir+json", json.dumps({"resourceType": "CapabilityStatement", "rest": [{"resource": [{"type": "MeasureReport", "operation": [{"name": 5}, {"name": "cc-gaps", "definition": None}], "searchParam": "x", "interaction": [None]}]}]}).encode()),
    (404, "application/fhir+json", b'{"resourceType": "OperationOutcome", "issue": "none"}'),
]


async def hostile_app(scope, receive, send):
    if scope["type"] != "http":
        return
    while True:  # drain the body
        message = await receive()
        if not message.get("more_body"):
            break
    key = f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}"
    status, ctype, body = NASTY[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(NASTY)]
    parts = scope["path"].strip("/").split("/")
    if scope["method"] == "GET" and len(parts) == 2 and parts[0] == "Patient":  # pass the kit preflight, so every suite runs
        status, ctype, body = 200, "application/fhir+json", json.dumps({"resourceType": "Patient", "id": parts[1]}).encode()
    headers = [(b"content-type", ctype.encode())]
    if status == 202:
        headers.append((b"content-location", b"http://127.0.0.1:1/nowhere"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HostileServer:
    def __enter__(self) -> HostileServer:
        sock = socket.socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(hostile_app, log_level="error", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
