"""Load the fixture kit into any FHIR server: transaction Bundles, else one PUT per resource.

Nothing a server answers is trusted blindly (issue 9, `fixtures load`):
* a `transaction-response` is read entry by entry: an entry without a 2xx status is re-sent on its own (PUT);
* a refused transaction (4xx/5xx) is reported with the server's own words (OperationOutcome diagnostics), then
  the kit is sent in smaller transactions (BATCH_SIZES, e.g. for a server capping a transaction at 50 entries),
  and a refused smaller one falls back to one PUT per resource;
* the first request without any answer (connection refused, timeout) stops the load: ``unreachable`` says why.
Resources go in dependency order (patients and organisations before what refers to them), so a server that
checks referential integrity accepts each smaller transaction and PUT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import kit as kitmod
from . import resources as fr
from .client import FhirClient, FhirResponse

BATCH_SIZES = (50, 10)  # entries per transaction after the whole kit was refused
# Resource types referred to by others come first (a server may check references on write).
_ORDER = ("Organization", "Practitioner", "PractitionerRole", "Location", "Patient", "Coverage", "Measure", "Group",
          "Encounter", "Condition", "Observation", "Procedure", "DocumentReference", "MeasureReport")


@dataclass
class LoadReport:
    method: str = ""
    loaded: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (Type/id, why)
    notes: list[str] = field(default_factory=list)
    unreachable: str | None = None  # the first request that got no answer at all: the load stopped there

    @property
    def ok(self) -> bool:
        return not self.failed and self.unreachable is None


class _Unreachable(Exception):
    pass


def load_kit(client: FhirClient, kit_dir: Path | None = None, *, prefer: str = "transaction", ig_version: str | None = None) -> LoadReport:
    """The kit in the shape of the IG version (the STU1 variant for stu1, see kit/versions.py)."""
    from ..kit.versions import variant_resources

    resources = sorted(variant_resources(ig_version, kit_dir), key=_rank)
    report = LoadReport()
    try:
        if prefer == "transaction":
            _by_transactions(client, resources, report)
        else:
            report.method = "put"
            _by_puts(client, resources, report)
    except _Unreachable as exc:
        report.unreachable = str(exc)
    return report


def _rank(resource: dict[str, Any]) -> tuple[int, str]:
    rtype = resource["resourceType"]
    return (_ORDER.index(rtype) if rtype in _ORDER else _ORDER.index("Encounter"), f"{rtype}/{resource['id']}")


def _by_transactions(client: FhirClient, resources: list[dict[str, Any]], report: LoadReport) -> None:
    refused = _transaction(client, resources, report)
    if refused is None:
        report.method = "transaction"
        return
    report.notes.append(f"the transaction of {len(resources)} entries was refused: {refused}")
    for size in BATCH_SIZES:
        if size >= len(resources):
            continue
        chunks = [resources[i:i + size] for i in range(0, len(resources), size)]
        refused = _transaction(client, chunks[0], report)
        if refused is None:
            report.method = f"transactions of {size}"
            for chunk in chunks[1:]:
                again = _transaction(client, chunk, report)
                if again is not None:
                    report.notes.append(f"a transaction of {len(chunk)} entries was refused ({again}); one PUT each")
                    _by_puts(client, chunk, report)
            return
        report.notes.append(f"a transaction of {size} entries was refused too: {refused}")
    report.method = "put"
    report.notes.append("falling back to one PUT per resource")
    _by_puts(client, resources, report)


def _transaction(client: FhirClient, resources: list[dict[str, Any]], report: LoadReport) -> str | None:
    """POST one transaction; None when answered with a transaction-response (each entry then checked, a failed
    one re-sent by PUT), else why it was refused."""
    resp = client.post("", json=kitmod.transaction_bundle(resources))
    _require_answer(resp)
    body = resp.resource or {}
    if not (resp.ok and body.get("type") == "transaction-response"):
        return _why(resp)
    entries = [e for e in body.get("entry", []) if isinstance(e, dict)] if isinstance(body.get("entry"), list) else []
    if len(entries) != len(resources):
        report.notes.append(f"the transaction-response has {len(entries)} entries for {len(resources)} sent: "
                            "every resource is sent again by PUT")
        _by_puts(client, resources, report)
        return None
    retry = []
    for resource, entry in zip(resources, entries, strict=True):  # lengths checked above
        status = str((entry.get("response") or {}).get("status", "")) if isinstance(entry.get("response"), dict) else ""
        if status.strip().startswith("2"):
            report.loaded.append(_ref(resource))
        else:
            retry.append(resource)
    if retry:
        report.notes.append(f"{len(retry)} transaction entries were not stored (no 2xx status): sent again one by one")
        _by_puts(client, retry, report)
    return None


def _by_puts(client: FhirClient, resources: list[dict[str, Any]], report: LoadReport) -> None:
    for r in resources:
        resp = client.put(_ref(r), json=r)
        _require_answer(resp)
        if resp.ok:
            report.loaded.append(_ref(r))
        else:
            report.failed.append((_ref(r), _why(resp)))


def _require_answer(resp: FhirResponse) -> None:
    if resp.error:
        raise _Unreachable(resp.describe())


def _why(resp: FhirResponse) -> str:
    """HTTP status and the server's own words (OperationOutcome diagnostics / details.text), when it gave some."""
    why = f"HTTP {resp.status}"
    body = resp.resource
    if body and body.get("resourceType") == "OperationOutcome":
        texts = []
        for item in fr.as_list(body.get("issue")):
            details = item.get("details") if isinstance(item, dict) else None
            text = item.get("diagnostics") if isinstance(item, dict) else None
            text = text or (details.get("text") if isinstance(details, dict) else None)
            if isinstance(text, str) and text:
                texts.append(text)
        if texts:
            why += ": " + "; ".join(texts[:3])
    return why


def _ref(resource: dict[str, Any]) -> str:
    return f"{resource['resourceType']}/{resource['id']}"
