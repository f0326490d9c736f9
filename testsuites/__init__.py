"""The ra-conform conformance suites: one file per area, one test per requirement (RA-SPEC §9)."""
