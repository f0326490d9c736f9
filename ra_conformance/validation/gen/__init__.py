"""Build-time generators of the validator's committed tables (never imported at run time)."""
