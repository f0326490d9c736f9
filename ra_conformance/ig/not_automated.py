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

# The same for client-test (client SHALLs that no recorded request can show), by REQ id.
CLIENT_NOT_AUTOMATED: dict[str, str] = {
    "REQ-001": "how implementers read SHALL/SHOULD/MAY — a reading convention, not client behaviour",
    "REQ-002": "conformance to a CapabilityStatement as a whole; client-test judges its interactions one by one",
    "REQ-003": "how a client processes must-support elements it receives is not visible in its requests",
    "REQ-004": "US Core must-support handling by the receiver — not visible in requests (and needs the US Core packages)",
    "REQ-007": "security and privacy policy (HRex) — organisational, not observable over the API",
    "REQ-040": "a client names a Group (by reference); it does not send the Group resource",
    "REQ-135": "a client names a Group (by reference); it does not send the Group resource",
    "REQ-136": "a client names a Group (by reference); it does not send the Group resource",
    "REQ-145": "remark Bundles travel only with $submit-remark-data, which the reference server does not offer",
    "REQ-146": "remark Bundles travel only with $submit-remark-data, which the reference server does not offer",
    "REQ-147": "remark Bundles travel only with $submit-remark-data, which the reference server does not offer",
    "REQ-169": "contextId/vendor extensions are the server's (contextId) or optional on submissions (validated with the datax report)",
    "REQ-171": "judged with the added remark by the validator (REQ-170 check)",
    "REQ-172": "judged with the added remark by the validator (REQ-170 check)",
    "REQ-173": "extensible bindings: judged with the added remark by the validator (REQ-170 check)",
    "REQ-174": "judged with the added remark by the validator (REQ-170 check)",
    "REQ-175": "judged with the added remark by the validator (REQ-170 check)",
    "REQ-176": "judged with the added remark by the validator (REQ-170 check)",
    "REQ-177": "judged with the added remark and the datax report by the validator",
    "REQ-194": "Bundle read/search applies only to clients that use the Bundle endpoint (MAY on the server)",
    "REQ-212": "$ra.evaluate-measure is a draft operation the reference server does not offer; not certified",
    "REQ-213": "$ra.evaluate-measure is a draft operation the reference server does not offer; not certified",
    "REQ-214": "$ra.evaluate-measure is a draft operation the reference server does not offer; not certified",
}
