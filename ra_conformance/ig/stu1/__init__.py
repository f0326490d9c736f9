"""stu1: the record (moves here from ruleset.py in the next commit)."""

from ra_conformance.ig.stu1.ruleset import VERSION

__all__ = ["VERSION"]
