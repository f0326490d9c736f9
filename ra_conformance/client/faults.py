"""The client-fault catalogue: deliberate defects the reference client can switch on, each with the scenario it
spoils and the REQ ids of the check meant to catch it (`ra-conform selftest --clients` proves each is caught)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ig import DEFAULT_IG_VERSION, versions
from ..ig.version import RISK_GAP


@dataclass(frozen=True)
class ClientFault:
    name: str
    scenario: str
    catches: tuple[str, ...]  # REQ ids of the check meant to catch it
    description: str
    expected: str = "fail"  # "fail", or "warn" for a SHOULD
    ig_version: str = DEFAULT_IG_VERSION  # a version where the scenario applies


CLIENT_FAULTS: dict[str, ClientFault] = {f.name: f for f in (
    ClientFault("bare-id-subject", "cc-gaps-patient", ("REQ-016",), "subject=rac-p01 instead of Patient/rac-p01"),
    ClientFault("missing-period-end", "cc-gaps-patient", ("REQ-015",), "the request has no periodEnd"),
    ClientFault("post-without-content-type", "cc-gaps-group", ("REQ-009",), "the POSTed Parameters carry no Content-Type"),
    ClientFault("async-without-prefer", "async", ("REQ-051",), "the async kick-off has no Prefer: respond-async"),
    ClientFault("polls-too-fast", "async", ("REQ-058",), "status polls every 0.1 s whatever Retry-After says",
                expected="warn"),
    ClientFault("skips-manifest-file", "async", ("REQ-050", "REQ-064"), "the last file of the manifest is never downloaded"),
    ClientFault("remark-changes-status", "remark", ("REQ-201", "REQ-200"),
                "the remark PATCH also replaces MeasureReport.status"),
    ClientFault("put-drops-group", "remark", ("REQ-201",), "the remark PUT leaves out the report's last group"),
    ClientFault("datax-missing-category", "submit-data", ("REQ-140",),
                "the data-exchange report lacks its required measurereport-category extension"),
    ClientFault("risk-gap-without-coverage", "risk-gap", ("REQ-223",), "$risk-gap is asked without the coverage parameter",
                ig_version=versions.with_flow(RISK_GAP)[0]),
)}


class UnknownClientFault(ValueError):
    pass


def check_faults(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    unknown = sorted(set(names) - set(CLIENT_FAULTS))
    if unknown:
        raise UnknownClientFault(f"unknown client fault(s): {', '.join(unknown)} (known: {', '.join(sorted(CLIENT_FAULTS))})")
    return tuple(names)
