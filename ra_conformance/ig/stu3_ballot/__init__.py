"""stu3_ballot: the record (moves here from ruleset.py in the next commit)."""

from ra_conformance.ig.stu3_ballot.ruleset import VERSION

__all__ = ["VERSION"]
