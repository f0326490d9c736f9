"""The reference RA client: performs every client-test scenario the way the IG wants (and, with a catalogued
fault switched on, one deliberate defect). Used by the tests, by `selftest --clients`, and by
`ra-conform client-demo --target URL` to show a client implementer what correct requests look like."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import jsonio
from ..fhir import async_pattern
from ..fhir.auth import TokenProvider, default_scope, provider_for
from ..fhir.client import Exchange, FhirClient
from ..fhir.risk_gap import CONTEXT_ID_HEADER, data_bundle
from ..fhir.search import fetch_all
from ..ig import DEFAULT_IG_VERSION, MEASUREREPORT_CATEGORY_EXT, SD, versions
from ..ig.version import SUBMIT_DATA
from .faults import check_faults
from .recorder import DONE_PATH, STATUS_PATH
from .scenarios import IDS, REMARK_FORMS, applicable, operation_name

FHIR_JSON = "application/fhir+json"
POLL_LIMIT = 60.0


@dataclass(frozen=True)
class ClientCredentials:
    """SMART Backend Services (a private key) or an OAuth 2.0 client secret; the token URL is discovered from the
    target unless given (fhir/auth.py does the token flow)."""

    client_id: str
    key: Path | None = None
    secret: str | None = None
    token_url: str | None = None

    def provider(self, base: str) -> TokenProvider | None:
        """Raises KeyFileError for an unusable key file. The scope reads and writes (remarks, submissions)."""
        provider = provider_for(base, client_id=self.client_id, key_path=self.key, client_secret=self.secret,
                                token_url=self.token_url)
        if provider is not None:
            provider.configure_scope(default_scope(write=True))
        return provider


class ReferenceClient:
    def __init__(self, base: str, ig_version: str = DEFAULT_IG_VERSION, *, auth_token: str | None = None, faults: tuple[str, ...] = (),
                 log: Callable[[str], None] | None = None, timeout: float = 30.0, remark_by: str = "patch",
                 operation_by: str = "mixed", credentials: ClientCredentials | None = None) -> None:
        """``remark_by``: patch | put | transaction (REQ-202..REQ-204, all legal); ``operation_by``: GET | POST for both
        coding-gap scenarios, or mixed (patient by GET, group by POST); ``credentials``: get (and renew) access tokens."""
        if remark_by not in REMARK_FORMS or operation_by not in ("GET", "POST", "mixed"):
            raise ValueError(f"unknown form: remark_by={remark_by!r}, operation_by={operation_by!r}")
        self.remark_by, self.operation_by = remark_by, operation_by
        self.base, self.ig_version = base.rstrip("/"), ig_version
        self.faults = set(check_faults(faults))
        auth = credentials.provider(self.base) if credentials is not None else None
        self.http = FhirClient(self.base, auth_token=auth_token, timeout=timeout, auth=auth)
        if log is not None:
            self.http.log.listeners.append(lambda x: log(_line(x)))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ReferenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- driving --------------------------------------------------------------------------------------
    def perform(self, scenario: str) -> None:
        getattr(self, "async_" if scenario == "async" else scenario.replace("-", "_"))()

    def perform_all(self) -> list[str]:
        """Every scenario of the IG version, in order (against any server: the client-demo's plain mode)."""
        names = [s.name for s in applicable(self.ig_version)]
        for name in names:
            self.perform(name)
        return names

    def follow(self, *, poll: float = 0.1, limit: float = 600.0) -> bool:
        """Follow a client-test server's $client-test-status: perform each scenario as it comes, then say done.
        False when the target is no client-test server."""
        done: set[str] = set()
        seen_any, end = False, time.monotonic() + limit
        while time.monotonic() < end:
            status = self.http.get(STATUS_PATH.lstrip("/"), headers={"Accept": "application/json"})
            if status.error is not None and seen_any:
                return True  # the client-test finished and stopped its server
            body = status.json if status.status == 200 else None
            if not isinstance(body, dict):
                return seen_any
            seen_any = True
            if body.get("state") == "finished":
                return True
            self.ig_version = str(body.get("igVersion") or self.ig_version)
            name = body.get("scenario")
            if isinstance(name, str) and name not in done:
                self.perform(name)
                done.add(name)
                self.http.post(DONE_PATH.lstrip("/") + f"?scenario={name}", headers={"Accept": "application/json"})
            time.sleep(poll)
        return True

    # -- the coding-gap operation ---------------------------------------------------------------------
    def _params(self, subject: str) -> list[tuple[str, str]]:
        if "bare-id-subject" in self.faults:
            subject = subject.split("/", 1)[1]
        params = [("subject", subject), ("periodStart", IDS.period_start), ("periodEnd", IDS.period_end)]
        return [p for p in params if not (p[0] == "periodEnd" and "missing-period-end" in self.faults)]

    def _op_path(self) -> str:
        return f"MeasureReport/${operation_name(self.ig_version)}"

    def cc_gaps_patient(self) -> None:
        self._operation(IDS.patient, "POST" if self.operation_by == "POST" else "GET")

    def cc_gaps_group(self) -> None:
        self._operation(IDS.group, "GET" if self.operation_by == "GET" else "POST")

    def _operation(self, subject: str, method: str) -> None:
        if method == "GET":
            self.http.get(self._op_path(), params=self._params(subject))
            return
        types = {"periodStart": "valueDate", "periodEnd": "valueDate", "subject": "valueString"}
        body = {"resourceType": "Parameters", "parameter": [{"name": k, types[k]: v} for k, v in self._params(subject)]}
        if "post-without-content-type" in self.faults:
            self.http.request("POST", self._op_path(), content=jsonio.dumps(body))
        else:
            self.http.post(self._op_path(), json=body)

    # -- search and read ------------------------------------------------------------------------------
    def search(self) -> None:
        fetch_all(self.http, "MeasureReport", [
            ("patient", IDS.patient), ("period", f"ge{IDS.period_start}"), ("period", f"le{IDS.period_end}"),
            ("category", "ra"), ("_include", "MeasureReport:evaluated-resource")])

    def read(self) -> None:
        self.http.get(f"MeasureReport/{IDS.report}")

    # -- async ----------------------------------------------------------------------------------------
    def async_(self) -> None:
        prefer = "" if "async-without-prefer" in self.faults else "respond-async"
        headers = {"Accept": FHIR_JSON, **({"Prefer": prefer} if prefer else {})}
        kick = self.http.request("GET", self._op_path(), params=self._params(IDS.group), headers=headers)
        location = kick.headers.get("content-location") if kick.status == 202 else None
        if not location:
            return
        if "polls-too-fast" in self.faults:
            manifest = self._poll_fast(location)
        else:
            manifest = async_pattern.poll(self.http, location, limit=POLL_LIMIT).manifest
        items = [i for key in ("output", "error") for i in (manifest or {}).get(key) or [] if isinstance(i, dict)]
        if "skips-manifest-file" in self.faults:
            items = items[:-1]
        for item in items:
            with self.http.stream("GET", str(item.get("url")), headers={"Accept": "application/fhir+ndjson"}) as s:
                if s.response is not None:
                    s.head = s.response.read()[:4096]

    def _poll_fast(self, location: str) -> dict[str, Any] | None:
        end = time.monotonic() + POLL_LIMIT
        while time.monotonic() < end:
            resp = self.http.get(location, headers={"Accept": "application/json"})
            if resp.status != 202:
                return resp.json if resp.status == 200 and isinstance(resp.json, dict) else None
            time.sleep(0.1)
        return None

    # -- remark ---------------------------------------------------------------------------------------
    def remark(self) -> None:
        path = f"MeasureReport/{IDS.report}"
        author = {"url": "author", "valueString": "Dr. Ada Example (ra-conform reference client)"}
        if self.remark_by != "patch" or "put-drops-group" in self.faults:
            self._remark_whole(path, author)
            return
        # REQ-204: FHIRPath Patch per ra-parameters-cc-remark-patch (one sub-extension per added remark: the author, ra-2)
        ops = [[{"name": "type", "valueCode": "add"},
                {"name": "path", "valueString": f"MeasureReport.group.where(id='{IDS.remark_group}')"},
                {"name": "name", "valueString": "extension"},
                {"name": "value", "part": [{"name": "url", "valueUri": SD + "ra-ccRemark"},
                                           {"name": "extension", "part": [{"name": "url", "valueUri": "author"},
                                                                          {"name": "valueString", "valueString": author["valueString"]}]}]}]]
        if "remark-changes-status" in self.faults:
            ops.append([{"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "MeasureReport.status"},
                        {"name": "value", "valueCode": "pending"}])
        body = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": p} for p in ops]}
        self.http.request("PATCH", path, json=body, headers={"Content-Type": FHIR_JSON})

    def _remark_whole(self, path: str, author: dict[str, Any]) -> None:
        """REQ-202 (PUT the whole report) or REQ-203 (a transaction): read, add the remark, send everything back."""
        report = self.http.get(path).resource or {}
        text = {"url": "text", "valueString": "Reviewed at the visit; documentation to follow."}
        for g in report.get("group") or []:
            if g.get("id") == IDS.remark_group:
                g.setdefault("extension", []).append({"url": SD + "ra-ccRemark", "extension": [author, text]})
        if "put-drops-group" in self.faults:
            report["group"] = (report.get("group") or [])[:-1]
        if self.remark_by == "transaction":
            self.http.post("", json={"resourceType": "Bundle", "type": "transaction",
                                     "entry": [{"resource": report, "request": {"method": "PUT", "url": path}}]})
        else:
            self.http.put(path, json=report)

    # -- submit data ----------------------------------------------------------------------------------
    def datax_report(self, evidence: str) -> dict[str, Any]:
        """An ra-datax-measurereport for the scenario's patient, citing the payer's report and the evidence."""
        extensions: list[dict[str, Any]] = [{"url": SD + "ra-payerCodingGapReportId", "valueId": IDS.report}]
        if "datax-missing-category" not in self.faults:
            extensions.insert(0, {"url": MEASUREREPORT_CATEGORY_EXT, "valueCodeableConcept": {
                "coding": [{"system": "http://hl7.org/fhir/CodeSystem/measurereport-category", "code": "ra"}]}})
        return {"resourceType": "MeasureReport", "meta": {"profile": [SD + "ra-datax-measurereport"]}, "extension": extensions,
                "status": "complete", "type": "data-collection",
                "measure": f"https://ra-conform.example.org/fhir/Measure/{IDS.measure}",
                "subject": {"reference": IDS.patient}, "date": datetime.now(timezone.utc).date().isoformat(),
                "reporter": {"reference": "Organization/rac-org-clinic"},
                "period": {"start": IDS.period_start, "end": IDS.period_end},
                "evaluatedResource": [{"reference": evidence}]}

    def submit_data(self) -> None:
        evidence_ref = "DocumentReference/rac-doc-p01-note"
        evidence = self.http.get(evidence_ref).resource
        report = self.datax_report(evidence_ref)
        if versions.get(self.ig_version).evidence_submission == SUBMIT_DATA:  # REQ-208: base $submit-data
            params = [{"name": "measureReport", "resource": report}]
            params += [{"name": "resource", "resource": evidence}] if evidence else []
            self.http.post("Measure/$submit-data", json={"resourceType": "Parameters", "parameter": params})
            return
        entries = [{"resource": report, "request": {"method": "POST", "url": "MeasureReport"}}]  # REQ-209: core REST
        if evidence:
            entries.insert(0, {"resource": evidence, "request": {"method": "PUT", "url": evidence_ref}})
        self.http.post("", json={"resourceType": "Bundle", "type": "transaction", "entry": entries})

    # -- $risk-gap ------------------------------------------------------------------------------------
    def risk_gap(self) -> None:
        carried = [r for r in (self.http.get(IDS.patient).resource, self.http.get(IDS.coverage).resource) if r]
        params: list[dict[str, Any]] = [
            {"name": "periodStart", "valueDate": IDS.period_start}, {"name": "periodEnd", "valueDate": IDS.period_end},
            {"name": "subject", "valueReference": {"reference": IDS.patient}},
            {"name": "coverage", "valueReference": {"reference": IDS.coverage}},
            {"name": "data", "resource": data_bundle(carried)}]
        if "risk-gap-without-coverage" in self.faults:
            params = [p for p in params if p["name"] != "coverage"]
        self.http.post("MeasureReport/$risk-gap", json={"resourceType": "Parameters", "parameter": params},
                       headers={CONTEXT_ID_HEADER: "rac-demo-request-1"})


def _line(x: Exchange) -> str:
    status = x.status if x.status is not None else (x.error or "no answer")
    return f"  {x.method} {x.url} -> {status}"
