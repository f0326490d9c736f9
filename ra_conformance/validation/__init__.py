"""The RA validation engine: base R4 structure + the RA profiles of each IG version (see DESIGN.md)."""

from ra_conformance.issues import Issue
from ra_conformance.validation.engine import Validator, check_incoming, validator_for
from ra_conformance.validation.files import run_validate
from ra_conformance.validation.outcome import to_operation_outcome

__all__ = ["Issue", "Validator", "check_incoming", "run_validate", "to_operation_outcome", "validator_for"]
