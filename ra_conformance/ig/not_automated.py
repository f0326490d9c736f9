"""Requirements of RA-SPEC §9 that a server conformance run cannot judge automatically, with the reason.

The traceability matrix lists them apart from the genuinely uncovered ones, so "uncovered" always means
"a test is missing", never "no test can exist".
"""

NOT_AUTOMATED: dict[str, str] = {
    "REQ-001": "how implementers read SHALL/SHOULD/MAY — a reading convention, not server behaviour",
    "REQ-004": "needs the US Core packages (not installable offline); the validator checks US Core Patient essentials (REQ-132)",
    "REQ-007": "security and privacy policy (HRex) — organisational, not observable over the API",
    "REQ-118": "unbounded cardinalities (0..*) — no instance can break them",
    "REQ-169": "data-exchange extensions belong to the data-submission flow; check such resources with `ra-conform validate`",
    "REQ-196": "data-submission server role — not the reporting server these suites certify",
    "REQ-215": "$ra.evaluate-measure is a draft operation that generates reports; not certified",
}
