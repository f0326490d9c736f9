"""The profile requirements (RA-SPEC §9.5–9.7) the suites judge on every returned resource, one test each.

(REQ id, slug, IG versions it applies to). The validator tags each issue with the REQ id of the rule it
breaks, or with the constraint key for FHIRPath invariants (RULE_ALIASES); tests/ig/test_profile_rules.py
proves the validator emits every rule listed here for a resource breaking it. Left out because no returned
resource can break them here: REQ-118 (unbounded cardinalities), REQ-119 and REQ-109 (need the cited resources'
US Core profiles / the Measure), REQ-169 (data-exchange extensions). REQ-133 is test_req_029's.
"""

# Rules of the `$report` answer's per-patient Bundle (ra-measurereport-bundle): judged where that flow runs.
BUNDLE_RULES = ("REQ-130", "REQ-131", "REQ-132", "REQ-134")
RULE_ALIASES = {"REQ-107": ("ra-1",), "REQ-170": ("ra-2",), "REQ-175": ("ext-1",)}

ALL = ("stu1", "2.1.0", "stu3-ballot")
V2 = ("2.1.0", "stu3-ballot")

PROFILE_RULES = (
    ("REQ-100", "report-status-present", ALL),
    ("REQ-101", "report-type-individual", ALL),
    ("REQ-102", "report-measure-is-a-model-measure", ALL),
    ("REQ-103", "report-subject-is-one-patient", ALL),
    ("REQ-104", "report-date-present", ALL),
    ("REQ-105", "report-reporter-is-an-organization", ALL),
    ("REQ-106", "report-period-start-and-end", ALL),
    ("REQ-107", "report-period-day-precision-ra-1", ALL),
    ("REQ-108", "report-group-id-present", ALL),
    ("REQ-110", "report-stratifier-code-at-most-one", ALL),
    ("REQ-111", "stu1-only-deadline-extension", ("stu1",)),
    ("REQ-112", "stu1-group-extension-cardinality", ("stu1",)),
    ("REQ-113", "category-ra-exactly-once", V2),
    ("REQ-114", "deadline-at-most-once", V2),
    ("REQ-115", "contextid-is-an-id", ("stu3-ballot",)),
    ("REQ-116", "group-has-one-cctype", V2),
    ("REQ-117", "group-extension-cardinality", V2),
    ("REQ-120", "group-reference-names-a-group", ALL),
    ("REQ-121", "net-new-never-open-gap", ALL),
    ("REQ-130", "bundle-type-collection", ALL),
    ("REQ-131", "bundle-has-entries", ALL),
    ("REQ-132", "bundle-one-us-core-patient", ALL),
    ("REQ-134", "bundle-reports-same-patient", ALL),
    ("REQ-160", "suspect-type-codes", ("stu1",)),
    ("REQ-161", "cc-type-codes", V2),
    ("REQ-162", "evidence-status-codes", ALL),
    ("REQ-163", "hierarchical-status-codes", ALL),
    ("REQ-164", "confidence-scale-codes", V2),
    ("REQ-165", "dxcode-one-codeable-concept", V2),
    ("REQ-166", "qualifying-dxcode", ("stu3-ballot",)),
    ("REQ-167", "date-valued-extensions", ALL),
    ("REQ-168", "group-reference-string", ALL),
    ("REQ-170", "cc-remark-has-author-ra-2", V2),
    ("REQ-171", "cc-remark-sub-extensions", V2),
    ("REQ-172", "cc-remark-cardinality", V2),
    ("REQ-173", "cc-remark-codes", V2),
    ("REQ-174", "cc-remark-author-types", V2),
    ("REQ-175", "extensions-carry-a-value", ALL),
    ("REQ-176", "extensions-in-their-context", ALL),
    ("REQ-177", "ra-codes-exact-system-and-code", ALL),
)
