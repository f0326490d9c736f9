"""ra-conform: conformance harness, validator and reference server for the Da Vinci RA FHIR IG."""

__version__ = "0.1.0"
