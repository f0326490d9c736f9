"""The rule table of an IG version, built once: ``ruleset("2.1.0")``."""

from __future__ import annotations

from functools import cache

from ra_conformance.ig import IG_VERSIONS
from ra_conformance.ig.rules import RuleSet


class UnknownVersion(ValueError):
    """Not one of IG_VERSIONS."""


@cache
def ruleset(version: str) -> RuleSet:
    if version == "stu1":
        from ra_conformance.ig.stu1 import ruleset as build
    elif version == "2.1.0":
        from ra_conformance.ig.v2_1_0 import ruleset as build
    elif version == "stu3-ballot":
        from ra_conformance.ig.stu3_ballot import ruleset as build
    else:
        raise UnknownVersion(f"unknown IG version {version!r} (choose from {', '.join(IG_VERSIONS)})")
    return build()
