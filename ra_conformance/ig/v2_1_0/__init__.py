"""v2_1_0: the record (moves here from ruleset.py in the next commit)."""

from ra_conformance.ig.v2_1_0.ruleset import VERSION

__all__ = ["VERSION"]
