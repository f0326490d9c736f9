"""Load the fixture kit into any FHIR server: one transaction Bundle, else one PUT per resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import kit as kitmod
from .client import FhirClient


@dataclass
class LoadReport:
    method: str = ""
    loaded: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (Type/id, why)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def load_kit(client: FhirClient, kit_dir: Path | None = None, *, prefer: str = "transaction", ig_version: str | None = None) -> LoadReport:
    """The kit in the shape of the IG version (the STU1 variant for stu1, see kit_versions)."""
    from ..kit_versions import variant_resources

    resources = variant_resources(ig_version, kit_dir)
    report = LoadReport()
    if prefer == "transaction":
        resp = client.post("", json=kitmod.transaction_bundle(resources))
        if resp.ok and (resp.resource or {}).get("type") == "transaction-response":
            report.method = "transaction"
            report.loaded = [f"{r['resourceType']}/{r['id']}" for r in resources]
            return report
        report.notes.append(f"transaction not accepted ({resp.describe()}); falling back to one PUT per resource")
    report.method = "put"
    for r in resources:
        ref = f"{r['resourceType']}/{r['id']}"
        resp = client.put(ref, json=r)
        if resp.ok:
            report.loaded.append(ref)
        else:
            why = resp.error or f"HTTP {resp.status}"
            body = resp.resource
            if body and body.get("resourceType") == "OperationOutcome":
                diag = [i.get("diagnostics") for i in body.get("issue", []) if isinstance(i, dict) and i.get("diagnostics")]
                if diag:
                    why += f": {diag[0]}"
            report.failed.append((ref, why))
    return report
