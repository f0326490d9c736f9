"""One IG version as one record: what the harness, the reference server, the client side and the kit know of it.

Each certifiable version is a folder ``ig/<version>/`` whose ``__init__.py`` exports ``VERSION = IgVersion(...)`` and
whose ``ruleset.py`` builds its rule table (loaded on first use); ``ig.versions`` collects them. Code outside ``ig/`` asks the record (``versions.get(id).label``, ``.operations``,
``.kit_transform`` …) and never compares version strings.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the rule tables load on first use, not when the CLI starts
    from ra_conformance.ig.rules import RuleSet

OPERATION, SEARCH, RISK_GAP = "operation", "search", "risk-gap"  # the retrieval flows (RA-SPEC §1.6)
SUBMIT_DATA, CORE_REST = "submit-data", "rest"  # how evidence is submitted: Measure/$submit-data, core REST


@dataclass(frozen=True)
class Retrieval:
    """How a version asks for a patient's coding-gap reports, and the shape of the answer."""

    flow: str  # OPERATION ($report family), SEARCH (MeasureReport search), RISK_GAP (STU3 ballot)
    request: str
    answer: str
    unknown_subject: str
    # SEARCH: the category parameters that pick RA reports, the default first (none: STU1 filters by _profile)
    filter_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class IgVersion:
    """The facts of one IG version that code branches on."""

    id: str  # the --ig-version value ('2.1.0')
    label: str  # how plans and reports name it ('STU3 ballot')
    package_version: str  # the IG package version, after '|' in a versioned implementationGuide canonical
    canonical_prefix: str  # a canonical version starting with this names the version ('3.'), when none equals it
    retrieval: tuple[Retrieval, ...]  # its retrieval flows, the IG's own first
    operations: tuple[str, ...]  # MeasureReport operations a server of this version declares (the reference's)
    coding_gap_operation: str  # the coding-gap operation preferred when a target declares several ('report')
    search_params: tuple[str, ...]  # MeasureReport search parameters a server of this version declares
    evidence_submission: str | None  # SUBMIT_DATA (REQ-208), CORE_REST (REQ-209); None: no evidence submission
    cc_remark: bool  # the ccRemark extension exists (clients add remarks: REQ-200)
    statements: Mapping[str, Mapping[str, str]] = field(compare=False)  # the IG's CapabilityStatements: item -> level
    server_statement: str  # the statement a server under test is held to
    ruleset: Callable[[], RuleSet] = field(compare=False)  # builds the version's rule table (ig.versions caches it)
    # the kit (written in the 2.1.0 shape) as this version shapes a resource; None: unchanged
    kit_transform: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None, compare=False)
    preset: Mapping[str, Any] | None = field(default=None, compare=False)  # a settings preset named after the id

    @property
    def own_retrieval(self) -> Retrieval:
        return self.retrieval[0]

    def flow(self, name: str) -> Retrieval | None:
        """The retrieval flow of that name, if the version has it."""
        return next((r for r in self.retrieval if r.flow == name), None)

    @property
    def category_param(self) -> str | None:
        """The category parameter of the search flow (None: the version has no category)."""
        search = self.flow(SEARCH)
        return search.filter_params[0] if search and search.filter_params else None

    @property
    def category_params(self) -> tuple[str, ...]:
        search = self.flow(SEARCH)
        return search.filter_params if search else ()

    def release_key(self) -> tuple[tuple[int, ...], int]:
        """Orders versions by release: numbers first, a pre-release ('-ballot') before its release."""
        number, _, pre = self.package_version.partition("-")
        return tuple(int(n) for n in re.findall(r"\d+", number)), 0 if pre else 1


def lazy_ruleset(package: str) -> Callable[[], RuleSet]:
    """The builder of a version folder's rule table: ``<package>.ruleset.ruleset``, imported when first called."""
    def build() -> RuleSet:
        builder: Callable[[], RuleSet] = importlib.import_module(f"{package}.ruleset").ruleset
        return builder()
    return build


# The flows later versions share (a version folder defines its own where it differs).
REPORT_FLOW = Retrieval(OPERATION, "GET/POST MeasureReport/$report (or $cc-gaps, $ra.cc-gaps): subject, periodStart, "
                        "periodEnd", "Parameters{return*: one collection Bundle per patient, outcome*}",
                        "Parameters{outcome naming it}")
SEARCH_FLOW = Retrieval(SEARCH, "GET MeasureReport?subject=Patient/x&period=geA&period=leB&category=ra"
                        "&_include=MeasureReport:evaluated-resource (all pages)", "searchset Bundle(s): match + include",
                        "empty searchset", filter_params=("category", "measurereport-category"))
